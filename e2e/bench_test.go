package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/k1s-dev/k1s/cluster"
	"github.com/k1s-dev/k1s/e2e/framework"
)

// BenchmarkStartToReady measures cluster.Start on a fresh data dir until the apiserver
// answers /readyz and the system namespaces exist (what `k1s up` waits for). Reports the
// median of the iterations; target at most 1 s.
func BenchmarkStartToReady(b *testing.B) {
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		c, err := cluster.Start(context.Background(), cluster.Config{DataDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
		b.StopTimer()
		if err := c.Stop(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	reportMedian(b, took, "ms-median-to-ready")
}

// BenchmarkRestartToReady measures a start on a data dir that already holds a cluster.
func BenchmarkRestartToReady(b *testing.B) {
	dir := b.TempDir()
	c, err := cluster.Start(context.Background(), cluster.Config{DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	c.Stop()
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		c, err := cluster.Start(context.Background(), cluster.Config{DataDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
		b.StopTimer()
		c.Stop()
		b.StartTimer()
	}
	reportMedian(b, took, "ms-median-to-ready")
}

func reportMedian(b *testing.B, took []time.Duration, unit string) {
	slices.Sort(took)
	if len(took) > 0 {
		b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, unit)
	}
}

// BenchmarkIdleRSS builds bin/k1s, runs `k1s up` as its own process, and reads its
// resident set size after it has been idle for a few seconds. Target at most 120 MB.
func BenchmarkIdleRSS(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "k1s")
	build := exec.Command("go", "build", "-o", bin, "../cmd/k1s")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building k1s: %v\n%s", err, out)
	}
	for b.Loop() {
		dataDir := b.TempDir()
		cmd := exec.Command(bin, "up", "--data-dir", dataDir, "--port", "0")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		ready := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), "Ready in") {
					close(ready)
				}
			}
		}()
		select {
		case <-ready:
		case <-time.After(time.Minute):
			cmd.Process.Kill()
			b.Fatal("k1s up did not become ready")
		}
		time.Sleep(5 * time.Second) // let start-up garbage be collected
		rss, err := processRSS(cmd.Process.Pid)
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(rss)/(1<<20), "MiB-RSS")
	}
}

func processRSS(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// BenchmarkNodes1000 creates 1,000 Nodes with client-go (16 writers), then lists them and
// watches them from resourceVersion 0, reporting objects per second for each.
func BenchmarkNodes1000(b *testing.B) {
	const n = 1000
	for b.Loop() {
		b.StopTimer()
		c := framework.Start(b, cluster.Config{})
		cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig())
		if err != nil {
			b.Fatal(err)
		}
		cfg.QPS, cfg.Burst = -1, -1
		client := kubernetes.NewForConfigOrDie(cfg)
		ctx := context.Background()
		b.StartTimer()

		start := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, n)
		names := make(chan int, n)
		for i := range n {
			names <- i
		}
		close(names)
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range names {
					if _, err := client.CoreV1().Nodes().Create(ctx, benchNode(i), metav1.CreateOptions{}); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		created := time.Since(start)

		start = time.Now()
		list, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			b.Fatal(err)
		}
		listed := time.Since(start)
		if len(list.Items) != n {
			b.Fatalf("listed %d nodes, want %d", len(list.Items), n)
		}

		start = time.Now()
		w, err := client.CoreV1().Nodes().Watch(ctx, metav1.ListOptions{ResourceVersion: "0"})
		if err != nil {
			b.Fatal(err)
		}
		seen := 0
		for ev := range w.ResultChan() {
			if ev.Type == watch.Added {
				seen++
			}
			if seen == n {
				break
			}
		}
		w.Stop()
		watched := time.Since(start)

		b.ReportMetric(n/created.Seconds(), "creates/s")
		b.ReportMetric(n/listed.Seconds(), "listed/s")
		b.ReportMetric(n/watched.Seconds(), "watched/s")
	}
}

func benchNode(i int) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:   fmt.Sprintf("bench-node-%04d", i),
			Labels: map[string]string{"kubernetes.io/hostname": fmt.Sprintf("bench-node-%04d", i)},
		},
		Status: corev1.NodeStatus{
			Capacity: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("4"),
				corev1.ResourceMemory: resource.MustParse("8Gi"),
				corev1.ResourcePods:   resource.MustParse("110"),
			},
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady"}},
		},
	}
}
