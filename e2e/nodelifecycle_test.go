package e2e

import (
	"context"
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

// TestNodeFailureStory is the seed's node controller story with short periods: a node
// that stops heartbeating turns Unknown, gets the unreachable NoExecute taint, its pods
// turn NotReady, pods that tolerate the taint only briefly are evicted while pods with
// the default 300 s toleration stay; when the node comes back it is Ready and untainted.
func TestNodeFailureStory(t *testing.T) {
	t.Parallel()
	c := framework.Start(t, cluster.Config{NodeLifecycle: nodelifecycle.Config{
		NodeMonitorPeriod:      500 * time.Millisecond,
		NodeMonitorGracePeriod: 3 * time.Second,
		NodeStartupGracePeriod: 10 * time.Second,
		// One node per second instead of one per ten: the test has two nodes.
		NodeEvictionRate: 1,
	}})
	ctx := context.Background()
	fast := cluster.NodeOptions{Zone: "a", NodeStatusUpdateFrequency: 500 * time.Millisecond, NodeLeaseDurationSeconds: 2}
	for _, name := range []string{"healthy", "failing"} {
		if _, err := c.AddNode(ctx, name, fast); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.WaitForNodesReady(ctx, "healthy", "failing"); err != nil {
		t.Fatal(err)
	}
	// The not-ready NoSchedule taint new nodes get from admission is removed once Ready.
	framework.Eventually(t, 30*time.Second, "node failing to lose every taint", func(ctx context.Context) (bool, error) {
		n, err := c.Client.CoreV1().Nodes().Get(ctx, "failing", metav1.GetOptions{})
		return err == nil && len(n.Spec.Taints) == 0, err
	})

	brief := simplePod("brief", "failing", nil)
	brief.Spec.Tolerations = []corev1.Toleration{{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists,
		Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](1)}}
	patient := simplePod("patient", "failing", nil) // gets the default 300 s tolerations
	for _, pod := range []*corev1.Pod{brief, patient} {
		if _, err := c.Client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		waitPodPhase(t, c, pod.Name, corev1.PodRunning)
	}
	p, _ := c.Client.CoreV1().Pods("default").Get(ctx, "patient", metav1.GetOptions{})
	if !hasToleration(p, corev1.TaintNodeUnreachable, 300) || !hasToleration(p, corev1.TaintNodeNotReady, 300) {
		t.Errorf("DefaultTolerationSeconds did not add the 300 s tolerations: %+v", p.Spec.Tolerations)
	}

	if err := c.StopNode("failing"); err != nil {
		t.Fatal(err)
	}
	framework.Eventually(t, 30*time.Second, "node failing to turn Unknown and get the unreachable taint", func(ctx context.Context) (bool, error) {
		n, err := c.Client.CoreV1().Nodes().Get(ctx, "failing", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		ready := nodeCondition(n, corev1.NodeReady)
		return ready != nil && ready.Status == corev1.ConditionUnknown && ready.Reason == "NodeStatusUnknown" &&
			hasTaint(n, corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute), nil
	})
	// Eviction is a graceful delete: on an unreachable node the pod stays Terminating
	// (its kubelet cannot confirm), as upstream; it carries the DisruptionTarget condition.
	framework.Eventually(t, 30*time.Second, "pod brief to be evicted", func(ctx context.Context) (bool, error) {
		p, err := c.Client.CoreV1().Pods("default").Get(ctx, "brief", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		if err != nil || p.DeletionTimestamp == nil {
			return false, err
		}
		for _, cond := range p.Status.Conditions {
			if cond.Type == corev1.DisruptionTarget && cond.Reason == "DeletionByTaintManager" {
				return true, nil
			}
		}
		return false, nil
	})
	framework.Eventually(t, 30*time.Second, "pod patient to be marked NotReady", func(ctx context.Context) (bool, error) {
		p, err := c.Client.CoreV1().Pods("default").Get(ctx, "patient", metav1.GetOptions{})
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
	if p, err := c.Client.CoreV1().Pods("default").Get(ctx, "patient", metav1.GetOptions{}); err != nil || p.DeletionTimestamp != nil {
		t.Errorf("pod patient (tolerates 300 s) was evicted: %v %v", err, p.DeletionTimestamp)
	}
	if h, _ := c.Client.CoreV1().Nodes().Get(ctx, "healthy", metav1.GetOptions{}); hasTaint(h, corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute) {
		t.Error("the healthy node was tainted")
	}

	if err := c.StartNode("failing"); err != nil {
		t.Fatal(err)
	}
	// Back in contact, the kubelet finishes the eviction.
	framework.Eventually(t, 30*time.Second, "pod brief to be removed by its kubelet", func(ctx context.Context) (bool, error) {
		_, err := c.Client.CoreV1().Pods("default").Get(ctx, "brief", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	framework.Eventually(t, 30*time.Second, "node failing to be Ready and untainted again", func(ctx context.Context) (bool, error) {
		n, err := c.Client.CoreV1().Nodes().Get(ctx, "failing", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		ready := nodeCondition(n, corev1.NodeReady)
		return ready != nil && ready.Status == corev1.ConditionTrue && !hasTaint(n, corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute), nil
	})
	events := c.Kubectl(t, "get", "events", "--field-selector", "involvedObject.name=failing", "-o", "custom-columns=REASON:.reason")
	for _, reason := range []string{"RegisteredNode", "NodeNotReady"} {
		if !containsLine(events, reason) {
			t.Errorf("no %s event for node failing:\n%s", reason, events)
		}
	}
}

func nodeCondition(n *corev1.Node, t corev1.NodeConditionType) *corev1.NodeCondition {
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == t {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}

func hasTaint(n *corev1.Node, key string, effect corev1.TaintEffect) bool {
	for _, taint := range n.Spec.Taints {
		if taint.Key == key && taint.Effect == effect {
			return true
		}
	}
	return false
}

func hasToleration(p *corev1.Pod, key string, seconds int64) bool {
	for _, tol := range p.Spec.Tolerations {
		if tol.Key == key && tol.Effect == corev1.TaintEffectNoExecute && tol.TolerationSeconds != nil && *tol.TolerationSeconds == seconds {
			return true
		}
	}
	return false
}

func containsLine(out, line string) bool {
	for _, l := range splitLines(out) {
		if l == line {
			return true
		}
	}
	return false
}

func splitLines(s string) []string {
	var lines []string
	start := 0
	for i := range len(s) {
		if s[i] == '\n' {
			lines = append(lines, s[start:i])
			start = i + 1
		}
	}
	if start < len(s) {
		lines = append(lines, s[start:])
	}
	return lines
}
