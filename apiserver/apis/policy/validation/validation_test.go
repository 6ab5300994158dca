package validation

import (
	"testing"

	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func inSelector(value string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpIn, Values: []string{value}}}}
}

func TestValidatePodDisruptionBudget(t *testing.T) {
	selector := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	for _, tc := range []struct {
		name string
		spec policyv1.PodDisruptionBudgetSpec
		opts PodDisruptionBudgetValidationOptions
		want []string
	}{
		{name: "minAvailable", spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: ptr.To(intstr.FromString("50%")), Selector: selector}},
		{name: "maxUnavailable, no selector", spec: policyv1.PodDisruptionBudgetSpec{MaxUnavailable: ptr.To(intstr.FromInt32(0))}},
		{name: "both", spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: ptr.To(intstr.FromInt32(1)), MaxUnavailable: ptr.To(intstr.FromInt32(1))},
			want: []string{"FieldValueInvalid spec"}},
		{name: "negative", spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: ptr.To(intstr.FromInt32(-1))},
			want: []string{"FieldValueInvalid spec.minAvailable"}},
		{name: "over 100%", spec: policyv1.PodDisruptionBudgetSpec{MaxUnavailable: ptr.To(intstr.FromString("150%"))},
			want: []string{"FieldValueInvalid spec.maxUnavailable"}},
		{name: "invalid label value", spec: policyv1.PodDisruptionBudgetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "-x"}}},
			want: []string{"FieldValueInvalid spec.selector.matchLabels"}},
		{name: "invalid expression value", spec: policyv1.PodDisruptionBudgetSpec{Selector: inSelector("-x")},
			want: []string{"FieldValueInvalid spec.selector.matchExpressions[0].values[0]"}},
		{name: "invalid expression value of a stored budget", spec: policyv1.PodDisruptionBudgetSpec{Selector: inSelector("-x")},
			opts: PodDisruptionBudgetValidationOptions{AllowInvalidLabelValueInSelector: true}},
		{name: "unknown eviction policy", spec: policyv1.PodDisruptionBudgetSpec{UnhealthyPodEvictionPolicy: ptr.To(policyv1.UnhealthyPodEvictionPolicyType("Never"))},
			want: []string{"FieldValueNotSupported spec.unhealthyPodEvictionPolicy"}},
		{name: "AlwaysAllow", spec: policyv1.PodDisruptionBudgetSpec{UnhealthyPodEvictionPolicy: ptr.To(policyv1.AlwaysAllow)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := ValidatePodDisruptionBudget(&policyv1.PodDisruptionBudget{Spec: tc.spec}, tc.opts)
			var got []string
			for _, e := range errs {
				got = append(got, string(e.Type)+" "+e.Field)
			}
			if len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
				t.Fatalf("errors %q, want %q", got, tc.want)
			}
		})
	}
}

func TestValidatePodDisruptionBudgetStatusUpdate(t *testing.T) {
	status := policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: -1, CurrentHealthy: -1, DesiredHealthy: 1, ExpectedPods: 1,
		Conditions: []metav1.Condition{{Type: "DisruptionAllowed", Status: "Maybe"}}}
	errs := ValidatePodDisruptionBudgetStatusUpdate(status, policyv1.PodDisruptionBudgetStatus{}, nil)
	want := map[string]bool{"conditions[0].status": false, "disruptionsAllowed": false, "currentHealthy": false}
	for _, e := range errs {
		if _, ok := want[e.Field]; ok {
			want[e.Field] = true
		}
	}
	for f, seen := range want {
		if !seen {
			t.Errorf("no error for %s in %v", f, errs)
		}
	}
}
