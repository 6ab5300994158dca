package job

import (
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"
)

func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{ConcurrentJobSyncs: -1}, "--concurrent-job-syncs"},
		{Config{PodFailureBackOff: -time.Second}, "must not be negative"},
		{Config{PodFailureBackOff: time.Minute, MaxPodFailureBackOff: time.Second}, "MaxPodFailureBackOff"},
	} {
		if err := tc.cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want an error with %q", tc.cfg, err, tc.want)
		}
	}
	d := DefaultConfig()
	if d.ConcurrentJobSyncs != 5 || d.PodFailureBackOff != 10*time.Second || d.MaxPodFailureBackOff != 10*time.Minute || d.SyncJobBatchPeriod != time.Second || d.Clock == nil {
		t.Errorf("DefaultConfig() = %+v", d)
	}
	if ControllerName != "job-controller" || ClientName != "job-controller" {
		t.Errorf("names = %q, %q", ControllerName, ClientName)
	}
}

func TestCompletionsAndParallelism(t *testing.T) {
	j := newJob("pi", 3, 2)
	h := newHarness(t, Config{}, j)
	h.sync("pi")

	pods := h.activePods()
	if len(pods) != 2 {
		t.Fatalf("created %d pods, want parallelism 2", len(pods))
	}
	for _, p := range pods {
		if !strings.HasPrefix(p.Name, "pi-") || p.Labels[batchv1.JobNameLabel] != "pi" || p.Labels[batchv1.ControllerUidLabel] != string(j.UID) {
			t.Errorf("pod %s labels = %v", p.Name, p.Labels)
		}
		if !slices.Contains(p.Finalizers, batchv1.JobTrackingFinalizer) {
			t.Errorf("pod %s has no %s finalizer: %v", p.Name, batchv1.JobTrackingFinalizer, p.Finalizers)
		}
		if !metav1.IsControlledBy(&p, j) {
			t.Errorf("pod %s is not controlled by the job", p.Name)
		}
		if !h.rec.Has("SuccessfulCreate", "Created pod: "+p.Name) {
			t.Errorf("no SuccessfulCreate event for %s", p.Name)
		}
	}
	got := h.job("pi")
	if got.Status.Active != 2 || got.Status.StartTime == nil || !got.Status.StartTime.Time.Equal(t0) {
		t.Errorf("status = %+v, want 2 active and startTime %v", got.Status, t0)
	}

	// Both succeed: they are counted through uncountedTerminatedPods, their
	// finalizers are removed, and one more pod is created for the third
	// completion.
	for _, p := range pods {
		h.finish(p, corev1.PodSucceeded, 0)
	}
	h.sync("pi")
	got = h.job("pi")
	if got.Status.Succeeded != 2 || len(got.Status.UncountedTerminatedPods.Succeeded) != 0 {
		t.Errorf("status = %+v, want 2 succeeded, none uncounted", got.Status)
	}
	for _, p := range h.listPods() {
		if p.Status.Phase == corev1.PodSucceeded && slices.Contains(p.Finalizers, batchv1.JobTrackingFinalizer) {
			t.Errorf("finalizer still on succeeded pod %s", p.Name)
		}
	}
	if uncountedWrites(h) == 0 {
		t.Error("the succeeded pods were never written to status.uncountedTerminatedPods before their finalizers were removed")
	}
	h.clock.Step(time.Second)
	h.sync("pi")
	pods = h.activePods()
	if len(pods) != 1 {
		t.Fatalf("%d active pods, want 1 for the last completion", len(pods))
	}

	h.clock.Step(time.Minute)
	h.finish(pods[0], corev1.PodSucceeded, 0)
	h.sync("pi")
	h.sync("pi")
	got = h.job("pi")
	if !slices.Equal(conditionTypes(got), []string{"SuccessCriteriaMet", "Complete"}) {
		t.Errorf("conditions = %v, want [SuccessCriteriaMet Complete] in that order", conditionTypes(got))
	}
	if c := findCondition(got, batchv1.JobSuccessCriteriaMet); c == nil || c.Reason != batchv1.JobReasonCompletionsReached {
		t.Errorf("SuccessCriteriaMet = %+v", c)
	}
	if got.Status.Succeeded != 3 || got.Status.Active != 0 || got.Status.CompletionTime == nil || !got.Status.CompletionTime.Time.Equal(t0.Add(time.Minute+time.Second)) {
		t.Errorf("status = %+v, want 3 succeeded and completionTime", got.Status)
	}
	if !h.rec.Has("Completed", "Job completed") {
		t.Errorf("no Completed event:\n%s", h.rec.Dump())
	}
	if ptr.Deref(got.Status.Terminating, -1) != 0 || got.Status.Ready == nil {
		t.Errorf("terminating/ready not written: %+v", got.Status)
	}
}

// uncountedWrites counts the job status updates that listed pods in
// uncountedTerminatedPods.
func uncountedWrites(h *harness) int {
	n := 0
	for _, a := range h.client.Actions() {
		if a.GetVerb() != "update" || a.GetSubresource() != "status" || a.GetResource().Resource != "jobs" {
			continue
		}
		j := a.(k8stesting.UpdateAction).GetObject().(*batchv1.Job)
		if u := j.Status.UncountedTerminatedPods; u != nil && len(u.Succeeded)+len(u.Failed) > 0 {
			n++
		}
	}
	return n
}

func TestBackoffLimitExceeded(t *testing.T) {
	j := newJob("flaky", 1, 1)
	j.Spec.BackoffLimit = ptr.To[int32](1)
	h := newHarness(t, Config{PodFailureBackOff: 10 * time.Second}, j)
	h.sync("flaky")
	h.finish(h.activePods()[0], corev1.PodFailed, 1)
	h.sync("flaky")
	if got := h.job("flaky"); got.Status.Failed != 1 {
		t.Fatalf("failed = %d, want 1", got.Status.Failed)
	}
	// The replacement waits for the backoff: 10 s after the failure.
	h.sync("flaky")
	if n := len(h.activePods()); n != 0 {
		t.Fatalf("replacement created before the backoff: %d active", n)
	}
	h.clock.Step(11 * time.Second)
	h.sync("flaky")
	if n := len(h.activePods()); n != 1 {
		t.Fatalf("%d active pods after the backoff, want 1", n)
	}
	h.finish(h.activePods()[0], corev1.PodFailed, 1)
	h.sync("flaky")
	h.sync("flaky")
	got := h.job("flaky")
	if !slices.Equal(conditionTypes(got), []string{"FailureTarget", "Failed"}) {
		t.Errorf("conditions = %v, want [FailureTarget Failed]", conditionTypes(got))
	}
	c := findCondition(got, batchv1.JobFailed)
	if c == nil || c.Reason != batchv1.JobReasonBackoffLimitExceeded || c.Message != "Job has reached the specified backoff limit" {
		t.Errorf("Failed condition = %+v", c)
	}
	if got.Status.Failed != 2 {
		t.Errorf("failed = %d, want 2", got.Status.Failed)
	}
	if !h.rec.Has("BackoffLimitExceeded", "Job has reached the specified backoff limit") {
		t.Errorf("no BackoffLimitExceeded event:\n%s", h.rec.Dump())
	}
}

func TestActiveDeadline(t *testing.T) {
	j := newJob("slow", 1, 2)
	j.Spec.Completions = nil
	j.Spec.ActiveDeadlineSeconds = ptr.To[int64](10)
	h := newHarness(t, Config{}, j)
	h.sync("slow")
	if n := len(h.activePods()); n != 2 {
		t.Fatalf("%d active pods, want 2", n)
	}
	h.clock.Step(11 * time.Second)
	h.sync("slow")
	// Deleted pods lose their finalizer and go away.
	h.reap()
	h.sync("slow")
	got := h.job("slow")
	c := findCondition(got, batchv1.JobFailed)
	if c == nil || c.Reason != batchv1.JobReasonDeadlineExceeded || c.Message != "Job was active longer than specified deadline" {
		t.Errorf("Failed condition = %+v (conditions %v)", c, conditionTypes(got))
	}
	if ft := findCondition(got, batchv1.JobFailureTarget); ft == nil || ft.Reason != batchv1.JobReasonDeadlineExceeded {
		t.Errorf("FailureTarget = %+v", ft)
	}
	if len(h.activePods()) != 0 || got.Status.Active != 0 {
		t.Errorf("pods still active after the deadline: %d (status %d)", len(h.activePods()), got.Status.Active)
	}
	if !h.rec.Has("DeadlineExceeded", "Job was active longer than specified deadline") {
		t.Errorf("no DeadlineExceeded event:\n%s", h.rec.Dump())
	}
	if n := len(h.rec.Find("SuccessfulDelete")); n != 2 {
		t.Errorf("SuccessfulDelete events = %d, want 2", n)
	}
}

func TestPodFailurePolicy(t *testing.T) {
	for _, tc := range []struct {
		name       string
		rule       batchv1.PodFailurePolicyRule
		exitCode   int32
		disruption bool
		wantFailed int32
		wantReason string
	}{{
		name:       "FailJob on exit code",
		rule:       batchv1.PodFailurePolicyRule{Action: batchv1.PodFailurePolicyActionFailJob, OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{42}}},
		exitCode:   42,
		wantFailed: 1,
		wantReason: batchv1.JobReasonPodFailurePolicy,
	}, {
		name:       "Ignore disruption",
		rule:       batchv1.PodFailurePolicyRule{Action: batchv1.PodFailurePolicyActionIgnore, OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}}},
		exitCode:   137,
		disruption: true,
		wantFailed: 0,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			j := newJob("p", 1, 1)
			j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{tc.rule}}
			h := newHarness(t, Config{}, j)
			h.sync("p")
			pod := h.activePods()[0]
			if tc.disruption {
				pod.Status.Conditions = append(pod.Status.Conditions, corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: "DeletionByTaintManager"})
			}
			h.finish(pod, corev1.PodFailed, tc.exitCode)
			h.sync("p")
			h.sync("p")
			got := h.job("p")
			if got.Status.Failed != tc.wantFailed {
				t.Errorf("failed = %d, want %d", got.Status.Failed, tc.wantFailed)
			}
			c := findCondition(got, batchv1.JobFailed)
			switch {
			case tc.wantReason == "" && c != nil:
				t.Errorf("job failed: %+v", c)
			case tc.wantReason != "" && (c == nil || c.Reason != tc.wantReason || !strings.Contains(c.Message, "exit code 42")):
				t.Errorf("Failed condition = %+v, want reason %s", c, tc.wantReason)
			}
			if tc.wantReason == "" {
				h.clock.Step(11 * time.Second) // past the pod failure backoff
				h.sync("p")
				if n := len(h.activePods()); n != 1 {
					t.Errorf("an ignored failure was not replaced: %d active", n)
				}
			}
		})
	}
}

func TestIndexedJob(t *testing.T) {
	j := newJob("idx", 3, 3)
	j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
	h := newHarness(t, Config{}, j)
	h.sync("idx")
	var idx []string
	for _, p := range h.activePods() {
		i := p.Annotations[batchv1.JobCompletionIndexAnnotation]
		idx = append(idx, i)
		if !strings.HasPrefix(p.GenerateName, "idx-"+i+"-") || p.Labels[batchv1.JobCompletionIndexAnnotation] != i || p.Spec.Hostname != "idx-"+i {
			t.Errorf("pod %s: generateName %q, labels %v, hostname %q", p.Name, p.GenerateName, p.Labels, p.Spec.Hostname)
		}
	}
	slices.Sort(idx)
	if !slices.Equal(idx, []string{"0", "1", "2"}) {
		t.Fatalf("indexes = %v", idx)
	}
	for _, p := range h.activePods() {
		if p.Annotations[batchv1.JobCompletionIndexAnnotation] != "1" {
			h.finish(p, corev1.PodSucceeded, 0)
		}
	}
	h.sync("idx")
	if got := h.job("idx").Status.CompletedIndexes; got != "0,2" {
		t.Errorf("completedIndexes = %q, want 0,2", got)
	}
}

func TestOrphanPodFinalizerRemoved(t *testing.T) {
	j := newJob("gone", 1, 1)
	h := newHarness(t, Config{}, j)
	h.sync("gone")
	pod := h.activePods()[0]
	if err := h.client.BatchV1().Jobs("ns").Delete(h.ctx, "gone", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	_ = h.jobs.Delete(j)
	h.jm.deleteJob(h.logger, j)
	if err := h.jm.syncOrphanPod(h.ctx, orphanPodKey{kind: OrphanPodKeyKindName, namespace: "ns", value: pod.Name}); err != nil {
		t.Fatal(err)
	}
	got, err := h.client.CoreV1().Pods("ns").Get(h.ctx, pod.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(got.Finalizers, batchv1.JobTrackingFinalizer) {
		t.Error("the tracking finalizer stayed on the pod of a deleted job")
	}
}
