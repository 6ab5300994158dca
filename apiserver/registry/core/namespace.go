package core

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage"
	storageerr "k8s.io/apiserver/pkg/storage/errors"
	"k8s.io/apiserver/pkg/util/dryrun"

	"github.com/k1s-dev/k1s/apiserver/apis/core/validation"
	"github.com/k1s-dev/k1s/apiserver/registry"
)

// newNamespaces serves namespaces, namespaces/status and namespaces/finalize.
//
// Deleting a namespace is two-phase, as upstream: the first delete only sets
// deletionTimestamp and phase Terminating; the namespace controller empties it and removes
// the "kubernetes" finalizer through namespaces/finalize, which then deletes it.
func newNamespaces(optsGetter generic.RESTOptionsGetter) (map[string]rest.Storage, error) {
	store, err := registry.NewStore(optsGetter, registry.StoreSpec[*corev1.Namespace]{
		Resource:   corev1.Resource("namespaces"),
		ShortNames: []string{"ns"},
		Singular:   "namespace",
		New:        func() *corev1.Namespace { return &corev1.Namespace{} },
		NewList:    func() runtime.Object { return &corev1.NamespaceList{} },
		Strategy:   namespaceStrategy,
		SelectableFields: func(ns *corev1.Namespace) fields.Set {
			return fields.Set{"status.phase": string(ns.Status.Phase)}
		},
	})
	if err != nil {
		return nil, err
	}
	store.ShouldDeleteDuringUpdate = shouldDeleteNamespaceDuringUpdate

	status := registry.NewStatusREST(store, &registry.Strategy[*corev1.Namespace]{
		PrepareForUpdate: func(_ context.Context, ns, old *corev1.Namespace) {
			ns.Spec = old.Spec
		},
		ValidateUpdate: func(_ context.Context, ns, old *corev1.Namespace) field.ErrorList {
			return validation.ValidateNamespaceStatusUpdate(ns, old)
		},
		ResetFields: resetFields("spec"),
	})
	finalize := &finalizeREST{store: registry.Substore(store, &registry.Strategy[*corev1.Namespace]{
		PrepareForUpdate: func(_ context.Context, ns, old *corev1.Namespace) {
			ns.Status = old.Status
		},
		ValidateUpdate: func(_ context.Context, ns, old *corev1.Namespace) field.ErrorList {
			return validation.ValidateNamespaceFinalizeUpdate(ns, old)
		},
		ResetFields: resetFields("status"),
	})}
	return map[string]rest.Storage{
		"namespaces":          &namespaceREST{Store: store},
		"namespaces/status":   status,
		"namespaces/finalize": finalize,
	}, nil
}

func setNamespaceNameLabel(ns *corev1.Namespace) {
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	ns.Labels[corev1.LabelMetadataName] = ns.Name
}

func shouldDeleteNamespaceDuringUpdate(ctx context.Context, key string, obj, existing runtime.Object) bool {
	ns, ok := obj.(*corev1.Namespace)
	return ok && len(ns.Spec.Finalizers) == 0 && genericregistry.ShouldDeleteDuringUpdate(ctx, key, obj, existing)
}

// namespaceREST is the namespace store with upstream's two-phase delete.
type namespaceREST struct {
	*registry.Store
}

// Delete marks the namespace Terminating; only a namespace that is already terminating
// and has no spec finalizers left is removed from storage.
func (r *namespaceREST) Delete(ctx context.Context, name string, deleteValidation rest.ValidateObjectFunc, options *metav1.DeleteOptions) (runtime.Object, bool, error) {
	obj, err := r.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, false, err
	}
	ns := obj.(*corev1.Namespace)
	if options == nil {
		options = metav1.NewDeleteOptions(0)
	}
	if options.Preconditions == nil {
		options.Preconditions = &metav1.Preconditions{}
	}
	if options.Preconditions.UID == nil {
		options.Preconditions.UID = &ns.UID
	} else if *options.Preconditions.UID != ns.UID {
		return nil, false, apierrors.NewConflict(corev1.Resource("namespaces"), name,
			fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", *options.Preconditions.UID, ns.UID))
	}
	if rv := options.Preconditions.ResourceVersion; rv != nil && *rv != ns.ResourceVersion {
		return nil, false, apierrors.NewConflict(corev1.Resource("namespaces"), name,
			fmt.Errorf("Precondition failed: ResourceVersion in precondition: %v, ResourceVersion in object meta: %v", *rv, ns.ResourceVersion))
	}

	if !ns.DeletionTimestamp.IsZero() {
		if len(ns.Spec.Finalizers) != 0 {
			return ns, false, nil
		}
		return r.Store.Delete(ctx, name, deleteValidation, options)
	}

	key, err := r.KeyFunc(ctx, name)
	if err != nil {
		return nil, false, err
	}
	preconditions := storage.Preconditions{UID: options.Preconditions.UID, ResourceVersion: options.Preconditions.ResourceVersion}
	out := r.NewFunc()
	err = r.Storage.GuaranteedUpdate(ctx, key, out, false, &preconditions,
		storage.SimpleUpdate(func(existing runtime.Object) (runtime.Object, error) {
			ns, ok := existing.(*corev1.Namespace)
			if !ok {
				return nil, fmt.Errorf("expected *corev1.Namespace, got %T", existing)
			}
			if err := deleteValidation(ctx, ns); err != nil {
				return nil, err
			}
			if ns.DeletionTimestamp.IsZero() {
				now := metav1.Now()
				ns.DeletionTimestamp = &now
			}
			ns.Status.Phase = corev1.NamespaceTerminating
			ns.Finalizers = withPropagationFinalizers(ns.Finalizers, options)
			return ns, nil
		}),
		dryrun.IsDryRun(options.DryRun), nil)
	if err != nil {
		err = storageerr.InterpretGetError(err, corev1.Resource("namespaces"), name)
		err = storageerr.InterpretUpdateError(err, corev1.Resource("namespaces"), name)
		if !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			if _, ok := err.(*apierrors.StatusError); !ok {
				err = apierrors.NewInternalError(err)
			}
		}
		return nil, false, err
	}
	return out, false, nil
}

// withPropagationFinalizers adds or removes the orphan and foreground finalizers as the
// delete options ask, so the garbage collector sees the requested propagation.
func withPropagationFinalizers(finalizers []string, options *metav1.DeleteOptions) []string {
	want := map[string]bool{
		metav1.FinalizerOrphanDependents: slices.Contains(finalizers, metav1.FinalizerOrphanDependents),
		metav1.FinalizerDeleteDependents: slices.Contains(finalizers, metav1.FinalizerDeleteDependents),
	}
	//nolint:staticcheck // OrphanDependents is deprecated but still honoured, as upstream.
	if o := options.OrphanDependents; o != nil {
		want[metav1.FinalizerOrphanDependents] = *o
		want[metav1.FinalizerDeleteDependents] = !*o
	} else if p := options.PropagationPolicy; p != nil {
		want[metav1.FinalizerOrphanDependents] = *p == metav1.DeletePropagationOrphan
		want[metav1.FinalizerDeleteDependents] = *p == metav1.DeletePropagationForeground
	}
	out := slices.DeleteFunc(slices.Clone(finalizers), func(f string) bool {
		_, managed := want[f]
		return managed
	})
	for _, f := range []string{metav1.FinalizerOrphanDependents, metav1.FinalizerDeleteDependents} {
		if want[f] {
			out = append(out, f)
		}
	}
	return out
}

// finalizeREST serves namespaces/finalize: only spec.finalizers may change through it.
type finalizeREST struct {
	store *genericregistry.Store
}

func (r *finalizeREST) New() runtime.Object { return &corev1.Namespace{} }

func (r *finalizeREST) Destroy() {}

func (r *finalizeREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, _ bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return r.store.Update(ctx, name, objInfo, createValidation, updateValidation, false, options)
}

var namespaceStrategy = &registry.Strategy[*corev1.Namespace]{
	PrepareForCreate: func(_ context.Context, ns *corev1.Namespace) {
		ns.Status = corev1.NamespaceStatus{Phase: corev1.NamespaceActive}
		if !slices.Contains(ns.Spec.Finalizers, corev1.FinalizerKubernetes) {
			ns.Spec.Finalizers = append(ns.Spec.Finalizers, corev1.FinalizerKubernetes)
		}
	},
	PrepareForUpdate: func(_ context.Context, ns, old *corev1.Namespace) {
		ns.Spec.Finalizers = old.Spec.Finalizers
		ns.Status = old.Status
	},
	Validate: func(_ context.Context, ns *corev1.Namespace) field.ErrorList {
		return validation.ValidateNamespace(ns)
	},
	ValidateUpdate: func(_ context.Context, ns, old *corev1.Namespace) field.ErrorList {
		return validation.ValidateNamespaceUpdate(ns, old)
	},
	Canonicalize: setNamespaceNameLabel,
	ResetFields:  resetFields("status"),
}
