// Package batch holds the registry of batch/v1: jobs and their status. The rules are
// upstream's pkg/registry/batch/job. CronJobs are not served yet.
package batch

import (
	"context"
	"fmt"
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	batchvalidation "github.com/k1s-dev/k1s/apiserver/apis/batch/validation"
	corevalidation "github.com/k1s-dev/k1s/apiserver/apis/core/validation"
	"github.com/k1s-dev/k1s/apiserver/registry"
)

// NewStorage returns the storage of batch/v1.
func NewStorage(optsGetter generic.RESTOptionsGetter) (map[string]rest.Storage, error) {
	jobs, err := registry.NewStore(optsGetter, registry.StoreSpec[*batchv1.Job]{
		Resource:       batchv1.Resource("jobs"),
		Singular:       "job",
		Categories:     []string{"all"},
		New:            func() *batchv1.Job { return &batchv1.Job{} },
		NewList:        func() runtime.Object { return &batchv1.JobList{} },
		Strategy:       JobStrategy,
		DeleteStrategy: jobDeleteStrategy{JobStrategy.Adapt()},
		SelectableFields: func(job *batchv1.Job) fields.Set {
			return fields.Set{"status.successful": strconv.Itoa(int(job.Status.Succeeded))}
		},
	})
	if err != nil {
		return nil, err
	}
	return map[string]rest.Storage{
		"jobs":        jobs,
		"jobs/status": registry.NewStatusREST(jobs, JobStatusStrategy),
	}, nil
}

// jobDeleteStrategy gives jobs upstream's garbage collection default.
type jobDeleteStrategy struct {
	rest.RESTDeleteStrategy
}

var _ rest.GarbageCollectionDeleteStrategy = jobDeleteStrategy{}

// DefaultGarbageCollectionPolicy orphans a batch/v1 job's pods unless the delete asks
// otherwise, for backwards compatibility, as upstream does: kubectl asks for background
// propagation, a bare client-go Delete leaves the pods (and an orphan finalizer for the
// garbage collector).
func (jobDeleteStrategy) DefaultGarbageCollectionPolicy(ctx context.Context) rest.GarbageCollectionPolicy {
	var groupVersion schema.GroupVersion
	if requestInfo, found := genericapirequest.RequestInfoFrom(ctx); found {
		groupVersion = schema.GroupVersion{Group: requestInfo.APIGroup, Version: requestInfo.APIVersion}
	}
	if groupVersion == batchv1.SchemeGroupVersion {
		return rest.OrphanDependents
	}
	return rest.DeleteDependents
}

func resetFields(path string) map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{"batch/v1": fieldpath.NewSet(fieldpath.MakePathOrDie(path))}
}

// JobStrategy is upstream's job strategy.
var JobStrategy = &registry.Strategy[*batchv1.Job]{
	Namespaced: true,
	PrepareForCreate: func(_ context.Context, job *batchv1.Job) {
		generateSelectorIfNeeded(job)
		job.Status = batchv1.JobStatus{}
		job.Generation = 1
		dropDisabledFields(&job.Spec, nil)
	},
	PrepareForUpdate: func(_ context.Context, job, old *batchv1.Job) {
		job.Status = old.Status
		dropDisabledFields(&job.Spec, &old.Spec)
		if !apiequality.Semantic.DeepEqual(job.Spec, old.Spec) {
			job.Generation = old.Generation + 1
		}
	},
	Validate: func(_ context.Context, job *batchv1.Job) field.ErrorList {
		return batchvalidation.ValidateJobCreate(job, validationOptionsForJob(job, nil))
	},
	ValidateUpdate: func(_ context.Context, job, old *batchv1.Job) field.ErrorList {
		return batchvalidation.ValidateJobUpdate(job, old, validationOptionsForJob(job, old))
	},
	WarningsOnCreate: func(_ context.Context, job *batchv1.Job) []string {
		return warningsForJob(job, nil)
	},
	WarningsOnUpdate: func(_ context.Context, job, old *batchv1.Job) []string {
		if job.Generation != old.Generation {
			return warningsForJob(job, old)
		}
		return nil
	},
	AllowUnconditionalUpdate: true,
	ResetFields:              resetFields("status"),
}

// JobStatusStrategy is upstream's job status strategy, with the JobManagedBy (GA)
// transition rules.
var JobStatusStrategy = &registry.Strategy[*batchv1.Job]{
	Namespaced: true,
	PrepareForUpdate: func(_ context.Context, job, old *batchv1.Job) {
		job.Spec = old.Spec
	},
	ValidateUpdate: func(_ context.Context, job, old *batchv1.Job) field.ErrorList {
		return batchvalidation.ValidateJobUpdateStatus(job, old, statusValidationOptions(job, old))
	},
	AllowUnconditionalUpdate: true,
	ResetFields:              resetFields("spec"),
}

// dropDisabledFields drops spec.scheduling: its gate (WorkloadWithJob) is alpha and off
// in v1.37, and a field is kept only by objects that already use it.
func dropDisabledFields(spec, old *batchv1.JobSpec) {
	if old != nil && old.Scheduling != nil {
		return
	}
	spec.Scheduling = nil
}

// generateSelectorIfNeeded generates the selector and template labels unless the user
// asked to manage them (spec.manualSelector).
func generateSelectorIfNeeded(job *batchv1.Job) {
	if !ptr.Deref(job.Spec.ManualSelector, false) {
		generateSelector(job)
	}
}

// generateSelector adds a selector to a job and labels to its template which identify
// the pods created by that job: both the batch.kubernetes.io/ prefixed labels and the
// legacy unprefixed ones, as upstream v1.37 still writes both.
func generateSelector(job *batchv1.Job) {
	if job.Spec.Template.Labels == nil {
		job.Spec.Template.Labels = make(map[string]string)
	}
	// The job-name label is unique except in cases that are expected to be quite
	// uncommon, and is more user friendly than uid. A label the user set is kept; a
	// conflicting one is rejected by validation.
	for _, key := range []string{batchvalidation.LegacyJobNameLabel, batchv1.JobNameLabel} {
		if _, found := job.Spec.Template.Labels[key]; !found {
			job.Spec.Template.Labels[key] = job.Name
		}
	}
	// The controller-uid label makes the pods that belong to this job only match this job.
	for _, key := range []string{batchvalidation.LegacyControllerUidLabel, batchv1.ControllerUidLabel} {
		if _, found := job.Spec.Template.Labels[key]; !found {
			job.Spec.Template.Labels[key] = string(job.UID)
		}
	}
	// Select the controller-uid label. This is sufficient for uniqueness.
	if job.Spec.Selector == nil {
		job.Spec.Selector = &metav1.LabelSelector{}
	}
	if job.Spec.Selector.MatchLabels == nil {
		job.Spec.Selector.MatchLabels = make(map[string]string)
	}
	if _, found := job.Spec.Selector.MatchLabels[batchv1.ControllerUidLabel]; !found {
		job.Spec.Selector.MatchLabels[batchv1.ControllerUidLabel] = string(job.UID)
	}
	// A user-set matchLabel controller-uid=$WRONGUID fails validation, either because
	// the selector does not match the template or the template has the wrong labels.
}

// shouldAllowMutablePodTemplate reports whether the job's pod template may change: it
// is suspended with no active pods, and either never started or is marked Suspended.
func shouldAllowMutablePodTemplate(job *batchv1.Job) bool {
	suspended := ptr.Deref(job.Spec.Suspend, false)
	notStarted := job.Status.StartTime == nil
	hasSuspendedCondition := batchvalidation.IsConditionTrue(job.Status.Conditions, batchv1.JobSuspended)
	return suspended && (notStarted || hasSuspendedCondition) && job.Status.Active == 0
}

func validationOptionsForJob(job, old *batchv1.Job) batchvalidation.JobValidationOptions {
	var oldSpec *corev1.PodTemplateSpec
	if old != nil {
		oldSpec = &old.Spec.Template
	}
	opts := batchvalidation.JobValidationOptions{
		PodValidationOptions:  podValidationOptions(&job.Spec.Template, oldSpec),
		RequirePrefixedLabels: true,
	}
	if old != nil {
		opts.AllowInvalidLabelValueInSelector = opts.AllowInvalidLabelValueInSelector || metav1validation.LabelSelectorHasInvalidLabelValue(old.Spec.Selector)
		// MutablePodResourcesForSuspendedJobs and MutableSchedulingDirectivesForSuspendedJobs
		// are beta and on in v1.37: both follow shouldAllowMutablePodTemplate.
		allowMutablePodTemplate := shouldAllowMutablePodTemplate(old)
		opts.AllowMutablePodResources = allowMutablePodTemplate
		opts.AllowMutableSchedulingDirectives = allowMutablePodTemplate
		// Validation should not fail jobs created before the prefixed labels existed.
		_, hadJobName := old.Spec.Template.Labels[batchv1.JobNameLabel]
		_, hadControllerUID := old.Spec.Template.Labels[batchv1.ControllerUidLabel]
		opts.RequirePrefixedLabels = hadJobName && hadControllerUID
	}
	return opts
}

func podValidationOptions(template, old *corev1.PodTemplateSpec) corevalidation.PodValidationOptions {
	if old == nil {
		return corevalidation.GetValidationOptionsFromPodSpecAndMeta(&template.Spec, nil, &template.ObjectMeta, nil)
	}
	return corevalidation.GetValidationOptionsFromPodSpecAndMeta(&template.Spec, &old.Spec, &template.ObjectMeta, &old.ObjectMeta)
}

const (
	// Upstream's thresholds for the indexed-job tracking warning.
	completionsSoftLimit                        = 100_000
	parallelismSoftLimitForUnlimitedCompletions = 10_000
)

// warningsForJob returns upstream's name and indexed-job warnings. The pod template
// warnings upstream adds (deprecated annotations and fields) are not ported; the pod
// registry has none either.
func warningsForJob(job, old *batchv1.Job) []string {
	var warnings []string
	if old == nil {
		if msgs := utilvalidation.IsDNS1123Label(job.Name); len(msgs) != 0 {
			warnings = append(warnings, fmt.Sprintf("metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label is recommended: %v", msgs))
		}
	}
	if ptr.Deref(job.Spec.CompletionMode, batchv1.NonIndexedCompletion) == batchv1.IndexedCompletion {
		if ptr.Deref(job.Spec.Completions, 0) > completionsSoftLimit && ptr.Deref(job.Spec.Parallelism, 0) > parallelismSoftLimitForUnlimitedCompletions {
			warnings = append(warnings, "spec: In Indexed Jobs with a number of completions higher than 10^5 and a parallelism higher than 10^4, Kubernetes might not be able to track completedIndexes when a big number of indexes fail")
		}
	}
	return warnings
}

// statusValidationOptions are upstream's status rules with JobManagedBy on (GA in
// v1.37): most transitions are checked only when the fields they look at change, so an
// unrelated status write goes through while a bad transition is rejected.
func statusValidationOptions(job, old *batchv1.Job) batchvalidation.JobStatusValidationOptions {
	isIndexed := ptr.Deref(job.Spec.CompletionMode, batchv1.NonIndexedCompletion) == batchv1.IndexedCompletion
	isJobFinishedChanged := batchvalidation.IsJobFinished(old) != batchvalidation.IsJobFinished(job)
	isJobCompleteChanged := batchvalidation.IsJobComplete(old) != batchvalidation.IsJobComplete(job)
	isJobFailedChanged := batchvalidation.IsJobFailed(old) != batchvalidation.IsJobFailed(job)
	isJobFailureTargetChanged := batchvalidation.IsConditionTrue(old.Status.Conditions, batchv1.JobFailureTarget) != batchvalidation.IsConditionTrue(job.Status.Conditions, batchv1.JobFailureTarget)
	isJobSuccessCriteriaMetChanged := batchvalidation.IsConditionTrue(old.Status.Conditions, batchv1.JobSuccessCriteriaMet) != batchvalidation.IsConditionTrue(job.Status.Conditions, batchv1.JobSuccessCriteriaMet)
	isCompletedIndexesChanged := old.Status.CompletedIndexes != job.Status.CompletedIndexes
	isFailedIndexesChanged := !ptr.Equal(old.Status.FailedIndexes, job.Status.FailedIndexes)
	isActiveChanged := old.Status.Active != job.Status.Active
	isStartTimeChanged := !timeEqual(old.Status.StartTime, job.Status.StartTime)
	isCompletionTimeChanged := !timeEqual(old.Status.CompletionTime, job.Status.CompletionTime)
	isUncountedTerminatedPodsChanged := !apiequality.Semantic.DeepEqual(old.Status.UncountedTerminatedPods, job.Status.UncountedTerminatedPods)
	isReadyChanged := !ptr.Equal(old.Status.Ready, job.Status.Ready)
	isTerminatingChanged := !ptr.Equal(old.Status.Terminating, job.Status.Terminating)
	isSuspendedWithZeroCompletions := ptr.Equal(job.Spec.Suspend, ptr.To(true)) && ptr.Equal(job.Spec.Completions, ptr.To[int32](0))
	// A resume shows as JobSuspended True -> False: the controller may write status
	// after the user already set spec.suspend=false (kubernetes#134521).
	isJobResuming := batchvalidation.IsConditionTrue(old.Status.Conditions, batchv1.JobSuspended) &&
		batchvalidation.IsConditionFalse(job.Status.Conditions, batchv1.JobSuspended)

	return batchvalidation.JobStatusValidationOptions{
		// Indexed jobs with completions == parallelism may be scaled down, which lowers
		// the succeeded counter.
		RejectDecreasingSucceededCounter:             !isIndexed || !ptr.Equal(job.Spec.Completions, job.Spec.Parallelism),
		RejectDecreasingFailedCounter:                true,
		RejectDisablingTerminalCondition:             true,
		RejectInvalidCompletedIndexes:                isCompletedIndexesChanged,
		RejectInvalidFailedIndexes:                   isFailedIndexesChanged,
		RejectCompletedIndexesForNonIndexedJob:       isCompletedIndexesChanged,
		RejectFailedIndexesForNoBackoffLimitPerIndex: isFailedIndexesChanged,
		RejectFailedIndexesOverlappingCompleted:      isFailedIndexesChanged || isCompletedIndexesChanged,
		RejectFailedJobWithoutFailureTarget:          isJobFailedChanged || isFailedIndexesChanged,
		RejectCompleteJobWithoutSuccessCriteriaMet:   isJobCompleteChanged || isJobSuccessCriteriaMetChanged,
		RejectFinishedJobWithActivePods:              isJobFinishedChanged || isActiveChanged,
		RejectFinishedJobWithoutStartTime:            (isJobFinishedChanged || isStartTimeChanged) && !isSuspendedWithZeroCompletions,
		RejectFinishedJobWithUncountedTerminatedPods: isJobFinishedChanged || isUncountedTerminatedPodsChanged,
		RejectStartTimeUpdateForUnsuspendedJob:       isStartTimeChanged && !isJobResuming,
		RejectCompletionTimeBeforeStartTime:          isStartTimeChanged || isCompletionTimeChanged,
		RejectMutatingCompletionTime:                 true,
		RejectNotCompleteJobWithCompletionTime:       isJobCompleteChanged || isCompletionTimeChanged,
		RejectCompleteJobWithoutCompletionTime:       isJobCompleteChanged || isCompletionTimeChanged,
		RejectCompleteJobWithFailedCondition:         isJobCompleteChanged || isJobFailedChanged,
		RejectCompleteJobWithFailureTargetCondition:  isJobCompleteChanged || isJobFailureTargetChanged,
		RejectMoreReadyThanActivePods:                isReadyChanged || isActiveChanged,
		RejectFinishedJobWithTerminatingPods:         isJobFinishedChanged || isTerminatingChanged,
	}
}

// timeEqual compares optional times as upstream's ptr.Equal does on metav1.Time values.
func timeEqual(a, b *metav1.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(b)
}
