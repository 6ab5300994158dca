package garbagecollector

// Port of pkg/controller/garbagecollector/uid_cache.go.

import (
	"k8s.io/utils/lru"
)

// absentOwnerCacheSize is upstream's size of the absent owner cache.
const absentOwnerCacheSize = 500

// referenceCache remembers owners the apiserver said do not exist, so that
// the many dependents of one deleted owner cost one GET, not one each. It is
// an LRU: a forgotten entry only costs another GET.
type referenceCache struct {
	cache *lru.Cache
}

func newReferenceCache(maxCacheEntries int) *referenceCache {
	return &referenceCache{cache: lru.New(maxCacheEntries)}
}

// Add records reference as absent.
func (c *referenceCache) Add(reference objectReference) {
	c.cache.Add(reference, nil)
}

// Has reports whether reference was recorded as absent.
func (c *referenceCache) Has(reference objectReference) bool {
	_, found := c.cache.Get(reference)
	return found
}
