package e2e

import (
	"context"
	"fmt"
	"os"
	"runtime"
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

// BenchmarkNodesReady starts a cluster with N kubelets and reports the time from the
// apiserver being ready until every Node is Ready (target for 1,000: at most 10 s), then
// the whole process's CPU use over 20 s of steady state (target at most 0.5 core) and its
// RSS (target at most 600 MB; measured in the test binary, which adds its own overhead).
func BenchmarkNodesReady(b *testing.B) {
	for _, n := range benchNodeCounts() {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			for b.Loop() {
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
