package nodelifecycle

import (
	"context"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/klog/v2/ktesting"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/k1s-dev/k1s/controllers/internal/controllertest"
)

// TestRun runs the whole controller, as the cluster does, on a fake clock: the
// event-driven NoSchedule and label workers, the monitor and tainting loops,
// and events written through the controller's own client.
func TestRun(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	clk := testingclock.NewFakeClock(t0)
	client := fake.NewClientset(
		newNode("n1", withConditions(corev1.ConditionTrue, t0), withLabel(corev1.LabelOSStable, "linux"), withLabel(corev1.LabelArchStable, "amd64")),
		newLease("n1", t0, ""),
		newNode("n2", withConditions(corev1.ConditionTrue, t0)),
		newLease("n2", t0, ""),
		newPod("p", "n2"),
	)
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := New(Config{Clock: clk}, client, factory, nil)
	if err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	done := make(chan error)
	go func() { done <- c.Run(ctx) }()
	select {
	case <-c.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("controller not ready")
	}
	if err := c.Run(ctx); err == nil {
		t.Error("a second Run must fail")
	}

	node := func(name string) *corev1.Node {
		n, err := client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	hasTaint := func(name, key string, effect corev1.TaintEffect) bool {
		return slices.ContainsFunc(node(name).Spec.Taints, func(t corev1.Taint) bool { return t.Key == key && t.Effect == effect })
	}

	controllertest.Eventually(t, func() bool {
		l := node("n1").Labels
		return l[labelBetaOS] == "linux" && l[labelBetaArch] == "amd64"
	}, "beta os/arch labels on n1")

	// spec.unschedulable drives the unschedulable taint, both ways.
	setUnschedulable := func(v bool) {
		n := node("n1")
		n.Spec.Unschedulable = v
		if _, err := client.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	setUnschedulable(true)
	controllertest.Eventually(t, func() bool {
		return hasTaint("n1", corev1.TaintNodeUnschedulable, corev1.TaintEffectNoSchedule)
	}, "unschedulable taint added")
	setUnschedulable(false)
	controllertest.Eventually(t, func() bool {
		return !hasTaint("n1", corev1.TaintNodeUnschedulable, corev1.TaintEffectNoSchedule)
	}, "unschedulable taint removed")

	// n2's kubelet is gone; n1 keeps renewing. Advance the fake clock a second
	// at a time until n2 carries both unreachable taints.
	renew := func() {
		l, err := client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, "n1", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		l.Spec.RenewTime = &metav1.MicroTime{Time: clk.Now()}
		if _, err := client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Update(ctx, l, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for !(hasTaint("n2", corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute) && hasTaint("n2", corev1.TaintNodeUnreachable, corev1.TaintEffectNoSchedule)) {
		if time.Now().After(deadline) {
			t.Fatalf("n2 not tainted unreachable by t0+%v; taints %v", clk.Since(t0), node("n2").Spec.Taints)
		}
		if elapsed := clk.Since(t0); elapsed < 200*time.Second {
			clk.Step(time.Second)
			if clk.Since(t0)%(10*time.Second) == 0 {
				renew()
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	if elapsed := clk.Since(t0); elapsed <= 50*time.Second {
		t.Errorf("n2 tainted at t0+%v, before the 50s grace period ran out", elapsed)
	}
	if hasTaint("n1", corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute) {
		t.Error("n1 keeps renewing its lease but got tainted")
	}
	controllertest.Eventually(t, func() bool {
		p, err := client.CoreV1().Pods(metav1.NamespaceDefault).Get(ctx, "p", metav1.GetOptions{})
		return err == nil && slices.ContainsFunc(p.Status.Conditions, func(c corev1.PodCondition) bool {
			return c.Type == corev1.PodReady && c.Status == corev1.ConditionFalse
		})
	}, "pod on n2 marked NotReady")

	// Events went through the controller's own client, from node-controller.
	controllertest.Eventually(t, func() bool {
		events, err := client.CoreV1().Events("").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false
		}
		var registered, notReady bool
		for _, e := range events.Items {
			if e.Source.Component != EventSourceComponent {
				continue
			}
			registered = registered || (e.Reason == EventRegisteredNode && e.Message == "Node n2 event: Registered Node n2 in Controller")
			notReady = notReady || (e.Reason == EventNodeNotReady && e.InvolvedObject.Kind == "Node" && e.Message == "Node n2 status is now: NodeNotReady")
		}
		return registered && notReady
	}, "RegisteredNode and NodeNotReady events from node-controller")

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v, want nil on cancellation", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancellation")
	}
}
