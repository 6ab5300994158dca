package disruption

import (
	"errors"
	"strings"
	"testing"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	fakediscovery "k8s.io/client-go/discovery/fake"
	fakescale "k8s.io/client-go/scale/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/k1s-dev/k1s/controllers/internal/controllertest"
)

func TestConfigValidate(t *testing.T) {
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("zero Config: %v", err)
	}
	err := Config{ConcurrentDisruptionSyncs: -1}.Validate()
	if err == nil || !strings.Contains(err.Error(), "--concurrent-disruption-syncs") {
		t.Errorf("negative syncs: got %v, want an error naming the flag", err)
	}
	if d := (Config{}).withDefaults(); d.ConcurrentDisruptionSyncs != 1 || d.Clock == nil {
		t.Errorf("defaults = %+v", d)
	}
}

// TestMinAvailableReplicaSet: an integer minAvailable counts the selected pods;
// a percentage is of the ReplicaSet's scale, rounded up.
func TestMinAvailableReplicaSet(t *testing.T) {
	rs := newRS("rs", 4)
	for _, tc := range []struct {
		name       string
		min        intstr.IntOrString
		pods       []runtime.Object
		want       wantStatus
		wantReason string
	}{{
		name:       "int, enough",
		min:        intstr.FromInt32(2),
		pods:       pods("p", 3, ownedByRS(rs), ready),
		want:       wantStatus{allowed: 1, current: 3, desired: 2, expected: 3},
		wantReason: policyv1.SufficientPodsReason,
	}, {
		name:       "int, exactly",
		min:        intstr.FromInt32(3),
		pods:       pods("p", 3, ownedByRS(rs), ready),
		want:       wantStatus{allowed: 0, current: 3, desired: 3, expected: 3},
		wantReason: policyv1.InsufficientPodsReason,
	}, {
		name:       "int, more than there are",
		min:        intstr.FromInt32(5),
		pods:       pods("p", 3, ownedByRS(rs), ready),
		want:       wantStatus{allowed: 0, current: 3, desired: 5, expected: 3},
		wantReason: policyv1.InsufficientPodsReason,
	}, {
		// The scale (4), not the pod count (3), is the denominator.
		name:       "percent of the scale",
		min:        intstr.FromString("50%"),
		pods:       pods("p", 3, ownedByRS(rs), ready),
		want:       wantStatus{allowed: 1, current: 3, desired: 2, expected: 4},
		wantReason: policyv1.SufficientPodsReason,
	}, {
		name:       "percent rounds up",
		min:        intstr.FromString("51%"),
		pods:       pods("p", 3, ownedByRS(rs), ready),
		want:       wantStatus{allowed: 0, current: 3, desired: 3, expected: 4},
		wantReason: policyv1.InsufficientPodsReason,
	}, {
		name:       "int, no pods",
		min:        intstr.FromInt32(0),
		want:       wantStatus{},
		wantReason: policyv1.InsufficientPodsReason,
	}, {
		// Unmanaged pods count for an integer minAvailable.
		name:       "int, naked pods",
		min:        intstr.FromInt32(1),
		pods:       pods("p", 2, ready),
		want:       wantStatus{allowed: 1, current: 2, desired: 1, expected: 2},
		wantReason: policyv1.SufficientPodsReason,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			pdb := newMinAvailablePDB(tc.min)
			h := newHarness(t, objs(rs, pdb, tc.pods)...)
			got := h.mustSync(pdb)
			verifyStatus(t, got, tc.want, tc.wantReason)
			if len(tc.pods) == 0 && !h.rec.Has("NoPods", "No matching pods found") {
				t.Errorf("no NoPods event:\n%s", h.rec.Dump())
			}
		})
	}
}

// TestMaxUnavailableDeployment: the scale of pods of a Deployment's
// ReplicaSet is the Deployment's, not the ReplicaSet's.
func TestMaxUnavailableDeployment(t *testing.T) {
	d := newDeployment("web", 5)
	// A ReplicaSet mid-rollout, at 3 of the Deployment's 5.
	rs := ownedRS("web-abc", 3, d)
	for _, tc := range []struct {
		name       string
		max        intstr.IntOrString
		pods       []runtime.Object
		want       wantStatus
		wantReason string
	}{{
		name:       "int",
		max:        intstr.FromInt32(1),
		pods:       pods("p", 5, ownedByRS(rs), ready),
		want:       wantStatus{allowed: 1, current: 5, desired: 4, expected: 5},
		wantReason: policyv1.SufficientPodsReason,
	}, {
		name:       "percent rounds up",
		max:        intstr.FromString("30%"),
		pods:       pods("p", 5, ownedByRS(rs), ready),
		want:       wantStatus{allowed: 2, current: 5, desired: 3, expected: 5},
		wantReason: policyv1.SufficientPodsReason,
	}, {
		name:       "one short",
		max:        intstr.FromInt32(1),
		pods:       pods("p", 4, ownedByRS(rs), ready),
		want:       wantStatus{allowed: 0, current: 4, desired: 4, expected: 5},
		wantReason: policyv1.InsufficientPodsReason,
	}, {
		name:       "maxUnavailable above the scale",
		max:        intstr.FromInt32(7),
		pods:       pods("p", 2, ownedByRS(rs), ready),
		want:       wantStatus{allowed: 2, current: 2, desired: 0, expected: 5},
		wantReason: policyv1.SufficientPodsReason,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			pdb := newMaxUnavailablePDB(tc.max)
			h := newHarness(t, objs(d, rs, pdb, tc.pods)...)
			got := h.mustSync(pdb)
			verifyStatus(t, got, tc.want, tc.wantReason)
		})
	}
}

// TestUnhealthyPods: pods not ready, terminating, or just disrupted are not
// currently healthy, but still counted as expected.
func TestUnhealthyPods(t *testing.T) {
	rs := newRS("rs", 5)
	pdb := newMinAvailablePDB(intstr.FromInt32(2))
	pdb.Status.DisruptedPods = map[string]metav1.Time{"evicted": metav1.NewTime(t0.Add(-time.Minute))}
	h := newHarness(t, objs(rs, pdb,
		newPod("ready-0", ownedByRS(rs), ready),
		newPod("ready-1", ownedByRS(rs), ready),
		newPod("not-ready", ownedByRS(rs), notReady),
		newPod("pending", ownedByRS(rs)),
		newPod("terminating", ownedByRS(rs), ready, terminating),
		newPod("evicted", ownedByRS(rs), ready),
	)...)
	got := h.mustSync(pdb)
	verifyStatus(t, got, wantStatus{
		allowed: 0, current: 2, desired: 2, expected: 6,
		disrupted: map[string]metav1.Time{"evicted": metav1.NewTime(t0.Add(-time.Minute))},
	}, policyv1.InsufficientPodsReason)

	// A pod turning ready makes room for one disruption.
	p := newPod("not-ready", ownedByRS(rs), ready)
	h.addToCache(p)
	got = h.mustSync(pdb)
	if got.Status.CurrentHealthy != 3 || got.Status.DisruptionsAllowed != 1 {
		t.Errorf("after a pod turned ready: current %d, allowed %d; want 3, 1", got.Status.CurrentHealthy, got.Status.DisruptionsAllowed)
	}
	verifyCondition(t, got, policyv1.SufficientPodsReason)
}

// TestDisruptedPodsExpiry: an evicted pod that is not deleted within
// DeletionTimeout is dropped from disruptedPods and counted again; a re-check
// is queued for the moment it expires.
func TestDisruptedPodsExpiry(t *testing.T) {
	rs := newRS("rs", 3)
	pdb := newMinAvailablePDB(intstr.FromInt32(2))
	evictedAt := metav1.NewTime(t0)
	pdb.Status.DisruptedPods = map[string]metav1.Time{
		"p-0":  evictedAt,
		"gone": evictedAt, // no such pod: dropped at once
	}
	h := newHarness(t, objs(rs, pdb, pods("p", 3, ownedByRS(rs), ready))...)

	h.clock.Step(time.Minute)
	got := h.mustSync(pdb)
	verifyStatus(t, got, wantStatus{
		allowed: 0, current: 2, desired: 2, expected: 3,
		disrupted: map[string]metav1.Time{"p-0": evictedAt},
	}, policyv1.InsufficientPodsReason)

	// The re-check fires when p-0's eviction expires, not before.
	h.clock.Step(time.Minute - time.Second)
	time.Sleep(20 * time.Millisecond)
	if n := h.c.recheckQueue.Len(); n != 0 {
		t.Fatalf("re-check queued %d items before the expiry", n)
	}
	h.clock.Step(2 * time.Second)
	controllertest.Eventually(t, func() bool { return h.c.recheckQueue.Len() == 1 }, "re-check after DeletionTimeout")
	if key, _ := h.c.recheckQueue.Get(); key != "ns/pdb" {
		t.Errorf("re-check key %q, want ns/pdb", key)
	}

	got = h.mustSync(pdb)
	verifyStatus(t, got, wantStatus{allowed: 1, current: 3, desired: 2, expected: 3}, policyv1.SufficientPodsReason)
	if ev := h.rec.Find("NotDeleted"); len(ev) != 1 || ev[0].Name != "p-0" || ev[0].Type != corev1.EventTypeWarning {
		t.Errorf("NotDeleted events: %v", ev)
	}
}

// TestDisruptedPodDeleted: a disrupted pod that is terminating leaves
// disruptedPods at once, and is not healthy.
func TestDisruptedPodDeleted(t *testing.T) {
	rs := newRS("rs", 3)
	pdb := newMinAvailablePDB(intstr.FromInt32(1))
	pdb.Status.DisruptedPods = map[string]metav1.Time{"p-0": metav1.NewTime(t0)}
	h := newHarness(t, objs(rs, pdb,
		newPod("p-0", ownedByRS(rs), ready, terminating),
		newPod("p-1", ownedByRS(rs), ready),
	)...)
	got := h.mustSync(pdb)
	verifyStatus(t, got, wantStatus{allowed: 0, current: 1, desired: 1, expected: 2}, policyv1.InsufficientPodsReason)
	if n := h.c.recheckQueue.Len(); n != 0 {
		t.Errorf("%d re-checks queued, want none", n)
	}
}

// TestSyncFailed: when the expected count cannot be computed the controller
// fails safe: disruptionsAllowed 0, reason SyncFailed, counters kept.
func TestSyncFailed(t *testing.T) {
	for _, tc := range []struct {
		name    string
		pdb     *policyv1.PodDisruptionBudget
		pod     *corev1.Pod
		wantMsg string
	}{{
		// k1s serves no StatefulSets, and this clientset has no /scale.
		name:    "controller not found",
		pdb:     newMinAvailablePDB(intstr.FromString("50%")),
		pod:     newPod("p-0", ready, ownedBy(metav1.OwnerReference{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "ss", UID: "ss-uid", Controller: ptr.To(true)})),
		wantMsg: `found no controllers for pod "p-0"`,
	}, {
		name:    "bad percentage",
		pdb:     newMaxUnavailablePDB(intstr.FromString("ten%")),
		pod:     newPod("p-0", ready),
		wantMsg: "invalid value for IntOrString",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			pdb := tc.pdb
			pdb.Status = policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: 3, CurrentHealthy: 4, DesiredHealthy: 1, ExpectedPods: 4, ObservedGeneration: 2}
			h := newHarness(t, pdb, tc.pod)
			got, err := h.sync(pdb)
			if err != nil {
				t.Fatalf("sync: %v (the fail-safe write succeeded, so no error)", err)
			}
			if got.Status.DisruptionsAllowed != 0 || got.Status.CurrentHealthy != 4 || got.Status.ObservedGeneration != 2 {
				t.Errorf("status after failure: %+v", got.Status)
			}
			verifyCondition(t, got, policyv1.SyncFailedReason)
			cond := apimeta.FindStatusCondition(got.Status.Conditions, policyv1.DisruptionAllowedCondition)
			if !strings.Contains(cond.Message, tc.wantMsg) {
				t.Errorf("condition message %q, want it to contain %q", cond.Message, tc.wantMsg)
			}
			if len(h.rec.Find("CalculateExpectedPodCountFailed")) != 1 {
				t.Errorf("no CalculateExpectedPodCountFailed event:\n%s", h.rec.Dump())
			}

			// Once it can be computed, the condition recovers.
			pod := tc.pod.DeepCopy()
			pod.OwnerReferences = nil
			h.addToCache(pod)
			pdb = got.DeepCopy()
			if pdb.Spec.MaxUnavailable != nil {
				pdb.Spec.MaxUnavailable = nil
			}
			pdb.Spec.MinAvailable = ptr.To(intstr.FromInt32(0))
			if _, err := h.client.PolicyV1().PodDisruptionBudgets("ns").Update(h.ctx, pdb, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			h.addToCache(pdb)
			got = h.mustSync(pdb)
			verifyStatus(t, got, wantStatus{allowed: 1, current: 1, desired: 0, expected: 1}, policyv1.SufficientPodsReason)
		})
	}
}

// TestUnmanagedPodsPercentage: naked pods under a percentage are left out of
// the expected count, with a warning, rather than failing the sync.
func TestUnmanagedPodsPercentage(t *testing.T) {
	rs := newRS("rs", 2)
	pdb := newMinAvailablePDB(intstr.FromString("50%"))
	h := newHarness(t, objs(rs, pdb, pods("owned", 2, ownedByRS(rs), ready), newPod("naked", ready))...)
	got := h.mustSync(pdb)
	verifyStatus(t, got, wantStatus{allowed: 2, current: 3, desired: 1, expected: 2}, policyv1.SufficientPodsReason)
	if len(h.rec.Find("UnmanagedPods")) != 1 {
		t.Errorf("no UnmanagedPods event:\n%s", h.rec.Dump())
	}
}

// TestConflictSkipsFailSafe: a conflicting status write is retried, without
// the fail-safe write.
func TestConflictSkipsFailSafe(t *testing.T) {
	rs := newRS("rs", 2)
	pdb := newMinAvailablePDB(intstr.FromInt32(1))
	h := newHarness(t, objs(rs, pdb, pods("p", 2, ownedByRS(rs), ready))...)
	h.client.PrependReactor("update", "poddisruptionbudgets", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewConflict(policyv1.Resource("poddisruptionbudgets"), "pdb", errors.New("stale"))
	})
	if _, err := h.sync(pdb); !apierrors.IsConflict(err) {
		t.Fatalf("sync: got %v, want a conflict", err)
	}
	if n := len(h.actions("update", "poddisruptionbudgets")); n != 1 {
		t.Errorf("%d status writes, want 1 (no fail-safe)", n)
	}
}

// TestNoWriteWhenUpToDate: a second sync of an unchanged PDB writes nothing.
func TestNoWriteWhenUpToDate(t *testing.T) {
	rs := newRS("rs", 2)
	pdb := newMinAvailablePDB(intstr.FromInt32(1))
	h := newHarness(t, objs(rs, pdb, pods("p", 2, ownedByRS(rs), ready))...)
	h.mustSync(pdb)
	h.mustSync(pdb)
	if n := len(h.actions("update", "poddisruptionbudgets")); n != 1 {
		t.Errorf("%d status writes, want 1", n)
	}
}

var customGVK = schema.GroupVersionKind{Group: "custom.k8s.io", Version: "v1", Kind: "Widget"}

// withScale gives the harness a static REST mapper for customGVK and a fake
// /scale client answering with replicas for uid (or err).
func withScale(h *harness, uid string, replicas int32, err error) {
	mapper := apimeta.NewDefaultRESTMapper(nil)
	mapper.Add(customGVK, apimeta.RESTScopeNamespace)
	h.c.mapper = mapper
	sc := &fakescale.FakeScaleClient{}
	sc.AddReactor("get", "widgets", func(k8stesting.Action) (bool, runtime.Object, error) {
		if err != nil {
			return true, nil, err
		}
		return true, &autoscalingv1.Scale{
			ObjectMeta: metav1.ObjectMeta{Name: "w", Namespace: "ns", UID: "w-uid"},
			Spec:       autoscalingv1.ScaleSpec{Replicas: replicas},
		}, nil
	})
	h.c.scaleNamespacer = sc
}

func widgetRef() metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: customGVK.GroupVersion().String(), Kind: customGVK.Kind, Name: "w", UID: "w-uid", Controller: ptr.To(true)}
}

// TestScaleSubresource: pods of any other controller get their scale from
// its /scale subresource.
func TestScaleSubresource(t *testing.T) {
	pdb := newMaxUnavailablePDB(intstr.FromInt32(5))
	h := newHarness(t, objs(pdb, pods("p", 4, ownedBy(widgetRef()), ready))...)
	withScale(h, "w-uid", 10, nil)
	got := h.mustSync(pdb)
	// 10 expected, 5 desired, 4 healthy.
	verifyStatus(t, got, wantStatus{allowed: 0, current: 4, desired: 5, expected: 10}, policyv1.InsufficientPodsReason)
}

// TestScaleFinderNoResource: a 404 from /scale is an error unless discovery
// shows the resource serves autoscaling/v1 Scale.
func TestScaleFinderNoResource(t *testing.T) {
	for _, tc := range []struct {
		name      string
		resources []metav1.APIResource
		wantErr   bool
	}{{
		name: "resource implements scale",
		resources: []metav1.APIResource{
			{Kind: customGVK.Kind, Name: "widgets"},
			{Kind: "Scale", Group: "autoscaling", Version: "v1", Name: "widgets/scale"},
		},
	}, {
		name: "scale of an unsupported kind",
		resources: []metav1.APIResource{
			{Kind: customGVK.Kind, Name: "widgets"},
			{Kind: customGVK.Kind, Name: "widgets/scale"},
		},
		wantErr: true,
	}, {
		name:      "no scale subresource",
		resources: []metav1.APIResource{{Kind: customGVK.Kind, Name: "widgets"}},
		wantErr:   true,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			withScale(h, "w-uid", 0, apierrors.NewNotFound(schema.GroupResource{Group: customGVK.Group, Resource: "widgets"}, "w"))
			h.client.Discovery().(*fakediscovery.FakeDiscovery).Resources = []*metav1.APIResourceList{
				{GroupVersion: customGVK.GroupVersion().String(), APIResources: tc.resources},
			}
			ref := widgetRef()
			got, err := h.c.getScaleController(h.ctx, &ref, "ns")
			if (err != nil) != tc.wantErr {
				t.Errorf("error = %v, want error %v", err, tc.wantErr)
			}
			if got != nil {
				t.Errorf("found %+v for a missing resource", got)
			}
		})
	}
}

// TestFinders: ReplicaSets under a Deployment resolve to the Deployment,
// others to themselves; UID mismatches resolve to nothing.
func TestFinders(t *testing.T) {
	d := newDeployment("d", 7)
	depRS := ownedRS("d-rs", 2, d)
	rs := newRS("rs", 4)
	staleRef := *metav1.NewControllerRef(rs, rs.GroupVersionKind())
	staleRef.APIVersion, staleRef.Kind, staleRef.UID = "apps/v1", "ReplicaSet", "other-uid"
	h := newHarness(t, d, depRS, rs)
	for _, tc := range []struct {
		name string
		ref  metav1.OwnerReference
		want *controllerAndScale
	}{
		{"deployment's replicaset", *metav1.NewControllerRef(depRS, depRS.GroupVersionKind()), &controllerAndScale{d.UID, 7}},
		{"bare replicaset", *metav1.NewControllerRef(rs, rs.GroupVersionKind()), &controllerAndScale{rs.UID, 4}},
		{"uid mismatch", staleRef, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref := tc.ref
			ref.APIVersion, ref.Kind = "apps/v1", "ReplicaSet"
			var found *controllerAndScale
			for _, f := range h.c.finders() {
				got, err := f(h.ctx, &ref, "ns")
				if err != nil {
					t.Fatal(err)
				}
				if got != nil {
					found = got
					break
				}
			}
			if (found == nil) != (tc.want == nil) || (found != nil && *found != *tc.want) {
				t.Errorf("found %+v, want %+v", found, tc.want)
			}
		})
	}
}

// TestStalePodDisruption: a DisruptionTarget condition left True for 2
// minutes on a pod that is not terminating is reset to False; the kubelet's,
// and those of terminating or terminal pods, are left alone.
func TestStalePodDisruption(t *testing.T) {
	for _, tc := range []struct {
		name      string
		pod       *corev1.Pod
		age       time.Duration
		wantReset bool
		wantWait  time.Duration
	}{
		{name: "stale", pod: newPod("p", ready, disruptionTarget("EvictionByEvictionAPI", t0)), age: 2 * time.Minute, wantReset: true},
		{name: "not stale yet", pod: newPod("p", ready, disruptionTarget("EvictionByEvictionAPI", t0)), age: 90 * time.Second, wantWait: 30 * time.Second},
		{name: "set by the kubelet", pod: newPod("p", ready, disruptionTarget(corev1.PodReasonTerminationByKubelet, t0)), age: time.Hour},
		{name: "terminating", pod: newPod("p", ready, terminating, disruptionTarget("EvictionByEvictionAPI", t0)), age: time.Hour},
		{name: "terminal", pod: newPod("p", disruptionTarget("EvictionByEvictionAPI", t0), func(p *corev1.Pod) { p.Status.Phase = corev1.PodFailed }), age: time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.pod.Generation = 4
			h := newHarness(t, tc.pod)
			h.clock.Step(tc.age)
			has, wait := h.c.nonTerminatingPodHasStaleDisruptionCondition(tc.pod)
			if wantHas := tc.wantReset || tc.wantWait > 0; has != wantHas || wait != tc.wantWait {
				t.Errorf("stale = %v after %v, want %v after %v", has, wait, wantHas, tc.wantWait)
			}
			if err := h.c.syncStalePodDisruption(h.ctx, "ns/p"); err != nil {
				t.Fatal(err)
			}
			updates := h.actions("update", "pods")
			if !tc.wantReset {
				if len(updates) != 0 {
					t.Fatalf("pod status updated: %v", updates)
				}
				return
			}
			if len(updates) != 1 || updates[0].GetSubresource() != "status" {
				t.Fatalf("updates %v, want one status update", updates)
			}
			got := updates[0].(k8stesting.UpdateAction).GetObject().(*corev1.Pod)
			var cond *corev1.PodCondition
			for i := range got.Status.Conditions {
				if got.Status.Conditions[i].Type == corev1.DisruptionTarget {
					cond = &got.Status.Conditions[i]
				}
			}
			if cond == nil || cond.Status != corev1.ConditionFalse || !cond.LastTransitionTime.Time.Equal(h.clock.Now()) || cond.ObservedGeneration != 4 {
				t.Errorf("DisruptionTarget after reset: %+v", cond)
			}
			if tc.pod.Status.Conditions[len(tc.pod.Status.Conditions)-1].Status != corev1.ConditionTrue {
				t.Error("the cached pod was mutated")
			}
		})
	}
}

// TestMultiplePDBs: a pod matched by two PDBs gets a warning event.
func TestMultiplePDBs(t *testing.T) {
	a := newMinAvailablePDB(intstr.FromInt32(1))
	b := newMinAvailablePDB(intstr.FromInt32(1))
	b.Name, b.UID = "other", "other-uid"
	h := newHarness(t, a, b)
	pod := newPod("p", ready)
	h.c.addPod(klog.FromContext(h.ctx), pod)
	if len(h.rec.Find("MultiplePodDisruptionBudgets")) != 1 {
		t.Errorf("no MultiplePodDisruptionBudgets event:\n%s", h.rec.Dump())
	}
	if n := h.c.queue.Len(); n != 1 {
		t.Errorf("%d PDBs queued, want 1", n)
	}
}
