package e2e

import (
	"bufio"
	"context"
	"errors"
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

// buildK1s builds the k1s binary into a temp dir.
func buildK1s(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "k1s")
	build := exec.Command("go", "build", "-o", bin, "../cmd/k1s")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building k1s: %v\n%s", err, out)
	}
	return bin
}

// k1sUp is a `k1s up` process.
type k1sUp struct {
	cmd *exec.Cmd
	// stages are the start-up stages it printed ("1000 nodes" -> 5.2s).
	stages map[string]time.Duration
}

// startK1sUp runs `k1s up` with args (and a temporary data dir, port 0) and waits
// until it prints "Ready in"; stop it with stop.
func startK1sUp(b *testing.B, bin string, args ...string) *k1sUp {
	b.Helper()
	cmd := exec.Command(bin, append([]string{"up", "--data-dir", b.TempDir(), "--port", "0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	up := &k1sUp{cmd: cmd, stages: map[string]time.Duration{}}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "Ready in") {
				close(ready)
				continue
			}
			// A stage: "  <name>   <duration>", the name possibly of two words.
			if f := strings.Fields(line); strings.HasPrefix(line, "  ") && len(f) >= 2 {
				if d, err := time.ParseDuration(f[len(f)-1]); err == nil {
					up.stages[strings.Join(f[:len(f)-1], " ")] = d
				}
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(5 * time.Minute):
		cmd.Process.Kill()
		cmd.Wait()
		b.Fatal("k1s up did not become ready")
	}
	return up
}

func (u *k1sUp) stop() {
	u.cmd.Process.Signal(os.Interrupt)
	u.cmd.Wait()
}

// processCPU is the CPU time (user and system) a process has used so far.
func processCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name in parentheses; utime and stime are the 14th and
	// 15th fields of the whole line, in clock ticks (USER_HZ, 100 on Linux).
	rest := string(data[strings.LastIndexByte(string(data), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// BenchmarkIdleRSS builds bin/k1s, runs `k1s up` as its own process, and reads its
// resident set size after it has been idle for a few seconds. Target at most 120 MB.
func BenchmarkIdleRSS(b *testing.B) {
	bin := buildK1s(b)
	for b.Loop() {
		up := startK1sUp(b, bin)
		time.Sleep(5 * time.Second) // let start-up garbage be collected
		rss, err := processRSS(up.cmd.Process.Pid)
		up.stop()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(rss)/(1<<20), "MiB-RSS")
	}
}

// BenchmarkK1sUpNodes is BenchmarkNodesReady on the k1s binary as users run it,
// `k1s up --nodes N --zones a,b,c` in its own process (so with its runtime settings
// and without the test binary's): time from the apiserver being ready until every
// Node is Ready, then the process's CPU over 20 s of steady state and its RSS.
// Targets for 1,000 nodes: 10 s, 0.5 core, 600 MB.
func BenchmarkK1sUpNodes(b *testing.B) {
	bin := buildK1s(b)
	for _, n := range benchNodeCounts() {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				up := startK1sUp(b, bin, "--nodes", strconv.Itoa(n), "--zones", "a,b,c")
				stage := fmt.Sprintf("%d nodes", n)
				took, ok := up.stages[stage]
				if !ok {
					up.stop()
					b.Fatalf("k1s up printed no %q stage: %v", stage, up.stages)
				}
				b.ReportMetric(took.Seconds(), "s-to-all-Ready")
				pid := up.cmd.Process.Pid
				// As BenchmarkNodesReady: let start-up settle, then two status periods.
				time.Sleep(10 * time.Second)
				before, err1 := processCPU(pid)
				time.Sleep(20 * time.Second)
				after, err2 := processCPU(pid)
				rss, err3 := processRSS(pid)
				up.stop()
				if err := errors.Join(err1, err2, err3); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric((after-before).Seconds()/20, "cores-steady")
				b.ReportMetric(float64(rss)/(1<<20), "MiB-RSS")
				b.StartTimer()
			}
		})
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
