package tainteviction

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

const never = time.Duration(-1)

// TestEvictionTiming taints a node under a running pod and checks, on the fake
// clock, when the pod is deleted: at once, after its tolerationSeconds and not
// a second before, or never.
func TestEvictionTiming(t *testing.T) {
	unreachable := corev1.TaintNodeUnreachable
	notReady := corev1.TaintNodeNotReady
	tests := []struct {
		name        string
		taints      []corev1.Taint
		tolerations []corev1.Toleration
		wantAfter   time.Duration
	}{
		{name: "no toleration: deleted at once", taints: []corev1.Taint{taint(unreachable)}, wantAfter: 0},
		{name: "toleration for another taint: deleted at once", taints: []corev1.Taint{taint(unreachable)}, tolerations: []corev1.Toleration{tolerate(notReady, 300)}, wantAfter: 0},
		{name: "tolerationSeconds=300: deleted after 300s", taints: []corev1.Taint{taint(unreachable)}, tolerations: []corev1.Toleration{tolerate(notReady, 300), tolerate(unreachable, 300)}, wantAfter: 300 * time.Second},
		{name: "tolerated forever: kept", taints: []corev1.Taint{taint(unreachable)}, tolerations: []corev1.Toleration{tolerate(unreachable)}, wantAfter: never},
		{name: "empty key with Exists tolerates every taint forever", taints: []corev1.Taint{taint(unreachable), taint("example.com/x")}, tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}}, wantAfter: never},
		{name: "tolerationSeconds=0: deleted at once", taints: []corev1.Taint{taint(unreachable)}, tolerations: []corev1.Toleration{tolerate(unreachable, 0)}, wantAfter: 0},
		{name: "negative tolerationSeconds: deleted at once", taints: []corev1.Taint{taint(unreachable)}, tolerations: []corev1.Toleration{tolerate(unreachable, -5)}, wantAfter: 0},
		{
			name:        "two taints: the shortest toleration wins",
			taints:      []corev1.Taint{taint(unreachable), taint(notReady)},
			tolerations: []corev1.Toleration{tolerate(unreachable, 300), tolerate(notReady, 100)},
			wantAfter:   100 * time.Second,
		},
		{
			name:        "one taint forever, one for 60s",
			taints:      []corev1.Taint{taint(unreachable), taint("example.com/x")},
			tolerations: []corev1.Toleration{tolerate(unreachable), tolerate("example.com/x", 60)},
			wantAfter:   60 * time.Second,
		},
		{
			name:        "NoSchedule taints do not evict",
			taints:      []corev1.Taint{{Key: unreachable, Effect: corev1.TaintEffectNoSchedule}},
			tolerations: nil,
			wantAfter:   never,
		},
		{
			name:        "value must match with operator Equal",
			taints:      []corev1.Taint{{Key: "example.com/x", Value: "a", Effect: corev1.TaintEffectNoExecute}},
			tolerations: []corev1.Toleration{{Key: "example.com/x", Operator: corev1.TolerationOpEqual, Value: "b", Effect: corev1.TaintEffectNoExecute}},
			wantAfter:   0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{}, newNode("n1"), newPod("p", "n1", tc.tolerations...), newPod("elsewhere", "n2"))
			h.setTaints("n1", tc.taints...)
			switch tc.wantAfter {
			case 0:
				h.waitDeleted("p")
			case never:
				if h.scheduled("p") || h.clock.HasWaiters() {
					t.Fatal("a deletion is scheduled for a pod that tolerates the taints forever")
				}
				h.clock.Step(24 * time.Hour)
				if h.deleted("p") {
					t.Fatal("pod deleted, want it kept")
				}
			default:
				if !h.scheduled("p") {
					t.Fatal("no deletion scheduled")
				}
				h.clock.Step(tc.wantAfter - time.Second)
				if h.deleted("p") {
					t.Fatalf("pod deleted at t0+%v, before its tolerationSeconds ran out", h.clock.Since(t0))
				}
				h.clock.Step(time.Second)
				h.waitDeleted("p")
			}
			if h.deleted("elsewhere") {
				t.Error("a pod on another node was deleted")
			}
		})
	}
}

// TestDeletion checks what a deletion writes: the DisruptionTarget condition,
// the event, and a DELETE with default options.
func TestDeletion(t *testing.T) {
	h := newHarness(t, Config{}, newNode("n1"), newPod("p", "n1"))
	h.setTaints("n1", taint(corev1.TaintNodeUnreachable))
	h.waitDeleted("p")

	pod := h.pod("p")
	var cond *corev1.PodCondition
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == corev1.DisruptionTarget {
			cond = &pod.Status.Conditions[i]
		}
	}
	if cond == nil {
		t.Fatalf("no DisruptionTarget condition; conditions %v", pod.Status.Conditions)
	}
	now := metav1.NewTime(t0)
	if cond.Status != corev1.ConditionTrue || cond.Reason != "DeletionByTaintManager" ||
		cond.Message != "Taint manager: deleting due to NoExecute taint" || cond.ObservedGeneration != 3 || !cond.LastTransitionTime.Equal(&now) {
		t.Errorf("DisruptionTarget = %+v", cond)
	}
	if !slices.ContainsFunc(pod.Status.Conditions, func(c corev1.PodCondition) bool { return c.Type == corev1.PodReady }) {
		t.Error("the status patch dropped the other conditions")
	}
	var statusPatched bool
	for _, a := range h.client.Actions() {
		if a.Matches("patch", "pods") && a.GetSubresource() == "status" {
			statusPatched = true
		}
	}
	if !statusPatched {
		t.Error("DisruptionTarget not written through pods/status")
	}
	h.mu.Lock()
	deletes := slices.Clone(h.deletes)
	h.mu.Unlock()
	if len(deletes) != 1 || deletes[0].GetDeleteOptions().GracePeriodSeconds != nil || deletes[0].GetDeleteOptions().Preconditions != nil {
		t.Errorf("deletes %v, want one DELETE with default options", deletes)
	}
	if !h.rec.Has(EventTaintManagerEviction, "Marking for deletion Pod default/p") {
		t.Errorf("no TaintManagerEviction event; events:\n%s", h.rec.Dump())
	}
	if e := h.rec.Find(EventTaintManagerEviction); len(e) != 1 || e[0].Kind != "Pod" || e[0].Namespace != "default" || e[0].Name != "p" || e[0].Type != corev1.EventTypeNormal {
		t.Errorf("events %v, want one Normal event on Pod default/p", e)
	}
}

// TestCancellation: a scheduled deletion is cancelled when the reason for it
// goes away before it fires.
func TestCancellation(t *testing.T) {
	tests := []struct {
		name   string
		cancel func(h *harness)
	}{
		{name: "taint removed", cancel: func(h *harness) { h.setTaints("n1") }},
		{name: "taint replaced by a NoSchedule one", cancel: func(h *harness) {
			h.setTaints("n1", corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoSchedule})
		}},
		{name: "pod now tolerates forever", cancel: func(h *harness) { h.setTolerations("p", tolerate(corev1.TaintNodeUnreachable)) }},
		{name: "pod deleted", cancel: func(h *harness) {
			before := h.podHandledCount("p")
			if err := h.client.Tracker().Delete(corev1.SchemeGroupVersion.WithResource("pods"), "default", "p"); err != nil {
				h.t.Fatal(err)
			}
			controllertest.Eventually(h.t, func() bool { return h.podHandledCount("p") > before }, "pod deletion handled")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{}, newNode("n1"), newPod("p", "n1", tolerate(corev1.TaintNodeUnreachable, 300)))
			h.setTaints("n1", taint(corev1.TaintNodeUnreachable))
			if !h.scheduled("p") {
				t.Fatal("no deletion scheduled")
			}
			h.clock.Step(100 * time.Second)
			tc.cancel(h)
			if h.scheduled("p") || h.clock.HasWaiters() {
				t.Fatal("deletion still scheduled")
			}
			if !h.rec.Has(EventTaintManagerEviction, "Cancelling deletion of Pod default/p") {
				t.Errorf("no cancel event; events:\n%s", h.rec.Dump())
			}
			h.clock.Step(time.Hour)
			if p, err := h.client.CoreV1().Pods("default").Get(h.ctx, "p", metav1.GetOptions{}); err == nil && p.DeletionTimestamp != nil {
				t.Error("pod deleted after its deletion was cancelled")
			}
			if h.rec.Has(EventTaintManagerEviction, "Marking for deletion Pod default/p") {
				t.Error("deletion event recorded after cancellation")
			}
		})
	}
}

// TestScheduleKeepsItsTime: later node or pod updates do not restart the count.
func TestScheduleKeepsItsTime(t *testing.T) {
	h := newHarness(t, Config{}, newNode("n1"),
		newPod("p", "n1", tolerate(corev1.TaintNodeUnreachable, 300), tolerate("example.com/x", 300)))
	h.setTaints("n1", taint(corev1.TaintNodeUnreachable))
	h.clock.Step(100 * time.Second)
	h.setTaints("n1", taint(corev1.TaintNodeUnreachable), taint("example.com/x"))
	h.clock.Step(199 * time.Second)
	if h.deleted("p") {
		t.Fatal("deleted early")
	}
	h.clock.Step(time.Second)
	h.waitDeleted("p")
}

// TestToleranceRemovedDeletesAtOnce: a pod whose toleration goes is deleted
// now, replacing the scheduled deletion.
func TestToleranceRemovedDeletesAtOnce(t *testing.T) {
	h := newHarness(t, Config{}, newNode("n1"), newPod("p", "n1", tolerate(corev1.TaintNodeUnreachable, 300)))
	h.setTaints("n1", taint(corev1.TaintNodeUnreachable))
	h.clock.Step(10 * time.Second)
	h.setTolerations("p", tolerate(corev1.TaintNodeNotReady, 300))
	h.waitDeleted("p")
}

// TestPodBoundToTaintedNode: like upstream, the toleration is counted from when
// the controller sees the pod on the tainted node, not from the taint's
// timeAdded.
func TestPodBoundToTaintedNode(t *testing.T) {
	h := newHarness(t, Config{}, newNode("n1", taint(corev1.TaintNodeUnreachable)))
	h.clock.Step(200 * time.Second)
	h.createPod(newPod("p", "n1", tolerate(corev1.TaintNodeUnreachable, 300)))
	h.clock.Step(299 * time.Second)
	if h.deleted("p") {
		t.Fatal("deleted before 300s since the pod was seen")
	}
	h.clock.Step(time.Second)
	h.waitDeleted("p")

	// And an intolerant pod bound there goes at once.
	h.createPod(newPod("q", "n1"))
	h.waitDeleted("q")
}

// TestOwnBroadcaster: without a broadcaster, Run writes events through the
// controller's own client, with source taint-eviction-controller.
func TestOwnBroadcaster(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	clk := testingclock.NewFakeClock(t0)
	client := fake.NewClientset(newNode("n1", taint(corev1.TaintNodeUnreachable)), newPod("p", "n1"))
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := New(Config{Clock: clk}, client, factory, nil)
	if err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	done := make(chan error)
	go func() { done <- c.Run(ctx) }()
	controllertest.Eventually(t, func() bool {
		events, err := client.CoreV1().Events("default").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false
		}
		for _, e := range events.Items {
			if e.Source.Component == ControllerName && e.Reason == EventTaintManagerEviction && e.Message == "Marking for deletion Pod default/p" {
				return true
			}
		}
		return false
	}, "TaintManagerEviction event from taint-eviction-controller")
	controllertest.Eventually(t, func() bool {
		_, err := client.CoreV1().Pods("default").Get(ctx, "p", metav1.GetOptions{})
		return err != nil
	}, "pod deleted")
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	if err := c.Run(context.Background()); err == nil {
		t.Error("a second Run must fail")
	}
}

func TestNew(t *testing.T) {
	if _, err := New(Config{}, nil, nil, nil); err == nil {
		t.Error("New without a client must fail")
	}
	client := fake.NewClientset()
	if _, err := New(Config{}, client, nil, nil); err == nil {
		t.Error("New without a factory must fail")
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	if _, err := New(DefaultConfig(), client, factory, nil); err != nil {
		t.Fatal(err)
	}
	// The index is added once, whoever comes first.
	if _, err := New(Config{}, client, factory, nil); err != nil {
		t.Fatalf("second controller on the same factory: %v", err)
	}
	if _, ok := factory.Core().V1().Pods().Informer().GetIndexer().GetIndexers()["spec.nodeName"]; !ok {
		t.Error("spec.nodeName index missing")
	}
}

func TestGetMinTolerationTime(t *testing.T) {
	s := func(v int64) *int64 { return &v }
	tests := []struct {
		name        string
		tolerations []corev1.Toleration
		want        time.Duration
	}{
		{"no tolerations", nil, 0},
		{"no seconds: forever", []corev1.Toleration{{}}, -1},
		{"minimum", []corev1.Toleration{{TolerationSeconds: s(300)}, {TolerationSeconds: s(20)}, {}}, 20 * time.Second},
		{"zero", []corev1.Toleration{{TolerationSeconds: s(300)}, {TolerationSeconds: s(0)}}, 0},
		{"negative", []corev1.Toleration{{TolerationSeconds: s(-1)}}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := getMinTolerationTime(tc.tolerations); got != tc.want {
				t.Errorf("getMinTolerationTime = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestGetMatchingTolerations(t *testing.T) {
	logger, _ := ktesting.NewTestContext(t)
	gt := corev1.Toleration{Key: "k", Operator: corev1.TolerationOpGt, Value: "5", Effect: corev1.TaintEffectNoExecute}
	numeric := []corev1.Taint{{Key: "k", Value: "7", Effect: corev1.TaintEffectNoExecute}}
	tests := []struct {
		name        string
		taints      []corev1.Taint
		tolerations []corev1.Toleration
		cmpOps      bool
		wantAll     bool
		wantUsed    int
	}{
		{name: "no taints", wantAll: true},
		{name: "no tolerations", taints: []corev1.Taint{taint("a")}, wantAll: false},
		{name: "first match is used", taints: []corev1.Taint{taint("a")}, tolerations: []corev1.Toleration{tolerate("a", 1), tolerate("a")}, wantAll: true, wantUsed: 1},
		{name: "empty effect matches every effect", taints: []corev1.Taint{taint("a")}, tolerations: []corev1.Toleration{{Key: "a", Operator: corev1.TolerationOpExists}}, wantAll: true, wantUsed: 1},
		{name: "Gt without the gate does not match", taints: numeric, tolerations: []corev1.Toleration{gt}, wantAll: false},
		{name: "Gt with --feature-gates=TaintTolerationComparisonOperators=true", taints: numeric, tolerations: []corev1.Toleration{gt}, cmpOps: true, wantAll: true, wantUsed: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			all, used := getMatchingTolerations(logger, tc.taints, tc.tolerations, tc.cmpOps)
			if all != tc.wantAll || len(used) != tc.wantUsed {
				t.Errorf("getMatchingTolerations = %v, %d used; want %v, %d", all, len(used), tc.wantAll, tc.wantUsed)
			}
		})
	}
}
