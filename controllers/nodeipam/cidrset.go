package nodeipam

// Ported from k8s.io/kubernetes/pkg/controller/nodeipam/ipam/cidrset/cidr_set.go
// (v1.37.2), without its Prometheus metrics.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"math/bits"
	"net"
	"sync"
)

// errCIDRRangeNoCIDRsRemaining is upstream's ErrCIDRRangeNoCIDRsRemaining.
var errCIDRRangeNoCIDRsRemaining = errors.New(
	"CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range")

// cidrSet hands out the node-sized subnets of one cluster CIDR, next-fit: the
// search starts after the last subnet handed out and wraps around, so a
// released subnet is reused only once the rest of the range has been used.
type cidrSet struct {
	mu              sync.Mutex
	clusterCIDR     *net.IPNet
	clusterMaskSize int
	nodeMask        net.IPMask
	nodeMaskSize    int
	maxCIDRs        int
	allocatedCIDRs  int
	nextCandidate   int
	used            big.Int // bit i set: subnet i is in use
}

// newCIDRSet returns the set of subNetMaskSize subnets of clusterCIDR. The
// caller (Config.Validate) guarantees clusterCIDR's prefix <= subNetMaskSize
// and, for IPv6, a difference of at most clusterSubnetMaxDiff.
func newCIDRSet(clusterCIDR *net.IPNet, subNetMaskSize int) (*cidrSet, error) {
	clusterMaskSize, nbits := clusterCIDR.Mask.Size()
	if clusterCIDR.IP.To4() == nil && subNetMaskSize-clusterMaskSize > clusterSubnetMaxDiff {
		return nil, errors.New("new CIDR set failed; the node CIDR size is too big")
	}
	return &cidrSet{
		clusterCIDR:     clusterCIDR,
		clusterMaskSize: clusterMaskSize,
		nodeMask:        net.CIDRMask(subNetMaskSize, nbits),
		nodeMaskSize:    subNetMaskSize,
		maxCIDRs:        1 << uint32(subNetMaskSize-clusterMaskSize),
	}, nil
}

func (s *cidrSet) indexToCIDRBlock(index int) *net.IPNet {
	var ip []byte
	if s.clusterCIDR.IP.To4() != nil {
		j := uint32(index) << uint32(32-s.nodeMaskSize)
		ipInt := binary.BigEndian.Uint32(s.clusterCIDR.IP.To4()) | j
		ip = make([]byte, net.IPv4len)
		binary.BigEndian.PutUint32(ip, ipInt)
	} else {
		// leftClusterIP      |     rightClusterIP
		// 2001:0DB8:1234:0000:0000:0000:0000:0000
		const v6NBits = 128
		const halfV6NBits = v6NBits / 2
		const halfIPv6Len = net.IPv6len / 2
		leftClusterIP := binary.BigEndian.Uint64(s.clusterCIDR.IP[:halfIPv6Len])
		rightClusterIP := binary.BigEndian.Uint64(s.clusterCIDR.IP[halfIPv6Len:])
		ip = make([]byte, net.IPv6len)
		if s.nodeMaskSize <= halfV6NBits {
			leftClusterIP |= uint64(index) << uint(halfV6NBits-s.nodeMaskSize)
		} else {
			if s.clusterMaskSize < halfV6NBits {
				btl := uint(s.nodeMaskSize - halfV6NBits)
				indexMaxBit := uint(64 - bits.LeadingZeros64(uint64(index)))
				if indexMaxBit > btl {
					leftClusterIP |= uint64(index) >> btl
				}
			}
			rightClusterIP |= uint64(index) << uint(v6NBits-s.nodeMaskSize)
		}
		binary.BigEndian.PutUint64(ip[:halfIPv6Len], leftClusterIP)
		binary.BigEndian.PutUint64(ip[halfIPv6Len:], rightClusterIP)
	}
	return &net.IPNet{IP: ip, Mask: s.nodeMask}
}

// allocateNext marks the next free subnet used and returns it.
func (s *cidrSet) allocateNext() (*net.IPNet, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.allocatedCIDRs == s.maxCIDRs {
		return nil, errCIDRRangeNoCIDRsRemaining
	}
	candidate := s.nextCandidate
	for range s.maxCIDRs {
		if s.used.Bit(candidate) == 0 {
			break
		}
		candidate = (candidate + 1) % s.maxCIDRs
	}
	s.nextCandidate = (candidate + 1) % s.maxCIDRs
	s.used.SetBit(&s.used, candidate, 1)
	s.allocatedCIDRs++
	return s.indexToCIDRBlock(candidate), nil
}

// indices returns the range of subnet indices cidr covers; cidr may be
// smaller or larger than a node subnet (a service CIDR is either).
func (s *cidrSet) indices(cidr *net.IPNet) (begin, end int, err error) {
	if cidr == nil {
		return -1, -1, fmt.Errorf("error getting indices for cluster cidr %v, cidr is nil", s.clusterCIDR)
	}
	if !s.clusterCIDR.Contains(cidr.IP.Mask(s.clusterCIDR.Mask)) && !cidr.Contains(s.clusterCIDR.IP.Mask(cidr.Mask)) {
		return -1, -1, fmt.Errorf("cidr %v is out the range of cluster cidr %v", cidr, s.clusterCIDR)
	}
	begin, end = 0, s.maxCIDRs-1
	maskSize, _ := cidr.Mask.Size()
	if s.clusterMaskSize < maskSize {
		begin, err = s.indexForIP(cidr.IP.Mask(s.nodeMask))
		if err != nil {
			return -1, -1, err
		}
		var last net.IP
		if ip4 := cidr.IP.To4(); ip4 != nil {
			last = make(net.IP, net.IPv4len)
			binary.BigEndian.PutUint32(last, binary.BigEndian.Uint32(ip4)|^binary.BigEndian.Uint32(cidr.Mask[len(cidr.Mask)-net.IPv4len:]))
		} else {
			last = make(net.IP, net.IPv6len)
			for i := range net.IPv6len {
				last[i] = cidr.IP[i] | ^cidr.Mask[i]
			}
		}
		end, err = s.indexForIP(last.Mask(s.nodeMask))
		if err != nil {
			return -1, -1, err
		}
	}
	return begin, end, nil
}

// release marks every subnet cidr covers free.
func (s *cidrSet) release(cidr *net.IPNet) error {
	begin, end, err := s.indices(cidr)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := begin; i <= end; i++ {
		if s.used.Bit(i) != 0 {
			s.used.SetBit(&s.used, i, 0)
			s.allocatedCIDRs--
		}
	}
	return nil
}

// occupy marks every subnet cidr covers used; occupying a used subnet is not
// an error.
func (s *cidrSet) occupy(cidr *net.IPNet) error {
	begin, end, err := s.indices(cidr)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := begin; i <= end; i++ {
		if s.used.Bit(i) == 0 {
			s.used.SetBit(&s.used, i, 1)
			s.allocatedCIDRs++
		}
	}
	return nil
}

// isUsed reports whether the subnet containing ip is in use (tests).
func (s *cidrSet) isUsed(cidr *net.IPNet) bool {
	i, err := s.indexForIP(cidr.IP.Mask(s.nodeMask))
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used.Bit(i) == 1
}

func (s *cidrSet) indexForIP(ip net.IP) (int, error) {
	if ip4 := ip.To4(); ip4 != nil && s.clusterCIDR.IP.To4() != nil {
		idx := (binary.BigEndian.Uint32(s.clusterCIDR.IP.To4()) ^ binary.BigEndian.Uint32(ip4)) >> uint32(32-s.nodeMaskSize)
		if idx >= uint32(s.maxCIDRs) {
			return 0, fmt.Errorf("CIDR: %v/%v is out of the range of CIDR allocator", ip, s.nodeMaskSize)
		}
		return int(idx), nil
	}
	if ip.To16() != nil && s.clusterCIDR.IP.To4() == nil {
		x := new(big.Int).SetBytes(s.clusterCIDR.IP.To16())
		x.Xor(x, new(big.Int).SetBytes(ip.To16()))
		x.Rsh(x, uint(net.IPv6len*8-s.nodeMaskSize))
		if !x.IsUint64() || x.Uint64() >= uint64(s.maxCIDRs) {
			return 0, fmt.Errorf("CIDR: %v/%v is out of the range of CIDR allocator", ip, s.nodeMaskSize)
		}
		return int(x.Uint64()), nil
	}
	return 0, fmt.Errorf("invalid IP: %v", ip)
}
