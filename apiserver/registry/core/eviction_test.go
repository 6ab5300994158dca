package core

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func budget(name string, status policyv1.PodDisruptionBudgetStatus) *policyv1.PodDisruptionBudget {
	return &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Generation: 1},
		Spec:       policyv1.PodDisruptionBudgetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}},
		Status:     status,
	}
}

func TestCheckAndDecrement(t *testing.T) {
	for _, tc := range []struct {
		name        string
		status      policyv1.PodDisruptionBudgetStatus
		dryRun      bool
		wantCode    int32
		wantCause   string
		wantAllowed int32
	}{
		{name: "allowed", status: policyv1.PodDisruptionBudgetStatus{ObservedGeneration: 1, DisruptionsAllowed: 2}, wantAllowed: 1},
		{name: "allowed, last one", status: policyv1.PodDisruptionBudgetStatus{ObservedGeneration: 1, DisruptionsAllowed: 1}, wantAllowed: 0},
		{name: "dry run writes nothing", status: policyv1.PodDisruptionBudgetStatus{ObservedGeneration: 1, DisruptionsAllowed: 1}, dryRun: true, wantAllowed: 1},
		{name: "not observed yet", status: policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: 1},
			wantCode: 429, wantCause: "The disruption budget web is still being processed by the server.", wantAllowed: 1},
		{name: "none allowed, unhealthy", status: policyv1.PodDisruptionBudgetStatus{ObservedGeneration: 1, CurrentHealthy: 1, DesiredHealthy: 2},
			wantCode: 429, wantCause: "The disruption budget web needs 2 healthy pods and has 1 currently"},
		{name: "none allowed, sync failed", status: policyv1.PodDisruptionBudgetStatus{ObservedGeneration: 1, CurrentHealthy: 1, DesiredHealthy: 2,
			Conditions: []metav1.Condition{{Type: policyv1.DisruptionAllowedCondition, Status: metav1.ConditionFalse, Reason: policyv1.SyncFailedReason, Message: "boom"}}},
			wantCode: 429, wantCause: "The disruption budget web does not allow evicting pods currently because it failed sync: boom"},
		{name: "none allowed", status: policyv1.PodDisruptionBudgetStatus{ObservedGeneration: 1, CurrentHealthy: 3, DesiredHealthy: 2},
			wantCode: 429, wantCause: "The disruption budget web does not allow evicting pods currently"},
		{name: "negative", status: policyv1.PodDisruptionBudgetStatus{ObservedGeneration: 1, DisruptionsAllowed: -1},
			wantCode: 403, wantCause: "The disruption budget web does not allow evicting pods currently: pdb disruptions allowed is negative", wantAllowed: -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pdb := budget("web", tc.status)
			client := fake.NewClientset(pdb)
			r := newEvictionREST(nil, nil, client.PolicyV1())
			err := r.checkAndDecrement(context.Background(), "ns", "web-1", *pdb, tc.dryRun)
			if tc.wantCode == 0 && err != nil {
				t.Fatal(err)
			}
			if tc.wantCode != 0 {
				se, ok := err.(*apierrors.StatusError)
				if !ok || se.ErrStatus.Code != tc.wantCode || len(se.ErrStatus.Details.Causes) != 1 ||
					se.ErrStatus.Details.Causes[0].Type != policyv1.DisruptionBudgetCause || se.ErrStatus.Details.Causes[0].Message != tc.wantCause {
					t.Fatalf("error %#v, want %d with cause %q", err, tc.wantCode, tc.wantCause)
				}
				if tc.wantCode == 429 && se.ErrStatus.Message != "Cannot evict pod as it would violate the pod's disruption budget." {
					t.Fatalf("message %q", se.ErrStatus.Message)
				}
			}
			stored, err := client.PolicyV1().PodDisruptionBudgets("ns").Get(context.Background(), "web", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			wantStored := tc.status.DisruptionsAllowed
			decremented := tc.wantCode == 0 && !tc.dryRun
			if decremented {
				wantStored = tc.wantAllowed
			}
			if stored.Status.DisruptionsAllowed != wantStored {
				t.Fatalf("stored disruptionsAllowed %d, want %d", stored.Status.DisruptionsAllowed, wantStored)
			}
			if decremented != !stored.Status.DisruptedPods["web-1"].Time.IsZero() {
				t.Fatalf("disruptedPods %v", stored.Status.DisruptedPods)
			}
			if decremented && tc.wantAllowed == 0 {
				c := meta.FindStatusCondition(stored.Status.Conditions, policyv1.DisruptionAllowedCondition)
				if c == nil || c.Status != metav1.ConditionFalse || c.Reason != policyv1.InsufficientPodsReason {
					t.Fatalf("DisruptionAllowed condition %+v", c)
				}
			}
		})
	}
}

func TestGetPodDisruptionBudgets(t *testing.T) {
	matching := budget("web", policyv1.PodDisruptionBudgetStatus{})
	other := budget("db", policyv1.PodDisruptionBudgetStatus{})
	other.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}
	none := budget("none", policyv1.PodDisruptionBudgetStatus{})
	none.Spec.Selector = nil // a nil selector matches nothing
	invalid := budget("invalid", policyv1.PodDisruptionBudgetStatus{})
	invalid.Spec.Selector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Bogus"}}}
	elsewhere := budget("web", policyv1.PodDisruptionBudgetStatus{})
	elsewhere.Namespace = "other"

	r := newEvictionREST(nil, nil, fake.NewClientset(matching, other, none, invalid, elsewhere).PolicyV1())
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "ns", Labels: map[string]string{"app": "web"}}}
	pdbs, err := r.getPodDisruptionBudgets(context.Background(), pod)
	if err != nil {
		t.Fatal(err)
	}
	if len(pdbs) != 1 || pdbs[0].Name != "web" || pdbs[0].Namespace != "ns" {
		t.Fatalf("matching budgets %v", pdbs)
	}
}

func TestCanIgnorePDB(t *testing.T) {
	now := metav1.Now()
	for _, tc := range []struct {
		name          string
		phase         corev1.PodPhase
		deleting      bool
		ignore, enfRV bool
	}{
		{name: "pending", phase: corev1.PodPending, ignore: true, enfRV: true},
		{name: "running", phase: corev1.PodRunning, ignore: false, enfRV: true},
		{name: "unknown", phase: corev1.PodUnknown, ignore: false, enfRV: true},
		{name: "succeeded", phase: corev1.PodSucceeded, ignore: true, enfRV: false},
		{name: "failed", phase: corev1.PodFailed, ignore: true, enfRV: false},
		{name: "running, terminating", phase: corev1.PodRunning, deleting: true, ignore: true, enfRV: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := &corev1.Pod{Status: corev1.PodStatus{Phase: tc.phase}}
			if tc.deleting {
				pod.DeletionTimestamp = &now
			}
			if got := canIgnorePDB(pod); got != tc.ignore {
				t.Errorf("canIgnorePDB = %v, want %v", got, tc.ignore)
			}
			if got := shouldEnforceResourceVersion(pod); got != tc.enfRV {
				t.Errorf("shouldEnforceResourceVersion = %v, want %v", got, tc.enfRV)
			}
		})
	}
}

func TestPropagateDryRun(t *testing.T) {
	all := []string{metav1.DryRunAll}
	opts, err := propagateDryRun(&policyv1.Eviction{}, &metav1.CreateOptions{DryRun: all})
	if err != nil || len(opts.DryRun) != 1 {
		t.Fatalf("request dry run not propagated: %v %v", opts, err)
	}
	opts, err = propagateDryRun(&policyv1.Eviction{DeleteOptions: &metav1.DeleteOptions{DryRun: all}}, &metav1.CreateOptions{})
	if err != nil || len(opts.DryRun) != 1 {
		t.Fatalf("body dry run lost: %v %v", opts, err)
	}
	_, err = propagateDryRun(&policyv1.Eviction{DeleteOptions: &metav1.DeleteOptions{DryRun: all}}, &metav1.CreateOptions{DryRun: []string{"Other"}})
	if !apierrors.IsBadRequest(err) {
		t.Fatalf("conflicting dry runs: %v", err)
	}
}
