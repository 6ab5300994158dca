package nodelifecycle

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestMasterDisruptionRemovesStrayTaint: a NoExecute taint that the tainting pass
// wrote while the controller was entering master disruption mode (after that
// pass had read its node list, so the entry did not see it) is removed by the
// next pass instead of staying, and evicting pods, for as long as the mode lasts.
// Found by e2e TestAllNodesDown under load.
func TestMasterDisruptionRemovesStrayTaint(t *testing.T) {
	h := newHarness(t, Config{},
		newNode("a1", withZone("r", "a"), withConditions(corev1.ConditionFalse, t0)),
		newNode("b1", withZone("r", "b"), withConditions(corev1.ConditionFalse, t0)),
	)
	h.monitor() // every zone down: master disruption mode
	for _, z := range []string{"a", "b"} {
		if got := h.c.ZoneStates()[zoneKey("r", z)]; got != StateFullDisruption {
			t.Fatalf("zone %s = %s, want FullDisruption", z, got)
		}
	}

	// The write that raced with the entry.
	n := h.node("a1")
	n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoExecute, TimeAdded: &metav1.Time{Time: t0}})
	h.update(n)

	h.step(time.Second)
	h.monitor()
	if got := h.taints("a1", corev1.TaintEffectNoExecute); len(got) != 0 {
		t.Errorf("a1 NoExecute taints %v in master disruption mode, want none", got)
	}
	if got := h.taints("b1", corev1.TaintEffectNoExecute); len(got) != 0 {
		t.Errorf("b1 NoExecute taints %v in master disruption mode, want none", got)
	}
}

// TestEnteringMasterDisruptionRemovesRacingTaint: the tainting pass taints a node
// after the monitor pass that enters master disruption mode has read its node list
// (its write was in flight when the pass swapped the rates to 0). The entry removes
// that taint all the same, so it does not outlive the mode when the next pass already
// leaves it for a zone whose rate is then 0. Found by e2e TestZonePartialDisruption
// under load.
func TestEnteringMasterDisruptionRemovesRacingTaint(t *testing.T) {
	h := newHarness(t, Config{},
		newNode("a1", withZone("r", "a"), withConditions(corev1.ConditionTrue, t0)),
		newNode("a2", withZone("r", "a"), withConditions(corev1.ConditionTrue, t0)),
		newNode("b1", withZone("r", "b"), withConditions(corev1.ConditionTrue, t0)),
	)
	h.monitor()
	h.postReady("a1", corev1.ConditionFalse)
	h.monitor() // zone a Normal: a1 queued at --node-eviction-rate
	// The node list the entering pass read, before the tainting pass wrote.
	stale := []*corev1.Node{h.node("a1"), h.node("a2"), h.node("b1")}
	h.taintPass()
	if got := h.taints("a1", corev1.TaintEffectNoExecute); len(got) != 1 {
		t.Fatalf("a1 NoExecute taints %v, want the not-ready one", got)
	}

	notReady := &corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionFalse}
	h.c.handleDisruption(h.ctx, map[string][]*corev1.NodeCondition{
		zoneKey("r", "a"): {notReady, notReady},
		zoneKey("r", "b"): {notReady},
	}, stale)
	if got := h.taints("a1", corev1.TaintEffectNoExecute); len(got) != 0 {
		t.Errorf("a1 NoExecute taints %v after entering master disruption mode, want none", got)
	}
	for _, z := range []string{"a", "b"} {
		if got := h.zoneQPS(zoneKey("r", z)); got != 0 {
			t.Errorf("zone %s rate %v/s in master disruption mode, want 0", z, got)
		}
	}
}
