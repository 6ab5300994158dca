package e2e

import (
	"context"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/k1s-dev/k1s/cluster"
	"github.com/k1s-dev/k1s/e2e/framework"
	"github.com/k1s-dev/k1s/pki"
)

func simplePod(name, node string, annotations map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Annotations: annotations},
		Spec: corev1.PodSpec{
			NodeName:      node,
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{{Name: "app", Image: "nginx:1.27"}},
		},
	}
}

func waitPodPhase(t *testing.T, c *framework.Cluster, name string, phase corev1.PodPhase) *corev1.Pod {
	t.Helper()
	var got *corev1.Pod
	framework.Eventually(t, 30*time.Second, "pod "+name+" "+string(phase), func(ctx context.Context) (bool, error) {
		pod, err := c.Client.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		got = pod
		return pod.Status.Phase == phase, nil
	})
	return got
}

// TestNodesRunPods: kubelets started with the cluster register Ready nodes and run the
// pods bound to them through the simulated runtime.
func TestNodesRunPods(t *testing.T) {
	t.Parallel()
	c := framework.Start(t, cluster.Config{Nodes: 3, Zones: []string{"a", "b", "c"}})
	ctx := context.Background()
	node1 := cluster.NodeName(1)

	nodes := c.Kubectl(t, "get", "nodes")
	for i := 1; i <= 3; i++ {
		if !strings.Contains(nodes, cluster.NodeName(i)+"   Ready") {
			t.Errorf("kubectl get nodes does not show %s Ready:\n%s", cluster.NodeName(i), nodes)
		}
	}

	if _, err := c.Client.CoreV1().Pods("default").Create(ctx, simplePod("web", node1, nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := waitPodPhase(t, c, "web", corev1.PodRunning)
	if pod.Status.PodIP == "" || pod.Status.HostIP != c.Node(node1).IP.String() || pod.Status.StartTime == nil {
		t.Errorf("running pod status: podIP %q hostIP %q (node IP %s) startTime %v", pod.Status.PodIP, pod.Status.HostIP, c.Node(node1).IP, pod.Status.StartTime)
	}
	framework.Eventually(t, 30*time.Second, "pod web Ready", func(ctx context.Context) (bool, error) {
		pod, err := c.Client.CoreV1().Pods("default").Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, cond := range pod.Status.Conditions {
			if cond.Type == corev1.PodReady {
				return cond.Status == corev1.ConditionTrue, nil
			}
		}
		return false, nil
	})
	if out := c.Kubectl(t, "get", "pod", "web", "-o", "wide"); !strings.Contains(out, "1/1     Running") || !strings.Contains(out, node1) {
		t.Errorf("kubectl get pod -o wide:\n%s", out)
	}

	// A container told to exit 0 completes the pod; exit 3 with restartPolicy Never fails it.
	c.Client.CoreV1().Pods("default").Create(ctx, simplePod("job-ok", node1, map[string]string{"k1s.dev/run-duration": "100ms"}), metav1.CreateOptions{})
	c.Client.CoreV1().Pods("default").Create(ctx, simplePod("job-bad", node1, map[string]string{"k1s.dev/run-duration": "100ms", "k1s.dev/exit-code": "3"}), metav1.CreateOptions{})
	waitPodPhase(t, c, "job-ok", corev1.PodSucceeded)
	bad := waitPodPhase(t, c, "job-bad", corev1.PodFailed)
	if st := bad.Status.ContainerStatuses; len(st) != 1 || st[0].State.Terminated == nil || st[0].State.Terminated.ExitCode != 3 {
		t.Errorf("failed pod container status: %+v", st)
	}

	// A pod that does not fit the node's allocatable is rejected by the kubelet.
	big := simplePod("too-big", node1, nil)
	big.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1000")}
	c.Client.CoreV1().Pods("default").Create(ctx, big, metav1.CreateOptions{})
	rejected := waitPodPhase(t, c, "too-big", corev1.PodFailed)
	if rejected.Status.Reason != "OutOfcpu" {
		t.Errorf("rejected pod reason %q, want OutOfcpu (message %q)", rejected.Status.Reason, rejected.Status.Message)
	}

	// Graceful deletion: the kubelet stops the containers and removes the pod.
	if err := c.Client.CoreV1().Pods("default").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	framework.Eventually(t, 30*time.Second, "pod web removed by its kubelet", func(ctx context.Context) (bool, error) {
		_, err := c.Client.CoreV1().Pods("default").Get(ctx, "web", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
}

// TestNodeStopAndRemove: a stopped node stops renewing its Lease while a running node
// keeps renewing; a deleted Node registers again; a removed node is gone.
func TestNodeStopAndRemove(t *testing.T) {
	t.Parallel()
	c := framework.Start(t, cluster.Config{})
	ctx := context.Background()
	fast := cluster.NodeOptions{NodeStatusUpdateFrequency: time.Second, NodeLeaseDurationSeconds: 4} // renew every second
	for _, name := range []string{"alive", "failing"} {
		if _, err := c.AddNode(ctx, name, fast); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.WaitForNodesReady(ctx, "alive", "failing"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"alive", "failing"} {
		framework.Eventually(t, 30*time.Second, "the lease of "+name, func(ctx context.Context) (bool, error) {
			_, err := c.Client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, name, metav1.GetOptions{})
			return err == nil, nil
		})
	}
	renewTime := func(name string) time.Time {
		lease, err := c.Client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return leaseRenewTime(lease)
	}
	if err := c.StopNode("failing"); err != nil {
		t.Fatal(err)
	}
	stoppedAt := renewTime("failing")
	aliveAt := renewTime("alive")
	framework.Eventually(t, 30*time.Second, "the running node to renew its lease", func(context.Context) (bool, error) {
		return renewTime("alive").After(aliveAt), nil
	})
	// By the time the running node renewed (twice, to be past any renewal in flight when
	// the other stopped), the stopped one has not renewed at all.
	aliveAt = renewTime("alive")
	framework.Eventually(t, 30*time.Second, "a second renewal", func(context.Context) (bool, error) {
		return renewTime("alive").After(aliveAt), nil
	})
	if got := renewTime("failing"); !got.Equal(stoppedAt) {
		t.Errorf("stopped node renewed its lease: %v -> %v", stoppedAt, got)
	}
	if err := c.StartNode("failing"); err != nil {
		t.Fatal(err)
	}
	framework.Eventually(t, 30*time.Second, "the resumed node to renew its lease", func(context.Context) (bool, error) {
		return renewTime("failing").After(stoppedAt), nil
	})

	// Deleting the Node of a running kubelet: it registers again.
	old, err := c.Client.CoreV1().Nodes().Get(ctx, "alive", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Client.CoreV1().Nodes().Delete(ctx, "alive", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	framework.Eventually(t, 30*time.Second, "node alive to register again", func(ctx context.Context) (bool, error) {
		n, err := c.Client.CoreV1().Nodes().Get(ctx, "alive", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil && n.UID != old.UID, err
	})

	if err := c.RemoveNode(ctx, "failing"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Client.CoreV1().Nodes().Get(ctx, "failing", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("removed node: got %v, want NotFound", err)
	}
}

func leaseRenewTime(l *coordinationv1.Lease) time.Time {
	if l.Spec.RenewTime == nil {
		return time.Time{}
	}
	return l.Spec.RenewTime.Time
}

// TestKubeletIdentity: a kubelet may change only its own Node and Lease (Node authorizer
// and NodeRestriction).
func TestKubeletIdentity(t *testing.T) {
	t.Parallel()
	c := framework.Start(t, cluster.Config{Nodes: 2})
	ctx := context.Background()
	kubelet1 := nodeClient(t, c, cluster.NodeName(1))

	patch := []byte(`{"metadata":{"labels":{"example.com/x":"y"}}}`)
	if _, err := kubelet1.CoreV1().Nodes().Patch(ctx, cluster.NodeName(1), types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Errorf("kubelet patching its own node: %v", err)
	}
	_, err := kubelet1.CoreV1().Nodes().Patch(ctx, cluster.NodeName(2), types.MergePatchType, patch, metav1.PatchOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("kubelet 1 patching node 2: got %v, want 403 Forbidden", err)
	}
	role := []byte(`{"metadata":{"labels":{"node-role.kubernetes.io/master":""}}}`)
	_, err = kubelet1.CoreV1().Nodes().Patch(ctx, cluster.NodeName(1), types.MergePatchType, role, metav1.PatchOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "node-role.kubernetes.io/master") {
		t.Errorf("kubelet setting node-role.kubernetes.io/master on itself: got %v, want Forbidden naming the label", err)
	}
	if _, err := kubelet1.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, cluster.NodeName(2), metav1.GetOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("kubelet 1 reading node 2's lease: got %v, want Forbidden", err)
	}
	if _, err := kubelet1.CoreV1().Pods("default").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("kubelet listing all pods: got %v, want Forbidden", err)
	}
	if _, err := kubelet1.CoreV1().Pods("default").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + cluster.NodeName(1)}); err != nil {
		t.Errorf("kubelet listing its own pods: %v", err)
	}
	if _, err := kubelet1.CoreV1().Secrets("default").Get(ctx, "anything", metav1.GetOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("kubelet reading an unrelated secret: got %v, want Forbidden", err)
	}
}

// nodeClient returns a client with the credentials the kubelet of node name
// uses (a token for system:node:<name> in system:nodes), and a second one with
// a client certificate for the same identity, which a kubelet could use too.
func nodeClient(t *testing.T, c *framework.Cluster, name string) kubernetes.Interface {
	t.Helper()
	cfg, err := c.NodeRESTConfig(name)
	if err != nil {
		t.Fatal(err)
	}
	return kubernetes.NewForConfigOrDie(cfg)
}

func nodeCertClient(t *testing.T, c *framework.Cluster, name string) kubernetes.Interface {
	t.Helper()
	kp, err := c.CA().EnsureClient(t.TempDir(), name, pki.ClientSpec{CommonName: "system:node:" + name, Organizations: []string{"system:nodes"}})
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := kp.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg := &rest.Config{Host: c.RESTConfig().Host, TLSClientConfig: rest.TLSClientConfig{CAData: c.CA().CertPEM(), CertData: certPEM, KeyData: keyPEM}}
	return kubernetes.NewForConfigOrDie(cfg)
}

// TestKubeletCredentials: a kubelet authenticates as system:node:<name> in
// system:nodes, with a token the apiserver forgets when the node is removed;
// a certificate for the same identity is authorized alike.
func TestKubeletCredentials(t *testing.T) {
	t.Parallel()
	c := framework.Start(t, cluster.Config{Nodes: 2})
	ctx := testContext(t)
	name := cluster.NodeName(2)
	for how, client := range map[string]kubernetes.Interface{"token": nodeClient(t, c, name), "certificate": nodeCertClient(t, c, name)} {
		review, err := client.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("%s: SelfSubjectReview: %v", how, err)
		}
		got := review.Status.UserInfo
		if got.Username != "system:node:"+name || !slices.Equal(got.Groups, []string{"system:nodes", "system:authenticated"}) {
			t.Errorf("%s: the kubelet of %s is %+v", how, name, got)
		}
		if _, err := client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, name, metav1.GetOptions{}); err != nil {
			t.Errorf("%s: reading its own lease: %v", how, err)
		}
		if _, err := client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, cluster.NodeName(1), metav1.GetOptions{}); !apierrors.IsForbidden(err) {
			t.Errorf("%s: reading another node's lease: got %v, want Forbidden", how, err)
		}
	}

	kubelet := nodeClient(t, c, name)
	if err := c.RemoveNode(ctx, name); err != nil {
		t.Fatal(err)
	}
	framework.Eventually(t, 10*time.Second, "the removed node's token to be refused", func(ctx context.Context) (bool, error) {
		_, err := kubelet.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, name, metav1.GetOptions{})
		return apierrors.IsUnauthorized(err), nil
	})
	// The other node's kubelet is untouched.
	if _, err := nodeClient(t, c, cluster.NodeName(1)).CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, cluster.NodeName(1), metav1.GetOptions{}); err != nil {
		t.Errorf("node 1 after node 2's removal: %v", err)
	}
}

// TestNodeIPAM: with a cluster CIDR each node gets its own pod CIDR and its pods get IPs
// from it.
func TestNodeIPAM(t *testing.T) {
	t.Parallel()
	c := framework.Start(t, cluster.Config{Nodes: 2, ClusterCIDR: "10.244.0.0/16"})
	ctx := context.Background()
	cidrs := map[string]string{}
	framework.Eventually(t, 30*time.Second, "both nodes to get a pod CIDR", func(ctx context.Context) (bool, error) {
		nodes, err := c.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, n := range nodes.Items {
			if n.Spec.PodCIDR != "" {
				cidrs[n.Name] = n.Spec.PodCIDR
			}
		}
		return len(cidrs) == 2, nil
	})
	if cidrs[cluster.NodeName(1)] == cidrs[cluster.NodeName(2)] {
		t.Fatalf("two nodes share the pod CIDR %s", cidrs[cluster.NodeName(1)])
	}
	for name, cidr := range cidrs {
		_, ipnet, err := net.ParseCIDR(cidr)
		if err != nil || !strings.HasPrefix(cidr, "10.244.") || !strings.HasSuffix(cidr, "/24") {
			t.Fatalf("node %s pod CIDR %q, want a /24 of 10.244.0.0/16", name, cidr)
		}
		pod := simplePod("on-"+name, name, nil)
		if _, err := c.Client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		running := waitPodPhase(t, c, pod.Name, corev1.PodRunning)
		if ip := net.ParseIP(running.Status.PodIP); ip == nil || !ipnet.Contains(ip) {
			t.Errorf("pod on %s got IP %q, outside its node's pod CIDR %s", name, running.Status.PodIP, cidr)
		}
	}
}
