package kubeletlite

import (
	"context"
	"errors"
	"fmt"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/klog/v2/ktesting"
	testingclock "k8s.io/utils/clock/testing"
)

func TestRunOnlyOnce(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	if err := h.k.Run(h.ctx); err == nil {
		t.Errorf("second Run succeeded")
	}
	h.stop()
	select {
	case <-h.k.Done():
	default:
		t.Errorf("Done not closed after Run returned")
	}
}

func TestRegistrationRetriesWithBackoff(t *testing.T) {
	h := newHarness(t, nil)
	failures := 3
	h.client.PrependReactor("create", "nodes", func(clienttesting.Action) (bool, runtime.Object, error) {
		if failures > 0 {
			failures--
			return true, nil, apierrors.NewServiceUnavailable("etcd is busy")
		}
		return false, nil, nil
	})
	h.start()
	select {
	case <-h.k.Registered():
		t.Fatal("registered although create failed")
	default:
	}
	// Retries after 100 ms, 200 ms, 400 ms.
	h.step(100 * time.Millisecond)
	h.step(200 * time.Millisecond)
	if got := h.count("create", "nodes", ""); got != 3 {
		t.Fatalf("create attempts = %d, want 3", got)
	}
	h.step(400 * time.Millisecond)
	if err := h.k.WaitRegistered(h.ctx); err != nil {
		t.Fatal(err)
	}
}

func TestWaitRegisteredFailsWhenRunStops(t *testing.T) {
	h := newHarness(t, nil)
	h.client.PrependReactor("create", "nodes", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, testNode, errors.New("no"))
	})
	h.start()
	h.stop()
	err := h.k.WaitRegistered(context.Background())
	if err == nil || !strings.Contains(err.Error(), "stopped before its node registered") {
		t.Errorf("WaitRegistered = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	k, _ := New(NewConfig("other", h.client))
	if err := k.WaitRegistered(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitRegistered(cancelled) = %v", err)
	}
}

// TestManyKubeletsStopCleanly runs many kubelets in one process on one fake
// clock and checks that they register and that stopping them leaves no
// goroutines behind.
func TestManyKubeletsStopCleanly(t *testing.T) {
	const n = 50
	before := goruntime.NumGoroutine()
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	client := fake.NewClientset()
	clk := testingclock.NewFakeClock(testStart)
	done := make(chan error, n)
	kubelets := make([]*Kubelet, n)
	for i := range kubelets {
		cfg := NewConfig(fmt.Sprintf("node-%03d", i), client)
		cfg.Clock = clk
		k, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		kubelets[i] = k
		go func() { done <- k.Run(ctx) }()
	}
	for _, k := range kubelets {
		wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
		err := k.WaitRegistered(wctx)
		wcancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	// Each lease follows its node's registration in the same loop pass.
	leaseDeadline := time.Now().Add(20 * time.Second)
	for {
		leases, err := client.CoordinationV1().Leases(corev1.NamespaceNodeLease).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(leases.Items) == n {
			break
		}
		if time.Now().After(leaseDeadline) {
			t.Fatalf("leases = %d, want %d", len(leases.Items), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	for range kubelets {
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for goruntime.NumGoroutine() > before+5 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines: %d before, %d after stop\n%s", before, goruntime.NumGoroutine(), buf[:goruntime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}
