package nodelifecycle

import (
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
)

const (
	unreachableNoExecute = "node.kubernetes.io/unreachable:NoExecute"
	notReadyNoExecute    = "node.kubernetes.io/not-ready:NoExecute"
)

// TestNoExecuteTaintLifecycle follows one node through unreachable, not ready
// and ready again, next to a healthy node (so the zone is not fully disrupted).
func TestNoExecuteTaintLifecycle(t *testing.T) {
	h := newHarness(t, Config{},
		newNode("healthy", withConditions(corev1.ConditionTrue, t0)), newLease("healthy", t0, ""),
		newNode("sick", withConditions(corev1.ConditionTrue, t0)), newLease("sick", t0, ""),
	)
	h.monitor()
	h.taintPass()
	tick := func(d time.Duration) {
		for range int(d / (5 * time.Second)) {
			h.step(5 * time.Second)
			h.renewLease("healthy")
			h.monitor()
			h.taintPass()
		}
	}

	// The sick node's kubelet stops; 55 s later (first pass after the grace
	// period) it is Unknown and tainted unreachable at once (a zone's first
	// taint takes no wait).
	tick(50 * time.Second)
	if got := h.taints("sick", corev1.TaintEffectNoExecute); len(got) != 0 {
		t.Fatalf("at t0+50s: NoExecute taints %v, want none yet", got)
	}
	tick(5 * time.Second)
	if got := h.readyStatus("sick"); got != corev1.ConditionUnknown {
		t.Fatalf("at t0+55s: Ready = %s, want Unknown", got)
	}
	if got := h.taints("sick", corev1.TaintEffectNoExecute); !slices.Equal(got, []string{unreachableNoExecute}) {
		t.Fatalf("at t0+55s: NoExecute taints %v, want [%s]", got, unreachableNoExecute)
	}
	taint := h.node("sick").Spec.Taints[0]
	if want := metav1.NewTime(t0.Add(55 * time.Second)); taint.TimeAdded == nil || !taint.TimeAdded.Equal(&want) {
		t.Errorf("unreachable taint timeAdded = %v, want %v (the controller's clock)", taint.TimeAdded, want)
	}

	// The kubelet comes back but reports Ready=False: the taint is swapped in
	// the monitor pass itself, in a single write.
	h.postReady("sick", corev1.ConditionFalse)
	h.renewLease("sick")
	patchesBefore := countPatches(h, "sick")
	h.monitor()
	if got := h.taints("sick", corev1.TaintEffectNoExecute); !slices.Equal(got, []string{notReadyNoExecute}) {
		t.Fatalf("after Ready=False: NoExecute taints %v, want [%s]", got, notReadyNoExecute)
	}
	if n := countPatches(h, "sick") - patchesBefore; n != 1 {
		t.Errorf("swap took %d PATCHes of the node, want 1", n)
	}

	// Ready again: both NoExecute taints go.
	h.postReady("sick", corev1.ConditionTrue)
	h.monitor()
	if got := h.taints("sick", corev1.TaintEffectNoExecute); len(got) != 0 {
		t.Errorf("after Ready=True: NoExecute taints %v, want none", got)
	}
	if got := h.taints("healthy", ""); len(got) != 0 {
		t.Errorf("healthy node has taints %v", got)
	}
}

func countPatches(h *harness, node string) int {
	n := 0
	for _, a := range h.client.Actions() {
		if a.Matches("patch", "nodes") && a.GetSubresource() == "" {
			if p, ok := a.(interface{ GetName() string }); ok && p.GetName() == node {
				n++
			}
		}
	}
	return n
}

// TestNewNodeIsUntainted: a node first seen with NoExecute taints left by a
// previous controller run is untainted at once; the taint comes back through
// the queue if the node is still unhealthy.
func TestNewNodeIsUntainted(t *testing.T) {
	h := newHarness(t, Config{},
		newNode("n1", withConditions(corev1.ConditionTrue, t0), withTaints(*unreachableTaintTemplate, corev1.Taint{Key: "example.com/keep", Effect: corev1.TaintEffectNoExecute})),
	)
	h.monitor()
	if got := h.taints("n1", ""); !slices.Equal(got, []string{"example.com/keep:NoExecute"}) {
		t.Errorf("taints %v, want only the foreign one kept", got)
	}
}

func TestNoScheduleTaints(t *testing.T) {
	cond := func(ct corev1.NodeConditionType, s corev1.ConditionStatus) corev1.NodeCondition {
		return corev1.NodeCondition{Type: ct, Status: s, LastHeartbeatTime: metav1.NewTime(t0)}
	}
	noSchedule := func(key string) corev1.Taint { return corev1.Taint{Key: key, Effect: corev1.TaintEffectNoSchedule} }
	tests := []struct {
		name          string
		conditions    []corev1.NodeCondition
		unschedulable bool
		existing      []corev1.Taint
		want          []string
	}{
		{
			name:       "Ready=False",
			conditions: []corev1.NodeCondition{cond(corev1.NodeReady, corev1.ConditionFalse)},
			want:       []string{"node.kubernetes.io/not-ready:NoSchedule"},
		},
		{
			name:       "Ready=Unknown",
			conditions: []corev1.NodeCondition{cond(corev1.NodeReady, corev1.ConditionUnknown)},
			want:       []string{"node.kubernetes.io/unreachable:NoSchedule"},
		},
		{
			name: "every pressure",
			conditions: []corev1.NodeCondition{
				cond(corev1.NodeReady, corev1.ConditionTrue),
				cond(corev1.NodeMemoryPressure, corev1.ConditionTrue),
				cond(corev1.NodeDiskPressure, corev1.ConditionTrue),
				cond(corev1.NodePIDPressure, corev1.ConditionTrue),
				cond(corev1.NodeNetworkUnavailable, corev1.ConditionTrue),
			},
			want: []string{
				"node.kubernetes.io/disk-pressure:NoSchedule",
				"node.kubernetes.io/memory-pressure:NoSchedule",
				"node.kubernetes.io/network-unavailable:NoSchedule",
				"node.kubernetes.io/pid-pressure:NoSchedule",
			},
		},
		{
			name:       "pressure Unknown or False: no taint",
			conditions: []corev1.NodeCondition{cond(corev1.NodeReady, corev1.ConditionTrue), cond(corev1.NodeMemoryPressure, corev1.ConditionUnknown), cond(corev1.NodeDiskPressure, corev1.ConditionFalse)},
			want:       nil,
		},
		{
			name:          "spec.unschedulable",
			conditions:    []corev1.NodeCondition{cond(corev1.NodeReady, corev1.ConditionTrue)},
			unschedulable: true,
			want:          []string{"node.kubernetes.io/unschedulable:NoSchedule"},
		},
		{
			name:       "stale taints removed: ready, no pressure, schedulable",
			conditions: []corev1.NodeCondition{cond(corev1.NodeReady, corev1.ConditionTrue)},
			existing: []corev1.Taint{
				noSchedule(corev1.TaintNodeNotReady), noSchedule(corev1.TaintNodeMemoryPressure), noSchedule(corev1.TaintNodeUnschedulable),
			},
			want: nil,
		},
		{
			name:       "other taints untouched",
			conditions: []corev1.NodeCondition{cond(corev1.NodeReady, corev1.ConditionUnknown)},
			existing: []corev1.Taint{
				noSchedule("example.com/dedicated"),
				{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectPreferNoSchedule},
				*unreachableTaintTemplate,
				noSchedule(corev1.TaintNodeNotReady),
			},
			want: []string{
				"example.com/dedicated:NoSchedule",
				"node.kubernetes.io/not-ready:PreferNoSchedule",
				"node.kubernetes.io/unreachable:NoExecute",
				"node.kubernetes.io/unreachable:NoSchedule",
			},
		},
		{
			// As upstream's code does (SPEC 4 says the admission taint stays;
			// the code removes it: no Ready condition wants no taint).
			name:     "no conditions at all: the admission-time not-ready taint goes",
			existing: []corev1.Taint{noSchedule(corev1.TaintNodeNotReady)},
			want:     nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := newNode("n1", withTaints(tc.existing...))
			n.Status.Conditions = tc.conditions
			n.Spec.Unschedulable = tc.unschedulable
			h := newHarness(t, Config{}, n)
			if err := h.c.doNoScheduleTaintingPass(h.ctx, "n1"); err != nil {
				t.Fatalf("doNoScheduleTaintingPass: %v", err)
			}
			if got := h.taints("n1", ""); !slices.Equal(got, tc.want) {
				t.Errorf("taints = %v, want %v", got, tc.want)
			}
			for _, tt := range h.node("n1").Spec.Taints {
				if slices.ContainsFunc(tc.existing, func(e corev1.Taint) bool { return e.MatchTaint(&tt) }) {
					continue
				}
				if want := metav1.NewTime(t0); tt.TimeAdded == nil || !tt.TimeAdded.Equal(&want) {
					t.Errorf("added taint %s timeAdded = %v, want %v", tt.Key, tt.TimeAdded, want)
				}
			}
			// A second pass has nothing to do.
			before := countPatches(h, "n1")
			h.sync()
			if err := h.c.doNoScheduleTaintingPass(h.ctx, "n1"); err != nil {
				t.Fatal(err)
			}
			if after := countPatches(h, "n1"); after != before {
				t.Errorf("second pass patched the node again")
			}
		})
	}
}

func TestReconcileNodeLabels(t *testing.T) {
	tests := []struct {
		name   string
		labels map[string]string
		want   map[string]string
	}{
		{
			name:   "beta labels added from GA labels",
			labels: map[string]string{corev1.LabelOSStable: "linux", corev1.LabelArchStable: "amd64"},
			want:   map[string]string{labelBetaOS: "linux", labelBetaArch: "amd64"},
		},
		{
			name:   "beta labels corrected",
			labels: map[string]string{corev1.LabelOSStable: "linux", labelBetaOS: "windows", corev1.LabelArchStable: "arm64", labelBetaArch: "arm64"},
			want:   map[string]string{labelBetaOS: "linux", labelBetaArch: "arm64"},
		},
		{
			name:   "no GA labels: nothing to do",
			labels: map[string]string{labelBetaOS: "linux"},
			want:   map[string]string{labelBetaOS: "linux"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := newNode("n1")
			n.Labels = tc.labels
			h := newHarness(t, Config{}, n)
			if err := h.c.reconcileNodeLabels(h.ctx, "n1"); err != nil {
				t.Fatal(err)
			}
			got := h.node("n1").Labels
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("label %s = %q, want %q (labels %v)", k, got[k], v, got)
				}
			}
		})
	}
}

func TestApplyTaints(t *testing.T) {
	old := metav1.NewTime(t0)
	later := metav1.NewTime(t0.Add(time.Minute))
	unreachable := corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute, TimeAdded: &old}
	notReady := corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoExecute, TimeAdded: &later}
	foreign := corev1.Taint{Key: "example.com/x", Value: "1", Effect: corev1.TaintEffectNoExecute}
	tests := []struct {
		name        string
		taints      []corev1.Taint
		add         []corev1.Taint
		remove      []*corev1.Taint
		want        []corev1.Taint
		wantChanged bool
	}{
		{name: "swap", taints: []corev1.Taint{foreign, unreachable}, add: []corev1.Taint{notReady}, remove: []*corev1.Taint{unreachableTaintTemplate}, want: []corev1.Taint{foreign, notReady}, wantChanged: true},
		{name: "already there keeps its timeAdded", taints: []corev1.Taint{unreachable}, add: []corev1.Taint{{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute, TimeAdded: &later}}, want: []corev1.Taint{unreachable}},
		{name: "remove absent", taints: []corev1.Taint{foreign}, remove: []*corev1.Taint{notReadyTaintTemplate}, want: []corev1.Taint{foreign}},
		{name: "value differs: replaced", taints: []corev1.Taint{foreign}, add: []corev1.Taint{{Key: "example.com/x", Value: "2", Effect: corev1.TaintEffectNoExecute}}, want: []corev1.Taint{{Key: "example.com/x", Value: "2", Effect: corev1.TaintEffectNoExecute}}, wantChanged: true},
		{name: "same key, other effect is another taint", taints: []corev1.Taint{{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoSchedule}}, remove: []*corev1.Taint{unreachableTaintTemplate}, want: []corev1.Taint{{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoSchedule}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, changed := applyTaints(tc.taints, tc.add, tc.remove)
			if changed != tc.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tc.wantChanged)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i].Key != tc.want[i].Key || got[i].Value != tc.want[i].Value || got[i].Effect != tc.want[i].Effect || !got[i].TimeAdded.Equal(tc.want[i].TimeAdded) {
					t.Errorf("taint %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// TestMarkPodsNotReady: when a node's Ready leaves True, its pods (and only
// its pods) get Ready=False and a Warning event; a pod bound to the node later
// is marked by the pod worker.
func TestMarkPodsNotReady(t *testing.T) {
	h := newHarness(t, Config{},
		newNode("n1", withConditions(corev1.ConditionTrue, t0)), newLease("n1", t0, ""),
		newNode("n2", withConditions(corev1.ConditionTrue, t0)), newLease("n2", t0, ""),
		newPod("a", "n1"), newPod("b", "n1"), newPod("c", "n2"),
	)
	h.monitor()
	h.step(51 * time.Second)
	h.renewLease("n2")
	h.monitor()

	podReady := func(name string) corev1.ConditionStatus {
		p, err := h.client.CoreV1().Pods(metav1.NamespaceDefault).Get(h.ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady {
				return c.Status
			}
		}
		return ""
	}
	for pod, want := range map[string]corev1.ConditionStatus{"a": corev1.ConditionFalse, "b": corev1.ConditionFalse, "c": corev1.ConditionTrue} {
		if got := podReady(pod); got != want {
			t.Errorf("pod %s Ready = %s, want %s", pod, got, want)
		}
	}
	p, _ := h.client.CoreV1().Pods(metav1.NamespaceDefault).Get(h.ctx, "a", metav1.GetOptions{})
	for _, c := range p.Status.Conditions {
		now := metav1.NewTime(h.clock.Now())
		if c.Type == corev1.PodReady && !c.LastTransitionTime.Equal(&now) {
			t.Errorf("pod a Ready lastTransitionTime = %v, want now", c.LastTransitionTime)
		}
		if c.Type == corev1.ContainersReady && c.Status != corev1.ConditionTrue {
			t.Errorf("ContainersReady changed to %s; only Ready may change", c.Status)
		}
	}
	var podEvents []string
	for _, e := range h.rec.Find(EventNodeNotReady) {
		if e.Kind == "Pod" {
			if e.Type != corev1.EventTypeWarning || e.Message != "Node is not ready" {
				t.Errorf("pod event %v, want Warning NodeNotReady \"Node is not ready\"", e)
			}
			podEvents = append(podEvents, e.Name)
		}
	}
	slices.Sort(podEvents)
	if !slices.Equal(podEvents, []string{"a", "b"}) {
		t.Errorf("NodeNotReady pod events for %v, want [a b]", podEvents)
	}

	// A pod bound to the not-ready node afterwards.
	if _, err := h.client.CoreV1().Pods(metav1.NamespaceDefault).Create(h.ctx, newPod("late", "n1"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.sync()
	item, _ := h.c.podUpdateQueue.Get()
	for item.name != "late" {
		h.c.podUpdateQueue.Done(item)
		item, _ = h.c.podUpdateQueue.Get()
	}
	h.c.processPod(h.ctx, item)
	if got := podReady("late"); got != corev1.ConditionFalse {
		t.Errorf("late pod Ready = %s, want False", got)
	}
}

// TestMarkPodsNotReadyRetried: a pod status write that fails is retried on the
// next pass, even though the node's transition was seen only once.
func TestMarkPodsNotReadyRetried(t *testing.T) {
	h := newHarness(t, Config{},
		newNode("n1", withConditions(corev1.ConditionTrue, t0)), newLease("n1", t0, ""),
		newNode("n2", withConditions(corev1.ConditionTrue, t0)), newLease("n2", t0, ""),
		newPod("a", "n1"),
	)
	var failed atomic.Bool
	h.client.PrependReactor("update", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() == "status" && failed.CompareAndSwap(false, true) {
			return true, nil, errors.New("apiserver unavailable")
		}
		return false, nil, nil
	})
	h.monitor()
	h.step(51 * time.Second)
	h.renewLease("n2")
	h.monitor()
	if !failed.Load() {
		t.Fatal("the pod status write was not attempted")
	}
	if _, retry := h.c.nodesToRetry.Load("n1"); !retry {
		t.Fatal("n1 not marked for retry after the failed write")
	}
	h.step(5 * time.Second)
	h.renewLease("n2")
	h.monitor()
	p, _ := h.client.CoreV1().Pods(metav1.NamespaceDefault).Get(h.ctx, "a", metav1.GetOptions{})
	if !slices.ContainsFunc(p.Status.Conditions, func(c corev1.PodCondition) bool {
		return c.Type == corev1.PodReady && c.Status == corev1.ConditionFalse
	}) {
		t.Errorf("pod a not marked NotReady on the retry: %v", p.Status.Conditions)
	}
	if _, retry := h.c.nodesToRetry.Load("n1"); retry {
		t.Error("n1 still marked for retry")
	}
}

// TestRemovingNode: a deleted node is forgotten, with an event.
func TestRemovingNode(t *testing.T) {
	h := newHarness(t, Config{}, newNode("n1", withConditions(corev1.ConditionTrue, t0)))
	h.monitor()
	if err := h.client.CoreV1().Nodes().Delete(h.ctx, "n1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	h.monitor()
	if !h.rec.Has(EventRemovingNode, "Node n1 event: Removing Node n1 from Controller") {
		t.Errorf("no RemovingNode event; events:\n%s", h.rec.Dump())
	}
	if _, known := h.c.knownNodeSet["n1"]; known {
		t.Error("n1 still known")
	}
	if len(h.c.ZoneStates()) != 0 {
		t.Errorf("zone states %v, want none left", h.c.ZoneStates())
	}
}
