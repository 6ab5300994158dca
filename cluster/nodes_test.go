package cluster

import (
	"context"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

func TestNodesRegisterWithTheirOwnIdentity(t *testing.T) {
	ctx := context.Background()
	c, err := Start(ctx, Config{Nodes: 3, Zones: []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	client := kubernetes.NewForConfigOrDie(c.RESTConfig())
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes.Items) != 3 {
		t.Fatalf("got %d nodes, want 3", len(nodes.Items))
	}
	zones := map[string]int{}
	for _, n := range nodes.Items {
		zones[n.Labels[corev1.LabelTopologyZone]]++
		if n.Status.Addresses[0].Type != corev1.NodeInternalIP {
			t.Errorf("node %s: first address %v, want its InternalIP", n.Name, n.Status.Addresses[0])
		}
		var lease *coordinationv1.Lease
		err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			lease, err = client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, n.Name, metav1.GetOptions{})
			return err == nil, nil
		})
		if err != nil {
			t.Errorf("node %s has no lease: %v", n.Name, err)
		} else if *lease.Spec.HolderIdentity != n.Name {
			t.Errorf("lease of %s held by %q", n.Name, *lease.Spec.HolderIdentity)
		}
	}
	if zones["a"] != 2 || zones["b"] != 1 {
		t.Errorf("zones %v, want a:2 b:1", zones)
	}

	// A stopped node stops renewing its lease; removing a node deletes it.
	if err := c.StopNode(NodeName(1)); err != nil {
		t.Fatal(err)
	}
	if !c.Node(NodeName(1)).Kubelet.HeartbeatsPaused() {
		t.Error("StopNode did not pause the heartbeats")
	}
	if err := c.StartNode(NodeName(1)); err != nil {
		t.Fatal(err)
	}
	rmCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := c.RemoveNode(rmCtx, NodeName(3)); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CoreV1().Nodes().Get(ctx, NodeName(3), metav1.GetOptions{}); err == nil {
		t.Error("removed node still exists")
	}
	if got := c.NodeNames(); len(got) != 2 {
		t.Errorf("NodeNames = %v after removing one of three", got)
	}
}
