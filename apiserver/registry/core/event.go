package core

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/k1s-dev/k1s/apiserver/apis/core/validation"
	"github.com/k1s-dev/k1s/apiserver/registry"
)

// DefaultEventTTL is kube-apiserver's --event-ttl default: events expire an hour after
// their last write.
const DefaultEventTTL = time.Hour

// EventStrategy is the strategy of core/v1 events, shared with events.k8s.io/v1, whose
// Events are stored as core/v1 Events (the two APIs cohabit, as upstream).
var EventStrategy = &registry.Strategy[*corev1.Event]{
	Namespaced: true,
	Validate: func(ctx context.Context, event *corev1.Event) field.ErrorList {
		return validation.ValidateEventCreate(event, requestGroupVersion(ctx))
	},
	ValidateUpdate: func(ctx context.Context, event, old *corev1.Event) field.ErrorList {
		return validation.ValidateEventUpdate(event, old, requestGroupVersion(ctx))
	},
	AllowCreateOnUpdate:      true,
	AllowUnconditionalUpdate: true,
}

// EventDeleteStrategy is the delete strategy of events in both APIs: the garbage
// collector ignores events, so, as upstream, a delete never adds the orphan or
// foregroundDeletion finalizer (nothing would ever remove it).
var EventDeleteStrategy rest.RESTDeleteStrategy = eventDeleteStrategy{EventStrategy.Adapt()}

type eventDeleteStrategy struct {
	rest.RESTDeleteStrategy
}

var _ rest.GarbageCollectionDeleteStrategy = eventDeleteStrategy{}

func (eventDeleteStrategy) DefaultGarbageCollectionPolicy(context.Context) rest.GarbageCollectionPolicy {
	return rest.Unsupported
}

// EventSelectableFields are the field selectors of core events (upstream's
// pkg/registry/core/event ToSelectableFields).
func EventSelectableFields(event *corev1.Event) fields.Set {
	source := event.Source.Component
	if source == "" {
		source = event.ReportingController
	}
	return fields.Set{
		"involvedObject.kind":            event.InvolvedObject.Kind,
		"involvedObject.namespace":       event.InvolvedObject.Namespace,
		"involvedObject.name":            event.InvolvedObject.Name,
		"involvedObject.uid":             string(event.InvolvedObject.UID),
		"involvedObject.apiVersion":      event.InvolvedObject.APIVersion,
		"involvedObject.resourceVersion": event.InvolvedObject.ResourceVersion,
		"involvedObject.fieldPath":       event.InvolvedObject.FieldPath,
		"reason":                         event.Reason,
		"reportingComponent":             event.ReportingController,
		"source":                         source,
		"type":                           event.Type,
	}
}

func requestGroupVersion(ctx context.Context) schema.GroupVersion {
	if info, ok := genericapirequest.RequestInfoFrom(ctx); ok {
		return schema.GroupVersion{Group: info.APIGroup, Version: info.APIVersion}
	}
	return corev1.SchemeGroupVersion
}

// EventTTL makes stored events expire ttl after their last write.
func EventTTL(ttl time.Duration) func(runtime.Object, uint64, bool) (uint64, error) {
	return func(runtime.Object, uint64, bool) (uint64, error) { return uint64(ttl.Seconds()), nil }
}

func newEvents(optsGetter generic.RESTOptionsGetter) (map[string]rest.Storage, error) {
	store, err := registry.NewStore(optsGetter, registry.StoreSpec[*corev1.Event]{
		Resource:         corev1.Resource("events"),
		ShortNames:       []string{"ev"},
		Singular:         "event",
		New:              func() *corev1.Event { return &corev1.Event{} },
		NewList:          func() runtime.Object { return &corev1.EventList{} },
		Strategy:         EventStrategy,
		DeleteStrategy:   EventDeleteStrategy,
		SelectableFields: EventSelectableFields,
	})
	if err != nil {
		return nil, err
	}
	store.TTLFunc = EventTTL(DefaultEventTTL)
	return map[string]rest.Storage{"events": store}, nil
}
