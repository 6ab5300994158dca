package policy

import (
	"context"
	"testing"

	policyv1 "k8s.io/api/policy/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func TestDropDisabledFields(t *testing.T) {
	marker := metav1.LabelSelectorRequirement{Key: pdbV1beta1Label, Operator: metav1.LabelSelectorOpExists}
	user := metav1.LabelSelectorRequirement{Key: "app", Operator: metav1.LabelSelectorOpExists}
	for _, tc := range []struct {
		name     string
		selector *metav1.LabelSelector
		old      *metav1.LabelSelector
		want     *metav1.LabelSelector
	}{
		{name: "nil", selector: nil, want: nil},
		{name: "match all", selector: &metav1.LabelSelector{}, want: &metav1.LabelSelector{}},
		{name: "match none marker kept", selector: nonV1beta1MatchNoneSelector.DeepCopy(), want: nonV1beta1MatchNoneSelector.DeepCopy()},
		{name: "marker mixed with user requirements is stripped",
			selector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{user, marker}},
			want:     &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{user}}},
		{name: "unchanged selector of a stored budget is kept",
			selector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{user, marker}},
			old:      &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{user, marker}},
			want:     &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{user, marker}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pdb := &policyv1.PodDisruptionBudget{Spec: policyv1.PodDisruptionBudgetSpec{Selector: tc.selector}}
			var old *policyv1.PodDisruptionBudget
			if tc.old != nil {
				old = &policyv1.PodDisruptionBudget{Spec: policyv1.PodDisruptionBudgetSpec{Selector: tc.old}}
			}
			dropDisabledFields(pdb, old)
			if !apiequality.Semantic.DeepEqual(pdb.Spec.Selector, tc.want) {
				t.Fatalf("selector %v, want %v", pdb.Spec.Selector, tc.want)
			}
		})
	}
}

func TestStrategies(t *testing.T) {
	ctx := context.Background()
	old := &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Generation: 2},
		Spec:       policyv1.PodDisruptionBudgetSpec{MinAvailable: ptr.To(intstr.FromInt32(1))},
		Status:     policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: 1, ObservedGeneration: 2},
	}
	pdb := old.DeepCopy()
	pdb.Status.DisruptionsAllowed = 5
	PodDisruptionBudgetStrategy.PrepareForUpdate(ctx, pdb, old)
	if pdb.Generation != 2 || pdb.Status.DisruptionsAllowed != 1 {
		t.Fatalf("status-only change through the main endpoint: generation %d, allowed %d", pdb.Generation, pdb.Status.DisruptionsAllowed)
	}
	pdb.Spec.MinAvailable = ptr.To(intstr.FromInt32(2))
	PodDisruptionBudgetStrategy.PrepareForUpdate(ctx, pdb, old)
	if pdb.Generation != 3 {
		t.Fatalf("spec change: generation %d, want 3", pdb.Generation)
	}
	status := old.DeepCopy()
	status.Spec.MinAvailable = ptr.To(intstr.FromInt32(7))
	status.Status.DisruptionsAllowed = 0
	PodDisruptionBudgetStatusStrategy.PrepareForUpdate(ctx, status, old)
	if status.Spec.MinAvailable.IntValue() != 1 || status.Status.DisruptionsAllowed != 0 {
		t.Fatalf("status update: %+v", status)
	}
	if PodDisruptionBudgetStrategy.AllowUnconditionalUpdate || PodDisruptionBudgetStatusStrategy.AllowUnconditionalUpdate {
		t.Fatal("budgets must be updated with a resourceVersion")
	}
}
