package v1

import (
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"

	apiscorev1 "github.com/k1s-dev/k1s/apiserver/apis/core/v1"
)

// This file stands in for upstream's defaulter-gen output
// (pkg/apis/apps/v1/zz_generated.defaults.go).

// RegisterDefaults adds defaulters functions to the given scheme.
// Public to allow building arbitrary schemes.
// All defaulters are covering - they call all nested defaulters.
func RegisterDefaults(scheme *runtime.Scheme) error {
	scheme.AddTypeDefaultingFunc(&appsv1.DaemonSet{}, func(obj interface{}) { SetObjectDefaults_DaemonSet(obj.(*appsv1.DaemonSet)) })
	scheme.AddTypeDefaultingFunc(&appsv1.DaemonSetList{}, func(obj interface{}) { SetObjectDefaults_DaemonSetList(obj.(*appsv1.DaemonSetList)) })
	scheme.AddTypeDefaultingFunc(&appsv1.Deployment{}, func(obj interface{}) { SetObjectDefaults_Deployment(obj.(*appsv1.Deployment)) })
	scheme.AddTypeDefaultingFunc(&appsv1.DeploymentList{}, func(obj interface{}) { SetObjectDefaults_DeploymentList(obj.(*appsv1.DeploymentList)) })
	scheme.AddTypeDefaultingFunc(&appsv1.ReplicaSet{}, func(obj interface{}) { SetObjectDefaults_ReplicaSet(obj.(*appsv1.ReplicaSet)) })
	scheme.AddTypeDefaultingFunc(&appsv1.ReplicaSetList{}, func(obj interface{}) { SetObjectDefaults_ReplicaSetList(obj.(*appsv1.ReplicaSetList)) })
	scheme.AddTypeDefaultingFunc(&appsv1.StatefulSet{}, func(obj interface{}) { SetObjectDefaults_StatefulSet(obj.(*appsv1.StatefulSet)) })
	scheme.AddTypeDefaultingFunc(&appsv1.StatefulSetList{}, func(obj interface{}) { SetObjectDefaults_StatefulSetList(obj.(*appsv1.StatefulSetList)) })
	return nil
}

func SetObjectDefaults_DaemonSet(in *appsv1.DaemonSet) {
	SetDefaults_DaemonSet(in)
	apiscorev1.SetObjectDefaults_PodSpec(&in.Spec.Template.Spec)
}

func SetObjectDefaults_DaemonSetList(in *appsv1.DaemonSetList) {
	for i := range in.Items {
		SetObjectDefaults_DaemonSet(&in.Items[i])
	}
}

func SetObjectDefaults_Deployment(in *appsv1.Deployment) {
	SetDefaults_Deployment(in)
	apiscorev1.SetObjectDefaults_PodSpec(&in.Spec.Template.Spec)
}

func SetObjectDefaults_DeploymentList(in *appsv1.DeploymentList) {
	for i := range in.Items {
		SetObjectDefaults_Deployment(&in.Items[i])
	}
}

func SetObjectDefaults_ReplicaSet(in *appsv1.ReplicaSet) {
	SetDefaults_ReplicaSet(in)
	apiscorev1.SetObjectDefaults_PodSpec(&in.Spec.Template.Spec)
}

func SetObjectDefaults_ReplicaSetList(in *appsv1.ReplicaSetList) {
	for i := range in.Items {
		SetObjectDefaults_ReplicaSet(&in.Items[i])
	}
}

func SetObjectDefaults_StatefulSet(in *appsv1.StatefulSet) {
	SetDefaults_StatefulSet(in)
	apiscorev1.SetObjectDefaults_PodSpec(&in.Spec.Template.Spec)
	for i := range in.Spec.VolumeClaimTemplates {
		a := &in.Spec.VolumeClaimTemplates[i]
		apiscorev1.SetDefaults_PersistentVolumeClaim(a)
		apiscorev1.SetDefaults_PersistentVolumeClaimSpec(&a.Spec)
		apiscorev1.SetDefaults_ResourceList(&a.Spec.Resources.Limits)
		apiscorev1.SetDefaults_ResourceList(&a.Spec.Resources.Requests)
		apiscorev1.SetDefaults_ResourceList(&a.Status.Capacity)
		apiscorev1.SetDefaults_ResourceList(&a.Status.AllocatedResources)
	}
}

func SetObjectDefaults_StatefulSetList(in *appsv1.StatefulSetList) {
	for i := range in.Items {
		SetObjectDefaults_StatefulSet(&in.Items[i])
	}
}
