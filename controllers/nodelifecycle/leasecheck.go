package nodelifecycle

import (
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/util/resourceversion"
)

// leaseConsistency is the lease circuit breaker (gate
// NodeControllerLeaseCircuitBreaker, SPEC 2.4), a port of the controller-wide
// use of pkg/controller/util/consistency: when a live GET shows a Lease newer
// than the cached one, the resourceVersion seen is recorded, and every node is
// skipped until the lease informer has synced up to it.
type leaseConsistency struct {
	// lastSyncedRV is the lease informer store's LastStoreSyncResourceVersion.
	lastSyncedRV func() string

	mu      sync.Mutex
	wroteRV string
}

func newLeaseConsistency(lastSyncedRV func() string) *leaseConsistency {
	return &leaseConsistency{lastSyncedRV: lastSyncedRV}
}

// leaseCacheStaleError says why a node was not processed.
type leaseCacheStaleError struct {
	cachedRV, liveRV string
}

func (e *leaseCacheStaleError) Error() string {
	return fmt.Sprintf("read version: %s is not as new as written version: %s for group resource leases.coordination.k8s.io", e.cachedRV, e.liveRV)
}

// wroteAt records rv unless a newer one is already recorded.
func (l *leaseConsistency) wroteAt(rv string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.wroteRV != "" {
		if cmp, err := resourceversion.CompareResourceVersion(l.wroteRV, rv); err == nil && cmp >= 0 {
			return
		}
	}
	l.wroteRV = rv
}

// ensureReady returns an error while the informer has not caught up with the
// recorded resourceVersion, and forgets the record once it has. Versions that
// do not compare (not etcd-style decimals, or an informer that does not track
// them) never block.
func (l *leaseConsistency) ensureReady() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.wroteRV == "" {
		return nil
	}
	readRV := l.lastSyncedRV()
	if readRV != "" {
		if cmp, err := resourceversion.CompareResourceVersion(l.wroteRV, readRV); err == nil && cmp > 0 {
			return &leaseCacheStaleError{cachedRV: readRV, liveRV: l.wroteRV}
		}
	}
	l.wroteRV = ""
	return nil
}
