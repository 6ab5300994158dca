package loopback

import (
	"net/netip"
	"testing"
)

func TestAllocate(t *testing.T) {
	a := &Allocator{next: netip.MustParseAddr("127.0.1.253")}
	var got []string
	for range 3 {
		addr, err := a.Allocate()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, addr.String())
	}
	want := []string{"127.0.1.253", "127.0.1.254", "127.0.2.1"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("allocated %v, want %v", got, want)
		}
	}
	a.Release(netip.MustParseAddr("127.0.1.254"))
	if addr, _ := a.Allocate(); addr.String() != "127.0.1.254" {
		t.Errorf("after release got %v, want the released 127.0.1.254", addr)
	}
	full := &Allocator{next: netip.MustParseAddr("128.0.0.1")}
	if _, err := full.Allocate(); err == nil {
		t.Error("allocating past 127.255.255.254 succeeded")
	}
}
