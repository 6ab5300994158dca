package garbagecollector

// Port of pkg/controller/garbagecollector/operations.go. Unlike upstream,
// every call takes the caller's context, so that shutdown cancels requests
// in flight.

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"k8s.io/klog/v2"
)

// resourceDefaultNamespace returns namespace for namespaced resources and ""
// for cluster-scoped ones, whatever namespace the reference was found in.
func resourceDefaultNamespace(namespaced bool, namespace string) string {
	if namespaced {
		return namespace
	}
	return ""
}

// apiResource maps apiVersion/kind to the resource to call and whether it is
// namespaced.
func (c *Controller) apiResource(apiVersion, kind string) (schema.GroupVersionResource, bool, error) {
	fqKind := schema.FromAPIVersionAndKind(apiVersion, kind)
	mapping, err := c.restMapper.RESTMapping(fqKind.GroupKind(), fqKind.Version)
	if err != nil {
		return schema.GroupVersionResource{}, false, newRESTMappingError(kind, apiVersion)
	}
	return mapping.Resource, mapping.Scope.Name() == meta.RESTScopeNameNamespace, nil
}

// deleteObject deletes item with policy, on the preconditions that its uid
// is item's and, if given, that it is still at resourceVersion (so that an
// object given a new owner meanwhile is not deleted).
func (c *Controller) deleteObject(ctx context.Context, item objectReference, resourceVersion string, ownersAtResourceVersion []metav1.OwnerReference, policy *metav1.DeletionPropagation) error {
	resource, namespaced, err := c.apiResource(item.APIVersion, item.Kind)
	if err != nil {
		return err
	}
	uid := item.UID
	preconditions := metav1.Preconditions{UID: &uid}
	if len(resourceVersion) > 0 {
		preconditions.ResourceVersion = &resourceVersion
	}
	deleteOptions := metav1.DeleteOptions{Preconditions: &preconditions, PropagationPolicy: policy}
	resourceClient := c.metadataClient.Resource(resource).Namespace(resourceDefaultNamespace(namespaced, item.Namespace))
	err = resourceClient.Delete(ctx, item.Name, deleteOptions)
	if apierrors.IsConflict(err) && len(resourceVersion) > 0 {
		liveObject, liveErr := resourceClient.Get(ctx, item.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(liveErr) {
			// Gone meanwhile: report NotFound, which callers handle.
			return liveErr
		}
		if liveErr == nil && liveObject.UID == item.UID && liveObject.ResourceVersion != resourceVersion && reflect.DeepEqual(liveObject.OwnerReferences, ownersAtResourceVersion) {
			// Changed, but not its owners: delete without the resourceVersion
			// precondition, so that frequent unrelated updates cannot starve
			// the collection.
			return c.deleteObject(ctx, item, "", nil, policy)
		}
	}
	return err
}

// getObject reads item from the apiserver.
func (c *Controller) getObject(ctx context.Context, item objectReference) (*metav1.PartialObjectMetadata, error) {
	resource, namespaced, err := c.apiResource(item.APIVersion, item.Kind)
	if err != nil {
		return nil, err
	}
	namespace := resourceDefaultNamespace(namespaced, item.Namespace)
	if namespaced && len(namespace) == 0 {
		// Only a cluster-scoped object naming a namespaced owner gets here.
		return nil, errNamespacedOwnerOfClusterScopedObject
	}
	return c.metadataClient.Resource(resource).Namespace(namespace).Get(ctx, item.Name, metav1.GetOptions{})
}

func (c *Controller) patchObject(ctx context.Context, item objectReference, patch []byte, pt types.PatchType) (*metav1.PartialObjectMetadata, error) {
	resource, namespaced, err := c.apiResource(item.APIVersion, item.Kind)
	if err != nil {
		return nil, err
	}
	return c.metadataClient.Resource(resource).Namespace(resourceDefaultNamespace(namespaced, item.Namespace)).Patch(ctx, item.Name, pt, patch, metav1.PatchOptions{})
}

// removeFinalizer removes targetFinalizer from owner with a merge patch
// conditional on resourceVersion, retrying on conflicts.
func (c *Controller) removeFinalizer(ctx context.Context, logger klog.Logger, owner *node, targetFinalizer string) error {
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		ownerObject, err := c.getObject(ctx, owner.identity)
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("cannot finalize owner %s, because cannot get it: %w; the garbage collector will retry later", owner.identity, err)
		}
		if ownerObject.UID != owner.identity.UID {
			// Another object of the same name: ours is gone.
			return nil
		}
		var newFinalizers []string
		found := false
		for _, f := range ownerObject.GetFinalizers() {
			if f == targetFinalizer {
				found = true
				continue
			}
			newFinalizers = append(newFinalizers, f)
		}
		if !found {
			logger.V(5).Info("Finalizer already removed from object", "finalizer", targetFinalizer, "object", owner.identity)
			return nil
		}
		patch, err := json.Marshal(&objectForFinalizersPatch{
			objectMetaForFinalizersPatch: objectMetaForFinalizersPatch{
				ResourceVersion: ownerObject.GetResourceVersion(),
				Finalizers:      newFinalizers,
			},
		})
		if err != nil {
			return fmt.Errorf("unable to finalize %s due to an error serializing patch: %w", owner.identity, err)
		}
		_, err = c.patchObject(ctx, owner.identity, patch, types.MergePatchType)
		return err
	})
	if apierrors.IsConflict(err) {
		return fmt.Errorf("updateMaxRetries(%d) has reached, the garbage collector will retry later for owner %v: %w", retry.DefaultBackoff.Steps, owner.identity, err)
	}
	return err
}
