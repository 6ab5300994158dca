package batch

import (
	"context"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/utils/ptr"
)

func job() *batchv1.Job {
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "pi", Namespace: "default", UID: "u1"},
		Spec: batchv1.JobSpec{
			ManualSelector: ptr.To(false),
			Template:       corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "pi"}}},
		},
		Status: batchv1.JobStatus{Active: 3},
	}
}

func TestPrepareForCreateGeneratesSelector(t *testing.T) {
	j := job()
	j.Spec.Scheduling = &batchv1.JobSchedulingConfiguration{}
	JobStrategy.PrepareForCreate(context.Background(), j)
	want := map[string]string{"app": "pi", "job-name": "pi", "batch.kubernetes.io/job-name": "pi", "controller-uid": "u1", "batch.kubernetes.io/controller-uid": "u1"}
	if len(j.Spec.Template.Labels) != len(want) {
		t.Fatalf("template labels %v, want %v", j.Spec.Template.Labels, want)
	}
	for k, v := range want {
		if j.Spec.Template.Labels[k] != v {
			t.Fatalf("template labels %v, want %v", j.Spec.Template.Labels, want)
		}
	}
	if m := j.Spec.Selector.MatchLabels; len(m) != 1 || m["batch.kubernetes.io/controller-uid"] != "u1" {
		t.Fatalf("selector %v", j.Spec.Selector)
	}
	if j.Status.Active != 0 || j.Generation != 1 || j.Spec.Scheduling != nil {
		t.Fatalf("status %+v, generation %d, scheduling %v", j.Status, j.Generation, j.Spec.Scheduling)
	}

	// User labels win; validation then rejects a conflict.
	j = job()
	j.Spec.Template.Labels["job-name"] = "mine"
	generateSelector(j)
	if j.Spec.Template.Labels["job-name"] != "mine" || j.Spec.Template.Labels["batch.kubernetes.io/job-name"] != "pi" {
		t.Fatalf("labels %v", j.Spec.Template.Labels)
	}

	// Manual selectors are left alone.
	j = job()
	j.Spec.ManualSelector = ptr.To(true)
	JobStrategy.PrepareForCreate(context.Background(), j)
	if j.Spec.Selector != nil || len(j.Spec.Template.Labels) != 1 {
		t.Fatalf("manual selector job got %v / %v", j.Spec.Selector, j.Spec.Template.Labels)
	}
}

func TestValidationOptionsForJob(t *testing.T) {
	old := job()
	generateSelector(old)
	if opts := validationOptionsForJob(old, old); !opts.RequirePrefixedLabels || opts.AllowMutablePodResources {
		t.Fatalf("running job: %+v", opts)
	}
	legacy := old.DeepCopy()
	delete(legacy.Spec.Template.Labels, batchv1.JobNameLabel)
	if opts := validationOptionsForJob(legacy, legacy); opts.RequirePrefixedLabels {
		t.Fatal("a job from before the prefixed labels must stay updatable")
	}
	suspended := old.DeepCopy()
	suspended.Spec.Suspend = ptr.To(true)
	suspended.Status.Active = 0
	if opts := validationOptionsForJob(suspended, suspended); !opts.AllowMutablePodResources || !opts.AllowMutableSchedulingDirectives {
		t.Fatalf("suspended job that never started: %+v", opts)
	}
}

func TestStatusValidationOptions(t *testing.T) {
	old := job()
	j := old.DeepCopy()
	opts := statusValidationOptions(j, old)
	if opts.RejectFinishedJobWithActivePods || !opts.RejectDecreasingSucceededCounter || !opts.RejectMutatingCompletionTime {
		t.Fatalf("unchanged status: %+v", opts)
	}
	j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}}
	opts = statusValidationOptions(j, old)
	if !opts.RejectFinishedJobWithActivePods || !opts.RejectCompleteJobWithoutCompletionTime {
		t.Fatalf("job turning complete: %+v", opts)
	}
	// Indexed jobs with completions == parallelism may be scaled down.
	j = old.DeepCopy()
	j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
	j.Spec.Completions, j.Spec.Parallelism = ptr.To[int32](2), ptr.To[int32](2)
	if statusValidationOptions(j, old).RejectDecreasingSucceededCounter {
		t.Fatal("elastic indexed job may not lower succeeded")
	}
}

func TestJobGarbageCollectionPolicy(t *testing.T) {
	s := jobDeleteStrategy{JobStrategy.Adapt()}
	ctx := genericapirequest.WithRequestInfo(context.Background(), &genericapirequest.RequestInfo{APIGroup: "batch", APIVersion: "v1"})
	if p := s.DefaultGarbageCollectionPolicy(ctx); p != rest.OrphanDependents {
		t.Fatalf("batch/v1 policy %s, want OrphanDependents", p)
	}
	if p := s.DefaultGarbageCollectionPolicy(context.Background()); p != rest.DeleteDependents {
		t.Fatalf("policy without request info %s, want DeleteDependents", p)
	}
}
