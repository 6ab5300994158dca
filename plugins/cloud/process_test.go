package cloud

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/ktesting"
)

// The tests in this file run real plugin processes built from
// testdata/plugin, the way k1s runs them.

var (
	pluginBuildOnce sync.Once
	pluginBuildDir  string
	pluginBin       string
	pluginBuildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if pluginBuildDir != "" {
		_ = os.RemoveAll(pluginBuildDir)
	}
	os.Exit(code)
}

// testPlugin builds testdata/plugin once per test binary; every subprocess
// test and the benchmark share it (a build takes several seconds).
func testPlugin(tb testing.TB) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("builds and runs a plugin binary; skipped in -short mode")
	}
	pluginBuildOnce.Do(func() {
		pluginBuildDir, pluginBuildErr = os.MkdirTemp("", "k1s-cloud-plugin-test")
		if pluginBuildErr != nil {
			return
		}
		pluginBin = filepath.Join(pluginBuildDir, BinaryPrefix+"testdata")
		start := time.Now()
		out, err := exec.Command("go", "build", "-o", pluginBin, "./testdata/plugin").CombinedOutput()
		if err != nil {
			pluginBuildErr = errors.New("go build ./testdata/plugin: " + err.Error() + "\n" + string(out))
			return
		}
		tb.Logf("built %s in %s", pluginBin, time.Since(start).Round(time.Millisecond))
	})
	if pluginBuildErr != nil {
		tb.Fatal(pluginBuildErr)
	}
	return pluginBin
}

func newProcessClient(tb testing.TB, cfg ClientConfig) *Client {
	tb.Helper()
	c, err := NewClient(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}

func currentPID(c *Client) int {
	if st := c.state.Load(); st.sess != nil {
		return st.sess.pid
	}
	return 0
}

func TestProcessPluginCrashAndRestart(t *testing.T) {
	bin := testPlugin(t)
	_, ctx := ktesting.NewTestContext(t)
	c := newProcessClient(t, ClientConfig{
		Name:         "testdata",
		Command:      func() *exec.Cmd { return exec.Command(bin) },
		StartTimeout: 20 * time.Second, // a loaded CI machine, not a hang
	})

	start := time.Now()
	if err := c.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("plugin start (exec, handshake, AutoMTLS, GetInfo): %s", time.Since(start).Round(time.Microsecond))

	cloud := c.Provider()
	if got := cloud.ProviderName(); got != "testdata" {
		t.Errorf("ProviderName = %q, want testdata", got)
	}
	v2, ok := cloud.InstancesV2()
	if !ok {
		t.Fatal("InstancesV2 unsupported")
	}
	node := &corev1.Node{}
	node.Name = "n1"
	md, err := v2.InstanceMetadata(ctx, node)
	if err != nil {
		t.Fatalf("InstanceMetadata: %v", err)
	}
	if md.ProviderID != "testdata://n1" || md.Zone != "zone-a" || len(md.NodeAddresses) != 1 {
		t.Errorf("InstanceMetadata = %+v", md)
	}

	pid := currentPID(c)
	if pid == 0 {
		t.Fatal("no plugin pid")
	}
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %d: %v", pid, err)
	}

	// Right after the kill a call may still be in flight on the old
	// connection; from the moment the host notices, calls must fail with
	// ErrPluginUnavailable, and never with anything else.
	sawUnavailable := false
	var recovered time.Duration
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		md, err := v2.InstanceMetadata(ctx, node)
		switch {
		case err == nil && sawUnavailable:
			recovered = time.Since(killed)
			if md.ProviderID != "testdata://n1" {
				t.Errorf("after restart InstanceMetadata = %+v", md)
			}
		case err == nil:
			// Still the old process, not yet reaped.
		case errors.Is(err, ErrPluginUnavailable):
			if !sawUnavailable {
				t.Logf("during restart: %v", err)
			}
			sawUnavailable = true
		default:
			t.Fatalf("call after kill -9 failed with %v, want ErrPluginUnavailable", err)
		}
		if recovered > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !sawUnavailable {
		t.Fatal("never saw ErrPluginUnavailable after kill -9")
	}
	if recovered == 0 {
		t.Fatal("plugin did not come back within 30s")
	}
	t.Logf("kill -9 to first successful call: %s (restart backoff %s)", recovered.Round(time.Millisecond), DefaultMinRestartBackoff)
	if recovered < DefaultMinRestartBackoff {
		t.Errorf("recovered after %s, before the %s backoff", recovered, DefaultMinRestartBackoff)
	}
	if c.Restarts() != 1 {
		t.Errorf("Restarts = %d, want 1", c.Restarts())
	}
	newPID := currentPID(c)
	if newPID == pid || newPID == 0 {
		t.Errorf("pid after restart = %d, old %d", newPID, pid)
	}

	c.Close()
	// Close returns once the process is reaped: signal 0 tests existence.
	if err := syscall.Kill(newPID, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("plugin process %d still exists after Close (kill -0: %v)", newPID, err)
	}
	if _, err := v2.InstanceMetadata(ctx, node); !errors.Is(err, ErrPluginUnavailable) {
		t.Errorf("call after Close = %v, want ErrPluginUnavailable", err)
	}
}

func TestProcessBadHandshake(t *testing.T) {
	bin := testPlugin(t)
	for _, tc := range []struct {
		mode         string
		startTimeout time.Duration
		incompatible bool
		want         string
	}{
		{mode: "bad-cookie", startTimeout: 20 * time.Second, incompatible: true, want: "handshake cookie"},
		{mode: "bad-version", startTimeout: 20 * time.Second, incompatible: true, want: "protocol version 1"},
		{mode: "hang", startTimeout: 2 * time.Second, want: "timeout"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			_, ctx := ktesting.NewTestContext(t)
			var cmd *exec.Cmd
			c := newProcessClient(t, ClientConfig{
				Name: "testdata",
				Command: func() *exec.Cmd {
					cmd = exec.Command(bin, tc.mode)
					return cmd
				},
				StartTimeout: tc.startTimeout,
			})
			start := time.Now()
			err := c.Start(ctx)
			elapsed := time.Since(start)
			if err == nil {
				t.Fatal("Start succeeded, want a handshake error")
			}
			t.Logf("Start failed after %s: %v", elapsed.Round(time.Millisecond), err)
			if errors.Is(err, ErrIncompatiblePlugin) != tc.incompatible {
				t.Errorf("errors.Is(err, ErrIncompatiblePlugin) = %v, want %v", !tc.incompatible, tc.incompatible)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), bin) {
				t.Errorf("error %q should mention %q and the binary", err, tc.want)
			}
			if elapsed > tc.startTimeout+5*time.Second {
				t.Errorf("Start took %s, StartTimeout is %s", elapsed, tc.startTimeout)
			}
			// A failed start leaves no process behind.
			if cmd.ProcessState == nil {
				waitFor(t, "the plugin process to be reaped", func() bool { return cmd.ProcessState != nil })
			}
		})
	}
}

// BenchmarkInstanceMetadata measures one InstanceMetadata round trip through
// a real plugin process: encode the Node, gRPC over a Unix socket with mTLS,
// decode, call the provider, and back. It reports the median and p99.
func BenchmarkInstanceMetadata(b *testing.B) {
	bin := testPlugin(b)
	// Keep go-plugin's per-process debug lines out of the numbers.
	ctx := klog.NewContext(context.Background(), klog.Background().V(0))
	c := newProcessClient(b, ClientConfig{
		Name:         "testdata",
		Command:      func() *exec.Cmd { return exec.Command(bin) },
		StartTimeout: 20 * time.Second,
	})
	start := time.Now()
	if err := c.Start(ctx); err != nil {
		b.Fatal(err)
	}
	startDur := time.Since(start)
	v2, _ := c.Provider().InstancesV2()
	node := &corev1.Node{}
	node.Name = "n1"
	node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.2"}}
	// Warm up the connection (TLS session, HTTP/2 windows).
	for range 100 {
		if _, err := v2.InstanceMetadata(ctx, node); err != nil {
			b.Fatal(err)
		}
	}
	samples := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		if _, err := v2.InstanceMetadata(ctx, node); err != nil {
			b.Fatal(err)
		}
		samples = append(samples, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(samples)
	b.ReportMetric(float64(samples[len(samples)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(samples[len(samples)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(startDur.Milliseconds()), "plugin-start-ms")
}
