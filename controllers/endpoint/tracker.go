package endpoint

import (
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// staleEndpointsTracker remembers the resource version an Endpoints object had
// before the controller last updated it. While the informer still serves that
// version it is stale, and a sync based on it would undo the update or fail
// with a conflict (kubernetes/kubernetes#127370, #126578).
type staleEndpointsTracker struct {
	lock  sync.RWMutex
	stale map[types.NamespacedName]string
}

func newStaleEndpointsTracker() *staleEndpointsTracker {
	return &staleEndpointsTracker{stale: map[types.NamespacedName]string{}}
}

// Stale marks endpoints' current resource version as outdated.
func (t *staleEndpointsTracker) Stale(endpoints *corev1.Endpoints) {
	t.lock.Lock()
	defer t.lock.Unlock()
	t.stale[types.NamespacedName{Namespace: endpoints.Namespace, Name: endpoints.Name}] = endpoints.ResourceVersion
}

// IsStale reports whether endpoints is a version known to be outdated.
func (t *staleEndpointsTracker) IsStale(endpoints *corev1.Endpoints) bool {
	t.lock.RLock()
	defer t.lock.RUnlock()
	rv, ok := t.stale[types.NamespacedName{Namespace: endpoints.Namespace, Name: endpoints.Name}]
	return ok && rv == endpoints.ResourceVersion
}

// Delete forgets the Endpoints namespace/name.
func (t *staleEndpointsTracker) Delete(namespace, name string) {
	t.lock.Lock()
	defer t.lock.Unlock()
	delete(t.stale, types.NamespacedName{Namespace: namespace, Name: name})
}
