package core

import (
	"context"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/k1s-dev/k1s/apiserver/apis/core/validation"
	"github.com/k1s-dev/k1s/apiserver/registry"
)

// newNodes serves nodes and nodes/status.
func newNodes(optsGetter generic.RESTOptionsGetter) (map[string]rest.Storage, error) {
	store, err := registry.NewStore(optsGetter, registry.StoreSpec[*corev1.Node]{
		Resource:   corev1.Resource("nodes"),
		ShortNames: []string{"no"},
		Singular:   "node",
		New:        func() *corev1.Node { return &corev1.Node{} },
		NewList:    func() runtime.Object { return &corev1.NodeList{} },
		Strategy:   nodeStrategy,
		SelectableFields: func(node *corev1.Node) fields.Set {
			return fields.Set{"spec.unschedulable": strconv.FormatBool(node.Spec.Unschedulable)}
		},
	})
	if err != nil {
		return nil, err
	}
	status := registry.NewStatusREST(store, &registry.Strategy[*corev1.Node]{
		PrepareForUpdate: func(_ context.Context, node, old *corev1.Node) {
			node.Spec = old.Spec
		},
		ValidateUpdate: func(_ context.Context, node, old *corev1.Node) field.ErrorList {
			return validation.ValidateNodeUpdate(node, old)
		},
		ResetFields: resetFields("spec"),
	})
	return map[string]rest.Storage{"nodes": store, "nodes/status": status}, nil
}

// syncPodCIDRs keeps the legacy single podCIDR and the podCIDRs list in step, which
// upstream's conversion does: a client may set either.
func syncPodCIDRs(node *corev1.Node) {
	switch {
	case node.Spec.PodCIDR != "" && len(node.Spec.PodCIDRs) == 0:
		node.Spec.PodCIDRs = []string{node.Spec.PodCIDR}
	case node.Spec.PodCIDR == "" && len(node.Spec.PodCIDRs) > 0:
		node.Spec.PodCIDR = node.Spec.PodCIDRs[0]
	}
}

// resetFields names the top-level fields an endpoint of the core v1 API ignores.
func resetFields(paths ...string) map[fieldpath.APIVersion]*fieldpath.Set {
	set := fieldpath.NewSet()
	for _, p := range paths {
		set.Insert(fieldpath.MakePathOrDie(p))
	}
	return map[fieldpath.APIVersion]*fieldpath.Set{"v1": set}
}

var nodeStrategy = &registry.Strategy[*corev1.Node]{
	// Nodes may set their status on create (kubelets register with it), as upstream.
	PrepareForCreate: func(_ context.Context, node *corev1.Node) {
		node.Spec.ConfigSource = nil
		node.Status.Config = nil
		syncPodCIDRs(node)
	},
	PrepareForUpdate: func(_ context.Context, node, old *corev1.Node) {
		node.Status = old.Status
		syncPodCIDRs(node)
	},
	Validate: func(_ context.Context, node *corev1.Node) field.ErrorList {
		return validation.ValidateNode(node)
	},
	ValidateUpdate: func(_ context.Context, node, old *corev1.Node) field.ErrorList {
		return validation.ValidateNodeUpdate(node, old)
	},
	ResetFields: resetFields("status"),
}
