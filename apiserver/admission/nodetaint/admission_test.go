package nodetaint

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
)

func TestAdmitTaintsNewNodesOnce(t *testing.T) {
	node := &corev1.Node{Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: "x", Effect: corev1.TaintEffectNoExecute}}}}
	a := admission.NewAttributesRecord(node, nil, schema.GroupVersionKind{}, "", "n",
		corev1.SchemeGroupVersion.WithResource("nodes"), "", admission.Create, nil, false, nil)
	for range 2 {
		if err := New().Admit(context.Background(), a, nil); err != nil {
			t.Fatal(err)
		}
	}
	want := []corev1.Taint{{Key: "x", Effect: corev1.TaintEffectNoExecute}, {Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoSchedule}}
	if len(node.Spec.Taints) != 2 || node.Spec.Taints[1] != want[1] || node.Spec.Taints[0] != want[0] {
		t.Errorf("taints = %+v, want %+v", node.Spec.Taints, want)
	}
	if !New().Handles(admission.Create) || New().Handles(admission.Update) {
		t.Error("the plugin must handle Node creation only")
	}
}
