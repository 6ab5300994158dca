// Package node is the Node authorizer: it lets a kubelet (user system:node:<name> in group
// system:nodes) read and write what its own node needs, and nothing else that is
// node-scoped. It ports upstream's plugin/pkg/auth/authorizer/node; the object graph
// upstream keeps is answered here from an informer index of pods by node, which holds the
// same relationships (node <- pod <- secret/configmap/serviceaccount/pvc).
//
// It must never import the registries or the server: it sees the cluster only through
// informers on the loopback client.
package node

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/k1s-dev/k1s/apiserver/auth/rbac"
)

const (
	// NodeUserPrefix and NodesGroup identify kubelets, as upstream's nodeidentifier.
	NodeUserPrefix = "system:node:"
	NodesGroup     = "system:nodes"

	podsByNodeIndex = "spec.nodeName"
)

// Identity returns the node a user is, and whether it is a node at all: the name must
// start with system:node: and the user must be in system:nodes. An empty name with
// isNode true is a node that cannot be identified.
func Identity(u user.Info) (name string, isNode bool) {
	if u == nil || !strings.HasPrefix(u.GetName(), NodeUserPrefix) {
		return "", false
	}
	for _, g := range u.GetGroups() {
		if g == NodesGroup {
			return strings.TrimPrefix(u.GetName(), NodeUserPrefix), true
		}
	}
	return "", false
}

var (
	secretResource    = schema.GroupResource{Resource: "secrets"}
	configMapResource = schema.GroupResource{Resource: "configmaps"}
	pvcResource       = schema.GroupResource{Resource: "persistentvolumeclaims"}
	pvResource        = schema.GroupResource{Resource: "persistentvolumes"}
	svcAcctResource   = schema.GroupResource{Resource: "serviceaccounts"}
	leaseResource     = schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}
	nodeResource      = schema.GroupResource{Resource: "nodes"}
	podResource       = schema.GroupResource{Resource: "pods"}
)

// Authorizer is the Node authorizer.
type Authorizer struct {
	pods      cache.Indexer
	nodeRules []rbacv1.PolicyRule
}

var _ authorizer.Authorizer = &Authorizer{}

// New returns a Node authorizer that finds each node's pods through the pod informer and
// allows nodes the static nodeRules (bootstrap policy's NodeRules) for every resource it
// does not subdivide. It adds its index to the informer, so call it before the informer
// starts.
func New(pods coreinformers.PodInformer, nodeRules []rbacv1.PolicyRule) (*Authorizer, error) {
	if err := pods.Informer().AddIndexers(cache.Indexers{podsByNodeIndex: func(obj any) ([]string, error) {
		pod, ok := obj.(*corev1.Pod)
		if !ok || pod.Spec.NodeName == "" {
			return nil, nil
		}
		return []string{pod.Spec.NodeName}, nil
	}}); err != nil {
		return nil, fmt.Errorf("indexing pods by node: %w", err)
	}
	return &Authorizer{pods: pods.Informer().GetIndexer(), nodeRules: nodeRules}, nil
}

// Authorize implements authorizer.Authorizer with upstream's decisions and reasons.
func (r *Authorizer) Authorize(_ context.Context, attrs authorizer.Attributes) (authorizer.Decision, string, error) {
	nodeName, isNode := Identity(attrs.GetUser())
	if !isNode {
		return authorizer.DecisionNoOpinion, "", nil
	}
	if nodeName == "" {
		return authorizer.DecisionNoOpinion, fmt.Sprintf("unknown node for user %q", attrs.GetUser().GetName()), nil
	}
	if attrs.IsResourceRequest() {
		switch (schema.GroupResource{Group: attrs.GetAPIGroup(), Resource: attrs.GetResource()}) {
		case secretResource:
			return r.authorizeReadNamespacedObject(nodeName, refSecret, attrs)
		case configMapResource:
			return r.authorizeReadNamespacedObject(nodeName, refConfigMap, attrs)
		case pvcResource:
			if attrs.GetSubresource() == "status" {
				return r.authorizeStatusUpdate(nodeName, refPVC, attrs)
			}
			return r.authorizeGet(nodeName, refPVC, attrs)
		case pvResource:
			// k1s serves no persistent volumes, so no node relates to one.
			return authorizer.DecisionNoOpinion, fmt.Sprintf("no relationship found between node '%s' and this object", nodeName), nil
		case svcAcctResource:
			return r.authorizeCreateToken(nodeName, attrs)
		case leaseResource:
			return r.authorizeLease(nodeName, attrs)
		case nodeResource:
			return r.authorizeNode(nodeName, attrs)
		case podResource:
			return r.authorizePod(nodeName, attrs)
		}
	}
	if rbac.RulesAllow(attrs, r.nodeRules...) {
		return authorizer.DecisionAllow, "", nil
	}
	return authorizer.DecisionNoOpinion, "", nil
}

// ConditionsAwareAuthorize implements authorizer.Authorizer: the Node authorizer has no
// conditions.
func (r *Authorizer) ConditionsAwareAuthorize(ctx context.Context, attrs authorizer.Attributes) authorizer.ConditionsAwareDecision {
	return authorizer.ConditionsAwareDecisionFromParts(r.Authorize(ctx, attrs))
}

// EvaluateConditions is not supported, as upstream.
func (*Authorizer) EvaluateConditions(context.Context, authorizer.ConditionsAwareDecision, authorizer.ConditionsData) (authorizer.Decision, string, error) {
	return authorizer.DecisionDeny, "", authorizer.ErrorConditionEvaluationNotSupported
}

// RulesFor implements authorizer.RuleResolver: a node's permissions are not enumerable.
func (r *Authorizer) RulesFor(_ context.Context, u user.Info, _ string) ([]authorizer.ResourceRuleInfo, []authorizer.NonResourceRuleInfo, bool, error) {
	if _, isNode := Identity(u); isNode {
		return nil, nil, true, fmt.Errorf("node authorizer does not support user rule resolution")
	}
	return nil, nil, false, nil
}

func deny(nodeName string, attrs authorizer.Attributes, reason string) (authorizer.Decision, string, error) {
	klog.V(2).InfoS("Node authorizer denied", "node", nodeName, "verb", attrs.GetVerb(), "resource", attrs.GetResource(),
		"subresource", attrs.GetSubresource(), "namespace", attrs.GetNamespace(), "name", attrs.GetName(), "reason", reason)
	return authorizer.DecisionNoOpinion, reason, nil
}

func (r *Authorizer) authorizeStatusUpdate(nodeName string, ref refKind, attrs authorizer.Attributes) (authorizer.Decision, string, error) {
	switch attrs.GetVerb() {
	case "update", "patch":
	default:
		return deny(nodeName, attrs, "can only get/update/patch this type")
	}
	if attrs.GetSubresource() != "status" {
		return deny(nodeName, attrs, "can only update status subresource")
	}
	return r.authorizeRelated(nodeName, ref, attrs)
}

func (r *Authorizer) authorizeGet(nodeName string, ref refKind, attrs authorizer.Attributes) (authorizer.Decision, string, error) {
	if attrs.GetVerb() != "get" {
		return deny(nodeName, attrs, "can only get individual resources of this type")
	}
	if attrs.GetSubresource() != "" {
		return deny(nodeName, attrs, "cannot get subresource")
	}
	return r.authorizeRelated(nodeName, ref, attrs)
}

func (r *Authorizer) authorizeReadNamespacedObject(nodeName string, ref refKind, attrs authorizer.Attributes) (authorizer.Decision, string, error) {
	switch attrs.GetVerb() {
	case "get", "list", "watch":
	default:
		return deny(nodeName, attrs, "can only read resources of this type")
	}
	if attrs.GetSubresource() != "" {
		return deny(nodeName, attrs, "cannot read subresource")
	}
	if attrs.GetNamespace() == "" {
		return deny(nodeName, attrs, "can only read namespaced object of this type")
	}
	return r.authorizeRelated(nodeName, ref, attrs)
}

func (r *Authorizer) authorizeRelated(nodeName string, ref refKind, attrs authorizer.Attributes) (authorizer.Decision, string, error) {
	if attrs.GetName() == "" {
		return deny(nodeName, attrs, "No Object name found")
	}
	if !r.related(nodeName, ref, attrs.GetNamespace(), attrs.GetName()) {
		return deny(nodeName, attrs, fmt.Sprintf("no relationship found between node '%s' and this object", nodeName))
	}
	return authorizer.DecisionAllow, "", nil
}

// authorizeCreateToken allows creating tokens for the service accounts of the node's pods.
func (r *Authorizer) authorizeCreateToken(nodeName string, attrs authorizer.Attributes) (authorizer.Decision, string, error) {
	if attrs.GetVerb() != "create" || attrs.GetName() == "" {
		return deny(nodeName, attrs, "can only create tokens for individual service accounts")
	}
	if attrs.GetSubresource() != "token" {
		return deny(nodeName, attrs, "can only create token subresource of serviceaccount")
	}
	return r.authorizeRelated(nodeName, refServiceAccount, attrs)
}

func (r *Authorizer) authorizeLease(nodeName string, attrs authorizer.Attributes) (authorizer.Decision, string, error) {
	switch attrs.GetVerb() {
	case "get", "create", "update", "patch", "delete":
	default:
		return deny(nodeName, attrs, "can only get, create, update, patch, or delete a node lease")
	}
	if attrs.GetNamespace() != corev1.NamespaceNodeLease {
		return deny(nodeName, attrs, fmt.Sprintf("can only access leases in the %q system namespace", corev1.NamespaceNodeLease))
	}
	// Create carries no name in the attributes; NodeRestriction checks the object's name.
	if attrs.GetVerb() != "create" && attrs.GetName() != nodeName {
		return deny(nodeName, attrs, "can only access node lease with the same name as the requesting node")
	}
	return authorizer.DecisionAllow, "", nil
}

func (r *Authorizer) authorizeNode(nodeName string, attrs authorizer.Attributes) (authorizer.Decision, string, error) {
	switch attrs.GetSubresource() {
	case "":
		switch attrs.GetVerb() {
		case "create", "update", "patch":
			// NodeRestriction admission limits a node to its own Node.
			return authorizer.DecisionAllow, "", nil
		case "get", "list", "watch":
			switch attrs.GetName() {
			case nodeName:
				return authorizer.DecisionAllow, "", nil
			case "":
				return deny(nodeName, attrs, fmt.Sprintf("node '%s' cannot read all nodes, only its own Node object", nodeName))
			default:
				return deny(nodeName, attrs, fmt.Sprintf("node '%s' cannot read '%s', only its own Node object", nodeName, attrs.GetName()))
			}
		}
	case "status":
		switch attrs.GetVerb() {
		case "update", "patch":
			return authorizer.DecisionAllow, "", nil
		}
	}
	return deny(nodeName, attrs, "")
}

func (r *Authorizer) authorizePod(nodeName string, attrs authorizer.Attributes) (authorizer.Decision, string, error) {
	switch attrs.GetSubresource() {
	case "":
		switch attrs.GetVerb() {
		case "get":
			return r.authorizeGet(nodeName, refPod, attrs)
		case "list", "watch":
			reqs, _ := attrs.GetFieldSelector()
			for _, req := range reqs {
				if req.Field == "spec.nodeName" && (req.Operator == selection.Equals || req.Operator == selection.DoubleEquals) && req.Value == nodeName {
					return authorizer.DecisionAllow, "", nil
				}
			}
			if attrs.GetName() != "" {
				return r.authorizeRelated(nodeName, refPod, attrs)
			}
			return deny(nodeName, attrs, "can only list/watch pods with spec.nodeName field selector")
		case "create", "delete":
			// Mirror pods; NodeRestriction narrows both to the node's own pods.
			return authorizer.DecisionAllow, "", nil
		}
	case "status":
		switch attrs.GetVerb() {
		case "update", "patch":
			return authorizer.DecisionAllow, "", nil
		}
	case "eviction":
		if attrs.GetVerb() == "create" {
			return authorizer.DecisionAllow, "", nil
		}
	}
	return deny(nodeName, attrs, "")
}

type refKind int

const (
	refPod refKind = iota
	refSecret
	refConfigMap
	refServiceAccount
	refPVC
)

// related reports whether a pod bound to nodeName is, or references, the object.
func (r *Authorizer) related(nodeName string, ref refKind, namespace, name string) bool {
	objs, err := r.pods.ByIndex(podsByNodeIndex, nodeName)
	if err != nil {
		return false
	}
	for _, obj := range objs {
		pod := obj.(*corev1.Pod)
		if pod.Namespace != namespace {
			continue
		}
		if podReferences(pod, ref, name) {
			return true
		}
	}
	return false
}

func podReferences(pod *corev1.Pod, ref refKind, name string) bool {
	switch ref {
	case refPod:
		return pod.Name == name
	case refServiceAccount:
		return pod.Spec.ServiceAccountName == name
	case refPVC:
		for _, v := range pod.Spec.Volumes {
			if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == name {
				return true
			}
			if v.Ephemeral != nil && pod.Name+"-"+v.Name == name {
				return true
			}
		}
		return false
	case refSecret:
		for _, s := range pod.Spec.ImagePullSecrets {
			if s.Name == name {
				return true
			}
		}
	}
	for _, v := range pod.Spec.Volumes {
		switch {
		case ref == refSecret && v.Secret != nil && v.Secret.SecretName == name,
			ref == refConfigMap && v.ConfigMap != nil && v.ConfigMap.Name == name:
			return true
		case v.Projected != nil:
			for _, src := range v.Projected.Sources {
				if ref == refSecret && src.Secret != nil && src.Secret.Name == name ||
					ref == refConfigMap && src.ConfigMap != nil && src.ConfigMap.Name == name {
					return true
				}
			}
		case ref == refSecret && v.CSI != nil && v.CSI.NodePublishSecretRef != nil && v.CSI.NodePublishSecretRef.Name == name:
			return true
		}
	}
	found := false
	visitContainers(pod, func(c *corev1.Container) {
		for _, e := range c.EnvFrom {
			if ref == refSecret && e.SecretRef != nil && e.SecretRef.Name == name ||
				ref == refConfigMap && e.ConfigMapRef != nil && e.ConfigMapRef.Name == name {
				found = true
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom == nil {
				continue
			}
			if ref == refSecret && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name == name ||
				ref == refConfigMap && e.ValueFrom.ConfigMapKeyRef != nil && e.ValueFrom.ConfigMapKeyRef.Name == name {
				found = true
			}
		}
	})
	return found
}

func visitContainers(pod *corev1.Pod, visit func(*corev1.Container)) {
	for i := range pod.Spec.InitContainers {
		visit(&pod.Spec.InitContainers[i])
	}
	for i := range pod.Spec.Containers {
		visit(&pod.Spec.Containers[i])
	}
	for i := range pod.Spec.EphemeralContainers {
		visit((*corev1.Container)(&pod.Spec.EphemeralContainers[i].EphemeralContainerCommon))
	}
}
