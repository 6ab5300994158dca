package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/k1s-dev/k1s/cluster"
	"github.com/k1s-dev/k1s/controllers/nodelifecycle"
	"github.com/k1s-dev/k1s/e2e/framework"
)

// fastNodeLifecycle is TestNodeFailureStory's controller configuration: a node silent
// for 3 s is Unknown, and each zone taints one node per second.
func fastNodeLifecycle() nodelifecycle.Config {
	return nodelifecycle.Config{
		NodeMonitorPeriod:      500 * time.Millisecond,
		NodeMonitorGracePeriod: 3 * time.Second,
		NodeStartupGracePeriod: 10 * time.Second,
		NodeEvictionRate:       1,
	}
}

// fastNode is a kubelet that posts status every 500 ms and renews a 2 s lease.
func fastNode(zone string) cluster.NodeOptions {
	return cluster.NodeOptions{Zone: zone, NodeStatusUpdateFrequency: 500 * time.Millisecond, NodeLeaseDurationSeconds: 2}
}

// addFastNodes adds the named nodes in zone and waits until they are Ready.
func addFastNodes(t *testing.T, c *framework.Cluster, zone string, names ...string) {
	t.Helper()
	ctx := context.Background()
	for _, name := range names {
		if _, err := c.AddNode(ctx, name, fastNode(zone)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.WaitForNodesReady(ctx, names...); err != nil {
		t.Fatal(err)
	}
}

// zoneKeyOf is the node lifecycle controller's key of a zone of cluster.AddNode (region
// "local" unless set).
func zoneKeyOf(zone string) string { return "local:\x00:" + zone }

func getNode(t *testing.T, c *framework.Cluster, name string) *corev1.Node {
	t.Helper()
	n, err := c.Client.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get node %s: %v", name, err)
	}
	return n
}

// noExecuteTaints lists the node controller's NoExecute taints on n.
func noExecuteTaints(n *corev1.Node) []string {
	var out []string
	for _, taint := range n.Spec.Taints {
		if taint.Effect == corev1.TaintEffectNoExecute {
			out = append(out, taint.Key)
		}
	}
	return out
}

func readyStatus(n *corev1.Node) corev1.ConditionStatus {
	if cond := nodeCondition(n, corev1.NodeReady); cond != nil {
		return cond.Status
	}
	return ""
}

// evictedByTaintManager reports whether the taint eviction controller deleted p: it is
// terminating and carries the DisruptionTarget condition.
func evictedByTaintManager(p *corev1.Pod) bool {
	if p.DeletionTimestamp == nil {
		return false
	}
	for _, cond := range p.Status.Conditions {
		if cond.Type == corev1.DisruptionTarget && cond.Status == corev1.ConditionTrue && cond.Reason == "DeletionByTaintManager" {
			return true
		}
	}
	return false
}

func unreachableToleration(seconds *int64) corev1.Toleration {
	return corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists,
		Effect: corev1.TaintEffectNoExecute, TolerationSeconds: seconds}
}

// TestTolerationSecondsOnFailedNode: on a node that stops heartbeating, a pod whose
// toleration of the unreachable taint has tolerationSeconds 0 is evicted as soon as the
// taint is on the node, one with 5 s is evicted 5 s after the taint (never before it),
// and one that tolerates the taint without tolerationSeconds stays.
func TestTolerationSecondsOnFailedNode(t *testing.T) {
	t.Parallel()
	c := framework.Start(t, cluster.Config{NodeLifecycle: fastNodeLifecycle()})
	ctx := context.Background()
	// A healthy node in the same zone keeps the zone Normal (a lone failed node would
	// be a full disruption, which is never tainted).
	addFastNodes(t, c, "a", "healthy", "failing")
	framework.Eventually(t, 30*time.Second, "node failing to lose every taint", func(ctx context.Context) (bool, error) {
		n, err := c.Client.CoreV1().Nodes().Get(ctx, "failing", metav1.GetOptions{})
		return err == nil && len(n.Spec.Taints) == 0, err
	})

	pods := map[string]*int64{"at-once": ptr.To[int64](0), "brief": ptr.To[int64](5), "forever": nil}
	for name, seconds := range pods {
		pod := simplePod(name, "failing", nil)
		pod.Spec.Tolerations = []corev1.Toleration{unreachableToleration(seconds)}
		if _, err := c.Client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for name := range pods {
		p := waitPodPhase(t, c, name, corev1.PodRunning)
		// DefaultTolerationSeconds leaves an existing unreachable toleration alone.
		for _, tol := range p.Spec.Tolerations {
			if tol.Key == corev1.TaintNodeUnreachable && !ptr.Equal(tol.TolerationSeconds, pods[name]) {
				t.Errorf("pod %s: admission changed its unreachable toleration: %+v", name, p.Spec.Tolerations)
			}
		}
	}

	if err := c.StopNode("failing"); err != nil {
		t.Fatal(err)
	}
	var taint corev1.Taint
	framework.Eventually(t, 30*time.Second, "node failing to get the unreachable NoExecute taint", func(ctx context.Context) (bool, error) {
		// The pod first, then the node: a pod already evicted while the node is still
		// untainted afterwards was evicted without the taint.
		p, err := c.Client.CoreV1().Pods("default").Get(ctx, "brief", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		n, err := c.Client.CoreV1().Nodes().Get(ctx, "failing", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, tt := range n.Spec.Taints {
			if tt.Key == corev1.TaintNodeUnreachable && tt.Effect == corev1.TaintEffectNoExecute {
				taint = tt
				return true, nil
			}
		}
		if p.DeletionTimestamp != nil {
			t.Fatalf("pod brief was deleted before node failing had a NoExecute taint (taints %v)", n.Spec.Taints)
		}
		return false, nil
	})
	if taint.TimeAdded == nil {
		t.Errorf("the unreachable taint has no timeAdded: %+v", taint)
	}

	evicted := func(name string) *corev1.Pod {
		var got *corev1.Pod
		framework.Eventually(t, 30*time.Second, "pod "+name+" to be evicted", func(ctx context.Context) (bool, error) {
			p, err := c.Client.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				// The node's kubelet is cut off: an evicted pod stays Terminating.
				return false, err
			}
			got = p
			return evictedByTaintManager(p), nil
		})
		return got
	}
	evicted("at-once")
	brief := evicted("brief")
	// Eviction is a DELETE with the pod's grace period, so deletionTimestamp minus that
	// grace is when the taint eviction controller deleted it: after the taint was added
	// (by 5 s; whole seconds on both sides).
	grace := time.Duration(ptr.Deref(brief.Spec.TerminationGracePeriodSeconds, 30)) * time.Second
	if deletedAt := brief.DeletionTimestamp.Add(-grace); taint.TimeAdded != nil && !deletedAt.After(taint.TimeAdded.Time) {
		t.Errorf("pod brief was deleted at %v, not after the taint was added at %v", deletedAt, taint.TimeAdded.Time)
	}

	// By now the controller has acted on the node's pods for 5 s past the taint: the
	// pod that tolerates it forever is untouched (only marked NotReady, as its node is).
	forever, err := c.Client.CoreV1().Pods("default").Get(ctx, "forever", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if forever.DeletionTimestamp != nil {
		t.Errorf("pod forever (tolerates unreachable without tolerationSeconds) was evicted: %+v", forever.Status.Conditions)
	}
	framework.Eventually(t, 30*time.Second, "pod forever to be marked NotReady", func(ctx context.Context) (bool, error) {
		p, err := c.Client.CoreV1().Pods("default").Get(ctx, "forever", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, cond := range p.Status.Conditions {
			if cond.Type == corev1.PodReady {
				return cond.Status == corev1.ConditionFalse, nil
			}
		}
		return false, nil
	})
	if h := getNode(t, c, "healthy"); len(noExecuteTaints(h)) > 0 {
		t.Errorf("the healthy node was tainted: %v", h.Spec.Taints)
	}
}

// TestCordon: kubectl cordon sets spec.unschedulable, and the node lifecycle controller
// adds the node.kubernetes.io/unschedulable:NoSchedule taint; uncordon removes both.
func TestCordon(t *testing.T) {
	t.Parallel()
	c := framework.Start(t, cluster.Config{Nodes: 1})
	node := cluster.NodeName(1)
	unschedulable := func(want bool) func(ctx context.Context) (bool, error) {
		return func(ctx context.Context) (bool, error) {
			n, err := c.Client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			return n.Spec.Unschedulable == want && hasTaint(n, corev1.TaintNodeUnschedulable, corev1.TaintEffectNoSchedule) == want, nil
		}
	}

	if out := c.Kubectl(t, "cordon", node); !strings.Contains(out, node+" cordoned") {
		t.Errorf("kubectl cordon printed %q", out)
	}
	framework.Eventually(t, 30*time.Second, "spec.unschedulable and the unschedulable taint", unschedulable(true))
	if out := c.Kubectl(t, "get", "node", node); !strings.Contains(out, "SchedulingDisabled") {
		t.Errorf("kubectl get node does not show SchedulingDisabled:\n%s", out)
	}
	if n := getNode(t, c, node); readyStatus(n) != corev1.ConditionTrue {
		t.Errorf("cordoned node is not Ready: %+v", n.Status.Conditions)
	}

	if out := c.Kubectl(t, "uncordon", node); !strings.Contains(out, node+" uncordoned") {
		t.Errorf("kubectl uncordon printed %q", out)
	}
	framework.Eventually(t, 30*time.Second, "spec.unschedulable and the unschedulable taint to go", unschedulable(false))
}

// TestZonePartialDisruption: in zone a (4 nodes) 3 nodes are down, a partial disruption
// of a small zone, which stops tainting there; in zone b (2 nodes) 1 node is down, which
// is normal, and that node gets the unreachable taint.
//
// The three nodes of zone a must be seen failing in the same monitor pass: were one seen
// Unknown a pass before the others, zone a would still be Normal then and that node
// tainted at once (as upstream would). Stopped kubelets are not seen in lock step (their
// last heartbeats straddle a pass), so the test gets there through the controller's own
// synchronisation point: every node down (all zones fully disrupted, nothing tainted),
// then a-1 comes back (zone a: 1 Ready of 4, partial; rate 0 from that pass on), then
// b-1 (zone b: 1 of 2, normal).
func TestZonePartialDisruption(t *testing.T) {
	t.Parallel()
	c := framework.Start(t, cluster.Config{NodeLifecycle: fastNodeLifecycle()})
	zoneA := []string{"a-1", "a-2", "a-3", "a-4"}
	zoneB := []string{"b-1", "b-2"}
	addFastNodes(t, c, "a", zoneA...)
	addFastNodes(t, c, "b", zoneB...)
	all := append(append([]string(nil), zoneA...), zoneB...)
	waitZoneStates(t, c, map[string]nodelifecycle.ZoneState{"a": nodelifecycle.StateNormal, "b": nodelifecycle.StateNormal})

	for _, name := range all {
		if err := c.StopNode(name); err != nil {
			t.Fatal(err)
		}
	}
	waitAllDownUntainted(t, c, all)
	waitZoneStates(t, c, map[string]nodelifecycle.ZoneState{"a": nodelifecycle.StateFullDisruption, "b": nodelifecycle.StateFullDisruption})

	if err := c.StartNode("a-1"); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitForNodesReady(context.Background(), "a-1"); err != nil {
		t.Fatal(err)
	}
	waitZoneStates(t, c, map[string]nodelifecycle.ZoneState{"a": nodelifecycle.StatePartialDisruption})
	if err := c.StartNode("b-1"); err != nil {
		t.Fatal(err)
	}
	framework.Eventually(t, 30*time.Second, "b-1 Ready and untainted, b-2 tainted unreachable:NoExecute, zone b Normal", func(ctx context.Context) (bool, error) {
		b1, err := c.Client.CoreV1().Nodes().Get(ctx, "b-1", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		b2, err := c.Client.CoreV1().Nodes().Get(ctx, "b-2", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return readyStatus(b1) == corev1.ConditionTrue && len(noExecuteTaints(b1)) == 0 &&
			hasTaint(b2, corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute) &&
			c.NodeLifecycleZoneStates()[zoneKeyOf("b")] == nodelifecycle.StateNormal, nil
	})

	// b-2 was tainted after zone a turned partial, with a-2..a-4 queued for tainting in
	// every pass since: zone a's rate is 0, so they have no taint.
	if got := c.NodeLifecycleZoneStates()[zoneKeyOf("a")]; got != nodelifecycle.StatePartialDisruption {
		t.Errorf("zone a state %q, want %q", got, nodelifecycle.StatePartialDisruption)
	}
	for _, name := range zoneA[1:] {
		n := getNode(t, c, name)
		if readyStatus(n) != corev1.ConditionUnknown {
			t.Errorf("node %s Ready=%q, want Unknown", name, readyStatus(n))
		}
		if taints := noExecuteTaints(n); len(taints) > 0 {
			t.Errorf("node %s in partially disrupted zone a has NoExecute taints %v", name, taints)
		}
	}
}

// TestAllNodesDown: when every node of every zone stops heartbeating the controller
// assumes the fault is its own: all zones are fully disrupted, no node keeps or gets a
// NoExecute taint, and no pod is evicted, even one that tolerates the unreachable taint
// for 5 s only.
func TestAllNodesDown(t *testing.T) {
	t.Parallel()
	cfg := fastNodeLifecycle()
	// The late node below never reports, so it turns Unknown this long after it is created.
	cfg.NodeStartupGracePeriod = 8 * time.Second
	c := framework.Start(t, cluster.Config{NodeLifecycle: cfg})
	ctx := context.Background()
	all := []string{"a-1", "a-2", "b-1", "b-2"}
	addFastNodes(t, c, "a", all[:2]...)
	addFastNodes(t, c, "b", all[2:]...)

	var pods []string
	for _, node := range all {
		brief := simplePod("brief-"+node, node, nil)
		brief.Spec.Tolerations = []corev1.Toleration{unreachableToleration(ptr.To[int64](5))}
		patient := simplePod("patient-"+node, node, nil) // the default 300 s tolerations
		for _, pod := range []*corev1.Pod{brief, patient} {
			if _, err := c.Client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			pods = append(pods, pod.Name)
		}
	}
	for _, name := range pods {
		waitPodPhase(t, c, name, corev1.PodRunning)
	}
	waitZoneStates(t, c, map[string]nodelifecycle.ZoneState{"a": nodelifecycle.StateNormal, "b": nodelifecycle.StateNormal})

	for _, name := range all {
		if err := c.StopNode(name); err != nil {
			t.Fatal(err)
		}
	}
	// The kubelets stop within a pass of each other, so a node seen Unknown before the
	// last one may be tainted for that pass; entering full disruption removes the taint
	// again (long before a 5 s toleration runs out).
	waitAllDownUntainted(t, c, all)
	waitZoneStates(t, c, map[string]nodelifecycle.ZoneState{"a": nodelifecycle.StateFullDisruption, "b": nodelifecycle.StateFullDisruption})

	// Proof that the controller keeps running its passes and would taint if it could: a
	// node created now (left out of the zone statistics, so it changes no zone state) that
	// never reports turns Unknown after the 8 s startup grace period, and is queued for
	// tainting in zone a like any other.
	late := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "late", Labels: map[string]string{
		corev1.LabelTopologyZone:                 "a",
		corev1.LabelTopologyRegion:               "local",
		nodelifecycle.LabelNodeExcludeDisruption: "",
	}}}
	if _, err := c.Client.CoreV1().Nodes().Create(ctx, late, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	framework.Eventually(t, 60*time.Second, "node late to turn Unknown", func(ctx context.Context) (bool, error) {
		n, err := c.Client.CoreV1().Nodes().Get(ctx, "late", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		ready := nodeCondition(n, corev1.NodeReady)
		return ready != nil && ready.Status == corev1.ConditionUnknown && ready.Reason == "NodeStatusNeverUpdated", nil
	})

	for _, name := range append(all, "late") {
		n := getNode(t, c, name)
		if readyStatus(n) != corev1.ConditionUnknown {
			t.Errorf("node %s Ready=%q, want Unknown", name, readyStatus(n))
		}
		if taints := noExecuteTaints(n); len(taints) > 0 {
			t.Errorf("node %s has NoExecute taints %v while every node is down", name, taints)
		}
	}
	for zone, state := range c.NodeLifecycleZoneStates() {
		if state != nodelifecycle.StateFullDisruption {
			t.Errorf("zone %q is %q, want %q", zone, state, nodelifecycle.StateFullDisruption)
		}
	}
	for _, name := range pods {
		p, err := c.Client.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			t.Errorf("pod %s was deleted", name)
		case err != nil:
			t.Fatal(err)
		case p.DeletionTimestamp != nil:
			t.Errorf("pod %s was evicted: %+v", name, p.Status.Conditions)
		}
	}
}

// waitZoneStates waits until the node lifecycle controller reports each zone of want
// (zone label values) in its state.
func waitZoneStates(t *testing.T, c *framework.Cluster, want map[string]nodelifecycle.ZoneState) {
	t.Helper()
	var got map[string]nodelifecycle.ZoneState
	framework.Eventually(t, 30*time.Second, fmt.Sprintf("zone states %v", want), func(context.Context) (bool, error) {
		got = c.NodeLifecycleZoneStates()
		for zone, state := range want {
			if got[zoneKeyOf(zone)] != state {
				return false, nil
			}
		}
		return true, nil
	})
}

// waitAllDownUntainted waits until every named node is Unknown and none has a NoExecute
// taint.
func waitAllDownUntainted(t *testing.T, c *framework.Cluster, names []string) {
	t.Helper()
	framework.Eventually(t, 30*time.Second, "every node Unknown and without NoExecute taints", func(ctx context.Context) (bool, error) {
		for _, name := range names {
			n, err := c.Client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			if readyStatus(n) != corev1.ConditionUnknown || len(noExecuteTaints(n)) > 0 {
				return false, nil
			}
		}
		return true, nil
	})
}
