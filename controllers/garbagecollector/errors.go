package garbagecollector

import (
	"errors"
	"fmt"
)

// restMappingError says an apiVersion/kind has no REST mapping (yet): a
// custom resource discovery has not caught up with, or a bogus reference.
// Items failing with it are retried quietly.
type restMappingError struct {
	kind    string
	version string
}

func (r *restMappingError) Error() string {
	return fmt.Sprintf("unable to get REST mapping for %s/%s", r.version, r.kind)
}

func newRESTMappingError(kind, version string) *restMappingError {
	return &restMappingError{kind: kind, version: version}
}

// errEnqueuedVirtualDeleteEvent tells the worker that the graph builder will
// handle the item through a virtual delete event: no retry.
var errEnqueuedVirtualDeleteEvent = errors.New("enqueued virtual delete event")

// errNamespacedOwnerOfClusterScopedObject marks a cluster-scoped object that
// names a namespaced owner: invalid, and retrying cannot fix it.
var errNamespacedOwnerOfClusterScopedObject = errors.New("cluster-scoped objects cannot refer to namespaced owners")
