// Package registry holds what every k1s resource registry shares: a typed strategy that
// turns a handful of per-resource functions into the rest.RESTCreateStrategy,
// rest.RESTUpdateStrategy and rest.RESTDeleteStrategy the generic store wants, the store
// builder, and the status subresource.
//
// Upstream writes one strategy type per resource with mostly identical methods; here a
// resource package supplies only what differs (preparing, validating, reset fields), so
// each registry reads as the list of its rules.
package registry

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage/names"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/k1s-dev/k1s/apiserver/scheme"
)

// Strategy describes how one resource (or one of its subresources) is created, updated
// and deleted. Nil functions mean "nothing to do".
type Strategy[T runtime.Object] struct {
	// Namespaced resources live in a namespace; others are cluster-scoped.
	Namespaced bool
	// PrepareForCreate clears what a client may not set on create (usually status) and
	// fills server-set fields (generation, initial status).
	PrepareForCreate func(ctx context.Context, obj T)
	// PrepareForUpdate restores what this endpoint may not change from old (status for the
	// main resource, spec for the status subresource) and bumps generation on spec change.
	PrepareForUpdate func(ctx context.Context, obj, old T)
	// Validate checks a new object, metadata included.
	Validate func(ctx context.Context, obj T) field.ErrorList
	// ValidateUpdate checks an updated object against the stored one, metadata included.
	ValidateUpdate func(ctx context.Context, obj, old T) field.ErrorList
	// WarningsOnCreate and WarningsOnUpdate return warnings shown to the client.
	WarningsOnCreate func(ctx context.Context, obj T) []string
	WarningsOnUpdate func(ctx context.Context, obj, old T) []string
	// Canonicalize normalizes an object after validation, on create and update; it is the
	// first hook that sees a generated name.
	Canonicalize func(obj T)
	// AllowCreateOnUpdate lets PUT create a missing object (upstream allows it for a few
	// resources such as endpoints, leases and events).
	AllowCreateOnUpdate bool
	// AllowUnconditionalUpdate lets a PUT without resourceVersion overwrite the object.
	AllowUnconditionalUpdate bool
	// ResetFields are the field paths this endpoint resets, per served API version, so
	// server-side apply does not record ownership of fields the endpoint ignores.
	ResetFields map[fieldpath.APIVersion]*fieldpath.Set
}

// strategy adapts a Strategy to the generic registry's interfaces.
type strategy[T runtime.Object] struct {
	runtime.ObjectTyper
	names.NameGenerator
	s *Strategy[T]
}

// Adapt returns the rest strategies for s.
func (s *Strategy[T]) Adapt() *strategy[T] {
	return &strategy[T]{ObjectTyper: scheme.Scheme, NameGenerator: names.SimpleNameGenerator, s: s}
}

var (
	_ rest.RESTCreateStrategy  = &strategy[runtime.Object]{}
	_ rest.RESTUpdateStrategy  = &strategy[runtime.Object]{}
	_ rest.RESTDeleteStrategy  = &strategy[runtime.Object]{}
	_ rest.ResetFieldsStrategy = &strategy[runtime.Object]{}
)

func (a *strategy[T]) NamespaceScoped() bool { return a.s.Namespaced }

func (a *strategy[T]) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	if a.s.PrepareForCreate != nil {
		a.s.PrepareForCreate(ctx, obj.(T))
	}
}

func (a *strategy[T]) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	if a.s.PrepareForUpdate != nil {
		a.s.PrepareForUpdate(ctx, obj.(T), old.(T))
	}
}

func (a *strategy[T]) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	if a.s.Validate == nil {
		return nil
	}
	return a.s.Validate(ctx, obj.(T))
}

func (a *strategy[T]) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	if a.s.ValidateUpdate == nil {
		return nil
	}
	return a.s.ValidateUpdate(ctx, obj.(T), old.(T))
}

func (a *strategy[T]) WarningsOnCreate(ctx context.Context, obj runtime.Object) []string {
	if a.s.WarningsOnCreate == nil {
		return nil
	}
	return a.s.WarningsOnCreate(ctx, obj.(T))
}

func (a *strategy[T]) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	if a.s.WarningsOnUpdate == nil {
		return nil
	}
	return a.s.WarningsOnUpdate(ctx, obj.(T), old.(T))
}

func (a *strategy[T]) Canonicalize(obj runtime.Object) {
	if a.s.Canonicalize != nil {
		a.s.Canonicalize(obj.(T))
	}
}

func (a *strategy[T]) AllowCreateOnUpdate(context.Context) bool { return a.s.AllowCreateOnUpdate }

func (a *strategy[T]) AllowUnconditionalUpdate(context.Context) bool {
	return a.s.AllowUnconditionalUpdate
}

func (a *strategy[T]) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return a.s.ResetFields
}
