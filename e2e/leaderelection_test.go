package e2e

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/k1s-dev/k1s/apiserver/etcd"
	"github.com/k1s-dev/k1s/cluster"
	"github.com/k1s-dev/k1s/e2e/framework"
)

// TestLeaderElectionTwoControlPlanes: two k1s control planes on one etcd. The first
// holds the kube-controller-manager lease and its controllers act; the second stands
// by. When the first stops it releases the lease, and the second takes over: its node
// lifecycle controller taints a new node that never reports.
func TestLeaderElectionTwoControlPlanes(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	e, err := etcd.Start(ctx, etcd.Config{DataDir: t.TempDir(), UnsafeNoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	le := cluster.LeaderElection{LeaseDuration: 4 * time.Second, RenewDeadline: 3 * time.Second, RetryPeriod: 500 * time.Millisecond}
	a := framework.Start(t, cluster.Config{EtcdServers: []string{e.Endpoint()}, LeaderElection: le})
	b := framework.Start(t, cluster.Config{EtcdServers: []string{e.Endpoint()}, LeaderElection: le})
	if a.LeaderElectionIdentity() == b.LeaderElectionIdentity() {
		t.Fatalf("both control planes have the identity %q", a.LeaderElectionIdentity())
	}

	holder := func(ctx context.Context, name string) (string, error) {
		lease, err := b.Client.CoordinationV1().Leases(metav1.NamespaceSystem).Get(ctx, name, metav1.GetOptions{})
		if err != nil || lease.Spec.HolderIdentity == nil {
			return "", err
		}
		return *lease.Spec.HolderIdentity, nil
	}
	for _, name := range []string{"kube-controller-manager", "kube-scheduler"} {
		got, err := holder(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if got != a.LeaderElectionIdentity() {
			t.Fatalf("lease %s held by %q, want the first control plane %q", name, got, a.LeaderElectionIdentity())
		}
	}

	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	framework.Eventually(t, 30*time.Second, "the second control plane to take the lease", func(ctx context.Context) (bool, error) {
		got, err := holder(ctx, "kube-controller-manager")
		return got == b.LeaderElectionIdentity(), err
	})
	// The new leader's node lifecycle controller observes a node created now and
	// records RegisteredNode for it.
	node, err := b.Client.CoreV1().Nodes().Create(ctx, newNode(uniqueName("standby")), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	framework.Eventually(t, 30*time.Second, "the new leader's node lifecycle controller to register the node", func(ctx context.Context) (bool, error) {
		events, err := b.Client.CoreV1().Events(metav1.NamespaceDefault).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=" + node.Name})
		if err != nil {
			return false, err
		}
		for _, ev := range events.Items {
			if ev.Reason == "RegisteredNode" && ev.Type == corev1.EventTypeNormal {
				return true, nil
			}
		}
		return false, nil
	})
}

// TestLeaderElectionLostLease: when the controller manager loses its lease (here:
// another holder takes it over), its controllers stop, and it campaigns again
// instead of taking the cluster down; once the other holder's lease expires it leads
// again with new controllers, which act (a new Deployment gets its pods).
func TestLeaderElectionLostLease(t *testing.T) {
	t.Parallel()
	le := cluster.LeaderElection{LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 250 * time.Millisecond}
	c := framework.Start(t, cluster.Config{Nodes: 1, LeaderElection: le})
	ctx := testContext(t)
	leases := c.Client.CoordinationV1().Leases(metav1.NamespaceSystem)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		lease, err := leases.Get(ctx, "kube-controller-manager", metav1.GetOptions{})
		if err != nil {
			return err
		}
		lease.Spec.HolderIdentity = ptr.To("intruder")
		lease.Spec.RenewTime = &metav1.MicroTime{Time: time.Now()}
		lease.Spec.LeaseDurationSeconds = ptr.To(int32(3))
		_, err = leases.Update(ctx, lease, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	framework.Eventually(t, 30*time.Second, "the controller manager to lead again", func(ctx context.Context) (bool, error) {
		lease, err := leases.Get(ctx, "kube-controller-manager", metav1.GetOptions{})
		return err == nil && lease.Spec.HolderIdentity != nil && *lease.Spec.HolderIdentity == c.LeaderElectionIdentity(), err
	})
	select {
	case <-c.Done():
		t.Fatalf("the cluster stopped: %v", c.Err())
	default:
	}
	ns := createNamespace(t, c)
	c.Kubectl(t, "-n", ns, "create", "deployment", "web", "--image=nginx:1.27", "--replicas=2")
	waitRunningReplicas(t, c, ns, "web", 2)
}
