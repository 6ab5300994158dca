package scheduler

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	testingclock "k8s.io/utils/clock/testing"
)

func TestCacheAssumeForget(t *testing.T) {
	a := testAlgorithm(t, []*corev1.Node{makeNode("n1", 1000, 1<<30)}, nil)
	c := a.cache
	first := makePod("first", withRequests("700m", ""))
	second := makePod("second", withRequests("700m", ""))

	if node, err := schedule(t, a, first); err != nil || node != "n1" {
		t.Fatalf("first: %q, %v", node, err)
	}
	assumed := first.DeepCopy()
	assumed.Spec.NodeName = "n1"
	if err := c.AssumePod(assumed, "n1"); err != nil {
		t.Fatal(err)
	}
	if err := c.AssumePod(assumed, "n1"); err == nil {
		t.Error("assuming a pod twice must fail")
	}
	if !c.IsAssumed(first.UID) || c.nodes["n1"].requested.milliCPU != 700 {
		t.Fatalf("assumed pod not counted: requested %d", c.nodes["n1"].requested.milliCPU)
	}
	if _, err := schedule(t, a, second); err == nil {
		t.Fatal("second pod fits though the assumed one took the cpu")
	}

	c.ForgetPod(assumed)
	if c.IsAssumed(first.UID) || c.nodes["n1"].requested.milliCPU != 0 {
		t.Fatalf("forgotten pod still counted: requested %d", c.nodes["n1"].requested.milliCPU)
	}
	if node, err := schedule(t, a, second); err != nil || node != "n1" {
		t.Fatalf("second after forget: %q, %v", node, err)
	}

	// The informer confirms an assumption: counted once, no longer assumed,
	// and ForgetPod (a late binding error) leaves it alone.
	if err := c.AssumePod(assumed, "n1"); err != nil {
		t.Fatal(err)
	}
	c.AddPod(assumed)
	c.ForgetPod(assumed)
	if c.IsAssumed(first.UID) || c.nodes["n1"].requested.milliCPU != 700 || len(c.nodes["n1"].pods) != 1 {
		t.Fatalf("confirmed pod: assumed=%v requested=%d pods=%d", c.IsAssumed(first.UID), c.nodes["n1"].requested.milliCPU, len(c.nodes["n1"].pods))
	}
	c.RemovePod(assumed)
	if c.nodes["n1"].requested.milliCPU != 0 || len(c.pods) != 0 {
		t.Fatalf("removed pod still counted")
	}
}

func TestCacheNodeOrderInterleavesZones(t *testing.T) {
	c := newSchedulerCache()
	for _, n := range []*corev1.Node{
		makeNode("a1", 1, 1, withZone("a")), makeNode("a2", 1, 1, withZone("a")), makeNode("a3", 1, 1, withZone("a")),
		makeNode("b1", 1, 1, withZone("b")), makeNode("c1", 1, 1, withZone("c")), makeNode("c2", 1, 1, withZone("c")),
	} {
		c.AddNode(n)
	}
	var got []string
	for _, n := range c.order {
		got = append(got, n.node.Name)
	}
	want := []string{"a1", "b1", "c1", "a2", "c2", "a3"}
	if len(got) != len(want) {
		t.Fatalf("order %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v", got, want)
		}
	}
	// A node removed while pods remain keeps their accounting but leaves
	// the search.
	c.AddPod(makePod("p", onNode("b1")))
	c.RemoveNode("b1")
	if len(c.order) != 5 || c.nodes["b1"] == nil || len(c.nodes["b1"].pods) != 1 {
		t.Fatalf("after removing b1: order %d nodes, b1 info %v", len(c.order), c.nodes["b1"])
	}
}

func TestQueueBackoff(t *testing.T) {
	clk := testingclock.NewFakeClock(t0)
	q := newSchedulingQueue(clk, time.Second, 10*time.Second, 5*time.Minute)
	qp := &queuedPod{}
	for _, tc := range []struct {
		count int
		want  time.Duration
	}{{0, 0}, {1, time.Second}, {2, 2 * time.Second}, {4, 8 * time.Second}, {5, 10 * time.Second}, {100, 10 * time.Second}} {
		qp.unschedulableCount = tc.count
		if got := q.backoffDuration(qp); got != tc.want {
			t.Errorf("backoff after %d attempts = %v, want %v", tc.count, got, tc.want)
		}
	}
}

func TestQueueErrorBackoffAndEvents(t *testing.T) {
	clk := testingclock.NewFakeClock(t0)
	q := newSchedulingQueue(clk, time.Second, 10*time.Second, 5*time.Minute)
	pod := makePod("p")
	q.Add(pod)
	if qp, _ := q.Pop(); qp == nil || qp.attempts != 1 {
		t.Fatalf("Pop = %v", qp)
	}

	// An error backs off 1s, and is not popped early even though the active
	// queue is empty.
	q.AddUnschedulable(pod, nil, true)
	if st := q.stateOf(pod.UID); st != inBackoff {
		t.Fatalf("state after error = %v, want backoff", st)
	}
	clk.Step(time.Second)
	q.flushBackoffCompleted()
	if st := q.stateOf(pod.UID); st != inActive {
		t.Fatalf("state after backoff = %v, want active", st)
	}

	// Rejected by TaintToleration: parked until an event that plugin cares
	// about.
	q.Pop()
	q.AddUnschedulable(pod, sets.New(TaintToleration), false)
	if st := q.stateOf(pod.UID); st != inUnschedulable {
		t.Fatalf("state after rejection = %v, want unschedulable", st)
	}
	q.MoveAllToActiveOrBackoff(eventAssignedPodDelete, nil)
	if st := q.stateOf(pod.UID); st != inUnschedulable {
		t.Fatalf("a pod deletion moved a pod rejected for taints")
	}
	q.MoveAllToActiveOrBackoff(eventNodeTaint, func(p *corev1.Pod) bool { return p.UID == pod.UID })
	if st := q.stateOf(pod.UID); st != inUnschedulable {
		t.Fatalf("a skipped pod was moved")
	}
	q.MoveAllToActiveOrBackoff(eventNodeTaint, nil)
	if st := q.stateOf(pod.UID); st != inBackoff && st != inActive {
		t.Fatalf("state after taint change = %v, want backoff or active", st)
	}

	// An event during the attempt sends the pod to backoff, not the pool.
	q.Pop()
	q.MoveAllToActiveOrBackoff(eventNodeAdd, nil)
	q.AddUnschedulable(pod, sets.New(NodeResourcesFit), false)
	if st := q.stateOf(pod.UID); st == inUnschedulable {
		t.Fatalf("pod parked though the cluster changed during its attempt")
	}

	// Parked pods are retried after PodMaxInUnschedulablePodsDuration.
	q.Pop()
	q.AddUnschedulable(pod, sets.New(NodeResourcesFit), false)
	clk.Step(5 * time.Minute)
	q.flushUnschedulableLeftover()
	if st := q.stateOf(pod.UID); st != inUnschedulable {
		t.Fatalf("flushed before the duration was exceeded")
	}
	clk.Step(time.Second)
	q.flushUnschedulableLeftover()
	if st := q.stateOf(pod.UID); st == inUnschedulable {
		t.Fatalf("not flushed after %v", 5*time.Minute+time.Second)
	}

	q.Delete(pod.UID)
	if a, b, u, f := q.counts(); a+b+u+f != 0 {
		t.Fatalf("queue not empty after delete: %d %d %d %d", a, b, u, f)
	}
}

func TestQueuePriorityOrder(t *testing.T) {
	clk := testingclock.NewFakeClock(t0)
	q := newSchedulingQueue(clk, time.Second, 10*time.Second, 5*time.Minute)
	high := int32(1000)
	q.Add(makePod("low-first"))
	clk.Step(time.Second)
	q.Add(makePod("high", func(p *corev1.Pod) { p.Spec.Priority = &high }))
	clk.Step(time.Second)
	q.Add(makePod("low-second"))
	for _, want := range []string{"high", "low-first", "low-second"} {
		if _, pod := q.Pop(); pod.Name != want {
			t.Fatalf("popped %s, want %s", pod.Name, want)
		}
	}
	q.Close()
	if qp, _ := q.Pop(); qp != nil {
		t.Fatal("Pop after Close returned a pod")
	}
}
