package scheduler

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/k1s-dev/k1s/controllers/internal/controllertest"
)

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg     Config
		wantErr string
	}{
		{Config{}, ""},
		{DefaultConfig(), ""},
		{Config{Parallelism: -1}, "parallelism"},
		{Config{PercentageOfNodesToScore: 101}, "percentageOfNodesToScore"},
		{Config{PodInitialBackoffSeconds: 20}, "podMaxBackoffSeconds"},
		{Config{PodMaxInUnschedulablePodsDuration: -time.Second}, "--pod-max-in-unschedulable-pods-duration"},
	} {
		err := tc.cfg.Validate()
		if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("Validate(%+v) = %v, want error naming %q", tc.cfg, err, tc.wantErr)
		}
	}
	if d := DefaultConfig(); d.SchedulerName != "default-scheduler" || d.Parallelism != 16 || d.PodInitialBackoffSeconds != 1 ||
		d.PodMaxBackoffSeconds != 10 || d.PodMaxInUnschedulablePodsDuration != 5*time.Minute {
		t.Errorf("DefaultConfig() = %+v", d)
	}
}

func TestBindsAndRecordsScheduled(t *testing.T) {
	other := makePod("other", func(p *corev1.Pod) { p.Spec.SchedulerName = "my-scheduler" })
	h := newHarness(t, makeNode("n1", 4000, 8<<30), makePod("web"), other)
	if node := h.waitBound("web"); node != "n1" {
		t.Fatalf("bound to %q", node)
	}
	controllertest.Eventually(t, func() bool {
		return h.rec.Has(EventScheduled, "Successfully assigned default/web to n1")
	}, "Scheduled event; events:\n%s", h.rec.Dump())

	h.mu.Lock()
	b := h.bindings[0]
	h.mu.Unlock()
	if b.Name != "web" || b.Namespace != "default" || b.UID != "uid-web" || b.Target.Kind != "Node" || b.Target.Name != "n1" {
		t.Errorf("binding = %+v", b)
	}
	// The informer's bound pod replaced the assumption.
	controllertest.Eventually(t, func() bool { return !h.s.cache.IsAssumed("uid-web") && h.s.cache.podNode("uid-web") == "n1" },
		"assumption confirmed")
	if h.getPod("other").Spec.NodeName != "" {
		t.Error("a pod of another scheduler was bound")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.bindings) != 1 {
		t.Errorf("%d bindings, want 1", len(h.bindings))
	}
}

// TestUnschedulableThenNodeAdded: a pod that fits nowhere gets the FitError
// in its PodScheduled condition and a FailedScheduling event, waits, and is
// scheduled once a fitting node joins.
func TestUnschedulableThenNodeAdded(t *testing.T) {
	h := newHarness(t,
		makeNode("tainted", 4000, 8<<30, withTaint(corev1.TaintNodeUnreachable, "", corev1.TaintEffectNoExecute)),
		makeNode("small", 500, 8<<30),
		makePod("web", withRequests("1", "")),
	)
	const msg = "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint(s). " +
		"preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
	controllertest.Eventually(t, func() bool {
		c := podScheduledCondition(h.getPod("web"))
		return c != nil
	}, "PodScheduled condition; events:\n%s", h.rec.Dump())
	c := podScheduledCondition(h.getPod("web"))
	if c.Status != corev1.ConditionFalse || c.Reason != corev1.PodReasonUnschedulable || c.Message != msg || !c.LastTransitionTime.Time.Equal(t0) {
		t.Errorf("condition = %+v, want False/Unschedulable %q at %v", c, msg, t0)
	}
	if !h.rec.Has(EventFailedScheduling, msg) {
		t.Errorf("no FailedScheduling event %q; events:\n%s", msg, h.rec.Dump())
	}
	controllertest.Eventually(t, func() bool { return h.s.queue.stateOf("uid-web") == inUnschedulable }, "pod parked")

	if _, err := h.client.CoreV1().Nodes().Create(h.ctx, makeNode("big", 4000, 8<<30), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if node := h.waitBound("web"); node != "big" {
		t.Fatalf("bound to %q, want big", node)
	}
}

// TestRetryWhenPodLeavesNode: room freed by a deleted pod is an event that
// retries a pod rejected for resources.
func TestRetryWhenPodLeavesNode(t *testing.T) {
	h := newHarness(t,
		makeNode("n1", 1000, 8<<30),
		makePod("old", onNode("n1"), withRequests("800m", "")),
		makePod("new", withRequests("500m", "")),
	)
	controllertest.Eventually(t, func() bool { return h.s.queue.stateOf("uid-new") == inUnschedulable }, "pod parked; events:\n%s", h.rec.Dump())
	if !h.rec.Has(EventFailedScheduling, "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.") {
		t.Errorf("events:\n%s", h.rec.Dump())
	}
	if err := h.client.CoreV1().Pods("default").Delete(h.ctx, "old", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if node := h.waitBound("new"); node != "n1" {
		t.Fatalf("bound to %q", node)
	}
}

// TestRetryAfterMaxUnschedulableDuration: with no event, a parked pod is
// retried after podMaxInUnschedulablePodsDuration (5 min) on the clock.
func TestRetryAfterMaxUnschedulableDuration(t *testing.T) {
	h := newHarness(t, makeNode("n1", 1000, 8<<30, withUnschedulable()), makePod("web"))
	controllertest.Eventually(t, func() bool { return h.s.queue.stateOf("uid-web") == inUnschedulable }, "pod parked")
	if n := len(h.rec.Find(EventFailedScheduling)); n != 1 {
		t.Fatalf("%d FailedScheduling events before the flush, want 1", n)
	}
	h.clock.Step(5*time.Minute + unschedulableFlushPeriod)
	controllertest.Eventually(t, func() bool { return len(h.rec.Find(EventFailedScheduling)) == 2 },
		"second attempt; events:\n%s", h.rec.Dump())
}

// TestBindingFailure: a failed binding forgets the assumption, records the
// error, and retries the pod after its backoff.
func TestBindingFailure(t *testing.T) {
	h := newHarness(t)
	h.mu.Lock()
	h.failBinds = 1
	h.mu.Unlock()
	if _, err := h.client.CoreV1().Nodes().Create(h.ctx, makeNode("n1", 1000, 8<<30), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.CoreV1().Pods("default").Create(h.ctx, makePod("web"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, func() bool { return h.rec.Has(EventFailedScheduling, "injected binding failure") },
		"binding failure event; events:\n%s", h.rec.Dump())
	controllertest.Eventually(t, func() bool { return h.s.queue.stateOf("uid-web") == inBackoff }, "pod backing off")
	if h.s.cache.IsAssumed("uid-web") {
		t.Error("assumption kept after the binding failed")
	}
	controllertest.Eventually(t, func() bool {
		c := podScheduledCondition(h.getPod("web"))
		return c != nil && c.Reason == corev1.PodReasonSchedulerError && c.Message == "injected binding failure"
	}, "SchedulerError condition")

	h.clock.Step(time.Second)
	if node := h.waitBound("web"); node != "n1" {
		t.Fatalf("bound to %q", node)
	}
}

// TestSpreadsReplicaSetAcrossZonesEndToEnd runs the whole loop (informers,
// queue, asynchronous binding) for six replicas over three single-node zones.
func TestSpreadsReplicaSetAcrossZonesEndToEnd(t *testing.T) {
	rs := makeRS("web")
	h := newHarness(t, rs,
		makeNode("a", 8000, 16<<30, withZone("a")), makeNode("b", 8000, 16<<30, withZone("b")), makeNode("c", 8000, 16<<30, withZone("c")))
	for i := range 6 {
		if _, err := h.client.CoreV1().Pods("default").Create(h.ctx, makePod("web-"+string(rune('0'+i)), withOwnerRS(rs)), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	perNode := map[string]int{}
	for i := range 6 {
		perNode[h.waitBound("web-"+string(rune('0'+i)))]++
	}
	for _, n := range []string{"a", "b", "c"} {
		if perNode[n] != 2 {
			t.Fatalf("replicas per zone = %v, want 2 each", perNode)
		}
	}
}

// TestBindingsInFlightBounded: pods assumed faster than the apiserver binds them never
// have more than maxAPICallsInFlight bindings in flight, and all bind once it answers.
func TestBindingsInFlightBounded(t *testing.T) {
	h := newHarness(t)
	release := make(chan struct{})
	var mu sync.Mutex
	inFlight, peak, bound := 0, 0, 0
	h.s.bind = func(ctx context.Context, pod *corev1.Pod, node string) error {
		mu.Lock()
		inFlight++
		peak = max(peak, inFlight)
		mu.Unlock()
		select {
		case <-release:
		case <-ctx.Done():
		}
		err := h.s.bindPod(ctx, pod, node)
		mu.Lock()
		inFlight--
		if err == nil {
			bound++
		}
		mu.Unlock()
		return err
	}
	if _, err := h.client.CoreV1().Nodes().Create(h.ctx, makeNode("n1", 1000, 8<<30, withAllocatable(corev1.ResourcePods, "1000")), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Pods are created in batches that the informer has seen before the next: the fake
	// clientset's watch channel holds 100 events and panics when full.
	const pods, batch = maxAPICallsInFlight + 16, 40
	assumed := func(n int) func() bool {
		return func() bool {
			for i := range n {
				if !h.s.cache.IsAssumed(types.UID(fmt.Sprintf("uid-p%03d", i))) {
					return false
				}
			}
			return true
		}
	}
	for start := 0; start < pods; start += batch {
		for i := start; i < min(start+batch, pods); i++ {
			if _, err := h.client.CoreV1().Pods("default").Create(h.ctx, makePod(fmt.Sprintf("p%03d", i)), metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		controllertest.Eventually(t, assumed(min(start+batch, pods)), "first %d pods assumed", min(start+batch, pods))
	}
	// Every pod is assumed (the scheduling cycle does not wait for bindings) while
	// only maxAPICallsInFlight bindings have started.
	controllertest.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return inFlight == maxAPICallsInFlight
	}, "%d bindings in flight", maxAPICallsInFlight)
	close(release)
	controllertest.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return bound == pods
	}, "all pods bound")
	mu.Lock()
	defer mu.Unlock()
	if peak != maxAPICallsInFlight {
		t.Errorf("peak bindings in flight = %d, want %d", peak, maxAPICallsInFlight)
	}
}
