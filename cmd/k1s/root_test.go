package main

import (
	"io"
	"testing"
	"time"

	"github.com/k1s-dev/k1s/cluster"
	"github.com/spf13/pflag"
)

func TestWidenClusterCIDR(t *testing.T) {
	for _, tc := range []struct {
		cidr     string
		mask     int
		nodes    int
		services string
		want     string
	}{
		{"10.244.0.0/16", 24, 3, "10.96.0.0/12", ""},
		{"10.244.0.0/16", 24, 256, "10.96.0.0/12", ""},
		{"10.244.0.0/16", 24, 257, "10.96.0.0/12", "10.244.0.0/15"},
		{"10.244.0.0/16", 24, 1000, "10.96.0.0/12", "10.244.0.0/14"},
		{"10.244.0.0/16", 24, 5000, "10.96.0.0/12", "10.224.0.0/11"},
		// 10.0.0.0/8 holds the service range: no wider CIDR, the controller reports it.
		{"10.244.0.0/16", 24, 40000, "10.96.0.0/12", ""},
		{"10.244.0.0/16", 26, 1000, "10.96.0.0/12", ""},
		{"10.244.0.0/16", 24, 1000, "fd00:96::/108,10.246.0.0/16", ""},
		{"10.244.0.0/16", 24, 1000, "10.96.0.0/12,fd00:96::/108", "10.244.0.0/14"},
		{"fd00::/64", 80, 100000, "10.96.0.0/12", ""},
	} {
		got, ok := widenClusterCIDR(tc.cidr, tc.mask, tc.nodes, tc.services)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("widenClusterCIDR(%s, /%d, %d nodes) = %q, %v; want %q", tc.cidr, tc.mask, tc.nodes, got, ok, tc.want)
		}
	}
}

func TestApplyFlagDefaults(t *testing.T) {
	parse := func(args ...string) cluster.Config {
		t.Helper()
		var cfg cluster.Config
		f := pflag.NewFlagSet("up", pflag.ContinueOnError)
		f.IntVar(&cfg.Nodes, "nodes", 3, "")
		f.StringVar(&cfg.ClusterCIDR, "cluster-cidr", "10.244.0.0/16", "")
		f.IntVar(&cfg.NodeCIDRMaskSize, "node-cidr-mask-size", 24, "")
		f.StringVar(&cfg.ServiceClusterIPRange, "service-cluster-ip-range", "10.96.0.0/12", "")
		f.DurationVar(&cfg.NodeDefaults.NodeStatusUpdateFrequency, "node-status-update-frequency", 10*time.Second, "")
		if err := f.Parse(args); err != nil {
			t.Fatal(err)
		}
		applyFlagDefaults(f, &cfg, io.Discard)
		return cfg
	}
	// The kubelet's rule: an update frequency counts as set only when given, and a
	// given one is also the report frequency.
	if got := parse().NodeDefaults.NodeStatusUpdateFrequency; got != 0 {
		t.Errorf("default --node-status-update-frequency passed on as %v, want unset", got)
	}
	if got := parse("--node-status-update-frequency=4s").NodeDefaults.NodeStatusUpdateFrequency; got != 4*time.Second {
		t.Errorf("--node-status-update-frequency=4s passed on as %v", got)
	}
	if got := parse("--nodes=1000").ClusterCIDR; got != "10.244.0.0/14" {
		t.Errorf("1,000 nodes on the default cluster CIDR: %s", got)
	}
	if got := parse("--nodes=1000", "--cluster-cidr=10.244.0.0/16").ClusterCIDR; got != "10.244.0.0/16" {
		t.Errorf("an explicit --cluster-cidr was changed to %s", got)
	}
	if got := parse("--nodes=1000", "--node-cidr-mask-size=24").ClusterCIDR; got != "10.244.0.0/16" {
		t.Errorf("an explicit --node-cidr-mask-size changed the cluster CIDR to %s", got)
	}
}
