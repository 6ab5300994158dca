package kubeletlite

import (
	"net/netip"
	"strings"
)

// podIPAllocator hands out pod IPs from the Node's spec.podCIDRs sequentially,
// one per CIDR (dual stack), skipping the network address and .1 (gateway, as
// the bridge/host-local CNI plugins do) and addresses still in use. Upstream
// leaves this to the CNI plugin; the simulated runtime has none.
type podIPAllocator struct {
	cidrs    string
	prefixes []netip.Prefix
	next     []netip.Addr
	inUse    map[netip.Addr]bool
}

func newPodIPAllocator() *podIPAllocator {
	return &podIPAllocator{inUse: map[netip.Addr]bool{}}
}

// setCIDRs switches to new pod CIDRs; addresses in use stay reserved.
func (a *podIPAllocator) setCIDRs(cidrs []string) {
	joined := strings.Join(cidrs, ",")
	if joined == a.cidrs {
		return
	}
	a.cidrs = joined
	a.prefixes, a.next = nil, nil
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(strings.TrimSpace(c))
		if err != nil {
			continue
		}
		p = p.Masked()
		a.prefixes = append(a.prefixes, p)
		a.next = append(a.next, firstHost(p))
	}
}

func firstHost(p netip.Prefix) netip.Addr {
	addr := p.Addr()
	// Skip the network address and the gateway when the range is big enough.
	if p.Addr().BitLen()-p.Bits() >= 2 {
		addr = addr.Next().Next()
	}
	return addr
}

// allocate returns one address per pod CIDR, or nil if there is no CIDR or a
// range is exhausted.
func (a *podIPAllocator) allocate() []string {
	if len(a.prefixes) == 0 {
		return nil
	}
	var got []netip.Addr
	for i, p := range a.prefixes {
		ip, ok := a.allocateFrom(i, p)
		if !ok {
			for _, g := range got {
				delete(a.inUse, g)
			}
			return nil
		}
		got = append(got, ip)
	}
	out := make([]string, len(got))
	for i, g := range got {
		out[i] = g.String()
	}
	return out
}

func (a *podIPAllocator) allocateFrom(i int, p netip.Prefix) (netip.Addr, bool) {
	start := a.next[i]
	cand := start
	for {
		if !a.inUse[cand] && !isBroadcast(p, cand) {
			a.inUse[cand] = true
			a.next[i] = wrap(p, cand.Next())
			return cand, true
		}
		cand = wrap(p, cand.Next())
		if cand == start {
			return netip.Addr{}, false
		}
	}
}

func wrap(p netip.Prefix, addr netip.Addr) netip.Addr {
	if !addr.IsValid() || !p.Contains(addr) {
		return firstHost(p)
	}
	return addr
}

// isBroadcast reports the last address of an IPv4 range.
func isBroadcast(p netip.Prefix, addr netip.Addr) bool {
	if !addr.Is4() || p.Bits() >= 31 {
		return false
	}
	return !p.Contains(addr.Next())
}

// reserve marks addresses a pod already has (e.g. after a kubelet restart).
func (a *podIPAllocator) reserve(ips []string) {
	for _, s := range ips {
		if ip, err := netip.ParseAddr(s); err == nil {
			a.inUse[ip] = true
		}
	}
}

func (a *podIPAllocator) release(ips []string) {
	for _, s := range ips {
		if ip, err := netip.ParseAddr(s); err == nil {
			delete(a.inUse, ip)
		}
	}
}
