package registry

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/k1s-dev/k1s/apiserver/printers"
)

// StoreSpec names a resource and its rules; NewStore turns it into a completed
// genericregistry.Store backed by etcd through optsGetter.
type StoreSpec[T runtime.Object] struct {
	Resource schema.GroupResource
	Singular string
	New      func() T
	NewList  func() runtime.Object
	Strategy *Strategy[T]
	// DeleteStrategy overrides the delete strategy (pods use a graceful one).
	DeleteStrategy rest.RESTDeleteStrategy
	// SelectableFields returns the fields a field selector may use beyond metadata.name and
	// metadata.namespace, which every resource gets. They must match the field label
	// conversions registered in the scheme.
	SelectableFields func(obj T) fields.Set
	// Indexers add watch-cache indexers, such as pods by spec.nodeName.
	Indexers *cache.Indexers
	// TriggerFunc, when set, narrows watch-cache dispatch by an indexed field; its keys
	// are the predicate's IndexFields.
	TriggerFunc storage.IndexerFuncs
	// ShortNames and Categories are published in discovery (kubectl get po, kubectl get all).
	ShortNames []string
	Categories []string
}

// Store is a resource's main storage: the generic store plus the discovery details
// (short names, categories) the generic store does not carry.
type Store struct {
	*genericregistry.Store
	shortNames []string
	categories []string
}

var (
	_ rest.ShortNamesProvider = &Store{}
	_ rest.CategoriesProvider = &Store{}
)

// ShortNames implements rest.ShortNamesProvider.
func (s *Store) ShortNames() []string { return s.shortNames }

// Categories implements rest.CategoriesProvider.
func (s *Store) Categories() []string { return s.categories }

// NewStore builds the store of spec.
func NewStore[T runtime.Object](optsGetter generic.RESTOptionsGetter, spec StoreSpec[T]) (*Store, error) {
	s := spec.Strategy.Adapt()
	// The predicate must name the indexed fields: the watch cache files a watcher under
	// its trigger value (and serves a list from the index) only for fields in
	// IndexFields. Without them every kubelet's spec.nodeName watch would be offered, and
	// would filter, every pod event of the cluster.
	indexFields := slices.Sorted(maps.Keys(spec.TriggerFunc))
	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return spec.New() },
		NewListFunc:               spec.NewList,
		DefaultQualifiedResource:  spec.Resource,
		SingularQualifiedResource: schema.GroupResource{Group: spec.Resource.Group, Resource: spec.Singular},
		PredicateFunc: func(label labels.Selector, field fields.Selector) storage.SelectionPredicate {
			return storage.SelectionPredicate{Label: label, Field: field, GetAttrs: attrFunc(spec), IndexFields: indexFields}
		},
		CreateStrategy:      s,
		UpdateStrategy:      s,
		DeleteStrategy:      s,
		ResetFieldsStrategy: s,
		TableConvertor:      printers.TableConvertorFor(spec.Resource),
	}
	if spec.DeleteStrategy != nil {
		store.DeleteStrategy = spec.DeleteStrategy
	}
	options := &generic.StoreOptions{RESTOptions: optsGetter, AttrFunc: attrFunc(spec), Indexers: spec.Indexers, TriggerFunc: spec.TriggerFunc}
	if err := store.CompleteWithOptions(options); err != nil {
		return nil, fmt.Errorf("completing the %s store: %w", spec.Resource, err)
	}
	return &Store{Store: store, shortNames: spec.ShortNames, categories: spec.Categories}, nil
}

func attrFunc[T runtime.Object](spec StoreSpec[T]) storage.AttrFunc {
	return func(obj runtime.Object) (labels.Set, fields.Set, error) {
		t, ok := obj.(T)
		if !ok {
			return nil, nil, fmt.Errorf("not a %s: %T", spec.Singular, obj)
		}
		accessor, err := meta.Accessor(obj)
		if err != nil {
			return nil, nil, err
		}
		fs := generic.ObjectMetaFieldsSet(&metav1.ObjectMeta{Name: accessor.GetName(), Namespace: accessor.GetNamespace()}, spec.Strategy.Namespaced)
		if spec.SelectableFields != nil {
			fs = generic.MergeFieldsSets(fs, spec.SelectableFields(t))
		}
		return labels.Set(accessor.GetLabels()), fs, nil
	}
}

// StatusREST serves the status subresource: a copy of the main store whose update
// strategy keeps everything but status.
type StatusREST struct {
	store *genericregistry.Store
}

// NewStatusREST returns the status subresource of main, updated with statusStrategy.
func NewStatusREST[T runtime.Object](main *Store, statusStrategy *Strategy[T]) *StatusREST {
	return &StatusREST{store: Substore(main, statusStrategy)}
}

// Substore copies main for a subresource that updates with s: creating and deleting
// through it is not possible.
func Substore[T runtime.Object](main *Store, s *Strategy[T]) *genericregistry.Store {
	sub := *main.Store
	adapted := s.Adapt()
	sub.CreateStrategy = nil
	sub.DeleteStrategy = nil
	sub.UpdateStrategy = adapted
	sub.ResetFieldsStrategy = adapted
	return &sub
}

var (
	_ rest.Patcher              = &StatusREST{}
	_ rest.Storage              = &StatusREST{}
	_ rest.ResetFieldsStrategy  = &StatusREST{}
	_ rest.TableConvertor       = &StatusREST{}
	_ rest.SingularNameProvider = &StatusREST{}
)

func (r *StatusREST) New() runtime.Object { return r.store.New() }

// Destroy does nothing: the main store owns the storage and destroys it.
func (r *StatusREST) Destroy() {}

func (r *StatusREST) GetSingularName() string { return r.store.GetSingularName() }

func (r *StatusREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	return r.store.Get(ctx, name, options)
}

// Update never creates: a status update of a missing object is a 404.
func (r *StatusREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return r.store.Update(ctx, name, objInfo, createValidation, updateValidation, false, options)
}

func (r *StatusREST) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return r.store.GetResetFields()
}

func (r *StatusREST) ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	return r.store.ConvertToTable(ctx, object, tableOptions)
}
