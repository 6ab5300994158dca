package kubeletlite

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestLeaseCreatedWithOwnerAndRenewed(t *testing.T) {
	tests := []struct {
		name          string
		leaseDuration int32
		wantInterval  time.Duration
	}{
		{name: "default", wantInterval: 10 * time.Second},
		{name: "custom duration", leaseDuration: 20, wantInterval: 5 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(c *Config) { c.NodeLeaseDurationSeconds = tc.leaseDuration })
			h.start()
			node := h.node()
			lease := h.lease()
			wantDuration := tc.leaseDuration
			if wantDuration == 0 {
				wantDuration = 40
			}
			if *lease.Spec.HolderIdentity != testNode || *lease.Spec.LeaseDurationSeconds != wantDuration {
				t.Errorf("lease spec = %+v", lease.Spec)
			}
			if lease.Spec.AcquireTime != nil || lease.Spec.LeaseTransitions != nil {
				t.Errorf("acquireTime/leaseTransitions must not be set: %+v", lease.Spec)
			}
			want := []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: testNode, UID: node.UID}}
			if diff := cmp.Diff(want, lease.OwnerReferences); diff != "" {
				t.Errorf("owner references (-want +got):\n%s", diff)
			}
			if !lease.Spec.RenewTime.Time.Equal(testStart) {
				t.Errorf("renewTime = %v, want %v", lease.Spec.RenewTime, testStart)
			}

			// With the test's fixed jitter the renewal is due at 1.02 x the
			// interval: not before, and once at it.
			updates := h.count("update", "leases", "")
			h.step(tc.wantInterval)
			if got := h.count("update", "leases", ""); got != updates {
				t.Fatalf("renewed before the jittered interval")
			}
			h.step(tc.wantInterval / 50)
			if got := h.count("update", "leases", ""); got != updates+1 {
				t.Fatalf("updates = %d, want %d", got, updates+1)
			}
			if got := h.lease().Spec.RenewTime.Time; !got.Equal(h.clock.Now()) {
				t.Errorf("renewTime = %v, want %v", got, h.clock.Now())
			}
			// Renewals reuse the last written lease: no GET per renewal.
			gets := h.count("get", "leases", "")
			h.advance(5*tc.wantInterval, tc.wantInterval/2)
			if got := h.count("get", "leases", ""); got != gets {
				t.Errorf("renewals issued %d GETs", got-gets)
			}
			if got := h.count("update", "leases", ""); got < updates+4 {
				t.Errorf("updates after 5 intervals = %d, want >= %d", got, updates+4)
			}
		})
	}
}

func TestLeaseRecreatedAfterDeletion(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	if err := h.client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Delete(context.Background(), testNode, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	h.step(11 * time.Second)
	l := h.lease()
	if !l.Spec.RenewTime.Time.Equal(h.clock.Now()) || len(l.OwnerReferences) != 1 {
		t.Errorf("lease not recreated: %+v", l)
	}
	if got := h.count("create", "leases", ""); got != 2 {
		t.Errorf("lease creates = %d, want 2", got)
	}
}

func TestJitterSpreadsNodes(t *testing.T) {
	// Real (seeded) randomness: different nodes draw different renewals,
	// always within [interval, 1.04 x interval).
	seen := map[time.Duration]bool{}
	for _, name := range []string{"n1", "n2", "n3", "n4"} {
		k, err := New(NewConfig(name, newHarness(t, nil).client))
		if err != nil {
			t.Fatal(err)
		}
		d := k.jitter(10 * time.Second)
		if d < 10*time.Second || d >= 10400*time.Millisecond {
			t.Errorf("jitter(10s) = %v", d)
		}
		seen[d] = true
	}
	if len(seen) < 2 {
		t.Errorf("all nodes drew the same jitter")
	}
}
