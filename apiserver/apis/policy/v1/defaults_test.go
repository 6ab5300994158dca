package v1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestDefaultsLeaveObjectsUnchanged(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := RegisterDefaults(scheme); err != nil {
		t.Fatal(err)
	}
	for _, obj := range []runtime.Object{
		&policyv1.PodDisruptionBudget{},
		&policyv1.PodDisruptionBudgetList{Items: []policyv1.PodDisruptionBudget{{}}},
		&policyv1.Eviction{},
	} {
		got := obj.DeepCopyObject()
		scheme.Default(got)
		if diff := cmp.Diff(obj, got); diff != "" {
			t.Errorf("%T changed by defaulting (-want +got):\n%s", obj, diff)
		}
	}
}
