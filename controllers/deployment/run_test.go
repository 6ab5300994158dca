package deployment

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/klog/v2/ktesting"

	"github.com/k1s-dev/k1s/controllers/internal/controllertest"
)

// TestRun runs the controller with its informers on a fake clientset: a new
// Deployment gets its ReplicaSet.
func TestRun(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	client := fake.NewClientset()
	factory := informers.NewSharedInformerFactory(client, 0)
	dc, err := New(Config{ConcurrentDeploymentSyncs: 1}, client, factory, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := &controllertest.Recorder{}
	dc.eventRecorder = rec
	done := make(chan error, 1)
	go func() { done <- dc.Run(ctx) }()
	factory.Start(ctx.Done())
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		factory.Shutdown()
	}()
	select {
	case <-dc.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("controller never became ready")
	}
	if err := dc.Run(ctx); err == nil {
		t.Error("a second Run did not fail")
	}
	d := newDeployment("web", 2, intstr.FromInt32(1), intstr.FromInt32(0))
	if _, err := client.AppsV1().Deployments("ns").Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, func() bool {
		l, _ := client.AppsV1().ReplicaSets("ns").List(ctx, metav1.ListOptions{})
		return len(l.Items) == 1 && *l.Items[0].Spec.Replicas == 2
	}, "a replica set with 2 replicas")
	controllertest.Eventually(t, func() bool { return len(rec.Find("ScalingReplicaSet")) == 1 }, "ScalingReplicaSet event")
}
