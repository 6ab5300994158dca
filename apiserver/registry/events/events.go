// Package events holds the registry of events.k8s.io/v1. Its Events are stored as core/v1
// Events (see the scheme's cohabitation), so this store works on core Events and shares
// their strategy and storage; only the served version differs.
package events

import (
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/k1s-dev/k1s/apiserver/printers"
	"github.com/k1s-dev/k1s/apiserver/registry"
	"github.com/k1s-dev/k1s/apiserver/registry/core"
)

// NewStorage returns the storage of events.k8s.io/v1.
func NewStorage(optsGetter generic.RESTOptionsGetter) (map[string]rest.Storage, error) {
	store, err := registry.NewStore(optsGetter, registry.StoreSpec[*corev1.Event]{
		Resource:         eventsv1.Resource("events"),
		ShortNames:       []string{"ev"},
		Singular:         "event",
		New:              func() *corev1.Event { return &corev1.Event{} },
		NewList:          func() runtime.Object { return &corev1.EventList{} },
		Strategy:         core.EventStrategy,
		DeleteStrategy:   core.EventDeleteStrategy,
		SelectableFields: core.EventSelectableFields,
	})
	if err != nil {
		return nil, err
	}
	store.TTLFunc = core.EventTTL(core.DefaultEventTTL)
	// The stored objects are core Events, so they print as such.
	store.TableConvertor = printers.TableConvertorFor(corev1.Resource("events"))
	return map[string]rest.Storage{"events": store}, nil
}
