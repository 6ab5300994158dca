package job

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/klog/v2/ktesting"

	"github.com/k1s-dev/k1s/controllers/internal/controllertest"
)

// TestRun runs the controller with its informers on a fake clientset: a new
// Job gets its pods.
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
	jm, err := New(Config{ConcurrentJobSyncs: 1}, client, factory, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := &controllertest.Recorder{}
	jm.recorder, jm.podControl.Recorder = rec, rec
	done := make(chan error, 1)
	go func() { done <- jm.Run(ctx) }()
	factory.Start(ctx.Done())
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		factory.Shutdown()
	}()
	select {
	case <-jm.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("controller never became ready")
	}
	if _, err := client.BatchV1().Jobs("ns").Create(ctx, newJob("pi", 4, 2), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, func() bool {
		l, _ := client.CoreV1().Pods("ns").List(ctx, metav1.ListOptions{})
		return len(l.Items) == 2
	}, "2 pods")
	controllertest.Eventually(t, func() bool { return len(rec.Find("SuccessfulCreate")) == 2 }, "2 SuccessfulCreate events")
}
