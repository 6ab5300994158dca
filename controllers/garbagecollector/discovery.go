package garbagecollector

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/klog/v2"
)

// deletableResources is upstream's GetDeletableResources: the preferred
// version of every resource that supports delete, list and watch. On a
// discovery error it returns what it could resolve along with the error,
// every error being considered temporary.
func deletableResources(ctx context.Context, d discovery.ServerResourcesInterface) (map[schema.GroupVersionResource]struct{}, error) {
	logger := klog.FromContext(ctx)
	preferredResources, lookupErr := discovery.ToServerResourcesInterfaceWithContext(d).ServerPreferredResourcesWithContext(ctx)
	if lookupErr != nil {
		if groupLookupFailures, isLookupFailure := discovery.GroupDiscoveryFailedErrorGroups(lookupErr); isLookupFailure {
			// %q because map[schema.GroupVersion]error does not encode as JSON.
			logger.Info("Failed to discover some groups", "groups", fmt.Sprintf("%q", groupLookupFailures))
		} else {
			logger.Info("Failed to discover preferred resources", "err", lookupErr)
		}
	}
	if preferredResources == nil {
		return map[schema.GroupVersionResource]struct{}{}, lookupErr
	}

	// Filtered per resource rather than with discovery.GroupVersionResources,
	// so that one bad group version does not hide the others.
	filtered := discovery.FilteredBy(discovery.SupportsAllVerbs{Verbs: []string{"delete", "list", "watch"}}, preferredResources)
	result := map[schema.GroupVersionResource]struct{}{}
	for _, rl := range filtered {
		gv, err := schema.ParseGroupVersion(rl.GroupVersion)
		if err != nil {
			logger.Info("Ignoring invalid discovered resource", "groupversion", rl.GroupVersion, "err", err)
			continue
		}
		for i := range rl.APIResources {
			result[gv.WithResource(rl.APIResources[i].Name)] = struct{}{}
		}
	}
	return result, lookupErr
}
