package noderestriction

import (
	"context"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"
)

func TestValidate(t *testing.T) {
	factory := informers.NewSharedInformerFactory(fake.NewClientset(), 0)
	p := New(factory)
	pods := factory.Core().V1().Pods().Informer().GetIndexer()
	nodes := factory.Core().V1().Nodes().Informer().GetIndexer()
	ownPod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "own", UID: "pod-uid"}, Spec: corev1.PodSpec{NodeName: "n1"}}
	otherPod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "other", UID: "other-uid"}, Spec: corev1.PodSpec{NodeName: "n2"}}
	pods.Add(ownPod)
	pods.Add(otherPod)
	nodes.Add(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", UID: "node-uid"}})

	node := func(name string, labels map[string]string, taints ...corev1.Taint) *corev1.Node {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Spec: corev1.NodeSpec{Taints: taints}}
	}
	mirror := func(mutate func(*corev1.Pod)) *corev1.Pod {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "mirror", Annotations: map[string]string{corev1.MirrorPodAnnotationKey: "x"},
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: "n1", UID: "node-uid", Controller: ptr.To(true)}}},
			Spec: corev1.PodSpec{NodeName: "n1"},
		}
		if mutate != nil {
			mutate(pod)
		}
		return pod
	}
	taint := corev1.Taint{Key: "k", Effect: corev1.TaintEffectNoSchedule}

	for _, tc := range []struct {
		name    string
		attrs   admission.Attributes
		wantErr string
	}{
		{"create own node", attrs(node("n1", map[string]string{"kubernetes.io/hostname": "n1", "topology.kubernetes.io/zone": "a"}, taint), nil, "nodes", "", "n1", admission.Create), ""},
		{"create other node", attrs(node("n2", nil), nil, "nodes", "", "n2", admission.Create), `node "n1" is not allowed to modify node "n2"`},
		{"set node-role label", attrs(node("n1", map[string]string{"node-role.kubernetes.io/master": ""}), nil, "nodes", "", "n1", admission.Create),
			`node "n1" is not allowed to set the following labels: node-role.kubernetes.io/master`},
		{"set node-restriction label", attrs(node("n1", map[string]string{"node-restriction.kubernetes.io/x": "y"}), nil, "nodes", "", "n1", admission.Create),
			"not allowed to set the following labels: node-restriction.kubernetes.io/x"},
		{"set exclude-from-lb label", attrs(node("n1", map[string]string{"node.kubernetes.io/exclude-from-external-load-balancers": ""}), nil, "nodes", "", "n1", admission.Create), ""},
		{"set unprefixed label", attrs(node("n1", map[string]string{"example.com/x": "y"}), nil, "nodes", "", "n1", admission.Create), ""},
		{"modify taints", attrs(node("n1", nil, taint), node("n1", nil), "nodes", "", "n1", admission.Update), `node "n1" is not allowed to modify taints`},
		{"add role label on update", attrs(node("n1", map[string]string{"node-role.kubernetes.io/worker": ""}), node("n1", nil), "nodes", "", "n1", admission.Update),
			"is not allowed to modify labels: node-role.kubernetes.io/worker"},
		{"update own status", attrsSub(node("n1", nil), node("n1", nil), "nodes", "status", "", "n1", admission.Update), ""},
		{"update other's status", attrsSub(node("n2", nil), node("n2", nil), "nodes", "status", "", "n2", admission.Update), `not allowed to modify node "n2"`},
		{"own pod status", attrsSub(ownPod, ownPod, "pods", "status", "ns", "own", admission.Update), ""},
		{"other pod status", attrsSub(otherPod, otherPod, "pods", "status", "ns", "other", admission.Update), "can only update pod status for pods with spec.nodeName set to itself"},
		{"delete own pod", attrs(nil, nil, "pods", "ns", "own", admission.Delete), ""},
		{"delete other pod", attrs(nil, nil, "pods", "ns", "other", admission.Delete), "can only delete pods with spec.nodeName set to itself"},
		{"create mirror pod", attrs(mirror(nil), nil, "pods", "ns", "mirror", admission.Create), ""},
		{"create plain pod", attrs(mirror(func(p *corev1.Pod) { p.Annotations = nil }), nil, "pods", "ns", "mirror", admission.Create), "can only create mirror pods"},
		{"mirror pod with secret", attrs(mirror(func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s"}}}}
		}), nil, "pods", "ns", "mirror", admission.Create), "can not create pods that reference secrets (via volume)"},
		{"mirror pod with wrong node uid", attrs(mirror(func(p *corev1.Pod) { p.OwnerReferences[0].UID = "x" }), nil, "pods", "ns", "mirror", admission.Create), "UID mismatch"},
		{"own lease", attrs(&coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}, nil, "leases", "kube-node-lease", "", admission.Create), ""},
		{"other lease", attrs(&coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "n2"}}, nil, "leases", "kube-node-lease", "", admission.Create), "same name as the requesting node"},
		{"lease outside kube-node-lease", attrs(nil, nil, "leases", "default", "n1", admission.Update), `can only access leases in the "kube-node-lease" system namespace`},
		{"token for own pod", attrsSub(tokenRequest("own", "pod-uid"), nil, "serviceaccounts", "token", "ns", "default", admission.Create), ""},
		{"token for other pod", attrsSub(tokenRequest("other", "other-uid"), nil, "serviceaccounts", "token", "ns", "default", admission.Create), "scheduled on a different node"},
		{"unbound token", attrsSub(&authenticationv1.TokenRequest{}, nil, "serviceaccounts", "token", "ns", "default", admission.Create), "not bound to a pod"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := p.Validate(context.Background(), tc.attrs, nil)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestNonNodesAreNotRestricted(t *testing.T) {
	p := New(informers.NewSharedInformerFactory(fake.NewClientset(), 0))
	a := admission.NewAttributesRecord(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n2"}}, nil, schema.GroupVersionKind{},
		"", "n2", corev1.SchemeGroupVersion.WithResource("nodes"), "", admission.Create, nil, false, &user.DefaultInfo{Name: "admin"})
	if err := p.Validate(context.Background(), a, nil); err != nil {
		t.Fatalf("admin creating a node: %v", err)
	}
}

func tokenRequest(pod string, uid string) *authenticationv1.TokenRequest {
	return &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		BoundObjectRef: &authenticationv1.BoundObjectReference{APIVersion: "v1", Kind: "Pod", Name: pod, UID: types.UID(uid)},
	}}
}

func attrs(obj, old runtime.Object, resource, namespace, name string, op admission.Operation) admission.Attributes {
	return attrsSub(obj, old, resource, "", namespace, name, op)
}

func attrsSub(obj, old runtime.Object, resource, subresource, namespace, name string, op admission.Operation) admission.Attributes {
	gvr := corev1.SchemeGroupVersion.WithResource(resource)
	if resource == "leases" {
		gvr = coordinationv1.SchemeGroupVersion.WithResource(resource)
	}
	n1 := &user.DefaultInfo{Name: "system:node:n1", Groups: []string{"system:nodes"}}
	return admission.NewAttributesRecord(obj, old, schema.GroupVersionKind{}, namespace, name, gvr, subresource, op, nil, false, n1)
}
