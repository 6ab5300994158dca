package validation

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	corevalidation "github.com/k1s-dev/k1s/apiserver/apis/core/validation"
	"github.com/k1s-dev/k1s/apiserver/scheme"
)

// validDeployment is a deployment as it reaches validation: defaulted.
func validDeployment() *appsv1.Deployment {
	labels := map[string]string{"app": "web"}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx"}}},
			},
		},
	}
	scheme.Scheme.Default(d)
	return d
}

func validReplicaSet() *appsv1.ReplicaSet {
	d := validDeployment()
	rs := &appsv1.ReplicaSet{ObjectMeta: d.ObjectMeta, Spec: appsv1.ReplicaSetSpec{Selector: d.Spec.Selector, Template: d.Spec.Template}}
	scheme.Scheme.Default(rs)
	return rs
}

// errorFields returns "type field" for each error, so cases state exactly what fails.
func errorFields(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, string(e.Type)+" "+e.Field)
	}
	return out
}

func wantErrors(t *testing.T, errs field.ErrorList, want ...string) {
	t.Helper()
	got := errorFields(errs)
	if len(got) != len(want) {
		t.Fatalf("errors %q, want %q", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("errors %q, want %q", got, want)
		}
	}
}

func TestValidateDeployment(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*appsv1.Deployment)
		want   []string
	}{
		{name: "valid", mutate: func(*appsv1.Deployment) {}},
		{name: "zero replicas and zero revision history are valid", mutate: func(d *appsv1.Deployment) {
			d.Spec.Replicas = ptr.To[int32](0)
			d.Spec.RevisionHistoryLimit = ptr.To[int32](0)
		}},
		{name: "negative replicas", mutate: func(d *appsv1.Deployment) { d.Spec.Replicas = ptr.To[int32](-1) },
			want: []string{"FieldValueInvalid spec.replicas"}},
		{name: "missing selector", mutate: func(d *appsv1.Deployment) { d.Spec.Selector = nil },
			// A nil selector selects nothing, so the template does not match either (as upstream).
			want: []string{"FieldValueRequired spec.selector", "FieldValueInvalid spec.template.metadata.labels"}},
		{name: "empty selector", mutate: func(d *appsv1.Deployment) { d.Spec.Selector = &metav1.LabelSelector{} },
			want: []string{"FieldValueInvalid spec.selector"}},
		{name: "selector does not match template", mutate: func(d *appsv1.Deployment) { d.Spec.Template.Labels = map[string]string{"app": "db"} },
			want: []string{"FieldValueInvalid spec.template.metadata.labels"}},
		{name: "invalid selector operator", mutate: func(d *appsv1.Deployment) {
			d.Spec.Selector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Near"}}}
		}, want: []string{"FieldValueInvalid spec.selector.matchExpressions[0].operator", "FieldValueInvalid spec.selector"}},
		{name: "both surge and unavailable zero", mutate: func(d *appsv1.Deployment) {
			d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxSurge: ptr.To(intstr.FromString("0%")), MaxUnavailable: ptr.To(intstr.FromInt32(0))}
		}, want: []string{"FieldValueInvalid spec.strategy.rollingUpdate.maxUnavailable"}},
		{name: "maxUnavailable above 100%", mutate: func(d *appsv1.Deployment) {
			d.Spec.Strategy.RollingUpdate.MaxUnavailable = ptr.To(intstr.FromString("101%"))
		}, want: []string{"FieldValueInvalid spec.strategy.rollingUpdate.maxUnavailable"}},
		{name: "negative maxSurge", mutate: func(d *appsv1.Deployment) {
			d.Spec.Strategy.RollingUpdate.MaxSurge = ptr.To(intstr.FromInt32(-1))
		}, want: []string{"FieldValueInvalid spec.strategy.rollingUpdate.maxSurge"}},
		{name: "bad percent", mutate: func(d *appsv1.Deployment) {
			d.Spec.Strategy.RollingUpdate.MaxSurge = ptr.To(intstr.FromString("ten%"))
		}, want: []string{"FieldValueInvalid spec.strategy.rollingUpdate.maxSurge"}},
		{name: "recreate with rollingUpdate", mutate: func(d *appsv1.Deployment) { d.Spec.Strategy.Type = appsv1.RecreateDeploymentStrategyType },
			want: []string{"FieldValueForbidden spec.strategy.rollingUpdate"}},
		{name: "rolling update without parameters", mutate: func(d *appsv1.Deployment) { d.Spec.Strategy.RollingUpdate = nil },
			want: []string{"FieldValueRequired spec.strategy.rollingUpdate"}},
		{name: "unknown strategy", mutate: func(d *appsv1.Deployment) { d.Spec.Strategy.Type = "BlueGreen" },
			want: []string{"FieldValueNotSupported spec.strategy"}},
		{name: "negative minReadySeconds", mutate: func(d *appsv1.Deployment) { d.Spec.MinReadySeconds = -1 },
			want: []string{"FieldValueInvalid spec.minReadySeconds"}},
		{name: "negative revisionHistoryLimit", mutate: func(d *appsv1.Deployment) { d.Spec.RevisionHistoryLimit = ptr.To[int32](-1) },
			want: []string{"FieldValueInvalid spec.revisionHistoryLimit"}},
		{name: "progress deadline equal to minReadySeconds", mutate: func(d *appsv1.Deployment) {
			d.Spec.MinReadySeconds = 10
			d.Spec.ProgressDeadlineSeconds = ptr.To[int32](10)
		}, want: []string{"FieldValueInvalid spec.progressDeadlineSeconds"}},
		{name: "restart policy OnFailure", mutate: func(d *appsv1.Deployment) { d.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure },
			want: []string{"FieldValueNotSupported spec.template.spec.restartPolicy"}},
		{name: "active deadline", mutate: func(d *appsv1.Deployment) { d.Spec.Template.Spec.ActiveDeadlineSeconds = ptr.To[int64](1) },
			want: []string{"FieldValueForbidden spec.template.spec.activeDeadlineSeconds"}},
		{name: "ephemeral containers in the template", mutate: func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
				Name: "debug", Image: "busybox", ImagePullPolicy: corev1.PullAlways, TerminationMessagePolicy: corev1.TerminationMessageReadFile,
			}}}
		}, want: []string{"FieldValueForbidden spec.template.spec.ephemeralContainers"}},
		{name: "missing image", mutate: func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "" },
			want: []string{"FieldValueRequired spec.template.spec.containers[0].image"}},
		{name: "name not a subdomain", mutate: func(d *appsv1.Deployment) { d.Name = "Web" },
			want: []string{"FieldValueInvalid metadata.name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := validDeployment()
			tc.mutate(d)
			wantErrors(t, ValidateDeployment(d, corevalidation.PodValidationOptions{}), tc.want...)
		})
	}
}

func TestValidateDeploymentUpdate(t *testing.T) {
	old := validDeployment()
	old.ResourceVersion = "1"

	scaled := old.DeepCopy()
	scaled.Spec.Replicas = ptr.To[int32](5)
	wantErrors(t, ValidateDeploymentUpdate(scaled, old, corevalidation.PodValidationOptions{}))

	reselected := old.DeepCopy()
	reselected.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "v": "2"}}
	reselected.Spec.Template.Labels = map[string]string{"app": "web", "v": "2"}
	wantErrors(t, ValidateDeploymentUpdate(reselected, old, corevalidation.PodValidationOptions{}), "FieldValueInvalid spec.selector")
}

func TestValidateDeploymentStatusUpdate(t *testing.T) {
	old := validDeployment()
	old.ResourceVersion = "1"
	old.Status.CollisionCount = ptr.To[int32](2)
	for _, tc := range []struct {
		name   string
		status appsv1.DeploymentStatus
		want   []string
	}{
		{name: "consistent", status: appsv1.DeploymentStatus{Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: 2, AvailableReplicas: 2, CollisionCount: ptr.To[int32](3)}},
		{name: "more updated than replicas", status: appsv1.DeploymentStatus{Replicas: 1, UpdatedReplicas: 2, CollisionCount: ptr.To[int32](2)},
			want: []string{"FieldValueInvalid status.updatedReplicas"}},
		{name: "more available than ready", status: appsv1.DeploymentStatus{Replicas: 3, ReadyReplicas: 1, AvailableReplicas: 2, CollisionCount: ptr.To[int32](2)},
			want: []string{"FieldValueInvalid status.availableReplicas"}},
		{name: "negative counts", status: appsv1.DeploymentStatus{ObservedGeneration: -1, UnavailableReplicas: -1, TerminatingReplicas: ptr.To[int32](-1), CollisionCount: ptr.To[int32](2)},
			want: []string{"FieldValueInvalid status.observedGeneration", "FieldValueInvalid status.unavailableReplicas", "FieldValueInvalid status.terminatingReplicas"}},
		{name: "collision count decremented", status: appsv1.DeploymentStatus{CollisionCount: ptr.To[int32](1)},
			want: []string{"FieldValueInvalid status.collisionCount"}},
		{name: "collision count cleared", status: appsv1.DeploymentStatus{},
			want: []string{"FieldValueInvalid status.collisionCount"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := old.DeepCopy()
			d.Status = tc.status
			wantErrors(t, ValidateDeploymentStatusUpdate(d, old), tc.want...)
		})
	}
}

func TestValidateReplicaSet(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*appsv1.ReplicaSet)
		want   []string
	}{
		{name: "valid", mutate: func(*appsv1.ReplicaSet) {}},
		{name: "negative replicas", mutate: func(rs *appsv1.ReplicaSet) { rs.Spec.Replicas = ptr.To[int32](-2) },
			want: []string{"FieldValueInvalid spec.replicas"}},
		{name: "negative minReadySeconds", mutate: func(rs *appsv1.ReplicaSet) { rs.Spec.MinReadySeconds = -1 },
			want: []string{"FieldValueInvalid spec.minReadySeconds"}},
		{name: "selector does not match", mutate: func(rs *appsv1.ReplicaSet) { rs.Spec.Selector.MatchLabels = map[string]string{"app": "db"} },
			want: []string{"FieldValueInvalid spec.template.metadata.labels"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := validReplicaSet()
			tc.mutate(rs)
			wantErrors(t, ValidateReplicaSet(rs, corevalidation.PodValidationOptions{}), tc.want...)
		})
	}

	old := validReplicaSet()
	old.ResourceVersion = "1"
	changed := old.DeepCopy()
	changed.Spec.Selector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpExists}}}
	wantErrors(t, ValidateReplicaSetUpdate(changed, old, corevalidation.PodValidationOptions{}), "FieldValueInvalid spec.selector")

	status := old.DeepCopy()
	status.Status = appsv1.ReplicaSetStatus{Replicas: 2, FullyLabeledReplicas: 3, ReadyReplicas: 2, AvailableReplicas: 2}
	wantErrors(t, ValidateReplicaSetStatusUpdate(status, old), "FieldValueInvalid status.fullyLabeledReplicas")
}

func TestValidateScale(t *testing.T) {
	wantErrors(t, ValidateScale(&autoscalingv1.Scale{Spec: autoscalingv1.ScaleSpec{Replicas: 0}}))
	wantErrors(t, ValidateScale(&autoscalingv1.Scale{Spec: autoscalingv1.ScaleSpec{Replicas: -1}}), "FieldValueInvalid spec.replicas")
}
