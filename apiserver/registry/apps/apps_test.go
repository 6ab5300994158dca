package apps

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/utils/ptr"

	"github.com/k1s-dev/k1s/apiserver/scheme"
)

func deployment() *appsv1.Deployment {
	labels := map[string]string{"app": "web"}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", Generation: 4, ResourceVersion: "10", UID: "u1"},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx"}}},
			},
		},
		Status: appsv1.DeploymentStatus{Replicas: 1, ObservedGeneration: 4},
	}
	scheme.Scheme.Default(d)
	return d
}

func TestDeploymentStrategy(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name           string
		mutate         func(*appsv1.Deployment)
		wantGeneration int64
	}{
		{name: "no change", mutate: func(*appsv1.Deployment) {}, wantGeneration: 4},
		{name: "spec change", mutate: func(d *appsv1.Deployment) { d.Spec.Replicas = ptr.To[int32](3) }, wantGeneration: 5},
		{name: "annotation change", mutate: func(d *appsv1.Deployment) { d.Annotations = map[string]string{"a": "b"} }, wantGeneration: 5},
		{name: "label change", mutate: func(d *appsv1.Deployment) { d.Labels = map[string]string{"a": "b"} }, wantGeneration: 4},
		{name: "status change is dropped", mutate: func(d *appsv1.Deployment) { d.Status.Replicas = 9 }, wantGeneration: 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := deployment()
			d := old.DeepCopy()
			tc.mutate(d)
			DeploymentStrategy.PrepareForUpdate(ctx, d, old)
			if d.Generation != tc.wantGeneration || d.Status.Replicas != 1 {
				t.Fatalf("generation %d, status.replicas %d; want %d and 1", d.Generation, d.Status.Replicas, tc.wantGeneration)
			}
		})
	}

	created := deployment()
	DeploymentStrategy.PrepareForCreate(ctx, created)
	if created.Generation != 1 || created.Status.Replicas != 0 {
		t.Fatalf("create: generation %d, status %+v", created.Generation, created.Status)
	}

	old := deployment()
	d := old.DeepCopy()
	d.Spec.Replicas = ptr.To[int32](7)
	d.Labels = map[string]string{"x": "y"}
	d.Status.Replicas = 3
	DeploymentStatusStrategy.PrepareForUpdate(ctx, d, old)
	if *d.Spec.Replicas != 1 || d.Labels != nil || d.Status.Replicas != 3 || d.Generation != 4 {
		t.Fatalf("status update: replicas %d, labels %v, status.replicas %d, generation %d", *d.Spec.Replicas, d.Labels, d.Status.Replicas, d.Generation)
	}
	if w := DeploymentStrategy.WarningsOnCreate(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "a.b"}}); len(w) != 1 {
		t.Fatalf("no DNS label warning for a dotted name: %v", w)
	}
}

func TestReplicaSetStrategy(t *testing.T) {
	ctx := context.Background()
	d := deployment()
	old := &appsv1.ReplicaSet{ObjectMeta: d.ObjectMeta, Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](1), Selector: d.Spec.Selector, Template: d.Spec.Template},
		Status: appsv1.ReplicaSetStatus{Replicas: 1}}
	rs := old.DeepCopy()
	rs.Annotations = map[string]string{"a": "b"}
	ReplicaSetStrategy.PrepareForUpdate(ctx, rs, old)
	if rs.Generation != 4 {
		t.Fatalf("an annotation change bumped a replica set's generation to %d", rs.Generation)
	}
	rs.Spec.Replicas = ptr.To[int32](0)
	rs.Status.Replicas = 5
	ReplicaSetStrategy.PrepareForUpdate(ctx, rs, old)
	if rs.Generation != 5 || rs.Status.Replicas != 1 {
		t.Fatalf("spec change: generation %d, status.replicas %d", rs.Generation, rs.Status.Replicas)
	}
}

// fakeUpdate is what the update handler passes: a function of the current scale.
type fakeUpdate func(old runtime.Object) (runtime.Object, error)

func (f fakeUpdate) Preconditions() *metav1.Preconditions { return nil }
func (f fakeUpdate) UpdatedObject(_ context.Context, old runtime.Object) (runtime.Object, error) {
	return f(old)
}

var _ rest.UpdatedObjectInfo = fakeUpdate(nil)

func TestScaleUpdatedObject(t *testing.T) {
	r := &scaleREST[*appsv1.Deployment]{resource: appsv1.Resource("deployments/scale"), access: deploymentScale}
	info := func(f fakeUpdate) *scaleUpdatedObjectInfo[*appsv1.Deployment] {
		return &scaleUpdatedObjectInfo[*appsv1.Deployment]{name: "web", reqObjInfo: f, rest: r}
	}
	old := deployment()

	var seen *autoscalingv1.Scale
	got, err := info(func(o runtime.Object) (runtime.Object, error) {
		seen = o.(*autoscalingv1.Scale)
		s := seen.DeepCopy()
		s.Spec.Replicas = 4
		return s, nil
	}).UpdatedObject(context.Background(), old)
	if err != nil {
		t.Fatal(err)
	}
	if seen.Spec.Replicas != 1 || seen.Status.Replicas != 1 || seen.Status.Selector != "app=web" || seen.ResourceVersion != "10" {
		t.Fatalf("scale handed to the request: %+v", seen)
	}
	if d := got.(*appsv1.Deployment); *d.Spec.Replicas != 4 || d.ResourceVersion != "10" || d.Spec.Template.Spec.Containers[0].Image != "nginx" {
		t.Fatalf("updated deployment: replicas %d, rv %s", *d.Spec.Replicas, d.ResourceVersion)
	}
	if *old.Spec.Replicas != 1 {
		t.Fatal("the stored deployment was mutated")
	}

	for _, tc := range []struct {
		name   string
		update fakeUpdate
		check  func(error) bool
	}{
		{"negative replicas", func(o runtime.Object) (runtime.Object, error) {
			s := o.(*autoscalingv1.Scale).DeepCopy()
			s.Spec.Replicas = -1
			return s, nil
		}, apierrors.IsInvalid},
		{"uid precondition", func(o runtime.Object) (runtime.Object, error) {
			s := o.(*autoscalingv1.Scale).DeepCopy()
			s.UID = "other"
			return s, nil
		}, apierrors.IsConflict},
		{"not a scale", func(runtime.Object) (runtime.Object, error) { return &appsv1.Deployment{}, nil }, apierrors.IsBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := info(tc.update).UpdatedObject(context.Background(), old)
			if !tc.check(err) {
				t.Fatalf("unexpected error %v", err)
			}
		})
	}
	_, err = info(func(o runtime.Object) (runtime.Object, error) { return o, nil }).UpdatedObject(context.Background(), &appsv1.Deployment{})
	if !apierrors.IsNotFound(err) {
		t.Fatalf("scaling a missing deployment: %v", err)
	}
}
