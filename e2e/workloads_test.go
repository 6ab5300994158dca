package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/k1s-dev/k1s/cluster"
	"github.com/k1s-dev/k1s/controllers/job"
	"github.com/k1s-dev/k1s/e2e/framework"
	kubeletlite "github.com/k1s-dev/k1s/kubelet-lite"
)

// podsOf lists the pods of namespace ns with label app=app.
func podsOf(ctx context.Context, c *framework.Cluster, ns, app string) ([]corev1.Pod, error) {
	list, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
	if err != nil {
		return nil, err
	}
	return list.Items, nil
}

func podReady(p *corev1.Pod) bool {
	for _, cond := range p.Status.Conditions {
		if cond.Type == corev1.PodReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}

// waitRunningReplicas waits until app has exactly n pods, all Running and Ready, not
// being deleted, and returns them.
func waitRunningReplicas(t *testing.T, c *framework.Cluster, ns, app string, n int) []corev1.Pod {
	t.Helper()
	var pods []corev1.Pod
	framework.Eventually(t, 60*time.Second, fmt.Sprintf("%d running replicas of %s", n, app), func(ctx context.Context) (bool, error) {
		all, err := podsOf(ctx, c, ns, app)
		if err != nil {
			return false, err
		}
		if len(all) != n {
			return false, nil
		}
		for i := range all {
			if all[i].DeletionTimestamp != nil || all[i].Status.Phase != corev1.PodRunning || !podReady(&all[i]) {
				return false, nil
			}
		}
		pods = all
		return true, nil
	})
	return pods
}

// TestDeploymentAcrossZones: a Deployment of 6 replicas on 3 nodes in 3 zones
// spreads 2 per zone; kubectl scale, a rolling update (kubectl set image, rollout
// status, history, undo) complete; deleting the Deployment cascades to its
// ReplicaSets and pods.
func TestDeploymentAcrossZones(t *testing.T) {
	t.Parallel()
	c := framework.Start(t, cluster.Config{Nodes: 3, Zones: []string{"a", "b", "c"}})
	ctx := testContext(t)
	ns := createNamespace(t, c)

	c.Kubectl(t, "-n", ns, "create", "deployment", "web", "--image=nginx:1.27", "--replicas=6")
	out := c.Kubectl(t, "-n", ns, "rollout", "status", "deployment/web", "--timeout=60s")
	if !strings.Contains(out, `deployment "web" successfully rolled out`) {
		t.Fatalf("rollout status printed %q", out)
	}
	pods := waitRunningReplicas(t, c, ns, "web", 6)
	perZone := map[string]int{}
	for _, p := range pods {
		node := getNode(t, c, p.Spec.NodeName)
		perZone[node.Labels[corev1.LabelTopologyZone]]++
	}
	for _, zone := range []string{"a", "b", "c"} {
		if perZone[zone] != 2 {
			t.Errorf("zone %s runs %d replicas, want 2 (spread %v)", zone, perZone[zone], perZone)
		}
	}

	c.Kubectl(t, "-n", ns, "scale", "deployment/web", "--replicas=9")
	waitRunningReplicas(t, c, ns, "web", 9)

	c.Kubectl(t, "-n", ns, "set", "image", "deployment/web", "nginx=nginx:1.28")
	out = c.Kubectl(t, "-n", ns, "rollout", "status", "deployment/web", "--timeout=60s")
	if !strings.Contains(out, `deployment "web" successfully rolled out`) {
		t.Fatalf("rollout status after set image printed %q", out)
	}
	pods = waitRunningReplicas(t, c, ns, "web", 9)
	for _, p := range pods {
		if img := p.Spec.Containers[0].Image; img != "nginx:1.28" {
			t.Errorf("pod %s runs %s after the rollout", p.Name, img)
		}
	}
	dep, err := c.Client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rev := dep.Annotations["deployment.kubernetes.io/revision"]; rev != "2" {
		t.Errorf("revision %q after one update, want 2", rev)
	}
	if dep.Status.UpdatedReplicas != 9 || dep.Status.AvailableReplicas != 9 || dep.Status.ObservedGeneration != dep.Generation {
		t.Errorf("deployment status %+v", dep.Status)
	}
	history := c.Kubectl(t, "-n", ns, "rollout", "history", "deployment/web")
	if !containsLine(history, "1         <none>") || !containsLine(history, "2         <none>") {
		t.Errorf("rollout history:\n%s", history)
	}

	c.Kubectl(t, "-n", ns, "rollout", "undo", "deployment/web")
	c.Kubectl(t, "-n", ns, "rollout", "status", "deployment/web", "--timeout=60s")
	pods = waitRunningReplicas(t, c, ns, "web", 9)
	for _, p := range pods {
		if img := p.Spec.Containers[0].Image; img != "nginx:1.27" {
			t.Errorf("pod %s runs %s after the undo", p.Name, img)
		}
	}

	c.Kubectl(t, "-n", ns, "delete", "deployment", "web")
	framework.Eventually(t, 60*time.Second, "the ReplicaSets and pods of the deleted Deployment to go", func(ctx context.Context) (bool, error) {
		rs, err := c.Client.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		pods, err := podsOf(ctx, c, ns, "web")
		return len(rs.Items) == 0 && len(pods) == 0, err
	})
}

// TestSchedulerFitAndCordon: a pod that fits no node stays Pending with upstream's
// message and a FailedScheduling event, and is scheduled once a big enough node
// joins; a cordoned node gets no new pods.
func TestSchedulerFitAndCordon(t *testing.T) {
	t.Parallel()
	c := framework.Start(t, cluster.Config{Nodes: 2})
	ctx := testContext(t)
	ns := createNamespace(t, c)

	big := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "big", Namespace: ns},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "app", Image: "nginx:1.27",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("6")}},
		}}},
	}
	if _, err := c.Client.CoreV1().Pods(ns).Create(ctx, big, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	const want = "0/2 nodes are available: 2 Insufficient cpu."
	framework.Eventually(t, 30*time.Second, "the big pod to be Unschedulable", func(ctx context.Context) (bool, error) {
		p, err := c.Client.CoreV1().Pods(ns).Get(ctx, "big", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, cond := range p.Status.Conditions {
			if cond.Type == corev1.PodScheduled && cond.Status == corev1.ConditionFalse && cond.Reason == corev1.PodReasonUnschedulable {
				if !strings.HasPrefix(cond.Message, want) {
					return false, fmt.Errorf("PodScheduled message %q, want it to start with %q", cond.Message, want)
				}
				return true, nil
			}
		}
		return false, nil
	})
	framework.Eventually(t, 30*time.Second, "a FailedScheduling event", func(ctx context.Context) (bool, error) {
		events, err := c.Client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=big,reason=FailedScheduling"})
		if err != nil {
			return false, err
		}
		return len(events.Items) > 0 && strings.HasPrefix(events.Items[0].Message, want) && events.Items[0].Type == corev1.EventTypeWarning, nil
	})
	if out := c.Kubectl(t, "-n", ns, "get", "pod", "big"); !strings.Contains(out, "Pending") {
		t.Errorf("kubectl get pod big:\n%s", out)
	}

	if _, err := c.AddNode(ctx, "large", cluster.NodeOptions{Capacity: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("16")}}); err != nil {
		t.Fatal(err)
	}
	framework.Eventually(t, 60*time.Second, "the big pod to run on the large node", func(ctx context.Context) (bool, error) {
		p, err := c.Client.CoreV1().Pods(ns).Get(ctx, "big", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		if p.Spec.NodeName != "" && p.Spec.NodeName != "large" {
			return false, fmt.Errorf("the big pod went to %s", p.Spec.NodeName)
		}
		return p.Status.Phase == corev1.PodRunning, nil
	})

	// Cordon every node but one: new pods land on that one only.
	for _, name := range []string{cluster.NodeName(1), "large"} {
		c.Kubectl(t, "cordon", name)
	}
	for i := range 4 {
		p := simplePod(fmt.Sprintf("small-%d", i), "", nil)
		p.Namespace = ns
		if _, err := c.Client.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	framework.Eventually(t, 30*time.Second, "the small pods to be scheduled", func(ctx context.Context) (bool, error) {
		for i := range 4 {
			p, err := c.Client.CoreV1().Pods(ns).Get(ctx, fmt.Sprintf("small-%d", i), metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			if p.Spec.NodeName == "" {
				return false, nil
			}
			if p.Spec.NodeName != cluster.NodeName(2) {
				return false, fmt.Errorf("pod %s scheduled to cordoned node %s", p.Name, p.Spec.NodeName)
			}
		}
		return true, nil
	})
}

// TestJobs: the seed's Job example. A Job with completions 5 and parallelism 2
// runs pods that exit 0 and completes, never running more than 2 at once; a Job
// whose pods exit 1 reaches its backoffLimit and fails.
func TestJobs(t *testing.T) {
	t.Parallel()
	c := framework.Start(t, cluster.Config{Nodes: 2, Job: job.Config{PodFailureBackOff: 100 * time.Millisecond, MaxPodFailureBackOff: time.Second}})
	ctx := testContext(t)
	ns := createNamespace(t, c)

	newJob := func(name, exitCode string, completions, parallelism, backoffLimit int32) *batchv1.Job {
		return &batchv1.Job{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: batchv1.JobSpec{
				Completions:  ptr.To(completions),
				Parallelism:  ptr.To(parallelism),
				BackoffLimit: ptr.To(backoffLimit),
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{
						kubeletlite.AnnotationRunDuration: "300ms",
						kubeletlite.AnnotationExitCode:    exitCode,
					}},
					Spec: corev1.PodSpec{
						RestartPolicy: corev1.RestartPolicyNever,
						Containers:    []corev1.Container{{Name: "pi", Image: "perl:5.34.0", Command: []string{"perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"}}},
					},
				},
			},
		}
	}
	if _, err := c.Client.BatchV1().Jobs(ns).Create(ctx, newJob("pi", "0", 5, 2, 6), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Client.BatchV1().Jobs(ns).Create(ctx, newJob("fails", "1", 1, 1, 1), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	maxActive := int32(0)
	jobCondition := func(name string, want batchv1.JobConditionType) func(ctx context.Context) (bool, error) {
		return func(ctx context.Context) (bool, error) {
			j, err := c.Client.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			if name == "pi" {
				maxActive = max(maxActive, j.Status.Active)
			}
			for _, cond := range j.Status.Conditions {
				if cond.Type == want && cond.Status == corev1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		}
	}
	framework.Eventually(t, 60*time.Second, "job pi to complete", jobCondition("pi", batchv1.JobComplete))
	pi, err := c.Client.BatchV1().Jobs(ns).Get(ctx, "pi", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pi.Status.Succeeded != 5 || pi.Status.Failed != 0 || pi.Status.CompletionTime == nil {
		t.Errorf("job pi status %+v", pi.Status)
	}
	if maxActive > 2 {
		t.Errorf("job pi had %d active pods at once, parallelism is 2", maxActive)
	}
	if out := c.Kubectl(t, "-n", ns, "get", "job", "pi"); !strings.Contains(out, "Complete") || !strings.Contains(out, "5/5") {
		t.Errorf("kubectl get job pi:\n%s", out)
	}

	framework.Eventually(t, 60*time.Second, "job fails to fail", jobCondition("fails", batchv1.JobFailed))
	fails, err := c.Client.BatchV1().Jobs(ns).Get(ctx, "fails", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var failed *batchv1.JobCondition
	for i := range fails.Status.Conditions {
		if fails.Status.Conditions[i].Type == batchv1.JobFailed {
			failed = &fails.Status.Conditions[i]
		}
	}
	if failed.Reason != batchv1.JobReasonBackoffLimitExceeded || failed.Message != "Job has reached the specified backoff limit" {
		t.Errorf("Failed condition %+v", failed)
	}
	if fails.Status.Failed != 2 {
		t.Errorf("job fails has %d failed pods, want backoffLimit+1 = 2", fails.Status.Failed)
	}
}

// TestNamespaceDeletionEmptiesIt: deleting a namespace deletes what it holds, and
// then the namespace itself.
func TestNamespaceDeletionEmptiesIt(t *testing.T) {
	t.Parallel()
	c := framework.Start(t, cluster.Config{Nodes: 1})
	ctx := testContext(t)
	ns := createNamespace(t, c)
	if _, err := c.Client.CoreV1().ConfigMaps(ns).Create(ctx, newConfigMap(ns, "settings"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	c.Kubectl(t, "-n", ns, "create", "deployment", "web", "--image=nginx:1.27", "--replicas=2")
	waitRunningReplicas(t, c, ns, "web", 2)

	c.Kubectl(t, "delete", "namespace", ns, "--wait=false")
	framework.Eventually(t, 90*time.Second, "the namespace to be gone", func(ctx context.Context) (bool, error) {
		_, err := c.Client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
	pods, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil || len(pods.Items) != 0 {
		t.Errorf("pods left in the deleted namespace: %v %d", err, len(pods.Items))
	}
}

// TestFailedNodePodsReplaced: with the node lifecycle controllers, stopping a node
// evicts its Deployment pods once their tolerationSeconds run out, and the
// Deployment replaces them on the other node.
func TestFailedNodePodsReplaced(t *testing.T) {
	t.Parallel()
	c := framework.Start(t, cluster.Config{NodeLifecycle: fastNodeLifecycle()})
	ctx := testContext(t)
	ns := createNamespace(t, c)
	addFastNodes(t, c, "a", "left", "right")
	// Ready is not yet schedulable: the node lifecycle controller lifts the not-ready
	// taint new nodes register with a moment later, and until then every replica
	// would land on the other node.
	framework.Eventually(t, 30*time.Second, "both nodes without the not-ready taint", func(ctx context.Context) (bool, error) {
		for _, name := range []string{"left", "right"} {
			n, err := c.Client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			if slices.ContainsFunc(n.Spec.Taints, func(t corev1.Taint) bool { return t.Key == corev1.TaintNodeNotReady }) {
				return false, nil
			}
		}
		return true, nil
	})

	seconds := int64(2)
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(int32(4)),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec: corev1.PodSpec{
					Containers:  []corev1.Container{{Name: "nginx", Image: "nginx:1.27"}},
					Tolerations: []corev1.Toleration{unreachableToleration(&seconds)},
				},
			},
		},
	}
	if _, err := c.Client.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pods := waitRunningReplicas(t, c, ns, "web", 4)
	onLeft := 0
	for _, p := range pods {
		if p.Spec.NodeName == "left" {
			onLeft++
		}
	}
	if onLeft == 0 {
		t.Fatalf("no replica on node left: %d pods", len(pods))
	}

	if err := c.StopNode("left"); err != nil {
		t.Fatal(err)
	}
	framework.Eventually(t, 60*time.Second, "4 ready replicas, all on node right", func(ctx context.Context) (bool, error) {
		all, err := podsOf(ctx, c, ns, "web")
		if err != nil {
			return false, err
		}
		ready := 0
		for i := range all {
			if all[i].DeletionTimestamp == nil && all[i].Spec.NodeName == "right" && podReady(&all[i]) {
				ready++
			}
		}
		return ready == 4, nil
	})
}

// TestDrainRespectsPDB: kubectl drain cordons a node and evicts its pods through
// pods/eviction; a PodDisruptionBudget (status kept by the disruption controller)
// makes it evict one pod at a time, each replaced on the other node before the next.
func TestDrainRespectsPDB(t *testing.T) {
	t.Parallel()
	c := framework.Start(t, cluster.Config{Nodes: 2})
	ctx := testContext(t)
	ns := createNamespace(t, c)
	c.Kubectl(t, "-n", ns, "create", "deployment", "web", "--image=nginx:1.27", "--replicas=4")
	waitRunningReplicas(t, c, ns, "web", 4)
	c.Kubectl(t, "-n", ns, "create", "poddisruptionbudget", "web", "--selector=app=web", "--min-available=3")
	framework.Eventually(t, 30*time.Second, "the PDB to allow 1 disruption", func(ctx context.Context) (bool, error) {
		pdb, err := c.Client.PolicyV1().PodDisruptionBudgets(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return pdb.Status.ObservedGeneration == pdb.Generation && pdb.Status.CurrentHealthy == 4 && pdb.Status.DisruptionsAllowed == 1, nil
	})

	node := cluster.NodeName(1)
	out := c.Kubectl(t, "drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=90s")
	if !strings.Contains(out, "node/"+node+" drained") {
		t.Errorf("kubectl drain printed:\n%s", out)
	}
	pods := waitRunningReplicas(t, c, ns, "web", 4)
	for _, p := range pods {
		if p.Spec.NodeName != cluster.NodeName(2) {
			t.Errorf("pod %s on %s after the drain", p.Name, p.Spec.NodeName)
		}
	}
	if n := getNode(t, c, node); !n.Spec.Unschedulable {
		t.Errorf("drained node is schedulable")
	}

	// With the budget exhausted, an eviction is refused with 429.
	c.Kubectl(t, "-n", ns, "patch", "pdb", "web", "--type=merge", "-p", `{"spec":{"minAvailable":4}}`)
	framework.Eventually(t, 30*time.Second, "the PDB to allow no disruption", func(ctx context.Context) (bool, error) {
		pdb, err := c.Client.PolicyV1().PodDisruptionBudgets(ns).Get(ctx, "web", metav1.GetOptions{})
		return err == nil && pdb.Status.ObservedGeneration == pdb.Generation && pdb.Status.DisruptionsAllowed == 0, err
	})
	err := c.Client.CoreV1().Pods(ns).EvictV1(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: pods[0].Name, Namespace: ns}})
	if !apierrors.IsTooManyRequests(err) {
		t.Errorf("eviction against an exhausted budget: %v, want 429", err)
	}
}
