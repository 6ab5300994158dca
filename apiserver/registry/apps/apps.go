// Package apps holds the registry of apps/v1: deployments and replicasets, each with its
// status and scale subresources. The rules are upstream's pkg/registry/apps/deployment
// and pkg/registry/apps/replicaset.
//
// DaemonSets, StatefulSets and ControllerRevisions are not served yet.
package apps

import (
	"context"
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	appsvalidation "github.com/k1s-dev/k1s/apiserver/apis/apps/validation"
	corevalidation "github.com/k1s-dev/k1s/apiserver/apis/core/validation"
	"github.com/k1s-dev/k1s/apiserver/registry"
)

// NewStorage returns the storage of apps/v1.
func NewStorage(optsGetter generic.RESTOptionsGetter) (map[string]rest.Storage, error) {
	deployments, err := registry.NewStore(optsGetter, registry.StoreSpec[*appsv1.Deployment]{
		Resource:   appsv1.Resource("deployments"),
		Singular:   "deployment",
		ShortNames: []string{"deploy"},
		Categories: []string{"all"},
		New:        func() *appsv1.Deployment { return &appsv1.Deployment{} },
		NewList:    func() runtime.Object { return &appsv1.DeploymentList{} },
		Strategy:   DeploymentStrategy,
	})
	if err != nil {
		return nil, err
	}
	replicaSets, err := registry.NewStore(optsGetter, registry.StoreSpec[*appsv1.ReplicaSet]{
		Resource:   appsv1.Resource("replicasets"),
		Singular:   "replicaset",
		ShortNames: []string{"rs"},
		Categories: []string{"all"},
		New:        func() *appsv1.ReplicaSet { return &appsv1.ReplicaSet{} },
		NewList:    func() runtime.Object { return &appsv1.ReplicaSetList{} },
		Strategy:   ReplicaSetStrategy,
		SelectableFields: func(rs *appsv1.ReplicaSet) fields.Set {
			return fields.Set{"status.replicas": strconv.Itoa(int(rs.Status.Replicas))}
		},
	})
	if err != nil {
		return nil, err
	}
	return map[string]rest.Storage{
		"deployments":        deployments,
		"deployments/status": registry.NewStatusREST(deployments, DeploymentStatusStrategy),
		"deployments/scale":  newScaleREST(deployments, "deployments", deploymentScale),
		"replicasets":        replicaSets,
		"replicasets/status": registry.NewStatusREST(replicaSets, ReplicaSetStatusStrategy),
		"replicasets/scale":  newScaleREST(replicaSets, "replicasets", replicaSetScale),
	}, nil
}

// resetFields are the field paths an endpoint resets, for apps/v1.
func resetFields(paths ...fieldpath.Path) map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{"apps/v1": fieldpath.NewSet(paths...)}
}

// dnsLabelWarning is upstream's warning for workload names that are valid subdomains
// but not DNS labels: pod names and hostnames derive from them.
func dnsLabelWarning(name string) []string {
	if msgs := utilvalidation.IsDNS1123Label(name); len(msgs) != 0 {
		return []string{fmt.Sprintf("metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label is recommended: %v", msgs)}
	}
	return nil
}

// DeploymentStrategy is upstream's deployment strategy.
var DeploymentStrategy = &registry.Strategy[*appsv1.Deployment]{
	Namespaced: true,
	PrepareForCreate: func(_ context.Context, d *appsv1.Deployment) {
		d.Status = appsv1.DeploymentStatus{}
		d.Generation = 1
	},
	PrepareForUpdate: func(_ context.Context, d, old *appsv1.Deployment) {
		d.Status = old.Status
		// Spec updates bump the generation so that scaling events and template changes
		// can be told apart; annotation updates bump it too because the deployment
		// controller copies annotations to its replica sets.
		if !apiequality.Semantic.DeepEqual(d.Spec, old.Spec) || !apiequality.Semantic.DeepEqual(d.Annotations, old.Annotations) {
			d.Generation = old.Generation + 1
		}
	},
	Validate: func(_ context.Context, d *appsv1.Deployment) field.ErrorList {
		opts := corevalidation.GetValidationOptionsFromPodSpecAndMeta(&d.Spec.Template.Spec, nil, &d.Spec.Template.ObjectMeta, nil)
		return appsvalidation.ValidateDeployment(d, opts)
	},
	ValidateUpdate: func(_ context.Context, d, old *appsv1.Deployment) field.ErrorList {
		opts := corevalidation.GetValidationOptionsFromPodSpecAndMeta(&d.Spec.Template.Spec, &old.Spec.Template.Spec, &d.Spec.Template.ObjectMeta, &old.Spec.Template.ObjectMeta)
		return appsvalidation.ValidateDeploymentUpdate(d, old, opts)
	},
	WarningsOnCreate: func(_ context.Context, d *appsv1.Deployment) []string {
		return dnsLabelWarning(d.Name)
	},
	AllowUnconditionalUpdate: true,
	ResetFields:              resetFields(fieldpath.MakePathOrDie("status")),
}

// DeploymentStatusStrategy is upstream's deployment status strategy: only status and
// the metadata a status writer may touch change; labels stay (the status writer of a
// deployment must not relabel it).
var DeploymentStatusStrategy = &registry.Strategy[*appsv1.Deployment]{
	Namespaced: true,
	PrepareForUpdate: func(_ context.Context, d, old *appsv1.Deployment) {
		d.Spec = old.Spec
		d.Labels = old.Labels
	},
	ValidateUpdate: func(_ context.Context, d, old *appsv1.Deployment) field.ErrorList {
		return appsvalidation.ValidateDeploymentStatusUpdate(d, old)
	},
	AllowUnconditionalUpdate: true,
	ResetFields:              resetFields(fieldpath.MakePathOrDie("spec"), fieldpath.MakePathOrDie("metadata", "labels")),
}

// ReplicaSetStrategy is upstream's replicaset strategy.
var ReplicaSetStrategy = &registry.Strategy[*appsv1.ReplicaSet]{
	Namespaced: true,
	PrepareForCreate: func(_ context.Context, rs *appsv1.ReplicaSet) {
		rs.Status = appsv1.ReplicaSetStatus{}
		rs.Generation = 1
	},
	PrepareForUpdate: func(_ context.Context, rs, old *appsv1.ReplicaSet) {
		rs.Status = old.Status
		// Status writers report the generation they saw, so only spec changes count.
		if !apiequality.Semantic.DeepEqual(rs.Spec, old.Spec) {
			rs.Generation = old.Generation + 1
		}
	},
	Validate: func(_ context.Context, rs *appsv1.ReplicaSet) field.ErrorList {
		opts := corevalidation.GetValidationOptionsFromPodSpecAndMeta(&rs.Spec.Template.Spec, nil, &rs.Spec.Template.ObjectMeta, nil)
		return appsvalidation.ValidateReplicaSet(rs, opts)
	},
	ValidateUpdate: func(_ context.Context, rs, old *appsv1.ReplicaSet) field.ErrorList {
		opts := corevalidation.GetValidationOptionsFromPodSpecAndMeta(&rs.Spec.Template.Spec, &old.Spec.Template.Spec, &rs.Spec.Template.ObjectMeta, &old.Spec.Template.ObjectMeta)
		return appsvalidation.ValidateReplicaSetUpdate(rs, old, opts)
	},
	WarningsOnCreate: func(_ context.Context, rs *appsv1.ReplicaSet) []string {
		return dnsLabelWarning(rs.Name)
	},
	AllowUnconditionalUpdate: true,
	ResetFields:              resetFields(fieldpath.MakePathOrDie("status")),
}

// ReplicaSetStatusStrategy is upstream's replicaset status strategy.
var ReplicaSetStatusStrategy = &registry.Strategy[*appsv1.ReplicaSet]{
	Namespaced: true,
	PrepareForUpdate: func(_ context.Context, rs, old *appsv1.ReplicaSet) {
		rs.Spec = old.Spec
	},
	ValidateUpdate: func(_ context.Context, rs, old *appsv1.ReplicaSet) field.ErrorList {
		return appsvalidation.ValidateReplicaSetStatusUpdate(rs, old)
	},
	AllowUnconditionalUpdate: true,
	ResetFields:              resetFields(fieldpath.MakePathOrDie("spec")),
}
