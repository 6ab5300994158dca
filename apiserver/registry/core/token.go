package core

import (
	"context"
	"fmt"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/warning"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	authenticationvalidation "github.com/k1s-dev/k1s/apiserver/apis/authentication/validation"
	"github.com/k1s-dev/k1s/apiserver/auth/serviceaccount"
)

// TokenRequestOptions configure the serviceaccounts/token subresource; kube-apiserver's
// flags name each field.
type TokenRequestOptions struct {
	// Issuer signs the tokens (--service-account-signing-key-file, --service-account-issuer).
	Issuer serviceaccount.TokenGenerator
	// APIAudiences are the audiences of a request that names none (--api-audiences).
	APIAudiences []string
	// MaxExpiration caps requested lifetimes; 0 means no cap
	// (--service-account-max-token-expiration).
	MaxExpiration time.Duration
	// ExtendExpiration issues pod-bound tokens requested for exactly
	// serviceaccount.WarnOnlyBoundTokenExpirationSeconds (the projected volume's 3607 s)
	// for MaxExtendedExpiration instead (--service-account-extend-token-expiration).
	ExtendExpiration      bool
	MaxExtendedExpiration time.Duration
}

// tokenRequestGVK is the kind the subresource takes and returns, from another group than
// the service account it hangs off.
var tokenRequestGVK = authenticationv1.SchemeGroupVersion.WithKind("TokenRequest")

// TokenREST is serviceaccounts/token: it issues a TokenRequest's token for the service
// account, bound to the pod, secret or node the request names. Nothing is stored. It
// ports upstream's pkg/registry/core/serviceaccount/storage/token.go at v1.37, without
// the alpha webhook-bound tokens.
type TokenREST struct {
	svcaccts, pods, secrets, nodes rest.Getter
	opts                           TokenRequestOptions
	audsSet                        sets.Set[string]
	now                            func() time.Time
}

var (
	_ rest.NamedCreater                   = &TokenREST{}
	_ rest.GroupVersionKindProvider       = &TokenREST{}
	_ rest.SubresourceObjectMetaPreserver = &TokenREST{}
)

func newTokenREST(svcaccts, pods, secrets, nodes rest.Getter, opts TokenRequestOptions) *TokenREST {
	return &TokenREST{
		svcaccts: svcaccts, pods: pods, secrets: secrets, nodes: nodes,
		opts:    opts,
		audsSet: sets.New(opts.APIAudiences...),
		now:     time.Now,
	}
}

// New returns an empty TokenRequest.
func (r *TokenREST) New() runtime.Object { return &authenticationv1.TokenRequest{} }

// Destroy does nothing: nothing is stored.
func (r *TokenREST) Destroy() {}

// GroupVersionKind reports TokenRequest, whatever the service account's group version.
func (r *TokenREST) GroupVersionKind(schema.GroupVersion) schema.GroupVersionKind {
	return tokenRequestGVK
}

// PreserveRequestObjectMetaSystemFieldsOnSubresourceCreate keeps the request's UID: it
// names the service account the client expects.
func (r *TokenREST) PreserveRequestObjectMetaSystemFieldsOnSubresourceCreate() bool { return true }

// Create issues the token.
func (r *TokenREST) Create(ctx context.Context, name string, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	req, ok := obj.(*authenticationv1.TokenRequest)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a TokenRequest: %T", obj))
	}
	namespace, ok := genericapirequest.NamespaceFrom(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("namespace is required")
	}
	if req.Name != "" && req.Name != name {
		errs := field.ErrorList{field.Invalid(field.NewPath("metadata").Child("name"), req.Name, "must match the service account name if specified")}
		return nil, apierrors.NewInvalid(tokenRequestGVK.GroupKind(), name, errs)
	}
	if req.Namespace != "" && req.Namespace != namespace {
		errs := field.ErrorList{field.Invalid(field.NewPath("metadata").Child("namespace"), req.Namespace, "must match the service account namespace if specified")}
		return nil, apierrors.NewInvalid(tokenRequestGVK.GroupKind(), name, errs)
	}

	svcacctObj, err := r.svcaccts.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	svcacct := svcacctObj.(*corev1.ServiceAccount)
	// TokenRequestServiceAccountUIDValidation (beta, on in v1.37): a request for a
	// service account that was deleted and recreated fails instead of minting a token
	// for the new one.
	if req.UID != "" && req.UID != svcacct.UID {
		return nil, apierrors.NewConflict(schema.GroupResource{Group: tokenRequestGVK.Group, Resource: tokenRequestGVK.Kind}, name,
			fmt.Errorf("the UID in the token request (%s) does not match the UID of the service account (%s)", req.UID, svcacct.UID))
	}

	if len(req.Spec.Audiences) == 0 {
		req.Spec.Audiences = r.opts.APIAudiences
	}
	if req.Name == "" {
		req.Name = svcacct.Name
	}
	if req.Namespace == "" {
		req.Namespace = svcacct.Namespace
	}
	if req.UID == "" {
		req.UID = svcacct.UID
	}
	// Taken before the token is built, so that the expiration reported in the status is
	// never later than the token's exp claim.
	nowTime := r.now()
	req.CreationTimestamp = metav1.NewTime(nowTime)
	req.Status = authenticationv1.TokenRequestStatus{}

	if errs := authenticationvalidation.ValidateTokenRequest(req); len(errs) != 0 {
		return nil, apierrors.NewInvalid(tokenRequestGVK.GroupKind(), "", errs)
	}
	// Validating admission (NodeRestriction keeps kubelets to tokens of their own pods).
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}

	var (
		pod    *corev1.Pod
		node   *corev1.Node
		secret *corev1.Secret
	)
	if ref := req.Spec.BoundObjectRef; ref != nil {
		var uid types.UID
		gvk := schema.FromAPIVersionAndKind(ref.APIVersion, ref.Kind)
		switch {
		case gvk.Group == "" && gvk.Kind == "Pod":
			podObj, err := r.pods.Get(newContext(ctx, "pods", ref.Name, namespace, gvk), ref.Name, &metav1.GetOptions{})
			if err != nil {
				return nil, err
			}
			pod = podObj.(*corev1.Pod)
			if name != pod.Spec.ServiceAccountName {
				return nil, apierrors.NewBadRequest(fmt.Sprintf("cannot bind token for serviceaccount %q to pod running with different serviceaccount name.", name))
			}
			uid = pod.UID
			if node, err = r.podNode(ctx, pod); err != nil {
				return nil, err
			}
		case gvk.Group == "" && gvk.Kind == "Node":
			nodeObj, err := r.nodes.Get(newContext(ctx, "nodes", ref.Name, "", gvk), ref.Name, &metav1.GetOptions{})
			if err != nil {
				return nil, err
			}
			node = nodeObj.(*corev1.Node)
			uid = node.UID
		case gvk.Group == "" && gvk.Kind == "Secret":
			secretObj, err := r.secrets.Get(newContext(ctx, "secrets", ref.Name, namespace, gvk), ref.Name, &metav1.GetOptions{})
			if err != nil {
				return nil, err
			}
			secret = secretObj.(*corev1.Secret)
			uid = secret.UID
		default:
			return nil, apierrors.NewBadRequest(fmt.Sprintf("cannot bind token to object of type %s", gvk.String()))
		}
		if ref.UID != "" && uid != ref.UID {
			return nil, apierrors.NewConflict(schema.GroupResource{Group: gvk.Group, Resource: gvk.Kind}, ref.Name,
				fmt.Errorf("the UID in the bound object reference (%s) does not match the UID in record. The object might have been deleted and then recreated", ref.UID))
		}
	}

	maxExpirationSeconds := int64(r.opts.MaxExpiration.Seconds())
	if maxExpirationSeconds > 0 && *req.Spec.ExpirationSeconds > maxExpirationSeconds {
		warning.AddWarning(ctx, "", fmt.Sprintf("requested expiration of %d seconds shortened to %d seconds", *req.Spec.ExpirationSeconds, maxExpirationSeconds))
		req.Spec.ExpirationSeconds = ptr.To(maxExpirationSeconds)
	}

	// Tokens of projected volumes (pod-bound, 3607 s, for the apiserver) live a year and
	// only warn after the requested hour, so that clients that never reread their token
	// file keep working while the stale use shows up in the logs.
	var warnAfter int64
	exp := *req.Spec.ExpirationSeconds
	if r.opts.ExtendExpiration && pod != nil && exp == serviceaccount.WarnOnlyBoundTokenExpirationSeconds && r.audsSet.HasAll(req.Spec.Audiences...) {
		warnAfter = exp
		exp = int64(r.opts.MaxExtendedExpiration.Seconds())
	}

	sc, pc, err := serviceaccount.Claims(svcacct, pod, secret, node, nowTime, exp, warnAfter, req.Spec.Audiences)
	if err != nil {
		return nil, err
	}
	token, err := r.opts.Issuer.GenerateToken(ctx, sc, pc)
	if err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("failed to generate token: %w", err))
	}
	out := req.DeepCopy()
	out.Status = authenticationv1.TokenRequestStatus{
		Token: token,
		// The requested lifetime, not an extended one: clients refresh on that schedule.
		ExpirationTimestamp: metav1.NewTime(nowTime.Add(time.Duration(*out.Spec.ExpirationSeconds) * time.Second)),
	}
	return out, nil
}

// podNode returns the node pod runs on, for the token's node claims (upstream's
// ServiceAccountTokenPodNodeInfo, GA): a node missing from the API is still named.
func (r *TokenREST) podNode(ctx context.Context, pod *corev1.Pod) (*corev1.Node, error) {
	nodeName := pod.Spec.NodeName
	if nodeName == "" {
		return nil, nil
	}
	nodeCtx := newContext(ctx, "nodes", nodeName, "", corev1.SchemeGroupVersion.WithKind("Node"))
	// ResourceVersion 0 is served from the watch cache; fall back to a live read.
	nodeObj, err := r.nodes.Get(nodeCtx, nodeName, &metav1.GetOptions{ResourceVersion: "0"})
	if err != nil {
		nodeObj, err = r.nodes.Get(nodeCtx, nodeName, &metav1.GetOptions{})
	}
	switch {
	case apierrors.IsNotFound(err):
		klog.FromContext(ctx).V(4).Info("Node of a pod bound token not found", "pod", klog.KObj(pod), "node", nodeName)
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: nodeName}}, nil
	case err != nil:
		return nil, apierrors.NewInternalError(err)
	}
	return nodeObj.(*corev1.Node), nil
}

// newContext returns ctx with the request info of a get of the bound object, so that
// the store (and anything reading request info, such as audit) sees that read, not the
// token request.
func newContext(ctx context.Context, resource, name, namespace string, gvk schema.GroupVersionKind) context.Context {
	return genericapirequest.WithRequestInfo(ctx, &genericapirequest.RequestInfo{
		IsResourceRequest: true,
		Verb:              "get",
		Namespace:         namespace,
		Resource:          resource,
		Name:              name,
		Parts:             []string{resource, name},
		APIGroup:          gvk.Group,
		APIVersion:        gvk.Version,
	})
}
