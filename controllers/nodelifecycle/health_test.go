package nodelifecycle

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr []string
	}{
		{name: "zero value means defaults", cfg: Config{}},
		{name: "defaults", cfg: DefaultConfig()},
		{
			name: "negative durations name their flags",
			cfg:  Config{NodeMonitorPeriod: -1, NodeMonitorGracePeriod: -1, NodeStartupGracePeriod: -1},
			wantErr: []string{
				"--node-monitor-period", "--node-monitor-grace-period", "--node-startup-grace-period",
			},
		},
		{
			name:    "negative rates",
			cfg:     Config{NodeEvictionRate: -0.1, SecondaryNodeEvictionRate: -1, LargeClusterSizeThreshold: -5},
			wantErr: []string{"--node-eviction-rate", "--secondary-node-eviction-rate", "--large-cluster-size-threshold"},
		},
		{
			name:    "threshold above one",
			cfg:     Config{UnhealthyZoneThreshold: 1.5},
			wantErr: []string{"--unhealthy-zone-threshold"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors naming %v", tc.wantErr)
			}
			for _, flag := range tc.wantErr {
				if !strings.Contains(err.Error(), flag) {
					t.Errorf("Validate() = %q, does not name %s", err, flag)
				}
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	got := Config{}.withDefaults()
	want := DefaultConfig()
	if got.NodeMonitorPeriod != 5*time.Second || got.NodeMonitorGracePeriod != 50*time.Second ||
		got.NodeStartupGracePeriod != 60*time.Second || got.NodeEvictionRate != 0.1 ||
		got.SecondaryNodeEvictionRate != 0.01 || got.LargeClusterSizeThreshold != 50 ||
		got.UnhealthyZoneThreshold != 0.55 || got.Clock == nil || got.DisableLeaseCircuitBreaker {
		t.Errorf("Config{}.withDefaults() = %+v, want upstream defaults %+v", got, want)
	}
	custom := Config{NodeMonitorGracePeriod: 2 * time.Second}.withDefaults()
	if custom.NodeMonitorGracePeriod != 2*time.Second || custom.NodeMonitorPeriod != DefaultNodeMonitorPeriod {
		t.Errorf("set fields must survive defaulting, got %+v", custom)
	}
}

func TestNewRequiresClientAndFactory(t *testing.T) {
	if _, err := New(Config{}, nil, nil, nil); err == nil || !strings.Contains(err.Error(), "--kubeconfig") {
		t.Errorf("New without client = %v, want an error naming --kubeconfig", err)
	}
	if _, err := New(Config{NodeEvictionRate: -1}, nil, nil, nil); err == nil || !strings.Contains(err.Error(), "--node-eviction-rate") {
		t.Errorf("New with invalid config = %v, want the validation error", err)
	}
}

// TestHeartbeatGracePeriod moves the fake clock one second at a time and runs a
// monitor pass each second, checking that Ready turns Unknown exactly when the
// last heartbeat is more than the grace period old, and not a second earlier.
func TestHeartbeatGracePeriod(t *testing.T) {
	tests := []struct {
		name        string
		cfg         Config
		lease       bool
		renewLease  bool // the kubelet renews its lease every 10 s
		postStatus  bool // the kubelet posts Ready every 10 s
		stopAt      time.Duration
		run         time.Duration
		wantUnknown time.Duration // 0: never
	}{
		{name: "lease stops renewing: Unknown after 50s, not before", lease: true, run: 60 * time.Second, wantUnknown: 51 * time.Second},
		{name: "lease renewed, status never posted again: stays Ready", lease: true, renewLease: true, run: 150 * time.Second},
		{name: "status posted, no lease at all: stays Ready", postStatus: true, run: 150 * time.Second},
		{
			name:  "lease renewed until 30s: Unknown 50s after the last renewal",
			lease: true, renewLease: true, stopAt: 30 * time.Second, run: 90 * time.Second, wantUnknown: 81 * time.Second,
		},
		{
			name:       "status posted until 20s, no lease",
			postStatus: true, stopAt: 20 * time.Second, run: 90 * time.Second, wantUnknown: 71 * time.Second,
		},
		{
			name:  "--node-monitor-grace-period=2s",
			cfg:   Config{NodeMonitorPeriod: time.Second, NodeMonitorGracePeriod: 2 * time.Second},
			lease: true, run: 5 * time.Second, wantUnknown: 3 * time.Second,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs := []runtime.Object{newNode("n1", withConditions(corev1.ConditionTrue, t0))}
			if tc.lease {
				objs = append(objs, newLease("n1", t0, ""))
			}
			h := newHarness(t, tc.cfg, objs...)
			h.monitor()
			for h.elapsed() < tc.run {
				h.step(time.Second)
				alive := tc.stopAt == 0 || h.elapsed() <= tc.stopAt
				if alive && h.elapsed()%(10*time.Second) == 0 {
					if tc.renewLease {
						h.renewLease("n1")
					}
					if tc.postStatus {
						h.postReady("n1", corev1.ConditionTrue)
					}
				}
				h.monitor()
				want := corev1.ConditionTrue
				if tc.wantUnknown != 0 && h.elapsed() >= tc.wantUnknown {
					want = corev1.ConditionUnknown
				}
				if got := h.readyStatus("n1"); got != want {
					t.Fatalf("at t0+%v: Ready = %s, want %s", h.elapsed(), got, want)
				}
			}
		})
	}
}

// TestUnknownConditions checks what a silent node's conditions become.
func TestUnknownConditions(t *testing.T) {
	h := newHarness(t, Config{}, newNode("n1", withConditions(corev1.ConditionTrue, t0)), newLease("n1", t0, ""))
	h.monitor()
	h.step(51 * time.Second)
	h.monitor()
	now := metav1.NewTime(h.clock.Now())
	node := h.node("n1")

	for _, ct := range []corev1.NodeConditionType{corev1.NodeReady, corev1.NodeMemoryPressure} {
		c := getNodeCondition(&node.Status, ct)
		if c.Status != corev1.ConditionUnknown || c.Reason != "NodeStatusUnknown" || c.Message != "Kubelet stopped posting node status." {
			t.Errorf("%s = %s/%s/%q, want Unknown/NodeStatusUnknown/%q", ct, c.Status, c.Reason, c.Message, "Kubelet stopped posting node status.")
		}
		if !c.LastTransitionTime.Equal(&now) {
			t.Errorf("%s lastTransitionTime = %v, want now (%v)", ct, c.LastTransitionTime, now)
		}
		if hb := metav1.NewTime(t0); !c.LastHeartbeatTime.Equal(&hb) {
			t.Errorf("%s lastHeartbeatTime = %v, want it left at %v", ct, c.LastHeartbeatTime, hb)
		}
	}
	for _, ct := range []corev1.NodeConditionType{corev1.NodeDiskPressure, corev1.NodePIDPressure} {
		c := getNodeCondition(&node.Status, ct)
		if c == nil || c.Status != corev1.ConditionUnknown || c.Reason != "NodeStatusNeverUpdated" || c.Message != "Kubelet never posted node status." {
			t.Errorf("%s = %+v, want Unknown/NodeStatusNeverUpdated", ct, c)
			continue
		}
		if created := node.CreationTimestamp; !c.LastHeartbeatTime.Equal(&created) {
			t.Errorf("%s lastHeartbeatTime = %v, want the creation time %v", ct, c.LastHeartbeatTime, created)
		}
	}
	if c := getNodeCondition(&node.Status, corev1.NodeNetworkUnavailable); c.Status != corev1.ConditionFalse {
		t.Errorf("NetworkUnavailable = %s, want it untouched (False)", c.Status)
	}
	if !h.rec.Has(EventNodeNotReady, "Node n1 status is now: NodeNotReady") {
		t.Errorf("no NodeNotReady event on the node; events:\n%s", h.rec.Dump())
	}
	if !h.rec.Has(EventRegisteredNode, "Node n1 event: Registered Node n1 in Controller") {
		t.Errorf("no RegisteredNode event; events:\n%s", h.rec.Dump())
	}

	// A node that posts again is Ready again, and the controller leaves it be.
	h.postReady("n1", corev1.ConditionTrue)
	h.monitor()
	if got := h.readyStatus("n1"); got != corev1.ConditionTrue {
		t.Errorf("after the kubelet posts Ready again: Ready = %s", got)
	}
}

// TestStartupGracePeriod covers nodes that never posted a Ready condition: the
// startup grace period applies, counted from the node's creation.
func TestStartupGracePeriod(t *testing.T) {
	tests := []struct {
		name        string
		cfg         Config
		created     time.Time
		run         time.Duration
		wantUnknown time.Duration
	}{
		{name: "default 60s from creation", created: t0, run: 65 * time.Second, wantUnknown: 61 * time.Second},
		{name: "--node-startup-grace-period=10s", cfg: Config{NodeStartupGracePeriod: 10 * time.Second}, created: t0, run: 15 * time.Second, wantUnknown: 11 * time.Second},
		{name: "created 100s before the controller started", created: t0.Add(-100 * time.Second), run: 3 * time.Second, wantUnknown: 0},
		{name: "created 30s before the controller started", created: t0.Add(-30 * time.Second), run: 35 * time.Second, wantUnknown: 31 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := newNode("n1")
			n.CreationTimestamp = metav1.NewTime(tc.created)
			h := newHarness(t, tc.cfg, n)
			for {
				h.monitor()
				conds := h.node("n1").Status.Conditions
				if h.elapsed() < tc.wantUnknown {
					if len(conds) != 0 {
						t.Fatalf("at t0+%v: conditions %v, want none yet", h.elapsed(), conds)
					}
				} else {
					if len(conds) != 4 {
						t.Fatalf("at t0+%v: %d conditions, want Ready, MemoryPressure, DiskPressure, PIDPressure", h.elapsed(), len(conds))
					}
					for _, c := range conds {
						if c.Status != corev1.ConditionUnknown || c.Reason != "NodeStatusNeverUpdated" {
							t.Errorf("condition %s = %s/%s, want Unknown/NodeStatusNeverUpdated", c.Type, c.Status, c.Reason)
						}
						if !c.LastHeartbeatTime.Equal(&n.CreationTimestamp) {
							t.Errorf("condition %s heartbeat %v, want creation time", c.Type, c.LastHeartbeatTime)
						}
					}
				}
				if h.elapsed() >= tc.run {
					break
				}
				h.step(time.Second)
			}
		})
	}
}

// TestLeaseCircuitBreaker: when the live Lease is newer than the cached one, the
// node is not declared unhealthy, and every node is skipped until the lease
// informer has caught up with the resourceVersion seen.
func TestLeaseCircuitBreaker(t *testing.T) {
	// The apiserver has n1's lease renewed at t0+50s (rv 7) while the informer
	// still has rv 5 from t0, as long as stale is set.
	type env struct {
		*harness
		syncedRV atomic.Value
		stale    atomic.Bool
	}
	setup := func(t *testing.T, cfg Config) *env {
		e := &env{harness: newHarness(t, cfg,
			newNode("n1", withConditions(corev1.ConditionTrue, t0)), newLease("n1", t0, "5"),
			newNode("n2", withConditions(corev1.ConditionTrue, t0)), newLease("n2", t0, "6"),
		)}
		e.syncedRV.Store("6")
		e.stale.Store(true)
		if e.c.leaseChecker != nil {
			e.c.leaseChecker.lastSyncedRV = func() string { return e.syncedRV.Load().(string) }
		}
		e.client.PrependReactor("get", "leases", func(a k8stesting.Action) (bool, runtime.Object, error) {
			if a.(k8stesting.GetAction).GetName() != "n1" || !e.stale.Load() {
				return false, nil, nil
			}
			return true, newLease("n1", t0.Add(50*time.Second), "7"), nil
		})
		e.monitor()
		return e
	}
	liveGets := func(h *harness, name string) int {
		n := 0
		for _, a := range h.client.Actions() {
			if a.Matches("get", "leases") && a.(k8stesting.GetAction).GetName() == name {
				n++
			}
		}
		return n
	}

	t.Run("stale cache: skip every node until the informer catches up", func(t *testing.T) {
		e := setup(t, Config{})
		e.step(51 * time.Second)
		e.renewLease("n2")
		e.monitor()
		if got := e.readyStatus("n1"); got != corev1.ConditionTrue {
			t.Fatalf("n1 Ready = %s after a live GET showed a newer lease, want True", got)
		}
		if liveGets(e.harness, "n1") != 1 {
			t.Fatalf("want exactly one live GET of n1's lease, got %d", liveGets(e.harness, "n1"))
		}

		// n2 goes silent too. While the informer is behind rv 7 no node is
		// processed at all, so neither is marked Unknown.
		e.step(60 * time.Second)
		e.monitor()
		for _, n := range []string{"n1", "n2"} {
			if got := e.readyStatus(n); got != corev1.ConditionTrue {
				t.Fatalf("%s Ready = %s while the lease cache is stale, want True (skipped)", n, got)
			}
		}

		// The informer catches up with n1's renewal: n1 is processed again and
		// the renewal counts (stamped with the controller's clock). Whether n2's
		// renewal at t0+51s was recorded depends on which node the first pass
		// processed first, so n2 is checked one grace period later.
		e.stale.Store(false)
		if _, err := e.client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Update(e.ctx, newLease("n1", t0.Add(50*time.Second), "7"), metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		e.syncedRV.Store("7")
		e.monitor()
		if got := e.readyStatus("n1"); got != corev1.ConditionTrue {
			t.Fatalf("n1 Ready = %s after the cache caught up, want True", got)
		}

		e.step(51 * time.Second)
		e.renewLease("n1")
		e.monitor()
		if got := e.readyStatus("n1"); got != corev1.ConditionTrue {
			t.Errorf("n1 Ready = %s, want True: its lease is renewed", got)
		}
		if got := e.readyStatus("n2"); got != corev1.ConditionUnknown {
			t.Errorf("n2 Ready = %s, want Unknown: its live lease agrees it is expired", got)
		}
	})

	t.Run("--feature-gates=NodeControllerLeaseCircuitBreaker=false", func(t *testing.T) {
		e := setup(t, Config{DisableLeaseCircuitBreaker: true})
		e.step(51 * time.Second)
		e.renewLease("n2")
		e.monitor()
		if got := e.readyStatus("n1"); got != corev1.ConditionUnknown {
			t.Errorf("n1 Ready = %s, want Unknown from the cached lease alone", got)
		}
		if n := liveGets(e.harness, "n1"); n != 0 {
			t.Errorf("%d live GETs of n1's lease with the circuit breaker disabled, want 0", n)
		}
	})

	t.Run("lease gone from the apiserver: proceed as unhealthy", func(t *testing.T) {
		h := newHarness(t, Config{}, newNode("n1", withConditions(corev1.ConditionTrue, t0)), newLease("n1", t0, "5"))
		h.monitor()
		h.client.PrependReactor("get", "leases", func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, newNotFound("n1")
		})
		h.step(51 * time.Second)
		h.monitor()
		if got := h.readyStatus("n1"); got != corev1.ConditionUnknown {
			t.Errorf("n1 Ready = %s, want Unknown", got)
		}
	})

	t.Run("live GET fails: skip the node", func(t *testing.T) {
		h := newHarness(t, Config{}, newNode("n1", withConditions(corev1.ConditionTrue, t0)), newLease("n1", t0, "5"))
		h.monitor()
		h.client.PrependReactor("get", "leases", func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, errors.New("connection refused")
		})
		h.step(51 * time.Second)
		h.monitor()
		if got := h.readyStatus("n1"); got != corev1.ConditionTrue {
			t.Errorf("n1 Ready = %s, want True (skipped)", got)
		}
	})
}

func TestLeaseConsistency(t *testing.T) {
	tests := []struct {
		name      string
		wrote     []string
		synced    string
		wantReady bool
	}{
		{name: "nothing recorded", synced: "1", wantReady: true},
		{name: "informer behind", wrote: []string{"10"}, synced: "9", wantReady: false},
		{name: "informer caught up", wrote: []string{"10"}, synced: "10", wantReady: true},
		{name: "informer ahead", wrote: []string{"10"}, synced: "11", wantReady: true},
		{name: "numeric, not lexical", wrote: []string{"9"}, synced: "10", wantReady: true},
		{name: "newest recorded wins", wrote: []string{"12", "10"}, synced: "11", wantReady: false},
		{name: "informer without RV tracking", wrote: []string{"10"}, synced: "", wantReady: true},
		{name: "not comparable", wrote: []string{"abc"}, synced: "5", wantReady: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLeaseConsistency(func() string { return tc.synced })
			for _, rv := range tc.wrote {
				l.wroteAt(rv)
			}
			if err := l.ensureReady(); (err == nil) != tc.wantReady {
				t.Errorf("ensureReady() = %v, want ready=%v", err, tc.wantReady)
			}
		})
	}
}
