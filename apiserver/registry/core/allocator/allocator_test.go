package allocator

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/storage/storagebackend"

	"github.com/k1s-dev/k1s/apiserver/etcd"
	"github.com/k1s-dev/k1s/apiserver/scheme"
)

// newStore returns RangeAllocation storage on a real embedded etcd.
func newStore(t *testing.T) storage.Interface {
	t.Helper()
	e, err := etcd.Start(context.Background(), etcd.Config{DataDir: t.TempDir(), UnsafeNoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	cfg := storagebackend.NewDefaultConfig("/registry", scheme.Codecs.LegacyCodec(corev1.SchemeGroupVersion))
	cfg.Transport.ServerList = []string{e.Endpoint()}
	s, destroy, err := generic.NewRawStorage(cfg.ForResource(corev1.Resource("rangeallocations")),
		func() runtime.Object { return &corev1.RangeAllocation{} }, nil, "/ranges")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(destroy)
	return s
}

func TestIPRange(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	r, err := NewIPRange(store, "/ranges/serviceips", "10.0.0.0/29")
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Nth(1); got != netip.MustParseAddr("10.0.0.1") {
		t.Errorf("Nth(1) = %v, want 10.0.0.1", got)
	}
	// A /29 has 8 addresses; network and broadcast are never handed out.
	if err := r.Allocate(ctx, netip.MustParseAddr("10.0.0.1")); err != nil {
		t.Fatalf("allocating 10.0.0.1: %v", err)
	}
	if err := r.Allocate(ctx, netip.MustParseAddr("10.0.0.1")); !errors.Is(err, ErrAllocated) {
		t.Errorf("allocating 10.0.0.1 twice: got %v, want ErrAllocated", err)
	}
	for _, ip := range []string{"10.0.0.0", "10.0.0.7", "10.0.1.1"} {
		if err := r.Allocate(ctx, netip.MustParseAddr(ip)); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("allocating %s: got %v, want ErrOutOfRange", ip, err)
		}
	}
	seen := map[netip.Addr]bool{netip.MustParseAddr("10.0.0.1"): true}
	for range 5 {
		ip, err := r.AllocateNext(ctx)
		if err != nil {
			t.Fatalf("AllocateNext: %v", err)
		}
		if seen[ip] || !r.CIDR().Contains(ip) || ip == netip.MustParseAddr("10.0.0.7") {
			t.Fatalf("AllocateNext returned %v (already seen or not usable)", ip)
		}
		seen[ip] = true
	}
	if _, err := r.AllocateNext(ctx); !errors.Is(err, ErrFull) {
		t.Fatalf("AllocateNext on a full range: got %v, want ErrFull", err)
	}

	// A new allocator on the same storage (an apiserver restart) sees every allocation.
	again, err := NewIPRange(store, "/ranges/serviceips", "10.0.0.0/29")
	if err != nil {
		t.Fatal(err)
	}
	if has, err := again.Has(ctx, netip.MustParseAddr("10.0.0.1")); err != nil || !has {
		t.Fatalf("after restart Has(10.0.0.1) = %v, %v; want true", has, err)
	}
	if err := again.Release(ctx, netip.MustParseAddr("10.0.0.3")); err != nil {
		t.Fatal(err)
	}
	if ip, err := r.AllocateNext(ctx); err != nil || ip != netip.MustParseAddr("10.0.0.3") {
		t.Fatalf("after releasing 10.0.0.3, AllocateNext = %v, %v", ip, err)
	}
}

func TestPortRangeConcurrentAllocatorsNeverCollide(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	// Two allocators over one etcd key stand for two apiservers.
	a, err := NewPortRange(store, "/ranges/servicenodeports", "30000-30049")
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewPortRange(store, "/ranges/servicenodeports", "30000-30049")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	got := map[int]int{}
	var wg sync.WaitGroup
	for _, r := range []*PortRange{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				p, err := r.AllocateNext(ctx)
				if err != nil {
					t.Errorf("AllocateNext: %v", err)
					return
				}
				mu.Lock()
				got[p]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(got) != 50 {
		t.Fatalf("50 allocations gave %d distinct ports", len(got))
	}
	for p, n := range got {
		if n != 1 || p < 30000 || p > 30049 {
			t.Errorf("port %d handed out %d times", p, n)
		}
	}
	if err := a.Allocate(ctx, 29999); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("Allocate(29999) = %v, want ErrOutOfRange", err)
	}
	if err := a.Release(ctx, 30010); err != nil {
		t.Fatal(err)
	}
	if err := b.Allocate(ctx, 30010); err != nil {
		t.Errorf("allocating a released port: %v", err)
	}
}
