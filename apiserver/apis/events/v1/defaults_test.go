package v1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestDefaultsLeaveObjectsUnchanged(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := RegisterDefaults(scheme); err != nil {
		t.Fatal(err)
	}
	for _, obj := range []runtime.Object{
		&eventsv1.Event{},
		&eventsv1.EventList{Items: []eventsv1.Event{{}}},
	} {
		got := obj.DeepCopyObject()
		scheme.Default(got)
		if diff := cmp.Diff(obj, got); diff != "" {
			t.Errorf("%T changed by defaulting (-want +got):\n%s", obj, diff)
		}
	}
}
