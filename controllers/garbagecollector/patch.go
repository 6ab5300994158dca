package garbagecollector

// Port of pkg/controller/garbagecollector/patch.go, and of
// GenerateDeleteOwnerRefStrategicMergeBytes from
// pkg/controller/controller_ref_manager.go.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// objectForDeleteOwnerRefStrategicMergePatch is a strategic merge patch that
// deletes owner references by uid. metadata.uid acts as a precondition: uid is
// immutable, so the patch fails if the object was replaced by another of the
// same name.
type objectForDeleteOwnerRefStrategicMergePatch struct {
	Metadata objectMetaForDeleteOwnerRefPatch `json:"metadata"`
}

type objectMetaForDeleteOwnerRefPatch struct {
	UID             types.UID           `json:"uid"`
	OwnerReferences []map[string]string `json:"ownerReferences"`
}

// deleteOwnerRefStrategicMergePatch returns the strategic merge patch that
// removes the references to ownerUIDs from the object dependentUID.
func deleteOwnerRefStrategicMergePatch(dependentUID types.UID, ownerUIDs ...types.UID) ([]byte, error) {
	refs := make([]map[string]string, 0, len(ownerUIDs))
	for _, ownerUID := range ownerUIDs {
		refs = append(refs, map[string]string{"$patch": "delete", "uid": string(ownerUID)})
	}
	return json.Marshal(&objectForDeleteOwnerRefStrategicMergePatch{
		Metadata: objectMetaForDeleteOwnerRefPatch{UID: dependentUID, OwnerReferences: refs},
	})
}

// objectForFinalizersPatch is a JSON merge patch of the finalizers;
// resourceVersion makes it conditional on the object not having changed.
type objectForFinalizersPatch struct {
	objectMetaForFinalizersPatch `json:"metadata"`
}

type objectMetaForFinalizersPatch struct {
	ResourceVersion string   `json:"resourceVersion"`
	Finalizers      []string `json:"finalizers"`
}

// objectForPatch is a JSON merge patch of the owner references, conditional
// on resourceVersion: a merge patch replaces the whole list, so it must not
// race with another writer.
type objectForPatch struct {
	objectMetaForPatch `json:"metadata"`
}

type objectMetaForPatch struct {
	ResourceVersion string                  `json:"resourceVersion"`
	OwnerReferences []metav1.OwnerReference `json:"ownerReferences"`
}

// jsonMergePatchFunc computes the JSON merge patch used when the resource does
// not support strategic merge patch (custom resources).
type jsonMergePatchFunc func(context.Context, *node) ([]byte, error)

// patch applies the strategic merge patch smp to item, falling back to the
// JSON merge patch jmp computes where strategic merge patch is unsupported.
func (c *Controller) patch(ctx context.Context, item *node, smp []byte, jmp jsonMergePatchFunc) (*metav1.PartialObjectMetadata, error) {
	smpResult, err := c.patchObject(ctx, item.identity, smp, types.StrategicMergePatchType)
	if err == nil {
		return smpResult, nil
	}
	if !apierrors.IsUnsupportedMediaType(err) {
		return nil, err
	}
	patch, err := jmp(ctx, item)
	if err != nil {
		return nil, err
	}
	return c.patchObject(ctx, item.identity, patch, types.MergePatchType)
}

// getMetadata returns the object from its monitor's cache, or from the
// apiserver when there is no monitor or the cache does not have it.
func (c *Controller) getMetadata(ctx context.Context, apiVersion, kind, namespace, name string) (metav1.Object, error) {
	resource, _, err := c.apiResource(apiVersion, kind)
	if err != nil {
		return nil, err
	}
	c.graph.monitorLock.RLock()
	m, ok := c.graph.monitors[resource]
	c.graph.monitorLock.RUnlock()
	if ok && m != nil {
		key := name
		if len(namespace) != 0 {
			key = namespace + "/" + name
		}
		raw, exist, err := m.informer.GetStore().GetByKey(key)
		if err != nil {
			return nil, fmt.Errorf("reading %s from the cache: %w", key, err)
		}
		if exist {
			return meta.Accessor(raw)
		}
	}
	return c.metadataClient.Resource(resource).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
}

// deleteOwnerRefJSONMergePatch returns a merge patch setting item's owner
// references to the cached ones minus ownerUIDs.
func (c *Controller) deleteOwnerRefJSONMergePatch(ctx context.Context, item *node, ownerUIDs ...types.UID) ([]byte, error) {
	accessor, err := c.getMetadata(ctx, item.identity.APIVersion, item.identity.Kind, item.identity.Namespace, item.identity.Name)
	if err != nil {
		return nil, err
	}
	expected := objectMetaForPatch{ResourceVersion: accessor.GetResourceVersion()}
	for _, ref := range accessor.GetOwnerReferences() {
		if !slices.Contains(ownerUIDs, ref.UID) {
			expected.OwnerReferences = append(expected.OwnerReferences, ref)
		}
	}
	return json.Marshal(objectForPatch{expected})
}

// unblockOwnerReferencesStrategicMergePatch sets blockOwnerDeletion=false on
// every blocking reference of n (merged by uid).
func (n *node) unblockOwnerReferencesStrategicMergePatch() ([]byte, error) {
	var blockingRefs []metav1.OwnerReference
	falseVar := false
	for _, owner := range n.getOwners() {
		if owner.BlockOwnerDeletion != nil && *owner.BlockOwnerDeletion {
			ref := owner
			ref.BlockOwnerDeletion = &falseVar
			blockingRefs = append(blockingRefs, ref)
		}
	}
	var patch metav1.PartialObjectMetadata
	patch.SetOwnerReferences(blockingRefs)
	patch.UID = n.identity.UID
	return json.Marshal(&patch)
}

// unblockOwnerReferencesJSONMergePatch is the merge patch form of
// unblockOwnerReferencesStrategicMergePatch.
func (c *Controller) unblockOwnerReferencesJSONMergePatch(ctx context.Context, n *node) ([]byte, error) {
	accessor, err := c.getMetadata(ctx, n.identity.APIVersion, n.identity.Kind, n.identity.Namespace, n.identity.Name)
	if err != nil {
		return nil, err
	}
	expected := objectMetaForPatch{ResourceVersion: accessor.GetResourceVersion()}
	falseVar := false
	for _, owner := range n.getOwners() {
		owner.BlockOwnerDeletion = &falseVar
		expected.OwnerReferences = append(expected.OwnerReferences, owner)
	}
	return json.Marshal(objectForPatch{expected})
}
