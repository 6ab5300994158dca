package deployment

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	deploymentutil "github.com/k1s-dev/k1s/controllers/deployment/util"
	"github.com/k1s-dev/k1s/controllers/internal/controllerutil"
)

func TestConfig(t *testing.T) {
	if err := (Config{ConcurrentDeploymentSyncs: -1}).Validate(); err == nil || !strings.Contains(err.Error(), "--concurrent-deployment-syncs") {
		t.Errorf("Validate(-1) = %v, want an error naming the flag", err)
	}
	if got := (Config{}).withDefaults(); got.ConcurrentDeploymentSyncs != 5 || got.Clock == nil {
		t.Errorf("defaults = %+v", got)
	}
	if ControllerName != "deployment-controller" || ClientName != "deployment-controller" {
		t.Errorf("names = %q, %q", ControllerName, ClientName)
	}
}

func TestNewDeploymentCreatesReplicaSet(t *testing.T) {
	d := newDeployment("web", 4, intstr.FromString("25%"), intstr.FromString("25%"))
	d.Annotations = map[string]string{"kubernetes.io/change-cause": "kubectl create deployment web"}
	h := newHarness(t, d)
	h.sync("web")

	rss := h.replicaSets()
	if len(rss) != 1 {
		t.Fatalf("got %d replica sets, want 1", len(rss))
	}
	rs := rss[0]
	hash := controllerutil.ComputeHash(&d.Spec.Template, nil)
	if rs.Name != "web-"+hash {
		t.Errorf("name = %q, want web-%s", rs.Name, hash)
	}
	if rs.Labels[appsv1.DefaultDeploymentUniqueLabelKey] != hash || rs.Spec.Template.Labels[appsv1.DefaultDeploymentUniqueLabelKey] != hash ||
		rs.Spec.Selector.MatchLabels[appsv1.DefaultDeploymentUniqueLabelKey] != hash {
		t.Errorf("pod-template-hash missing from labels, template or selector: %+v", rs.ObjectMeta.Labels)
	}
	if !metav1.IsControlledBy(&rs, d) {
		t.Error("replica set not controlled by the deployment")
	}
	// A fresh Deployment has no old pods to protect: all 4 at once.
	if got := ptr.Deref(rs.Spec.Replicas, 0); got != 4 {
		t.Errorf("replicas = %d, want 4", got)
	}
	for k, want := range map[string]string{
		"deployment.kubernetes.io/revision":         "1",
		"deployment.kubernetes.io/desired-replicas": "4",
		"deployment.kubernetes.io/max-replicas":     "5",
		"kubernetes.io/change-cause":                "kubectl create deployment web",
	} {
		if got := rs.Annotations[k]; got != want {
			t.Errorf("annotation %s = %q, want %q", k, got, want)
		}
	}
	if !h.rec.Has("ScalingReplicaSet", fmt.Sprintf("Scaled up replica set %s from 0 to 4", rs.Name)) {
		t.Errorf("no ScalingReplicaSet event:\n%s", h.rec.Dump())
	}
	got := h.deployment("web")
	if got.Annotations["deployment.kubernetes.io/revision"] != "1" {
		t.Errorf("deployment revision = %q, want 1", got.Annotations["deployment.kubernetes.io/revision"])
	}
	if c := condition(got, appsv1.DeploymentProgressing); c == nil || c.Status != corev1.ConditionTrue || c.Reason != "NewReplicaSetCreated" ||
		c.Message != fmt.Sprintf("Created new replica set %q", rs.Name) || !c.LastUpdateTime.Time.Equal(t0) {
		t.Errorf("Progressing = %+v", c)
	}
	if c := condition(got, appsv1.DeploymentAvailable); c == nil || c.Status != corev1.ConditionFalse || c.Reason != "MinimumReplicasUnavailable" ||
		c.Message != "Deployment does not have minimum availability." {
		t.Errorf("Available = %+v", c)
	}
	if got.Status.ObservedGeneration != 1 || got.Status.UnavailableReplicas != 4 {
		t.Errorf("status = %+v", got.Status)
	}

	// Pods come up: the rollout completes.
	h.settle()
	h.sync("web")
	got = h.deployment("web")
	if c := condition(got, appsv1.DeploymentProgressing); c == nil || c.Reason != "NewReplicaSetAvailable" ||
		c.Message != fmt.Sprintf("ReplicaSet %q has successfully progressed.", rs.Name) {
		t.Errorf("Progressing = %+v", c)
	}
	if c := condition(got, appsv1.DeploymentAvailable); c == nil || c.Status != corev1.ConditionTrue || c.Reason != "MinimumReplicasAvailable" ||
		c.Message != "Deployment has minimum availability." {
		t.Errorf("Available = %+v", c)
	}
	if s := got.Status; s.Replicas != 4 || s.UpdatedReplicas != 4 || s.ReadyReplicas != 4 || s.AvailableReplicas != 4 || s.UnavailableReplicas != 0 ||
		!ptr.Equal(s.TerminatingReplicas, ptr.To[int32](0)) {
		t.Errorf("status = %+v", s)
	}
}

func TestRollingUpdateSteps(t *testing.T) {
	for _, tc := range []struct {
		name                     string
		replicas                 int32
		maxSurge, maxUnavailable intstr.IntOrString
		// steps are [old, new] replicas after each sync; all pods become
		// available between syncs.
		steps [][]int32
	}{{
		name: "surge 1 unavailable 1", replicas: 4,
		maxSurge: intstr.FromInt32(1), maxUnavailable: intstr.FromInt32(1),
		steps: [][]int32{{3, 1}, {3, 2}, {1, 2}, {1, 4}, {0, 4}},
	}, {
		name: "surge 0 unavailable 1", replicas: 3,
		maxSurge: intstr.FromInt32(0), maxUnavailable: intstr.FromInt32(1),
		steps: [][]int32{{2, 0}, {2, 1}, {1, 1}, {1, 2}, {0, 2}, {0, 3}},
	}, {
		// 25% of 4 is 1 for both: surge rounds up, unavailability down.
		name: "percentages", replicas: 4,
		maxSurge: intstr.FromString("25%"), maxUnavailable: intstr.FromString("25%"),
		steps: [][]int32{{3, 1}, {3, 2}, {1, 2}, {1, 4}, {0, 4}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDeployment("web", tc.replicas, tc.maxSurge, tc.maxUnavailable)
			h := newHarness(t, d)
			h.sync("web")
			h.settle()
			h.sync("web")

			d = h.deployment("web")
			setImage(d, "img:2")
			h.update(d)
			maxSurge, maxUnavailable, _ := deploymentutil.ResolveFenceposts(&tc.maxSurge, &tc.maxUnavailable, tc.replicas)
			for i, want := range tc.steps {
				h.sync("web")
				got := h.replicaCounts()
				if len(got) == 1 {
					got = append(got, 0)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("step %d: replicas [old new] = %v, want %v", i+1, got, want)
				}
				if total := got[0] + got[1]; total > tc.replicas+maxSurge {
					t.Errorf("step %d: %d pods, more than replicas+maxSurge", i+1, total)
				}
				h.settle()
				if avail := h.deployment("web").Status.AvailableReplicas; avail < tc.replicas-maxUnavailable {
					t.Errorf("step %d: %d available, fewer than replicas-maxUnavailable", i+1, avail)
				}
			}
			h.sync("web")
			got := h.deployment("web")
			if c := condition(got, appsv1.DeploymentProgressing); c == nil || c.Reason != "NewReplicaSetAvailable" {
				t.Errorf("Progressing = %+v, want NewReplicaSetAvailable", c)
			}
			if got.Annotations["deployment.kubernetes.io/revision"] != "2" {
				t.Errorf("revision = %q, want 2", got.Annotations["deployment.kubernetes.io/revision"])
			}
		})
	}
}

func TestRecreate(t *testing.T) {
	d := newDeployment("web", 2, intstr.IntOrString{}, intstr.IntOrString{})
	d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
	h := newHarness(t, d)
	h.sync("web")
	h.settle()
	oldRS := h.replicaSets()[0]
	// A running pod of the old ReplicaSet.
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "old-pod", Namespace: "ns", Labels: oldRS.Spec.Template.Labels,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(&oldRS, appsv1.SchemeGroupVersion.WithKind("ReplicaSet"))}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning},
	}
	if _, err := h.client.CoreV1().Pods("ns").Create(h.ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	d = h.deployment("web")
	setImage(d, "img:2")
	h.update(d)

	h.sync("web")
	if got := h.replicaCounts(); !slices.Equal(got, []int32{0}) {
		t.Fatalf("after the first sync replicas = %v, want the old RS at 0 and no new RS", got)
	}
	h.settle()
	h.sync("web")
	if got := h.replicaCounts(); !slices.Equal(got, []int32{0}) {
		t.Fatalf("a new RS was created while an old pod runs: %v", got)
	}
	if err := h.client.CoreV1().Pods("ns").Delete(h.ctx, "old-pod", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	h.refresh()
	h.sync("web")
	if got := h.replicaCounts(); !slices.Equal(got, []int32{0, 2}) {
		t.Fatalf("replicas = %v, want [0 2]", got)
	}
}

func TestPaused(t *testing.T) {
	d := newDeployment("web", 2, intstr.FromInt32(1), intstr.FromInt32(0))
	h := newHarness(t, d)
	h.sync("web")
	h.settle()
	h.sync("web")

	d = h.deployment("web")
	d.Spec.Paused = true
	setImage(d, "img:2")
	h.update(d)
	h.sync("web")
	if n := len(h.replicaSets()); n != 1 {
		t.Fatalf("a paused deployment rolled out: %d replica sets", n)
	}
	got := h.deployment("web")
	if c := condition(got, appsv1.DeploymentProgressing); c == nil || c.Status != corev1.ConditionUnknown || c.Reason != "DeploymentPaused" || c.Message != "Deployment is paused" {
		t.Errorf("Progressing = %+v", c)
	}
	// Scaling still works while paused.
	got.Spec.Replicas = ptr.To[int32](3)
	h.update(got)
	h.sync("web")
	if c := h.replicaCounts(); !slices.Equal(c, []int32{3}) {
		t.Errorf("replicas = %v, want [3]", c)
	}
	// Resuming rolls out.
	got = h.deployment("web")
	got.Spec.Paused = false
	h.update(got)
	h.sync("web")
	if c := condition(h.deployment("web"), appsv1.DeploymentProgressing); c == nil || c.Reason != "DeploymentResumed" && c.Reason != "NewReplicaSetCreated" {
		t.Errorf("Progressing after resume = %+v", c)
	}
	if n := len(h.replicaSets()); n != 2 {
		t.Errorf("resumed deployment has %d replica sets, want 2", n)
	}
}

// TestRollbackByTemplate does what kubectl rollout undo does in v1.37: it
// patches the template back to an old ReplicaSet's. The controller reuses
// that ReplicaSet and gives it the next revision.
func TestRollbackByTemplate(t *testing.T) {
	d := newDeployment("web", 2, intstr.FromInt32(1), intstr.FromInt32(0))
	h := newHarness(t, d)
	h.sync("web")
	h.settle()
	for _, img := range []string{"img:2"} {
		d = h.deployment("web")
		setImage(d, img)
		h.update(d)
		for range 6 {
			h.sync("web")
			h.settle()
		}
	}
	rss := h.replicaSets()
	if len(rss) != 2 || rss[0].Annotations["deployment.kubernetes.io/revision"] != "1" || rss[1].Annotations["deployment.kubernetes.io/revision"] != "2" {
		t.Fatalf("revisions = %v", revisions(rss))
	}

	d = h.deployment("web")
	d.Spec.Template = *rss[0].Spec.Template.DeepCopy()
	delete(d.Spec.Template.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	h.update(d)
	for range 6 {
		h.sync("web")
		h.settle()
	}
	rss = h.replicaSets()
	if len(rss) != 2 {
		t.Fatalf("rollback created a replica set: %d", len(rss))
	}
	if got := revisions(rss); !slices.Equal(got, []string{"3", "2"}) {
		t.Errorf("revisions = %v, want [3 2]", got)
	}
	if got := rss[0].Annotations["deployment.kubernetes.io/revision-history"]; got != "1" {
		t.Errorf("revision-history = %q, want 1", got)
	}
	if c := h.replicaCounts(); !slices.Equal(c, []int32{2, 0}) {
		t.Errorf("replicas = %v, want [2 0]", c)
	}
	if got := h.deployment("web").Annotations["deployment.kubernetes.io/revision"]; got != "3" {
		t.Errorf("deployment revision = %q, want 3", got)
	}
}

func revisions(rss []appsv1.ReplicaSet) []string {
	var out []string
	for _, rs := range rss {
		out = append(out, rs.Annotations["deployment.kubernetes.io/revision"])
	}
	return out
}

func TestRevisionHistoryCleanup(t *testing.T) {
	d := newDeployment("web", 1, intstr.FromInt32(1), intstr.FromInt32(0))
	d.Spec.RevisionHistoryLimit = ptr.To[int32](1)
	h := newHarness(t, d)
	for i := range 4 {
		d = h.deployment("web")
		setImage(d, fmt.Sprintf("img:%d", i+1))
		h.update(d)
		for range 4 {
			h.clock.Step(time.Second) // distinct creation times
			h.sync("web")
			h.settle()
		}
	}
	rss := h.replicaSets()
	if got := revisions(rss); !slices.Equal(got, []string{"3", "4"}) {
		t.Errorf("kept revisions %v, want [3 4] (limit 1 plus the current)", got)
	}
}

func TestProgressDeadlineExceeded(t *testing.T) {
	d := newDeployment("web", 1, intstr.FromInt32(1), intstr.FromInt32(0))
	d.Spec.ProgressDeadlineSeconds = ptr.To[int32](10)
	h := newHarness(t, d)
	h.sync("web")
	rs := h.replicaSets()[0]
	// The stuck deployment is requeued for when its deadline passes.
	h.clock.Step(11 * time.Second)
	h.sync("web")
	got := h.deployment("web")
	c := condition(got, appsv1.DeploymentProgressing)
	if c == nil || c.Status != corev1.ConditionFalse || c.Reason != "ProgressDeadlineExceeded" ||
		c.Message != fmt.Sprintf("ReplicaSet %q has timed out progressing.", rs.Name) {
		t.Errorf("Progressing = %+v", c)
	}
}

func TestProportionalScaling(t *testing.T) {
	d := newDeployment("web", 10, intstr.FromInt32(3), intstr.FromInt32(2))
	h := newHarness(t, d)
	h.sync("web")
	h.settle()
	d = h.deployment("web")
	setImage(d, "img:2")
	h.update(d)
	h.sync("web") // mid-rollout: new 3 (surge), old 8 (2 unavailable allowed)
	before := h.replicaCounts()
	if !slices.Equal(before, []int32{8, 3}) {
		t.Fatalf("mid-rollout replicas = %v, want [8 3]", before)
	}
	d = h.deployment("web")
	d.Spec.Replicas = ptr.To[int32](20)
	h.update(d)
	h.sync("web")
	after := h.replicaCounts()
	// 20+3 allowed, 11 present: the 12 new replicas are spread by size.
	if after[0]+after[1] != 23 || after[0] <= before[0] || after[1] <= before[1] {
		t.Errorf("replicas after scaling to 20 = %v, want 23 spread over both", after)
	}
	if got := h.rec.Find("ScalingReplicaSet"); len(got) < 2 {
		t.Errorf("ScalingReplicaSet events = %v", got)
	}
}

func TestComputeHashCollisionCount(t *testing.T) {
	d := newDeployment("web", 1, intstr.FromInt32(1), intstr.FromInt32(0))
	a := controllerutil.ComputeHash(&d.Spec.Template, nil)
	b := controllerutil.ComputeHash(&d.Spec.Template, ptr.To[int32](1))
	if a == b || a != controllerutil.ComputeHash(d.Spec.Template.DeepCopy(), nil) {
		t.Errorf("hash %q / %q: must be stable and change with collisionCount", a, b)
	}
}
