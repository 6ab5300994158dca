package e2e

import (
	"context"
	"testing"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/k1s-dev/k1s/cluster"
	"github.com/k1s-dev/k1s/e2e/framework"
	"github.com/k1s-dev/k1s/pki"
)

// TestControlPlaneIdentities: each bootstrap control-plane role lets its component do its
// job and nothing more (the seed's cloud-controller-manager ClusterRole among them).
func TestControlPlaneIdentities(t *testing.T) {
	t.Parallel()
	c := framework.Start(t, cluster.Config{Nodes: 1})
	ctx := context.Background()
	node := cluster.NodeName(1)
	pod := simplePod("victim", node, nil)
	if _, err := c.Client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	ccm := userClient(t, c, "system:cloud-controller-manager")
	// The seed's ClusterRole: nodes may be read and patched (labels, provider ID), node
	// status updated, services/status patched for load balancers, events created.
	patch := []byte(`{"metadata":{"labels":{"node.kubernetes.io/instance-type":"local.small"}}}`)
	if _, err := ccm.CoreV1().Nodes().Patch(ctx, node, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Errorf("cloud controller manager patching a node: %v", err)
	}
	if _, err := ccm.CoreV1().Services("default").List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("cloud controller manager listing services: %v", err)
	}
	if _, err := ccm.CoordinationV1().Leases("kube-system").Create(ctx, leaseFor("cloud-controller-manager"), metav1.CreateOptions{}); err != nil {
		t.Errorf("cloud controller manager creating its leader election lease: %v", err)
	}
	if err := ccm.CoreV1().Pods("default").Delete(ctx, "victim", metav1.DeleteOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("cloud controller manager deleting a pod: got %v, want 403 Forbidden", err)
	}
	if _, err := ccm.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("cloud controller manager listing secrets: got %v, want 403 Forbidden", err)
	}

	scheduler := userClient(t, c, "system:kube-scheduler")
	if err := scheduler.CoreV1().Pods("default").Bind(ctx, &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: "pending"}, Target: corev1.ObjectReference{Kind: "Node", Name: node},
	}, metav1.CreateOptions{}); !apierrors.IsNotFound(err) {
		// Allowed, and the pod does not exist: NotFound proves authorization passed.
		t.Errorf("scheduler binding a missing pod: got %v, want 404 NotFound", err)
	}
	if err := scheduler.CoreV1().Pods("default").Delete(ctx, "victim", metav1.DeleteOptions{}); err != nil {
		t.Errorf("scheduler deleting a pod (preemption): %v", err)
	}
	if _, err := scheduler.CoreV1().Nodes().Patch(ctx, node, types.MergePatchType, patch, metav1.PatchOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("scheduler patching a node: got %v, want 403 Forbidden", err)
	}

	kcm := userClient(t, c, "system:kube-controller-manager")
	if _, err := kcm.CoreV1().Pods("").List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("controller manager listing pods: %v", err)
	}
	if _, err := kcm.CoreV1().Nodes().Patch(ctx, node, types.MergePatchType, patch, metav1.PatchOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("controller manager (not a controller's service account) patching a node: got %v, want 403", err)
	}
}

func userClient(t *testing.T, c *framework.Cluster, user string, groups ...string) kubernetes.Interface {
	t.Helper()
	kp, err := c.CA().EnsureClient(t.TempDir(), "user", pki.ClientSpec{CommonName: user, Organizations: groups})
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := kp.Load()
	if err != nil {
		t.Fatal(err)
	}
	return kubernetes.NewForConfigOrDie(&rest.Config{Host: c.RESTConfig().Host,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.CA().CertPEM(), CertData: certPEM, KeyData: keyPEM}})
}

func leaseFor(name string) *coordinationv1.Lease {
	holder := name
	return &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kube-system"},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: &holder}}
}
