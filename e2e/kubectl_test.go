package e2e

// End-to-end tests that drive k1s with real kubectl commands, run in-process through the
// framework (kubectlcmd). They check what a user sees: exact column headers, values,
// YAML/JSON fields and exit codes, as upstream's kubectl prints them against a real
// cluster. kubectl runs one command at a time per process, so the tests run in parallel
// on their own clusters but their kubectl calls queue.
//
// Left out: `kubectl scale` (k1s serves no apps group yet), `kubectl auth whoami` (it
// belongs with the authentication stage), and commands that need a kubelet (logs, exec).
// Without the namespace controller a deleted namespace stays Terminating, so namespace
// deletions here never wait for it to go.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"

	"github.com/k1s-dev/k1s/cluster"
	"github.com/k1s-dev/k1s/e2e/framework"
	"github.com/k1s-dev/k1s/kubectlcmd"
)

// kubectlCluster is a test cluster with the test it belongs to, so that helpers read
// like the kubectl session they stand for.
type kubectlCluster struct {
	*framework.Cluster
	t   *testing.T
	ctx context.Context
}

// startKubectlCluster starts a cluster of its own for t, which runs in parallel.
func startKubectlCluster(t *testing.T) *kubectlCluster {
	t.Helper()
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	// No scheduler: these tests play it (and the kubelets) by hand.
	return &kubectlCluster{Cluster: framework.Start(t, cluster.Config{EtcdUnsafeNoFsync: true, DisableScheduler: true}), t: t, ctx: ctx}
}

// in returns c for subtest t: failures go to t.
func (c *kubectlCluster) in(t *testing.T) *kubectlCluster {
	return &kubectlCluster{Cluster: c.Cluster, t: t, ctx: c.ctx}
}

// run runs kubectl and fails the test if it fails.
func (c *kubectlCluster) run(args ...string) string {
	c.t.Helper()
	return c.Kubectl(c.t, args...)
}

// runIn runs kubectl with stdin and fails the test if it fails; it returns stdout and
// stderr.
func (c *kubectlCluster) runIn(stdin string, args ...string) (stdout, stderr string) {
	c.t.Helper()
	r := c.KubectlIn(c.t, stdin, args...)
	if r.Err != nil {
		c.t.Fatalf("kubectl %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.Err, r.Stdout, r.Stderr)
	}
	return r.Stdout, r.Stderr
}

// fail runs kubectl, expects it to exit with code, and returns what it printed.
func (c *kubectlCluster) fail(stdin string, code int, args ...string) framework.KubectlResult {
	c.t.Helper()
	r := c.KubectlIn(c.t, stdin, args...)
	var exit *kubectlcmd.ExitError
	if !errors.As(r.Err, &exit) {
		c.t.Fatalf("kubectl %s: want exit code %d, got error %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, r.Err, r.Stdout, r.Stderr)
	}
	if exit.Code != code {
		c.t.Fatalf("kubectl %s: exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), exit.Code, code, r.Stdout, r.Stderr)
	}
	return r
}

// ---- parsing what kubectl prints ----

// kubectlTable parses one table kubectl printed: the header names the columns (a name may
// hold single spaces, as "NOMINATED NODE"; columns are at least two spaces apart) and each
// row's cells start where their header does, which tabwriter guarantees, so empty cells
// (api-resources' SHORTNAMES) parse too.
func kubectlTable(t testing.TB, out string) (header []string, rows []map[string]string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) == 0 || lines[0] == "" {
		t.Fatalf("no table in output:\n%s", out)
	}
	var starts []int
	for _, loc := range regexp.MustCompile(`\S+( \S+)*`).FindAllStringIndex(lines[0], -1) {
		starts = append(starts, loc[0])
		header = append(header, lines[0][loc[0]:loc[1]])
	}
	for _, line := range lines[1:] {
		row := map[string]string{}
		for i, start := range starts {
			end := len(line)
			if i+1 < len(starts) && starts[i+1] < end {
				end = starts[i+1]
			}
			if start < len(line) {
				row[header[i]] = strings.TrimSpace(line[start:end])
			} else {
				row[header[i]] = ""
			}
		}
		rows = append(rows, row)
	}
	return header, rows
}

// wantHeader checks a table's exact columns.
func wantHeader(t testing.TB, out string, want ...string) []map[string]string {
	t.Helper()
	header, rows := kubectlTable(t, out)
	if !slices.Equal(header, want) {
		t.Fatalf("columns %q, want %q; output:\n%s", header, want, out)
	}
	return rows
}

// wantRows checks a table's rows, in order, on the given columns; "*" matches any value
// (ages).
func wantRows(t testing.TB, out string, rows []map[string]string, columns []string, want ...[]string) {
	t.Helper()
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d; output:\n%s", len(rows), len(want), out)
	}
	for i, row := range rows {
		for j, col := range columns {
			if want[i][j] != "*" && row[col] != want[i][j] {
				t.Errorf("row %d column %s = %q, want %q; output:\n%s", i, col, row[col], want[i][j], out)
			}
		}
	}
}

// pick returns the rows whose column holds each of values, in that order, failing when
// one is missing: the rows a test made, whatever else the cluster holds (system objects,
// API groups other stages serve).
func pick(t testing.TB, out string, rows []map[string]string, column string, values ...string) []map[string]string {
	t.Helper()
	var picked []map[string]string
	for _, v := range values {
		i := slices.IndexFunc(rows, func(row map[string]string) bool { return row[column] == v })
		if i < 0 {
			t.Fatalf("no row with %s %q in:\n%s", column, v, out)
		}
		picked = append(picked, rows[i])
	}
	return picked
}

// describeField returns the value of a top-level "Key:  value" line kubectl describe
// printed.
func describeField(t testing.TB, out, key string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + `:[ \t]*(.*)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q line in:\n%s", key, out)
	}
	return strings.TrimRight(m[1], " ")
}

// wantLines checks that each regexp matches a whole line of out.
func wantLines(t testing.TB, out string, patterns ...string) {
	t.Helper()
	for _, p := range patterns {
		if !regexp.MustCompile(`(?m)^` + p + `$`).MatchString(out) {
			t.Errorf("no line matching %q in:\n%s", p, out)
		}
	}
}

// decodeYAML decodes a single object kubectl printed as YAML or JSON into a typed object.
func decodeYAML[T runtime.Object](t testing.TB, out string) T {
	t.Helper()
	obj, _, err := scheme.Codecs.UniversalDeserializer().Decode([]byte(out), nil, nil)
	if err != nil {
		t.Fatalf("decoding kubectl output: %v\n%s", err, out)
	}
	typed, ok := obj.(T)
	if !ok {
		t.Fatalf("kubectl printed a %T, want %T", obj, *new(T))
	}
	return typed
}

// ---- objects ----

// node is a registered node as a kubelet reports it; ready is its Ready condition's
// status, or "" for no conditions at all (a node no kubelet has reported on yet).
func (c *kubectlCluster) node(name, ip string, ready corev1.ConditionStatus, labels map[string]string) *corev1.Node {
	c.t.Helper()
	now := metav1.Now()
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Status: corev1.NodeStatus{
			Capacity: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("8Gi"),
				corev1.ResourcePods: resource.MustParse("110"),
			},
			Allocatable: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("8Gi"),
				corev1.ResourcePods: resource.MustParse("110"),
			},
			Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}, {Type: corev1.NodeHostName, Address: name}},
			NodeInfo: corev1.NodeSystemInfo{
				KubeletVersion: "v1.37.2", OSImage: "k1s loopback", KernelVersion: "6.8.0",
				ContainerRuntimeVersion: "k1s://0.1.0", OperatingSystem: "linux", Architecture: "amd64",
			},
		},
	}
	switch ready {
	case corev1.ConditionTrue:
		node.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready, Reason: "KubeletReady",
			Message: "kubelet is posting ready status", LastHeartbeatTime: now, LastTransitionTime: now}}
	case corev1.ConditionFalse:
		node.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready, Reason: "KubeletNotReady",
			Message: "container runtime is down", LastHeartbeatTime: now, LastTransitionTime: now}}
	}
	created, err := c.Client.CoreV1().Nodes().Create(c.ctx, node, metav1.CreateOptions{})
	if err != nil {
		c.t.Fatalf("creating node %s: %v", name, err)
	}
	return created
}

// pod creates a pod with one container, bound to nodeName when it is set.
func (c *kubectlCluster) pod(ns, name, nodeName string, labels map[string]string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	c.t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec: corev1.PodSpec{
			NodeName:   nodeName,
			Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}},
		},
	}
	for _, m := range mutate {
		m(pod)
	}
	created, err := c.Client.CoreV1().Pods(ns).Create(c.ctx, pod, metav1.CreateOptions{})
	if err != nil {
		c.t.Fatalf("creating pod %s/%s: %v", ns, name, err)
	}
	return created
}

// running reports the pod running on its node with hostIP and podIP, its containers
// ready or not, as its kubelet would.
func (c *kubectlCluster) running(pod *corev1.Pod, hostIP, podIP string, ready bool) *corev1.Pod {
	c.t.Helper()
	pod, err := c.Client.CoreV1().Pods(pod.Namespace).Get(c.ctx, pod.Name, metav1.GetOptions{})
	if err != nil {
		c.t.Fatal(err)
	}
	now := metav1.Now()
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	pod.Status.Phase = corev1.PodRunning
	pod.Status.HostIP, pod.Status.PodIP = hostIP, podIP
	pod.Status.StartTime = &now
	pod.Status.Conditions = []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.ContainersReady, Status: status, LastTransitionTime: now},
		{Type: corev1.PodReady, Status: status, LastTransitionTime: now},
	}
	pod.Status.ContainerStatuses = nil
	for _, ctr := range pod.Spec.Containers {
		pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: ctr.Name, Image: ctr.Image, ImageID: "docker.io/library/" + ctr.Image, ContainerID: "k1s://" + pod.Name + "-" + ctr.Name,
			Ready: ready, Started: ptr.To(true), State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		})
	}
	updated, err := c.Client.CoreV1().Pods(pod.Namespace).UpdateStatus(c.ctx, pod, metav1.UpdateOptions{})
	if err != nil {
		c.t.Fatalf("reporting pod %s/%s running: %v", pod.Namespace, pod.Name, err)
	}
	return updated
}

// event records a core/v1 event about obj, as a component's event recorder does.
func (c *kubectlCluster) event(obj metav1.Object, kind, reason, message, eventType, component string) {
	c.t.Helper()
	now := metav1.Now()
	ns := obj.GetNamespace()
	if ns == "" {
		ns = metav1.NamespaceDefault // events about cluster-scoped objects go to default
	}
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s.%s.%x", obj.GetName(), strings.ToLower(reason), now.UnixNano()), Namespace: ns},
		InvolvedObject: corev1.ObjectReference{
			Kind: kind, APIVersion: "v1", Namespace: obj.GetNamespace(), Name: obj.GetName(), UID: obj.GetUID(),
		},
		Reason: reason, Message: message, Type: eventType, Source: corev1.EventSource{Component: component},
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
	}
	if _, err := c.Client.CoreV1().Events(ns).Create(c.ctx, ev, metav1.CreateOptions{}); err != nil {
		c.t.Fatalf("recording event %s: %v", reason, err)
	}
}

// ---- get ----

func TestKubectlGetNamespacesAndServices(t *testing.T) {
	c := startKubectlCluster(t)

	out := c.run("get", "ns")
	rows := wantHeader(t, out, "NAME", "STATUS", "AGE")
	wantRows(t, out, rows, []string{"NAME", "STATUS"},
		[]string{"default", "Active"}, []string{"kube-node-lease", "Active"},
		[]string{"kube-public", "Active"}, []string{"kube-system", "Active"})

	out = c.run("get", "svc", "-A", "-o", "wide")
	rows = wantHeader(t, out, "NAMESPACE", "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR")
	wantRows(t, out, pick(t, out, rows, "NAME", "kubernetes"), []string{"NAMESPACE", "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "SELECTOR"},
		[]string{"default", "kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP", "<none>"})

	// Short names, several kinds at once, and --no-headers.
	out = c.run("get", "ns/default", "svc/kubernetes", "--no-headers", "-o", "name")
	if out != "namespace/default\nservice/kubernetes\n" {
		t.Errorf("get ns/default svc/kubernetes -o name:\n%s", out)
	}
	out = c.run("get", "ns", "--no-headers", "-l", "kubernetes.io/metadata.name in (kube-system,kube-public)")
	if !regexp.MustCompile(`^kube-public\s+Active\s+\S+\nkube-system\s+Active\s+\S+\n$`).MatchString(out) {
		t.Errorf("get ns -l ... --no-headers:\n%s", out)
	}

	out = c.run("get", "endpointslices", "-n", "default")
	rows = wantHeader(t, out, "NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE")
	server, err := url.Parse(c.RESTConfig().Host)
	if err != nil {
		t.Fatal(err)
	}
	port := server.Port() // the kubernetes endpoints point at the apiserver itself
	wantRows(t, out, pick(t, out, rows, "NAME", "kubernetes"), []string{"NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS"}, []string{"kubernetes", "IPv4", port, "127.0.0.1"})
}

func TestKubectlGetNodes(t *testing.T) {
	c := startKubectlCluster(t)
	c.node("cp-1", "127.0.0.2", corev1.ConditionTrue, map[string]string{"node-role.kubernetes.io/control-plane": ""})
	c.node("worker-1", "127.0.0.3", corev1.ConditionFalse, map[string]string{"node-role.kubernetes.io/worker": "", "zone": "a"})
	c.node("worker-2", "127.0.0.4", "", map[string]string{"zone": "b"})
	c.run("cordon", "cp-1")

	out := c.run("get", "nodes")
	rows := wantHeader(t, out, "NAME", "STATUS", "ROLES", "AGE", "VERSION")
	wantRows(t, out, pick(t, out, rows, "NAME", "cp-1", "worker-1", "worker-2"), []string{"NAME", "STATUS", "ROLES", "VERSION"},
		[]string{"cp-1", "Ready,SchedulingDisabled", "control-plane", "v1.37.2"},
		[]string{"worker-1", "NotReady", "worker", "v1.37.2"},
		[]string{"worker-2", "Unknown", "<none>", "v1.37.2"})

	out = c.run("get", "nodes", "-o", "wide")
	rows = wantHeader(t, out, "NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME")
	wantRows(t, out, pick(t, out, rows, "NAME", "cp-1", "worker-1", "worker-2"), []string{"NAME", "INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"},
		// The kernel version carries the architecture since v1.35 (kubernetes#132402).
		[]string{"cp-1", "127.0.0.2", "<none>", "k1s loopback", "6.8.0 (amd64)", "k1s://0.1.0"},
		[]string{"worker-1", "127.0.0.3", "<none>", "k1s loopback", "6.8.0 (amd64)", "k1s://0.1.0"},
		[]string{"worker-2", "127.0.0.4", "<none>", "k1s loopback", "6.8.0 (amd64)", "k1s://0.1.0"})

	// Label columns, label and field selectors on a cluster-scoped resource.
	out = c.run("get", "no", "-L", "zone", "-l", "zone")
	rows = wantHeader(t, out, "NAME", "STATUS", "ROLES", "AGE", "VERSION", "ZONE")
	wantRows(t, out, rows, []string{"NAME", "ZONE"}, []string{"worker-1", "a"}, []string{"worker-2", "b"})
	if out := c.run("get", "nodes", "--field-selector", "spec.unschedulable=true", "-o", "name"); out != "node/cp-1\n" {
		t.Errorf("get nodes --field-selector spec.unschedulable=true:\n%s", out)
	}
	c.run("uncordon", "cp-1")
	if out := c.run("get", "node", "cp-1", "-o", "jsonpath={.spec.unschedulable}"); out != "" {
		t.Errorf("after uncordon, spec.unschedulable = %q", out)
	}
	out = c.run("get", "nodes", "cp-1", "worker-1", "worker-2", "-o", `jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}`)
	if out != "cp-1=True\nworker-1=False\nworker-2=\n" {
		t.Errorf("get nodes -o jsonpath ready:\n%s", out)
	}
}

func TestKubectlGetPods(t *testing.T) {
	c := startKubectlCluster(t)
	c.node("node-a", "127.0.0.2", corev1.ConditionTrue, nil)
	web := c.pod("default", "web", "node-a", map[string]string{"app": "web", "tier": "front"})
	c.running(web, "127.0.0.2", "10.244.0.5", true)
	api := c.pod("default", "api", "node-a", map[string]string{"app": "api", "tier": "back"}, func(p *corev1.Pod) {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "sidecar", Image: "busybox:1.36"})
		p.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: "example.com/lb-ready"}}
	})
	c.running(api, "127.0.0.2", "10.244.0.6", false)
	c.pod("default", "queued", "", map[string]string{"app": "batch"})

	out := c.run("get", "pods")
	rows := wantHeader(t, out, "NAME", "READY", "STATUS", "RESTARTS", "AGE")
	wantRows(t, out, rows, []string{"NAME", "READY", "STATUS", "RESTARTS"},
		[]string{"api", "0/2", "Running", "0"},
		[]string{"queued", "0/1", "Pending", "0"},
		[]string{"web", "1/1", "Running", "0"})

	out = c.run("get", "pods", "-o", "wide")
	rows = wantHeader(t, out, "NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES")
	wantRows(t, out, rows, []string{"NAME", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"},
		[]string{"api", "10.244.0.6", "node-a", "<none>", "0/1"},
		[]string{"queued", "<none>", "<none>", "<none>", "<none>"},
		[]string{"web", "10.244.0.5", "node-a", "<none>", "<none>"})

	out = c.run("get", "pods", "--show-labels")
	rows = wantHeader(t, out, "NAME", "READY", "STATUS", "RESTARTS", "AGE", "LABELS")
	wantRows(t, out, rows, []string{"NAME", "LABELS"},
		[]string{"api", "app=api,tier=back"}, []string{"queued", "app=batch"}, []string{"web", "app=web,tier=front"})

	if out := c.run("get", "pods", "-o", "name"); out != "pod/api\npod/queued\npod/web\n" {
		t.Errorf("get pods -o name:\n%s", out)
	}
	// Paginated lists (limit and continue) return the same.
	if out := c.run("get", "pods", "-o", "name", "--chunk-size=1"); out != "pod/api\npod/queued\npod/web\n" {
		t.Errorf("get pods --chunk-size=1:\n%s", out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-l", "app=web"}, "pod/web\n"},
		{[]string{"-l", "tier in (front,back)"}, "pod/api\npod/web\n"},
		{[]string{"-l", "!tier"}, "pod/queued\n"},
		{[]string{"-l", "tier!=front,app"}, "pod/api\npod/queued\n"},
		{[]string{"--field-selector", "spec.nodeName=node-a"}, "pod/api\npod/web\n"},
		{[]string{"--field-selector", "status.phase=Pending"}, "pod/queued\n"},
		{[]string{"--field-selector", "status.podIP=10.244.0.5"}, "pod/web\n"},
		{[]string{"--field-selector", "status.phase=Running,metadata.name!=web"}, "pod/api\n"},
		{[]string{"--field-selector", "status.phase=Running", "-l", "tier=front"}, "pod/web\n"},
	} {
		if out := c.run(append([]string{"get", "pods", "-o", "name"}, tc.args...)...); out != tc.want {
			t.Errorf("get pods %s:\n%s\nwant:\n%s", strings.Join(tc.args, " "), out, tc.want)
		}
	}
	r := c.fail("", 1, "get", "pods", "--field-selector", "spec.image=nginx")
	if !strings.Contains(r.Stderr, `field label not supported: spec.image`) {
		t.Errorf("unsupported field selector: stderr %q", r.Stderr)
	}

	// -o yaml of one pod: the stored object with upstream's defaults and the reported status.
	got := decodeYAML[*corev1.Pod](t, c.run("get", "pod", "web", "-o", "yaml"))
	if got.APIVersion != "v1" || got.Kind != "Pod" || got.Name != "web" || got.UID != web.UID {
		t.Errorf("-o yaml: %s %s %s %s", got.APIVersion, got.Kind, got.Name, got.UID)
	}
	ctr := got.Spec.Containers[0]
	if ctr.ImagePullPolicy != corev1.PullIfNotPresent || ctr.TerminationMessagePath != "/dev/termination-log" ||
		ctr.TerminationMessagePolicy != corev1.TerminationMessageReadFile {
		t.Errorf("-o yaml: container defaults %+v", ctr)
	}
	if got.Spec.RestartPolicy != corev1.RestartPolicyAlways || got.Spec.DNSPolicy != corev1.DNSClusterFirst ||
		got.Spec.SchedulerName != corev1.DefaultSchedulerName || ptr.Deref(got.Spec.TerminationGracePeriodSeconds, 0) != 30 {
		t.Errorf("-o yaml: pod spec defaults %+v", got.Spec)
	}
	if got.Status.Phase != corev1.PodRunning || got.Status.PodIP != "10.244.0.5" || got.Status.QOSClass != corev1.PodQOSBestEffort ||
		len(got.Status.PodIPs) != 1 || got.Status.PodIPs[0].IP != "10.244.0.5" {
		t.Errorf("-o yaml: status %+v", got.Status)
	}

	// -o json of a list is a v1 List of the items, in name order.
	var list struct {
		APIVersion string       `json:"apiVersion"`
		Kind       string       `json:"kind"`
		Items      []corev1.Pod `json:"items"`
	}
	if err := json.Unmarshal([]byte(c.run("get", "pods", "-o", "json")), &list); err != nil {
		t.Fatal(err)
	}
	if list.APIVersion != "v1" || list.Kind != "List" || len(list.Items) != 3 {
		t.Fatalf("-o json: %s %s with %d items", list.APIVersion, list.Kind, len(list.Items))
	}
	for i, name := range []string{"api", "queued", "web"} {
		if list.Items[i].Name != name || list.Items[i].Kind != "Pod" || list.Items[i].APIVersion != "v1" {
			t.Errorf("-o json item %d: %s %s %s", i, list.Items[i].APIVersion, list.Items[i].Kind, list.Items[i].Name)
		}
	}

	out = c.run("get", "pods", "-o", `jsonpath={range .items[*]}{.metadata.name} {.status.phase} {.spec.nodeName}{"\n"}{end}`)
	if out != "api Running node-a\nqueued Pending \nweb Running node-a\n" {
		t.Errorf("-o jsonpath:\n%s", out)
	}
	if out := c.run("get", "pod", "api", "-o", "jsonpath={.spec.containers[*].name}"); out != "app sidecar" {
		t.Errorf("-o jsonpath containers: %q", out)
	}
	out = c.run("get", "pods", "-o", "custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[0].image,QOS:.status.qosClass")
	rows = wantHeader(t, out, "NAME", "IMAGE", "QOS")
	wantRows(t, out, rows, []string{"NAME", "IMAGE", "QOS"},
		[]string{"api", "nginx:1.27", "BestEffort"}, []string{"queued", "nginx:1.27", "BestEffort"}, []string{"web", "nginx:1.27", "BestEffort"})

	// A pod being deleted shows Terminating: graceful deletion leaves it to its kubelet.
	c.run("delete", "pod", "web", "--wait=false")
	out = c.run("get", "pod", "web")
	rows = wantHeader(t, out, "NAME", "READY", "STATUS", "RESTARTS", "AGE")
	wantRows(t, out, rows, []string{"NAME", "READY", "STATUS"}, []string{"web", "1/1", "Terminating"})
}

// ---- describe ----

func TestKubectlDescribe(t *testing.T) {
	c := startKubectlCluster(t)
	node := c.node("node-a", "127.0.0.2", corev1.ConditionTrue, map[string]string{"node-role.kubernetes.io/worker": ""})
	now := metav1.NewMicroTime(time.Now())
	if _, err := c.Client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Create(c.ctx, &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "node-a"},
		Spec:       coordinationv1.LeaseSpec{HolderIdentity: ptr.To("node-a"), LeaseDurationSeconds: ptr.To[int32](40), RenewTime: &now},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	c.run("create", "namespace", "shop")
	c.run("label", "namespace", "shop", "team=payments")
	pod := c.pod("shop", "web", "node-a", map[string]string{"app": "web"}, func(p *corev1.Pod) {
		p.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}}
		p.Spec.Containers[0].Resources = corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("400m"), corev1.ResourceMemory: resource.MustParse("1Gi")},
			Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("400m"), corev1.ResourceMemory: resource.MustParse("1Gi")},
		}
		p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "MODE", Value: "prod"}}
	})
	pod = c.running(pod, "127.0.0.2", "10.244.0.7", true)
	c.event(pod, "Pod", "Scheduled", "Successfully assigned shop/web to node-a", corev1.EventTypeNormal, "default-scheduler")
	c.event(pod, "Pod", "BackOff", "Back-off pulling image", corev1.EventTypeWarning, "kubelet")
	c.event(node, "Node", "NodeReady", "Node node-a status is now: NodeReady", corev1.EventTypeNormal, "kubelet")
	if _, err := c.Client.CoreV1().Services("shop").Create(c.ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", Labels: map[string]string{"app": "web"}},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{
			Name: "http", Port: 80, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP,
		}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc, err := c.Client.CoreV1().Services("shop").Get(c.ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c.event(svc, "Service", "Updated", "Service web updated", corev1.EventTypeNormal, "test")

	t.Run("pod", func(t *testing.T) {
		c := c.in(t)
		out := c.run("describe", "pod", "web", "-n", "shop")
		for key, want := range map[string]string{
			"Name": "web", "Namespace": "shop", "Node": "node-a/127.0.0.2", "Labels": "app=web", "Annotations": "<none>",
			"Status": "Running", "IP": "10.244.0.7", "QoS Class": "Guaranteed",
		} {
			if got := describeField(t, out, key); got != want {
				t.Errorf("describe pod %s: %q, want %q", key, got, want)
			}
		}
		wantLines(t, out,
			`IPs:`, `  IP:\s+10\.244\.0\.7`,
			`Containers:`, `  app:`,
			`    Container ID:\s+k1s://web-app`,
			`    Image:\s+nginx:1\.27`,
			`    Port:\s+8080/TCP \(http\)`,
			`    State:\s+Running`,
			`    Ready:\s+True`,
			`    Restart Count:\s+0`,
			`      cpu:\s+400m`,
			`      memory:\s+1Gi`,
			`      MODE:\s+prod`,
			`Conditions:`,
			`  Type\s+Status`,
			`  PodScheduled\s+True\s*`,
			`  Ready\s+True\s*`,
			`Events:`,
			`  Type\s+Reason\s+Age\s+From\s+Message`,
			`  ----\s+------\s+----\s+----\s+-------`,
			`  Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned shop/web to node-a`,
			`  Warning\s+BackOff\s+\S+\s+kubelet\s+Back-off pulling image`,
		)
	})

	t.Run("node", func(t *testing.T) {
		c := c.in(t)
		out := c.run("describe", "node", "node-a")
		for key, want := range map[string]string{
			"Name": "node-a", "Roles": "worker", "Taints": "<none>", "Unschedulable": "false",
		} {
			if got := describeField(t, out, key); got != want {
				t.Errorf("describe node %s: %q, want %q", key, got, want)
			}
		}
		wantLines(t, out,
			`Labels:\s+node-role\.kubernetes\.io/worker=`,
			`Lease:`,
			`  HolderIdentity:\s+node-a`,
			`  AcquireTime:\s+<unset>`,
			`  RenewTime:\s+.+`,
			`  Type\s+Status\s+LastHeartbeatTime\s+LastTransitionTime\s+Reason\s+Message`,
			`  Ready\s+True\s+.+\s+KubeletReady\s+kubelet is posting ready status`,
			`Addresses:`, `  InternalIP:\s+127\.0\.0\.2`, `  Hostname:\s+node-a`,
			`Capacity:`, `  cpu:\s+4`, `  memory:\s+8Gi`, `  pods:\s+110`,
			`  Kernel Version:\s+6\.8\.0`,
			`  Kubelet Version:\s+v1\.37\.2`,
			`Non-terminated Pods:\s+\(1 in total\)`,
			`  Namespace\s+Name\s+CPU Requests\s+CPU Limits\s+Memory Requests\s+Memory Limits\s+Age`,
			`  shop\s+web\s+400m \(10%\)\s+400m \(10%\)\s+1Gi \(12%\)\s+1Gi \(12%\)\s+\S+`,
			`  cpu\s+400m \(10%\)\s+400m \(10%\)`,
			`  memory\s+1Gi \(12%\)\s+1Gi \(12%\)`,
			`Events:`,
			`  Normal\s+NodeReady\s+\S+\s+kubelet\s+Node node-a status is now: NodeReady`,
		)
	})

	t.Run("namespace", func(t *testing.T) {
		c := c.in(t)
		out := c.run("describe", "namespace", "shop")
		wantLines(t, out,
			`Name:         shop`,
			`Labels:       kubernetes\.io/metadata\.name=shop`,
			`              team=payments`,
			`Annotations:  <none>`,
			`Status:       Active`,
		)
	})

	t.Run("service", func(t *testing.T) {
		c := c.in(t)
		out := c.run("describe", "service", "web", "-n", "shop")
		for key, want := range map[string]string{
			"Name": "web", "Namespace": "shop", "Labels": "app=web", "Selector": "app=web", "Type": "ClusterIP",
			"IP Family Policy": "SingleStack", "IP Families": "IPv4", "IP": svc.Spec.ClusterIP, "IPs": svc.Spec.ClusterIP,
			"Port": "http  80/TCP", "TargetPort": "http/TCP", "Session Affinity": "None", "Internal Traffic Policy": "Cluster",
		} {
			if got := describeField(t, out, key); got != want {
				t.Errorf("describe service %s: %q, want %q", key, got, want)
			}
		}
		wantLines(t, out, `Events:`, `  Normal\s+Updated\s+\S+\s+test\s+Service web updated`)
	})
}

// ---- apply, diff ----

// shopManifest is a multi-document manifest; color and the pod's tier label vary.
func shopManifest(color, tier string) string {
	return `apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  color: ` + color + `
  size: L
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: 8080
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  labels:
    app: web
    tier: ` + tier + `
spec:
  containers:
  - name: nginx
    image: nginx:1.27
    ports:
    - containerPort: 8080
`
}

func TestKubectlApply(t *testing.T) {
	c := startKubectlCluster(t)

	out, _ := c.runIn(shopManifest("blue", "front"), "apply", "-f", "-")
	if want := "namespace/shop created\nconfigmap/settings created\nservice/web created\npod/web created\n"; out != want {
		t.Errorf("first apply:\n%s\nwant:\n%s", out, want)
	}
	out, _ = c.runIn(shopManifest("blue", "front"), "apply", "-f", "-")
	if want := "namespace/shop unchanged\nconfigmap/settings unchanged\nservice/web unchanged\npod/web unchanged\n"; out != want {
		t.Errorf("second apply:\n%s\nwant:\n%s", out, want)
	}
	cm, err := c.Client.CoreV1().ConfigMaps("shop").Get(c.ctx, "settings", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data["color"] != "blue" || !strings.Contains(cm.Annotations[corev1.LastAppliedConfigAnnotation], `"color":"blue"`) {
		t.Errorf("applied configmap: data %v, annotations %v", cm.Data, cm.Annotations)
	}
	svc, err := c.Client.CoreV1().Services("shop").Get(c.ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Spec.ClusterIP == "" || svc.Spec.Ports[0].Protocol != corev1.ProtocolTCP || svc.Spec.Type != corev1.ServiceTypeClusterIP {
		t.Errorf("applied service not defaulted: %+v", svc.Spec)
	}

	// No difference: diff prints nothing and exits 0.
	if out, _ := c.runIn(shopManifest("blue", "front"), "diff", "-f", "-"); out != "" {
		t.Errorf("diff of the applied manifest:\n%s", out)
	}
	// A difference: diff prints a unified diff of the live and the merged object and exits 1.
	r := c.fail(shopManifest("red", "back"), 1, "diff", "-f", "-")
	wantLines(t, r.Stdout,
		`diff -u -N \S+/v1\.ConfigMap\.shop\.settings \S+/v1\.ConfigMap\.shop\.settings`,
		`-  color: blue`, `\+  color: red`,
		`diff -u -N \S+/v1\.Pod\.shop\.web \S+/v1\.Pod\.shop\.web`,
		`-    tier: front`, `\+    tier: back`,
	)
	if strings.Contains(r.Stdout, "v1.Service.") || strings.Contains(r.Stdout, "v1.Namespace.") {
		t.Errorf("diff shows unchanged objects:\n%s", r.Stdout)
	}
	// diff changed nothing.
	if got := c.run("get", "cm", "settings", "-n", "shop", "-o", "jsonpath={.data.color}"); got != "blue" {
		t.Errorf("after diff, color = %q", got)
	}

	// A server dry run reports the change without making it.
	out, _ = c.runIn(shopManifest("red", "front"), "apply", "--dry-run=server", "-f", "-")
	wantLines(t, out, `configmap/settings configured \(server dry run\)`)
	if got := c.run("get", "cm", "settings", "-n", "shop", "-o", "jsonpath={.data.color}"); got != "blue" {
		t.Errorf("after a dry run, color = %q", got)
	}

	out, _ = c.runIn(shopManifest("red", "back"), "apply", "-f", "-")
	if want := "namespace/shop unchanged\nconfigmap/settings configured\nservice/web unchanged\npod/web configured\n"; out != want {
		t.Errorf("apply of the changed manifest:\n%s\nwant:\n%s", out, want)
	}
	if got := c.run("get", "cm/settings", "pod/web", "-n", "shop", "-o", `jsonpath={.items[0].data.color} {.items[1].metadata.labels.tier}`); got != "red back" {
		t.Errorf("after apply: %q, want %q", got, "red back")
	}
	if _, err := c.runIn(shopManifest("red", "back"), "diff", "-f", "-"); err != "" {
		t.Errorf("diff after apply: stderr %q", err)
	}

	// A key dropped from the manifest is removed: client-side apply's three-way merge.
	manifest := strings.Replace(shopManifest("red", "back"), "  size: L\n", "", 1)
	out, _ = c.runIn(manifest, "apply", "-f", "-")
	wantLines(t, out, `configmap/settings configured`)
	cm, err = c.Client.CoreV1().ConfigMaps("shop").Get(c.ctx, "settings", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cm.Data) != 1 || cm.Data["color"] != "red" {
		t.Errorf("after dropping size: data %v", cm.Data)
	}
	// Keys another writer added stay: they are not in the last applied configuration.
	c.run("patch", "cm", "settings", "-n", "shop", "-p", `{"data":{"owner":"ops"}}`)
	c.runIn(manifest, "apply", "-f", "-")
	if got := c.run("get", "cm", "settings", "-n", "shop", "-o", "jsonpath={.data}"); got != `{"color":"red","owner":"ops"}` {
		t.Errorf("after re-apply: data %s", got)
	}
}

func TestKubectlServerSideApply(t *testing.T) {
	c := startKubectlCluster(t)
	manifest := func(color string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: " + color + "\n"
	}

	out, _ := c.runIn(manifest("blue"), "apply", "--server-side", "-f", "-")
	if out != "configmap/settings serverside-applied\n" {
		t.Errorf("server-side apply: %q", out)
	}
	managers := func() map[string]metav1.ManagedFieldsEntry {
		t.Helper()
		cm := decodeYAML[*corev1.ConfigMap](t, c.run("get", "cm", "settings", "-o", "json", "--show-managed-fields"))
		m := map[string]metav1.ManagedFieldsEntry{}
		for _, e := range cm.ManagedFields {
			m[e.Manager] = e
		}
		return m
	}
	m := managers()
	if e, ok := m["kubectl"]; !ok || e.Operation != metav1.ManagedFieldsOperationApply || !strings.Contains(string(e.FieldsV1.Raw), `"f:color"`) {
		t.Errorf("managed fields after server-side apply: %+v", m)
	}
	// Managed fields are hidden by default, as upstream kubectl hides them.
	if out := c.run("get", "cm", "settings", "-o", "yaml"); strings.Contains(out, "managedFields") {
		t.Errorf("-o yaml shows managedFields:\n%s", out)
	}

	// Another manager setting the same field conflicts...
	r := c.fail(manifest("green"), 1, "apply", "--server-side", "--field-manager=deployer", "-f", "-")
	if !strings.Contains(r.Stderr, `Apply failed with 1 conflict: conflict with "kubectl": .data.color`) ||
		!strings.Contains(r.Stderr, "--force-conflicts") {
		t.Errorf("conflicting server-side apply: stderr:\n%s", r.Stderr)
	}
	if got := c.run("get", "cm", "settings", "-o", "jsonpath={.data.color}"); got != "blue" {
		t.Errorf("after a conflict, color = %q", got)
	}
	// ... and server-side diff shows what forcing would change.
	r = c.fail(manifest("green"), 1, "diff", "--server-side", "--force-conflicts", "--field-manager=deployer", "-f", "-")
	wantLines(t, r.Stdout, `-  color: blue`, `\+  color: green`)

	// --force-conflicts takes the field over.
	out, _ = c.runIn(manifest("green"), "apply", "--server-side", "--force-conflicts", "--field-manager=deployer", "-f", "-")
	if out != "configmap/settings serverside-applied\n" {
		t.Errorf("forced server-side apply: %q", out)
	}
	if got := c.run("get", "cm", "settings", "-o", "jsonpath={.data.color}"); got != "green" {
		t.Errorf("after forcing, color = %q", got)
	}
	m = managers()
	if e, ok := m["deployer"]; !ok || !strings.Contains(string(e.FieldsV1.Raw), `"f:color"`) {
		t.Errorf("deployer does not own color: %+v", m)
	}
	if e, ok := m["kubectl"]; ok && strings.Contains(string(e.FieldsV1.Raw), `"f:color"`) {
		t.Errorf("kubectl still owns color: %+v", m)
	}

	// Applying a manifest without a field its manager owned alone removes it.
	out, _ = c.runIn("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  size: L\n", "apply", "--server-side", "--field-manager=sizer", "-f", "-")
	if out != "configmap/settings serverside-applied\n" {
		t.Errorf("server-side apply of size: %q", out)
	}
	c.runIn("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n", "apply", "--server-side", "--field-manager=sizer", "-f", "-")
	if got := c.run("get", "cm", "settings", "-o", "jsonpath={.data}"); got != `{"color":"green"}` {
		t.Errorf("after sizer dropped size: data %s", got)
	}

	// Server-side apply of a pod: status and other server-owned fields stay out of its
	// managed fields (reset fields).
	c.runIn("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: app\n    image: nginx:1.27\n", "apply", "--server-side", "-f", "-")
	pod := decodeYAML[*corev1.Pod](t, c.run("get", "pod", "web", "-o", "yaml", "--show-managed-fields"))
	for _, e := range pod.ManagedFields {
		if e.Manager == "kubectl" && strings.Contains(string(e.FieldsV1.Raw), `"f:status"`) {
			t.Errorf("kubectl's apply owns status: %s", e.FieldsV1.Raw)
		}
	}
	if pod.Status.Phase != corev1.PodPending || pod.Spec.Containers[0].ImagePullPolicy != corev1.PullIfNotPresent {
		t.Errorf("server-side applied pod: phase %q, pull policy %q", pod.Status.Phase, pod.Spec.Containers[0].ImagePullPolicy)
	}
}

// ---- patch, label, annotate ----

func TestKubectlPatchLabelAnnotate(t *testing.T) {
	c := startKubectlCluster(t)
	c.node("node-a", "127.0.0.2", corev1.ConditionTrue, nil)
	c.run("create", "configmap", "settings", "--from-literal=color=blue")
	c.pod("default", "web", "", map[string]string{"app": "web"}, func(p *corev1.Pod) {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "sidecar", Image: "busybox:1.36"})
	})
	c.pod("default", "api", "", map[string]string{"app": "api"})

	if out := c.run("patch", "cm", "settings", "--type", "merge", "-p", `{"data":{"size":"L"}}`); out != "configmap/settings patched\n" {
		t.Errorf("merge patch: %q", out)
	}
	if out := c.run("patch", "cm", "settings", "--type", "merge", "-p", `{"data":{"size":"L"}}`); out != "configmap/settings patched (no change)\n" {
		t.Errorf("merge patch without change: %q", out)
	}
	c.run("patch", "cm", "settings", "--type", "json", "-p", `[{"op":"replace","path":"/data/color","value":"red"},{"op":"remove","path":"/data/size"}]`)
	if got := c.run("get", "cm", "settings", "-o", "jsonpath={.data}"); got != `{"color":"red"}` {
		t.Errorf("after json patch: %s", got)
	}
	r := c.fail("", 1, "patch", "cm", "settings", "--type", "json", "-p", `[{"op":"test","path":"/data/color","value":"blue"}]`)
	if r.Stderr != "The request is invalid: the server rejected our request due to an error in our request\n" {
		t.Errorf("failed json patch test: stderr %q", r.Stderr)
	}

	// Strategic merge patches a container by name and keeps the others; a JSON merge
	// patch of the same list replaces it, dropping the sidecar, which pod validation forbids.
	if out := c.run("patch", "pod", "web", "-p", `{"spec":{"containers":[{"name":"app","image":"nginx:1.28"}]}}`); out != "pod/web patched\n" {
		t.Errorf("strategic patch: %q", out)
	}
	if got := c.run("get", "pod", "web", "-o", "jsonpath={.spec.containers[*].image}"); got != "nginx:1.28 busybox:1.36" {
		t.Errorf("after strategic patch, images %q", got)
	}
	if out := c.run("set", "image", "pod/web", "sidecar=busybox:1.37"); out != "pod/web image updated\n" {
		t.Errorf("set image: %q", out)
	}
	if got := c.run("get", "pod", "web", "-o", "jsonpath={.spec.containers[*].image}"); got != "nginx:1.28 busybox:1.37" {
		t.Errorf("after set image, images %q", got)
	}
	r = c.fail("", 1, "patch", "pod", "web", "--type", "merge", "-p", `{"spec":{"containers":[{"name":"app","image":"nginx:1.29"}]}}`)
	if r.Stderr != "The Pod \"web\" is invalid: spec.containers: Forbidden: pod updates may not add or remove containers\n" {
		t.Errorf("merge patch of containers: stderr %q", r.Stderr)
	}

	// The status subresource, patched as a kubelet would.
	out := c.run("patch", "node", "node-a", "--subresource=status", "-p",
		`{"status":{"conditions":[{"type":"Ready","status":"False","reason":"KubeletNotReady","message":"PLEG is not healthy"}]}}`)
	if out != "node/node-a patched\n" {
		t.Errorf("status patch: %q", out)
	}
	rows := wantHeader(t, c.run("get", "node", "node-a"), "NAME", "STATUS", "ROLES", "AGE", "VERSION")
	if rows[0]["STATUS"] != "NotReady" {
		t.Errorf("after status patch, node is %s", rows[0]["STATUS"])
	}
	// The main resource ignores status.
	c.run("patch", "node", "node-a", "-p", `{"status":{"conditions":[{"type":"Ready","status":"True"}]}}`)
	if got := c.run("get", "node", "node-a", "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`); got != "False" {
		t.Errorf("a patch of the main resource changed status: Ready = %s", got)
	}

	// Labels.
	if out := c.run("label", "pod", "web", "tier=front"); out != "pod/web labeled\n" {
		t.Errorf("label: %q", out)
	}
	r = c.fail("", 1, "label", "pod", "web", "tier=back")
	if !strings.Contains(r.Stderr, "error: 'tier' already has a value (front), and --overwrite is false") {
		t.Errorf("label without --overwrite: stderr %q", r.Stderr)
	}
	c.run("label", "pod", "web", "tier=back", "--overwrite")
	// --list prints in map order, as upstream.
	if out := strings.Fields(c.run("label", "pod", "web", "--list")); !slices.Equal(slices.Sorted(slices.Values(out)), []string{"app=web", "tier=back"}) {
		t.Errorf("label --list: %q", out)
	}
	if out := c.run("label", "pods", "-l", "app", "env=prod"); out != "pod/api labeled\npod/web labeled\n" {
		t.Errorf("label -l: %q", out)
	}
	if out := c.run("get", "pods", "-l", "env=prod,tier=back", "-o", "name"); out != "pod/web\n" {
		t.Errorf("get by the new labels: %q", out)
	}
	if out := c.run("label", "pod", "web", "tier-"); out != "pod/web unlabeled\n" {
		t.Errorf("label removal: %q", out)
	}
	if got := c.run("get", "pod", "web", "-o", "jsonpath={.metadata.labels}"); got != `{"app":"web","env":"prod"}` {
		t.Errorf("labels after removal: %s", got)
	}
	c.run("label", "node", "node-a", "node-role.kubernetes.io/worker=")
	rows = wantHeader(t, c.run("get", "node", "node-a"), "NAME", "STATUS", "ROLES", "AGE", "VERSION")
	if rows[0]["ROLES"] != "worker" {
		t.Errorf("node roles after labelling: %s", rows[0]["ROLES"])
	}

	// Annotations.
	if out := c.run("annotate", "pod", "web", "owner=alice", "description=front end"); out != "pod/web annotated\n" {
		t.Errorf("annotate: %q", out)
	}
	r = c.fail("", 1, "annotate", "pod", "web", "owner=bob")
	if !strings.Contains(r.Stderr, "error: --overwrite is false but found the following declared annotation(s): 'owner' already has a value (alice)") {
		t.Errorf("annotate without --overwrite: stderr %q", r.Stderr)
	}
	c.run("annotate", "pod", "web", "owner=bob", "--overwrite")
	c.run("annotate", "pod", "web", "description-")
	if got := c.run("get", "pod", "web", "-o", "jsonpath={.metadata.annotations}"); got != `{"owner":"bob"}` {
		t.Errorf("annotations: %s", got)
	}
	wantLines(t, c.run("describe", "pod", "web"), `Annotations:\s+owner: bob`)
}

// ---- create, delete ----

func TestKubectlCreate(t *testing.T) {
	c := startKubectlCluster(t)

	if out := c.run("create", "namespace", "team-a"); out != "namespace/team-a created\n" {
		t.Errorf("create namespace: %q", out)
	}
	if out := c.run("create", "configmap", "settings", "-n", "team-a", "--from-literal=color=blue", "--from-literal=size=L"); out != "configmap/settings created\n" {
		t.Errorf("create configmap: %q", out)
	}
	if out := c.run("create", "secret", "generic", "creds", "-n", "team-a", "--from-literal=user=admin", "--from-literal=password=s3cr3t"); out != "secret/creds created\n" {
		t.Errorf("create secret generic: %q", out)
	}
	c.run("create", "secret", "generic", "basic", "-n", "team-a", "--type=kubernetes.io/basic-auth", "--from-literal=username=u", "--from-literal=password=p")
	if out := c.run("create", "serviceaccount", "robot", "-n", "team-a"); out != "serviceaccount/robot created\n" {
		t.Errorf("create serviceaccount: %q", out)
	}

	out := c.run("get", "configmaps,secrets,serviceaccounts", "-n", "team-a")
	tables := strings.Split(out, "\n\n")
	if len(tables) != 3 {
		t.Fatalf("get configmaps,secrets,serviceaccounts:\n%s", out)
	}
	// Controllers to come add a kube-root-ca.crt configmap and a default service account to
	// every namespace: look at ours only.
	rows := wantHeader(t, tables[0], "NAME", "DATA", "AGE")
	wantRows(t, tables[0], pick(t, out, rows, "NAME", "configmap/settings"), []string{"NAME", "DATA"}, []string{"configmap/settings", "2"})
	rows = wantHeader(t, tables[1], "NAME", "TYPE", "DATA", "AGE")
	wantRows(t, tables[1], pick(t, out, rows, "NAME", "secret/basic", "secret/creds"), []string{"NAME", "TYPE", "DATA"},
		[]string{"secret/basic", "kubernetes.io/basic-auth", "2"}, []string{"secret/creds", "Opaque", "2"})
	rows = wantHeader(t, tables[2], "NAME", "AGE")
	pick(t, out, rows, "NAME", "serviceaccount/robot")

	if got := c.run("get", "secret", "creds", "-n", "team-a", "-o", "jsonpath={.data.password}"); got != "czNjcjN0" {
		t.Errorf("secret data: %q", got)
	}
	cm := decodeYAML[*corev1.ConfigMap](t, c.run("get", "cm", "settings", "-n", "team-a", "-o", "yaml"))
	if cm.Data["color"] != "blue" || cm.Data["size"] != "L" {
		t.Errorf("configmap data %v", cm.Data)
	}
	if got := c.run("get", "secrets", "-n", "team-a", "--field-selector", "type=kubernetes.io/basic-auth", "-o", "name"); got != "secret/basic\n" {
		t.Errorf("secrets by type: %q", got)
	}

	// create -f -, and the errors of a second create.
	pod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: team-a\nspec:\n  containers:\n  - name: app\n    image: nginx:1.27\n"
	if out, _ := c.runIn(pod, "create", "-f", "-"); out != "pod/web created\n" {
		t.Errorf("create -f -: %q", out)
	}
	r := c.fail(pod, 1, "create", "-f", "-")
	if !strings.Contains(r.Stderr, `Error from server (AlreadyExists): error when creating "STDIN": pods "web" already exists`) {
		t.Errorf("second create -f -: stderr %q", r.Stderr)
	}
	r = c.fail("", 1, "create", "configmap", "settings", "-n", "team-a")
	if !strings.Contains(r.Stderr, `error: failed to create configmap: configmaps "settings" already exists`) {
		t.Errorf("second create configmap: stderr %q", r.Stderr)
	}
	r = c.fail("", 1, "create", "configmap", "x", "-n", "no-such-ns")
	if !strings.Contains(r.Stderr, `error: failed to create configmap: namespaces "no-such-ns" not found`) {
		t.Errorf("create in a missing namespace: stderr %q", r.Stderr)
	}

	// replace, and replace --force (delete, then create).
	cmManifest := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: team-a\ndata:\n  color: "
	if out, _ := c.runIn(cmManifest+"red\n", "replace", "-f", "-"); out != "configmap/settings replaced\n" {
		t.Errorf("replace -f -: %q", out)
	}
	if got := c.run("get", "cm", "settings", "-n", "team-a", "-o", "jsonpath={.data}"); got != `{"color":"red"}` {
		t.Errorf("after replace: data %s", got)
	}
	uid := c.run("get", "cm", "settings", "-n", "team-a", "-o", "jsonpath={.metadata.uid}")
	if out, _ := c.runIn(cmManifest+"green\n", "replace", "--force", "-f", "-"); out != "configmap \"settings\" deleted from team-a namespace\nconfigmap/settings replaced\n" {
		t.Errorf("replace --force -f -: %q", out)
	}
	if got := c.run("get", "cm", "settings", "-n", "team-a", "-o", "jsonpath={.data.color} {.metadata.uid}"); got == "green "+uid || !strings.HasPrefix(got, "green ") {
		t.Errorf("after replace --force: color and uid %q (old uid %s)", got, uid)
	}

	// run and expose: a pod, and a service selecting it by its labels.
	if out := c.run("run", "nginx", "-n", "team-a", "--image=nginx:1.27", "--port=8080"); out != "pod/nginx created\n" {
		t.Errorf("run: %q", out)
	}
	if out := c.run("expose", "pod", "nginx", "-n", "team-a", "--port=80", "--target-port=8080"); out != "service/nginx exposed\n" {
		t.Errorf("expose: %q", out)
	}
	out = c.run("get", "svc", "nginx", "-n", "team-a", "-o", "wide")
	rows = wantHeader(t, out, "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR")
	wantRows(t, out, rows, []string{"NAME", "TYPE", "EXTERNAL-IP", "PORT(S)", "SELECTOR"}, []string{"nginx", "ClusterIP", "<none>", "80/TCP", "run=nginx"})
	if ip := rows[0]["CLUSTER-IP"]; !strings.HasPrefix(ip, "10.") {
		t.Errorf("exposed service cluster IP %q not from 10.96.0.0/12", ip)
	}
	if got := c.run("get", "svc", "nginx", "-n", "team-a", "-o", "jsonpath={.spec.ports[0].targetPort}"); got != "8080" {
		t.Errorf("exposed service target port %q", got)
	}

	// A server dry run returns the object as it would be stored, without storing it.
	out = c.run("create", "serviceaccount", "ghost", "-n", "team-a", "--dry-run=server", "-o", "jsonpath={.metadata.namespace}/{.metadata.name}")
	if out != "team-a/ghost" {
		t.Errorf("server dry run: %q", out)
	}
	if _, err := c.Client.CoreV1().ServiceAccounts("team-a").Get(c.ctx, "ghost", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("dry run created the service account: %v", err)
	}
}

func TestKubectlDelete(t *testing.T) {
	c := startKubectlCluster(t)
	c.node("node-a", "127.0.0.2", corev1.ConditionTrue, nil)
	for _, name := range []string{"a", "b", "c"} {
		group := "one"
		if name == "c" {
			group = "two"
		}
		c.run("create", "configmap", name, "--from-literal=k=v")
		c.run("label", "configmap", name, "group="+group)
	}

	if out := c.run("delete", "configmap", "a"); out != "configmap \"a\" deleted from default namespace\n" {
		t.Errorf("delete by name: %q", out)
	}
	if out := c.run("delete", "cm", "-l", "group in (one,two)"); out != "configmap \"b\" deleted from default namespace\nconfigmap \"c\" deleted from default namespace\n" {
		t.Errorf("delete -l: %q", out)
	}
	if out := c.run("get", "cm", "-l", "group", "-o", "name"); out != "" {
		t.Errorf("left after delete -l: %q", out)
	}
	r := c.fail("", 1, "delete", "configmap", "a")
	if !strings.Contains(r.Stderr, `Error from server (NotFound): configmaps "a" not found`) {
		t.Errorf("delete of a missing object: stderr %q", r.Stderr)
	}
	if out := c.run("delete", "configmap", "a", "--ignore-not-found"); out != "" {
		t.Errorf("delete --ignore-not-found: %q", out)
	}

	// delete -f - deletes what a manifest names.
	manifest := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m1\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: m2\nspec:\n  ports:\n  - port: 80\n"
	c.runIn(manifest, "create", "-f", "-")
	if out, _ := c.runIn(manifest, "delete", "-f", "-"); out != "configmap \"m1\" deleted from default namespace\nservice \"m2\" deleted from default namespace\n" {
		t.Errorf("delete -f -: %q", out)
	}
	if _, err := c.Client.CoreV1().Services("default").Get(c.ctx, "m2", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("service after delete -f -: %v", err)
	}

	// A pod on no node goes at once; kubectl waits for it to be gone.
	c.pod("default", "unbound", "", nil)
	if out := c.run("delete", "pod", "unbound"); out != "pod \"unbound\" deleted from default namespace\n" {
		t.Errorf("delete of an unbound pod: %q", out)
	}

	// A pod on a node is deleted gracefully: it stays, Terminating, until its kubelet
	// confirms, which --force --grace-period=0 does not wait for.
	bound := c.pod("default", "bound", "node-a", nil)
	c.running(bound, "127.0.0.2", "10.244.0.9", true)
	c.run("delete", "pod", "bound", "--wait=false")
	got, err := c.Client.CoreV1().Pods("default").Get(c.ctx, "bound", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("gracefully deleted pod is gone at once: %v", err)
	}
	if got.DeletionTimestamp == nil || ptr.Deref(got.DeletionGracePeriodSeconds, 0) != 30 {
		t.Errorf("graceful deletion: timestamp %v, grace %v", got.DeletionTimestamp, got.DeletionGracePeriodSeconds)
	}
	out, stderr := c.runIn("", "delete", "pod", "bound", "--grace-period=0", "--force")
	if out != "pod \"bound\" force deleted from default namespace\n" {
		t.Errorf("forced delete: %q", out)
	}
	if !strings.Contains(stderr, "Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.") {
		t.Errorf("forced delete: stderr %q", stderr)
	}
	if _, err := c.Client.CoreV1().Pods("default").Get(c.ctx, "bound", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("pod after forced delete: %v", err)
	}

	// A namespace goes Terminating; emptying it is the namespace controller's job.
	c.run("create", "namespace", "doomed")
	if out := c.run("delete", "namespace", "doomed", "--wait=false"); out != "namespace \"doomed\" deleted\n" {
		t.Errorf("delete namespace: %q", out)
	}
	rows := wantHeader(t, c.run("get", "ns", "doomed"), "NAME", "STATUS", "AGE")
	if rows[0]["STATUS"] != "Terminating" {
		t.Errorf("deleted namespace is %s", rows[0]["STATUS"])
	}
	r = c.fail("", 1, "create", "configmap", "late", "-n", "doomed")
	if !strings.Contains(r.Stderr, `because it is being terminated`) {
		t.Errorf("create in a terminating namespace: stderr %q", r.Stderr)
	}
	r = c.fail("", 1, "delete", "namespace", "kube-system", "--wait=false")
	if !strings.Contains(r.Stderr, `Error from server (Forbidden): namespaces "kube-system" is forbidden: this namespace may not be deleted`) {
		t.Errorf("delete kube-system: stderr %q", r.Stderr)
	}
}

// ---- explain, discovery, version ----

func TestKubectlExplainAndDiscovery(t *testing.T) {
	c := startKubectlCluster(t)

	out := c.run("explain", "pods.spec.containers")
	wantLines(t, out,
		`KIND:       Pod`, `VERSION:    v1`,
		`FIELD: containers <\[\]Container>`,
		`DESCRIPTION:`,
		`    List of containers belonging to the pod\. Containers cannot currently be`,
		`FIELDS:`,
		"  image\t<string>",
		"  name\t<string> -required-",
		"  imagePullPolicy\t<string>",
		`  enum: Always, IfNotPresent, Never`,
		"  ports\t<\\[\\]ContainerPort>",
		"  resources\t<ResourceRequirements>",
	)
	out = c.run("explain", "nodes.status.conditions")
	wantLines(t, out,
		`KIND:       Node`, `VERSION:    v1`,
		`FIELD: conditions <\[\]NodeCondition>`,
		`    NodeCondition contains condition information for a node\.`,
		"  lastHeartbeatTime\t<string>",
		`    Last time we got an update on a given condition\.`,
		"  status\t<string> -required-",
		"  type\t<string> -required-",
	)
	out = c.run("explain", "events", "--api-version=events.k8s.io/v1")
	wantLines(t, out, `GROUP:      events\.k8s\.io`, `KIND:       Event`, `VERSION:    v1`, "  regarding\t<ObjectReference>", "  note\t<string>")
	out = c.run("explain", "leases.spec")
	wantLines(t, out, `GROUP:      coordination\.k8s\.io`, `KIND:       Lease`, "  holderIdentity\t<string>", "  renewTime\t<string>")
	r := c.fail("", 1, "explain", "pods.spec.nosuchfield")
	if !strings.Contains(r.Stderr, `field "nosuchfield" does not exist`) {
		t.Errorf("explain of a missing field: stderr %q", r.Stderr)
	}

	out = c.run("api-resources")
	rows := wantHeader(t, out, "NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND")
	// Keyed by kind and version: events are served twice. Other stages add more groups.
	for _, row := range rows {
		row["KEY"] = row["KIND"] + "." + row["APIVERSION"]
	}
	wantRows(t, out, pick(t, out, rows, "KEY", "ConfigMap.v1", "Endpoints.v1", "Event.v1", "Namespace.v1", "Node.v1", "Pod.v1", "Secret.v1",
		"ServiceAccount.v1", "Service.v1", "Lease.coordination.k8s.io/v1", "EndpointSlice.discovery.k8s.io/v1", "Event.events.k8s.io/v1"),
		[]string{"NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"},
		[]string{"configmaps", "cm", "v1", "true", "ConfigMap"},
		[]string{"endpoints", "ep", "v1", "true", "Endpoints"},
		[]string{"events", "ev", "v1", "true", "Event"},
		[]string{"namespaces", "ns", "v1", "false", "Namespace"},
		[]string{"nodes", "no", "v1", "false", "Node"},
		[]string{"pods", "po", "v1", "true", "Pod"},
		[]string{"secrets", "", "v1", "true", "Secret"},
		[]string{"serviceaccounts", "sa", "v1", "true", "ServiceAccount"},
		[]string{"services", "svc", "v1", "true", "Service"},
		[]string{"leases", "", "coordination.k8s.io/v1", "true", "Lease"},
		[]string{"endpointslices", "", "discovery.k8s.io/v1", "true", "EndpointSlice"},
		[]string{"events", "ev", "events.k8s.io/v1", "true", "Event"},
	)
	out = c.run("api-resources", "-o", "wide", "--api-group=")
	rows = wantHeader(t, out, "NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND", "VERBS", "CATEGORIES")
	for _, row := range rows {
		if row["NAME"] == "pods" {
			if row["VERBS"] != "create,delete,deletecollection,get,list,patch,update,watch" || row["CATEGORIES"] != "all" {
				t.Errorf("api-resources -o wide pods: verbs %q, categories %q", row["VERBS"], row["CATEGORIES"])
			}
		}
	}
	out = c.run("api-resources", "--api-group=", "--namespaced=false", "-o", "name")
	if out != "namespaces\nnodes\n" {
		t.Errorf("cluster-scoped core resources: %q", out)
	}
	out = c.run("api-resources", "--api-group=coordination.k8s.io", "-o", "name")
	if out != "leases.coordination.k8s.io\n" {
		t.Errorf("coordination.k8s.io resources: %q", out)
	}
	out = c.run("api-versions")
	versions := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if !slices.IsSorted(versions) {
		t.Errorf("api-versions not sorted:\n%s", out)
	}
	for _, v := range []string{"coordination.k8s.io/v1", "discovery.k8s.io/v1", "events.k8s.io/v1", "v1"} {
		if !slices.Contains(versions, v) {
			t.Errorf("api-versions lacks %s:\n%s", v, out)
		}
	}
	if out := c.run("get", "all", "-o", "name"); out != "service/kubernetes\n" {
		t.Errorf("get all: %q", out)
	}

	// version: the server reports the release it serves, marked as k1s's build.
	out, stderr := c.runIn("", "version", "-o", "json")
	if stderr != "" {
		t.Errorf("version: stderr %q", stderr)
	}
	var v struct {
		ClientVersion, ServerVersion struct{ Major, Minor, GitVersion, Platform string }
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("version -o json: %v\n%s", err, out)
	}
	if s := v.ServerVersion; s.GitVersion != "v1.37.2+k1s" || s.Major != "1" || s.Minor != "37" || s.Platform == "" {
		t.Errorf("server version %+v", s)
	}
	if cv := v.ClientVersion; cv.GitVersion != "v1.37.2+k1s" || cv.Major != "1" || cv.Minor != "37" {
		t.Errorf("client version %+v", cv)
	}
	wantLines(t, c.run("version"), `Client Version: v1\.37\.2\+k1s`, `Kustomize Version: v\S+`, `Server Version: v1\.37\.2\+k1s`)
}

// ---- wait ----

// watches returns how many watches of the core resource the apiserver serves now, from
// its apiserver_longrunning_requests metric.
func (c *kubectlCluster) watches(ctx context.Context, resource string) (int, error) {
	body, err := c.Client.Discovery().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for line := range strings.Lines(string(body)) {
		if !strings.HasPrefix(line, "apiserver_longrunning_requests{") || !strings.Contains(line, `group="",`) ||
			!strings.Contains(line, `resource="`+resource+`",`) || !strings.Contains(line, `subresource="",`) || !strings.Contains(line, `verb="WATCH",`) {
			continue
		}
		var v float64
		if _, err := fmt.Sscan(line[strings.LastIndex(line, " ")+1:], &v); err != nil {
			return 0, fmt.Errorf("metric line %q: %w", line, err)
		}
		n += int(v)
	}
	return n, nil
}

// onWatch runs change in the background once the apiserver serves one more watch of the
// core resource than it does now: the kubectl command started next has then read the
// object, found it wanting, and is watching it, so the change reaches kubectl through its
// watch rather than its first read. Errors are reported when the test ends.
func (c *kubectlCluster) onWatch(resource string, change func(ctx context.Context) error) {
	c.t.Helper()
	before, err := c.watches(c.ctx, resource)
	if err != nil {
		c.t.Fatal(err)
	}
	c.async(func(ctx context.Context) error {
		for {
			n, err := c.watches(ctx, resource)
			if err != nil {
				return err
			}
			if n > before {
				return change(ctx)
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("no new watch of %s: %w", resource, ctx.Err())
			case <-time.After(10 * time.Millisecond):
			}
		}
	})
}

// async runs f in the background, beside the kubectl command that waits for its effect;
// its error is reported when the test ends.
func (c *kubectlCluster) async(f func(ctx context.Context) error) {
	done := make(chan error, 1)
	go func() { done <- f(c.ctx) }()
	c.t.Cleanup(func() {
		if err := <-done; err != nil {
			c.t.Error(err)
		}
	})
}

func TestKubectlWait(t *testing.T) {
	c := startKubectlCluster(t)
	c.node("node-a", "127.0.0.2", corev1.ConditionTrue, nil)
	pods := c.Client.CoreV1().Pods("default")
	updateStatus := func(ctx context.Context, name string, change func(*corev1.Pod)) error {
		pod, err := pods.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		change(pod)
		_, err = pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{})
		return err
	}

	// condition=Ready: not met (--timeout=0 checks once), then set by a "kubelet" while
	// kubectl waits.
	web := c.pod("default", "web", "node-a", map[string]string{"app": "web"})
	r := c.fail("", 1, "wait", "--for=condition=Ready", "pod/web", "--timeout=0")
	if r.Stderr != "error: condition not met for pods/web\n" {
		t.Errorf("wait with the condition unmet: stderr %q", r.Stderr)
	}
	c.onWatch("pods", func(ctx context.Context) error {
		return updateStatus(ctx, "web", func(pod *corev1.Pod) {
			pod.Status.Phase = corev1.PodRunning
			pod.Status.Conditions = append(pod.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()})
		})
	})
	if out := c.run("wait", "--for=condition=Ready", "pod/web", "--timeout=30s"); out != "pod/web condition met\n" {
		t.Errorf("wait --for=condition=Ready: %q", out)
	}
	// Ready is True now: waiting for false is not met, for true (by label) is.
	c.fail("", 1, "wait", "--for=condition=Ready=false", "pods", "-l", "app=web", "--timeout=0")
	if out := c.run("wait", "--for=condition=Ready=true", "pods", "-l", "app=web", "--timeout=0"); out != "pod/web condition met\n" {
		t.Errorf("wait --for=condition=Ready=true -l: %q", out)
	}

	// jsonpath: a value reported later.
	c.onWatch("pods", func(ctx context.Context) error {
		return updateStatus(ctx, "web", func(pod *corev1.Pod) { pod.Status.PodIP = "10.244.0.20" })
	})
	if out := c.run("wait", "--for=jsonpath={.status.podIP}=10.244.0.20", "pod/web", "--timeout=30s"); out != "pod/web condition met\n" {
		t.Errorf("wait --for=jsonpath: %q", out)
	}
	if out := c.run("wait", "--for=jsonpath={.status.phase}=Running", "pods", "--all", "--timeout=30s"); out != "pod/web condition met\n" {
		t.Errorf("wait --for=jsonpath --all: %q", out)
	}

	// create: kubectl polls for an object that does not exist yet.
	c.fail("", 1, "wait", "--for=create", "configmap/later", "--timeout=0")
	c.async(func(ctx context.Context) error {
		_, err := c.Client.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "later"}}, metav1.CreateOptions{})
		return err
	})
	if out := c.run("wait", "--for=create", "configmap/later", "--timeout=30s"); out != "configmap/later condition met\n" {
		t.Errorf("wait --for=create: %q", out)
	}

	// delete: a gracefully deleted pod stays until its "kubelet" confirms.
	c.run("delete", "pod", "web", "--wait=false")
	r = c.fail("", 1, "wait", "--for=delete", "pod/web", "--timeout=0")
	if r.Stderr != "error: condition not met for pods/web\n" {
		t.Errorf("wait --for=delete of a terminating pod: stderr %q", r.Stderr)
	}
	c.onWatch("pods", func(ctx context.Context) error {
		return pods.Delete(ctx, web.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0), Preconditions: &metav1.Preconditions{UID: &web.UID}})
	})
	if out := c.run("wait", "--for=delete", "pod/web", "--timeout=30s"); out != "pod/web condition met\n" {
		t.Errorf("wait --for=delete: %q", out)
	}
	if _, err := pods.Get(c.ctx, web.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("pod after wait --for=delete: %v", err)
	}
	// Nothing left to wait for: success, silently.
	if out := c.run("wait", "--for=delete", "pod/web", "--timeout=30s"); out != "" {
		t.Errorf("wait --for=delete of a deleted pod: %q", out)
	}
}

// ---- validation ----

func TestKubectlFieldValidation(t *testing.T) {
	c := startKubectlCluster(t)
	pod := func(name string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\nspec:\n  containers:\n  - name: app\n    image: nginx:1.27\n    imagePullPolice: Always\n"
	}

	// strict is kubectl's default: the server rejects the unknown field, naming it.
	for _, args := range [][]string{{"apply", "--validate=strict"}, {"apply"}, {"create", "--validate=strict"}} {
		r := c.fail(pod("strict"), 1, append(args, "-f", "-")...)
		want := `Error from server (BadRequest): error when creating "STDIN": Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].imagePullPolice"`
		if strings.TrimSpace(r.Stderr) != want {
			t.Errorf("%s: stderr %q, want %q", strings.Join(args, " "), r.Stderr, want)
		}
	}
	// Server-side apply checks the fields against the OpenAPI schema instead.
	r := c.fail(pod("strict"), 1, "apply", "--server-side", "-f", "-")
	if !strings.Contains(r.Stderr, `failed to create typed patch object (default/strict; /v1, Kind=Pod): .spec.containers[name="app"].imagePullPolice: field not declared in schema`) {
		t.Errorf("apply --server-side: stderr %q", r.Stderr)
	}
	if _, err := c.Client.CoreV1().Pods("default").Get(c.ctx, "strict", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("strictly validated pod was created: %v", err)
	}

	// warn: created, without the field, with the server's warning on stderr.
	out, stderr := c.runIn(pod("warned"), "apply", "--validate=warn", "-f", "-")
	if out != "pod/warned created\n" {
		t.Errorf("--validate=warn: %q", out)
	}
	if stderr != "Warning: unknown field \"spec.containers[0].imagePullPolice\"\n" {
		t.Errorf("--validate=warn: stderr %q", stderr)
	}
	if got := c.run("get", "pod", "warned", "-o", "jsonpath={.spec.containers[0].imagePullPolicy}"); got != "IfNotPresent" {
		t.Errorf("warned pod's pull policy %q", got)
	}
	// ignore: created, silently.
	out, stderr = c.runIn(pod("ignored"), "create", "--validate=false", "-f", "-")
	if out != "pod/ignored created\n" || stderr != "" {
		t.Errorf("--validate=false: stdout %q, stderr %q", out, stderr)
	}

	// Invalid values are the registry's validation, reported per field.
	r = c.fail("apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\nspec:\n  ports:\n  - port: 70000\n", 1, "apply", "-f", "-")
	want := "The Service \"bad\" is invalid: \n" +
		"* spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive\n" +
		"* spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive\n"
	if r.Stderr != want {
		t.Errorf("invalid service: stderr %q, want %q", r.Stderr, want)
	}
}

// ---- events ----

func TestKubectlEvents(t *testing.T) {
	c := startKubectlCluster(t)
	c.run("create", "namespace", "ops") // its own, so that only these events are in it
	web := c.pod("ops", "web", "", map[string]string{"app": "web"})
	c.event(web, "Pod", "Scheduled", "Successfully assigned ops/web to node-a", corev1.EventTypeNormal, "default-scheduler")
	c.event(web, "Pod", "Failed", "Error: ImagePullBackOff", corev1.EventTypeWarning, "kubelet")
	// An event written through events.k8s.io/v1, as the new events library does.
	now := metav1.NowMicro()
	if _, err := c.Client.EventsV1().Events("ops").Create(c.ctx, &eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: "web.evv1", Namespace: "ops"},
		EventTime:  now, ReportingController: "k1s.dev/test-controller", ReportingInstance: "test-controller-1",
		Action: "Binding", Reason: "Preempted", Note: "Preempted by a higher priority pod", Type: corev1.EventTypeNormal,
		Regarding: corev1.ObjectReference{Kind: "Pod", Namespace: "ops", Name: "web", UID: web.UID, APIVersion: "v1"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	out := c.run("get", "events", "-n", "ops")
	rows := wantHeader(t, out, "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE")
	byReason := map[string]map[string]string{}
	for _, row := range rows {
		byReason[row["REASON"]] = row
	}
	for reason, want := range map[string][]string{
		"Scheduled": {"Normal", "pod/web", "Successfully assigned ops/web to node-a"},
		"Failed":    {"Warning", "pod/web", "Error: ImagePullBackOff"},
		"Preempted": {"Normal", "pod/web", "Preempted by a higher priority pod"},
	} {
		row := byReason[reason]
		if row == nil || row["TYPE"] != want[0] || row["OBJECT"] != want[1] || row["MESSAGE"] != want[2] {
			t.Errorf("get events %s: %v\n%s", reason, row, out)
		}
	}
	if len(rows) != 3 {
		t.Errorf("get events: %d rows, want 3:\n%s", len(rows), out)
	}

	out = c.run("get", "events", "-n", "ops", "--field-selector", "type=Warning,involvedObject.name=web", "-o", "jsonpath={.items[*].reason}")
	if out != "Failed" {
		t.Errorf("events by field selector: %q", out)
	}
	out = c.run("get", "events.events.k8s.io", "-A", "--field-selector", "reportingController=k1s.dev/test-controller", "-o", "jsonpath={.items[*].note}")
	if out != "Preempted by a higher priority pod" {
		t.Errorf("events.k8s.io by reportingController: %q", out)
	}

	out = c.run("events", "-n", "ops")
	rows = wantHeader(t, out, "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE")
	if len(rows) != 3 {
		t.Errorf("kubectl events: %d rows, want 3:\n%s", len(rows), out)
	}
	for _, row := range rows {
		if row["OBJECT"] != "Pod/web" {
			t.Errorf("kubectl events: object %q", row["OBJECT"])
		}
	}
	out = c.run("events", "-n", "ops", "--for", "pod/web", "--types=Warning")
	rows = wantHeader(t, out, "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE")
	wantRows(t, out, rows, []string{"TYPE", "REASON", "OBJECT", "MESSAGE"}, []string{"Warning", "Failed", "Pod/web", "Error: ImagePullBackOff"})

	// describe reads the same events, whichever API wrote them.
	wantLines(t, c.run("describe", "pod", "web", "-n", "ops"),
		`  Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned ops/web to node-a`,
		`  Warning\s+Failed\s+\S+\s+kubelet\s+Error: ImagePullBackOff`,
		`  Normal\s+Preempted\s+\S+\s+k1s\.dev/test-controller\s+Preempted by a higher priority pod`,
	)
}
