package nodelifecycle

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/klog/v2/ktesting"
	testingclock "k8s.io/utils/clock/testing"
)

// zoneSpec is how many nodes of a zone report Ready=True and Ready=False (with
// fresh heartbeats), and how many not-Ready ones carry the exclude-disruption
// label.
type zoneSpec struct {
	ready, notReady, excludedNotReady int
}

func zoneNodes(zone string, z zoneSpec) []runtime.Object {
	var objs []runtime.Object
	add := func(prefix string, n int, status corev1.ConditionStatus, opts ...nodeOpt) {
		for _, name := range nodeNames(zone+"-"+prefix, n) {
			objs = append(objs, newNode(name, append(opts, withZone("r", zone), withConditions(status, t0))...))
		}
	}
	add("ready", z.ready, corev1.ConditionTrue)
	add("notready", z.notReady, corev1.ConditionFalse)
	add("excluded", z.excludedNotReady, corev1.ConditionFalse, withLabel(LabelNodeExcludeDisruption, ""))
	return objs
}

func TestZoneStatesAndRates(t *testing.T) {
	tests := []struct {
		name       string
		zones      map[string]zoneSpec
		wantStates map[string]ZoneState
		wantQPS    map[string]float32
	}{
		{
			name:       "healthy zone: Normal at --node-eviction-rate",
			zones:      map[string]zoneSpec{"a": {ready: 10}},
			wantStates: map[string]ZoneState{"a": StateNormal},
			wantQPS:    map[string]float32{"a": 0.1},
		},
		{
			name:       "60 nodes, 40 not ready: PartialDisruption at --secondary-node-eviction-rate",
			zones:      map[string]zoneSpec{"a": {ready: 20, notReady: 40}, "b": {ready: 3}},
			wantStates: map[string]ZoneState{"a": StatePartialDisruption, "b": StateNormal},
			wantQPS:    map[string]float32{"a": 0.01, "b": 0.1},
		},
		{
			name:       "10 nodes, 6 not ready: PartialDisruption, small zone stops tainting",
			zones:      map[string]zoneSpec{"a": {ready: 4, notReady: 6}, "b": {ready: 3}},
			wantStates: map[string]ZoneState{"a": StatePartialDisruption, "b": StateNormal},
			wantQPS:    map[string]float32{"a": 0, "b": 0.1},
		},
		{
			name:       "exactly 50 nodes is not large",
			zones:      map[string]zoneSpec{"a": {ready: 20, notReady: 30}},
			wantStates: map[string]ZoneState{"a": StatePartialDisruption},
			wantQPS:    map[string]float32{"a": 0},
		},
		{
			name:       "2 of 3 not ready: more than 2 are needed",
			zones:      map[string]zoneSpec{"a": {ready: 1, notReady: 2}},
			wantStates: map[string]ZoneState{"a": StateNormal},
			wantQPS:    map[string]float32{"a": 0.1},
		},
		{
			name:       "3 of 6 not ready: 0.5 is under 0.55",
			zones:      map[string]zoneSpec{"a": {ready: 3, notReady: 3}},
			wantStates: map[string]ZoneState{"a": StateNormal},
			wantQPS:    map[string]float32{"a": 0.1},
		},
		{
			name:       "3 of 5 not ready: 0.6",
			zones:      map[string]zoneSpec{"a": {ready: 2, notReady: 3}},
			wantStates: map[string]ZoneState{"a": StatePartialDisruption},
			wantQPS:    map[string]float32{"a": 0},
		},
		{
			name:       "excluded nodes do not count",
			zones:      map[string]zoneSpec{"a": {ready: 1, notReady: 1, excludedNotReady: 5}},
			wantStates: map[string]ZoneState{"a": StateNormal},
			wantQPS:    map[string]float32{"a": 0.1},
		},
		{
			name:       "one zone down while another is up: FullDisruption at --node-eviction-rate",
			zones:      map[string]zoneSpec{"a": {notReady: 3}, "b": {ready: 2}},
			wantStates: map[string]ZoneState{"a": StateFullDisruption, "b": StateNormal},
			wantQPS:    map[string]float32{"a": 0.1, "b": 0.1},
		},
		{
			name:       "every zone down: FullDisruption everywhere, tainting stopped",
			zones:      map[string]zoneSpec{"a": {notReady: 2}, "b": {notReady: 1}},
			wantStates: map[string]ZoneState{"a": StateFullDisruption, "b": StateFullDisruption},
			wantQPS:    map[string]float32{"a": 0, "b": 0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var objs []runtime.Object
			for zone, spec := range tc.zones {
				objs = append(objs, zoneNodes(zone, spec)...)
			}
			h := newHarness(t, Config{}, objs...)
			h.monitor()
			states := h.c.ZoneStates()
			for zone, want := range tc.wantStates {
				if got := states[zoneKey("r", zone)]; got != want {
					t.Errorf("zone %s state = %q, want %q", zone, got, want)
				}
				if got := h.zoneQPS(zoneKey("r", zone)); got != tc.wantQPS[zone] {
					t.Errorf("zone %s rate = %v/s, want %v/s", zone, got, tc.wantQPS[zone])
				}
			}
			if len(states) != len(tc.wantStates) {
				t.Errorf("zone states %v, want %d zones", states, len(tc.wantStates))
			}
		})
	}
}

func TestComputeZoneState(t *testing.T) {
	c := &Controller{cfg: Config{}.withDefaults()}
	ready := &corev1.NodeCondition{Status: corev1.ConditionTrue}
	notReady := &corev1.NodeCondition{Status: corev1.ConditionFalse}
	unknown := &corev1.NodeCondition{Status: corev1.ConditionUnknown}
	tests := []struct {
		name          string
		conds         []*corev1.NodeCondition
		wantNotReady  int
		wantZoneState ZoneState
	}{
		{"all ready", []*corev1.NodeCondition{ready, ready}, 0, StateNormal},
		{"none ready", []*corev1.NodeCondition{notReady, unknown}, 2, StateFullDisruption},
		{"nil counts as not ready", []*corev1.NodeCondition{nil, nil, nil, ready}, 3, StatePartialDisruption},
		{"no nodes", nil, 0, StateNormal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, s := c.computeZoneState(tc.conds)
			if n != tc.wantNotReady || s != tc.wantZoneState {
				t.Errorf("computeZoneState = %d, %s; want %d, %s", n, s, tc.wantNotReady, tc.wantZoneState)
			}
		})
	}
}

// TestTaintingRate counts, second by second of fake time, how many not-ready
// nodes have their NoExecute taint.
func TestTaintingRate(t *testing.T) {
	tests := []struct {
		name      string
		cfg       Config
		zone      zoneSpec
		run       time.Duration
		wantTimes []time.Duration // when the 1st, 2nd, ... node got tainted
	}{
		{
			name:      "0.1/s: three nodes take 20s",
			zone:      zoneSpec{ready: 7, notReady: 3},
			run:       30 * time.Second,
			wantTimes: []time.Duration{0, 10 * time.Second, 20 * time.Second},
		},
		{
			name:      "--node-eviction-rate=1",
			cfg:       Config{NodeEvictionRate: 1},
			zone:      zoneSpec{ready: 7, notReady: 3},
			run:       5 * time.Second,
			wantTimes: []time.Duration{0, time.Second, 2 * time.Second},
		},
		{
			// float32(0.01) is a hair under 0.01, as upstream's flag is, so
			// the bucket refills just after 100s.
			name:      "large partially disrupted zone: 0.01/s",
			zone:      zoneSpec{ready: 20, notReady: 40},
			run:       150 * time.Second,
			wantTimes: []time.Duration{0, 101 * time.Second},
		},
		{
			name: "small partially disrupted zone: nothing",
			zone: zoneSpec{ready: 4, notReady: 6},
			run:  60 * time.Second,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.cfg, zoneNodes("a", tc.zone)...)
			h.monitor()
			var times []time.Duration
			tainted := 0
			for {
				h.taintPass()
				n := h.countTainted(notReadyNoExecute)
				for ; tainted < n; tainted++ {
					times = append(times, h.elapsed())
				}
				if h.elapsed() >= tc.run {
					break
				}
				h.step(time.Second)
			}
			if !slices.Equal(times, tc.wantTimes) {
				t.Errorf("nodes tainted at %v, want %v", times, tc.wantTimes)
			}
		})
	}
}

func (h *harness) countTainted(taint string) int {
	n := 0
	nodes, _ := h.c.nodeLister.List(everything())
	for _, node := range nodes {
		if slices.Contains(h.taints(node.Name, corev1.TaintEffectNoExecute), taint) {
			n++
		}
	}
	return n
}

// TestMasterDisruption: when every zone is fully disrupted the controller
// removes the NoExecute taints it added and adds none; when a node is Ready
// again it resumes at the zone's rate.
func TestMasterDisruption(t *testing.T) {
	h := newHarness(t, Config{},
		newNode("a1", withZone("r", "a"), withConditions(corev1.ConditionTrue, t0)),
		newNode("a2", withZone("r", "a"), withConditions(corev1.ConditionFalse, t0)),
		newNode("b1", withZone("r", "b"), withConditions(corev1.ConditionTrue, t0)),
		newNode("b2", withZone("r", "b"), withConditions(corev1.ConditionFalse, t0)),
	)
	h.monitor()
	h.taintPass()
	for _, n := range []string{"a2", "b2"} {
		if got := h.taints(n, corev1.TaintEffectNoExecute); !slices.Equal(got, []string{notReadyNoExecute}) {
			t.Fatalf("%s NoExecute taints %v, want [%s]", n, got, notReadyNoExecute)
		}
	}

	// Every node now reports not Ready.
	h.step(time.Second)
	h.postReady("a1", corev1.ConditionFalse)
	h.postReady("b1", corev1.ConditionFalse)
	h.monitor()
	for _, z := range []string{"a", "b"} {
		if got := h.c.ZoneStates()[zoneKey("r", z)]; got != StateFullDisruption {
			t.Errorf("zone %s = %s, want FullDisruption", z, got)
		}
		if got := h.zoneQPS(zoneKey("r", z)); got != 0 {
			t.Errorf("zone %s rate = %v, want 0", z, got)
		}
	}
	for range 30 {
		h.step(time.Second)
		h.taintPass()
	}
	for _, n := range []string{"a1", "a2", "b1", "b2"} {
		if got := h.taints(n, corev1.TaintEffectNoExecute); len(got) != 0 {
			t.Errorf("%s NoExecute taints %v in master disruption mode, want none", n, got)
		}
		// NoSchedule condition taints still follow the conditions.
		if err := h.c.doNoScheduleTaintingPass(h.ctx, n); err != nil {
			t.Fatal(err)
		}
		if got := h.taints(n, corev1.TaintEffectNoSchedule); !slices.Equal(got, []string{"node.kubernetes.io/not-ready:NoSchedule"}) {
			t.Errorf("%s NoSchedule taints %v, want not-ready", n, got)
		}
	}

	// One node comes back: zone a is Normal, zone b is fully disrupted while
	// another zone is not, so both taint at the normal rate again. The new
	// limiters start without a token (the stopped ones had none), so the
	// first taints come one period later.
	h.postReady("a1", corev1.ConditionTrue)
	h.monitor()
	if got := h.c.ZoneStates(); got[zoneKey("r", "a")] != StateNormal || got[zoneKey("r", "b")] != StateFullDisruption {
		t.Errorf("zone states %v, want a Normal, b FullDisruption", got)
	}
	for _, z := range []string{"a", "b"} {
		if got := h.zoneQPS(zoneKey("r", z)); got != 0.1 {
			t.Errorf("zone %s rate = %v, want 0.1", z, got)
		}
	}
	h.taintPass()
	if got := h.countTainted(notReadyNoExecute); got != 0 {
		t.Errorf("%d nodes tainted right after leaving master disruption, want 0", got)
	}
	h.step(10 * time.Second)
	h.taintPass()
	if got := h.countTainted(notReadyNoExecute); got != 2 {
		t.Errorf("%d nodes tainted 10s after leaving master disruption, want 2 (one per zone)", got)
	}
}

func TestRateLimitedTimedQueue(t *testing.T) {
	logger, _ := ktesting.NewTestContext(t)
	clk := testingclock.NewFakeClock(t0)
	q := newRateLimitedTimedQueue(clk, 1)
	if !q.Add("a", "uid-a") || q.Add("a", "uid-a") {
		t.Fatal("Add must accept a value once")
	}
	q.Add("b", "uid-b")
	var got []string
	process := func() {
		q.Try(logger, func(v timedValue) (bool, time.Duration) {
			got = append(got, v.Value)
			return true, 0
		})
	}
	process()
	if !slices.Equal(got, []string{"a"}) {
		t.Fatalf("first Try processed %v, want [a] (burst 1)", got)
	}
	clk.Step(time.Second)
	process()
	if !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("second Try processed %v, want [a b]", got)
	}
	if q.Add("a", "uid-a") {
		t.Error("a processed value must not be queued again until removed")
	}
	q.Remove("a")
	if !q.Add("a", "uid-a") {
		t.Error("a removed value may be queued again")
	}

	// A failed action is retried after its wait.
	q2 := newRateLimitedTimedQueue(clk, 100)
	q2.Add("x", nil)
	tries := 0
	for range 3 {
		q2.Try(logger, func(timedValue) (bool, time.Duration) {
			tries++
			return tries > 1, 50 * time.Millisecond
		})
		clk.Step(10 * time.Millisecond)
	}
	if tries != 1 {
		t.Errorf("retried before its wait: %d tries", tries)
	}
	clk.Step(100 * time.Millisecond)
	q2.Try(logger, func(timedValue) (bool, time.Duration) { tries++; return true, 0 })
	if tries != 2 {
		t.Errorf("not retried after its wait: %d tries", tries)
	}
}

func TestSwapLimiter(t *testing.T) {
	clk := testingclock.NewFakeClock(t0)
	tests := []struct {
		name       string
		from, to   float32
		drainFirst bool
		wantAccept bool
	}{
		{name: "to zero never accepts", from: 0.1, to: 0, wantAccept: false},
		{name: "from zero back to 1/s starts drained", from: 0, to: 1, wantAccept: false},
		{name: "old limiter exhausted: new one starts drained", from: 0.1, to: 0.01, drainFirst: true, wantAccept: false},
		{name: "old limiter had a token: new one starts full", from: 0.1, to: 0.01, wantAccept: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := newRateLimitedTimedQueue(clk, tc.from)
			if tc.drainFirst {
				q.limiter.TryAccept()
			}
			q.SwapLimiter(tc.to)
			if q.QPS() != tc.to {
				t.Errorf("QPS = %v, want %v", q.QPS(), tc.to)
			}
			if got := q.limiter.TryAccept(); got != tc.wantAccept {
				t.Errorf("TryAccept after swap = %v, want %v", got, tc.wantAccept)
			}
		})
	}
}
