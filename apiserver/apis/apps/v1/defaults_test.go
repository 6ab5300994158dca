package v1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func minimalTemplate() corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}}
}

// defaultedTemplate is minimalTemplate after pod-template defaulting: the
// PodSpec defaults only, none of the Pod-only ones (enableServiceLinks).
func defaultedTemplate() corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		Containers: []corev1.Container{{
			Name:                     "c",
			Image:                    "nginx",
			ImagePullPolicy:          corev1.PullAlways,
			TerminationMessagePath:   "/dev/termination-log",
			TerminationMessagePolicy: corev1.TerminationMessageReadFile,
		}},
		RestartPolicy:                 corev1.RestartPolicyAlways,
		TerminationGracePeriodSeconds: ptr.To[int64](30),
		DNSPolicy:                     corev1.DNSClusterFirst,
		SecurityContext:               &corev1.PodSecurityContext{},
		SchedulerName:                 "default-scheduler",
	}}
}

func TestDefaults(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := RegisterDefaults(scheme); err != nil {
		t.Fatal(err)
	}
	pct := func(s string) *intstr.IntOrString { v := intstr.FromString(s); return &v }
	num := func(i int32) *intstr.IntOrString { v := intstr.FromInt32(i); return &v }

	defaultedDeployment := &appsv1.Deployment{Spec: appsv1.DeploymentSpec{
		Replicas: ptr.To[int32](1),
		Template: defaultedTemplate(),
		Strategy: appsv1.DeploymentStrategy{
			Type:          appsv1.RollingUpdateDeploymentStrategyType,
			RollingUpdate: &appsv1.RollingUpdateDeployment{MaxUnavailable: pct("25%"), MaxSurge: pct("25%")},
		},
		RevisionHistoryLimit:    ptr.To[int32](10),
		ProgressDeadlineSeconds: ptr.To[int32](600),
	}}

	for _, tc := range []struct {
		name string
		in   runtime.Object
		want runtime.Object
	}{{
		name: "minimal deployment",
		in:   &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Template: minimalTemplate()}},
		want: defaultedDeployment,
	}, {
		name: "deployment explicit values kept, partial rolling update filled",
		in: &appsv1.Deployment{Spec: appsv1.DeploymentSpec{
			Replicas:                ptr.To[int32](0),
			Template:                minimalTemplate(),
			Strategy:                appsv1.DeploymentStrategy{RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: num(2)}},
			RevisionHistoryLimit:    ptr.To[int32](0),
			ProgressDeadlineSeconds: ptr.To[int32](30),
		}},
		want: &appsv1.Deployment{Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](0),
			Template: defaultedTemplate(),
			Strategy: appsv1.DeploymentStrategy{
				Type:          appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxUnavailable: pct("25%"), MaxSurge: num(2)},
			},
			RevisionHistoryLimit:    ptr.To[int32](0),
			ProgressDeadlineSeconds: ptr.To[int32](30),
		}},
	}, {
		name: "deployment Recreate gets no rollingUpdate",
		in:   &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Template: minimalTemplate(), Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}}},
		want: &appsv1.Deployment{Spec: appsv1.DeploymentSpec{
			Replicas:                ptr.To[int32](1),
			Template:                defaultedTemplate(),
			Strategy:                appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
			RevisionHistoryLimit:    ptr.To[int32](10),
			ProgressDeadlineSeconds: ptr.To[int32](600),
		}},
	}, {
		name: "deployment list",
		in:   &appsv1.DeploymentList{Items: []appsv1.Deployment{{Spec: appsv1.DeploymentSpec{Template: minimalTemplate()}}}},
		want: &appsv1.DeploymentList{Items: []appsv1.Deployment{*defaultedDeployment}},
	}, {
		name: "minimal replicaset",
		in:   &appsv1.ReplicaSet{Spec: appsv1.ReplicaSetSpec{Template: minimalTemplate()}},
		want: &appsv1.ReplicaSet{Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](1), Template: defaultedTemplate()}},
	}, {
		name: "replicaset list",
		in:   &appsv1.ReplicaSetList{Items: []appsv1.ReplicaSet{{Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](3), Template: minimalTemplate()}}}},
		want: &appsv1.ReplicaSetList{Items: []appsv1.ReplicaSet{{Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](3), Template: defaultedTemplate()}}}},
	}, {
		name: "minimal daemonset",
		in:   &appsv1.DaemonSet{Spec: appsv1.DaemonSetSpec{Template: minimalTemplate()}},
		want: &appsv1.DaemonSet{Spec: appsv1.DaemonSetSpec{
			Template: defaultedTemplate(),
			UpdateStrategy: appsv1.DaemonSetUpdateStrategy{
				Type:          appsv1.RollingUpdateDaemonSetStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDaemonSet{MaxUnavailable: num(1), MaxSurge: num(0)},
			},
			RevisionHistoryLimit: ptr.To[int32](10),
		}},
	}, {
		name: "minimal statefulset",
		in: &appsv1.StatefulSet{Spec: appsv1.StatefulSetSpec{
			Template:             minimalTemplate(),
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{Spec: corev1.PersistentVolumeClaimSpec{Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}}}},
		}},
		want: &appsv1.StatefulSet{Spec: appsv1.StatefulSetSpec{
			Replicas: ptr.To[int32](1),
			Template: defaultedTemplate(),
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
				Spec: corev1.PersistentVolumeClaimSpec{
					Resources:  corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
					VolumeMode: ptr.To(corev1.PersistentVolumeFilesystem),
				},
				Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending},
			}},
			PodManagementPolicy: appsv1.OrderedReadyPodManagement,
			UpdateStrategy: appsv1.StatefulSetUpdateStrategy{
				Type:          appsv1.RollingUpdateStatefulSetStrategyType,
				RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr.To[int32](0), MaxUnavailable: num(1)},
			},
			RevisionHistoryLimit: ptr.To[int32](10),
			PersistentVolumeClaimRetentionPolicy: &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
				WhenDeleted: appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
				WhenScaled:  appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
			},
		}},
	}, {
		name: "statefulset OnDelete gets no rollingUpdate",
		in:   &appsv1.StatefulSetList{Items: []appsv1.StatefulSet{{Spec: appsv1.StatefulSetSpec{Template: minimalTemplate(), UpdateStrategy: appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType}}}}},
		want: &appsv1.StatefulSetList{Items: []appsv1.StatefulSet{{Spec: appsv1.StatefulSetSpec{
			Replicas:             ptr.To[int32](1),
			Template:             defaultedTemplate(),
			PodManagementPolicy:  appsv1.OrderedReadyPodManagement,
			UpdateStrategy:       appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType},
			RevisionHistoryLimit: ptr.To[int32](10),
			PersistentVolumeClaimRetentionPolicy: &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
				WhenDeleted: appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
				WhenScaled:  appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
			},
		}}}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.DeepCopyObject()
			scheme.Default(got)
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b resource.Quantity) bool { return a.Cmp(b) == 0 })); diff != "" {
				t.Errorf("unexpected defaulting result (-want +got):\n%s", diff)
			}
		})
	}
}
