package local

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2/ktesting"
)

func newTestCloud(t *testing.T) *Cloud {
	t.Helper()
	c, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func node(name, providerID string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NodeSpec{ProviderID: providerID}}
}

func TestInstancesV2(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	c := newTestCloud(t)
	vms := c.VMs()
	if _, err := vms.Create(VM{Name: "up", InstanceType: "k1s.medium", Zone: "zone-b", Addresses: internalIP("127.0.1.7")}); err != nil {
		t.Fatal(err)
	}
	if _, err := vms.Create(VM{Name: "down"}); err != nil {
		t.Fatal(err)
	}
	if err := vms.SetState("down", VMShutdown); err != nil {
		t.Fatal(err)
	}
	if _, err := vms.Create(VM{Name: "gone"}); err != nil {
		t.Fatal(err)
	}
	if err := vms.Delete("gone"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name         string
		node         *corev1.Node
		wantExists   bool
		wantShutdown bool
		wantNotFound bool // InstanceShutdown and InstanceMetadata
		wantErr      bool // every call
	}{
		{name: "running, by name", node: node("up", ""), wantExists: true},
		{name: "running, by provider ID", node: node("renamed", "local://up"), wantExists: true},
		{name: "shut down", node: node("down", ""), wantExists: true, wantShutdown: true},
		{name: "shut down, by provider ID", node: node("down", "local://down"), wantExists: true, wantShutdown: true},
		{name: "deleted", node: node("gone", "local://gone"), wantNotFound: true},
		{name: "never existed", node: node("nope", ""), wantNotFound: true},
		{name: "provider ID of another cloud", node: node("up", "aws:///i-1"), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			exists, err := c.InstanceExists(ctx, tc.node)
			if tc.wantErr {
				if err == nil {
					t.Error("InstanceExists: want an error")
				}
			} else if err != nil || exists != tc.wantExists {
				t.Errorf("InstanceExists = %v, %v; want %v, nil", exists, err, tc.wantExists)
			}

			shutdown, err := c.InstanceShutdown(ctx, tc.node)
			switch {
			case tc.wantErr:
				if err == nil {
					t.Error("InstanceShutdown: want an error")
				}
			case tc.wantNotFound:
				if !errors.Is(err, cloudprovider.InstanceNotFound) {
					t.Errorf("InstanceShutdown error = %v, want InstanceNotFound", err)
				}
			case err != nil || shutdown != tc.wantShutdown:
				t.Errorf("InstanceShutdown = %v, %v; want %v, nil", shutdown, err, tc.wantShutdown)
			}

			md, err := c.InstanceMetadata(ctx, tc.node)
			switch {
			case tc.wantErr:
				if err == nil {
					t.Error("InstanceMetadata: want an error")
				}
			case tc.wantNotFound:
				if !errors.Is(err, cloudprovider.InstanceNotFound) || md != nil {
					t.Errorf("InstanceMetadata = %v, %v; want nil, InstanceNotFound", md, err)
				}
			case err != nil || md == nil:
				t.Errorf("InstanceMetadata = %v, %v", md, err)
			}
		})
	}

	md, err := c.InstanceMetadata(ctx, node("up", ""))
	if err != nil {
		t.Fatal(err)
	}
	want := &cloudprovider.InstanceMetadata{
		ProviderID:   "local://up",
		InstanceType: "k1s.medium",
		NodeAddresses: []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: "127.0.1.7"},
			{Type: corev1.NodeHostName, Address: "up"},
		},
		Zone:   "zone-b",
		Region: DefaultRegion,
	}
	if diff := cmp.Diff(want, md); diff != "" {
		t.Errorf("InstanceMetadata (-want +got):\n%s", diff)
	}
}

// The provider reads the store on every call, so a change made through
// another VMStore (another process) is seen at once.
func TestInstancesSeeChangesFromAnotherStore(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	dir := t.TempDir()
	c, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	host, err := OpenVMStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := node("n1", "")
	if exists, _ := c.InstanceExists(ctx, n); exists {
		t.Fatal("VM exists before it was created")
	}
	if _, err := host.Create(VM{Name: "n1"}); err != nil {
		t.Fatal(err)
	}
	if exists, err := c.InstanceExists(ctx, n); !exists || err != nil {
		t.Fatalf("InstanceExists after Create = %v, %v", exists, err)
	}
	if err := host.SetState("n1", VMShutdown); err != nil {
		t.Fatal(err)
	}
	if down, err := c.InstanceShutdown(ctx, n); !down || err != nil {
		t.Fatalf("InstanceShutdown after shutdown = %v, %v", down, err)
	}
	if err := host.SetState("n1", VMRunning); err != nil {
		t.Fatal(err)
	}
	if down, err := c.InstanceShutdown(ctx, n); down || err != nil {
		t.Fatalf("InstanceShutdown after start = %v, %v", down, err)
	}
	if err := host.Delete("n1"); err != nil {
		t.Fatal(err)
	}
	if exists, err := c.InstanceExists(ctx, n); exists || err != nil {
		t.Fatalf("InstanceExists after Delete = %v, %v", exists, err)
	}
}

func TestCloudInterface(t *testing.T) {
	c := newTestCloud(t)
	if c.ProviderName() != "local" || !c.HasClusterID() {
		t.Errorf("ProviderName, HasClusterID = %q, %v", c.ProviderName(), c.HasClusterID())
	}
	for name, ok := range map[string]bool{
		"Instances": second(c.Instances()), "Zones": second(c.Zones()), "Clusters": second(c.Clusters()),
	} {
		if ok {
			t.Errorf("%s() is supported, want not", name)
		}
	}
	for name, ok := range map[string]bool{
		"InstancesV2": second(c.InstancesV2()), "LoadBalancer": second(c.LoadBalancer()), "Routes": second(c.Routes()),
	} {
		if !ok {
			t.Errorf("%s() is not supported", name)
		}
	}
}

func second[T any](_ T, ok bool) bool { return ok }
