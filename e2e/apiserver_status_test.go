package e2e

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
)

// TestAPIStatusSubresources checks the split between a resource and its /status: an
// update of /status keeps the stored spec, an update of the resource keeps the stored
// status.
func TestAPIStatusSubresources(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	ns := createNamespace(t, c)

	t.Run("pods", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		pods := c.Client.CoreV1().Pods(ns)
		pod, err := pods.Create(ctx, newPod(ns, "status"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if pod.Status.Phase != corev1.PodPending || pod.Status.QOSClass != corev1.PodQOSBestEffort {
			t.Fatalf("new pod status %+v", pod.Status)
		}

		pod.Spec.Containers[0].Image = "registry.k8s.io/pause:3.9"
		pod.Spec.ActiveDeadlineSeconds = ptr.To[int64](60)
		pod.Status.Phase = corev1.PodRunning
		pod.Status.PodIP = "10.244.1.7"
		pod, err = pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update status: %v", err)
		}
		if pod.Status.Phase != corev1.PodRunning || pod.Status.PodIP != "10.244.1.7" {
			t.Fatalf("status not updated: %+v", pod.Status)
		}
		if len(pod.Status.PodIPs) != 1 || pod.Status.PodIPs[0].IP != "10.244.1.7" {
			t.Fatalf("podIPs not synced with podIP: %+v", pod.Status.PodIPs)
		}
		if pod.Spec.Containers[0].Image != pauseImage || pod.Spec.ActiveDeadlineSeconds != nil {
			t.Fatalf("status update changed the spec: image %s, activeDeadlineSeconds %v", pod.Spec.Containers[0].Image, pod.Spec.ActiveDeadlineSeconds)
		}
		if pod.Generation != 1 {
			t.Fatalf("status update bumped generation to %d", pod.Generation)
		}

		pod.Status.Phase = corev1.PodSucceeded
		pod.Labels["tier"] = "web"
		pod, err = pods.Update(ctx, pod, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update: %v", err)
		}
		if pod.Status.Phase != corev1.PodRunning || pod.Labels["tier"] != "web" {
			t.Fatalf("main update: phase %s labels %v", pod.Status.Phase, pod.Labels)
		}

		// The same rules hold for patches, the way kubelets write status.
		pod, err = pods.Patch(ctx, "status", types.MergePatchType, []byte(`{"spec":{"activeDeadlineSeconds":5},"status":{"message":"patched"}}`), metav1.PatchOptions{}, "status")
		if err != nil {
			t.Fatalf("status patch: %v", err)
		}
		if pod.Status.Message != "patched" || pod.Spec.ActiveDeadlineSeconds != nil {
			t.Fatalf("status patch: message %q activeDeadlineSeconds %v", pod.Status.Message, pod.Spec.ActiveDeadlineSeconds)
		}
		pod, err = pods.Patch(ctx, "status", types.MergePatchType, []byte(`{"status":{"message":"ignored"}}`), metav1.PatchOptions{})
		if err != nil {
			t.Fatalf("main patch: %v", err)
		}
		if pod.Status.Message != "patched" {
			t.Fatalf("main patch changed status.message to %q", pod.Status.Message)
		}
	})

	t.Run("server-side apply", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		pods := c.Client.CoreV1().Pods(ns)
		if _, err := pods.Apply(ctx, corev1ac.Pod("ssa", ns).WithLabels(map[string]string{"app": "ssa"}).
			WithSpec(corev1ac.PodSpec().WithContainers(corev1ac.Container().WithName("app").WithImage(pauseImage))),
			metav1.ApplyOptions{FieldManager: "user"}); err != nil {
			t.Fatal(err)
		}
		// A kubelet applies status through /status; spec in that configuration is ignored.
		pod, err := pods.ApplyStatus(ctx, corev1ac.Pod("ssa", ns).
			WithSpec(corev1ac.PodSpec().WithActiveDeadlineSeconds(5)).
			WithStatus(corev1ac.PodStatus().WithMessage("from kubelet")),
			metav1.ApplyOptions{FieldManager: "kubelet", Force: true})
		if err != nil {
			t.Fatalf("apply status: %v", err)
		}
		if pod.Status.Message != "from kubelet" || pod.Spec.ActiveDeadlineSeconds != nil {
			t.Fatalf("apply status: message %q activeDeadlineSeconds %v", pod.Status.Message, pod.Spec.ActiveDeadlineSeconds)
		}
		// A user applying status through the main resource changes nothing there and
		// does not take ownership of it (reset fields), so no conflict arises either.
		pod, err = pods.Apply(ctx, corev1ac.Pod("ssa", ns).WithLabels(map[string]string{"app": "ssa"}).
			WithSpec(corev1ac.PodSpec().WithContainers(corev1ac.Container().WithName("app").WithImage(pauseImage))).
			WithStatus(corev1ac.PodStatus().WithMessage("from user")),
			metav1.ApplyOptions{FieldManager: "user"})
		if err != nil {
			t.Fatalf("apply with status: %v", err)
		}
		if pod.Status.Message != "from kubelet" {
			t.Fatalf("main apply changed status.message to %q", pod.Status.Message)
		}
		for _, mf := range pod.ManagedFields {
			owns := mf.FieldsV1 != nil && strings.Contains(string(mf.FieldsV1.Raw), `"f:status"`)
			switch {
			case mf.Manager == "user" && owns:
				t.Fatalf("the main resource's manager owns status: %s", mf.FieldsV1.Raw)
			case mf.Manager == "kubelet" && (mf.Subresource != "status" || !owns):
				t.Fatalf("kubelet's entry: subresource %q fields %s", mf.Subresource, mf.FieldsV1.Raw)
			}
		}
	})

	t.Run("nodes", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		nodes := c.Client.CoreV1().Nodes()
		name := uniqueName("status")
		node, err := nodes.Create(ctx, newNode(name), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// The node controllers write to a new node at any time (taints, pod CIDR), so
		// each write re-reads the node and retries on conflict.
		write := func(update func(*corev1.Node) (*corev1.Node, error)) *corev1.Node {
			t.Helper()
			var out *corev1.Node
			err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
				fresh, err := nodes.Get(ctx, name, metav1.GetOptions{})
				if err != nil {
					return err
				}
				fresh.Spec.Unschedulable = true
				out, err = update(fresh)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		node = write(func(n *corev1.Node) (*corev1.Node, error) {
			n.Status.Capacity = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourcePods: resource.MustParse("110")}
			return nodes.UpdateStatus(ctx, n, metav1.UpdateOptions{})
		})
		if node.Spec.Unschedulable {
			t.Fatalf("status update changed spec.unschedulable")
		}
		if q := node.Status.Capacity[corev1.ResourceCPU]; q.String() != "4" {
			t.Fatalf("status not updated: capacity %v", node.Status.Capacity)
		}

		node = write(func(n *corev1.Node) (*corev1.Node, error) {
			n.Status.Capacity = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("64")}
			return nodes.Update(ctx, n, metav1.UpdateOptions{})
		})
		if !node.Spec.Unschedulable {
			t.Fatalf("main update did not change spec.unschedulable")
		}
		if q := node.Status.Capacity[corev1.ResourceCPU]; q.String() != "4" {
			t.Fatalf("main update changed the status: capacity %v", node.Status.Capacity)
		}
	})

	t.Run("services", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		services := c.Client.CoreV1().Services(ns)
		svc := newService(ns, "status")
		svc.Spec.Type = corev1.ServiceTypeLoadBalancer
		svc, err := services.Create(ctx, svc, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		svc.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
		svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "192.0.2.10"}}
		svc, err = services.UpdateStatus(ctx, svc, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update status: %v", err)
		}
		if svc.Spec.SessionAffinity != corev1.ServiceAffinityNone {
			t.Fatalf("status update changed spec.sessionAffinity to %s", svc.Spec.SessionAffinity)
		}
		if len(svc.Status.LoadBalancer.Ingress) != 1 || svc.Status.LoadBalancer.Ingress[0].IP != "192.0.2.10" {
			t.Fatalf("status not updated: %+v", svc.Status)
		}

		svc.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
		svc.Status.LoadBalancer.Ingress = nil
		svc, err = services.Update(ctx, svc, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update: %v", err)
		}
		if svc.Spec.SessionAffinity != corev1.ServiceAffinityClientIP {
			t.Fatalf("main update did not change spec.sessionAffinity")
		}
		if len(svc.Status.LoadBalancer.Ingress) != 1 {
			t.Fatalf("main update changed the status: %+v", svc.Status)
		}
	})

	t.Run("namespaces", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		namespaces := c.Client.CoreV1().Namespaces()
		nsObj, err := namespaces.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: uniqueName("status")}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if nsObj.Status.Phase != corev1.NamespaceActive || len(nsObj.Spec.Finalizers) != 1 || nsObj.Spec.Finalizers[0] != corev1.FinalizerKubernetes {
			t.Fatalf("new namespace: %+v", nsObj)
		}
		if nsObj.Labels[corev1.LabelMetadataName] != nsObj.Name {
			t.Fatalf("new namespace lacks the %s label: %v", corev1.LabelMetadataName, nsObj.Labels)
		}

		nsObj.Spec.Finalizers = nil
		nsObj.Status.Conditions = []corev1.NamespaceCondition{{
			Type: corev1.NamespaceDeletionDiscoveryFailure, Status: corev1.ConditionFalse, Reason: "ResourcesDiscovered",
		}}
		nsObj, err = namespaces.UpdateStatus(ctx, nsObj, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update status: %v", err)
		}
		if len(nsObj.Spec.Finalizers) != 1 {
			t.Fatalf("status update changed spec.finalizers: %v", nsObj.Spec.Finalizers)
		}
		if len(nsObj.Status.Conditions) != 1 {
			t.Fatalf("status not updated: %+v", nsObj.Status)
		}

		nsObj.Status.Phase = corev1.NamespaceTerminating
		nsObj.Status.Conditions = nil
		nsObj.Labels["team"] = "e2e"
		nsObj, err = namespaces.Update(ctx, nsObj, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update: %v", err)
		}
		if nsObj.Status.Phase != corev1.NamespaceActive || len(nsObj.Status.Conditions) != 1 || nsObj.Labels["team"] != "e2e" {
			t.Fatalf("main update: phase %s conditions %v labels %v", nsObj.Status.Phase, nsObj.Status.Conditions, nsObj.Labels)
		}

		// A live namespace cannot be put into Terminating through /status either.
		nsObj.Status.Phase = corev1.NamespaceTerminating
		_, err = namespaces.UpdateStatus(ctx, nsObj, metav1.UpdateOptions{})
		expectInvalidField(t, err, "status.Phase")
	})
}

// TestAPIPodGeneration checks metadata.generation of pods: 1 on create, bumped by spec
// changes only.
func TestAPIPodGeneration(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	ctx := testContext(t)
	ns := createNamespace(t, c)
	pods := c.Client.CoreV1().Pods(ns)

	pod := newPod(ns, "generation")
	pod.Generation = 42 // clients cannot choose it
	pod, err := pods.Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	expectGeneration := func(step string, want int64) {
		t.Helper()
		got, err := pods.Get(ctx, "generation", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Generation != want {
			t.Fatalf("after %s: generation %d, want %d", step, got.Generation, want)
		}
		pod = got
	}
	expectGeneration("create", 1)

	pod.Labels["changed"] = "yes"
	pod.Annotations = map[string]string{"note": "x"}
	if _, err := pods.Update(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	expectGeneration("a label change", 1)

	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}}
	if _, err := pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	expectGeneration("a status change", 1)

	pod.Spec.ActiveDeadlineSeconds = ptr.To[int64](300)
	if _, err := pods.Update(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	expectGeneration("setting activeDeadlineSeconds", 2)

	if _, err := pods.Patch(ctx, "generation", types.StrategicMergePatchType, []byte(`{"spec":{"containers":[{"name":"app","image":"registry.k8s.io/pause:3.9"}]}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	expectGeneration("an image change", 3)

	// An update that changes nothing leaves generation and resourceVersion alone.
	rv := pod.ResourceVersion
	if _, err := pods.Update(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	expectGeneration("a no-op update", 3)
	if pod.ResourceVersion != rv {
		t.Fatalf("a no-op update changed resourceVersion %s -> %s", rv, pod.ResourceVersion)
	}
}
