package printers

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	apiv1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// Ages are computed against the wall clock, as upstream's printers do, so
// every fixture timestamp is taken relative to a single time.Now().
var now = time.Now()

func ago(d time.Duration) metav1.Time { return metav1.NewTime(now.Add(-d)) }

func microAgo(d time.Duration) metav1.MicroTime { return metav1.NewMicroTime(now.Add(-d)) }

func objMeta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, CreationTimestamp: ago(5 * time.Minute)}
}

// printCase is one object and the exact cells expected for it, both without
// and with the wide (priority 1) columns.
type printCase struct {
	name       string
	obj        runtime.Object
	cells      []interface{}
	wideCells  []interface{}
	conditions []metav1.TableRowCondition
}

func runPrintCases(t *testing.T, tests []printCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, wide := range []bool{false, true} {
				want := tt.cells
				if wide {
					want = append(append([]interface{}{}, tt.cells...), tt.wideCells...)
				}
				table, err := generator.GenerateTable(tt.obj, GenerateOptions{Wide: wide})
				if err != nil {
					t.Fatalf("GenerateTable(wide=%v): %v", wide, err)
				}
				if len(table.Rows) != 1 {
					t.Fatalf("expected 1 row, got %d", len(table.Rows))
				}
				row := table.Rows[0]
				if diff := cmp.Diff(want, row.Cells); diff != "" {
					t.Errorf("cells (wide=%v) mismatch (-want +got):\n%s", wide, diff)
				}
				if len(row.Cells) != len(table.ColumnDefinitions) {
					t.Errorf("wide=%v: %d cells for %d columns", wide, len(row.Cells), len(table.ColumnDefinitions))
				}
				if diff := cmp.Diff(tt.conditions, row.Conditions); diff != "" {
					t.Errorf("conditions mismatch (-want +got):\n%s", diff)
				}
				if row.Object.Object != tt.obj {
					t.Errorf("row.Object should be the printed object, got %T", row.Object.Object)
				}
			}
		})
	}
}

func TestPrintPod(t *testing.T) {
	always := apiv1.ContainerRestartPolicyAlways
	running := apiv1.ContainerState{Running: &apiv1.ContainerStateRunning{}}
	tests := []printCase{
		{
			name: "running",
			obj: &apiv1.Pod{
				ObjectMeta: objMeta("running"),
				Spec:       apiv1.PodSpec{NodeName: "node-1", Containers: make([]apiv1.Container, 2)},
				Status: apiv1.PodStatus{
					Phase:             apiv1.PodRunning,
					PodIPs:            []apiv1.PodIP{{IP: "10.244.0.5"}, {IP: "fd00::5"}},
					ContainerStatuses: []apiv1.ContainerStatus{{Ready: true, State: running}, {Ready: true, State: running}},
				},
			},
			cells:     []interface{}{"running", "2/2", "Running", "0", "5m"},
			wideCells: []interface{}{"10.244.0.5", "node-1", "<none>", "<none>"},
		},
		{
			name: "pending, nothing reported yet",
			obj: &apiv1.Pod{
				ObjectMeta: objMeta("pending"),
				Spec:       apiv1.PodSpec{Containers: make([]apiv1.Container, 1)},
				Status:     apiv1.PodStatus{Phase: apiv1.PodPending, NominatedNodeName: "node-2"},
			},
			cells:     []interface{}{"pending", "0/1", "Pending", "0", "5m"},
			wideCells: []interface{}{"<none>", "<none>", "node-2", "<none>"},
		},
		{
			name: "pending, container creating",
			obj: &apiv1.Pod{
				ObjectMeta: objMeta("creating"),
				Spec:       apiv1.PodSpec{NodeName: "node-1", Containers: make([]apiv1.Container, 1)},
				Status: apiv1.PodStatus{
					Phase:             apiv1.PodPending,
					ContainerStatuses: []apiv1.ContainerStatus{{State: apiv1.ContainerState{Waiting: &apiv1.ContainerStateWaiting{Reason: "ContainerCreating"}}}},
				},
			},
			cells:     []interface{}{"creating", "0/1", "ContainerCreating", "0", "5m"},
			wideCells: []interface{}{"<none>", "node-1", "<none>", "<none>"},
		},
		{
			name: "scheduling gated",
			obj: &apiv1.Pod{
				ObjectMeta: objMeta("gated"),
				Spec:       apiv1.PodSpec{Containers: make([]apiv1.Container, 1)},
				Status: apiv1.PodStatus{
					Phase:      apiv1.PodPending,
					Conditions: []apiv1.PodCondition{{Type: apiv1.PodScheduled, Status: apiv1.ConditionFalse, Reason: apiv1.PodReasonSchedulingGated}},
				},
			},
			cells:     []interface{}{"gated", "0/1", "SchedulingGated", "0", "5m"},
			wideCells: []interface{}{"<none>", "<none>", "<none>", "<none>"},
		},
		{
			name: "terminating",
			obj: &apiv1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: "terminating", CreationTimestamp: ago(5 * time.Minute), DeletionTimestamp: ptr.To(ago(10 * time.Second))},
				Spec:       apiv1.PodSpec{Containers: make([]apiv1.Container, 1)},
				Status: apiv1.PodStatus{
					Phase:             apiv1.PodRunning,
					PodIP:             "10.244.0.6", // no PodIPs: not defaulted
					ContainerStatuses: []apiv1.ContainerStatus{{Ready: true, State: running}},
				},
			},
			cells:     []interface{}{"terminating", "1/1", "Terminating", "0", "5m"},
			wideCells: []interface{}{"10.244.0.6", "<none>", "<none>", "<none>"},
		},
		{
			name: "deleted while its node is unreachable",
			obj: &apiv1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: "lost", CreationTimestamp: ago(5 * time.Minute), DeletionTimestamp: ptr.To(ago(time.Minute))},
				Spec:       apiv1.PodSpec{Containers: make([]apiv1.Container, 1)},
				Status: apiv1.PodStatus{
					Phase:             apiv1.PodRunning,
					Reason:            "NodeLost",
					ContainerStatuses: []apiv1.ContainerStatus{{Ready: true, State: running}},
				},
			},
			cells:     []interface{}{"lost", "1/1", "Unknown", "0", "5m"},
			wideCells: []interface{}{"<none>", "<none>", "<none>", "<none>"},
		},
		{
			name: "pod reason overrides phase",
			obj: &apiv1.Pod{
				ObjectMeta: objMeta("evicted"),
				Spec:       apiv1.PodSpec{Containers: make([]apiv1.Container, 1)},
				Status:     apiv1.PodStatus{Phase: apiv1.PodFailed, Reason: "Evicted"},
			},
			cells:      []interface{}{"evicted", "0/1", "Evicted", "0", "5m"},
			wideCells:  []interface{}{"<none>", "<none>", "<none>", "<none>"},
			conditions: podFailedConditions,
		},
		{
			name: "crash loop with restarts",
			obj: &apiv1.Pod{
				ObjectMeta: objMeta("crashing"),
				Spec:       apiv1.PodSpec{Containers: make([]apiv1.Container, 2)},
				Status: apiv1.PodStatus{
					Phase: apiv1.PodRunning,
					ContainerStatuses: []apiv1.ContainerStatus{
						{Ready: true, State: running, RestartCount: 1, LastTerminationState: apiv1.ContainerState{Terminated: &apiv1.ContainerStateTerminated{FinishedAt: ago(30 * time.Minute)}}},
						{
							RestartCount:         4,
							State:                apiv1.ContainerState{Waiting: &apiv1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
							LastTerminationState: apiv1.ContainerState{Terminated: &apiv1.ContainerStateTerminated{ExitCode: 1, FinishedAt: ago(15 * time.Minute)}},
						},
					},
				},
			},
			cells:     []interface{}{"crashing", "1/2", "CrashLoopBackOff", "5 (15m ago)", "5m"},
			wideCells: []interface{}{"<none>", "<none>", "<none>", "<none>"},
		},
		{
			name: "succeeded",
			obj: &apiv1.Pod{
				ObjectMeta: objMeta("done"),
				Spec:       apiv1.PodSpec{Containers: make([]apiv1.Container, 1)},
				Status: apiv1.PodStatus{
					Phase:             apiv1.PodSucceeded,
					ContainerStatuses: []apiv1.ContainerStatus{{State: apiv1.ContainerState{Terminated: &apiv1.ContainerStateTerminated{Reason: "Completed"}}}},
				},
			},
			cells:      []interface{}{"done", "0/1", "Completed", "0", "5m"},
			wideCells:  []interface{}{"<none>", "<none>", "<none>", "<none>"},
			conditions: podSuccessConditions,
		},
		{
			name: "succeeded pods are not Terminating",
			obj: &apiv1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: "done", CreationTimestamp: ago(5 * time.Minute), DeletionTimestamp: ptr.To(ago(time.Minute))},
				Spec:       apiv1.PodSpec{Containers: make([]apiv1.Container, 1)},
				Status: apiv1.PodStatus{
					Phase:             apiv1.PodSucceeded,
					ContainerStatuses: []apiv1.ContainerStatus{{State: apiv1.ContainerState{Terminated: &apiv1.ContainerStateTerminated{Reason: "Completed"}}}},
				},
			},
			cells:      []interface{}{"done", "0/1", "Completed", "0", "5m"},
			wideCells:  []interface{}{"<none>", "<none>", "<none>", "<none>"},
			conditions: podSuccessConditions,
		},
		{
			name: "failed container without reason",
			obj: &apiv1.Pod{
				ObjectMeta: objMeta("failed"),
				Spec:       apiv1.PodSpec{Containers: make([]apiv1.Container, 1)},
				Status: apiv1.PodStatus{
					Phase:             apiv1.PodFailed,
					ContainerStatuses: []apiv1.ContainerStatus{{State: apiv1.ContainerState{Terminated: &apiv1.ContainerStateTerminated{ExitCode: 137, Signal: 9}}}},
				},
			},
			cells:      []interface{}{"failed", "0/1", "Signal:9", "0", "5m"},
			wideCells:  []interface{}{"<none>", "<none>", "<none>", "<none>"},
			conditions: podFailedConditions,
		},
		{
			name: "one completed and one running container, not ready",
			obj: &apiv1.Pod{
				ObjectMeta: objMeta("notready"),
				Spec:       apiv1.PodSpec{Containers: make([]apiv1.Container, 2)},
				Status: apiv1.PodStatus{
					Phase: apiv1.PodRunning,
					ContainerStatuses: []apiv1.ContainerStatus{
						{State: apiv1.ContainerState{Terminated: &apiv1.ContainerStateTerminated{Reason: "Completed"}}},
						{Ready: true, State: running},
					},
				},
			},
			cells:     []interface{}{"notready", "1/2", "NotReady", "0", "5m"},
			wideCells: []interface{}{"<none>", "<none>", "<none>", "<none>"},
		},
		{
			name: "one completed and one running container, ready",
			obj: &apiv1.Pod{
				ObjectMeta: objMeta("ready"),
				Spec:       apiv1.PodSpec{Containers: make([]apiv1.Container, 2)},
				Status: apiv1.PodStatus{
					Phase:      apiv1.PodRunning,
					Conditions: []apiv1.PodCondition{{Type: apiv1.PodReady, Status: apiv1.ConditionTrue}},
					ContainerStatuses: []apiv1.ContainerStatus{
						{State: apiv1.ContainerState{Terminated: &apiv1.ContainerStateTerminated{Reason: "Completed"}}},
						{Ready: true, State: running},
					},
				},
			},
			cells:     []interface{}{"ready", "1/2", "Running", "0", "5m"},
			wideCells: []interface{}{"<none>", "<none>", "<none>", "<none>"},
		},
		{
			name: "init containers in progress",
			obj: &apiv1.Pod{
				ObjectMeta: objMeta("init"),
				Spec:       apiv1.PodSpec{InitContainers: []apiv1.Container{{Name: "a"}, {Name: "b"}}, Containers: make([]apiv1.Container, 1)},
				Status: apiv1.PodStatus{
					Phase: apiv1.PodPending,
					InitContainerStatuses: []apiv1.ContainerStatus{
						{Name: "a", State: apiv1.ContainerState{Terminated: &apiv1.ContainerStateTerminated{Reason: "Completed"}}},
						{Name: "b", State: running, RestartCount: 2, LastTerminationState: apiv1.ContainerState{Terminated: &apiv1.ContainerStateTerminated{FinishedAt: ago(20 * time.Minute)}}},
					},
					ContainerStatuses: []apiv1.ContainerStatus{{State: apiv1.ContainerState{Waiting: &apiv1.ContainerStateWaiting{Reason: "PodInitializing"}}}},
				},
			},
			cells:     []interface{}{"init", "0/1", "Init:1/2", "2 (20m ago)", "5m"},
			wideCells: []interface{}{"<none>", "<none>", "<none>", "<none>"},
		},
		{
			name: "init container waiting",
			obj: &apiv1.Pod{
				ObjectMeta: objMeta("init-waiting"),
				Spec:       apiv1.PodSpec{InitContainers: []apiv1.Container{{Name: "a"}}, Containers: make([]apiv1.Container, 1)},
				Status: apiv1.PodStatus{
					Phase:                 apiv1.PodPending,
					InitContainerStatuses: []apiv1.ContainerStatus{{Name: "a", State: apiv1.ContainerState{Waiting: &apiv1.ContainerStateWaiting{Reason: "ImagePullBackOff"}}}},
				},
			},
			cells:     []interface{}{"init-waiting", "0/1", "Init:ImagePullBackOff", "0", "5m"},
			wideCells: []interface{}{"<none>", "<none>", "<none>", "<none>"},
		},
		{
			name: "init container failed",
			obj: &apiv1.Pod{
				ObjectMeta: objMeta("init-failed"),
				Spec:       apiv1.PodSpec{InitContainers: []apiv1.Container{{Name: "a"}}, Containers: make([]apiv1.Container, 1)},
				Status: apiv1.PodStatus{
					Phase:                 apiv1.PodPending,
					InitContainerStatuses: []apiv1.ContainerStatus{{Name: "a", State: apiv1.ContainerState{Terminated: &apiv1.ContainerStateTerminated{ExitCode: 2}}}},
				},
			},
			cells:     []interface{}{"init-failed", "0/1", "Init:ExitCode:2", "0", "5m"},
			wideCells: []interface{}{"<none>", "<none>", "<none>", "<none>"},
		},
		{
			name: "init container crash loop",
			obj: &apiv1.Pod{
				ObjectMeta: objMeta("init-crash"),
				Spec:       apiv1.PodSpec{InitContainers: []apiv1.Container{{Name: "a"}}, Containers: make([]apiv1.Container, 1)},
				Status: apiv1.PodStatus{
					Phase: apiv1.PodPending,
					InitContainerStatuses: []apiv1.ContainerStatus{{
						Name:                 "a",
						RestartCount:         3,
						State:                apiv1.ContainerState{Waiting: &apiv1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
						LastTerminationState: apiv1.ContainerState{Terminated: &apiv1.ContainerStateTerminated{Reason: "Error", ExitCode: 1, FinishedAt: ago(12 * time.Minute)}},
					}},
				},
			},
			cells:     []interface{}{"init-crash", "0/1", "Init:CrashLoopBackOff", "3 (12m ago)", "5m"},
			wideCells: []interface{}{"<none>", "<none>", "<none>", "<none>"},
		},
		{
			name: "started sidecar init container counts as a container",
			obj: &apiv1.Pod{
				ObjectMeta: objMeta("sidecar"),
				Spec: apiv1.PodSpec{
					InitContainers: []apiv1.Container{{Name: "proxy", RestartPolicy: &always}},
					Containers:     []apiv1.Container{{Name: "app"}},
					ReadinessGates: []apiv1.PodReadinessGate{{ConditionType: "example.com/a"}, {ConditionType: "example.com/b"}},
				},
				Status: apiv1.PodStatus{
					Phase: apiv1.PodRunning,
					Conditions: []apiv1.PodCondition{
						{Type: apiv1.PodInitialized, Status: apiv1.ConditionTrue},
						{Type: "example.com/a", Status: apiv1.ConditionTrue},
						{Type: "example.com/b", Status: apiv1.ConditionFalse},
					},
					InitContainerStatuses: []apiv1.ContainerStatus{{
						Name: "proxy", Ready: true, Started: ptr.To(true), State: running, RestartCount: 1,
						LastTerminationState: apiv1.ContainerState{Terminated: &apiv1.ContainerStateTerminated{FinishedAt: ago(11 * time.Minute)}},
					}},
					ContainerStatuses: []apiv1.ContainerStatus{{Name: "app", Ready: true, State: running}},
				},
			},
			cells:     []interface{}{"sidecar", "2/2", "Running", "1 (11m ago)", "5m"},
			wideCells: []interface{}{"<none>", "<none>", "<none>", "1/2"},
		},
	}
	runPrintCases(t, tests)
}

func TestPrintNode(t *testing.T) {
	info := apiv1.NodeSystemInfo{
		KubeletVersion:          "v1.37.2",
		OSImage:                 "Debian GNU/Linux 12 (bookworm)",
		KernelVersion:           "6.1.0-18",
		Architecture:            "amd64",
		ContainerRuntimeVersion: "containerd://2.0.0",
	}
	addresses := []apiv1.NodeAddress{
		{Type: apiv1.NodeHostName, Address: "node-1"},
		{Type: apiv1.NodeInternalIP, Address: "192.168.1.10"},
		{Type: apiv1.NodeExternalIP, Address: "203.0.113.10"},
		{Type: apiv1.NodeInternalIP, Address: "192.168.1.11"},
	}
	ready := func(s apiv1.ConditionStatus) []apiv1.NodeCondition {
		return []apiv1.NodeCondition{{Type: apiv1.NodeMemoryPressure, Status: apiv1.ConditionFalse}, {Type: apiv1.NodeReady, Status: s}}
	}
	tests := []printCase{
		{
			name: "ready",
			obj: &apiv1.Node{
				ObjectMeta: objMeta("node-1"),
				Status:     apiv1.NodeStatus{Conditions: ready(apiv1.ConditionTrue), NodeInfo: info, Addresses: addresses},
			},
			cells:     []interface{}{"node-1", "Ready", "<none>", "5m", "v1.37.2"},
			wideCells: []interface{}{"192.168.1.10", "203.0.113.10", "Debian GNU/Linux 12 (bookworm)", "6.1.0-18 (amd64)", "containerd://2.0.0"},
		},
		{
			name: "not ready",
			obj: &apiv1.Node{
				ObjectMeta: objMeta("node-2"),
				Status:     apiv1.NodeStatus{Conditions: ready(apiv1.ConditionFalse), NodeInfo: info},
			},
			cells:     []interface{}{"node-2", "NotReady", "<none>", "5m", "v1.37.2"},
			wideCells: []interface{}{"<none>", "<none>", "Debian GNU/Linux 12 (bookworm)", "6.1.0-18 (amd64)", "containerd://2.0.0"},
		},
		{
			name: "ready condition unknown",
			obj: &apiv1.Node{
				ObjectMeta: objMeta("node-3"),
				Status:     apiv1.NodeStatus{Conditions: ready(apiv1.ConditionUnknown), NodeInfo: info},
			},
			cells:     []interface{}{"node-3", "NotReady", "<none>", "5m", "v1.37.2"},
			wideCells: []interface{}{"<none>", "<none>", "Debian GNU/Linux 12 (bookworm)", "6.1.0-18 (amd64)", "containerd://2.0.0"},
		},
		{
			name:      "no ready condition, nothing reported",
			obj:       &apiv1.Node{ObjectMeta: objMeta("node-4")},
			cells:     []interface{}{"node-4", "Unknown", "<none>", "5m", ""},
			wideCells: []interface{}{"<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"},
		},
		{
			name: "cordoned control plane",
			obj: &apiv1.Node{
				ObjectMeta: metav1.ObjectMeta{
					Name:              "cp-1",
					CreationTimestamp: ago(5 * time.Minute),
					Labels: map[string]string{
						"node-role.kubernetes.io/control-plane": "",
						"node-role.kubernetes.io/worker":        "true",
						"node-role.kubernetes.io/":              "", // empty role is ignored
						"kubernetes.io/role":                    "infra",
						"kubernetes.io/hostname":                "cp-1",
					},
				},
				Spec:   apiv1.NodeSpec{Unschedulable: true},
				Status: apiv1.NodeStatus{Conditions: ready(apiv1.ConditionTrue), NodeInfo: info},
			},
			cells:     []interface{}{"cp-1", "Ready,SchedulingDisabled", "control-plane,infra,worker", "5m", "v1.37.2"},
			wideCells: []interface{}{"<none>", "<none>", "Debian GNU/Linux 12 (bookworm)", "6.1.0-18 (amd64)", "containerd://2.0.0"},
		},
		{
			name: "cordoned, unknown status",
			obj: &apiv1.Node{
				ObjectMeta: objMeta("node-5"),
				Spec:       apiv1.NodeSpec{Unschedulable: true},
				Status:     apiv1.NodeStatus{NodeInfo: apiv1.NodeSystemInfo{KernelVersion: "6.1.0"}},
			},
			cells:     []interface{}{"node-5", "Unknown,SchedulingDisabled", "<none>", "5m", ""},
			wideCells: []interface{}{"<none>", "<none>", "<unknown>", "6.1.0", "<unknown>"},
		},
	}
	runPrintCases(t, tests)
}

func TestPrintNamespace(t *testing.T) {
	runPrintCases(t, []printCase{
		{
			name:  "active",
			obj:   &apiv1.Namespace{ObjectMeta: objMeta("default"), Status: apiv1.NamespaceStatus{Phase: apiv1.NamespaceActive}},
			cells: []interface{}{"default", "Active", "5m"},
		},
		{
			name:  "terminating",
			obj:   &apiv1.Namespace{ObjectMeta: objMeta("old"), Status: apiv1.NamespaceStatus{Phase: apiv1.NamespaceTerminating}},
			cells: []interface{}{"old", "Terminating", "5m"},
		},
	})
}

func TestPrintService(t *testing.T) {
	ports := []apiv1.ServicePort{{Port: 80, Protocol: apiv1.ProtocolTCP}, {Port: 53, Protocol: apiv1.ProtocolUDP}}
	tests := []printCase{
		{
			name: "cluster IP",
			obj: &apiv1.Service{
				ObjectMeta: objMeta("web"),
				Spec: apiv1.ServiceSpec{
					Type: apiv1.ServiceTypeClusterIP, ClusterIP: "10.96.0.10", ClusterIPs: []string{"10.96.0.10", "fd00::10"},
					Ports: ports, Selector: map[string]string{"app": "web", "tier": "fe"},
				},
			},
			cells:     []interface{}{"web", "ClusterIP", "10.96.0.10", "<none>", "80/TCP,53/UDP", "5m"},
			wideCells: []interface{}{"app=web,tier=fe"},
		},
		{
			name: "cluster IP with external IPs, only singular clusterIP set",
			obj: &apiv1.Service{
				ObjectMeta: objMeta("ext"),
				Spec:       apiv1.ServiceSpec{Type: apiv1.ServiceTypeClusterIP, ClusterIP: "10.96.0.11", ExternalIPs: []string{"198.51.100.1", "198.51.100.2"}},
			},
			cells:     []interface{}{"ext", "ClusterIP", "10.96.0.11", "198.51.100.1,198.51.100.2", "<none>", "5m"},
			wideCells: []interface{}{"<none>"},
		},
		{
			name: "headless",
			obj: &apiv1.Service{
				ObjectMeta: objMeta("headless"),
				Spec:       apiv1.ServiceSpec{Type: apiv1.ServiceTypeClusterIP, ClusterIP: "None", ClusterIPs: []string{"None"}, Ports: ports[:1]},
			},
			cells:     []interface{}{"headless", "ClusterIP", "None", "<none>", "80/TCP", "5m"},
			wideCells: []interface{}{"<none>"},
		},
		{
			name: "node port",
			obj: &apiv1.Service{
				ObjectMeta: objMeta("np"),
				Spec: apiv1.ServiceSpec{
					Type: apiv1.ServiceTypeNodePort, ClusterIPs: []string{"10.96.0.12"},
					Ports: []apiv1.ServicePort{{Port: 80, NodePort: 30080, Protocol: apiv1.ProtocolTCP}, {Port: 443, NodePort: 30443, Protocol: apiv1.ProtocolTCP}},
				},
			},
			cells:     []interface{}{"np", "NodePort", "10.96.0.12", "<none>", "80:30080/TCP,443:30443/TCP", "5m"},
			wideCells: []interface{}{"<none>"},
		},
		{
			name: "load balancer pending",
			obj: &apiv1.Service{
				ObjectMeta: objMeta("lb"),
				Spec: apiv1.ServiceSpec{
					Type: apiv1.ServiceTypeLoadBalancer, ClusterIPs: []string{"10.96.0.13"},
					Ports: []apiv1.ServicePort{{Port: 80, NodePort: 30080, Protocol: apiv1.ProtocolTCP}},
				},
			},
			cells:     []interface{}{"lb", "LoadBalancer", "10.96.0.13", "<pending>", "80:30080/TCP", "5m"},
			wideCells: []interface{}{"<none>"},
		},
		{
			name: "load balancer with ingress and external IPs",
			obj: &apiv1.Service{
				ObjectMeta: objMeta("lb2"),
				Spec: apiv1.ServiceSpec{
					Type: apiv1.ServiceTypeLoadBalancer, ClusterIPs: []string{"10.96.0.14"}, ExternalIPs: []string{"198.51.100.9"},
					Ports: []apiv1.ServicePort{{Port: 443, NodePort: 31443, Protocol: apiv1.ProtocolTCP}},
				},
				Status: apiv1.ServiceStatus{LoadBalancer: apiv1.LoadBalancerStatus{Ingress: []apiv1.LoadBalancerIngress{{IP: "203.0.113.7"}}}},
			},
			cells:     []interface{}{"lb2", "LoadBalancer", "10.96.0.14", "203.0.113.7,198.51.100.9", "443:31443/TCP", "5m"},
			wideCells: []interface{}{"<none>"},
		},
		{
			name: "external name",
			obj: &apiv1.Service{
				ObjectMeta: objMeta("db"),
				Spec:       apiv1.ServiceSpec{Type: apiv1.ServiceTypeExternalName, ExternalName: "db.example.com"},
			},
			cells:     []interface{}{"db", "ExternalName", "<none>", "db.example.com", "<none>", "5m"},
			wideCells: []interface{}{"<none>"},
		},
	}
	runPrintCases(t, tests)
}

// The server always generates wide output (see TableConvertor), so only the
// generator itself ever clips load balancer addresses.
func TestPrintServiceLoadBalancerClipping(t *testing.T) {
	svc := &apiv1.Service{
		ObjectMeta: objMeta("lb"),
		Spec:       apiv1.ServiceSpec{Type: apiv1.ServiceTypeLoadBalancer},
		Status:     apiv1.ServiceStatus{LoadBalancer: apiv1.LoadBalancerStatus{Ingress: []apiv1.LoadBalancerIngress{{Hostname: "a-very-long-hostname.elb.example.com"}}}},
	}
	if got, want := getServiceExternalIP(svc, false), "a-very-long-h..."; got != want {
		t.Errorf("narrow: got %q, want %q", got, want)
	}
	if got, want := getServiceExternalIP(svc, true), "a-very-long-hostname.elb.example.com"; got != want {
		t.Errorf("wide: got %q, want %q", got, want)
	}
}

func TestPrintEndpoints(t *testing.T) {
	addrs := func(ips ...string) []apiv1.EndpointAddress {
		var out []apiv1.EndpointAddress
		for _, ip := range ips {
			out = append(out, apiv1.EndpointAddress{IP: ip})
		}
		return out
	}
	runPrintCases(t, []printCase{
		{
			name:  "no subsets",
			obj:   &apiv1.Endpoints{ObjectMeta: objMeta("empty")},
			cells: []interface{}{"empty", "<none>", "5m"},
		},
		{
			name: "ports",
			obj: &apiv1.Endpoints{
				ObjectMeta: objMeta("web"),
				Subsets:    []apiv1.EndpointSubset{{Addresses: addrs("10.0.0.1", "fd00::2"), Ports: []apiv1.EndpointPort{{Port: 8080}}}},
			},
			cells: []interface{}{"web", "10.0.0.1:8080,[fd00::2]:8080", "5m"},
		},
		{
			name: "more than three",
			obj: &apiv1.Endpoints{
				ObjectMeta: objMeta("many"),
				Subsets: []apiv1.EndpointSubset{
					{Addresses: addrs("10.0.0.1", "10.0.0.2"), Ports: []apiv1.EndpointPort{{Port: 80}, {Port: 443}}},
					{Addresses: addrs("10.0.0.3")},
				},
			},
			cells: []interface{}{"many", "10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 2 more...", "5m"},
		},
		{
			name:  "headless without ports",
			obj:   &apiv1.Endpoints{ObjectMeta: objMeta("headless"), Subsets: []apiv1.EndpointSubset{{Addresses: addrs("10.0.0.1", "10.0.0.2")}}},
			cells: []interface{}{"headless", "10.0.0.1,10.0.0.2", "5m"},
		},
	})
}

func TestPrintEndpointSlice(t *testing.T) {
	runPrintCases(t, []printCase{
		{
			name: "ports and endpoints",
			obj: &discoveryv1.EndpointSlice{
				ObjectMeta:  objMeta("web-abc"),
				AddressType: discoveryv1.AddressTypeIPv4,
				Ports:       []discoveryv1.EndpointPort{{Port: ptr.To[int32](80)}, {Name: ptr.To("metrics")}, {}},
				Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.0.0.1"}}, {Addresses: []string{"10.0.0.2"}}},
			},
			cells: []interface{}{"web-abc", "IPv4", "80,metrics,*", "10.0.0.1,10.0.0.2", "5m"},
		},
		{
			name: "truncated",
			obj: &discoveryv1.EndpointSlice{
				ObjectMeta:  objMeta("big"),
				AddressType: discoveryv1.AddressTypeIPv6,
				Ports:       []discoveryv1.EndpointPort{{Port: ptr.To[int32](1)}, {Port: ptr.To[int32](2)}, {Port: ptr.To[int32](3)}, {Port: ptr.To[int32](4)}},
				Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"fd00::1", "fd00::2", "fd00::3", "fd00::4", "fd00::5"}}},
			},
			cells: []interface{}{"big", "IPv6", "1,2,3 + 1 more...", "fd00::1,fd00::2,fd00::3 + 2 more...", "5m"},
		},
		{
			name:  "empty",
			obj:   &discoveryv1.EndpointSlice{ObjectMeta: objMeta("empty"), AddressType: discoveryv1.AddressTypeFQDN},
			cells: []interface{}{"empty", "FQDN", "<unset>", "<unset>", "5m"},
		},
	})
}

func TestPrintConfigMapSecretServiceAccount(t *testing.T) {
	runPrintCases(t, []printCase{
		{
			name:  "configmap counts data and binaryData",
			obj:   &apiv1.ConfigMap{ObjectMeta: objMeta("cm"), Data: map[string]string{"a": "1", "b": "2"}, BinaryData: map[string][]byte{"c": {3}}},
			cells: []interface{}{"cm", int64(3), "5m"},
		},
		{
			name:  "secret",
			obj:   &apiv1.Secret{ObjectMeta: objMeta("tls"), Type: apiv1.SecretTypeTLS, Data: map[string][]byte{"tls.crt": nil, "tls.key": nil}},
			cells: []interface{}{"tls", "kubernetes.io/tls", int64(2), "5m"},
		},
		{
			name:  "serviceaccount",
			obj:   &apiv1.ServiceAccount{ObjectMeta: objMeta("default")},
			cells: []interface{}{"default", "5m"},
		},
		{
			name:  "unknown creation time",
			obj:   &apiv1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "new"}},
			cells: []interface{}{"new", "<unknown>"},
		},
	})
}

func TestPrintEvent(t *testing.T) {
	pod := apiv1.ObjectReference{Kind: "Pod", Name: "web-0", FieldPath: "spec.containers{app}"}
	tests := []printCase{
		{
			name: "core event with legacy timestamps",
			obj: &apiv1.Event{
				ObjectMeta:     objMeta("web-0.17a"),
				InvolvedObject: pod,
				Reason:         "Pulled",
				Message:        "  Successfully pulled image  \n",
				Source:         apiv1.EventSource{Component: "kubelet", Host: "node-1"},
				FirstTimestamp: ago(20 * time.Minute),
				LastTimestamp:  ago(15 * time.Minute),
				Count:          3,
				Type:           apiv1.EventTypeNormal,
			},
			cells:     []interface{}{"15m", "Normal", "Pulled", "pod/web-0", "Successfully pulled image"},
			wideCells: []interface{}{"spec.containers{app}", "kubelet, node-1", "Successfully pulled image", "20m", int64(3), "web-0.17a"},
		},
		{
			name: "core event in the new style with a series",
			obj: &apiv1.Event{
				ObjectMeta:          objMeta("node.17b"),
				InvolvedObject:      apiv1.ObjectReference{Kind: "Node"},
				Reason:              "Rebooted",
				Message:             "rebooted",
				EventTime:           microAgo(40 * time.Minute),
				Series:              &apiv1.EventSeries{Count: 7, LastObservedTime: microAgo(12 * time.Minute)},
				ReportingController: "kubelet",
				Type:                apiv1.EventTypeWarning,
			},
			cells:     []interface{}{"12m", "Warning", "Rebooted", "node", "rebooted"},
			wideCells: []interface{}{"", "kubelet", "rebooted", "40m", int64(7), "node.17b"},
		},
		{
			name: "events.k8s.io singleton",
			obj: &eventsv1.Event{
				ObjectMeta:          objMeta("web-0.17c"),
				EventTime:           microAgo(25 * time.Minute),
				ReportingController: "default-scheduler",
				ReportingInstance:   "default-scheduler-cp-1",
				Action:              "Binding",
				Reason:              "Scheduled",
				Regarding:           pod,
				Note:                "Successfully assigned default/web-0 to node-1",
				Type:                apiv1.EventTypeNormal,
			},
			cells:     []interface{}{"25m", "Normal", "Scheduled", "pod/web-0", "Successfully assigned default/web-0 to node-1"},
			wideCells: []interface{}{"spec.containers{app}", "default-scheduler, default-scheduler-cp-1", "Successfully assigned default/web-0 to node-1", "25m", int64(1), "web-0.17c"},
		},
		{
			name: "events.k8s.io with series and deprecated fields",
			obj: &eventsv1.Event{
				ObjectMeta:               objMeta("web-0.17d"),
				EventTime:                microAgo(50 * time.Minute),
				Series:                   &eventsv1.EventSeries{Count: 4, LastObservedTime: microAgo(11 * time.Minute)},
				ReportingController:      "kubelet",
				Reason:                   "BackOff",
				Regarding:                pod,
				Note:                     "Back-off restarting failed container",
				Type:                     apiv1.EventTypeWarning,
				DeprecatedSource:         apiv1.EventSource{Component: "kubelet", Host: "node-1"},
				DeprecatedFirstTimestamp: ago(45 * time.Minute),
				DeprecatedCount:          2,
			},
			cells:     []interface{}{"11m", "Warning", "BackOff", "pod/web-0", "Back-off restarting failed container"},
			wideCells: []interface{}{"spec.containers{app}", "kubelet, node-1", "Back-off restarting failed container", "45m", int64(4), "web-0.17d"},
		},
	}
	// Events put the name last and only in wide output, so the generic
	// "narrow cells are a prefix of wide cells" layout does not apply.
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			narrow, err := generator.GenerateTable(tt.obj, GenerateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.cells, narrow.Rows[0].Cells); diff != "" {
				t.Errorf("narrow cells mismatch (-want +got):\n%s", diff)
			}
			wide, err := generator.GenerateTable(tt.obj, GenerateOptions{Wide: true})
			if err != nil {
				t.Fatal(err)
			}
			want := append(append([]interface{}{}, tt.cells[:4]...), tt.wideCells...)
			if diff := cmp.Diff(want, wide.Rows[0].Cells); diff != "" {
				t.Errorf("wide cells mismatch (-want +got):\n%s", diff)
			}
			if wide.Rows[0].Object.Object != tt.obj {
				t.Errorf("row.Object should be the printed object, got %T", wide.Rows[0].Object.Object)
			}
		})
	}
}

func TestPrintLease(t *testing.T) {
	runPrintCases(t, []printCase{
		{
			name:  "held",
			obj:   &coordinationv1.Lease{ObjectMeta: objMeta("node-1"), Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("node-1")}},
			cells: []interface{}{"node-1", "node-1", "5m"},
		},
		{
			name:  "unheld",
			obj:   &coordinationv1.Lease{ObjectMeta: objMeta("kube-scheduler")},
			cells: []interface{}{"kube-scheduler", "", "5m"},
		},
	})
}

func podTemplate() apiv1.PodTemplateSpec {
	return apiv1.PodTemplateSpec{Spec: apiv1.PodSpec{Containers: []apiv1.Container{
		{Name: "app", Image: "nginx:1.27"},
		{Name: "sidecar", Image: "busybox"},
	}}}
}

func TestPrintDeployment(t *testing.T) {
	runPrintCases(t, []printCase{
		{
			name: "rolling",
			obj: &appsv1.Deployment{
				ObjectMeta: objMeta("web"),
				Spec: appsv1.DeploymentSpec{
					Replicas: ptr.To[int32](3),
					Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
					Template: podTemplate(),
				},
				Status: appsv1.DeploymentStatus{Replicas: 3, UpdatedReplicas: 1, ReadyReplicas: 2, AvailableReplicas: 2},
			},
			cells:     []interface{}{"web", "2/3", int64(1), int64(2), "5m"},
			wideCells: []interface{}{"app,sidecar", "nginx:1.27,busybox", "app=web"},
		},
		{
			name: "invalid selector, unset replicas",
			obj: &appsv1.Deployment{
				ObjectMeta: objMeta("bad"),
				Spec: appsv1.DeploymentSpec{
					Selector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Bogus"}}},
				},
			},
			cells:     []interface{}{"bad", "0/0", int64(0), int64(0), "5m"},
			wideCells: []interface{}{"", "", "<invalid>"},
		},
	})
}

func TestPrintScale(t *testing.T) {
	runPrintCases(t, []printCase{{
		name: "deployment scale",
		obj: &autoscalingv1.Scale{
			ObjectMeta: objMeta("web"),
			Spec:       autoscalingv1.ScaleSpec{Replicas: 3},
			Status:     autoscalingv1.ScaleStatus{Replicas: 2, Selector: "app=web"},
		},
		cells: []interface{}{"web", int64(3), int64(2), "5m"},
	}})
}

func TestPrintReplicaSet(t *testing.T) {
	runPrintCases(t, []printCase{
		{
			name: "scaled",
			obj: &appsv1.ReplicaSet{
				ObjectMeta: objMeta("web-5d4f"),
				Spec: appsv1.ReplicaSetSpec{
					Replicas: ptr.To[int32](3),
					Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "pod-template-hash": "5d4f"}},
					Template: podTemplate(),
				},
				Status: appsv1.ReplicaSetStatus{Replicas: 3, ReadyReplicas: 1},
			},
			cells:     []interface{}{"web-5d4f", int64(3), int64(3), int64(1), "5m"},
			wideCells: []interface{}{"app,sidecar", "nginx:1.27,busybox", "app=web,pod-template-hash=5d4f"},
		},
		{
			name:      "no selector",
			obj:       &appsv1.ReplicaSet{ObjectMeta: objMeta("empty")},
			cells:     []interface{}{"empty", int64(0), int64(0), int64(0), "5m"},
			wideCells: []interface{}{"", "", "<none>"},
		},
	})
}

func TestPrintJob(t *testing.T) {
	selector := &metav1.LabelSelector{MatchLabels: map[string]string{"batch.kubernetes.io/controller-uid": "abc"}}
	cond := func(t batchv1.JobConditionType) []batchv1.JobCondition {
		return []batchv1.JobCondition{{Type: t, Status: apiv1.ConditionTrue}}
	}
	tests := []printCase{
		{
			name: "running",
			obj: &batchv1.Job{
				ObjectMeta: objMeta("pi"),
				Spec:       batchv1.JobSpec{Completions: ptr.To[int32](3), Selector: selector, Template: podTemplate()},
				Status:     batchv1.JobStatus{Succeeded: 1, StartTime: ptr.To(ago(13 * time.Minute))},
			},
			cells:     []interface{}{"pi", "Running", "1/3", "13m", "5m"},
			wideCells: []interface{}{"app,sidecar", "nginx:1.27,busybox", "batch.kubernetes.io/controller-uid=abc"},
		},
		{
			name: "complete",
			obj: &batchv1.Job{
				ObjectMeta: objMeta("done"),
				Spec:       batchv1.JobSpec{Parallelism: ptr.To[int32](1)},
				Status: batchv1.JobStatus{
					Succeeded: 1, Conditions: cond(batchv1.JobComplete),
					StartTime: ptr.To(ago(40 * time.Minute)), CompletionTime: ptr.To(ago(25 * time.Minute)),
				},
			},
			cells:     []interface{}{"done", "Complete", "1/1", "15m", "5m"},
			wideCells: []interface{}{"", "", "<none>"},
		},
		{
			name:      "parallel work queue, not started",
			obj:       &batchv1.Job{ObjectMeta: objMeta("queue"), Spec: batchv1.JobSpec{Parallelism: ptr.To[int32](4)}},
			cells:     []interface{}{"queue", "Running", "0/1 of 4", "", "5m"},
			wideCells: []interface{}{"", "", "<none>"},
		},
		{
			name:      "failed",
			obj:       &batchv1.Job{ObjectMeta: objMeta("failed"), Spec: batchv1.JobSpec{Completions: ptr.To[int32](1)}, Status: batchv1.JobStatus{Conditions: cond(batchv1.JobFailed)}},
			cells:     []interface{}{"failed", "Failed", "0/1", "", "5m"},
			wideCells: []interface{}{"", "", "<none>"},
		},
		{
			name:      "suspended",
			obj:       &batchv1.Job{ObjectMeta: objMeta("suspended"), Spec: batchv1.JobSpec{Completions: ptr.To[int32](1)}, Status: batchv1.JobStatus{Conditions: cond(batchv1.JobSuspended)}},
			cells:     []interface{}{"suspended", "Suspended", "0/1", "", "5m"},
			wideCells: []interface{}{"", "", "<none>"},
		},
		{
			name: "terminating",
			obj: &batchv1.Job{
				ObjectMeta: metav1.ObjectMeta{Name: "going", CreationTimestamp: ago(5 * time.Minute), DeletionTimestamp: ptr.To(ago(time.Second))},
				Spec:       batchv1.JobSpec{Completions: ptr.To[int32](1)},
				Status:     batchv1.JobStatus{Conditions: cond(batchv1.JobSuspended)},
			},
			cells:     []interface{}{"going", "Terminating", "0/1", "", "5m"},
			wideCells: []interface{}{"", "", "<none>"},
		},
		{
			name:      "failure target",
			obj:       &batchv1.Job{ObjectMeta: objMeta("ft"), Spec: batchv1.JobSpec{Completions: ptr.To[int32](1)}, Status: batchv1.JobStatus{Conditions: cond(batchv1.JobFailureTarget)}},
			cells:     []interface{}{"ft", "FailureTarget", "0/1", "", "5m"},
			wideCells: []interface{}{"", "", "<none>"},
		},
		{
			name:      "success criteria met",
			obj:       &batchv1.Job{ObjectMeta: objMeta("scm"), Spec: batchv1.JobSpec{Completions: ptr.To[int32](2)}, Status: batchv1.JobStatus{Succeeded: 2, Conditions: cond(batchv1.JobSuccessCriteriaMet)}},
			cells:     []interface{}{"scm", "SuccessCriteriaMet", "2/2", "", "5m"},
			wideCells: []interface{}{"", "", "<none>"},
		},
	}
	runPrintCases(t, tests)
}

func TestPrintPodDisruptionBudget(t *testing.T) {
	runPrintCases(t, []printCase{
		{
			name: "min available",
			obj: &policyv1.PodDisruptionBudget{
				ObjectMeta: objMeta("web"),
				Spec:       policyv1.PodDisruptionBudgetSpec{MinAvailable: ptr.To(intstr.FromInt32(2))},
				Status:     policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: 1},
			},
			cells: []interface{}{"web", "2", "N/A", int64(1), "5m"},
		},
		{
			name: "max unavailable",
			obj: &policyv1.PodDisruptionBudget{
				ObjectMeta: objMeta("db"),
				Spec:       policyv1.PodDisruptionBudgetSpec{MaxUnavailable: ptr.To(intstr.FromString("25%"))},
			},
			cells: []interface{}{"db", "N/A", "25%", int64(0), "5m"},
		},
	})
}

func TestPrintRoleBindings(t *testing.T) {
	subjects := []rbacv1.Subject{
		{Kind: rbacv1.UserKind, Name: "alice"},
		{Kind: rbacv1.UserKind, Name: "bob"},
		{Kind: rbacv1.GroupKind, Name: "devs"},
		{Kind: rbacv1.ServiceAccountKind, Namespace: "kube-system", Name: "deployer"},
		{Kind: "Other", Name: "ignored"},
	}
	runPrintCases(t, []printCase{
		{
			name: "rolebinding",
			obj: &rbacv1.RoleBinding{
				ObjectMeta: objMeta("edit"),
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "editor"},
				Subjects:   subjects,
			},
			cells:     []interface{}{"edit", "Role/editor", "5m"},
			wideCells: []interface{}{"alice, bob", "devs", "kube-system/deployer"},
		},
		{
			name: "clusterrolebinding",
			obj: &rbacv1.ClusterRoleBinding{
				ObjectMeta: objMeta("cluster-admin"),
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
				Subjects:   []rbacv1.Subject{{Kind: rbacv1.GroupKind, Name: "system:masters"}},
			},
			cells:     []interface{}{"cluster-admin", "ClusterRole/cluster-admin", "5m"},
			wideCells: []interface{}{"", "system:masters", ""},
		},
	})
}

func columnNames(cols []metav1.TableColumnDefinition) []string {
	var names []string
	for _, c := range cols {
		name := c.Name
		if c.Priority != 0 {
			name += "*"
		}
		names = append(names, name)
	}
	return names
}

// TestTableConvertorFor checks the headers every served resource gets from the
// server (a trailing * marks priority 1, i.e. -o wide only columns).
func TestTableConvertorFor(t *testing.T) {
	tests := []struct {
		gr      schema.GroupResource
		obj     runtime.Object
		columns string
	}{
		{schema.GroupResource{Resource: "pods"}, &apiv1.Pod{}, "Name Ready Status Restarts Age IP* Node* Nominated Node* Readiness Gates*"},
		{schema.GroupResource{Resource: "nodes"}, &apiv1.Node{}, "Name Status Roles Age Version Internal-IP* External-IP* OS-Image* Kernel-Version* Container-Runtime*"},
		{schema.GroupResource{Resource: "namespaces"}, &apiv1.Namespace{}, "Name Status Age"},
		{schema.GroupResource{Resource: "services"}, &apiv1.Service{}, "Name Type Cluster-IP External-IP Port(s) Age Selector*"},
		{schema.GroupResource{Resource: "endpoints"}, &apiv1.Endpoints{}, "Name Endpoints Age"},
		{schema.GroupResource{Resource: "configmaps"}, &apiv1.ConfigMap{}, "Name Data Age"},
		{schema.GroupResource{Resource: "secrets"}, &apiv1.Secret{}, "Name Type Data Age"},
		{schema.GroupResource{Resource: "serviceaccounts"}, &apiv1.ServiceAccount{}, "Name Age"},
		{schema.GroupResource{Resource: "events"}, &apiv1.Event{}, "Last Seen Type Reason Object Subobject* Source* Message First Seen* Count* Name*"},
		{schema.GroupResource{Group: "events.k8s.io", Resource: "events"}, &eventsv1.Event{}, "Last Seen Type Reason Object Subobject* Source* Message First Seen* Count* Name*"},
		{schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}, &coordinationv1.Lease{}, "Name Holder Age"},
		{schema.GroupResource{Group: "discovery.k8s.io", Resource: "endpointslices"}, &discoveryv1.EndpointSlice{}, "Name AddressType Ports Endpoints Age"},
		{schema.GroupResource{Group: "apps", Resource: "deployments"}, &appsv1.Deployment{}, "Name Ready Up-to-date Available Age Containers* Images* Selector*"},
		{schema.GroupResource{Group: "apps", Resource: "replicasets"}, &appsv1.ReplicaSet{}, "Name Desired Current Ready Age Containers* Images* Selector*"},
		{schema.GroupResource{Group: "batch", Resource: "jobs"}, &batchv1.Job{}, "Name Status Completions Duration Age Containers* Images* Selector*"},
		{schema.GroupResource{Group: "policy", Resource: "poddisruptionbudgets"}, &policyv1.PodDisruptionBudget{}, "Name Min Available Max Unavailable Allowed Disruptions Age"},
		{schema.GroupResource{Group: "rbac.authorization.k8s.io", Resource: "rolebindings"}, &rbacv1.RoleBinding{}, "Name Role Age Users* Groups* ServiceAccounts*"},
		{schema.GroupResource{Group: "rbac.authorization.k8s.io", Resource: "clusterrolebindings"}, &rbacv1.ClusterRoleBinding{}, "Name Role Age Users* Groups* ServiceAccounts*"},
		// Upstream serves roles with the default convertor.
		{schema.GroupResource{Group: "rbac.authorization.k8s.io", Resource: "roles"}, &rbacv1.Role{}, "Name Created At"},
		{schema.GroupResource{Group: "rbac.authorization.k8s.io", Resource: "clusterroles"}, &rbacv1.ClusterRole{}, "Name Created At"},
	}
	for _, tt := range tests {
		t.Run(tt.gr.String(), func(t *testing.T) {
			table, err := TableConvertorFor(tt.gr).ConvertToTable(context.Background(), tt.obj, nil)
			if err != nil {
				t.Fatalf("ConvertToTable: %v", err)
			}
			if got := strings.Join(columnNames(table.ColumnDefinitions), " "); got != tt.columns {
				t.Errorf("columns:\n got  %s\n want %s", got, tt.columns)
			}
			if len(table.Rows) != 1 || len(table.Rows[0].Cells) != len(table.ColumnDefinitions) {
				t.Fatalf("expected one row with a cell per column, got %#v", table.Rows)
			}
			if table.Rows[0].Object.Object != tt.obj {
				t.Errorf("row.Object should be the converted object, got %T", table.Rows[0].Object.Object)
			}
			// The server hands rows to clients that deep-copy them, which
			// panics on cell types that are not JSON values (e.g. int).
			_ = table.DeepCopy()
		})
	}
}

func TestTableConvertorDefaultForUnknownResource(t *testing.T) {
	created := metav1.NewTime(time.Date(2024, 5, 1, 12, 0, 0, 0, time.FixedZone("CEST", 2*3600)))
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "reader", CreationTimestamp: created, ResourceVersion: "7"}}
	for _, gr := range []schema.GroupResource{
		{Group: "rbac.authorization.k8s.io", Resource: "roles"},
		{Group: "example.com", Resource: "widgets"},
	} {
		table, err := TableConvertorFor(gr).ConvertToTable(context.Background(), role, nil)
		if err != nil {
			t.Fatalf("%s: %v", gr, err)
		}
		if diff := cmp.Diff([]interface{}{"reader", "2024-05-01T10:00:00Z"}, table.Rows[0].Cells); diff != "" {
			t.Errorf("%s: cells mismatch (-want +got):\n%s", gr, diff)
		}
		if table.ResourceVersion != "7" {
			t.Errorf("%s: resourceVersion %q, want 7", gr, table.ResourceVersion)
		}
	}
}

func TestTableConvertorList(t *testing.T) {
	list := &apiv1.PodList{
		ListMeta: metav1.ListMeta{ResourceVersion: "4711", Continue: "eyJydiI6NDcxMX0", RemainingItemCount: ptr.To[int64](12)},
		Items: []apiv1.Pod{
			{ObjectMeta: objMeta("a"), Spec: apiv1.PodSpec{Containers: make([]apiv1.Container, 1)}, Status: apiv1.PodStatus{Phase: apiv1.PodRunning}},
			{ObjectMeta: objMeta("b"), Spec: apiv1.PodSpec{Containers: make([]apiv1.Container, 1)}, Status: apiv1.PodStatus{Phase: apiv1.PodPending}},
		},
	}
	convertor := TableConvertorFor(schema.GroupResource{Resource: "pods"})
	table, err := convertor.ConvertToTable(context.Background(), list, &metav1.TableOptions{})
	if err != nil {
		t.Fatalf("ConvertToTable: %v", err)
	}
	if table.ResourceVersion != "4711" || table.Continue != "eyJydiI6NDcxMX0" || !reflect.DeepEqual(table.RemainingItemCount, ptr.To[int64](12)) {
		t.Errorf("list metadata not carried over: %#v", table.ListMeta)
	}
	want := [][]interface{}{
		{"a", "0/1", "Running", "0", "5m", "<none>", "<none>", "<none>", "<none>"},
		{"b", "0/1", "Pending", "0", "5m", "<none>", "<none>", "<none>", "<none>"},
	}
	var got [][]interface{}
	for i, row := range table.Rows {
		got = append(got, row.Cells)
		if row.Object.Object != &list.Items[i] {
			t.Errorf("row %d: Object should point at the list item", i)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows mismatch (-want +got):\n%s", diff)
	}

	noHeaders, err := convertor.ConvertToTable(context.Background(), list, &metav1.TableOptions{NoHeaders: true})
	if err != nil {
		t.Fatalf("ConvertToTable(noHeaders): %v", err)
	}
	if noHeaders.ColumnDefinitions != nil || len(noHeaders.Rows) != 2 || noHeaders.Continue != list.Continue {
		t.Errorf("noHeaders: unexpected table %#v", noHeaders)
	}
}

func TestTableConvertorSingleObjectResourceVersion(t *testing.T) {
	lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "l", ResourceVersion: "99"}}
	table, err := TableConvertorFor(schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}).ConvertToTable(context.Background(), lease, nil)
	if err != nil {
		t.Fatalf("ConvertToTable: %v", err)
	}
	if table.ResourceVersion != "99" || table.Continue != "" || table.RemainingItemCount != nil {
		t.Errorf("unexpected list metadata %#v", table.ListMeta)
	}
}

func TestTableConvertorErrors(t *testing.T) {
	convertor := TableConvertorFor(schema.GroupResource{Resource: "pods"})
	if _, err := convertor.ConvertToTable(context.Background(), &apiv1.Pod{}, &metav1.ListOptions{}); err == nil {
		t.Error("expected an error for unrecognized table options")
	}
	if _, err := convertor.ConvertToTable(context.Background(), &rbacv1.Role{}, nil); err == nil {
		t.Error("expected an error for a type without a handler")
	}
}

// recordingHandler registers into a real generator but keeps the errors that
// AddHandlers (like upstream) discards.
type recordingHandler struct {
	*HumanReadableGenerator
	errs  []error
	types []string
}

func (r *recordingHandler) TableHandler(columns []metav1.TableColumnDefinition, printFunc interface{}) error {
	err := r.HumanReadableGenerator.TableHandler(columns, printFunc)
	if err != nil {
		r.errs = append(r.errs, err)
	} else {
		r.types = append(r.types, reflect.TypeOf(printFunc).In(0).String())
	}
	return err
}

func TestAddHandlers(t *testing.T) {
	h := &recordingHandler{HumanReadableGenerator: NewTableGenerator()}
	AddHandlers(h)
	if len(h.errs) != 0 {
		t.Fatalf("registration errors: %v", h.errs)
	}
	var want []string
	for _, typ := range []runtime.Object{
		&apiv1.Pod{}, &apiv1.PodList{}, &apiv1.Node{}, &apiv1.NodeList{}, &apiv1.Namespace{}, &apiv1.NamespaceList{},
		&apiv1.Service{}, &apiv1.ServiceList{}, &apiv1.Endpoints{}, &apiv1.EndpointsList{},
		&apiv1.ConfigMap{}, &apiv1.ConfigMapList{}, &apiv1.Secret{}, &apiv1.SecretList{},
		&apiv1.ServiceAccount{}, &apiv1.ServiceAccountList{}, &apiv1.Event{}, &apiv1.EventList{},
		&eventsv1.Event{}, &eventsv1.EventList{}, &coordinationv1.Lease{}, &coordinationv1.LeaseList{},
		&discoveryv1.EndpointSlice{}, &discoveryv1.EndpointSliceList{},
		&appsv1.Deployment{}, &appsv1.DeploymentList{}, &appsv1.ReplicaSet{}, &appsv1.ReplicaSetList{},
		&batchv1.Job{}, &batchv1.JobList{}, &policyv1.PodDisruptionBudget{}, &policyv1.PodDisruptionBudgetList{},
		&autoscalingv1.Scale{},
		&rbacv1.RoleBinding{}, &rbacv1.RoleBindingList{}, &rbacv1.ClusterRoleBinding{}, &rbacv1.ClusterRoleBindingList{},
	} {
		want = append(want, reflect.TypeOf(typ).String())
	}
	less := func(a, b string) bool { return a < b }
	if diff := cmp.Diff(want, h.types, cmpopts.SortSlices(less)); diff != "" {
		t.Errorf("registered types mismatch (-want +got):\n%s", diff)
	}
}
