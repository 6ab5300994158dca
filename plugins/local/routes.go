package local

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	cloudprovider "k8s.io/cloud-provider"
)

const routesFile = "routes.json"

// routeTable is the route table of the local cloud, <dir>/routes.json. There
// is no pod network between loopback nodes to program, so a route is only a
// record; keeping it lets the route controller run its real reconcile loop and
// set the nodes' NetworkUnavailable condition as it would on a cloud.
type routeTable struct {
	file jsonFile
}

// routeRecord is a route as stored. ClusterName scopes it (HasClusterID).
type routeRecord struct {
	ClusterName         string               `json:"clusterName"`
	Name                string               `json:"name"`
	TargetNode          string               `json:"targetNode"`
	DestinationCIDR     string               `json:"destinationCIDR"`
	TargetNodeAddresses []corev1.NodeAddress `json:"targetNodeAddresses,omitempty"`
}

type routesDocument struct {
	Routes []routeRecord `json:"routes"`
}

func newRouteTable(dir string) (*routeTable, error) {
	t := &routeTable{file: jsonFile{path: filepath.Join(dir, routesFile)}}
	var doc routesDocument
	if err := t.file.read(&doc); err != nil {
		return nil, err
	}
	return t, nil
}

// ListRoutes implements cloudprovider.Routes. A route whose target VM no
// longer exists is reported as a blackhole, as a cloud reports a route whose
// next hop is gone, so the route controller deletes it.
func (c *Cloud) ListRoutes(_ context.Context, clusterName string) ([]*cloudprovider.Route, error) {
	var doc routesDocument
	if err := c.routes.file.read(&doc); err != nil {
		return nil, err
	}
	vms, err := c.vms.List()
	if err != nil {
		return nil, err
	}
	var routes []*cloudprovider.Route
	for _, r := range doc.Routes {
		if r.ClusterName != clusterName {
			continue
		}
		_, i := find(vms, r.TargetNode)
		routes = append(routes, &cloudprovider.Route{
			Name:       r.Name,
			TargetNode: types.NodeName(r.TargetNode),
			// The stored addresses are compared with the node's, so a node
			// whose addresses changed gets its route recreated.
			EnableNodeAddresses: true,
			TargetNodeAddresses: slices.Clone(r.TargetNodeAddresses),
			DestinationCIDR:     r.DestinationCIDR,
			Blackhole:           i < 0,
		})
	}
	return routes, nil
}

// CreateRoute implements cloudprovider.Routes. The route is named after the
// hint (the node's UID) and the CIDR, because a dual-stack node gets two
// routes with the same hint. Creating a route that exists (same cluster,
// node and CIDR) updates its addresses.
func (c *Cloud) CreateRoute(_ context.Context, clusterName string, nameHint string, route *cloudprovider.Route) error {
	if route == nil || route.TargetNode == "" {
		return errors.New("local cloud: route without a target node")
	}
	prefix, err := netip.ParsePrefix(route.DestinationCIDR)
	if err != nil {
		return fmt.Errorf("local cloud: route for node %q: %w", route.TargetNode, err)
	}
	if nameHint == "" {
		nameHint = string(route.TargetNode)
	}
	rec := routeRecord{
		ClusterName: clusterName,
		Name:        routeName(nameHint, prefix),
		TargetNode:  string(route.TargetNode),
		// Stored as given: the route controller matches routes to pod CIDRs
		// by string.
		DestinationCIDR:     route.DestinationCIDR,
		TargetNodeAddresses: slices.Clone(route.TargetNodeAddresses),
	}
	var doc routesDocument
	return c.routes.file.update(&doc, func() error {
		i := slices.IndexFunc(doc.Routes, func(r routeRecord) bool {
			return r.ClusterName == rec.ClusterName && r.TargetNode == rec.TargetNode && r.DestinationCIDR == rec.DestinationCIDR
		})
		if i >= 0 {
			doc.Routes[i] = rec
		} else {
			doc.Routes = append(doc.Routes, rec)
		}
		slices.SortFunc(doc.Routes, func(a, b routeRecord) int {
			return strings.Compare(a.ClusterName+"\x00"+a.TargetNode+"\x00"+a.DestinationCIDR,
				b.ClusterName+"\x00"+b.TargetNode+"\x00"+b.DestinationCIDR)
		})
		return nil
	})
}

// DeleteRoute implements cloudprovider.Routes: by name when the route has
// one, else by node and CIDR. Deleting a missing route succeeds, so the
// controller's retries are harmless.
func (c *Cloud) DeleteRoute(_ context.Context, clusterName string, route *cloudprovider.Route) error {
	if route == nil {
		return errors.New("local cloud: nil route")
	}
	var doc routesDocument
	return c.routes.file.update(&doc, func() error {
		doc.Routes = slices.DeleteFunc(doc.Routes, func(r routeRecord) bool {
			if r.ClusterName != clusterName {
				return false
			}
			if route.Name != "" {
				return r.Name == route.Name
			}
			return r.TargetNode == string(route.TargetNode) && r.DestinationCIDR == route.DestinationCIDR
		})
		return nil
	})
}

// routeName is "<hint>-<cidr>" with the CIDR's separators made name-safe.
func routeName(hint string, prefix netip.Prefix) string {
	return hint + "-" + strings.NewReplacer(".", "-", ":", "-", "/", "-").Replace(prefix.String())
}
