package e2e

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"slices"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	"github.com/k1s-dev/k1s/cluster"
	"github.com/k1s-dev/k1s/controllers/nodelifecycle"
	"github.com/k1s-dev/k1s/controllers/scheduler"
)

// BenchmarkScheduler1000Nodes measures the scheduler as upstream's scheduler_perf
// does: 10,000 pods are created (16 writers) and stay pending on a cluster of 1,000
// nodes without a scheduler; then a scheduler starts and the benchmark reports how
// many pods per second it binds (target at least 300) and the p50/p99 time from the
// scheduler's start to each binding, as a protobuf pod informer sees them. It also
// reports how long the creates took, which bounds any create-then-schedule pipeline
// on this machine.
//
// nodes=objects is scheduler_perf's set-up: the nodes are Node objects created through
// the API, with no kubelet and no node lifecycle controller, so the scheduler and the
// apiserver have the machine to themselves. nodes=kubelets runs 1,000 kubelet-lites,
// which start every pod as soon as it is bound and report its status, so the same two
// cores also carry a kubelet status write per pod.
func BenchmarkScheduler1000Nodes(b *testing.B) {
	b.Run("nodes=objects", func(b *testing.B) { benchmarkScheduler(b, false) })
	b.Run("nodes=kubelets", func(b *testing.B) { benchmarkScheduler(b, true) })
}

func benchmarkScheduler(b *testing.B, kubelets bool) {
	const nodes, pods, writers = 1000, 10000, 16
	// Timed by hand: cluster start-up and the creates are not part of the figure.
	for range b.N {
		benchmarkSchedulerOnce(b, kubelets, nodes, pods, writers)
	}
}

// benchmarkSchedulerOnce is one iteration; its deferred calls stop everything it
// started even when it fails, so that the next benchmark does not share the machine.
func benchmarkSchedulerOnce(b *testing.B, kubelets bool, nodes, pods, writers int) {
	cfg := cluster.Config{Nodes: nodes, Zones: []string{"a", "b", "c"}, EtcdUnsafeNoFsync: true, DisableScheduler: true}
	if !kubelets {
		cfg.Nodes = 0
		cfg.Controllers = []string{"*", "-" + nodelifecycle.ControllerName}
	}
	c, err := cluster.Start(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Stop()
	client := kubernetes.NewForConfigOrDie(c.RESTConfig())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if !kubelets {
		createSchedulerNodes(b, ctx, client, nodes)
	}

	createStart := time.Now()
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := i; j < pods; j += writers {
				p := simplePod(fmt.Sprintf("pending-%05d", j), "", nil)
				p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m")}
				if _, err := client.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(time.Since(createStart).Seconds(), "s-to-create-all")

	// Bindings are counted from a protobuf pod informer, as scheduler_perf's
	// throughput collector does: polling a list of 10,000 pods would cost the
	// apiserver more than the scheduling it measures.
	bound := newPodCounter(func(p *corev1.Pod) bool { return p.Spec.NodeName != "" })
	defer watchPods(b, c, "", bound)()

	factory := informers.NewSharedInformerFactory(client, 0)
	sched, err := scheduler.New(scheduler.Config{}, client, factory, nil)
	if err != nil {
		b.Fatal(err)
	}
	stopProfile := startWindowProfile(b)
	defer stopProfile()
	start := time.Now()
	bound.start(start)
	schedCtx, stopScheduler := context.WithCancel(ctx)
	factory.Start(schedCtx.Done())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = sched.Run(schedCtx)
	}()
	defer func() {
		stopScheduler()
		<-done
		factory.Shutdown()
	}()

	latencies := bound.wait(b, pods, 5*time.Minute)
	stopProfile()
	took := latencies[len(latencies)-1]
	b.ReportMetric(float64(pods)/took.Seconds(), "pods/s")
	b.ReportMetric(latencies[len(latencies)/2].Seconds()*1000, "ms-p50-to-bind")
	b.ReportMetric(latencies[len(latencies)*99/100].Seconds()*1000, "ms-p99-to-bind")
}

// startWindowProfile writes a CPU profile of the measured window to the file named by
// K1S_BENCH_CPUPROFILE, if set (go test's -cpuprofile also covers the cluster's
// start-up and the creates). It returns the function that stops it, which may be
// called more than once.
func startWindowProfile(b *testing.B) func() {
	path := os.Getenv("K1S_BENCH_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			pprof.StopCPUProfile()
			if err := f.Close(); err != nil {
				b.Error(err)
			}
		})
	}
}

// createSchedulerNodes creates n untainted Ready nodes of 4 CPUs, 8 GiB and 110 pods spread over
// zones a, b and c, as scheduler_perf's node template does.
func createSchedulerNodes(b *testing.B, ctx context.Context, client kubernetes.Interface, n int) {
	zones := []string{"a", "b", "c"}
	for i := range n {
		name := fmt.Sprintf("sched-node-%04d", i)
		resources := corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("4"),
			corev1.ResourceMemory: resource.MustParse("8Gi"),
			corev1.ResourcePods:   resource.MustParse("110"),
		}
		node := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
				corev1.LabelHostname: name, corev1.LabelTopologyZone: zones[i%len(zones)],
			}},
			Status: corev1.NodeStatus{
				Capacity:    resources,
				Allocatable: resources,
				Conditions:  []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady"}},
			},
		}
		created, err := client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
		if err != nil {
			b.Fatal(err)
		}
		// Admission (TaintNodesByCondition) taints a new node not-ready; with no node
		// lifecycle controller to lift it once the node is Ready, lift it here.
		created.Spec.Taints = nil
		if _, err := client.CoreV1().Nodes().Update(ctx, created, metav1.UpdateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeployment1000 applies a Deployment of 1,000 replicas to a cluster of
// 1,000 kubelets and reports the time until all 1,000 pods are Running (target: 10 s;
// upstream's controller manager and scheduler with kwok took 51 s on this kind of
// machine).
func BenchmarkDeployment1000(b *testing.B) {
	const nodes, replicas = 1000, 1000
	// Timed by hand: cluster start-up is not part of the figure.
	for range b.N {
		benchmarkDeploymentOnce(b, nodes, replicas)
	}
}

func benchmarkDeploymentOnce(b *testing.B, nodes int, replicas int32) {
	c, err := cluster.Start(context.Background(), cluster.Config{Nodes: nodes, Zones: []string{"a", "b", "c"}, EtcdUnsafeNoFsync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Stop()
	client := kubernetes.NewForConfigOrDie(c.RESTConfig())
	ctx := context.Background()
	running := newPodCounter(func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	defer watchPods(b, c, "app=big", running)()
	dep := bigDeployment(replicas)
	start := time.Now()
	running.start(start)
	if _, err := client.AppsV1().Deployments("default").Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	latencies := running.wait(b, int(replicas), 5*time.Minute)
	b.ReportMetric(latencies[len(latencies)-1].Seconds(), "s-to-all-Running")
}

// podCounter records, for each pod, when an informer first saw it match.
type podCounter struct {
	match func(*corev1.Pod) bool

	mu      sync.Mutex
	t0      time.Time
	seen    map[string]time.Duration
	changed chan struct{}
}

func newPodCounter(match func(*corev1.Pod) bool) *podCounter {
	return &podCounter{match: match, seen: map[string]time.Duration{}, changed: make(chan struct{}, 1)}
}

func (pc *podCounter) start(t0 time.Time) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	pc.t0 = t0
}

func (pc *podCounter) observe(obj any) {
	p, ok := obj.(*corev1.Pod)
	if !ok || !pc.match(p) {
		return
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.t0.IsZero() {
		return
	}
	if _, ok := pc.seen[p.Name]; !ok {
		pc.seen[p.Name] = time.Since(pc.t0)
		select {
		case pc.changed <- struct{}{}:
		default:
		}
	}
}

// wait returns the sorted times from start to each pod matching, once n pods did.
func (pc *podCounter) wait(b *testing.B, n int, timeout time.Duration) []time.Duration {
	deadline := time.After(timeout)
	for {
		pc.mu.Lock()
		if len(pc.seen) >= n {
			out := make([]time.Duration, 0, len(pc.seen))
			for _, d := range pc.seen {
				out = append(out, d)
			}
			pc.mu.Unlock()
			slices.Sort(out)
			return out
		}
		got := len(pc.seen)
		pc.mu.Unlock()
		select {
		case <-pc.changed:
		case <-deadline:
			b.Fatalf("%d of %d pods after %v", got, n, timeout)
		}
	}
}

// watchPods runs a protobuf pod informer in namespace default, synced when it
// returns, that feeds its adds and updates to pc. Call the function it returns to
// stop it.
func watchPods(b *testing.B, c *cluster.Cluster, labelSelector string, pc *podCounter) (stop func()) {
	cfg := c.RESTConfig()
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	cfg.QPS, cfg.Burst = -1, -1
	client := kubernetes.NewForConfigOrDie(cfg)
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace("default"),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = labelSelector }))
	inf := factory.Core().V1().Pods().Informer()
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    pc.observe,
		UpdateFunc: func(_, obj any) { pc.observe(obj) },
	}); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stop = func() {
		cancel()
		factory.Shutdown()
	}
	factory.Start(ctx.Done())
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			stop()
			b.Fatalf("pod informer (%v) did not sync", typ)
		}
	}
	return stop
}
func bigDeployment(replicas int32) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "big", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "big"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "big"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "nginx:1.27"}}},
			},
		},
	}
}
