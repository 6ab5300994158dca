package v1

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

func minimalTemplate() corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		RestartPolicy: corev1.RestartPolicyOnFailure,
		Containers:    []corev1.Container{{Name: "c", Image: "busybox:1.36"}},
	}}
}

func defaultedTemplate() corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		Containers: []corev1.Container{{
			Name:                     "c",
			Image:                    "busybox:1.36",
			ImagePullPolicy:          corev1.PullIfNotPresent,
			TerminationMessagePath:   "/dev/termination-log",
			TerminationMessagePolicy: corev1.TerminationMessageReadFile,
		}},
		RestartPolicy:                 corev1.RestartPolicyOnFailure,
		TerminationGracePeriodSeconds: ptr.To[int64](30),
		DNSPolicy:                     corev1.DNSClusterFirst,
		SecurityContext:               &corev1.PodSecurityContext{},
		SchedulerName:                 "default-scheduler",
	}}
}

func defaultedJobSpec() batchv1.JobSpec {
	return batchv1.JobSpec{
		Parallelism:          ptr.To[int32](1),
		Completions:          ptr.To[int32](1),
		BackoffLimit:         ptr.To[int32](6),
		ManualSelector:       ptr.To(false),
		Template:             defaultedTemplate(),
		CompletionMode:       ptr.To(batchv1.NonIndexedCompletion),
		Suspend:              ptr.To(false),
		PodReplacementPolicy: ptr.To(batchv1.TerminatingOrFailed),
	}
}

func TestDefaults(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := RegisterDefaults(scheme); err != nil {
		t.Fatal(err)
	}
	job := func(mutate func(*batchv1.Job)) *batchv1.Job {
		j := &batchv1.Job{Spec: batchv1.JobSpec{Template: minimalTemplate()}}
		mutate(j)
		return j
	}
	wantJob := func(mutate func(*batchv1.Job)) *batchv1.Job {
		j := &batchv1.Job{Spec: defaultedJobSpec()}
		mutate(j)
		return j
	}
	none := func(*batchv1.Job) {}

	for _, tc := range []struct {
		name string
		in   runtime.Object
		want runtime.Object
	}{{
		name: "minimal job",
		in:   job(none),
		want: wantJob(none),
	}, {
		name: "only completions set: parallelism 1, completions kept",
		in:   job(func(j *batchv1.Job) { j.Spec.Completions = ptr.To[int32](5) }),
		want: wantJob(func(j *batchv1.Job) { j.Spec.Completions = ptr.To[int32](5) }),
	}, {
		name: "only parallelism set: completions stay unset",
		in:   job(func(j *batchv1.Job) { j.Spec.Parallelism = ptr.To[int32](3) }),
		want: wantJob(func(j *batchv1.Job) { j.Spec.Parallelism = ptr.To[int32](3); j.Spec.Completions = nil }),
	}, {
		name: "backoffLimitPerIndex makes backoffLimit MaxInt32",
		in: job(func(j *batchv1.Job) {
			j.Spec.BackoffLimitPerIndex = ptr.To[int32](2)
			j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
		}),
		want: wantJob(func(j *batchv1.Job) {
			j.Spec.BackoffLimitPerIndex = ptr.To[int32](2)
			j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
			j.Spec.BackoffLimit = ptr.To[int32](math.MaxInt32)
		}),
	}, {
		name: "podFailurePolicy: replacement policy Failed, condition status True",
		in: job(func(j *batchv1.Job) {
			j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
				Action:          batchv1.PodFailurePolicyActionIgnore,
				OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget}},
			}}}
		}),
		want: wantJob(func(j *batchv1.Job) {
			j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
				Action:          batchv1.PodFailurePolicyActionIgnore,
				OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}},
			}}}
			j.Spec.PodReplacementPolicy = ptr.To(batchv1.Failed)
		}),
	}, {
		name: "job labels come from the template",
		in:   job(func(j *batchv1.Job) { j.Spec.Template.Labels = map[string]string{"a": "b"} }),
		want: wantJob(func(j *batchv1.Job) {
			j.Spec.Template.Labels = map[string]string{"a": "b"}
			j.ObjectMeta = metav1.ObjectMeta{Labels: map[string]string{"a": "b"}}
		}),
	}, {
		name: "explicit values kept",
		in: job(func(j *batchv1.Job) {
			j.Spec.BackoffLimit = ptr.To[int32](0)
			j.Spec.Suspend = ptr.To(true)
			j.Spec.ManualSelector = ptr.To(true)
			j.Spec.PodReplacementPolicy = ptr.To(batchv1.Failed)
		}),
		want: wantJob(func(j *batchv1.Job) {
			j.Spec.BackoffLimit = ptr.To[int32](0)
			j.Spec.Suspend = ptr.To(true)
			j.Spec.ManualSelector = ptr.To(true)
			j.Spec.PodReplacementPolicy = ptr.To(batchv1.Failed)
		}),
	}, {
		name: "job list",
		in:   &batchv1.JobList{Items: []batchv1.Job{*job(none)}},
		want: &batchv1.JobList{Items: []batchv1.Job{*wantJob(none)}},
	}, {
		name: "minimal cronjob: job template spec is not job-defaulted",
		in: &batchv1.CronJobList{Items: []batchv1.CronJob{{Spec: batchv1.CronJobSpec{
			Schedule:    "* * * * *",
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: minimalTemplate()}},
		}}}},
		want: &batchv1.CronJobList{Items: []batchv1.CronJob{{Spec: batchv1.CronJobSpec{
			Schedule:                   "* * * * *",
			ConcurrencyPolicy:          batchv1.AllowConcurrent,
			Suspend:                    ptr.To(false),
			SuccessfulJobsHistoryLimit: ptr.To[int32](3),
			FailedJobsHistoryLimit:     ptr.To[int32](1),
			JobTemplate:                batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: defaultedTemplate()}},
		}}}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.DeepCopyObject()
			scheme.Default(got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("unexpected defaulting result (-want +got):\n%s", diff)
			}
		})
	}
}
