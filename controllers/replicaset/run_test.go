package replicaset

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/ktesting"

	"github.com/k1s-dev/k1s/controllers/internal/controllertest"
)

func klogDiscard() klog.Logger { return klog.Background().V(10) }

func waitQueued(t *testing.T, h *harness, n int) {
	t.Helper()
	controllertest.Eventually(t, func() bool { return h.c.queue.Len() == n }, "queue length %d", n)
}

// TestRun runs the controller with its informers on a fake clientset: a new
// ReplicaSet gets its pods and a status, and scaling it down deletes pods.
func TestRun(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	client := fake.NewClientset()
	var n atomic.Int32
	client.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		// The fake clientset does not honour generateName; the apiserver does.
		pod := a.(k8stesting.CreateAction).GetObject().(*corev1.Pod)
		pod.Name = fmt.Sprintf("%s%05d", pod.GenerateName, n.Add(1))
		return false, nil, nil
	})
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := New(Config{ConcurrentRSSyncs: 2}, client, factory, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := &controllertest.Recorder{}
	c.podControl.Recorder = rec
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	factory.Start(ctx.Done())
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		factory.Shutdown()
	}()
	select {
	case <-c.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("controller never became ready")
	}
	if err := c.Run(ctx); err == nil {
		t.Error("a second Run did not fail")
	}

	rs := newRS("web", 3)
	if _, err := client.AppsV1().ReplicaSets("ns").Create(ctx, rs, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pods := func() int {
		l, _ := client.CoreV1().Pods("ns").List(ctx, metav1.ListOptions{LabelSelector: labels.Set{"app": "web"}.String()})
		return len(l.Items)
	}
	controllertest.Eventually(t, func() bool { return pods() == 3 }, "3 pods")
	controllertest.Eventually(t, func() bool {
		got, _ := client.AppsV1().ReplicaSets("ns").Get(ctx, "web", metav1.GetOptions{})
		return got.Status.Replicas == 3
	}, "status.replicas 3")

	// The fake clientset has no status subresource: the controller's UpdateStatus
	// writes its whole copy back and can undo a spec change made in between, so the
	// scale-down is re-applied until it sticks (the apiserver keeps the two apart).
	controllertest.Eventually(t, func() bool {
		got, err := client.AppsV1().ReplicaSets("ns").Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false
		}
		if *got.Spec.Replicas != 1 {
			got.Spec.Replicas = new(int32(1))
			if _, err := client.AppsV1().ReplicaSets("ns").Update(ctx, got, metav1.UpdateOptions{}); err != nil {
				return false
			}
		}
		return pods() == 1
	}, "1 pod after scale down")
	controllertest.Eventually(t, func() bool { return len(rec.Find("SuccessfulDelete")) == 2 }, "2 SuccessfulDelete events")
}
