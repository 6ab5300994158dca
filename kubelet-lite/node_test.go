package kubeletlite

import (
	"context"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/record"
)

func TestRegistrationFields(t *testing.T) {
	userTaint := corev1.Taint{Key: "example.com/dedicated", Value: "gpu", Effect: corev1.TaintEffectNoSchedule}
	uninitialized := corev1.Taint{Key: "node.cloudprovider.kubernetes.io/uninitialized", Value: "true", Effect: corev1.TaintEffectNoSchedule}
	tests := []struct {
		name            string
		mutate          func(*Config)
		wantLabels      map[string]string // in addition to the defaults
		wantTaints      []corev1.Taint
		wantAddresses   []corev1.NodeAddress
		wantAnnotations map[string]string // in addition to attach-detach
		wantCapacity    map[corev1.ResourceName]string
		wantAllocatable map[corev1.ResourceName]string
	}{
		{
			name:          "defaults",
			wantAddresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.1.7"}, {Type: corev1.NodeHostName, Address: testNode}},
			wantCapacity:  map[corev1.ResourceName]string{"cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"},
			wantAllocatable: map[corev1.ResourceName]string{
				"cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi",
			},
		},
		{
			name: "labels and taints",
			mutate: func(c *Config) {
				c.NodeLabels = map[string]string{"example.com/pool": "blue", "node.kubernetes.io/exclude-from-external-load-balancers": ""}
				c.RegisterWithTaints = []corev1.Taint{userTaint}
			},
			wantLabels:    map[string]string{"example.com/pool": "blue", "node.kubernetes.io/exclude-from-external-load-balancers": ""},
			wantTaints:    []corev1.Taint{userTaint},
			wantAddresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.1.7"}, {Type: corev1.NodeHostName, Address: testNode}},
		},
		{
			name: "external cloud with node IP",
			mutate: func(c *Config) {
				c.CloudProvider = CloudProviderExternal
				c.RegisterWithTaints = []corev1.Taint{userTaint}
			},
			wantTaints:      []corev1.Taint{userTaint, uninitialized},
			wantAddresses:   []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.1.7"}, {Type: corev1.NodeHostName, Address: testNode}},
			wantAnnotations: map[string]string{"alpha.kubernetes.io/provided-node-ip": "127.0.1.7"},
		},
		{
			name: "external cloud without node IP waits for the cloud's addresses",
			mutate: func(c *Config) {
				c.CloudProvider = CloudProviderExternal
				c.NodeIP = nil
			},
			wantTaints:    []corev1.Taint{uninitialized},
			wantAddresses: []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: testNode}},
		},
		{
			name: "capacity and reservations",
			mutate: func(c *Config) {
				c.Capacity = corev1.ResourceList{"cpu": resource.MustParse("2"), "pods": resource.MustParse("20"), "example.com/gpu": resource.MustParse("1")}
				c.KubeReserved = corev1.ResourceList{"cpu": resource.MustParse("100m"), "memory": resource.MustParse("1Gi")}
				c.SystemReserved = corev1.ResourceList{"cpu": resource.MustParse("400m"), "memory": resource.MustParse("20Gi")}
			},
			wantAddresses:   []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.1.7"}, {Type: corev1.NodeHostName, Address: testNode}},
			wantCapacity:    map[corev1.ResourceName]string{"cpu": "2", "memory": "16Gi", "pods": "20", "ephemeral-storage": "100Gi", "example.com/gpu": "1"},
			wantAllocatable: map[corev1.ResourceName]string{"cpu": "1500m", "memory": "0", "pods": "20", "ephemeral-storage": "100Gi", "example.com/gpu": "1"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.mutate)
			h.start()
			if err := h.k.WaitRegistered(h.ctx); err != nil {
				t.Fatal(err)
			}
			n := h.node()

			labels := map[string]string{
				"kubernetes.io/hostname": testNode, "kubernetes.io/os": goruntime.GOOS, "kubernetes.io/arch": goruntime.GOARCH,
				"beta.kubernetes.io/os": goruntime.GOOS, "beta.kubernetes.io/arch": goruntime.GOARCH,
			}
			for k, v := range tc.wantLabels {
				labels[k] = v
			}
			if diff := cmp.Diff(labels, n.Labels); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
			annotations := map[string]string{"volumes.kubernetes.io/controller-managed-attach-detach": "true"}
			for k, v := range tc.wantAnnotations {
				annotations[k] = v
			}
			if diff := cmp.Diff(annotations, n.Annotations); diff != "" {
				t.Errorf("annotations (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantTaints, n.Spec.Taints); diff != "" {
				t.Errorf("taints (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantAddresses, n.Status.Addresses); diff != "" {
				t.Errorf("addresses (-want +got):\n%s", diff)
			}
			checkResources(t, "capacity", tc.wantCapacity, n.Status.Capacity)
			checkResources(t, "allocatable", tc.wantAllocatable, n.Status.Allocatable)

			info := n.Status.NodeInfo
			if info.KubeletVersion != "v1.37.2" || info.ContainerRuntimeVersion != "k1s://1.37.2" || info.KubeProxyVersion != "" {
				t.Errorf("versions: kubelet %q runtime %q proxy %q", info.KubeletVersion, info.ContainerRuntimeVersion, info.KubeProxyVersion)
			}
			if info.OperatingSystem != goruntime.GOOS || info.Architecture != goruntime.GOARCH || info.KernelVersion == "" || info.OSImage == "" {
				t.Errorf("os info: %+v", info)
			}
			ids := machineIDsFor(testNode)
			if info.MachineID != ids.machineID || info.SystemUUID != ids.systemUUID || info.BootID != ids.bootID || len(info.MachineID) != 32 {
				t.Errorf("machine IDs: %+v", info)
			}
			if machineIDsFor("node-b") == ids {
				t.Errorf("machine IDs must differ per node")
			}
			if got := n.Status.DaemonEndpoints.KubeletEndpoint.Port; got != 10250 {
				t.Errorf("kubelet port = %d", got)
			}

			var types []corev1.NodeConditionType
			for _, c := range n.Status.Conditions {
				types = append(types, c.Type)
			}
			if diff := cmp.Diff([]corev1.NodeConditionType{"MemoryPressure", "DiskPressure", "PIDPressure", "Ready"}, types); diff != "" {
				t.Errorf("condition order (-want +got):\n%s", diff)
			}
			want := map[corev1.NodeConditionType][3]string{
				corev1.NodeMemoryPressure: {"False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"},
				corev1.NodeDiskPressure:   {"False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"},
				corev1.NodePIDPressure:    {"False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"},
				corev1.NodeReady:          {"True", "KubeletReady", "kubelet is posting ready status"},
			}
			for ct, w := range want {
				c := condition(n, ct)
				if got := [3]string{string(c.Status), c.Reason, c.Message}; got != w {
					t.Errorf("%s = %v, want %v", ct, got, w)
				}
				if !c.LastTransitionTime.Time.Equal(testStart) || !c.LastHeartbeatTime.Time.Equal(testStart) {
					t.Errorf("%s times: transition %v heartbeat %v", ct, c.LastTransitionTime, c.LastHeartbeatTime)
				}
			}
		})
	}
}

func checkResources(t *testing.T, what string, want map[corev1.ResourceName]string, got corev1.ResourceList) {
	t.Helper()
	for name, w := range want {
		q, ok := got[name]
		if !ok || q.Cmp(resource.MustParse(w)) != 0 {
			t.Errorf("%s[%s] = %v, want %s", what, name, q.String(), w)
		}
	}
	if want != nil && len(got) != len(want) {
		t.Errorf("%s = %v, want %d entries", what, got, len(want))
	}
}

func TestRegistrationReconcilesExistingNode(t *testing.T) {
	existing := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: testNode, UID: "pre-existing",
			Labels: map[string]string{"kubernetes.io/hostname": "stale", "example.com/keep": "yes"},
		},
		Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: "example.com/admin", Effect: corev1.TaintEffectNoExecute}}},
	}
	h := newHarness(t, func(c *Config) {
		c.NodeLabels = map[string]string{"example.com/pool": "blue"}
		c.RegisterWithTaints = []corev1.Taint{{Key: "example.com/new", Effect: corev1.TaintEffectNoSchedule}}
	}, existing)
	h.start()
	if err := h.k.WaitRegistered(h.ctx); err != nil {
		t.Fatal(err)
	}
	n := h.node()
	if n.UID != "pre-existing" {
		t.Fatalf("node was replaced: uid %q", n.UID)
	}
	if n.Labels["kubernetes.io/hostname"] != testNode || n.Labels["kubernetes.io/os"] != goruntime.GOOS || n.Labels["example.com/keep"] != "yes" {
		t.Errorf("default labels not reconciled: %v", n.Labels)
	}
	if _, ok := n.Labels["example.com/pool"]; ok {
		t.Errorf("--node-labels must not be re-applied to an existing node: %v", n.Labels)
	}
	if n.Annotations["volumes.kubernetes.io/controller-managed-attach-detach"] != "true" {
		t.Errorf("attach-detach annotation not reconciled: %v", n.Annotations)
	}
	if diff := cmp.Diff(existing.Spec.Taints, n.Spec.Taints); diff != "" {
		t.Errorf("taints must be left alone (-want +got):\n%s", diff)
	}
	if c := condition(n, corev1.NodeReady); c == nil || c.Status != corev1.ConditionTrue {
		t.Errorf("status not posted: %+v", n.Status.Conditions)
	}
	if got := h.count("create", "nodes", ""); got != 1 {
		t.Errorf("creates = %d, want 1", got)
	}
}

// statusPatches counts PATCHes of nodes/status.
func (h *harness) statusPatches() int { return h.count("patch", "nodes", "status") }

func TestStatusPostedOnChangeAndReportFrequency(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.NodeStatusReportFrequency = time.Minute
	})
	h.start()
	// Registration carries the status; upstream then posts once more because
	// nothing was reported since start.
	base := h.statusPatches()
	if base != 1 {
		t.Fatalf("patches after start = %d, want 1", base)
	}
	firstHeartbeat := condition(h.node(), corev1.NodeReady).LastHeartbeatTime

	// Unchanged status: computed every 10 s, not posted before the report
	// frequency (1m) is over.
	h.advance(50*time.Second, 10*time.Second)
	if got := h.statusPatches(); got != base {
		t.Fatalf("patches after 50s unchanged = %d, want %d", got, base)
	}
	if got := condition(h.node(), corev1.NodeReady).LastHeartbeatTime; !got.Equal(&firstHeartbeat) {
		t.Errorf("heartbeat moved without a post: %v", got)
	}
	h.advance(20*time.Second, 10*time.Second)
	if got := h.statusPatches(); got != base+1 {
		t.Fatalf("patches after the report frequency = %d, want %d", got, base+1)
	}
	ready := condition(h.node(), corev1.NodeReady)
	if !ready.LastHeartbeatTime.After(firstHeartbeat.Time) || !ready.LastTransitionTime.Time.Equal(testStart) {
		t.Errorf("periodic report: heartbeat %v (was %v), transition %v", ready.LastHeartbeatTime, firstHeartbeat, ready.LastTransitionTime)
	}

	// A change is posted at the next status computation.
	base = h.statusPatches()
	if err := h.k.SetPressure(corev1.NodeDiskPressure, true); err != nil {
		t.Fatal(err)
	}
	h.settle()
	if got := h.statusPatches(); got != base {
		t.Errorf("posted before the next update tick: %d", got)
	}
	h.step(11 * time.Second)
	if got := h.statusPatches(); got != base+1 {
		t.Fatalf("patches after change = %d, want %d", got, base+1)
	}
	disk := condition(h.node(), corev1.NodeDiskPressure)
	if disk.Status != corev1.ConditionTrue || disk.Reason != "KubeletHasDiskPressure" || disk.Message != "kubelet has disk pressure" {
		t.Errorf("disk pressure = %+v", disk)
	}
	if !disk.LastTransitionTime.Equal(&disk.LastHeartbeatTime) {
		t.Errorf("transition time must move on change: %+v", disk)
	}
	if err := h.k.SetPressure(corev1.NodeReady, true); err == nil {
		t.Errorf("SetPressure(Ready) must fail")
	}
}

func TestSetReadyFalse(t *testing.T) {
	recorder := record.NewFakeRecorder(100)
	h := newHarness(t, func(c *Config) { c.Recorder = recorder })
	h.start()
	h.k.SetReady(false, "", "")
	h.step(11 * time.Second)
	ready := condition(h.node(), corev1.NodeReady)
	if ready.Status != corev1.ConditionFalse || ready.Reason != "KubeletNotReady" || ready.Message != "container runtime is down" {
		t.Fatalf("Ready = %+v", ready)
	}
	if !ready.LastTransitionTime.Time.After(testStart) {
		t.Errorf("transition time not updated: %v", ready.LastTransitionTime)
	}
	h.k.SetReady(false, "KubeletNotReady", "PLEG is not healthy")
	h.step(11 * time.Second)
	if got := condition(h.node(), corev1.NodeReady).Message; got != "PLEG is not healthy" {
		t.Errorf("message = %q", got)
	}
	h.k.SetReady(true, "", "")
	h.step(11 * time.Second)
	if got := condition(h.node(), corev1.NodeReady); got.Status != corev1.ConditionTrue || got.Reason != "KubeletReady" {
		t.Errorf("Ready = %+v", got)
	}
	var events []string
	for len(recorder.Events) > 0 {
		events = append(events, <-recorder.Events)
	}
	joined := strings.Join(events, "\n")
	for _, want := range []string{"Normal Starting Starting kubelet.", "Normal NodeNotReady Node node-a status is now: NodeNotReady", "Normal NodeReady Node node-a status is now: NodeReady", "Normal NodeHasSufficientMemory Node node-a status is now: NodeHasSufficientMemory"} {
		if !strings.Contains(joined, want) {
			t.Errorf("missing event %q in:\n%s", want, joined)
		}
	}
}

func TestNodeReRegistersAfterDeletion(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	first := h.node().UID
	if err := h.client.CoreV1().Nodes().Delete(context.Background(), testNode, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	h.settle()
	h.step(11 * time.Second)
	n := h.node()
	if n.UID == first || n.UID == "" {
		t.Fatalf("node not re-registered: uid %q (was %q)", n.UID, first)
	}
	if c := condition(n, corev1.NodeReady); c == nil || c.Status != corev1.ConditionTrue {
		t.Errorf("re-registered node has no status: %+v", n.Status)
	}
	if got := h.count("create", "nodes", ""); got != 2 {
		t.Errorf("creates = %d, want 2", got)
	}
}

func TestRegisterNodeFalseWaitsForNode(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.RegisterNode = false })
	h.start()
	h.advance(30*time.Second, 10*time.Second)
	if got := h.count("create", "nodes", ""); got != 0 {
		t.Fatalf("kubelet created its node with --register-node=false")
	}
	select {
	case <-h.k.Registered():
		t.Fatalf("registered without a node")
	default:
	}
	// The admin creates a bare Node; the kubelet fills in its status.
	if _, err := h.client.CoreV1().Nodes().Create(context.Background(), &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: testNode}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.settle()
	h.step(11 * time.Second)
	if err := h.k.WaitRegistered(h.ctx); err != nil {
		t.Fatal(err)
	}
	n := h.node()
	if c := condition(n, corev1.NodeReady); c == nil || c.Status != corev1.ConditionTrue {
		t.Errorf("status not filled in: %+v", n.Status)
	}
	if n.Labels["kubernetes.io/os"] != goruntime.GOOS || n.Labels["kubernetes.io/arch"] != goruntime.GOARCH {
		t.Errorf("os/arch labels not added: %v", n.Labels)
	}
	if len(n.Status.Addresses) == 0 || n.Status.Capacity.Cpu().IsZero() {
		t.Errorf("status incomplete: %+v", n.Status)
	}
	if got := h.count("create", "leases", ""); got != 1 {
		t.Errorf("lease creates = %d, want 1 right after the node appeared", got)
	}
}

func TestPauseHeartbeats(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.NodeStatusReportFrequency = 30 * time.Second })
	h.start()
	h.k.PauseHeartbeats()
	h.settle()
	leases, patches := h.count("update", "leases", ""), h.statusPatches()
	renewed := h.lease().Spec.RenewTime.Time
	h.advance(2*time.Minute, 10*time.Second)
	if got := h.count("update", "leases", ""); got != leases {
		t.Errorf("lease renewed %d times while paused", got-leases)
	}
	if got := h.statusPatches(); got != patches {
		t.Errorf("status posted %d times while paused", got-patches)
	}
	if !h.lease().Spec.RenewTime.Time.Equal(renewed) {
		t.Errorf("renew time moved while paused")
	}
	if !h.k.HeartbeatsPaused() {
		t.Errorf("HeartbeatsPaused() = false")
	}

	h.k.ResumeHeartbeats()
	h.settle()
	if got := h.count("update", "leases", ""); got != leases+1 {
		t.Errorf("lease not renewed on resume: %d updates", got-leases)
	}
	if got := h.statusPatches(); got != patches+1 {
		t.Errorf("status not posted on resume: %d patches", got-patches)
	}
	if got := h.lease().Spec.RenewTime.Time; !got.Equal(h.clock.Now()) {
		t.Errorf("renew time %v, want now %v", got, h.clock.Now())
	}
	h.advance(21*time.Second, 10*time.Second)
	if got := h.count("update", "leases", ""); got < leases+2 {
		t.Errorf("renewals did not resume: %d", got-leases)
	}
}
