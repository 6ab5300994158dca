package validation

import (
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/k1s-dev/k1s/apiserver/scheme"
)

const uid = "8f7c1a2e-0000-4000-8000-000000000001"

// validJob is a defaulted job whose selector and labels were generated, as the job
// strategy leaves it before validation.
func validJob() *batchv1.Job {
	j := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "pi", Namespace: "default", UID: uid},
		Spec: batchv1.JobSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{batchv1.ControllerUidLabel: uid}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{
					batchv1.ControllerUidLabel: uid, LegacyControllerUidLabel: uid,
					batchv1.JobNameLabel: "pi", LegacyJobNameLabel: "pi",
				}},
				Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{Name: "pi", Image: "perl"}}},
			},
		},
	}
	scheme.Scheme.Default(j)
	return j
}

func fields(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, string(e.Type)+" "+e.Field)
	}
	return out
}

func wantErrors(t *testing.T, errs field.ErrorList, want ...string) {
	t.Helper()
	got := fields(errs)
	if len(got) != len(want) {
		t.Fatalf("errors %q, want %q\n%v", got, want, errs)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("errors %q, want %q", got, want)
		}
	}
}

func TestValidateJobCreate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*batchv1.Job)
		opts   JobValidationOptions
		want   []string
	}{
		{name: "valid", mutate: func(*batchv1.Job) {}, opts: JobValidationOptions{RequirePrefixedLabels: true}},
		{name: "restart policy Always", mutate: func(j *batchv1.Job) { j.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyAlways },
			want: []string{"FieldValueRequired spec.template.spec.restartPolicy"}},
		{name: "negative counts", mutate: func(j *batchv1.Job) {
			j.Spec.Parallelism = ptr.To[int32](-1)
			j.Spec.Completions = ptr.To[int32](-1)
			j.Spec.ActiveDeadlineSeconds = ptr.To[int64](-1)
			j.Spec.BackoffLimit = ptr.To[int32](-1)
			j.Spec.TTLSecondsAfterFinished = ptr.To[int32](-1)
		}, want: []string{
			"FieldValueInvalid spec.parallelism", "FieldValueInvalid spec.completions", "FieldValueInvalid spec.activeDeadlineSeconds",
			"FieldValueInvalid spec.backoffLimit", "FieldValueInvalid spec.ttlSecondsAfterFinished",
		}},
		{name: "missing generated legacy label", mutate: func(j *batchv1.Job) { delete(j.Spec.Template.Labels, LegacyJobNameLabel) },
			want: []string{"FieldValueRequired spec.template.metadata.labels[job-name]"}},
		{name: "missing prefixed label when required", mutate: func(j *batchv1.Job) { delete(j.Spec.Template.Labels, batchv1.JobNameLabel) },
			opts: JobValidationOptions{RequirePrefixedLabels: true},
			want: []string{"FieldValueRequired spec.template.metadata.labels[batch.kubernetes.io/job-name]"}},
		{name: "wrong uid label", mutate: func(j *batchv1.Job) {
			j.Spec.Template.Labels[LegacyControllerUidLabel] = "other"
		}, want: []string{"FieldValueInvalid spec.template.metadata.labels[controller-uid]"}},
		{name: "user selector without manualSelector", mutate: func(j *batchv1.Job) {
			j.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"run": "pi"}}
			j.Spec.Template.Labels["run"] = "pi"
		}, want: []string{"FieldValueInvalid spec.selector"}},
		{name: "manual selector", mutate: func(j *batchv1.Job) {
			j.Spec.ManualSelector = ptr.To(true)
			j.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"run": "pi"}}
			j.Spec.Template.Labels = map[string]string{"run": "pi"}
		}},
		{name: "manual selector missing", mutate: func(j *batchv1.Job) {
			j.Spec.ManualSelector = ptr.To(true)
			j.Spec.Selector = nil
		}, want: []string{"FieldValueRequired spec.selector", "FieldValueInvalid spec.template.metadata.labels"}},
		{name: "indexed without completions", mutate: func(j *batchv1.Job) {
			j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
			j.Spec.Completions = nil
		}, want: []string{"FieldValueRequired spec.completions"}},
		{name: "indexed name too long for pod hostnames", mutate: func(j *batchv1.Job) {
			j.Name = "a123456789a123456789a123456789a123456789a123456789a123456789ab"
			j.Spec.Template.Labels[LegacyJobNameLabel] = j.Name
			j.Spec.Template.Labels[batchv1.JobNameLabel] = j.Name
			j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
			j.Spec.Completions = ptr.To[int32](10)
		}, want: []string{"FieldValueInvalid metadata.name"}},
		{name: "backoffLimitPerIndex needs indexed", mutate: func(j *batchv1.Job) { j.Spec.BackoffLimitPerIndex = ptr.To[int32](1) },
			want: []string{"FieldValueInvalid spec.backoffLimitPerIndex"}},
		{name: "maxFailedIndexes without backoffLimitPerIndex", mutate: func(j *batchv1.Job) {
			j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
			j.Spec.MaxFailedIndexes = ptr.To[int32](1)
		}, want: []string{"FieldValueRequired spec.backoffLimitPerIndex"}},
		{name: "pod failure policy rule without requirement", mutate: func(j *batchv1.Job) {
			j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{Action: batchv1.PodFailurePolicyActionIgnore}}}
			j.Spec.PodReplacementPolicy = ptr.To(batchv1.Failed)
		}, want: []string{"FieldValueInvalid spec.podFailurePolicy.rules[0]"}},
		{name: "exit codes unordered, with 0 for In", mutate: func(j *batchv1.Job) {
			j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
				Action:      batchv1.PodFailurePolicyActionFailJob,
				OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{2, 0}},
			}}}
			j.Spec.PodReplacementPolicy = ptr.To(batchv1.Failed)
		}, want: []string{"FieldValueInvalid spec.podFailurePolicy.rules[0].onExitCodes.values[1]", "FieldValueInvalid spec.podFailurePolicy.rules[0].onExitCodes.values"}},
		{name: "pod failure policy needs Never", mutate: func(j *batchv1.Job) {
			j.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
			j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
				Action: batchv1.PodFailurePolicyActionIgnore, OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}},
			}}}
			j.Spec.PodReplacementPolicy = ptr.To(batchv1.Failed)
		}, want: []string{"FieldValueInvalid spec.template.spec.restartPolicy"}},
		{name: "pod replacement TerminatingOrFailed with a failure policy", mutate: func(j *batchv1.Job) {
			j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
				Action: batchv1.PodFailurePolicyActionIgnore, OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}},
			}}}
		}, want: []string{"FieldValueNotSupported spec.podReplacementPolicy"}},
		{name: "success policy needs indexed", mutate: func(j *batchv1.Job) {
			j.Spec.SuccessPolicy = &batchv1.SuccessPolicy{Rules: []batchv1.SuccessPolicyRule{{SucceededCount: ptr.To[int32](1)}}}
		}, want: []string{"FieldValueInvalid spec.successPolicy"}},
		{name: "managedBy not a domain-prefixed path", mutate: func(j *batchv1.Job) { j.Spec.ManagedBy = ptr.To("kueue") },
			want: []string{"FieldValueInvalid spec.managedBy"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := validJob()
			tc.mutate(j)
			// Always on create: the strategy requires the prefixed labels of new jobs.
			opts := tc.opts
			opts.RequirePrefixedLabels = true
			wantErrors(t, ValidateJobCreate(j, opts), tc.want...)
		})
	}
}

func TestValidateJobUpdate(t *testing.T) {
	old := validJob()
	old.ResourceVersion = "1"
	for _, tc := range []struct {
		name   string
		old    func(*batchv1.Job)
		mutate func(*batchv1.Job)
		opts   JobValidationOptions
		want   []string
	}{
		{name: "parallelism is mutable", mutate: func(j *batchv1.Job) { j.Spec.Parallelism = ptr.To[int32](3) }},
		{name: "completions of a non-indexed job are immutable", mutate: func(j *batchv1.Job) { j.Spec.Completions = ptr.To[int32](3) },
			want: []string{"FieldValueInvalid spec.completions"}},
		{name: "indexed completions change with parallelism", old: func(j *batchv1.Job) {
			j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
		}, mutate: func(j *batchv1.Job) {
			j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
			j.Spec.Completions = ptr.To[int32](4)
			j.Spec.Parallelism = ptr.To[int32](4)
		}},
		{name: "indexed completions alone", old: func(j *batchv1.Job) {
			j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
		}, mutate: func(j *batchv1.Job) {
			j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
			j.Spec.Completions = ptr.To[int32](4)
		}, want: []string{"FieldValueInvalid spec.completions"}},
		{name: "template of a running job", mutate: func(j *batchv1.Job) { j.Spec.Template.Spec.Containers[0].Image = "python" },
			want: []string{"FieldValueInvalid spec.template"}},
		{name: "scheduling directives of a suspended job", old: func(j *batchv1.Job) { j.Spec.Suspend = ptr.To(true) },
			mutate: func(j *batchv1.Job) {
				j.Spec.Suspend = ptr.To(true)
				j.Spec.Template.Spec.NodeSelector = map[string]string{"zone": "a"}
			},
			opts: JobValidationOptions{AllowMutableSchedulingDirectives: true}},
		{name: "resources of a suspended job", old: func(j *batchv1.Job) { j.Spec.Suspend = ptr.To(true) },
			mutate: func(j *batchv1.Job) {
				j.Spec.Suspend = ptr.To(true)
				j.Spec.Template.Spec.Containers[0].Image = "python"
			},
			opts: JobValidationOptions{AllowMutablePodResources: true},
			want: []string{"FieldValueInvalid spec.template.spec"}},
		{name: "selector", mutate: func(j *batchv1.Job) { j.Spec.Selector.MatchLabels["x"] = "y" },
			want: []string{"FieldValueInvalid spec.template.metadata.labels", "FieldValueInvalid spec.selector"}},
		{name: "completion mode", mutate: func(j *batchv1.Job) {
			j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
		}, want: []string{"FieldValueInvalid spec.completionMode"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := old.DeepCopy()
			if tc.old != nil {
				tc.old(o)
			}
			j := o.DeepCopy()
			tc.mutate(j)
			wantErrors(t, ValidateJobUpdate(j, o, tc.opts), tc.want...)
		})
	}
}

func TestValidateJobStatusUpdate(t *testing.T) {
	start := metav1.NewTime(time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC))
	end := metav1.NewTime(start.Add(time.Minute))
	all := JobStatusValidationOptions{
		RejectDecreasingSucceededCounter: true, RejectDecreasingFailedCounter: true, RejectDisablingTerminalCondition: true,
		RejectFailedJobWithoutFailureTarget: true, RejectCompleteJobWithoutSuccessCriteriaMet: true, RejectFinishedJobWithActivePods: true,
		RejectFinishedJobWithoutStartTime: true, RejectCompletionTimeBeforeStartTime: true, RejectCompleteJobWithoutCompletionTime: true,
		RejectNotCompleteJobWithCompletionTime: true, RejectMoreReadyThanActivePods: true, RejectCompletedIndexesForNonIndexedJob: true,
	}
	cond := func(t batchv1.JobConditionType) batchv1.JobCondition {
		return batchv1.JobCondition{Type: t, Status: corev1.ConditionTrue}
	}
	for _, tc := range []struct {
		name      string
		oldStatus batchv1.JobStatus
		status    batchv1.JobStatus
		want      []string
	}{
		{name: "running", status: batchv1.JobStatus{StartTime: &start, Active: 1, Ready: ptr.To[int32](1)}},
		{name: "complete", status: batchv1.JobStatus{StartTime: &start, CompletionTime: &end, Succeeded: 1,
			Conditions: []batchv1.JobCondition{cond(batchv1.JobSuccessCriteriaMet), cond(batchv1.JobComplete)}}},
		{name: "negative counters", status: batchv1.JobStatus{Active: -1, Failed: -1},
			want: []string{"FieldValueInvalid status.active", "FieldValueInvalid status.failed", "FieldValueInvalid status.failed"}},
		{name: "more ready than active", status: batchv1.JobStatus{Active: 1, Ready: ptr.To[int32](2)},
			want: []string{"FieldValueInvalid status.ready"}},
		{name: "complete without criteria, completion time and with active pods", status: batchv1.JobStatus{StartTime: &start, Active: 1,
			Conditions: []batchv1.JobCondition{cond(batchv1.JobComplete)}},
			want: []string{"FieldValueRequired status.completionTime", "FieldValueInvalid status.conditions", "FieldValueInvalid status.active"}},
		{name: "failed without failure target", status: batchv1.JobStatus{StartTime: &start, Conditions: []batchv1.JobCondition{cond(batchv1.JobFailed)}},
			want: []string{"FieldValueInvalid status.conditions"}},
		{name: "completion before start", status: batchv1.JobStatus{StartTime: &end, CompletionTime: &start, Succeeded: 1,
			Conditions: []batchv1.JobCondition{cond(batchv1.JobSuccessCriteriaMet), cond(batchv1.JobComplete)}},
			want: []string{"FieldValueInvalid status.completionTime"}},
		{name: "completed indexes on a non-indexed job", status: batchv1.JobStatus{CompletedIndexes: "0"},
			want: []string{"FieldValueInvalid status.completedIndexes"}},
		{name: "decreasing counters", oldStatus: batchv1.JobStatus{Succeeded: 2, Failed: 1}, status: batchv1.JobStatus{Succeeded: 1},
			want: []string{"FieldValueInvalid status.failed", "FieldValueInvalid status.succeeded"}},
		{name: "terminal condition removed",
			oldStatus: batchv1.JobStatus{StartTime: &start, Conditions: []batchv1.JobCondition{cond(batchv1.JobFailureTarget), cond(batchv1.JobFailed)}},
			status:    batchv1.JobStatus{StartTime: &start},
			want:      []string{"FieldValueInvalid status.conditions", "FieldValueInvalid status.conditions"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := validJob()
			old.ResourceVersion = "1"
			old.Status = tc.oldStatus
			j := old.DeepCopy()
			j.Status = tc.status
			wantErrors(t, ValidateJobUpdateStatus(j, old, all), tc.want...)
		})
	}
}

func TestIndexesFormat(t *testing.T) {
	for _, tc := range []struct {
		in    string
		total int32
		bad   bool
	}{
		{in: "", total: 0},
		{in: "0,2-4,7", total: 5},
		{in: "3-1", bad: true},
		{in: "1,1", bad: true},
		{in: "9", bad: true},
		{in: "a", bad: true},
	} {
		total, err := validateIndexesFormat(tc.in, 8)
		if (err != nil) != tc.bad || (!tc.bad && total != tc.total) {
			t.Errorf("validateIndexesFormat(%q) = %d, %v; want %d, error %v", tc.in, total, err, tc.total, tc.bad)
		}
	}
	if err := validateFailedIndexesNotOverlapCompleted("0-2,5", "3,5", 8); err == nil || err.Error() != "failedIndexes and completedIndexes overlap at index: 5" {
		t.Errorf("overlap: %v", err)
	}
}
