package apps

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	appsvalidation "github.com/k1s-dev/k1s/apiserver/apis/apps/validation"
	"github.com/k1s-dev/k1s/apiserver/registry"
)

// replicasPath maps each served group version to the replicas field of the parent
// object, so that server-side apply ownership of spec.replicas moves between the parent
// and its scale subresource (upstream's ReplicasPathMappings).
var replicasPath = managedfields.ResourcePathMappings{
	appsv1.SchemeGroupVersion.String(): fieldpath.MakePathOrDie("spec", "replicas"),
}

// scalable is how a scale subresource reads and writes its parent.
type scalable[T runtime.Object] struct {
	// toScale returns the Scale of obj; it fails on an unparsable selector.
	toScale func(obj T) (*autoscalingv1.Scale, error)
	// setReplicas writes the scale's replicas into obj.
	setReplicas func(obj T, replicas int32)
}

var deploymentScale = scalable[*appsv1.Deployment]{
	toScale: func(d *appsv1.Deployment) (*autoscalingv1.Scale, error) {
		return newScale(&d.ObjectMeta, d.Spec.Replicas, d.Status.Replicas, d.Spec.Selector)
	},
	setReplicas: func(d *appsv1.Deployment, replicas int32) { d.Spec.Replicas = &replicas },
}

var replicaSetScale = scalable[*appsv1.ReplicaSet]{
	toScale: func(rs *appsv1.ReplicaSet) (*autoscalingv1.Scale, error) {
		return newScale(&rs.ObjectMeta, rs.Spec.Replicas, rs.Status.Replicas, rs.Spec.Selector)
	},
	setReplicas: func(rs *appsv1.ReplicaSet, replicas int32) { rs.Spec.Replicas = &replicas },
}

// newScale builds the Scale of a parent, as upstream's scaleFromDeployment and
// scaleFromReplicaSet do: only identifying metadata is copied.
func newScale(meta *metav1.ObjectMeta, specReplicas *int32, statusReplicas int32, selector *metav1.LabelSelector) (*autoscalingv1.Scale, error) {
	s, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil {
		return nil, err
	}
	return &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{
			Name:              meta.Name,
			Namespace:         meta.Namespace,
			UID:               meta.UID,
			ResourceVersion:   meta.ResourceVersion,
			CreationTimestamp: meta.CreationTimestamp,
		},
		// A nil v1 replicas converts to 0 upstream; defaulting makes it 1 on write.
		Spec:   autoscalingv1.ScaleSpec{Replicas: ptr.Deref(specReplicas, 0)},
		Status: autoscalingv1.ScaleStatus{Replicas: statusReplicas, Selector: s.String()},
	}, nil
}

// scaleREST serves <resource>/scale in autoscaling/v1 Scale, which is what kubectl
// scale and the horizontal pod autoscaler use.
type scaleREST[T runtime.Object] struct {
	store    *genericregistry.Store
	resource schema.GroupResource
	access   scalable[T]
}

func newScaleREST[T runtime.Object](parent *registry.Store, resource string, access scalable[T]) *scaleREST[T] {
	return &scaleREST[T]{store: parent.Store, resource: appsv1.Resource(resource + "/scale"), access: access}
}

var (
	_ rest.Patcher                  = &scaleREST[*appsv1.Deployment]{}
	_ rest.GroupVersionKindProvider = &scaleREST[*appsv1.Deployment]{}
	_ rest.TableConvertor           = &scaleREST[*appsv1.Deployment]{}
)

// GroupVersionKind is autoscaling/v1 Scale whatever apps version is asked.
func (r *scaleREST[T]) GroupVersionKind(schema.GroupVersion) schema.GroupVersionKind {
	return autoscalingv1.SchemeGroupVersion.WithKind("Scale")
}

func (r *scaleREST[T]) New() runtime.Object { return &autoscalingv1.Scale{} }

// Destroy does nothing: the parent store owns the storage.
func (r *scaleREST[T]) Destroy() {}

func (r *scaleREST[T]) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	obj, err := r.store.Get(ctx, name, options)
	if err != nil {
		return nil, err
	}
	scale, err := r.access.toScale(obj.(T))
	if err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	return scale, nil
}

// Update turns the parent into its scale, lets the request update the scale, and writes
// the new replicas back into the parent through the parent's update strategy.
func (r *scaleREST[T]) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	obj, _, err := r.store.Update(ctx, name,
		&scaleUpdatedObjectInfo[T]{name: name, reqObjInfo: objInfo, rest: r},
		r.toScaleCreateValidation(createValidation),
		r.toScaleUpdateValidation(updateValidation),
		false, options)
	if err != nil {
		return nil, false, err
	}
	scale, err := r.access.toScale(obj.(T))
	if err != nil {
		return nil, false, apierrors.NewBadRequest(err.Error())
	}
	return scale, false, nil
}

func (r *scaleREST[T]) ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	return r.store.ConvertToTable(ctx, object, tableOptions)
}

// Admission sees the Scale, not the parent, as upstream's does.
func (r *scaleREST[T]) toScaleCreateValidation(f rest.ValidateObjectFunc) rest.ValidateObjectFunc {
	return func(ctx context.Context, obj runtime.Object) error {
		scale, err := r.access.toScale(obj.(T))
		if err != nil {
			return err
		}
		return f(ctx, scale)
	}
}

func (r *scaleREST[T]) toScaleUpdateValidation(f rest.ValidateObjectUpdateFunc) rest.ValidateObjectUpdateFunc {
	return func(ctx context.Context, obj, old runtime.Object) error {
		newScale, err := r.access.toScale(obj.(T))
		if err != nil {
			return err
		}
		oldScale, err := r.access.toScale(old.(T))
		if err != nil {
			return err
		}
		return f(ctx, newScale, oldScale)
	}
}

// scaleUpdatedObjectInfo transforms existing parent -> existing scale -> new scale ->
// new parent.
type scaleUpdatedObjectInfo[T runtime.Object] struct {
	name       string
	reqObjInfo rest.UpdatedObjectInfo
	rest       *scaleREST[T]
}

func (i *scaleUpdatedObjectInfo[T]) Preconditions() *metav1.Preconditions {
	return i.reqObjInfo.Preconditions()
}

func (i *scaleUpdatedObjectInfo[T]) UpdatedObject(ctx context.Context, oldObj runtime.Object) (runtime.Object, error) {
	parent, ok := oldObj.DeepCopyObject().(T)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("expected existing object type to be %T, got %T", *new(T), oldObj))
	}
	accessor, err := metaAccessor(parent)
	if err != nil {
		return nil, err
	}
	// if zero-value, the existing object does not exist
	if len(accessor.GetResourceVersion()) == 0 {
		return nil, apierrors.NewNotFound(i.rest.resource, i.name)
	}

	groupVersion := appsv1.SchemeGroupVersion
	if requestInfo, found := genericapirequest.RequestInfoFrom(ctx); found {
		requestGroupVersion := schema.GroupVersion{Group: requestInfo.APIGroup, Version: requestInfo.APIVersion}
		if _, ok := replicasPath[requestGroupVersion.String()]; !ok {
			// Upstream exits the process here; an error is kinder and as loud in tests.
			return nil, apierrors.NewInternalError(fmt.Errorf("unrecognized group/version in request info %q", requestGroupVersion))
		}
		groupVersion = requestGroupVersion
	}

	managedFieldsHandler := managedfields.NewScaleHandler(accessor.GetManagedFields(), groupVersion, replicasPath)

	// parent -> old scale
	oldScale, err := i.rest.access.toScale(parent)
	if err != nil {
		return nil, err
	}
	scaleManagedFields, err := managedFieldsHandler.ToSubresource()
	if err != nil {
		return nil, err
	}
	oldScale.ManagedFields = scaleManagedFields

	// old scale -> new scale
	newScaleObj, err := i.reqObjInfo.UpdatedObject(ctx, oldScale)
	if err != nil {
		return nil, err
	}
	if newScaleObj == nil {
		return nil, apierrors.NewBadRequest("nil update passed to Scale")
	}
	scale, ok := newScaleObj.(*autoscalingv1.Scale)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("expected input object type to be Scale, but %T", newScaleObj))
	}

	if errs := appsvalidation.ValidateScale(scale); len(errs) > 0 {
		return nil, apierrors.NewInvalid(autoscalingv1.SchemeGroupVersion.WithKind("Scale").GroupKind(), accessor.GetName(), errs)
	}

	// validate precondition if specified (resourceVersion matching is handled by storage)
	if len(scale.UID) > 0 && scale.UID != accessor.GetUID() {
		return nil, apierrors.NewConflict(i.rest.resource, accessor.GetName(),
			fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", scale.UID, accessor.GetUID()))
	}

	// move replicas/resourceVersion fields to object and return
	i.rest.access.setReplicas(parent, scale.Spec.Replicas)
	accessor.SetResourceVersion(scale.ResourceVersion)

	updatedEntries, err := managedFieldsHandler.ToParent(scale.ManagedFields)
	if err != nil {
		return nil, err
	}
	accessor.SetManagedFields(updatedEntries)
	return parent, nil
}

func metaAccessor(obj runtime.Object) (metav1.Object, error) {
	accessor, ok := obj.(metav1.Object)
	if !ok {
		return nil, apierrors.NewInternalError(fmt.Errorf("%T has no object metadata", obj))
	}
	return accessor, nil
}
