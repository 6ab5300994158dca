package e2e

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// TestAPIPodGracefulDeletion checks that pods that may be running on a node are deleted
// in two steps, as a kubelet expects, and the others at once.
func TestAPIPodGracefulDeletion(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	ns := createNamespace(t, c)
	pods := c.Client.CoreV1().Pods(ns)

	boundPod := func(t *testing.T, name string) *corev1.Pod {
		t.Helper()
		pod := newPod(ns, name)
		pod.Spec.NodeName = "node-1"
		created, err := pods.Create(testContext(t), pod, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if created.Spec.TerminationGracePeriodSeconds == nil || *created.Spec.TerminationGracePeriodSeconds != 30 {
			t.Fatalf("terminationGracePeriodSeconds not defaulted to 30: %v", created.Spec.TerminationGracePeriodSeconds)
		}
		return created
	}

	t.Run("bound pod", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		created := boundPod(t, "bound")
		if err := pods.Delete(ctx, "bound", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		pod, err := pods.Get(ctx, "bound", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("a bound pod is gone after a default delete: %v", err)
		}
		if pod.DeletionTimestamp == nil || pod.DeletionGracePeriodSeconds == nil || *pod.DeletionGracePeriodSeconds != 30 {
			t.Fatalf("deletionTimestamp %v, deletionGracePeriodSeconds %v; want set and 30", pod.DeletionTimestamp, pod.DeletionGracePeriodSeconds)
		}
		if d := pod.DeletionTimestamp.Sub(created.CreationTimestamp.Time); d < 29e9 {
			t.Fatalf("deletionTimestamp is only %v after creation, want about now+30s", d)
		}
		if pod.UID != created.UID {
			t.Fatalf("uid changed")
		}

		// Deleting again with the default grace changes nothing.
		if err := pods.Delete(ctx, "bound", metav1.DeleteOptions{}); err != nil {
			t.Fatalf("second delete: %v", err)
		}
		again, err := pods.Get(ctx, "bound", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !again.DeletionTimestamp.Equal(pod.DeletionTimestamp) || *again.DeletionGracePeriodSeconds != 30 {
			t.Fatalf("second delete moved the deletion: %v %v", again.DeletionTimestamp, *again.DeletionGracePeriodSeconds)
		}

		// A terminating pod's spec may not change, but the kubelet still reports status.
		again.Status.Phase = corev1.PodRunning
		if _, err := pods.UpdateStatus(ctx, again, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("status update of a terminating pod: %v", err)
		}

		// A shorter grace period (the kubelet's final delete uses 0) removes it.
		if err := pods.Delete(ctx, "bound", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
			t.Fatal(err)
		}
		_, err = pods.Get(ctx, "bound", metav1.GetOptions{})
		expectNotFound(t, err)
	})

	t.Run("explicit and spec grace periods", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		boundPod(t, "explicit")
		if err := pods.Delete(ctx, "explicit", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](10)}); err != nil {
			t.Fatal(err)
		}
		pod, err := pods.Get(ctx, "explicit", metav1.GetOptions{})
		if err != nil || *pod.DeletionGracePeriodSeconds != 10 {
			t.Fatalf("delete with grace 10: %v %v", err, pod)
		}
		// Shortening works in steps; lengthening does not.
		if err := pods.Delete(ctx, "explicit", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](60)}); err != nil {
			t.Fatal(err)
		}
		if pod, _ = pods.Get(ctx, "explicit", metav1.GetOptions{}); *pod.DeletionGracePeriodSeconds != 10 {
			t.Fatalf("a longer grace period replaced 10: %d", *pod.DeletionGracePeriodSeconds)
		}
		if err := pods.Delete(ctx, "explicit", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](3)}); err != nil {
			t.Fatal(err)
		}
		if pod, _ = pods.Get(ctx, "explicit", metav1.GetOptions{}); *pod.DeletionGracePeriodSeconds != 3 {
			t.Fatalf("a shorter grace period did not replace 10: %d", *pod.DeletionGracePeriodSeconds)
		}

		spec := newPod(ns, "spec-grace")
		spec.Spec.NodeName = "node-1"
		spec.Spec.TerminationGracePeriodSeconds = ptr.To[int64](5)
		if _, err := pods.Create(ctx, spec, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := pods.Delete(ctx, "spec-grace", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		if pod, err = pods.Get(ctx, "spec-grace", metav1.GetOptions{}); err != nil || *pod.DeletionGracePeriodSeconds != 5 {
			t.Fatalf("the pod's terminationGracePeriodSeconds was not used: %v %v", err, pod)
		}
	})

	t.Run("unbound pod", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		if _, err := pods.Create(ctx, newPod(ns, "unbound"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := pods.Delete(ctx, "unbound", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		_, err := pods.Get(ctx, "unbound", metav1.GetOptions{})
		expectNotFound(t, err)
	})

	t.Run("terminated pod", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		pod := boundPod(t, "terminated")
		pod.Status.Phase = corev1.PodSucceeded
		if _, err := pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := pods.Delete(ctx, "terminated", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		_, err := pods.Get(ctx, "terminated", metav1.GetOptions{})
		expectNotFound(t, err)
	})

	t.Run("finalizers keep a deleted pod", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		pod := newPod(ns, "finalized")
		pod.Finalizers = []string{"e2e.k1s.dev/hold"}
		if _, err := pods.Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := pods.Delete(ctx, "finalized", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		held, err := pods.Get(ctx, "finalized", metav1.GetOptions{})
		if err != nil || held.DeletionTimestamp == nil {
			t.Fatalf("a pod with a finalizer: %v %v", err, held)
		}
		held.Finalizers = nil
		if _, err := pods.Update(ctx, held, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		_, err = pods.Get(ctx, "finalized", metav1.GetOptions{})
		expectNotFound(t, err)
	})
}

// TestAPIPodBinding checks pods/binding, the scheduler's way of placing a pod.
func TestAPIPodBinding(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	ctx := testContext(t)
	ns := createNamespace(t, c)
	pods := c.Client.CoreV1().Pods(ns)

	created, err := pods.Create(ctx, newPod(ns, "to-bind"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	binding := &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: "to-bind", Annotations: map[string]string{"scheduler.e2e/score": "7"}},
		Target:     corev1.ObjectReference{Kind: "Node", Name: "node-1"},
	}
	if err := pods.Bind(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatalf("binding: %v", err)
	}
	pod, err := pods.Get(ctx, "to-bind", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pod.Spec.NodeName != "node-1" {
		t.Fatalf("binding did not set spec.nodeName: %q", pod.Spec.NodeName)
	}
	if pod.Annotations["scheduler.e2e/score"] != "7" {
		t.Fatalf("binding annotations not copied: %v", pod.Annotations)
	}
	var scheduled *corev1.PodCondition
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == corev1.PodScheduled {
			scheduled = &pod.Status.Conditions[i]
		}
	}
	if scheduled == nil || scheduled.Status != corev1.ConditionTrue || scheduled.LastTransitionTime.IsZero() {
		t.Fatalf("no PodScheduled=True condition: %+v", pod.Status.Conditions)
	}
	if pod.UID != created.UID {
		t.Fatal("binding replaced the pod")
	}

	// Binding again, to any node, is a conflict and changes nothing.
	binding.Target.Name = "node-2"
	err = pods.Bind(ctx, binding, metav1.CreateOptions{})
	if !apierrors.IsConflict(err) {
		t.Fatalf("second binding: %v, want Conflict", err)
	}
	if pod, _ = pods.Get(ctx, "to-bind", metav1.GetOptions{}); pod.Spec.NodeName != "node-1" {
		t.Fatalf("the failed binding moved the pod to %q", pod.Spec.NodeName)
	}

	// A bound pod is now deleted gracefully.
	if err := pods.Delete(ctx, "to-bind", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if pod, err = pods.Get(ctx, "to-bind", metav1.GetOptions{}); err != nil || pod.DeletionTimestamp == nil {
		t.Fatalf("bound pod after delete: %v %v", err, pod)
	}

	t.Run("missing pod", func(t *testing.T) {
		err := pods.Bind(ctx, &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: "missing"}, Target: corev1.ObjectReference{Name: "node-1"}}, metav1.CreateOptions{})
		expectNotFound(t, err)
	})
	t.Run("no target", func(t *testing.T) {
		if _, err := pods.Create(ctx, newPod(ns, "no-target"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		err := pods.Bind(ctx, &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: "no-target"}}, metav1.CreateOptions{})
		expectInvalidField(t, err, "target.name")
	})
	t.Run("uid precondition", func(t *testing.T) {
		if _, err := pods.Create(ctx, newPod(ns, "uid"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		err := pods.Bind(ctx, &corev1.Binding{
			ObjectMeta: metav1.ObjectMeta{Name: "uid", UID: "00000000-0000-0000-0000-000000000000"},
			Target:     corev1.ObjectReference{Name: "node-1"},
		}, metav1.CreateOptions{})
		if !apierrors.IsConflict(err) {
			t.Fatalf("binding with a wrong uid: %v, want Conflict", err)
		}
		pod, err := pods.Get(ctx, "uid", metav1.GetOptions{})
		if err != nil || pod.Spec.NodeName != "" {
			t.Fatalf("binding with a wrong uid bound the pod: %v %q", err, pod.Spec.NodeName)
		}
		// With the right uid (as the scheduler sends it) the binding goes through.
		if err := pods.Bind(ctx, &corev1.Binding{
			ObjectMeta: metav1.ObjectMeta{Name: "uid", UID: pod.UID},
			Target:     corev1.ObjectReference{Name: "node-1"},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatalf("binding with the pod's uid: %v", err)
		}
		if pod, _ = pods.Get(ctx, "uid", metav1.GetOptions{}); pod.Spec.NodeName != "node-1" {
			t.Fatalf("binding with the pod's uid: nodeName %q", pod.Spec.NodeName)
		}
	})
	t.Run("scheduling gates", func(t *testing.T) {
		gated := newPod(ns, "gated")
		gated.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "e2e.k1s.dev/wait"}}
		created, err := pods.Create(ctx, gated, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(created.Status.Conditions) != 1 || created.Status.Conditions[0].Reason != corev1.PodReasonSchedulingGated {
			t.Fatalf("gated pod conditions %+v", created.Status.Conditions)
		}
		err = pods.Bind(ctx, &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: "gated"}, Target: corev1.ObjectReference{Name: "node-1"}}, metav1.CreateOptions{})
		if !apierrors.IsConflict(err) {
			t.Fatalf("binding a gated pod: %v, want Conflict", err)
		}
	})
}

// TestAPINamespaces checks the namespace lifecycle without a namespace controller: two
// phase deletion, finalize, the NamespaceLifecycle admission plugin, system namespaces.
func TestAPINamespaces(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	namespaces := c.Client.CoreV1().Namespaces()

	t.Run("system namespaces", func(t *testing.T) {
		ctx := testContext(t)
		for _, name := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
			ns, err := namespaces.Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				t.Fatalf("system namespace %s: %v", name, err)
			}
			if ns.Status.Phase != corev1.NamespaceActive {
				t.Fatalf("%s is %s", name, ns.Status.Phase)
			}
		}
		for _, name := range []string{"kube-system", "default", "kube-public"} {
			err := namespaces.Delete(ctx, name, metav1.DeleteOptions{})
			expectStatus(t, err, 403, metav1.StatusReasonForbidden)
			ns, err := namespaces.Get(ctx, name, metav1.GetOptions{})
			if err != nil || ns.DeletionTimestamp != nil || ns.Status.Phase != corev1.NamespaceActive {
				t.Fatalf("%s after the refused delete: %v %+v", name, err, ns)
			}
		}
	})

	t.Run("delete and finalize", func(t *testing.T) {
		ctx := testContext(t)
		name := createNamespace(t, c)
		cm, err := c.Client.CoreV1().ConfigMaps(name).Create(ctx, newConfigMap(name, "inside"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := namespaces.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		ns, err := namespaces.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("a deleted namespace with finalizers is gone: %v", err)
		}
		if ns.Status.Phase != corev1.NamespaceTerminating || ns.DeletionTimestamp == nil {
			t.Fatalf("deleted namespace: phase %s deletionTimestamp %v", ns.Status.Phase, ns.DeletionTimestamp)
		}
		if len(ns.Spec.Finalizers) != 1 || ns.Spec.Finalizers[0] != corev1.FinalizerKubernetes {
			t.Fatalf("deleted namespace finalizers %v", ns.Spec.Finalizers)
		}
		// Deleting again changes nothing.
		if err := namespaces.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		if again, err := namespaces.Get(ctx, name, metav1.GetOptions{}); err != nil || !again.DeletionTimestamp.Equal(ns.DeletionTimestamp) {
			t.Fatalf("second delete: %v %v", err, again)
		}

		// NamespaceLifecycle refuses new content in a terminating namespace; what is
		// there stays readable and updatable (the namespace controller deletes it).
		_, err = c.Client.CoreV1().ConfigMaps(name).Create(ctx, newConfigMap(name, "late"), metav1.CreateOptions{})
		expectStatus(t, err, 403, metav1.StatusReasonForbidden)
		cm.Data["key"] = "updated"
		if _, err := c.Client.CoreV1().ConfigMaps(name).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("updating content of a terminating namespace: %v", err)
		}
		if err := c.Client.CoreV1().ConfigMaps(name).Delete(ctx, "inside", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}

		// The finalize subresource changes only spec.finalizers; without the last
		// finalizer the terminating namespace goes.
		ns.Status.Phase = corev1.NamespaceActive
		ns.Spec.Finalizers = nil
		if _, err := namespaces.Finalize(ctx, ns, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("finalize: %v", err)
		}
		_, err = namespaces.Get(ctx, name, metav1.GetOptions{})
		expectNotFound(t, err)
	})

	t.Run("finalize a live namespace", func(t *testing.T) {
		ctx := testContext(t)
		name := createNamespace(t, c)
		ns, err := namespaces.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ns.Spec.Finalizers = nil
		ns.Status.Phase = corev1.NamespaceTerminating // ignored: finalize changes no status
		finalized, err := namespaces.Finalize(ctx, ns, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("finalize: %v", err)
		}
		if len(finalized.Spec.Finalizers) != 0 || finalized.Status.Phase != corev1.NamespaceActive {
			t.Fatalf("finalized live namespace %+v", finalized)
		}
		// As upstream, the first delete only marks it Terminating, even without
		// finalizers; the next delete finds nothing left to wait for and removes it.
		if err := namespaces.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		got, err := namespaces.Get(ctx, name, metav1.GetOptions{})
		if err != nil || got.DeletionTimestamp == nil || got.Status.Phase != corev1.NamespaceTerminating {
			t.Fatalf("after the first delete: %v %+v", err, got)
		}
		if err := namespaces.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		_, err = namespaces.Get(ctx, name, metav1.GetOptions{})
		expectNotFound(t, err)
	})

	t.Run("missing namespace", func(t *testing.T) {
		ctx := testContext(t)
		_, err := c.Client.CoreV1().Pods("no-such-namespace").Create(ctx, newPod("no-such-namespace", "p"), metav1.CreateOptions{})
		se := expectStatus(t, err, 404, metav1.StatusReasonNotFound)
		if se.ErrStatus.Details == nil || se.ErrStatus.Details.Kind != "namespaces" || se.ErrStatus.Details.Name != "no-such-namespace" {
			t.Fatalf("the 404 does not name the namespace: %+v", se.ErrStatus.Details)
		}
		_, err = c.Client.CoreV1().ConfigMaps("no-such-namespace").Create(ctx, newConfigMap("no-such-namespace", "c"), metav1.CreateOptions{})
		expectNotFound(t, err)
	})
}
