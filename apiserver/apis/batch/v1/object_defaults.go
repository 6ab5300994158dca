package v1

import (
	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/runtime"

	apiscorev1 "github.com/k1s-dev/k1s/apiserver/apis/core/v1"
)

// This file stands in for upstream's defaulter-gen output
// (pkg/apis/batch/v1/zz_generated.defaults.go).

// RegisterDefaults adds defaulters functions to the given scheme.
// Public to allow building arbitrary schemes.
// All defaulters are covering - they call all nested defaulters.
func RegisterDefaults(scheme *runtime.Scheme) error {
	scheme.AddTypeDefaultingFunc(&batchv1.CronJob{}, func(obj interface{}) { SetObjectDefaults_CronJob(obj.(*batchv1.CronJob)) })
	scheme.AddTypeDefaultingFunc(&batchv1.CronJobList{}, func(obj interface{}) { SetObjectDefaults_CronJobList(obj.(*batchv1.CronJobList)) })
	scheme.AddTypeDefaultingFunc(&batchv1.Job{}, func(obj interface{}) { SetObjectDefaults_Job(obj.(*batchv1.Job)) })
	scheme.AddTypeDefaultingFunc(&batchv1.JobList{}, func(obj interface{}) { SetObjectDefaults_JobList(obj.(*batchv1.JobList)) })
	return nil
}

// SetObjectDefaults_CronJob does not run SetDefaults_Job on the job template,
// matching upstream: the template's job spec is defaulted when the CronJob
// controller creates the Job, not when the CronJob is stored.
func SetObjectDefaults_CronJob(in *batchv1.CronJob) {
	SetDefaults_CronJob(in)
	setObjectDefaultsPodFailurePolicy(in.Spec.JobTemplate.Spec.PodFailurePolicy)
	apiscorev1.SetObjectDefaults_PodSpec(&in.Spec.JobTemplate.Spec.Template.Spec)
}

func SetObjectDefaults_CronJobList(in *batchv1.CronJobList) {
	for i := range in.Items {
		SetObjectDefaults_CronJob(&in.Items[i])
	}
}

func SetObjectDefaults_Job(in *batchv1.Job) {
	SetDefaults_Job(in)
	setObjectDefaultsPodFailurePolicy(in.Spec.PodFailurePolicy)
	apiscorev1.SetObjectDefaults_PodSpec(&in.Spec.Template.Spec)
}

func SetObjectDefaults_JobList(in *batchv1.JobList) {
	for i := range in.Items {
		SetObjectDefaults_Job(&in.Items[i])
	}
}

func setObjectDefaultsPodFailurePolicy(in *batchv1.PodFailurePolicy) {
	if in == nil {
		return
	}
	for i := range in.Rules {
		a := &in.Rules[i]
		for j := range a.OnPodConditions {
			SetDefaults_PodFailurePolicyOnPodConditionsPattern(&a.OnPodConditions[j])
		}
	}
}
