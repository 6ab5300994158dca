package e2e

import (
	"context"
	"net/url"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/k1s-dev/k1s/cluster"
	"github.com/k1s-dev/k1s/e2e/framework"
)

// TestAPIRestart stops a cluster and starts another on the same data dir: objects,
// their UIDs and every cluster IP and node port allocation survive.
//
// The service ranges are tiny (6 cluster IPs, 5 node ports) so that a lost allocation
// would certainly be handed out again after the restart.
func TestAPIRestart(t *testing.T) {
	t.Parallel()
	cfg := cluster.Config{
		DataDir:               t.TempDir(),
		ServiceClusterIPRange: "10.96.0.0/29",
		ServiceNodePortRange:  "30000-30004",
	}
	c := framework.Start(t, cfg)
	ctx := testContext(t)

	ns, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "persist"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm, err := c.Client.CoreV1().ConfigMaps("persist").Create(ctx, newConfigMap("persist", "config"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	svc := newService("persist", "web")
	svc.Spec.Type = corev1.ServiceTypeNodePort
	svc, err = c.Client.CoreV1().Services("persist").Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nodePort := svc.Spec.Ports[0].NodePort
	node, err := c.Client.CoreV1().Nodes().Create(ctx, newNode("node-persist"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kubernetesSvc, err := c.Client.CoreV1().Services("default").Get(ctx, "kubernetes", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// A deleted service's allocations must stay free across the restart.
	gone := newService("persist", "gone")
	gone.Spec.Type = corev1.ServiceTypeNodePort
	gone, err = c.Client.CoreV1().Services("persist").Create(ctx, gone, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Client.CoreV1().Services("persist").Delete(ctx, "gone", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}

	if err := c.Stop(); err != nil {
		t.Fatalf("stopping: %v", err)
	}
	c = framework.Start(t, cfg)
	ctx = testContext(t)
	core := c.Client.CoreV1()

	gotNS, err := core.Namespaces().Get(ctx, "persist", metav1.GetOptions{})
	if err != nil || gotNS.UID != ns.UID {
		t.Fatalf("namespace after restart: %v %v", err, gotNS)
	}
	gotCM, err := core.ConfigMaps("persist").Get(ctx, "config", metav1.GetOptions{})
	if err != nil || gotCM.UID != cm.UID || gotCM.Data["key"] != "value" || gotCM.ResourceVersion != cm.ResourceVersion {
		t.Fatalf("configmap after restart: %v %+v", err, gotCM)
	}
	gotNode, err := core.Nodes().Get(ctx, "node-persist", metav1.GetOptions{})
	if err != nil || gotNode.UID != node.UID {
		t.Fatalf("node after restart: %v %v", err, gotNode)
	}
	gotSvc, err := core.Services("persist").Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if gotSvc.UID != svc.UID || gotSvc.Spec.ClusterIP != svc.Spec.ClusterIP || gotSvc.Spec.Ports[0].NodePort != nodePort {
		t.Fatalf("service after restart: uid %s ip %s nodePort %d; before uid %s ip %s nodePort %d",
			gotSvc.UID, gotSvc.Spec.ClusterIP, gotSvc.Spec.Ports[0].NodePort, svc.UID, svc.Spec.ClusterIP, nodePort)
	}
	_, err = core.Services("persist").Get(ctx, "gone", metav1.GetOptions{})
	expectNotFound(t, err)

	// The kubernetes service is the same object, pointed at the new port.
	gotKubernetes, err := core.Services("default").Get(ctx, "kubernetes", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(c.RESTConfig().Host)
	port, _ := strconv.Atoi(u.Port())
	if gotKubernetes.UID != kubernetesSvc.UID || gotKubernetes.Spec.ClusterIP != "10.96.0.1" {
		t.Fatalf("kubernetes service after restart: uid %s ip %s", gotKubernetes.UID, gotKubernetes.Spec.ClusterIP)
	}
	framework.Eventually(t, 30e9, "the kubernetes endpoints to point at the new port", func(ctx context.Context) (bool, error) {
		ep, err := core.Endpoints("default").Get(ctx, "kubernetes", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return len(ep.Subsets) == 1 && len(ep.Subsets[0].Ports) == 1 && int(ep.Subsets[0].Ports[0].Port) == port, nil
	})

	// The surviving allocations cannot be requested again.
	dupIP := newService("persist", "dup-ip")
	dupIP.Spec.ClusterIP = svc.Spec.ClusterIP
	_, err = core.Services("persist").Create(ctx, dupIP, metav1.CreateOptions{})
	expectInvalidField(t, err, "spec.clusterIPs[0]")
	dupPort := newService("persist", "dup-port")
	dupPort.Spec.Type = corev1.ServiceTypeNodePort
	dupPort.Spec.Ports[0].NodePort = nodePort
	_, err = core.Services("persist").Create(ctx, dupPort, metav1.CreateOptions{})
	expectInvalidField(t, err, "spec.ports[0].nodePort")

	// Fill both ranges: 6 IPs minus kubernetes and web, 5 ports minus web's. No new
	// service gets a surviving value; the freed ones of "gone" are handed out again.
	ips := map[string]string{"10.96.0.1": "kubernetes", svc.Spec.ClusterIP: "web"}
	ports := map[int32]string{nodePort: "web"}
	for i := range 4 {
		name := "fill-" + strconv.Itoa(i)
		fill := newService("persist", name)
		fill.Spec.Type = corev1.ServiceTypeNodePort
		created, err := core.Services("persist").Create(ctx, fill, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("creating %s (ips %v, ports %v): %v", name, ips, ports, err)
		}
		ip, port := created.Spec.ClusterIP, created.Spec.Ports[0].NodePort
		if owner, taken := ips[ip]; taken {
			t.Fatalf("%s got cluster IP %s, which %s holds", name, ip, owner)
		}
		if owner, taken := ports[port]; taken {
			t.Fatalf("%s got node port %d, which %s holds", name, port, owner)
		}
		ips[ip], ports[port] = name, name
	}
	if ips[gone.Spec.ClusterIP] == "" || ports[gone.Spec.Ports[0].NodePort] == "" {
		t.Fatalf("the deleted service's IP %s or port %d was not handed out again: ips %v ports %v",
			gone.Spec.ClusterIP, gone.Spec.Ports[0].NodePort, ips, ports)
	}
	_, err = core.Services("persist").Create(ctx, newService("persist", "one-too-many"), metav1.CreateOptions{})
	if err == nil || apierrors.IsInvalid(err) {
		t.Fatalf("a service beyond a full range: %v, want an allocation failure", err)
	}
}
