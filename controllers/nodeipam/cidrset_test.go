package nodeipam

import (
	"errors"
	"net"
	"testing"
)

func mustCIDR(t *testing.T, s string) *net.IPNet {
	t.Helper()
	c, err := parseCIDR(s)
	if err != nil {
		t.Fatalf("parse %s: %v", s, err)
	}
	return c
}

func newSet(t *testing.T, cluster string, mask int) *cidrSet {
	t.Helper()
	s, err := newCIDRSet(mustCIDR(t, cluster), mask)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func allocN(t *testing.T, s *cidrSet, n int) []string {
	t.Helper()
	var out []string
	for range n {
		c, err := s.allocateNext()
		if err != nil {
			t.Fatalf("allocateNext after %v: %v", out, err)
		}
		out = append(out, c.String())
	}
	return out
}

func TestCIDRSetAllocateNext(t *testing.T) {
	for _, tc := range []struct {
		cluster string
		mask    int
		want    []string
	}{
		{"10.244.0.0/16", 24, []string{"10.244.0.0/24", "10.244.1.0/24", "10.244.2.0/24"}},
		{"10.0.0.0/30", 31, []string{"10.0.0.0/31", "10.0.0.2/31"}},
		{"10.0.0.0/24", 24, []string{"10.0.0.0/24"}},
		{"fd00:10:244::/56", 64, []string{"fd00:10:244::/64", "fd00:10:244:1::/64", "fd00:10:244:2::/64"}},
		{"fd00::/120", 127, []string{"fd00::/127", "fd00::2/127"}},
		{"fd00::/56", 72, []string{"fd00::/72", "fd00::100:0:0:0/72"}},
	} {
		t.Run(tc.cluster, func(t *testing.T) {
			s := newSet(t, tc.cluster, tc.mask)
			got := allocN(t, s, len(tc.want))
			for i := range tc.want {
				if got[i] != tc.want[i] {
					t.Errorf("allocation %d = %s, want %s", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestCIDRSetNextFitAndExhaustion(t *testing.T) {
	s := newSet(t, "10.0.0.0/30", 31)
	got := allocN(t, s, 2)
	if _, err := s.allocateNext(); !errors.Is(err, errCIDRRangeNoCIDRsRemaining) {
		t.Fatalf("allocateNext on a full set = %v, want errCIDRRangeNoCIDRsRemaining", err)
	}
	if err := s.release(mustCIDR(t, got[0])); err != nil {
		t.Fatal(err)
	}
	if again := allocN(t, s, 1); again[0] != got[0] {
		t.Errorf("after release got %s, want the released %s", again[0], got[0])
	}

	// Next-fit: a released subnet is reused only after wrap-around.
	s = newSet(t, "10.0.0.0/22", 24)
	allocN(t, s, 2) // .0, .1
	if err := s.release(mustCIDR(t, "10.0.0.0/24")); err != nil {
		t.Fatal(err)
	}
	if got := allocN(t, s, 3); got[0] != "10.0.2.0/24" || got[1] != "10.0.3.0/24" || got[2] != "10.0.0.0/24" {
		t.Errorf("next-fit order = %v, want [10.0.2.0/24 10.0.3.0/24 10.0.0.0/24]", got)
	}
}

func TestCIDRSetOccupy(t *testing.T) {
	s := newSet(t, "10.0.0.0/16", 24)
	// A range larger than a node subnet (a service CIDR) covers several.
	if err := s.occupy(mustCIDR(t, "10.0.0.0/23")); err != nil {
		t.Fatal(err)
	}
	// One smaller than a node subnet takes the whole subnet.
	if err := s.occupy(mustCIDR(t, "10.0.2.128/25")); err != nil {
		t.Fatal(err)
	}
	// Occupying twice counts once.
	if err := s.occupy(mustCIDR(t, "10.0.2.0/24")); err != nil {
		t.Fatal(err)
	}
	if s.allocatedCIDRs != 3 {
		t.Errorf("allocatedCIDRs = %d, want 3", s.allocatedCIDRs)
	}
	if got := allocN(t, s, 1); got[0] != "10.0.3.0/24" {
		t.Errorf("first free = %s, want 10.0.3.0/24", got[0])
	}
	// A range containing the whole cluster CIDR fills it.
	if err := s.occupy(mustCIDR(t, "10.0.0.0/8")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.allocateNext(); err == nil {
		t.Error("allocateNext after occupying a supernet must fail")
	}
	for _, out := range []string{"192.168.0.0/24", "fd00::/64"} {
		if err := s.occupy(mustCIDR(t, out)); err == nil {
			t.Errorf("occupy(%s) outside 10.0.0.0/16 must fail", out)
		}
		if err := s.release(mustCIDR(t, out)); err == nil {
			t.Errorf("release(%s) outside 10.0.0.0/16 must fail", out)
		}
	}

	v6 := newSet(t, "fd00:10:244::/56", 64)
	if err := v6.occupy(mustCIDR(t, "fd00:10:244:5::/64")); err != nil {
		t.Fatal(err)
	}
	if !v6.isUsed(mustCIDR(t, "fd00:10:244:5::/64")) || v6.isUsed(mustCIDR(t, "fd00:10:244:4::/64")) {
		t.Error("IPv6 occupy marked the wrong subnet")
	}
	if err := v6.release(mustCIDR(t, "fd00:10:244:5::/64")); err != nil || v6.allocatedCIDRs != 0 {
		t.Errorf("IPv6 release: %v, allocated %d", err, v6.allocatedCIDRs)
	}
}
