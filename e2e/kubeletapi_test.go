package e2e

// End-to-end tests of the control-plane-to-node path: the kubelet API of kubelet-lite
// (HTTPS with the node's serving certificate, authenticated and authorized through the
// apiserver) and the apiserver subresources that reach it (pods/log, nodes/proxy,
// pods/exec), driven by real kubectl commands and raw HTTPS requests.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"
	"k8s.io/utils/ptr"

	"github.com/k1s-dev/k1s/cluster"
	"github.com/k1s-dev/k1s/e2e/framework"
	"github.com/k1s-dev/k1s/pki"
)

// kubeletURL is the base URL of a node's kubelet API, from its Node status, as the
// apiserver finds it.
func kubeletURL(t testing.TB, c *framework.Cluster, node string) string {
	t.Helper()
	n, err := c.Client.CoreV1().Nodes().Get(context.Background(), node, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	port := n.Status.DaemonEndpoints.KubeletEndpoint.Port
	if port == 0 {
		t.Fatalf("node %s reports no kubelet port", node)
	}
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			return "https://" + net.JoinHostPort(a.Address, strconv.Itoa(int(port)))
		}
	}
	t.Fatalf("node %s has no InternalIP", node)
	return ""
}

// kubeletClient is an HTTPS client that trusts the cluster CA and presents the
// certificate of user (in groups), or none when user is empty.
func kubeletClient(t testing.TB, c *framework.Cluster, user string, groups ...string) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(c.CA().CertPEM())
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if user != "" {
		kp, err := c.CA().EnsureClient(t.TempDir(), "client", pki.ClientSpec{CommonName: user, Organizations: groups})
		if err != nil {
			t.Fatal(err)
		}
		cert, err := tls.LoadX509KeyPair(kp.CertFile, kp.KeyFile)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 30 * time.Second}
}

func httpGet(t testing.TB, client *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

// logPod is a pod whose containers print "hello" and "world" when they start, then
// "tick <n>" every interval.
func logPod(name, node string, interval string, containers ...string) *corev1.Pod {
	pod := simplePod(name, node, map[string]string{"k1s.dev/log": "hello\nworld", "k1s.dev/log-interval": interval})
	if len(containers) > 0 {
		pod.Spec.Containers = nil
		for _, c := range containers {
			pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: c, Image: "nginx:1.27"})
		}
	}
	return pod
}

// kubectlWithin runs kubectl and fails the test if it does not return within timeout:
// a follow that never ends must not hang the suite. kubectl runs in-process and cannot
// be interrupted, so on timeout the test fails at once and the call is left behind.
func kubectlWithin(t *testing.T, c *framework.Cluster, timeout time.Duration, args ...string) framework.KubectlResult {
	t.Helper()
	done := make(chan framework.KubectlResult, 1)
	go func() { done <- c.KubectlIn(t, "", args...) }()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	select {
	case r := <-done:
		return r
	case <-ctx.Done():
		t.Fatalf("kubectl %s did not return within %v", strings.Join(args, " "), timeout)
		return framework.KubectlResult{}
	}
}

// TestKubeletAPI: the apiserver reaches kubelets with its own client certificate and
// verifies their serving certificates; kubectl logs, get --raw nodes/.../proxy and exec
// work as against a real cluster (exec with the sim runtime's refusal); a kubelet refuses
// anonymous requests and users without RBAC; a kubelet with a certificate from another CA
// is refused by the apiserver.
func TestKubeletAPI(t *testing.T) {
	t.Parallel()
	c := framework.Start(t, cluster.Config{Nodes: 1, EtcdUnsafeNoFsync: true})
	ctx := context.Background()
	node := cluster.NodeName(1)
	pods := c.Client.CoreV1().Pods("default")

	for _, pod := range []*corev1.Pod{
		logPod("logger", node, "1h"),
		logPod("two", node, "1h", "web", "sidecar"),
	} {
		if _, err := pods.Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	waitPodPhase(t, c, "logger", corev1.PodRunning)
	waitPodPhase(t, c, "two", corev1.PodRunning)

	t.Run("TestLogs", func(t *testing.T) {
		if out := c.Kubectl(t, "logs", "logger"); out != "hello\nworld\n" {
			t.Errorf("kubectl logs logger = %q", out)
		}
		if out := c.Kubectl(t, "logs", "logger", "--tail", "1"); out != "world\n" {
			t.Errorf("kubectl logs --tail 1 = %q", out)
		}
		if out := c.Kubectl(t, "logs", "two", "-c", "sidecar", "--limit-bytes", "3"); out != "hel" {
			t.Errorf("kubectl logs -c sidecar --limit-bytes 3 = %q", out)
		}
		out := c.Kubectl(t, "logs", "logger", "--timestamps")
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != 2 || !strings.HasSuffix(lines[0], " hello") {
			t.Fatalf("kubectl logs --timestamps = %q", out)
		}
		if _, err := time.Parse(time.RFC3339Nano, strings.Fields(lines[0])[0]); err != nil {
			t.Errorf("timestamp of %q: %v", lines[0], err)
		}
		// kubectl picks the default container itself when the pod has several (it
		// prints a notice), so ask the API directly for upstream's error.
		_, err := pods.GetLogs("two", &corev1.PodLogOptions{}).Stream(ctx)
		if err == nil || !strings.Contains(err.Error(), "a container name must be specified for pod two, choose one of: [web sidecar]") {
			t.Errorf("logs of a pod with two containers without -c: %v", err)
		}
		r := c.KubectlIn(t, "", "logs", "logger", "-c", "nope")
		if r.Err == nil || !strings.Contains(r.Stderr, "container nope is not valid for pod logger") {
			t.Errorf("kubectl logs -c nope: err %v stderr %q", r.Err, r.Stderr)
		}
		r = c.KubectlIn(t, "", "logs", "logger", "--previous")
		if r.Err == nil || !strings.Contains(r.Stderr, `previous terminated container "app" in pod "logger" not found`) {
			t.Errorf("kubectl logs --previous: err %v stderr %q", r.Err, r.Stderr)
		}
	})

	t.Run("TestLogsFollow", func(t *testing.T) {
		// Ticks every 200ms for a second, then the container exits and the follow ends.
		pod := logPod("follow", node, "200ms")
		pod.Annotations["k1s.dev/run-duration"] = "1s"
		if _, err := pods.Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		waitPodPhase(t, c, "follow", corev1.PodRunning)
		start := time.Now()
		r := kubectlWithin(t, c, 30*time.Second, "logs", "-f", "follow")
		if r.Err != nil {
			t.Fatalf("kubectl logs -f: %v\n%s", r.Err, r.Stderr)
		}
		if want := "hello\nworld\ntick 1\ntick 2\ntick 3\ntick 4\ntick 5\n"; r.Stdout != want {
			t.Errorf("kubectl logs -f = %q, want %q", r.Stdout, want)
		}
		t.Logf("kubectl logs -f returned after %v", time.Since(start))
		// Once it exited, the log is still there, and the pod Succeeded.
		waitPodPhase(t, c, "follow", corev1.PodSucceeded)
		if out := c.Kubectl(t, "logs", "follow", "--tail", "2"); out != "tick 4\ntick 5\n" {
			t.Errorf("kubectl logs --tail 2 after exit = %q", out)
		}
	})

	t.Run("TestNodeProxy", func(t *testing.T) {
		if out := c.Kubectl(t, "get", "--raw", "/api/v1/nodes/"+node+"/proxy/healthz"); out != "ok" {
			t.Errorf("nodes/proxy/healthz = %q", out)
		}
		if out := c.Kubectl(t, "get", "--raw", "/api/v1/nodes/https:"+node+":/proxy/healthz"); out != "ok" {
			t.Errorf("nodes/https:name:/proxy/healthz = %q", out)
		}
		out := c.Kubectl(t, "get", "--raw", "/api/v1/nodes/"+node+"/proxy/pods")
		if !strings.Contains(out, `"kind":"PodList"`) || !strings.Contains(out, `"name":"logger"`) {
			t.Errorf("nodes/proxy/pods = %.300s", out)
		}
		out = c.Kubectl(t, "get", "--raw", "/api/v1/nodes/"+node+"/proxy/stats/summary")
		if !strings.Contains(out, `"nodeName":"`+node+`"`) {
			t.Errorf("nodes/proxy/stats/summary = %.300s", out)
		}
		out = c.Kubectl(t, "get", "--raw", "/api/v1/nodes/"+node+"/proxy/containerLogs/default/logger/app?tailLines=1")
		if out != "world\n" {
			t.Errorf("nodes/proxy/containerLogs = %q", out)
		}
	})

	t.Run("TestKubeletAPIExecNotSupported", func(t *testing.T) {
		r := kubectlWithin(t, c, 30*time.Second, "exec", "logger", "--", "ls")
		if r.Err == nil || !strings.Contains(r.Stderr, `exec is not supported by the sim runtime: container "app" of pod default/logger runs no process`) {
			t.Errorf("kubectl exec: err %v\nstdout %q\nstderr %q", r.Err, r.Stdout, r.Stderr)
		}
		t.Logf("kubectl exec printed: %s", r.Stderr)
		// port-forward over SPDY with client-go, as kubectl port-forward does.
		transport, upgrader, err := spdy.RoundTripperFor(c.RESTConfig())
		if err != nil {
			t.Fatal(err)
		}
		pfURL := c.Client.CoreV1().RESTClient().Post().Resource("pods").Namespace("default").Name("logger").SubResource("portforward").URL()
		dialer := spdy.NewDialer(upgrader, &http.Client{Transport: transport}, http.MethodPost, pfURL)
		fw, err := portforward.New(dialer, []string{"0:80"}, make(chan struct{}), make(chan struct{}), io.Discard, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if err := fw.ForwardPorts(); err == nil || !strings.Contains(err.Error(), "portForward is not supported by the sim runtime: pod default/logger runs no process") {
			t.Errorf("port-forward: %v", err)
		}
		r = kubectlWithin(t, c, 30*time.Second, "attach", "logger")
		if r.Err == nil || !strings.Contains(r.Stderr, "attach is not supported by the sim runtime") {
			t.Errorf("kubectl attach: err %v\nstdout %q\nstderr %q", r.Err, r.Stdout, r.Stderr)
		}
	})

	t.Run("TestKubeletAPIAuth", func(t *testing.T) {
		base := kubeletURL(t, c, node)
		if code, body := httpGet(t, kubeletClient(t, c, ""), base+"/healthz"); code != http.StatusUnauthorized || body != "Unauthorized" {
			t.Errorf("anonymous GET /healthz: %d %q", code, body)
		}
		code, body := httpGet(t, kubeletClient(t, c, "nobody"), base+"/pods")
		if want := "Forbidden (user=nobody, verb=get, resource=nodes, subresource(s)=[pods proxy])\n"; code != http.StatusForbidden || body != want {
			t.Errorf("GET /pods as a user without RBAC: %d %q, want 403 %q", code, body, want)
		}
		// The apiserver's identity is not an admin: it holds system:kubelet-api-admin only.
		review := c.Kubectl(t, "auth", "can-i", "--as", "kube-apiserver-kubelet-client", "get", "nodes", "--subresource", "proxy")
		if strings.TrimSpace(review) != "yes" {
			t.Errorf("kube-apiserver-kubelet-client may not get nodes/proxy: %q", review)
		}
		r := c.KubectlIn(t, "", "auth", "can-i", "--as", "kube-apiserver-kubelet-client", "get", "secrets")
		if strings.TrimSpace(r.Stdout) != "no" {
			t.Errorf("kube-apiserver-kubelet-client may get secrets: %q", r.Stdout)
		}
		// A bearer token authenticates through TokenReview: the default service account
		// has no kubelet rights.
		tr, err := c.Client.CoreV1().ServiceAccounts("default").CreateToken(ctx, "default", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodGet, base+"/stats/summary", nil)
		req.Header.Set("Authorization", "Bearer "+tr.Status.Token)
		resp, err := kubeletClient(t, c, "").Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := "Forbidden (user=system:serviceaccount:default:default, verb=get, resource=nodes, subresource(s)=[stats])\n"; resp.StatusCode != http.StatusForbidden || string(b) != want {
			t.Errorf("GET /stats/summary with a service account token: %d %q, want 403 %q", resp.StatusCode, b, want)
		}
	})

	t.Run("TestKubeletAPIPodAndServiceProxy", func(t *testing.T) {
		// A host-network pod has the node's address; a test server on that address
		// stands in for the process the sim runtime does not run.
		nodeIP := c.Node(node).IP.String()
		serve := func(tlsToo bool) (port string) {
			ln, err := net.Listen("tcp", net.JoinHostPort(nodeIP, "0"))
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, "tls=%v path=%s", r.TLS != nil, r.URL.Path)
			}))
			srv.Listener.Close()
			srv.Listener = ln
			if tlsToo {
				srv.StartTLS()
			} else {
				srv.Start()
			}
			t.Cleanup(srv.Close)
			_, port, _ = net.SplitHostPort(ln.Addr().String())
			return port
		}
		httpPort, httpsPort := serve(false), serve(true)
		pod := simplePod("web", node, nil)
		pod.Labels = map[string]string{"app": "web"}
		pod.Spec.HostNetwork = true
		if _, err := pods.Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		waitPodPhase(t, c, "web", corev1.PodRunning)
		if out := c.Kubectl(t, "get", "--raw", "/api/v1/namespaces/default/pods/web:"+httpPort+"/proxy/hello"); out != "tls=false path=/hello" {
			t.Errorf("pods/web:port/proxy = %q", out)
		}
		if out := c.Kubectl(t, "get", "--raw", "/api/v1/namespaces/default/pods/https:web:"+httpsPort+"/proxy/hello"); out != "tls=true path=/hello" {
			t.Errorf("pods/https:web:port/proxy = %q", out)
		}
		hp, _ := strconv.Atoi(httpPort)
		hsp, _ := strconv.Atoi(httpsPort)
		svc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "web"},
			Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{
				{Name: "http", Port: 80, TargetPort: intstr.FromInt(hp)},
				{Name: "https", Port: 443, TargetPort: intstr.FromInt(hsp)},
			}},
		}
		if _, err := c.Client.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		framework.Eventually(t, 30*time.Second, "services/web/proxy", func(ctx context.Context) (bool, error) {
			r := c.KubectlIn(t, "", "get", "--raw", "/api/v1/namespaces/default/services/web:http/proxy/x")
			return r.Err == nil && r.Stdout == "tls=false path=/x", nil
		})
		if out := c.Kubectl(t, "get", "--raw", "/api/v1/namespaces/default/services/https:web:443/proxy/y"); out != "tls=true path=/y" {
			t.Errorf("services/https:web:443/proxy = %q", out)
		}
		// A port the service does not have is upstream's 503.
		r := c.KubectlIn(t, "", "get", "--raw", "/api/v1/namespaces/default/services/web:8080/proxy/")
		if r.Err == nil || !strings.Contains(r.Stderr, `no service port 8080 found for service "web"`) {
			t.Errorf("services/web:8080/proxy: err %v stderr %q", r.Err, r.Stderr)
		}
	})

	t.Run("TestKubeletAPIUntrustedServingCert", func(t *testing.T) {
		other, err := pki.LoadOrCreateCA(t.TempDir(), "other", "not-the-cluster-ca")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.AddNode(ctx, "rogue", cluster.NodeOptions{KubeletServingCA: other}); err != nil {
			t.Fatal(err)
		}
		if _, err := pods.Create(ctx, logPod("on-rogue", "rogue", "1h"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		waitPodPhase(t, c, "on-rogue", corev1.PodRunning)
		r := c.KubectlIn(t, "", "logs", "on-rogue")
		if r.Err == nil || !strings.Contains(r.Stderr, "x509: certificate signed by unknown authority") {
			t.Errorf("kubectl logs from a kubelet with an untrusted certificate: err %v stdout %q stderr %q", r.Err, r.Stdout, r.Stderr)
		}
		// The per-request escape hatch of upstream still works.
		if out := c.Kubectl(t, "logs", "on-rogue", "--insecure-skip-tls-verify-backend"); out != "hello\nworld\n" {
			t.Errorf("kubectl logs --insecure-skip-tls-verify-backend = %q", out)
		}
		r = c.KubectlIn(t, "", "get", "--raw", "/api/v1/nodes/rogue/proxy/healthz")
		if r.Err == nil || !strings.Contains(r.Stderr, "x509: certificate signed by unknown authority") {
			t.Errorf("nodes/rogue/proxy/healthz: err %v stdout %q stderr %q", r.Err, r.Stdout, r.Stderr)
		}
	})
}

// BenchmarkLogStreaming measures log throughput of one container's log (about 14 MB of
// "tick n" lines) through the apiserver (pods/log, kubelet client certificate, TLS
// twice) and straight from the kubelet API (for comparison). exec round-trip latency is
// not measured: the sim runtime does not run processes, so exec cannot work end to end.
func BenchmarkLogStreaming(b *testing.B) {
	c := framework.Start(b, cluster.Config{Nodes: 1, EtcdUnsafeNoFsync: true})
	ctx := context.Background()
	node := cluster.NodeName(1)
	pod := logPod("bench", node, "1us")
	if _, err := c.Client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	framework.Eventually(b, 30*time.Second, "pod bench running", func(ctx context.Context) (bool, error) {
		p, err := c.Client.CoreV1().Pods("default").Get(ctx, "bench", metav1.GetOptions{})
		return err == nil && p.Status.Phase == corev1.PodRunning, err
	})
	const size = 8 << 20
	// A tick every microsecond: after 1.5 s the log holds well over size bytes.
	time.Sleep(1500 * time.Millisecond)
	read := func(b *testing.B, open func() (io.ReadCloser, error)) {
		b.SetBytes(size)
		b.ResetTimer()
		for range b.N {
			rc, err := open()
			if err != nil {
				b.Fatal(err)
			}
			n, err := io.Copy(io.Discard, rc)
			rc.Close()
			if err != nil || n != size {
				b.Fatalf("read %d bytes (%v), want %d", n, err, size)
			}
		}
	}
	b.Run("apiserver", func(b *testing.B) {
		read(b, func() (io.ReadCloser, error) {
			return c.Client.CoreV1().Pods("default").GetLogs("bench", &corev1.PodLogOptions{LimitBytes: ptr.To[int64](size)}).Stream(ctx)
		})
	})
	b.Run("kubelet", func(b *testing.B) {
		// The admin (system:masters) may use every kubelet API.
		client := kubeletClient(b, c, "kubernetes-admin", "system:masters")
		url := fmt.Sprintf("%s/containerLogs/default/bench/app?limitBytes=%d", kubeletURL(b, c, node), size)
		read(b, func() (io.ReadCloser, error) {
			resp, err := client.Get(url)
			if err != nil {
				return nil, err
			}
			if resp.StatusCode != http.StatusOK {
				resp.Body.Close()
				return nil, errors.New(resp.Status)
			}
			return resp.Body, nil
		})
	})
}

// TestKubeletInsecureSkipTLSVerify: with --kubelet-insecure-skip-tls-verify the
// apiserver reaches a kubelet whose serving certificate comes from another CA.
func TestKubeletInsecureSkipTLSVerify(t *testing.T) {
	t.Parallel()
	c := framework.Start(t, cluster.Config{EtcdUnsafeNoFsync: true, KubeletInsecureSkipTLSVerify: true})
	ctx := testContext(t)
	other, err := pki.LoadOrCreateCA(t.TempDir(), "other", "not-the-cluster-ca")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddNode(ctx, "rogue", cluster.NodeOptions{KubeletServingCA: other}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Client.CoreV1().Pods("default").Create(ctx, logPod("on-rogue", "rogue", "1h"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitPodPhase(t, c, "on-rogue", corev1.PodRunning)
	if out := c.Kubectl(t, "logs", "on-rogue"); out != "hello\nworld\n" {
		t.Errorf("kubectl logs = %q", out)
	}
	if out := c.Kubectl(t, "get", "--raw", "/api/v1/nodes/rogue/proxy/healthz"); out != "ok" {
		t.Errorf("nodes/rogue/proxy/healthz = %q", out)
	}
}
