package v1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestDefaultsLeaveObjectsUnchanged(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := RegisterDefaults(scheme); err != nil {
		t.Fatal(err)
	}
	for _, obj := range []runtime.Object{
		&coordinationv1.Lease{},
		&coordinationv1.LeaseList{Items: []coordinationv1.Lease{{}}},
	} {
		got := obj.DeepCopyObject()
		scheme.Default(got)
		if diff := cmp.Diff(obj, got); diff != "" {
			t.Errorf("%T changed by defaulting (-want +got):\n%s", obj, diff)
		}
	}
}
