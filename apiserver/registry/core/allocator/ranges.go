package allocator

import (
	"context"
	"fmt"
	"math/big"
	"net/netip"

	"k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apiserver/pkg/storage"
)

// IPRange allocates IPs of a service CIDR. As upstream, the network address and (for
// IPv4) the broadcast address are never handed out.
type IPRange struct {
	prefix netip.Prefix
	bitmap *Bitmap
}

// maxIPRangeSize caps the bitmap at 2^20 addresses (a /12 of IPv4, the default range);
// larger ranges, as with IPv6, use only their first 2^20 addresses.
const maxIPRangeSize = 1 << 20

// NewIPRange allocates from cidr, persisting under key.
func NewIPRange(store storage.Interface, key, cidr string) (*IPRange, error) {
	prefix, err := netip.ParsePrefix(cidr)
	if err != nil {
		return nil, fmt.Errorf("invalid service CIDR %q: %w", cidr, err)
	}
	prefix = prefix.Masked()
	hostBits := prefix.Addr().BitLen() - prefix.Bits()
	size := maxIPRangeSize
	if hostBits < 21 {
		size = 1 << hostBits
	}
	// Drop the network address and, for IPv4, the broadcast address.
	size--
	if prefix.Addr().Is4() && hostBits < 21 {
		size--
	}
	if size < 1 {
		return nil, fmt.Errorf("service CIDR %s is too small", cidr)
	}
	return &IPRange{prefix: prefix, bitmap: NewBitmap(store, key, prefix.String(), size)}, nil
}

// CIDR is the range allocated from.
func (r *IPRange) CIDR() netip.Prefix { return r.prefix }

// Allocate takes ip, failing with ErrOutOfRange or ErrAllocated.
func (r *IPRange) Allocate(ctx context.Context, ip netip.Addr) error {
	offset, ok := r.offset(ip)
	if !ok {
		return ErrOutOfRange
	}
	return r.bitmap.Allocate(ctx, offset)
}

// AllocateNext takes a free IP.
func (r *IPRange) AllocateNext(ctx context.Context) (netip.Addr, error) {
	offset, err := r.bitmap.AllocateNext(ctx)
	if err != nil {
		return netip.Addr{}, err
	}
	return r.ip(offset), nil
}

// Release frees ip; an IP outside the range is ignored.
func (r *IPRange) Release(ctx context.Context, ip netip.Addr) error {
	offset, ok := r.offset(ip)
	if !ok {
		return nil
	}
	return r.bitmap.Release(ctx, offset)
}

// Has reports whether ip is allocated.
func (r *IPRange) Has(ctx context.Context, ip netip.Addr) (bool, error) {
	offset, ok := r.offset(ip)
	if !ok {
		return false, nil
	}
	return r.bitmap.Has(ctx, offset)
}

// Nth returns the n-th usable address of the range (1 is the first), as upstream's
// GetIndexedIP: the kubernetes Service gets the first one.
func (r *IPRange) Nth(n int) netip.Addr { return r.ip(n - 1) }

func (r *IPRange) offset(ip netip.Addr) (int, bool) {
	ip = ip.Unmap()
	if !r.prefix.Contains(ip) {
		return 0, false
	}
	base := new(big.Int).SetBytes(r.prefix.Addr().AsSlice())
	d := new(big.Int).Sub(new(big.Int).SetBytes(ip.AsSlice()), base)
	offset := int(d.Int64()) - 1
	if offset < 0 || offset >= r.bitmap.size || !d.IsInt64() {
		return 0, false
	}
	return offset, true
}

func (r *IPRange) ip(offset int) netip.Addr {
	base := new(big.Int).SetBytes(r.prefix.Addr().AsSlice())
	v := new(big.Int).Add(base, big.NewInt(int64(offset)+1)).Bytes()
	buf := make([]byte, len(r.prefix.Addr().AsSlice()))
	copy(buf[len(buf)-len(v):], v)
	addr, _ := netip.AddrFromSlice(buf)
	return addr
}

// PortRange allocates node ports.
type PortRange struct {
	pr     net.PortRange
	bitmap *Bitmap
}

// NewPortRange allocates from spec ("30000-32767"), persisting under key.
func NewPortRange(store storage.Interface, key, spec string) (*PortRange, error) {
	pr, err := net.ParsePortRange(spec)
	if err != nil {
		return nil, fmt.Errorf("invalid node port range %q: %w", spec, err)
	}
	return &PortRange{pr: *pr, bitmap: NewBitmap(store, key, pr.String(), pr.Size)}, nil
}

// Range is the port range allocated from.
func (r *PortRange) Range() net.PortRange { return r.pr }

// Allocate takes port.
func (r *PortRange) Allocate(ctx context.Context, port int) error {
	if !r.pr.Contains(port) {
		return ErrOutOfRange
	}
	return r.bitmap.Allocate(ctx, port-r.pr.Base)
}

// AllocateNext takes a free port.
func (r *PortRange) AllocateNext(ctx context.Context) (int, error) {
	offset, err := r.bitmap.AllocateNext(ctx)
	if err != nil {
		return 0, err
	}
	return r.pr.Base + offset, nil
}

// Release frees port; a port outside the range is ignored.
func (r *PortRange) Release(ctx context.Context, port int) error {
	if !r.pr.Contains(port) {
		return nil
	}
	return r.bitmap.Release(ctx, port-r.pr.Base)
}

// Has reports whether port is allocated.
func (r *PortRange) Has(ctx context.Context, port int) (bool, error) {
	if !r.pr.Contains(port) {
		return false, nil
	}
	return r.bitmap.Has(ctx, port-r.pr.Base)
}
