package controllerutil

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
	testingclock "k8s.io/utils/clock/testing"
)

func TestPodNodeNameIndex(t *testing.T) {
	client := fake.NewClientset(
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "ns"}, Spec: corev1.PodSpec{NodeName: "n1"}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: "ns"}, Spec: corev1.PodSpec{NodeName: "n2"}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "pending", Namespace: "ns"}},
	)
	factory := informers.NewSharedInformerFactory(client, 0)
	informer := factory.Core().V1().Pods().Informer()
	for range 2 {
		if err := AddPodNodeNameIndexer(informer); err != nil {
			t.Fatalf("AddPodNodeNameIndexer: %v", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); factory.Shutdown() }()
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())
	pods, err := PodsAssignedToNode(informer.GetIndexer(), "n1")
	if err != nil || len(pods) != 1 || pods[0].Name != "a" {
		t.Errorf("PodsAssignedToNode(n1) = %v, %v; want [a]", pods, err)
	}
	if pods, _ := PodsAssignedToNode(informer.GetIndexer(), ""); len(pods) != 0 {
		t.Errorf("unbound pods must not be indexed, got %v", pods)
	}
}

func TestFromTombstone(t *testing.T) {
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n"}}
	for name, obj := range map[string]any{
		"object":    node,
		"tombstone": cache.DeletedFinalStateUnknown{Key: "n", Obj: node},
	} {
		if got, ok := FromTombstone[*corev1.Node](obj); !ok || got != node {
			t.Errorf("%s: FromTombstone = %v, %v", name, got, ok)
		}
	}
	if _, ok := FromTombstone[*corev1.Node](cache.DeletedFinalStateUnknown{Obj: &corev1.Pod{}}); ok {
		t.Error("a tombstone of another type must not match")
	}
}

func TestUntil(t *testing.T) {
	clk := testingclock.NewFakeClock(time.Unix(0, 0))
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		Until(ctx, clk, 5*time.Second, func(context.Context) { calls.Add(1) })
	}()
	waitFor := func(n int32) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for calls.Load() != n || !clk.HasWaiters() {
			if time.Now().After(deadline) {
				t.Fatalf("calls = %d, want %d", calls.Load(), n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitFor(1) // at once
	clk.Step(4 * time.Second)
	time.Sleep(10 * time.Millisecond)
	if calls.Load() != 1 {
		t.Fatalf("called again before the period ran out")
	}
	clk.Step(time.Second)
	waitFor(2)
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Until did not return after cancellation")
	}
}
