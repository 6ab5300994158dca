package cluster

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	kubeletlite "github.com/k1s-dev/k1s/kubelet-lite"
	"github.com/k1s-dev/k1s/plugins/local"
)

func TestCloudConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // substring of the error; "" for none
	}{
		{name: "no cloud", cfg: Config{}},
		{name: "routes without a cloud are ignored", cfg: Config{ConfigureCloudRoutes: true}},
		{name: "missing plugin", cfg: Config{CloudProvider: "nosuch", PluginDir: "/nonexistent"}, want: "/nonexistent/k1s-cloud-nosuch"},
		// This test binary never called builtin.MaybeServe: re-executing it would run
		// the tests again, so a built-in provider must be refused.
		{name: "built-in provider in a binary that cannot serve it", cfg: Config{CloudProvider: "local"}, want: "call builtin.MaybeServe()"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestVMMethodsWithoutLocalCloud(t *testing.T) {
	tests := []struct {
		name string
		c    *Cluster
		want string
	}{
		{"no cloud", &Cluster{}, "runs no cloud provider"},
		{"another provider", &Cluster{cloud: &cloudRuntime{name: "fake"}}, `cloud provider "fake" belong to its plugin`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.c.CloudVMs()
			errs := []error{err, tt.c.ShutdownVM("n"), tt.c.StartVM("n"), tt.c.DeleteVM("n")}
			for i, err := range errs {
				if !errors.Is(err, errNoLocalCloud) || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("call %d: %v, want an error containing %q", i, err, tt.want)
				}
			}
			if n := tt.c.CloudPluginRestarts() + tt.c.CloudPluginPID(); n != 0 {
				t.Errorf("plugin restarts + pid = %d without a plugin", n)
			}
		})
	}
}

func TestVMFor(t *testing.T) {
	ip := netip.MustParseAddr("127.0.1.5")
	tests := []struct {
		opts             NodeOptions
		wantZone, region string
	}{
		{NodeOptions{}, "", local.DefaultRegion}, // the store fills in local.DefaultZone
		{NodeOptions{Zone: "a"}, "a", local.DefaultRegion},
		{NodeOptions{Zone: "a", Region: "r"}, "a", "r"},
	}
	for _, tt := range tests {
		vm := vmFor("n1", tt.opts, ip)
		want := []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.1.5"}, {Type: corev1.NodeHostName, Address: "n1"}}
		if vm.Name != "n1" || vm.Zone != tt.wantZone || vm.Region != tt.region || !slices.Equal(vm.Addresses, want) {
			t.Errorf("vmFor(%+v) = %+v", tt.opts, vm)
		}
	}
}

func TestConfigureCloudKubelet(t *testing.T) {
	labels := func() map[string]string {
		return map[string]string{corev1.LabelTopologyZone: "a", corev1.LabelTopologyRegion: "local", "role": "x"}
	}
	// Without a cloud the kubelet keeps its topology labels and registers untainted.
	cfg := kubeletlite.Config{NodeLabels: labels()}
	(&Cluster{}).configureCloudKubelet(&cfg, NodeOptions{Zone: "a"})
	if cfg.CloudProvider != "" || len(cfg.NodeLabels) != 3 {
		t.Errorf("without a cloud: provider %q, labels %v", cfg.CloudProvider, cfg.NodeLabels)
	}
	// With one the cloud labels topology, except where the node's labels say so.
	c := &Cluster{cloud: &cloudRuntime{name: "local"}}
	cfg = kubeletlite.Config{NodeLabels: labels()}
	c.configureCloudKubelet(&cfg, NodeOptions{Zone: "a", Labels: map[string]string{corev1.LabelTopologyRegion: "local"}})
	want := map[string]string{corev1.LabelTopologyRegion: "local", "role": "x"}
	if cfg.CloudProvider != kubeletlite.CloudProviderExternal || len(cfg.NodeLabels) != len(want) || cfg.NodeLabels[corev1.LabelTopologyRegion] != "local" || cfg.NodeLabels["role"] != "x" {
		t.Errorf("with a cloud: provider %q, labels %v; want external, %v", cfg.CloudProvider, cfg.NodeLabels, want)
	}
}
