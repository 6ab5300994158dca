package node

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
)

func TestIdentity(t *testing.T) {
	for _, tc := range []struct {
		user     user.Info
		wantName string
		wantNode bool
	}{
		{&user.DefaultInfo{Name: "system:node:n1", Groups: []string{"system:nodes"}}, "n1", true},
		{&user.DefaultInfo{Name: "system:node:n1"}, "", false},
		{&user.DefaultInfo{Name: "alice", Groups: []string{"system:nodes"}}, "", false},
		{&user.DefaultInfo{Name: "system:node:", Groups: []string{"system:nodes"}}, "", true},
	} {
		name, isNode := Identity(tc.user)
		if name != tc.wantName || isNode != tc.wantNode {
			t.Errorf("Identity(%v) = %q, %v; want %q, %v", tc.user, name, isNode, tc.wantName, tc.wantNode)
		}
	}
}

func TestAuthorize(t *testing.T) {
	factory := informers.NewSharedInformerFactory(fake.NewClientset(), 0)
	podInformer := factory.Core().V1().Pods()
	nodeRules := []rbacv1.PolicyRule{{Verbs: []string{"get", "list", "watch"}, APIGroups: []string{""}, Resources: []string{"services"}}}
	authz, err := New(podInformer, nodeRules)
	if err != nil {
		t.Fatal(err)
	}
	indexer := podInformer.Informer().GetIndexer()
	for _, pod := range []*corev1.Pod{
		{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "on-n1"},
			Spec: corev1.PodSpec{
				NodeName:           "n1",
				ServiceAccountName: "sa1",
				Volumes: []corev1.Volume{
					{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "vol-secret"}}},
					{Name: "p", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
						{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "proj-cm"}}},
					}}}},
				},
				Containers: []corev1.Container{{Name: "c", Env: []corev1.EnvVar{{Name: "E", ValueFrom: &corev1.EnvVarSource{
					SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "env-secret"}, Key: "k"},
				}}}}},
			},
		},
		{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "on-n2"}, Spec: corev1.PodSpec{NodeName: "n2", Volumes: []corev1.Volume{
			{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "n2-secret"}}},
		}}},
	} {
		if err := indexer.Add(pod); err != nil {
			t.Fatal(err)
		}
	}
	n1 := &user.DefaultInfo{Name: "system:node:n1", Groups: []string{"system:nodes", "system:authenticated"}}
	onN1 := fields.Requirements{{Field: "spec.nodeName", Operator: selection.Equals, Value: "n1"}}
	onN2 := fields.Requirements{{Field: "spec.nodeName", Operator: selection.Equals, Value: "n2"}}

	for _, tc := range []struct {
		name  string
		attrs authorizer.AttributesRecord
		want  authorizer.Decision
	}{
		{"get own node", res("get", "", "nodes", "", "n1"), authorizer.DecisionAllow},
		{"get other node", res("get", "", "nodes", "", "n2"), authorizer.DecisionNoOpinion},
		{"list all nodes", res("list", "", "nodes", "", ""), authorizer.DecisionNoOpinion},
		{"update node status", sub(res("patch", "", "nodes", "", "n1"), "status"), authorizer.DecisionAllow},
		{"delete own node", res("delete", "", "nodes", "", "n1"), authorizer.DecisionNoOpinion},
		{"list own pods", withFields(res("list", "", "pods", "", ""), onN1), authorizer.DecisionAllow},
		{"watch other node's pods", withFields(res("watch", "", "pods", "", ""), onN2), authorizer.DecisionNoOpinion},
		{"list all pods", res("list", "", "pods", "", ""), authorizer.DecisionNoOpinion},
		{"get own pod", res("get", "", "pods", "ns", "on-n1"), authorizer.DecisionAllow},
		{"get other node's pod", res("get", "", "pods", "ns", "on-n2"), authorizer.DecisionNoOpinion},
		{"update pod status", sub(res("update", "", "pods", "ns", "on-n1"), "status"), authorizer.DecisionAllow},
		{"pod exec", sub(res("create", "", "pods", "ns", "on-n1"), "exec"), authorizer.DecisionNoOpinion},
		{"secret from volume", res("get", "", "secrets", "ns", "vol-secret"), authorizer.DecisionAllow},
		{"secret from env", res("watch", "", "secrets", "ns", "env-secret"), authorizer.DecisionAllow},
		{"secret of another node's pod", res("get", "", "secrets", "ns", "n2-secret"), authorizer.DecisionNoOpinion},
		{"secret list without name", res("list", "", "secrets", "ns", ""), authorizer.DecisionNoOpinion},
		{"secret in wrong namespace", res("get", "", "secrets", "other", "vol-secret"), authorizer.DecisionNoOpinion},
		{"projected configmap", res("get", "", "configmaps", "ns", "proj-cm"), authorizer.DecisionAllow},
		{"token for own pod's SA", sub(res("create", "", "serviceaccounts", "ns", "sa1"), "token"), authorizer.DecisionAllow},
		{"token for other SA", sub(res("create", "", "serviceaccounts", "ns", "default"), "token"), authorizer.DecisionNoOpinion},
		{"own lease", res("update", "coordination.k8s.io", "leases", "kube-node-lease", "n1"), authorizer.DecisionAllow},
		{"other node's lease", res("update", "coordination.k8s.io", "leases", "kube-node-lease", "n2"), authorizer.DecisionNoOpinion},
		{"lease elsewhere", res("get", "coordination.k8s.io", "leases", "kube-system", "n1"), authorizer.DecisionNoOpinion},
		{"static rule", res("list", "", "services", "", ""), authorizer.DecisionAllow},
		{"outside static rules", res("list", "", "endpoints", "", ""), authorizer.DecisionNoOpinion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.attrs.User = n1
			got, reason, err := authz.Authorize(context.Background(), tc.attrs)
			if err != nil || got != tc.want {
				t.Errorf("Authorize = %v (%q, %v), want %v", got, reason, err, tc.want)
			}
		})
	}

	alice := res("get", "", "nodes", "", "n1")
	alice.User = &user.DefaultInfo{Name: "alice"}
	if got, _, _ := authz.Authorize(context.Background(), alice); got != authorizer.DecisionNoOpinion {
		t.Errorf("non-node user got %v, want no opinion", got)
	}
}

func res(verb, group, resource, namespace, name string) authorizer.AttributesRecord {
	return authorizer.AttributesRecord{Verb: verb, APIGroup: group, APIVersion: "v1", Resource: resource, Namespace: namespace, Name: name, ResourceRequest: true}
}

func sub(a authorizer.AttributesRecord, subresource string) authorizer.AttributesRecord {
	a.Subresource = subresource
	return a
}

func withFields(a authorizer.AttributesRecord, reqs fields.Requirements) authorizer.AttributesRecord {
	a.FieldSelectorRequirements = reqs
	return a
}
