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
