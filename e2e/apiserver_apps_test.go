package e2e

// Client-go and kubectl end-to-end tests of the workload groups the apiserver serves:
// apps/v1 deployments and replicasets (status and scale), batch/v1 jobs, policy/v1
// poddisruptionbudgets and the pods/eviction subresource that honours them.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/k1s-dev/k1s/e2e/framework"
)

func newDeployment(ns, name string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: pauseImage}}},
			},
		},
	}
}

func newReplicaSet(ns, name string) *appsv1.ReplicaSet {
	d := newDeployment(ns, name)
	return &appsv1.ReplicaSet{
		ObjectMeta: d.ObjectMeta,
		Spec:       appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](2), Selector: d.Spec.Selector, Template: d.Spec.Template},
	}
}

func newJob(ns, name string) *batchv1.Job {
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{{Name: "work", Image: pauseImage}},
		}}},
	}
}

func newPDB(ns, name string, selector map[string]string) *policyv1.PodDisruptionBudget {
	return &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: policyv1.PodDisruptionBudgetSpec{
			MinAvailable: ptr.To(intstr.FromInt32(1)),
			Selector:     &metav1.LabelSelector{MatchLabels: selector},
		},
	}
}

// writeLatest reads the latest object with get, changes it with write and retries on
// conflicts: the workload controllers (deployment, replicaset, job, garbage collector)
// run in every cluster and write the same objects. The result is that of the write
// that went through, or its first error that is not a conflict, so assertions on it do
// not depend on what the controllers did before.
func writeLatest[T any](t testing.TB, get func() (T, error), write func(T) (T, error)) (before, after T, err error) {
	t.Helper()
	err = retry.OnError(wait.Backoff{Steps: 100, Duration: 10 * time.Millisecond, Factor: 1, Jitter: 0.5}, apierrors.IsConflict, func() error {
		var err error
		if before, err = get(); err != nil {
			return err
		}
		after, err = write(before)
		return err
	})
	return before, after, err
}

// TestAPIAppsDeployments covers the deployment strategy through client-go: defaulting,
// generation, the status and scale subresources, and validation with field paths.
func TestAPIAppsDeployments(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	ns := createNamespace(t, c)
	ctx := testContext(t)
	deployments := c.Client.AppsV1().Deployments(ns)
	get := func() (*appsv1.Deployment, error) { return deployments.Get(ctx, "web", metav1.GetOptions{}) }

	d := newDeployment(ns, "web")
	d.Status.Replicas = 7 // clients may not set status on create
	created, err := deployments.Create(ctx, d, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if created.Generation != 1 || created.Status.Replicas != 0 {
		t.Fatalf("generation %d, status.replicas %d; want 1 and 0", created.Generation, created.Status.Replicas)
	}
	ru := created.Spec.Strategy.RollingUpdate
	if *created.Spec.Replicas != 1 || created.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType || ru == nil ||
		ru.MaxSurge.String() != "25%" || ru.MaxUnavailable.String() != "25%" ||
		*created.Spec.RevisionHistoryLimit != 10 || *created.Spec.ProgressDeadlineSeconds != 600 {
		t.Fatalf("deployment not defaulted as upstream: %+v", created.Spec)
	}
	if created.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyAlways || created.Spec.Template.Spec.DNSPolicy != corev1.DNSClusterFirst {
		t.Fatalf("pod template not defaulted: %+v", created.Spec.Template.Spec)
	}

	t.Run("spec update bumps generation, keeps status", func(t *testing.T) {
		got, updated, err := writeLatest(t, get, func(d *appsv1.Deployment) (*appsv1.Deployment, error) {
			d = d.DeepCopy()
			d.Spec.Replicas = ptr.To[int32](2)
			d.Status.Replicas = 9
			return deployments.Update(ctx, d, metav1.UpdateOptions{})
		})
		if err != nil {
			t.Fatal(err)
		}
		if updated.Generation != got.Generation+1 || updated.Status.Replicas != got.Status.Replicas || *updated.Spec.Replicas != 2 {
			t.Fatalf("generation %d (was %d), status.replicas %d (was %d), spec.replicas %d", updated.Generation, got.Generation,
				updated.Status.Replicas, got.Status.Replicas, *updated.Spec.Replicas)
		}
		// An annotation change bumps it too: the controller copies annotations to replica sets.
		got, updated, err = writeLatest(t, get, func(d *appsv1.Deployment) (*appsv1.Deployment, error) {
			d = d.DeepCopy()
			metav1.SetMetaDataAnnotation(&d.ObjectMeta, "note", "x")
			return deployments.Update(ctx, d, metav1.UpdateOptions{})
		})
		if err != nil || updated.Generation != got.Generation+1 {
			t.Fatalf("annotation update: generation %d (was %d), err %v", updated.Generation, got.Generation, err)
		}
		// A label change does not.
		got, updated, err = writeLatest(t, get, func(d *appsv1.Deployment) (*appsv1.Deployment, error) {
			d = d.DeepCopy()
			d.Labels = map[string]string{"team": "a"}
			return deployments.Update(ctx, d, metav1.UpdateOptions{})
		})
		if err != nil || updated.Generation != got.Generation {
			t.Fatalf("label update: generation %d (was %d), err %v", updated.Generation, got.Generation, err)
		}
	})

	t.Run("status update keeps spec and labels", func(t *testing.T) {
		got, updated, err := writeLatest(t, get, func(d *appsv1.Deployment) (*appsv1.Deployment, error) {
			d = d.DeepCopy()
			d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: 2, UpdatedReplicas: 2, ReadyReplicas: 1, AvailableReplicas: 1}
			d.Spec.Replicas = ptr.To[int32](50)
			d.Labels = map[string]string{"sneaky": "yes"}
			return deployments.UpdateStatus(ctx, d, metav1.UpdateOptions{})
		})
		if err != nil {
			t.Fatal(err)
		}
		if updated.Status.ReadyReplicas != 1 || updated.Status.UpdatedReplicas != 2 || *updated.Spec.Replicas != *got.Spec.Replicas ||
			updated.Labels["sneaky"] != "" || updated.Labels["team"] != "a" || updated.Generation != got.Generation {
			t.Fatalf("status update: ready %d, spec.replicas %d (was %d), labels %v, generation %d (was %d)",
				updated.Status.ReadyReplicas, *updated.Spec.Replicas, *got.Spec.Replicas, updated.Labels, updated.Generation, got.Generation)
		}
		_, _, err = writeLatest(t, get, func(d *appsv1.Deployment) (*appsv1.Deployment, error) {
			d = d.DeepCopy()
			d.Status.Replicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas = 2, 1, 2 // more available than ready
			return deployments.UpdateStatus(ctx, d, metav1.UpdateOptions{})
		})
		expectInvalidField(t, err, "status.availableReplicas")
	})

	t.Run("scale subresource", func(t *testing.T) {
		scale, err := deployments.GetScale(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if scale.Spec.Replicas != 2 || scale.Status.Selector != "app=web" || scale.Name != "web" || scale.UID != created.UID {
			t.Fatalf("scale %+v; want spec 2, selector app=web", scale)
		}
		_, scaled, err := writeLatest(t, func() (*autoscalingv1.Scale, error) { return deployments.GetScale(ctx, "web", metav1.GetOptions{}) },
			func(s *autoscalingv1.Scale) (*autoscalingv1.Scale, error) {
				s = s.DeepCopy()
				s.Spec.Replicas = 5
				return deployments.UpdateScale(ctx, "web", s, metav1.UpdateOptions{})
			})
		if err != nil {
			t.Fatal(err)
		}
		if scaled.Spec.Replicas != 5 {
			t.Fatalf("scaled to %d, want 5", scaled.Spec.Replicas)
		}
		got, err := get()
		if err != nil {
			t.Fatal(err)
		}
		if *got.Spec.Replicas != 5 {
			t.Fatalf("spec.replicas %d after scaling to 5", *got.Spec.Replicas)
		}
		// Merge patch without a resourceVersion, as kubectl scale sends.
		if _, err := deployments.Patch(ctx, "web", types.MergePatchType, []byte(`{"spec":{"replicas":4}}`), metav1.PatchOptions{}, "scale"); err != nil {
			t.Fatal(err)
		}
		if got, _ = get(); *got.Spec.Replicas != 4 {
			t.Fatalf("spec.replicas %d after patching the scale to 4", *got.Spec.Replicas)
		}
		negative := &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns}, Spec: autoscalingv1.ScaleSpec{Replicas: -1}}
		_, err = deployments.UpdateScale(ctx, "web", negative, metav1.UpdateOptions{})
		expectInvalidField(t, err, "spec.replicas")
		// A stale resourceVersion conflicts.
		stale := &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns, ResourceVersion: created.ResourceVersion}, Spec: autoscalingv1.ScaleSpec{Replicas: 1}}
		_, err = deployments.UpdateScale(ctx, "web", stale, metav1.UpdateOptions{})
		expectStatus(t, err, 409, metav1.StatusReasonConflict)
		_, err = deployments.GetScale(ctx, "missing", metav1.GetOptions{})
		expectNotFound(t, err)
	})

	t.Run("selector is immutable", func(t *testing.T) {
		_, _, err := writeLatest(t, get, func(d *appsv1.Deployment) (*appsv1.Deployment, error) {
			d = d.DeepCopy()
			d.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "tier": "front"}}
			d.Spec.Template.Labels["tier"] = "front"
			return deployments.Update(ctx, d, metav1.UpdateOptions{})
		})
		expectInvalidField(t, err, "spec.selector")
	})

	for _, tc := range []struct {
		name, field string
		mutate      func(*appsv1.Deployment)
	}{
		{"selector does not match template", "spec.template.metadata.labels", func(d *appsv1.Deployment) { d.Spec.Template.Labels = map[string]string{"app": "other"} }},
		{"no selector", "spec.selector", func(d *appsv1.Deployment) { d.Spec.Selector = nil }},
		{"empty selector", "spec.selector", func(d *appsv1.Deployment) { d.Spec.Selector = &metav1.LabelSelector{} }},
		{"negative replicas", "spec.replicas", func(d *appsv1.Deployment) { d.Spec.Replicas = ptr.To[int32](-1) }},
		{"maxSurge and maxUnavailable both 0", "spec.strategy.rollingUpdate.maxUnavailable", func(d *appsv1.Deployment) {
			d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxSurge: ptr.To(intstr.FromInt32(0)), MaxUnavailable: ptr.To(intstr.FromString("0%"))}
		}},
		{"maxUnavailable over 100%", "spec.strategy.rollingUpdate.maxUnavailable", func(d *appsv1.Deployment) {
			d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxUnavailable: ptr.To(intstr.FromString("120%"))}
		}},
		{"rollingUpdate with Recreate", "spec.strategy.rollingUpdate", func(d *appsv1.Deployment) {
			d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType, RollingUpdate: &appsv1.RollingUpdateDeployment{}}
		}},
		{"unknown strategy", "spec.strategy", func(d *appsv1.Deployment) { d.Spec.Strategy.Type = "Canary" }},
		{"negative revisionHistoryLimit", "spec.revisionHistoryLimit", func(d *appsv1.Deployment) { d.Spec.RevisionHistoryLimit = ptr.To[int32](-1) }},
		{"progressDeadlineSeconds not above minReadySeconds", "spec.progressDeadlineSeconds", func(d *appsv1.Deployment) {
			d.Spec.MinReadySeconds = 30
			d.Spec.ProgressDeadlineSeconds = ptr.To[int32](30)
		}},
		{"restartPolicy Never", "spec.template.spec.restartPolicy", func(d *appsv1.Deployment) { d.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever }},
		{"activeDeadlineSeconds", "spec.template.spec.activeDeadlineSeconds", func(d *appsv1.Deployment) { d.Spec.Template.Spec.ActiveDeadlineSeconds = ptr.To[int64](5) }},
		{"container without image", "spec.template.spec.containers[0].image", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "" }},
		{"bad name", "metadata.name", func(d *appsv1.Deployment) { d.Name = "Web_1" }},
	} {
		t.Run("invalid: "+tc.name, func(t *testing.T) {
			d := newDeployment(ns, "bad")
			tc.mutate(d)
			_, err := deployments.Create(ctx, d, metav1.CreateOptions{})
			expectInvalidField(t, err, tc.field)
		})
	}
}

// TestAPIAppsReplicaSets covers replicasets: create, update, status, scale and the
// status.replicas field selector.
func TestAPIAppsReplicaSets(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	ns := createNamespace(t, c)
	ctx := testContext(t)
	replicaSets := c.Client.AppsV1().ReplicaSets(ns)
	get := func() (*appsv1.ReplicaSet, error) { return replicaSets.Get(ctx, "web", metav1.GetOptions{}) }

	created, err := replicaSets.Create(ctx, newReplicaSet(ns, "web"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if created.Generation != 1 || *created.Spec.Replicas != 2 || created.Status.Replicas != 0 {
		t.Fatalf("generation %d, replicas %d, status %+v", created.Generation, *created.Spec.Replicas, created.Status)
	}
	idle := newReplicaSet(ns, "idle")
	idle.Spec.Replicas = ptr.To[int32](0)
	if _, err := replicaSets.Create(ctx, idle, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	got, withStatus, err := writeLatest(t, get, func(rs *appsv1.ReplicaSet) (*appsv1.ReplicaSet, error) {
		rs = rs.DeepCopy()
		rs.Status = appsv1.ReplicaSetStatus{Replicas: 2, FullyLabeledReplicas: 2, ReadyReplicas: 2, AvailableReplicas: 1, ObservedGeneration: 1}
		rs.Spec.Replicas = ptr.To[int32](9)
		return replicaSets.UpdateStatus(ctx, rs, metav1.UpdateOptions{})
	})
	if err != nil {
		t.Fatal(err)
	}
	if withStatus.Status.AvailableReplicas != 1 || *withStatus.Spec.Replicas != 2 || withStatus.Generation != got.Generation {
		t.Fatalf("status update: status %+v, spec.replicas %d, generation %d", withStatus.Status, *withStatus.Spec.Replicas, withStatus.Generation)
	}
	_, _, err = writeLatest(t, get, func(rs *appsv1.ReplicaSet) (*appsv1.ReplicaSet, error) {
		rs = rs.DeepCopy()
		rs.Status.Replicas, rs.Status.ReadyReplicas = 2, 3
		return replicaSets.UpdateStatus(ctx, rs, metav1.UpdateOptions{})
	})
	expectInvalidField(t, err, "status.readyReplicas")

	// Whoever wrote the status last (this test or the replicaset controller once its two
	// pods exist), web ends up with two replicas and idle with none.
	framework.Eventually(t, 30*time.Second, "field selector status.replicas=2 to list web", func(ctx context.Context) (bool, error) {
		list, err := replicaSets.List(ctx, metav1.ListOptions{FieldSelector: "status.replicas=2"})
		if err != nil {
			return false, err
		}
		return len(list.Items) == 1 && list.Items[0].Name == "web", nil
	})

	before, scaled, err := writeLatest(t, get, func(*appsv1.ReplicaSet) (*appsv1.ReplicaSet, error) {
		scale, err := replicaSets.GetScale(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		scale.Spec.Replicas = 0
		if _, err := replicaSets.UpdateScale(ctx, "web", scale, metav1.UpdateOptions{}); err != nil {
			return nil, err
		}
		return get()
	})
	if err != nil {
		t.Fatal(err)
	}
	if *scaled.Spec.Replicas != 0 || scaled.Generation <= before.Generation {
		t.Fatalf("after scaling to 0: spec.replicas %d, generation %d (was %d)", *scaled.Spec.Replicas, scaled.Generation, before.Generation)
	}

	_, _, err = writeLatest(t, get, func(rs *appsv1.ReplicaSet) (*appsv1.ReplicaSet, error) {
		rs = rs.DeepCopy()
		rs.Spec.Template.Labels = map[string]string{"app": "other"}
		return replicaSets.Update(ctx, rs, metav1.UpdateOptions{})
	})
	expectInvalidField(t, err, "spec.template.metadata.labels")

	bad := newReplicaSet(ns, "bad")
	bad.Spec.MinReadySeconds = -1
	_, err = replicaSets.Create(ctx, bad, metav1.CreateOptions{})
	expectInvalidField(t, err, "spec.minReadySeconds")
}

// TestAPIAppsKubectl drives the workload groups with kubectl: create, scale, get and
// discovery.
func TestAPIAppsKubectl(t *testing.T) {
	c := startKubectlCluster(t)
	ns := createNamespace(t, c.Cluster)

	c.run("create", "deployment", "web", "--image=nginx:1.27", "--replicas=2", "-n", ns)
	if out := c.run("scale", "deploy/web", "--replicas=3", "-n", ns); !strings.Contains(out, "deployment.apps/web scaled") {
		t.Errorf("kubectl scale printed %q", out)
	}
	d, err := c.Client.AppsV1().Deployments(ns).Get(c.ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *d.Spec.Replicas != 3 || d.Spec.Template.Spec.Containers[0].Image != "nginx:1.27" || d.Spec.Selector.MatchLabels["app"] != "web" {
		t.Fatalf("kubectl-made deployment: replicas %d, template %+v, selector %v", *d.Spec.Replicas, d.Spec.Template.Spec.Containers, d.Spec.Selector)
	}
	// --current-replicas makes kubectl send a precondition: a wrong one is refused.
	r := c.fail("", 1, "scale", "deploy/web", "--current-replicas=7", "--replicas=1", "-n", ns)
	if !strings.Contains(r.Stderr, "Expected replicas to be 7, was 3") {
		t.Errorf("kubectl scale with a wrong --current-replicas: stderr %q", r.Stderr)
	}

	out := c.run("get", "deploy", "-n", ns)
	rows := wantHeader(t, out, "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE")
	// The counts are the deployment controller's business; nothing runs the pods here.
	wantRows(t, out, rows, []string{"NAME", "READY", "UP-TO-DATE", "AVAILABLE"}, []string{"web", "0/3", "*", "0"})
	out = c.run("get", "deploy", "web", "-o", "wide", "-n", ns)
	rows = wantHeader(t, out, "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR")
	wantRows(t, out, rows, []string{"CONTAINERS", "IMAGES", "SELECTOR"}, []string{"nginx", "nginx:1.27", "app=web"})
	out = c.run("get", "deploy", "web", "--subresource=scale", "-n", ns)
	rows = wantHeader(t, out, "NAME", "DESIRED", "AVAILABLE", "AGE")
	wantRows(t, out, rows, []string{"NAME", "DESIRED", "AVAILABLE"}, []string{"web", "3", "*"})

	out = c.run("create", "job", "once", "--image=busybox:1.36", "-n", ns)
	if !strings.Contains(out, "job.batch/once created") {
		t.Errorf("kubectl create job printed %q", out)
	}
	c.run("create", "pdb", "web", "--selector=app=web", "--min-available=1", "-n", ns)
	if _, err := c.Client.AppsV1().ReplicaSets(ns).Create(c.ctx, newReplicaSet(ns, "rs"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// One command, four tables, each with upstream's columns.
	out = c.run("get", "deploy,rs,jobs,pdb", "-n", ns)
	tables := strings.Split(strings.TrimSpace(out), "\n\n")
	if len(tables) != 4 {
		t.Fatalf("kubectl get deploy,rs,jobs,pdb printed %d tables:\n%s", len(tables), out)
	}
	rows = wantHeader(t, tables[0], "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE")
	wantRows(t, tables[0], rows, []string{"NAME", "READY"}, []string{"deployment.apps/web", "0/3"})
	// The deployment controller adds its own replica set beside rs.
	rows = wantHeader(t, tables[1], "NAME", "DESIRED", "CURRENT", "READY", "AGE")
	wantRows(t, tables[1], pick(t, tables[1], rows, "NAME", "replicaset.apps/rs"), []string{"NAME", "DESIRED", "READY"}, []string{"replicaset.apps/rs", "2", "0"})
	rows = wantHeader(t, tables[2], "NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE")
	wantRows(t, tables[2], rows, []string{"NAME", "STATUS", "COMPLETIONS"}, []string{"job.batch/once", "Running", "0/1"})
	rows = wantHeader(t, tables[3], "NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE")
	wantRows(t, tables[3], rows, []string{"NAME", "MIN AVAILABLE", "MAX UNAVAILABLE"}, []string{"poddisruptionbudget.policy/web", "1", "N/A"})

	// Category all holds deployments, replicasets and jobs, but not budgets.
	out = c.run("get", "all", "-o", "name", "-n", ns)
	for _, want := range []string{"deployment.apps/web", "replicaset.apps/rs", "job.batch/once"} {
		if !slices.Contains(strings.Split(strings.TrimSpace(out), "\n"), want) {
			t.Errorf("kubectl get all lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "poddisruptionbudget") {
		t.Errorf("kubectl get all lists budgets:\n%s", out)
	}

	out = c.run("api-resources")
	rows = wantHeader(t, out, "NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND")
	wantRows(t, out, pick(t, out, rows, "KIND", "Deployment", "ReplicaSet", "Job", "PodDisruptionBudget"),
		[]string{"NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"},
		[]string{"deployments", "deploy", "apps/v1", "true", "Deployment"},
		[]string{"replicasets", "rs", "apps/v1", "true", "ReplicaSet"},
		[]string{"jobs", "", "batch/v1", "true", "Job"},
		[]string{"poddisruptionbudgets", "pdb", "policy/v1", "true", "PodDisruptionBudget"},
	)
	out = c.run("api-resources", "--api-group=apps", "-o", "name")
	if out != "deployments.apps\nreplicasets.apps\n" {
		t.Errorf("apps resources: %q", out)
	}
	versions := strings.Split(strings.TrimSpace(c.run("api-versions")), "\n")
	for _, v := range []string{"apps/v1", "batch/v1", "policy/v1"} {
		if !slices.Contains(versions, v) {
			t.Errorf("api-versions lacks %s: %v", v, versions)
		}
	}

	// Discovery names the subresources and their kinds as kube-apiserver does.
	resources, err := c.Client.Discovery().ServerResourcesForGroupVersion("apps/v1")
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]metav1.APIResource{}
	for _, r := range resources.APIResources {
		found[r.Name] = r
	}
	if s := found["deployments/scale"]; s.Group != "autoscaling" || s.Version != "v1" || s.Kind != "Scale" {
		t.Errorf("deployments/scale is %s/%s %s, want autoscaling/v1 Scale", s.Group, s.Version, s.Kind)
	}
	for _, name := range []string{"deployments/status", "replicasets/status", "replicasets/scale"} {
		if _, ok := found[name]; !ok {
			t.Errorf("apps/v1 discovery lacks %s", name)
		}
	}
	core, err := c.Client.Discovery().ServerResourcesForGroupVersion("v1")
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(core.APIResources, func(r metav1.APIResource) bool { return r.Name == "pods/eviction" })
	if i < 0 || core.APIResources[i].Group != "policy" || core.APIResources[i].Kind != "Eviction" || !slices.Equal(core.APIResources[i].Verbs, []string{"create"}) {
		t.Errorf("pods/eviction in discovery: %+v", core.APIResources[max(i, 0)])
	}
}

// TestAPIJobs covers the job strategy: selector generation with both label generations,
// manual selectors, immutable fields, validation and status rules.
func TestAPIJobs(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	ns := createNamespace(t, c)
	ctx := testContext(t)
	jobs := c.Client.BatchV1().Jobs(ns)

	created, err := jobs.Create(ctx, newJob(ns, "pi"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	uid := string(created.UID)
	wantLabels := map[string]string{
		"controller-uid": uid, "batch.kubernetes.io/controller-uid": uid,
		"job-name": "pi", "batch.kubernetes.io/job-name": "pi",
	}
	for k, v := range wantLabels {
		if created.Spec.Template.Labels[k] != v {
			t.Errorf("template label %s = %q, want %q (labels %v)", k, created.Spec.Template.Labels[k], v, created.Spec.Template.Labels)
		}
	}
	if sel := created.Spec.Selector; sel == nil || len(sel.MatchLabels) != 1 || sel.MatchLabels["batch.kubernetes.io/controller-uid"] != uid || len(sel.MatchExpressions) != 0 {
		t.Fatalf("generated selector %v, want batch.kubernetes.io/controller-uid=%s", created.Spec.Selector, uid)
	}
	if *created.Spec.Suspend || *created.Spec.ManualSelector || *created.Spec.Completions != 1 || *created.Spec.Parallelism != 1 || *created.Spec.BackoffLimit != 6 || created.Generation != 1 {
		t.Fatalf("job not defaulted as upstream: %+v, generation %d", created.Spec, created.Generation)
	}

	t.Run("manual selector", func(t *testing.T) {
		j := newJob(ns, "manual")
		j.Spec.ManualSelector = ptr.To(true)
		_, err := jobs.Create(ctx, j, metav1.CreateOptions{})
		expectInvalidField(t, err, "spec.selector")

		j.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"run": "manual"}}
		j.Spec.Template.Labels = map[string]string{"run": "manual"}
		got, err := jobs.Create(ctx, j, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Spec.Template.Labels) != 1 || len(got.Spec.Selector.MatchLabels) != 1 {
			t.Fatalf("a manual selector job got generated labels: %v, selector %v", got.Spec.Template.Labels, got.Spec.Selector)
		}
	})

	t.Run("a user selector without manualSelector is rejected", func(t *testing.T) {
		j := newJob(ns, "mine")
		j.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"run": "mine"}}
		j.Spec.Template.Labels = map[string]string{"run": "mine"}
		_, err := jobs.Create(ctx, j, metav1.CreateOptions{})
		expectInvalidField(t, err, "spec.selector")
	})

	for _, tc := range []struct {
		name, field string
		mutate      func(*batchv1.Job)
	}{
		{"restartPolicy Always", "spec.template.spec.restartPolicy", func(j *batchv1.Job) { j.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyAlways }},
		{"negative parallelism", "spec.parallelism", func(j *batchv1.Job) { j.Spec.Parallelism = ptr.To[int32](-1) }},
		{"negative completions", "spec.completions", func(j *batchv1.Job) { j.Spec.Completions = ptr.To[int32](-2) }},
		{"negative backoffLimit", "spec.backoffLimit", func(j *batchv1.Job) { j.Spec.BackoffLimit = ptr.To[int32](-1) }},
		{"negative activeDeadlineSeconds", "spec.activeDeadlineSeconds", func(j *batchv1.Job) { j.Spec.ActiveDeadlineSeconds = ptr.To[int64](-5) }},
		{"indexed without completions", "spec.completions", func(j *batchv1.Job) {
			j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
			j.Spec.Parallelism = ptr.To[int32](2)
		}},
		{"backoffLimitPerIndex on a non-indexed job", "spec.backoffLimitPerIndex", func(j *batchv1.Job) { j.Spec.BackoffLimitPerIndex = ptr.To[int32](1) }},
		{"pod failure policy with OnFailure", "spec.template.spec.restartPolicy", func(j *batchv1.Job) {
			j.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
			j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
				Action: batchv1.PodFailurePolicyActionFailJob, OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{1}},
			}}}
		}},
	} {
		t.Run("invalid: "+tc.name, func(t *testing.T) {
			j := newJob(ns, "bad")
			tc.mutate(j)
			_, err := jobs.Create(ctx, j, metav1.CreateOptions{})
			expectInvalidField(t, err, tc.field)
		})
	}

	getPi := func() (*batchv1.Job, error) { return jobs.Get(ctx, "pi", metav1.GetOptions{}) }
	updatePi := func(mutate func(*batchv1.Job)) (before, after *batchv1.Job, err error) {
		return writeLatest(t, getPi, func(j *batchv1.Job) (*batchv1.Job, error) {
			j = j.DeepCopy()
			mutate(j)
			return jobs.Update(ctx, j, metav1.UpdateOptions{})
		})
	}
	// The job controller writes status too; each write starts from the latest.
	updatePiStatus := func(mutate func(*batchv1.Job)) (before, after *batchv1.Job, err error) {
		return writeLatest(t, getPi, func(j *batchv1.Job) (*batchv1.Job, error) {
			j = j.DeepCopy()
			mutate(j)
			return jobs.UpdateStatus(ctx, j, metav1.UpdateOptions{})
		})
	}

	t.Run("immutable fields of a running job", func(t *testing.T) {
		_, _, err := updatePi(func(j *batchv1.Job) { j.Spec.Template.Spec.Containers[0].Image = "busybox:1.36" })
		expectInvalidField(t, err, "spec.template")
		_, _, err = updatePi(func(j *batchv1.Job) { j.Spec.Completions = ptr.To[int32](3) })
		expectInvalidField(t, err, "spec.completions")
		_, _, err = updatePi(func(j *batchv1.Job) { j.Spec.Selector.MatchLabels["extra"] = "x" })
		expectInvalidField(t, err, "spec.selector")
		// Parallelism is mutable, and bumps the generation.
		got, updated, err := updatePi(func(j *batchv1.Job) { j.Spec.Parallelism = ptr.To[int32](0) })
		if err != nil {
			t.Fatal(err)
		}
		if updated.Generation != got.Generation+1 {
			t.Fatalf("generation %d after changing parallelism, was %d", updated.Generation, got.Generation)
		}
	})

	t.Run("a suspended job that never started may change its template resources", func(t *testing.T) {
		j := newJob(ns, "later")
		j.Spec.Suspend = ptr.To(true)
		if _, err := jobs.Create(ctx, j, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		_, updated, err := writeLatest(t, func() (*batchv1.Job, error) { return jobs.Get(ctx, "later", metav1.GetOptions{}) },
			func(j *batchv1.Job) (*batchv1.Job, error) {
				j = j.DeepCopy()
				j.Spec.Template.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}
				return jobs.Update(ctx, j, metav1.UpdateOptions{})
			})
		if err != nil {
			t.Fatalf("changing the resources of a suspended job: %v", err)
		}
		if q := updated.Spec.Template.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU]; q.String() != "100m" {
			t.Fatalf("cpu request %s after the update", q.String())
		}
	})

	t.Run("status", func(t *testing.T) {
		now := metav1.Now()
		_, updated, err := updatePiStatus(func(j *batchv1.Job) {
			if j.Status.StartTime == nil {
				j.Status.StartTime = &now
			}
			j.Status.Active = 1
			j.Status.Ready = ptr.To[int32](1)
			j.Spec.BackoffLimit = ptr.To[int32](99)
		})
		if err != nil {
			t.Fatal(err)
		}
		if updated.Status.Active != 1 || *updated.Status.Ready != 1 || *updated.Spec.BackoffLimit != 6 {
			t.Fatalf("status update: active %d, ready %d, backoffLimit %d", updated.Status.Active, *updated.Status.Ready, *updated.Spec.BackoffLimit)
		}
		_, _, err = updatePiStatus(func(j *batchv1.Job) {
			j.Status.Active = 1
			j.Status.Ready = ptr.To[int32](2)
		})
		expectInvalidField(t, err, "status.ready")
		// Complete without SuccessCriteriaMet and completionTime, with active pods.
		_, _, err = updatePiStatus(func(j *batchv1.Job) {
			j.Status.Active = 1
			j.Status.Conditions = append(j.Status.Conditions, batchv1.JobCondition{Type: batchv1.JobComplete, Status: corev1.ConditionTrue})
		})
		expectInvalidField(t, err, "status.conditions")
		expectInvalidField(t, err, "status.completionTime")
		expectInvalidField(t, err, "status.active")
		_, updated, err = updatePiStatus(func(j *batchv1.Job) { j.Status.Succeeded = max(j.Status.Succeeded, 1) })
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = updatePiStatus(func(j *batchv1.Job) { j.Status.Succeeded = 0 })
		expectInvalidField(t, err, "status.succeeded")

		list, err := jobs.List(ctx, metav1.ListOptions{FieldSelector: fmt.Sprintf("status.successful=%d", updated.Status.Succeeded)})
		if err != nil || !slices.ContainsFunc(list.Items, func(j batchv1.Job) bool { return j.Name == "pi" }) {
			t.Fatalf("field selector status.successful=%d: %v, %v", updated.Status.Succeeded, err, list)
		}
	})

	t.Run("batch/v1 orphans pods by default", func(t *testing.T) {
		if _, err := jobs.Create(ctx, newJob(ns, "orphan"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		// The delete response shows what the garbage collector is asked to do; it may
		// remove the finalizer at once afterwards.
		var deleted batchv1.Job
		err := c.Client.BatchV1().RESTClient().Delete().Namespace(ns).Resource("jobs").Name("orphan").Do(ctx).Into(&deleted)
		if err != nil {
			t.Fatal(err)
		}
		if deleted.DeletionTimestamp == nil || !slices.Contains(deleted.Finalizers, metav1.FinalizerOrphanDependents) {
			t.Fatalf("job deleted with default options: deletionTimestamp %v, finalizers %v; want the orphan finalizer", deleted.DeletionTimestamp, deleted.Finalizers)
		}
		// Do the garbage collector's part in case it has not yet.
		patch := []byte(`{"metadata":{"finalizers":null}}`)
		if _, err := jobs.Patch(ctx, "orphan", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
		_, err = jobs.Get(ctx, "orphan", metav1.GetOptions{})
		expectNotFound(t, err)

		// Background propagation (what kubectl sends) deletes at once.
		if _, err := jobs.Create(ctx, newJob(ns, "background"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := jobs.Delete(ctx, "background", metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationBackground)}); err != nil {
			t.Fatal(err)
		}
		_, err = jobs.Get(ctx, "background", metav1.GetOptions{})
		expectNotFound(t, err)
	})
}

// TestAPIPDBs covers poddisruptionbudgets: validation, generation, and the status
// subresource, which requires a resourceVersion.
func TestAPIPDBs(t *testing.T) {
	t.Parallel()
	// The test writes PDB status itself.
	c := startClusterWithout(t, "disruption-controller")
	ns := createNamespace(t, c)
	ctx := testContext(t)
	pdbs := c.Client.PolicyV1().PodDisruptionBudgets(ns)

	pdb := newPDB(ns, "web", map[string]string{"app": "web"})
	pdb.Status.DisruptionsAllowed = 5
	created, err := pdbs.Create(ctx, pdb, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if created.Generation != 1 || created.Status.DisruptionsAllowed != 0 {
		t.Fatalf("generation %d, disruptionsAllowed %d; want 1 and 0", created.Generation, created.Status.DisruptionsAllowed)
	}

	created.Status = policyv1.PodDisruptionBudgetStatus{ObservedGeneration: 1, DisruptionsAllowed: 1, CurrentHealthy: 2, DesiredHealthy: 1, ExpectedPods: 2}
	created.Spec.MinAvailable = ptr.To(intstr.FromInt32(9))
	withStatus, err := pdbs.UpdateStatus(ctx, created, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if withStatus.Status.DisruptionsAllowed != 1 || withStatus.Spec.MinAvailable.IntValue() != 1 || withStatus.Generation != 1 {
		t.Fatalf("status update: %+v, minAvailable %v, generation %d", withStatus.Status, withStatus.Spec.MinAvailable, withStatus.Generation)
	}

	// Budgets are never updated blindly: the eviction decrement relies on it.
	blind := withStatus.DeepCopy()
	blind.ResourceVersion = ""
	blind.Status.DisruptionsAllowed = 3
	_, err = pdbs.UpdateStatus(ctx, blind, metav1.UpdateOptions{})
	expectInvalidField(t, err, "metadata.resourceVersion")

	negative := withStatus.DeepCopy()
	negative.Status.DisruptionsAllowed = -1
	_, err = pdbs.UpdateStatus(ctx, negative, metav1.UpdateOptions{})
	expectInvalidField(t, err, "status.disruptionsAllowed")

	withStatus.Spec.MinAvailable = ptr.To(intstr.FromString("50%"))
	updated, err := pdbs.Update(ctx, withStatus, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if updated.Generation != 2 || updated.Status.DisruptionsAllowed != 1 {
		t.Fatalf("spec update: generation %d, disruptionsAllowed %d", updated.Generation, updated.Status.DisruptionsAllowed)
	}

	for _, tc := range []struct {
		name, field string
		mutate      func(*policyv1.PodDisruptionBudget)
	}{
		{"both minAvailable and maxUnavailable", "spec", func(p *policyv1.PodDisruptionBudget) { p.Spec.MaxUnavailable = ptr.To(intstr.FromInt32(1)) }},
		{"negative minAvailable", "spec.minAvailable", func(p *policyv1.PodDisruptionBudget) { p.Spec.MinAvailable = ptr.To(intstr.FromInt32(-1)) }},
		{"maxUnavailable over 100%", "spec.maxUnavailable", func(p *policyv1.PodDisruptionBudget) {
			p.Spec.MinAvailable = nil
			p.Spec.MaxUnavailable = ptr.To(intstr.FromString("101%"))
		}},
		{"bad selector", "spec.selector.matchLabels", func(p *policyv1.PodDisruptionBudget) { p.Spec.Selector.MatchLabels = map[string]string{"a b": "c"} }},
		{"unknown unhealthyPodEvictionPolicy", "spec.unhealthyPodEvictionPolicy", func(p *policyv1.PodDisruptionBudget) {
			p.Spec.UnhealthyPodEvictionPolicy = ptr.To(policyv1.UnhealthyPodEvictionPolicyType("Sometimes"))
		}},
	} {
		t.Run("invalid: "+tc.name, func(t *testing.T) {
			p := newPDB(ns, "bad", map[string]string{"app": "bad"})
			tc.mutate(p)
			_, err := pdbs.Create(ctx, p, metav1.CreateOptions{})
			expectInvalidField(t, err, tc.field)
		})
	}
}

// TestAPIEviction covers pods/eviction: a budget with a disruption to spare lets a pod
// go and is decremented; one with none answers 429 with upstream's message and cause.
func TestAPIEviction(t *testing.T) {
	t.Parallel()
	// The test writes PDB status itself, as the disruption controller would.
	c := &kubectlCluster{Cluster: startClusterWithout(t, "disruption-controller"), t: t, ctx: testContext(t)}
	ns := createNamespace(t, c.Cluster)
	ctx := c.ctx
	pods := c.Client.CoreV1().Pods(ns)
	pdbs := c.Client.PolicyV1().PodDisruptionBudgets(ns)
	evict := func(name string, opts *metav1.DeleteOptions) error {
		return c.Client.PolicyV1().Evictions(ns).Evict(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, DeleteOptions: opts})
	}
	runningPod := func(name string, labels map[string]string, ready bool) *corev1.Pod {
		t.Helper()
		return c.running(c.pod(ns, name, "node-1", labels), "127.0.0.1", "10.244.0.9", ready)
	}
	// setStatus plays the disruption controller, which k1s does not run yet.
	setStatus := func(name string, status policyv1.PodDisruptionBudgetStatus) {
		t.Helper()
		pdb, err := pdbs.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		status.ObservedGeneration = pdb.Generation
		pdb.Status = status
		if _, err := pdbs.UpdateStatus(ctx, pdb, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	web := map[string]string{"app": "web"}
	if _, err := pdbs.Create(ctx, newPDB(ns, "web", web), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	setStatus("web", policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: 1, CurrentHealthy: 3, DesiredHealthy: 2, ExpectedPods: 3})
	runningPod("web-1", web, true)
	runningPod("web-2", web, true)

	t.Run("allowed, then 429", func(t *testing.T) {
		// A dry run changes nothing.
		if err := evict("web-1", &metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
			t.Fatal(err)
		}
		if pdb, _ := pdbs.Get(ctx, "web", metav1.GetOptions{}); pdb.Status.DisruptionsAllowed != 1 {
			t.Fatalf("a dry-run eviction took a disruption: %d left", pdb.Status.DisruptionsAllowed)
		}

		if err := evict("web-1", nil); err != nil {
			t.Fatalf("evicting with a disruption to spare: %v", err)
		}
		pod, err := pods.Get(ctx, "web-1", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("a bound running pod is deleted gracefully, it should still be there: %v", err)
		}
		if pod.DeletionTimestamp == nil {
			t.Fatal("the evicted pod is not being deleted")
		}
		cond := podCondition(pod, corev1.DisruptionTarget)
		if cond == nil || cond.Status != corev1.ConditionTrue || cond.Reason != "EvictionByEvictionAPI" || cond.Message != "Eviction API: evicting" {
			t.Fatalf("DisruptionTarget condition of the evicted pod: %+v", cond)
		}
		pdb, err := pdbs.Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if pdb.Status.DisruptionsAllowed != 0 || pdb.Status.DisruptedPods["web-1"].Time.IsZero() {
			t.Fatalf("budget after the eviction: disruptionsAllowed %d, disruptedPods %v", pdb.Status.DisruptionsAllowed, pdb.Status.DisruptedPods)
		}
		if c := meta.FindStatusCondition(pdb.Status.Conditions, policyv1.DisruptionAllowedCondition); c == nil || c.Status != metav1.ConditionFalse || c.Reason != policyv1.InsufficientPodsReason {
			t.Fatalf("DisruptionAllowed condition after taking the last disruption: %+v", c)
		}

		err = evict("web-2", nil)
		se := expectStatus(t, err, 429, metav1.StatusReasonTooManyRequests)
		if se.ErrStatus.Message != "Cannot evict pod as it would violate the pod's disruption budget." {
			t.Errorf("429 message %q", se.ErrStatus.Message)
		}
		if d := se.ErrStatus.Details; d == nil || len(d.Causes) != 1 || d.Causes[0].Type != policyv1.DisruptionBudgetCause ||
			d.Causes[0].Message != "The disruption budget web does not allow evicting pods currently" {
			t.Errorf("429 details %+v", se.ErrStatus.Details)
		}
		if pod, err := pods.Get(ctx, "web-2", metav1.GetOptions{}); err != nil || pod.DeletionTimestamp != nil || podCondition(pod, corev1.DisruptionTarget) != nil {
			t.Fatalf("a refused eviction touched the pod: %v %+v", err, pod)
		}

		// The message names the health shortfall when there is one.
		setStatus("web", policyv1.PodDisruptionBudgetStatus{CurrentHealthy: 1, DesiredHealthy: 2, ExpectedPods: 2})
		se = expectStatus(t, evict("web-2", nil), 429, metav1.StatusReasonTooManyRequests)
		if d := se.ErrStatus.Details; d == nil || len(d.Causes) != 1 || d.Causes[0].Message != "The disruption budget web needs 2 healthy pods and has 1 currently" {
			t.Errorf("429 details %+v", se.ErrStatus.Details)
		}
	})

	t.Run("pods that cause no disruption pass", func(t *testing.T) {
		// Pending: never ran, its eviction disrupts nothing.
		c.pod(ns, "web-pending", "", web)
		if err := evict("web-pending", nil); err != nil {
			t.Fatal(err)
		}
		_, err := pods.Get(ctx, "web-pending", metav1.GetOptions{})
		expectNotFound(t, err)

		// Succeeded: terminal.
		done := c.pod(ns, "web-done", "node-1", web)
		done.Status.Phase = corev1.PodSucceeded
		if _, err := pods.UpdateStatus(ctx, done, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := evict("web-done", nil); err != nil {
			t.Fatal(err)
		}
		_, err = pods.Get(ctx, "web-done", metav1.GetOptions{})
		expectNotFound(t, err)

		// Not covered by any budget, with the eviction's grace period.
		runningPod("lonely", map[string]string{"app": "lonely"}, true)
		if err := evict("lonely", &metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
			t.Fatal(err)
		}
		_, err = pods.Get(ctx, "lonely", metav1.GetOptions{})
		expectNotFound(t, err)

		// Unready while the budget has the healthy pods it needs (IfHealthyBudget).
		setStatus("web", policyv1.PodDisruptionBudgetStatus{CurrentHealthy: 2, DesiredHealthy: 2, ExpectedPods: 3})
		runningPod("web-unready", web, false)
		if err := evict("web-unready", nil); err != nil {
			t.Fatalf("evicting an unready pod of a healthy budget: %v", err)
		}
		if pod, err := pods.Get(ctx, "web-unready", metav1.GetOptions{}); err != nil || pod.DeletionTimestamp == nil {
			t.Fatalf("the unready pod is not being deleted: %v", err)
		}
		if pdb, _ := pdbs.Get(ctx, "web", metav1.GetOptions{}); pdb.Status.DisruptionsAllowed != 0 || len(pdb.Status.DisruptedPods) != 0 {
			t.Fatalf("evicting an unready pod touched the budget: %+v", pdb.Status)
		}
	})

	t.Run("a budget the controller has not seen yet", func(t *testing.T) {
		stale := map[string]string{"app": "stale"}
		if _, err := pdbs.Create(ctx, newPDB(ns, "stale", stale), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		runningPod("stale-1", stale, true)
		// This 429 suggests a retry after 10 s, which client-go would honour ten times.
		err := c.Client.PolicyV1().RESTClient().Post().AbsPath("/api/v1").Namespace(ns).Resource("pods").Name("stale-1").SubResource("eviction").
			Body(&policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: "stale-1", Namespace: ns}}).MaxRetries(0).Do(ctx).Error()
		se := expectStatus(t, err, 429, metav1.StatusReasonTooManyRequests)
		if se.ErrStatus.Details == nil || se.ErrStatus.Details.RetryAfterSeconds != 10 {
			t.Errorf("429 details %+v, want retryAfterSeconds 10", se.ErrStatus.Details)
		}
		if d := se.ErrStatus.Details; d == nil || len(d.Causes) != 1 || d.Causes[0].Message != "The disruption budget stale is still being processed by the server." {
			t.Errorf("429 details %+v", se.ErrStatus.Details)
		}
	})

	t.Run("two budgets", func(t *testing.T) {
		both := map[string]string{"app": "both"}
		for _, name := range []string{"both-a", "both-b"} {
			if _, err := pdbs.Create(ctx, newPDB(ns, name, both), metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			setStatus(name, policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: 1, CurrentHealthy: 2, DesiredHealthy: 1})
		}
		runningPod("both-1", both, true)
		// As upstream, the refusal is a Status of code 500 in the body of the create
		// response; client-go turns it into the error when decoding.
		err := c.Client.PolicyV1().RESTClient().Post().AbsPath("/api/v1").Namespace(ns).Resource("pods").Name("both-1").SubResource("eviction").
			Body(&policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: "both-1", Namespace: ns}}).Do(ctx).Into(&metav1.Status{})
		se := expectStatus(t, err, 500, "")
		if se.ErrStatus.Message != "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support." {
			t.Errorf("500 message %q", se.ErrStatus.Message)
		}
		if pod, err := pods.Get(ctx, "both-1", metav1.GetOptions{}); err != nil || pod.DeletionTimestamp != nil {
			t.Fatalf("a pod with two budgets was evicted: %v", err)
		}
	})

	t.Run("errors", func(t *testing.T) {
		expectNotFound(t, evict("missing", nil))
		// The name in the body must be the pod's.
		err := c.Client.CoreV1().RESTClient().Post().Namespace(ns).Resource("pods").Name("web-2").SubResource("eviction").
			Body([]byte(fmt.Sprintf(`{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"other","namespace":%q}}`, ns))).
			SetHeader("Content-Type", "application/json").Do(ctx).Error()
		expectStatus(t, err, 400, metav1.StatusReasonBadRequest)
	})
}

func podCondition(pod *corev1.Pod, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == t {
			return &pod.Status.Conditions[i]
		}
	}
	return nil
}
