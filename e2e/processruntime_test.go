package e2e

// End-to-end tests of the process runtime: a node with Runtime "process" runs a real
// HTTP server as a host process, and kubectl logs, exec, port-forward and a Service's
// proxy reach it through the apiserver and the kubelet API, as on a real cluster.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"

	"github.com/k1s-dev/k1s/cluster"
	"github.com/k1s-dev/k1s/e2e/framework"
	"github.com/k1s-dev/k1s/kubectlcmd"
)

// runKubectlEnv makes the test binary act as kubectl (for kubectl port-forward, which
// runs until it is interrupted, so it gets a process of its own).
const runKubectlEnv = "K1S_E2E_RUN_KUBECTL"

func init() {
	if kubeconfig := os.Getenv(runKubectlEnv); kubeconfig != "" {
		if err := kubectlcmd.Run(kubeconfig, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// httpServerCommand is the command of a container serving HTTP on $POD_IP:8080 after
// printing "started": python3's http.server, else a helper built from testdata.
func httpServerCommand(t *testing.T) []string {
	t.Helper()
	if _, err := exec.LookPath("python3"); err == nil {
		return []string{"sh", "-c", `echo started; exec python3 -m http.server 8080 --bind "$POD_IP"`}
	}
	bin := filepath.Join(t.TempDir(), "httpserver")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/httpserver").CombinedOutput(); err != nil {
		t.Fatalf("building the HTTP server helper: %v\n%s", err, out)
	}
	return []string{"sh", "-c", `exec "$0" -listen "$POD_IP:8080"`, bin}
}

func processNode(t testing.TB, c *framework.Cluster, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := c.AddNode(ctx, name, cluster.NodeOptions{Runtime: "process"}); err != nil {
		t.Fatal(err)
	}
}

func processWebPod(name, node string, command []string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": name}},
		Spec: corev1.PodSpec{
			NodeName:      node,
			RestartPolicy: corev1.RestartPolicyAlways,
			// A short grace period: python exits on SIGTERM anyway.
			TerminationGracePeriodSeconds: ptrTo[int64](5),
			Containers: []corev1.Container{{
				Name: "app", Image: "python:3.13-slim", Command: command,
				Env:   []corev1.EnvVar{{Name: "POD_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}}},
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
			}},
		},
	}
}

func ptrTo[T any](v T) *T { return &v }

// TestProcessRuntime: kubectl logs, exec, port-forward and services/proxy against a
// process that really runs.
func TestProcessRuntime(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the process runtime's e2e test runs on Linux")
	}
	t.Parallel()
	c := framework.Start(t, cluster.Config{EtcdUnsafeNoFsync: true})
	ctx := context.Background()
	node := "proc-node"
	processNode(t, c, node)
	pods := c.Client.CoreV1().Pods("default")
	if _, err := pods.Create(ctx, processWebPod("web", node, httpServerCommand(t)), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := waitPodPhase(t, c, "web", corev1.PodRunning)
	podIP := pod.Status.PodIP
	if n, err := c.Client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{}); err != nil || !slices.ContainsFunc(n.Status.Addresses, func(a corev1.NodeAddress) bool { return a.Address == podIP }) {
		t.Fatalf("pod IP %s is not the node's address (%v)", podIP, err)
	}
	podURL := "http://" + net.JoinHostPort(podIP, "8080") + "/"
	framework.Eventually(t, 30*time.Second, "the server answering on the pod IP", func(ctx context.Context) (bool, error) {
		resp, err := http.Get(podURL)
		if err != nil {
			return false, err
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})

	t.Run("Logs", func(t *testing.T) {
		framework.Eventually(t, 10*time.Second, "started in kubectl logs", func(context.Context) (bool, error) {
			r := c.KubectlIn(t, "", "logs", "web")
			return r.Err == nil && strings.HasPrefix(r.Stdout, "started\n"), r.Err
		})
		out := c.Kubectl(t, "logs", "web", "--tail", "1", "--timestamps")
		if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z `).MatchString(out) {
			t.Errorf("kubectl logs --tail 1 --timestamps = %q", out)
		}
	})

	t.Run("Exec", func(t *testing.T) {
		if out := c.Kubectl(t, "exec", "web", "--", "echo", "hi"); out != "hi\n" {
			t.Errorf("kubectl exec web -- echo hi = %q", out)
		}
		r := kubectlWithin(t, c, 30*time.Second, "exec", "web", "--", "sh", "-c", "exit 3")
		if r.Err == nil || !strings.Contains(r.Err.Error()+r.Stderr, "exit code 3") {
			t.Errorf("kubectl exec exit 3: err %v stderr %q", r.Err, r.Stderr)
		}
		if out := c.Kubectl(t, "exec", "web", "--", "sh", "-c", `test -n "$KUBERNETES_SERVICE_HOST" && cat "$K1S_SERVICEACCOUNT_DIR/namespace"`); out != "default" {
			t.Errorf("service account namespace through exec = %q", out)
		}
	})

	t.Run("PortForward", func(t *testing.T) {
		self, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(self, "port-forward", "pod/web", ":8080")
		cmd.Env = append(os.Environ(), runKubectlEnv+"="+c.Kubeconfig())
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		ports := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(stdout)
			re := regexp.MustCompile(`Forwarding from 127\.0\.0\.1:(\d+) -> 8080`)
			for sc.Scan() {
				if m := re.FindStringSubmatch(sc.Text()); m != nil {
					ports <- m[1]
				}
			}
		}()
		var port string
		select {
		case port = <-ports:
		case <-time.After(30 * time.Second):
			t.Fatal("kubectl port-forward printed no local port")
		}
		for i := range 3 {
			resp, err := http.Get("http://127.0.0.1:" + port + "/")
			if err != nil {
				t.Fatalf("GET %d through port-forward: %v", i, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Directory listing for /") {
				t.Errorf("GET through port-forward: %d %.200q", resp.StatusCode, body)
			}
		}
	})

	t.Run("ServiceProxy", func(t *testing.T) {
		svc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "web"},
			Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{
				{Name: "http", Port: 8080, TargetPort: intstr.FromString("http")},
			}},
		}
		if _, err := c.Client.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		framework.Eventually(t, 30*time.Second, "services/web:8080/proxy", func(context.Context) (bool, error) {
			r := c.KubectlIn(t, "", "get", "--raw", "/api/v1/namespaces/default/services/web:8080/proxy/")
			return r.Err == nil && strings.Contains(r.Stdout, "Directory listing for /"), nil
		})
	})

	t.Run("ExecLatency", func(t *testing.T) {
		const n = 20
		var took []time.Duration
		for range n {
			start := time.Now()
			if err := execTrue(ctx, c, "web"); err != nil {
				t.Fatal(err)
			}
			took = append(took, time.Since(start))
		}
		slices.Sort(took)
		t.Logf("exec `true` through the apiserver (WebSocket, translated to SPDY), %d runs: min %v, median %v, max %v",
			n, took[0].Round(time.Microsecond), took[n/2].Round(time.Microsecond), took[n-1].Round(time.Microsecond))
	})

	t.Run("DeleteStopsTheProcess", func(t *testing.T) {
		if err := pods.Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		framework.Eventually(t, 30*time.Second, "the pod gone", func(ctx context.Context) (bool, error) {
			_, err := pods.Get(ctx, "web", metav1.GetOptions{})
			return err != nil, nil
		})
		if conn, err := net.DialTimeout("tcp", net.JoinHostPort(podIP, "8080"), time.Second); err == nil {
			conn.Close()
			t.Errorf("the server still listens after its pod was deleted")
		}
	})
}

// execTrue runs `true` in the pod with client-go's remotecommand, as kubectl does
// (WebSocket first, SPDY as the fallback).
func execTrue(ctx context.Context, c *framework.Cluster, pod string) error {
	req := c.Client.CoreV1().RESTClient().Post().Resource("pods").Namespace("default").Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: "app", Command: []string{"true"}, Stdout: true, Stderr: true}, scheme.ParameterCodec)
	ws, err := remotecommand.NewWebSocketExecutor(c.RESTConfig(), "GET", req.URL().String())
	if err != nil {
		return err
	}
	spdyExec, err := remotecommand.NewSPDYExecutor(c.RESTConfig(), "POST", req.URL())
	if err != nil {
		return err
	}
	exe, err := remotecommand.NewFallbackExecutor(ws, spdyExec, func(err error) bool { return true })
	if err != nil {
		return err
	}
	return exe.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: io.Discard, Stderr: io.Discard})
}

// BenchmarkProcessRuntimeExec measures one exec of `true` through the apiserver and the
// kubelet API of a process node.
func BenchmarkProcessRuntimeExec(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("the process runtime runs on Linux")
	}
	c := framework.Start(b, cluster.Config{EtcdUnsafeNoFsync: true})
	ctx := context.Background()
	processNode(b, c, "proc-node")
	pod := processWebPod("sleeper", "proc-node", []string{"sleep", "3600"})
	if _, err := c.Client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	framework.Eventually(b, 30*time.Second, "sleeper running", func(ctx context.Context) (bool, error) {
		p, err := c.Client.CoreV1().Pods("default").Get(ctx, "sleeper", metav1.GetOptions{})
		return err == nil && p.Status.Phase == corev1.PodRunning, err
	})
	b.ResetTimer()
	for b.Loop() {
		if err := execTrue(ctx, c, "sleeper"); err != nil {
			b.Fatal(err)
		}
	}
}
