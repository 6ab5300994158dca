// Package loopback hands out loopback addresses: each k1s node gets its own address in
// 127.0.0.0/8 (all of it reaches the local host on Linux), used as its InternalIP and,
// later, for its kubelet API and node ports, so several nodes coexist on one machine and
// addresses look as they do in a real cluster.
//
// This package is a leaf: it must not import anything else of k1s.
package loopback

import (
	"fmt"
	"net/netip"
	"sync"
)

// first is the first address handed out; 127.0.0.0/24 stays free for the control plane
// (the apiserver listens on 127.0.0.1).
var first = netip.MustParseAddr("127.0.1.1")

// Allocator hands out distinct loopback addresses. Its zero value is not usable; use
// Process, which is shared by every cluster of the process so that parallel clusters in
// one test binary never share a node address.
type Allocator struct {
	mu   sync.Mutex
	next netip.Addr
	free []netip.Addr
}

// Process is the allocator of this process.
var Process = &Allocator{next: first}

// Allocate returns an unused address.
func (a *Allocator) Allocate() (netip.Addr, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if n := len(a.free); n > 0 {
		addr := a.free[n-1]
		a.free = a.free[:n-1]
		return addr, nil
	}
	addr := a.next
	if !netip.MustParsePrefix("127.0.0.0/8").Contains(addr) {
		return netip.Addr{}, fmt.Errorf("no loopback addresses left")
	}
	// Skip .0 and .255 so no address looks like a network or broadcast address.
	next := addr.Next()
	for b := next.As4(); b[3] == 0 || b[3] == 255; b = next.As4() {
		next = next.Next()
	}
	a.next = next
	return addr, nil
}

// Release returns an address for reuse.
func (a *Allocator) Release(addr netip.Addr) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.free = append(a.free, addr)
}
