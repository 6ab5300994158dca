package e2e

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/k1s-dev/k1s/cluster"
	"github.com/k1s-dev/k1s/controllers/scheduler"
)

// BenchmarkScheduler1000Nodes measures the scheduler as upstream's scheduler_perf
// does: on a cluster of 1,000 kubelets started without a scheduler, 10,000 pods are
// created (16 writers) and stay pending; then a scheduler starts and the benchmark
// reports how many pods per second it binds (target at least 300) and the p50/p99
// time from the scheduler's start to each binding, as polls of the watch cache every
// 100 ms see them. It also reports how long the creates took, which bounds any
// create-then-schedule pipeline on this machine.
func BenchmarkScheduler1000Nodes(b *testing.B) {
	const nodes, pods, writers = 1000, 10000, 16
	// Timed by hand: cluster start-up and the creates are not part of the figure.
	for range b.N {
		c, err := cluster.Start(context.Background(), cluster.Config{Nodes: nodes, Zones: []string{"a", "b", "c"}, EtcdUnsafeNoFsync: true, DisableScheduler: true})
		if err != nil {
			b.Fatal(err)
		}
		client := kubernetes.NewForConfigOrDie(c.RESTConfig())
		ctx, cancel := context.WithCancel(context.Background())

		createStart := time.Now()
		var wg sync.WaitGroup
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := i; j < pods; j += writers {
					p := simplePod(fmt.Sprintf("pending-%05d", j), "", nil)
					p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m")}
					if _, err := client.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		b.ReportMetric(time.Since(createStart).Seconds(), "s-to-create-all")

		factory := informers.NewSharedInformerFactory(client, 0)
		sched, err := scheduler.New(scheduler.Config{}, client, factory, nil)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		factory.Start(ctx.Done())
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = sched.Run(ctx)
		}()

		var latencies []time.Duration
		seen := make(map[string]bool, pods)
		for deadline := time.Now().Add(5 * time.Minute); len(seen) < pods; time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d pods bound after 5 minutes", len(seen), pods)
			}
			list, err := client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{ResourceVersion: "0"})
			if err != nil {
				b.Fatal(err)
			}
			now := time.Now()
			for i := range list.Items {
				p := &list.Items[i]
				if p.Spec.NodeName != "" && !seen[p.Name] {
					seen[p.Name] = true
					latencies = append(latencies, now.Sub(start))
				}
			}
		}
		took := time.Since(start)
		b.ReportMetric(float64(pods)/took.Seconds(), "pods/s")
		slices.Sort(latencies)
		b.ReportMetric(latencies[len(latencies)/2].Seconds()*1000, "ms-p50-to-bind")
		b.ReportMetric(latencies[len(latencies)*99/100].Seconds()*1000, "ms-p99-to-bind")
		cancel()
		<-done
		factory.Shutdown()
		c.Stop()
	}
}

// BenchmarkDeployment1000 applies a Deployment of 1,000 replicas to a cluster of
// 1,000 kubelets and reports the time until all 1,000 pods are Running (target: 10 s;
// upstream's controller manager and scheduler with kwok took 51 s on this kind of
// machine).
func BenchmarkDeployment1000(b *testing.B) {
	const nodes, replicas = 1000, 1000
	// Timed by hand: cluster start-up is not part of the figure.
	for range b.N {
		c, err := cluster.Start(context.Background(), cluster.Config{Nodes: nodes, Zones: []string{"a", "b", "c"}, EtcdUnsafeNoFsync: true})
		if err != nil {
			b.Fatal(err)
		}
		client := kubernetes.NewForConfigOrDie(c.RESTConfig())
		ctx := context.Background()
		dep := bigDeployment(replicas)
		start := time.Now()
		if _, err := client.AppsV1().Deployments("default").Create(ctx, dep, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		// Counted from the apiserver's watch cache every 100 ms.
		running := 0
		for deadline := time.Now().Add(5 * time.Minute); running < replicas; time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d replicas Running after 5 minutes", running, replicas)
			}
			list, err := client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=big", FieldSelector: fields.OneTermEqualSelector("status.phase", string(corev1.PodRunning)).String(), ResourceVersion: "0"})
			if err != nil {
				b.Fatal(err)
			}
			running = len(list.Items)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s-to-all-Running")
		c.Stop()
	}
}

func bigDeployment(replicas int32) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "big", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "big"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "big"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "nginx:1.27"}}},
			},
		},
	}
}
