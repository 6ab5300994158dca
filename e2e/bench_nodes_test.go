package e2e

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/k1s-dev/k1s/cluster"
)

// benchNodeCounts are the cluster sizes BenchmarkNodesReady runs; K1S_BENCH_NODES
// overrides them (e.g. "5000").
func benchNodeCounts() []int {
	if v := os.Getenv("K1S_BENCH_NODES"); v != "" {
		n, err := strconv.Atoi(v)
		if err == nil {
			return []int{n}
		}
	}
	return []int{100, 1000}
}

// BenchmarkNodesReady starts a cluster with N kubelets in the test binary, as a Go test
// harness does, and reports the time from the apiserver being ready until every Node is
// Ready, then the whole process's CPU use over 20 s of steady state and its RSS. The
// targets (for 1,000 nodes: 10 s, 0.5 core, 600 MB) are the k1s process's, which
// BenchmarkK1sUpNodes measures; here the test binary's runtime settings (Go's default
// GOGC, unlike k1s up's) and its own overhead count too.
func BenchmarkNodesReady(b *testing.B) {
	for _, n := range benchNodeCounts() {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			for b.Loop() {
				// Return the previous iteration's heap to the OS, so that the RSS
				// reported is this cluster's, not what the test binary kept from the last.
				debug.FreeOSMemory()
				var nodesReady time.Duration
				c, err := cluster.Start(context.Background(), cluster.Config{
					Nodes:             n,
					Zones:             []string{"a", "b", "c"},
					EtcdUnsafeNoFsync: true,
					Progress: func(stage string, took time.Duration) {
						// The stage after the control plane is ready: "<n> nodes".
						if strings.HasSuffix(stage, " nodes") {
							nodesReady = took
						}
					},
				})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				b.ReportMetric(nodesReady.Seconds(), "s-to-all-Ready")

				// Steady state: every kubelet renews its lease every 10 s and computes status
				// every 10 s; measure a window of two periods.
				// Let start-up work settle first (the controllers' initial syncs, the
				// kubelets' first status reports, kube-proxy's listeners).
				time.Sleep(10 * time.Second)
				runtime.GC()
				before := cpuTime()
				time.Sleep(20 * time.Second)
				cores := (cpuTime() - before).Seconds() / 20
				b.ReportMetric(cores, "cores-steady")
				rss, err := processRSS(os.Getpid())
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(rss)/(1<<20), "MiB-RSS")

				client := kubernetes.NewForConfigOrDie(c.RESTConfig())
				list, err := client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{ResourceVersion: "0"})
				if err != nil {
					b.Fatal(err)
				}
				ready := 0
				for _, node := range list.Items {
					for _, cond := range node.Status.Conditions {
						if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
							ready++
						}
					}
				}
				if ready != n {
					b.Fatalf("%d of %d nodes Ready after the steady-state window", ready, n)
				}
				c.Stop()
				b.StartTimer()
			}
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPodsRunning binds 1,000 pods to 100 nodes (spec.nodeName set at creation,
// 16 writers) and reports how many pods per second reach Running, counted from the
// first create until the last pod runs.
func BenchmarkPodsRunning(b *testing.B) {
	const nodes, pods = 100, 1000
	for b.Loop() {
		b.StopTimer()
		c, err := cluster.Start(context.Background(), cluster.Config{Nodes: nodes, EtcdUnsafeNoFsync: true})
		if err != nil {
			b.Fatal(err)
		}
		client := kubernetes.NewForConfigOrDie(c.RESTConfig())
		ctx := context.Background()
		b.StartTimer()
		start := time.Now()
		work := make(chan int, pods)
		for i := range pods {
			work <- i
		}
		close(work)
		errs := make(chan error, 16)
		for range 16 {
			go func() {
				for i := range work {
					pod := &corev1.Pod{
						ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("bench-%04d", i), Namespace: "default"},
						Spec: corev1.PodSpec{
							NodeName:   cluster.NodeName(i%nodes + 1),
							Containers: []corev1.Container{{Name: "app", Image: "busybox"}},
						},
					}
					if _, err := client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}()
		}
		for range 16 {
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
		}
		for {
			list, err := client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{ResourceVersion: "0", FieldSelector: "status.phase=Running"})
			if err != nil {
				b.Fatal(err)
			}
			if len(list.Items) == pods {
				break
			}
			if time.Since(start) > 5*time.Minute {
				b.Fatalf("only %d of %d pods Running after 5 minutes", len(list.Items), pods)
			}
			time.Sleep(50 * time.Millisecond)
		}
		b.ReportMetric(pods/time.Since(start).Seconds(), "pods/s")
		b.StopTimer()
		c.Stop()
		b.StartTimer()
	}
}
