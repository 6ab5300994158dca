package nodeipam

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"k8s.io/utils/clock"
	netutils "k8s.io/utils/net"
)

// Names under which upstream knows this controller.
const (
	// ControllerName is the kube-controller-manager controller name (alias
	// "nodeipam").
	ControllerName = "node-ipam-controller"
	// ClientName is the identity the controller talks to the apiserver with:
	// upstream builds the IPAM client as "node-controller" (service account
	// kube-system/node-controller, ClusterRole system:controller:node-controller),
	// the same identity as the node lifecycle controller.
	ClientName = "node-controller"
	// EventSourceComponent is the source.component of the events it records:
	// upstream's range allocator runs its own broadcaster under this name.
	EventSourceComponent = "cidrAllocator"
)

// Defaults of kube-controller-manager v1.37 (cmd/kube-controller-manager/app/core.go).
const (
	DefaultNodeCIDRMaskSizeIPv4 = 24
	DefaultNodeCIDRMaskSizeIPv6 = 64
)

// clusterSubnetMaxDiff bounds node mask - cluster mask for IPv6: the allocator
// keeps an uncompressed bitmap of 2^diff bits (upstream's limit, issue #44918).
const clusterSubnetMaxDiff = 16

// Config configures the node IPAM controller (upstream's RangeAllocator, the
// only --cidr-allocator-type that works in v1.37). Each field is the
// kube-controller-manager flag named in its comment. The controller is what
// --allocate-node-cidrs=true turns on: the caller decides whether to run it.
type Config struct {
	// ClusterCIDRs is --cluster-cidr, split at the commas: one CIDR, or two of
	// different IP families (dual-stack). Required. Node i's spec.podCIDRs[i]
	// is carved out of ClusterCIDRs[i], so the order is the family order of
	// every node's podCIDRs.
	ClusterCIDRs []string
	// NodeCIDRMaskSizeIPv4 is --node-cidr-mask-size-ipv4 (24): the prefix
	// length of each node's IPv4 pod CIDR. Upstream's single-stack
	// --node-cidr-mask-size (0 ⇒ 24 / 64) maps to the field of the cluster
	// CIDR's family. 0 means the default.
	NodeCIDRMaskSizeIPv4 int
	// NodeCIDRMaskSizeIPv6 is --node-cidr-mask-size-ipv6 (64). 0 means the
	// default.
	NodeCIDRMaskSizeIPv6 int
	// ServiceCIDR is --service-cluster-ip-range: one CIDR, or two of different
	// families separated by a comma. Where it overlaps a cluster CIDR, the
	// node subnets it touches are never handed out. Optional.
	ServiceCIDR string

	// Clock drives the work queue's delays. Default: the real clock.
	Clock clock.WithTicker
}

// DefaultConfig returns a Config with upstream's defaults and the real clock.
// ClusterCIDRs has no default (upstream has none either): set it.
func DefaultConfig() Config {
	return Config{
		NodeCIDRMaskSizeIPv4: DefaultNodeCIDRMaskSizeIPv4,
		NodeCIDRMaskSizeIPv6: DefaultNodeCIDRMaskSizeIPv6,
		Clock:                clock.RealClock{},
	}
}

// Validate checks the configuration; each error names the flag concerned.
func (c Config) Validate() error {
	_, err := c.parse()
	return err
}

// parsedConfig is a validated Config in the form the allocator uses.
type parsedConfig struct {
	clusterCIDRs []*net.IPNet
	maskSizes    []int // maskSizes[i] is the node prefix length in clusterCIDRs[i]
	serviceCIDRs []*net.IPNet
}

func (c Config) parse() (parsedConfig, error) {
	var p parsedConfig
	var errs []error
	v4Mask, v6Mask := c.NodeCIDRMaskSizeIPv4, c.NodeCIDRMaskSizeIPv6
	if v4Mask == 0 {
		v4Mask = DefaultNodeCIDRMaskSizeIPv4
	}
	if v6Mask == 0 {
		v6Mask = DefaultNodeCIDRMaskSizeIPv6
	}
	if v4Mask < 0 || v4Mask > 32 {
		errs = append(errs, fmt.Errorf("--node-cidr-mask-size-ipv4: must be between 1 and 32, got %d", c.NodeCIDRMaskSizeIPv4))
	}
	if v6Mask < 0 || v6Mask > 128 {
		errs = append(errs, fmt.Errorf("--node-cidr-mask-size-ipv6: must be between 1 and 128, got %d", c.NodeCIDRMaskSizeIPv6))
	}

	clusterCIDRs, err := parseCIDRList("--cluster-cidr", c.ClusterCIDRs)
	switch {
	case err != nil:
		errs = append(errs, err)
	case len(clusterCIDRs) == 0:
		errs = append(errs, errors.New("--cluster-cidr: must be specified when --allocate-node-cidrs is set"))
	}
	p.clusterCIDRs = clusterCIDRs
	for _, cidr := range clusterCIDRs {
		prefix, _ := cidr.Mask.Size()
		flag, mask := "--node-cidr-mask-size-ipv4", v4Mask
		if netutils.IsIPv6CIDR(cidr) {
			flag, mask = "--node-cidr-mask-size-ipv6", v6Mask
		}
		p.maskSizes = append(p.maskSizes, mask)
		if prefix > mask {
			errs = append(errs, fmt.Errorf("%s: node mask size /%d is larger than the --cluster-cidr %s it is carved from (prefix /%d); it must be at least %d", flag, mask, cidr, prefix, prefix))
		} else if netutils.IsIPv6CIDR(cidr) && mask-prefix > clusterSubnetMaxDiff {
			errs = append(errs, fmt.Errorf("%s: node mask size /%d is more than %d bits longer than the --cluster-cidr %s", flag, mask, clusterSubnetMaxDiff, cidr))
		}
	}

	var serviceList []string
	if s := strings.TrimSpace(c.ServiceCIDR); s != "" {
		serviceList = strings.Split(s, ",")
	}
	p.serviceCIDRs, err = parseCIDRList("--service-cluster-ip-range", serviceList)
	if err != nil {
		errs = append(errs, err)
	}
	return p, errors.Join(errs...)
}

// parseCIDRList parses a flag's CIDRs: at most two, and then of different
// families (upstream: "at least one from each IPFamily").
func parseCIDRList(flag string, list []string) ([]*net.IPNet, error) {
	var cidrs []*net.IPNet
	for _, s := range list {
		// netutils' sloppy parser accepts the leading zeros that older
		// releases did, as upstream's flag parsing does.
		_, cidr, err := netutils.ParseCIDRSloppy(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("%s: invalid CIDR %q: %w", flag, s, err)
		}
		cidrs = append(cidrs, cidr)
	}
	if len(cidrs) > 2 {
		return nil, fmt.Errorf("%s: at most two CIDRs (one per IP family) are allowed, got %d", flag, len(cidrs))
	}
	if len(cidrs) == 2 {
		if dual, _ := netutils.IsDualStackCIDRs(cidrs); !dual {
			return nil, fmt.Errorf("%s: %s and %s are of the same IP family; two CIDRs must be one IPv4 and one IPv6", flag, cidrs[0], cidrs[1])
		}
	}
	return cidrs, nil
}
