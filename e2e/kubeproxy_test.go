package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/k1s-dev/k1s/cluster"
	"github.com/k1s-dev/k1s/e2e/framework"
)

// proxyResult is what a connection to a node port got.
type proxyResult struct {
	line    string // the proxy's first line, without its newline
	refused bool   // nothing listens
	closed  bool   // accepted, then closed without a word (no usable endpoint)
}

// dialNodePort connects to address, reads the proxy's line and checks that the
// bytes sent after it come back.
func dialNodePort(ctx context.Context, address string) (proxyResult, error) {
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := d.DialContext(dctx, "tcp", address)
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return proxyResult{refused: true}, nil
	case errors.Is(err, syscall.ECONNRESET):
		return proxyResult{closed: true}, nil
	case err != nil:
		return proxyResult{}, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	line, err := r.ReadString('\n')
	if line == "" && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) {
		return proxyResult{closed: true}, nil
	}
	if err != nil {
		return proxyResult{}, fmt.Errorf("reading from %s: %w (got %q)", address, err, line)
	}
	const msg = "hello from e2e\n"
	if _, err := io.WriteString(conn, msg); err != nil {
		return proxyResult{}, err
	}
	if back, err := r.ReadString('\n'); err != nil || back != msg {
		return proxyResult{}, fmt.Errorf("echo from %s: got %q, %v; want %q", address, back, err, msg)
	}
	return proxyResult{line: line[:len(line)-1]}, nil
}

// waitNodePort waits until a connection to address gets want.
func waitNodePort(t *testing.T, address string, want proxyResult) {
	t.Helper()
	var last proxyResult
	var lastErr error
	err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		last, lastErr = dialNodePort(ctx, address)
		return lastErr == nil && last == want, nil
	})
	if err != nil {
		t.Fatalf("waiting for %s to answer %+v: %v (last: %+v, %v)", address, want, err, last, lastErr)
	}
}

// TestKubeProxyNodePort: a NodePort Service selecting a pod on node 1 answers on
// both nodes' InternalIP:nodePort with the pod's line (through the real
// EndpointSlice controller), only on node 1 with externalTrafficPolicy Local, not
// on a node whose heartbeats stop, and no more once deleted.
func TestKubeProxyNodePort(t *testing.T) {
	t.Parallel()
	c := framework.Start(t, cluster.Config{Nodes: 2})
	ctx := context.Background()
	node1, node2 := cluster.NodeName(1), cluster.NodeName(2)
	ns := "default"

	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns, Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{
			NodeName: node1,
			Containers: []corev1.Container{{
				Name: "app", Image: "nginx:1.27",
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
			}},
		},
	}
	if _, err := c.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeNodePort,
			Selector: map[string]string{"app": "web"},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}},
		},
	}
	svc, err := c.Client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nodePort := svc.Spec.Ports[0].NodePort

	running := waitPodPhase(t, c, "web", corev1.PodRunning)
	framework.Eventually(t, 30*time.Second, "pod web Ready", func(ctx context.Context) (bool, error) {
		p, err := c.Client.CoreV1().Pods(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		running = p
		cond := podCondition(p, corev1.PodReady)
		return cond != nil && cond.Status == corev1.ConditionTrue, nil
	})

	addr1 := net.JoinHostPort(c.Node(node1).IP.String(), strconv.Itoa(int(nodePort)))
	addr2 := net.JoinHostPort(c.Node(node2).IP.String(), strconv.Itoa(int(nodePort)))
	want := proxyResult{line: fmt.Sprintf("k1s: %s/web port 80 -> pod %s/web (%s) on node %s",
		ns, ns, net.JoinHostPort(running.Status.PodIP, "8080"), node1)}
	// externalTrafficPolicy Cluster: either node reaches the pod on node 1.
	waitNodePort(t, addr1, want)
	waitNodePort(t, addr2, want)

	// Local: node 2 has no endpoint of its own and closes; node 1 still serves.
	svc, err = c.Client.CoreV1().Services(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	if _, err := c.Client.CoreV1().Services(ns).Update(ctx, svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitNodePort(t, addr2, proxyResult{closed: true})
	waitNodePort(t, addr1, want)

	// A node that stops heartbeating stands for a failed machine: its ports go.
	if err := c.StopNode(node1); err != nil {
		t.Fatal(err)
	}
	waitNodePort(t, addr1, proxyResult{refused: true})
	if err := c.StartNode(node1); err != nil {
		t.Fatal(err)
	}
	waitNodePort(t, addr1, want)

	if err := c.Client.CoreV1().Services(ns).Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitNodePort(t, addr1, proxyResult{refused: true})
	waitNodePort(t, addr2, proxyResult{refused: true})
}
