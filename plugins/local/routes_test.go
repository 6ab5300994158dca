package local

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2/ktesting"
)

func TestRoutes(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	dir := t.TempDir()
	c, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, n := range []string{"n1", "n2"} {
		if _, err := c.VMs().Create(VM{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	addrs := internalIP("127.0.1.1")
	create := func(cluster, hint, node, cidr string, addrs []corev1.NodeAddress) {
		t.Helper()
		if err := c.CreateRoute(ctx, cluster, hint, &cloudprovider.Route{TargetNode: types.NodeName(node), DestinationCIDR: cidr, TargetNodeAddresses: addrs}); err != nil {
			t.Fatal(err)
		}
	}
	create("k", "uid-1", "n1", "10.244.0.0/24", addrs)
	create("k", "uid-1", "n1", "fd00:10:244::/64", addrs) // dual stack: same hint
	create("k", "uid-2", "n2", "10.244.1.0/24", nil)
	create("other", "uid-9", "n2", "10.245.1.0/24", nil)
	// Creating an existing route again replaces its addresses, nothing more.
	newAddrs := internalIP("127.0.1.9")
	create("k", "uid-1", "n1", "10.244.0.0/24", newAddrs)

	list := func(cluster string) []*cloudprovider.Route {
		t.Helper()
		routes, err := c.ListRoutes(ctx, cluster)
		if err != nil {
			t.Fatal(err)
		}
		return routes
	}
	want := []*cloudprovider.Route{
		{Name: "uid-1-10-244-0-0-24", TargetNode: "n1", EnableNodeAddresses: true, TargetNodeAddresses: newAddrs, DestinationCIDR: "10.244.0.0/24"},
		{Name: "uid-1-fd00-10-244---64", TargetNode: "n1", EnableNodeAddresses: true, TargetNodeAddresses: addrs, DestinationCIDR: "fd00:10:244::/64"},
		{Name: "uid-2-10-244-1-0-24", TargetNode: "n2", EnableNodeAddresses: true, DestinationCIDR: "10.244.1.0/24"},
	}
	if diff := cmp.Diff(want, list("k")); diff != "" {
		t.Errorf("ListRoutes (-want +got):\n%s", diff)
	}
	if got := list("other"); len(got) != 1 || got[0].DestinationCIDR != "10.245.1.0/24" {
		t.Errorf("ListRoutes(other) = %+v", got)
	}

	// Routes persist: a new provider on the dir lists the same routes.
	c2, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if got, _ := c2.ListRoutes(ctx, "k"); !cmp.Equal(want, got) {
		t.Errorf("routes after reopening differ: %+v", got)
	}

	// The route to a deleted VM is a blackhole.
	if err := c.VMs().Delete("n2"); err != nil {
		t.Fatal(err)
	}
	if got := list("k"); !got[2].Blackhole || got[0].Blackhole {
		t.Errorf("after deleting VM n2 the blackhole flags are %v %v %v, want false false true", got[0].Blackhole, got[1].Blackhole, got[2].Blackhole)
	}

	// Delete by name, by node and CIDR, and of a missing route.
	for _, r := range []*cloudprovider.Route{
		{Name: "uid-2-10-244-1-0-24"},
		{TargetNode: "n1", DestinationCIDR: "fd00:10:244::/64"},
		{Name: "missing"},
	} {
		if err := c.DeleteRoute(ctx, "k", r); err != nil {
			t.Fatalf("DeleteRoute(%+v): %v", r, err)
		}
	}
	if got := list("k"); len(got) != 1 || got[0].Name != "uid-1-10-244-0-0-24" {
		t.Errorf("after deletes ListRoutes = %+v", got)
	}
	if got := list("other"); len(got) != 1 {
		t.Errorf("deletes in cluster k touched cluster other: %+v", got)
	}

	if err := c.CreateRoute(ctx, "k", "h", &cloudprovider.Route{TargetNode: "n1", DestinationCIDR: "not-a-cidr"}); err == nil {
		t.Error("CreateRoute with a bad CIDR: want an error")
	}
}
