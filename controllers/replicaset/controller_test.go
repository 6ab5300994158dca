package replicaset

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/k1s-dev/k1s/controllers/internal/controllerutil"
)

func TestConfig(t *testing.T) {
	if err := (Config{ConcurrentRSSyncs: -1}).Validate(); err == nil || !strings.Contains(err.Error(), "--concurrent-replicaset-syncs") {
		t.Errorf("Validate(-1) = %v, want an error naming the flag", err)
	}
	if got := (Config{}).withDefaults(); got.ConcurrentRSSyncs != 5 || got.Clock == nil {
		t.Errorf("defaults = %+v, want 5 workers and a clock", got)
	}
	if ControllerName != "replicaset-controller" || ClientName != "replicaset-controller" {
		t.Errorf("names = %q, %q", ControllerName, ClientName)
	}
}

func TestScaleUp(t *testing.T) {
	rs := newRS("web", 3)
	h := newHarness(t, rs)
	if err := h.sync(rs); err != nil {
		t.Fatalf("sync: %v", err)
	}
	if len(h.created) != 3 {
		t.Fatalf("created %d pods, want 3", len(h.created))
	}
	for _, p := range h.created {
		if p.GenerateName != "web-" {
			t.Errorf("generateName = %q, want web-", p.GenerateName)
		}
		ref := metav1.GetControllerOf(p)
		if ref == nil || ref.UID != rs.UID || ref.Kind != "ReplicaSet" || ref.APIVersion != "apps/v1" || !ptr.Deref(ref.BlockOwnerDeletion, false) {
			t.Errorf("controller ref = %+v", ref)
		}
		if p.Labels["app"] != "web" || p.Labels["tier"] != "web" {
			t.Errorf("labels = %v, want the template's", p.Labels)
		}
		if !h.rec.Has("SuccessfulCreate", "Created pod: "+p.Name) {
			t.Errorf("no SuccessfulCreate event for %s:\n%s", p.Name, h.rec.Dump())
		}
	}
	// Until the informer reports the creations, a second sync must not
	// create more pods.
	if err := h.sync(rs); err != nil {
		t.Fatalf("second sync: %v", err)
	}
	if len(h.created) != 3 {
		t.Errorf("second sync created more pods before observing the first: %d", len(h.created))
	}
	// Once observed, a sync with all pods present creates nothing.
	for _, p := range h.created {
		h.addToCache(p)
		h.c.addPod(klogDiscard(), p)
	}
	if err := h.sync(rs); err != nil {
		t.Fatalf("third sync: %v", err)
	}
	if len(h.created) != 3 {
		t.Errorf("created %d pods, want 3", len(h.created))
	}
	if got := h.getRS(rs).Status; got.Replicas != 3 || got.ObservedGeneration != 1 {
		t.Errorf("status = %+v, want replicas 3, observedGeneration 1", got)
	}
}

func TestSlowStartAndFailureCondition(t *testing.T) {
	rs := newRS("web", 10)
	h := newHarness(t, rs)
	calls := 0
	h.client.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		calls++
		if calls > 3 {
			return true, nil, errors.New("quota exceeded")
		}
		return false, nil, nil
	})
	err := h.sync(rs)
	if err == nil {
		t.Fatal("sync succeeded, want the create error")
	}
	// Batches of 1 and 2 succeed, the batch of 4 fails: 7 attempts, the
	// remaining 3 are never tried.
	if calls != 7 {
		t.Errorf("create attempts = %d, want 7 (batches 1, 2, 4)", calls)
	}
	if n := len(h.rec.Find("FailedCreate")); n != 4 {
		t.Errorf("FailedCreate events = %d, want 4:\n%s", n, h.rec.Dump())
	}
	cond := GetCondition(h.getRS(rs).Status, appsv1.ReplicaSetReplicaFailure)
	if cond == nil || cond.Status != corev1.ConditionTrue || cond.Reason != "FailedCreate" || !strings.Contains(cond.Message, "quota exceeded") {
		t.Errorf("ReplicaFailure condition = %+v", cond)
	}
	// Skipped creations were subtracted from the expectations: 3 pods
	// were created and not observed, so the RS still waits for them.
	add, _ := mustExpectations(t, h, rs)
	if add != 3 {
		t.Errorf("pending creations = %d, want 3", add)
	}
}

func mustExpectations(t *testing.T, h *harness, rs *appsv1.ReplicaSet) (int64, int64) {
	t.Helper()
	exp, ok, err := h.c.expectations.GetExpectations(rs.Namespace + "/" + rs.Name)
	if err != nil || !ok {
		t.Fatalf("no expectations: %v", err)
	}
	return exp.GetExpectations()
}

func TestExpectationsExpire(t *testing.T) {
	rs := newRS("web", 2)
	h := newHarness(t, rs)
	if err := h.sync(rs); err != nil {
		t.Fatal(err)
	}
	key := "ns/web"
	if h.c.expectations.SatisfiedExpectations(klogDiscard(), key) {
		t.Fatal("expectations satisfied before the creations were observed")
	}
	h.clock.Step(controllerutil.ExpectationsTimeout + time.Second)
	if !h.c.expectations.SatisfiedExpectations(klogDiscard(), key) {
		t.Error("expectations did not expire on the injected clock")
	}
}

func TestScaleDown(t *testing.T) {
	rs := newRS("web", 1)
	pods := []*corev1.Pod{
		newPod("ready-old", rs, onNode("n1"), readySince(t0.Add(-time.Hour))),
		newPod("pending", rs, onNode("n1"), phase(corev1.PodPending)),
		newPod("unscheduled", rs),
	}
	objs := []runtime.Object{rs}
	for _, p := range pods {
		objs = append(objs, p)
	}
	h := newHarness(t, objs...)
	if err := h.sync(rs); err != nil {
		t.Fatal(err)
	}
	var deleted []string
	for _, a := range h.actions("delete", "pods") {
		deleted = append(deleted, a.(k8stesting.DeleteAction).GetName())
	}
	slices.Sort(deleted)
	if want := []string{"pending", "unscheduled"}; !slices.Equal(deleted, want) {
		t.Errorf("deleted %v, want %v", deleted, want)
	}
	for _, n := range deleted {
		if !h.rec.Has("SuccessfulDelete", "Deleted pod: "+n) {
			t.Errorf("no SuccessfulDelete event for %s", n)
		}
	}
	// Deletions are tracked by pod key: seeing the same pod twice (update
	// with deletionTimestamp, then delete) counts once.
	_, del := mustExpectations(t, h, rs)
	if del != 2 {
		t.Fatalf("pending deletions = %d, want 2", del)
	}
	gone := newPod("pending", rs, onNode("n1"), terminating())
	h.c.deletePod(klogDiscard(), gone)
	h.c.deletePod(klogDiscard(), gone)
	if _, del := mustExpectations(t, h, rs); del != 1 {
		t.Errorf("pending deletions = %d, want 1", del)
	}
}

func TestGetPodsToDelete(t *testing.T) {
	rs := newRS("web", 0)
	now := t0
	for _, tc := range []struct {
		name    string
		pods    []*corev1.Pod
		related []*corev1.Pod
		diff    int
		want    []string
	}{{
		name: "unscheduled before scheduled",
		pods: []*corev1.Pod{newPod("a", rs, onNode("n1")), newPod("b", rs)},
		diff: 1, want: []string{"b"},
	}, {
		name: "pending before unknown before running",
		pods: []*corev1.Pod{
			newPod("running", rs, onNode("n"), phase(corev1.PodRunning)),
			newPod("unknown", rs, onNode("n"), phase(corev1.PodUnknown)),
			newPod("pending", rs, onNode("n"), phase(corev1.PodPending)),
		},
		diff: 2, want: []string{"pending", "unknown"},
	}, {
		name: "not ready before ready",
		pods: []*corev1.Pod{
			newPod("ready", rs, onNode("n"), readySince(now.Add(-time.Minute))),
			newPod("notready", rs, onNode("n"), phase(corev1.PodRunning)),
		},
		diff: 1, want: []string{"notready"},
	}, {
		name: "lower deletion cost first",
		pods: []*corev1.Pod{
			newPod("cheap", rs, onNode("n"), readySince(now.Add(-time.Hour)), deletionCost("-5")),
			newPod("dear", rs, onNode("n"), readySince(now.Add(-time.Second)), deletionCost("100")),
		},
		diff: 1, want: []string{"cheap"},
	}, {
		name: "doubled up on a node first",
		pods: []*corev1.Pod{
			newPod("alone", rs, onNode("n1"), readySince(now.Add(-time.Hour))),
			newPod("crowded", rs, onNode("n2"), readySince(now.Add(-time.Hour))),
		},
		related: []*corev1.Pod{
			newPod("alone", rs, onNode("n1"), readySince(now.Add(-time.Hour))),
			newPod("crowded", rs, onNode("n2"), readySince(now.Add(-time.Hour))),
			newPod("other", rs, onNode("n2"), readySince(now.Add(-time.Hour))),
		},
		diff: 1, want: []string{"crowded"},
	}, {
		name: "recently ready before long ready (logarithmic buckets)",
		pods: []*corev1.Pod{
			newPod("old", rs, onNode("n"), readySince(now.Add(-10*time.Hour))),
			newPod("young", rs, onNode("n"), readySince(now.Add(-time.Minute))),
		},
		diff: 1, want: []string{"young"},
	}, {
		name: "more restarts first",
		pods: []*corev1.Pod{
			newPod("calm", rs, onNode("n"), readySince(now.Add(-time.Hour)), restarts(0)),
			newPod("flappy", rs, onNode("n"), readySince(now.Add(-time.Hour)), restarts(4)),
		},
		diff: 1, want: []string{"flappy"},
	}, {
		name: "newer before older",
		pods: []*corev1.Pod{
			newPod("older", rs, onNode("n"), phase(corev1.PodRunning), created(now.Add(-24*time.Hour))),
			newPod("newer", rs, onNode("n"), phase(corev1.PodRunning), created(now.Add(-time.Minute))),
		},
		diff: 1, want: []string{"newer"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			related := tc.related
			if related == nil {
				related = tc.pods
			}
			var got []string
			for _, p := range getPodsToDelete(slices.Clone(tc.pods), related, tc.diff, now) {
				got = append(got, p.Name)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("getPodsToDelete = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAdoptAndRelease(t *testing.T) {
	rs := newRS("web", 2)
	adoptee := newPod("stray", rs, orphan(), onNode("n"))
	leaver := newPod("relabelled", rs, onNode("n"), labelled(map[string]string{"app": "other"}))
	stranger := newPod("stranger", rs, orphan(), labelled(map[string]string{"app": "other"}))
	h := newHarness(t, rs, adoptee, leaver, stranger)
	if err := h.sync(rs); err != nil {
		t.Fatal(err)
	}
	patches := map[string]string{}
	for _, a := range h.actions("patch", "pods") {
		p := a.(k8stesting.PatchAction)
		patches[p.GetName()] = string(p.GetPatch())
	}
	if p := patches["stray"]; !strings.Contains(p, `"controller":true`) || !strings.Contains(p, string(rs.UID)) {
		t.Errorf("adoption patch = %q", p)
	}
	if p := patches["relabelled"]; !strings.Contains(p, `"$patch":"delete"`) || !strings.Contains(p, string(rs.UID)) {
		t.Errorf("release patch = %q", p)
	}
	if _, ok := patches["stranger"]; ok {
		t.Error("a pod not matching the selector was adopted")
	}
	// The adopted pod counts: one more pod is created to reach 2.
	if len(h.created) != 1 {
		t.Errorf("created %d pods, want 1", len(h.created))
	}
	adopted, err := h.client.CoreV1().Pods("ns").Get(h.ctx, "stray", metav1.GetOptions{})
	if err != nil || !metav1.IsControlledBy(adopted, rs) {
		t.Errorf("stray pod not controlled by the rs after adoption: %v", err)
	}
}

func TestNoAdoptionWhileDeleting(t *testing.T) {
	rs := newRS("web", 1)
	rs.DeletionTimestamp = ptr.To(metav1.NewTime(t0))
	h := newHarness(t, rs, newPod("stray", rs, orphan()))
	if err := h.sync(rs); err != nil {
		t.Fatal(err)
	}
	if n := len(h.actions("patch", "pods")) + len(h.created); n != 0 {
		t.Errorf("a ReplicaSet being deleted adopted or created pods (%d writes)", n)
	}
}

func TestCalculateStatus(t *testing.T) {
	rs := newRS("web", 4)
	rs.Spec.MinReadySeconds = 30
	now := t0
	for _, tc := range []struct {
		name        string
		active      []*corev1.Pod
		terminating []*corev1.Pod
		err         error
		want        appsv1.ReplicaSetStatus
		wantCond    string
	}{{
		name: "counts",
		active: []*corev1.Pod{
			newPod("available", rs, readySince(now.Add(-time.Minute))),
			newPod("ready-not-yet-available", rs, readySince(now.Add(-10*time.Second))),
			newPod("partially-labelled", rs, labelled(map[string]string{"app": "web"})),
		},
		terminating: []*corev1.Pod{newPod("going", rs, terminating())},
		want:        appsv1.ReplicaSetStatus{Replicas: 3, FullyLabeledReplicas: 2, ReadyReplicas: 2, AvailableReplicas: 1, TerminatingReplicas: ptr.To[int32](1)},
	}, {
		name:     "create failure",
		active:   []*corev1.Pod{newPod("a", rs)},
		err:      errors.New("forbidden"),
		want:     appsv1.ReplicaSetStatus{Replicas: 1, FullyLabeledReplicas: 1, TerminatingReplicas: ptr.To[int32](0)},
		wantCond: "FailedCreate",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := calculateStatus(rs, tc.active, tc.terminating, tc.err, now)
			cond := GetCondition(got, appsv1.ReplicaSetReplicaFailure)
			got.Conditions = nil
			if got.Replicas != tc.want.Replicas || got.FullyLabeledReplicas != tc.want.FullyLabeledReplicas ||
				got.ReadyReplicas != tc.want.ReadyReplicas || got.AvailableReplicas != tc.want.AvailableReplicas ||
				!ptr.Equal(got.TerminatingReplicas, tc.want.TerminatingReplicas) {
				t.Errorf("status = %+v, want %+v", got, tc.want)
			}
			switch {
			case tc.wantCond == "" && cond != nil:
				t.Errorf("unexpected condition %+v", cond)
			case tc.wantCond != "" && (cond == nil || cond.Reason != tc.wantCond || !cond.LastTransitionTime.Time.Equal(now)):
				t.Errorf("condition = %+v, want reason %s at %v", cond, tc.wantCond, now)
			}
		})
	}
}

func TestMinReadySecondsRequeue(t *testing.T) {
	rs := newRS("web", 1)
	rs.Spec.MinReadySeconds = 10
	pod := newPod("p", rs, onNode("n"), readySince(t0.Add(-4*time.Second)))
	h := newHarness(t, rs, pod)
	if err := h.sync(rs); err != nil {
		t.Fatal(err)
	}
	if st := h.getRS(rs).Status; st.ReadyReplicas != 1 || st.AvailableReplicas != 0 {
		t.Fatalf("status = %+v, want 1 ready, 0 available", st)
	}
	// The key is requeued for when the pod becomes available (6 s later);
	// nothing is queued before that.
	h.clock.Step(5 * time.Second)
	if h.c.queue.Len() != 0 {
		t.Fatalf("queue length = %d before the delay", h.c.queue.Len())
	}
	// Availability needs the ready time plus minReadySeconds to be strictly
	// in the past.
	h.clock.Step(2 * time.Second)
	waitQueued(t, h, 1)
	h.c.rsIndexer.Update(h.getRS(rs))
	if err := h.sync(rs); err != nil {
		t.Fatal(err)
	}
	if st := h.getRS(rs).Status; st.AvailableReplicas != 1 {
		t.Errorf("availableReplicas = %d after minReadySeconds, want 1", st.AvailableReplicas)
	}
}
