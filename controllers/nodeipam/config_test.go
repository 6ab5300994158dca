package nodeipam

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     Config
		wantErr []string // substrings, all required; none means valid
	}{
		{name: "single-stack IPv4, defaults", cfg: Config{ClusterCIDRs: []string{"10.244.0.0/16"}}},
		{name: "DefaultConfig plus a cluster CIDR", cfg: func() Config {
			c := DefaultConfig()
			c.ClusterCIDRs = []string{"fd00:10:244::/56"}
			return c
		}()},
		{name: "dual-stack with services", cfg: Config{ClusterCIDRs: []string{"10.244.0.0/16", "fd00:10:244::/56"}, ServiceCIDR: "10.96.0.0/12,fd00:10:96::/112"}},
		{name: "node mask equal to cluster prefix", cfg: Config{ClusterCIDRs: []string{"10.0.0.0/24"}, NodeCIDRMaskSizeIPv4: 24}},
		{name: "no cluster CIDR", cfg: Config{}, wantErr: []string{"--cluster-cidr", "must be specified"}},
		{name: "bad cluster CIDR", cfg: Config{ClusterCIDRs: []string{"10.244.0.0/33"}}, wantErr: []string{"--cluster-cidr", `"10.244.0.0/33"`}},
		{name: "two IPv4 cluster CIDRs", cfg: Config{ClusterCIDRs: []string{"10.244.0.0/16", "10.245.0.0/16"}}, wantErr: []string{"--cluster-cidr", "same IP family"}},
		{name: "three cluster CIDRs", cfg: Config{ClusterCIDRs: []string{"10.244.0.0/16", "fd00::/56", "10.1.0.0/16"}}, wantErr: []string{"--cluster-cidr", "at most two"}},
		{name: "IPv4 node mask shorter than cluster prefix", cfg: Config{ClusterCIDRs: []string{"10.244.0.0/16"}, NodeCIDRMaskSizeIPv4: 12}, wantErr: []string{"--node-cidr-mask-size-ipv4", "/12", "10.244.0.0/16"}},
		{name: "IPv6 node mask shorter than cluster prefix", cfg: Config{ClusterCIDRs: []string{"10.0.0.0/8", "fd00::/64"}, NodeCIDRMaskSizeIPv6: 56}, wantErr: []string{"--node-cidr-mask-size-ipv6", "fd00::/64"}},
		{name: "IPv6 more than 16 bits of subnets", cfg: Config{ClusterCIDRs: []string{"fd00::/40"}}, wantErr: []string{"--node-cidr-mask-size-ipv6", "16 bits"}},
		{name: "IPv4 mask out of range", cfg: Config{ClusterCIDRs: []string{"10.0.0.0/8"}, NodeCIDRMaskSizeIPv4: 33}, wantErr: []string{"--node-cidr-mask-size-ipv4", "33"}},
		{name: "bad service CIDR", cfg: Config{ClusterCIDRs: []string{"10.244.0.0/16"}, ServiceCIDR: "10.96.0.0"}, wantErr: []string{"--service-cluster-ip-range"}},
		{name: "two IPv4 service CIDRs", cfg: Config{ClusterCIDRs: []string{"10.244.0.0/16"}, ServiceCIDR: "10.96.0.0/12,10.112.0.0/12"}, wantErr: []string{"--service-cluster-ip-range", "same IP family"}},
		{name: "errors are joined", cfg: Config{ClusterCIDRs: []string{"nope"}, ServiceCIDR: "nope"}, wantErr: []string{"--cluster-cidr", "--service-cluster-ip-range"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error containing %q", tc.wantErr)
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Validate() = %q, want it to contain %q", err, want)
				}
			}
		})
	}
}

func TestParseMaskSizes(t *testing.T) {
	p, err := Config{ClusterCIDRs: []string{"fd00::/48", "10.0.0.0/8"}, NodeCIDRMaskSizeIPv4: 26}.parse()
	if err != nil {
		t.Fatal(err)
	}
	if len(p.maskSizes) != 2 || p.maskSizes[0] != 64 || p.maskSizes[1] != 26 {
		t.Errorf("mask sizes = %v, want [64 26] (in --cluster-cidr order)", p.maskSizes)
	}
}
