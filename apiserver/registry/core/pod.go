package core

import (
	"context"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage"
	storageerr "k8s.io/apiserver/pkg/storage/errors"
	"k8s.io/apiserver/pkg/util/dryrun"
	"k8s.io/client-go/tools/cache"
	"k8s.io/kubectl/pkg/util/qos"

	"github.com/k1s-dev/k1s/apiserver/apis/core/validation"
	"github.com/k1s-dev/k1s/apiserver/registry"
)

// podStrategy follows upstream's pkg/registry/core/pod strategy.
var podStrategy = &registry.Strategy[*corev1.Pod]{
	Namespaced: true,
	PrepareForCreate: func(_ context.Context, pod *corev1.Pod) {
		pod.Generation = 1
		pod.Status = corev1.PodStatus{Phase: corev1.PodPending}
		applySchedulingGatedCondition(pod)
		pod.Status.QOSClass = qos.GetPodQOS(pod)
	},
	PrepareForUpdate: func(_ context.Context, pod, old *corev1.Pod) {
		pod.Status = old.Status
		if !apiequality.Semantic.DeepEqual(pod.Spec, old.Spec) {
			pod.Generation = old.Generation + 1
		}
	},
	Validate: func(_ context.Context, pod *corev1.Pod) field.ErrorList {
		return validation.ValidatePodCreate(pod)
	},
	ValidateUpdate: func(_ context.Context, pod, old *corev1.Pod) field.ErrorList {
		return validation.ValidatePodUpdate(pod, old)
	},
	ResetFields: resetFields("status"),
}

// applySchedulingGatedCondition marks a pod with scheduling gates as not scheduled, with
// reason SchedulingGated, as upstream does on create.
func applySchedulingGatedCondition(pod *corev1.Pod) {
	if len(pod.Spec.SchedulingGates) == 0 {
		return
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled {
			return
		}
	}
	pod.Status.Conditions = append(pod.Status.Conditions, corev1.PodCondition{
		Type:    corev1.PodScheduled,
		Status:  corev1.ConditionFalse,
		Reason:  corev1.PodReasonSchedulingGated,
		Message: "Scheduling is blocked due to non-empty scheduling gates",
	})
}

// syncPodIPs keeps podIP/podIPs and hostIP/hostIPs in step, as upstream's conversion
// does: older clients write only the singular fields.
func syncPodIPs(status *corev1.PodStatus) {
	switch {
	case status.PodIP != "" && len(status.PodIPs) == 0:
		status.PodIPs = []corev1.PodIP{{IP: status.PodIP}}
	case status.PodIP == "" && len(status.PodIPs) > 0:
		status.PodIP = status.PodIPs[0].IP
	}
	switch {
	case status.HostIP != "" && len(status.HostIPs) == 0:
		status.HostIPs = []corev1.HostIP{{IP: status.HostIP}}
	case status.HostIP == "" && len(status.HostIPs) > 0:
		status.HostIP = status.HostIPs[0].IP
	}
}

// podGracefulDelete gives pods graceful deletion: deleting a pod that may be running sets
// deletionTimestamp and deletionGracePeriodSeconds and leaves the removal to its kubelet.
type podGracefulDelete struct {
	rest.RESTDeleteStrategy
}

// CheckGracefulDelete is upstream's: the grace period comes from the delete options, else
// the pod spec; unscheduled and terminated pods go at once; negative becomes 1.
func (podGracefulDelete) CheckGracefulDelete(_ context.Context, obj runtime.Object, options *metav1.DeleteOptions) bool {
	if options == nil {
		return false
	}
	pod := obj.(*corev1.Pod)
	period := int64(0)
	if options.GracePeriodSeconds != nil {
		period = *options.GracePeriodSeconds
	} else if pod.Spec.TerminationGracePeriodSeconds != nil {
		period = *pod.Spec.TerminationGracePeriodSeconds
	}
	if pod.Spec.NodeName == "" || pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded {
		period = 0
	}
	if period < 0 {
		period = 1
	}
	options.GracePeriodSeconds = &period
	return true
}

// PodSelectableFields are upstream's pod field selectors.
func PodSelectableFields(pod *corev1.Pod) fields.Set {
	podIP := ""
	if len(pod.Status.PodIPs) > 0 {
		podIP = pod.Status.PodIPs[0].IP
	}
	return fields.Set{
		"spec.nodeName":            pod.Spec.NodeName,
		"spec.restartPolicy":       string(pod.Spec.RestartPolicy),
		"spec.schedulerName":       pod.Spec.SchedulerName,
		"spec.serviceAccountName":  pod.Spec.ServiceAccountName,
		"spec.hostNetwork":         strconv.FormatBool(pod.Spec.HostNetwork),
		"status.phase":             string(pod.Status.Phase),
		"status.podIP":             podIP,
		"status.nominatedNodeName": pod.Status.NominatedNodeName,
	}
}

func newPods(optsGetter generic.RESTOptionsGetter) (map[string]rest.Storage, error) {
	store, err := registry.NewStore(optsGetter, registry.StoreSpec[*corev1.Pod]{
		Resource:         corev1.Resource("pods"),
		ShortNames:       []string{"po"},
		Categories:       []string{"all"},
		Singular:         "pod",
		New:              func() *corev1.Pod { return &corev1.Pod{} },
		NewList:          func() runtime.Object { return &corev1.PodList{} },
		Strategy:         podStrategy,
		DeleteStrategy:   podGracefulDelete{podStrategy.Adapt()},
		SelectableFields: PodSelectableFields,
		// Kubelets watch only their own pods; the index keeps that cheap with thousands.
		Indexers: &cache.Indexers{storage.FieldIndex("spec.nodeName"): func(obj any) ([]string, error) {
			pod, ok := obj.(*corev1.Pod)
			if !ok {
				return nil, fmt.Errorf("not a pod: %T", obj)
			}
			return []string{pod.Spec.NodeName}, nil
		}},
		TriggerFunc: storage.IndexerFuncs{"spec.nodeName": func(obj runtime.Object) string {
			return obj.(*corev1.Pod).Spec.NodeName
		}},
	})
	if err != nil {
		return nil, err
	}
	status := registry.NewStatusREST(store, &registry.Strategy[*corev1.Pod]{
		Namespaced: true,
		PrepareForUpdate: func(_ context.Context, pod, old *corev1.Pod) {
			pod.Spec = old.Spec
			pod.DeletionTimestamp = nil
			pod.OwnerReferences = old.OwnerReferences
			if pod.Status.QOSClass == "" {
				pod.Status.QOSClass = old.Status.QOSClass
			}
			// A status writer that does not know observedGeneration must not erase it.
			if pod.Status.ObservedGeneration == 0 {
				pod.Status.ObservedGeneration = old.Status.ObservedGeneration
			}
			syncPodIPs(&pod.Status)
		},
		ValidateUpdate: func(_ context.Context, pod, old *corev1.Pod) field.ErrorList {
			return validation.ValidatePodStatusUpdate(pod, old)
		},
		ResetFields: resetFields("spec", "metadata.deletionTimestamp", "metadata.ownerReferences"),
	})
	return map[string]rest.Storage{
		"pods":         store,
		"pods/status":  status,
		"pods/binding": &bindingREST{store: store.Store},
	}, nil
}

// bindingREST serves pods/binding: the scheduler's way of assigning a pod to a node.
type bindingREST struct {
	store *genericregistry.Store
}

var (
	_ rest.NamedCreater                   = &bindingREST{}
	_ rest.SubresourceObjectMetaPreserver = &bindingREST{}
)

func (r *bindingREST) New() runtime.Object { return &corev1.Binding{} }

// PreserveRequestObjectMetaSystemFieldsOnSubresourceCreate keeps the binding's uid and
// resourceVersion, which the create handler otherwise wipes: they are the preconditions
// that stop a scheduler from binding a pod recreated under the same name (as upstream).
func (r *bindingREST) PreserveRequestObjectMetaSystemFieldsOnSubresourceCreate() bool {
	return true
}

func (r *bindingREST) Destroy() {}

// Create binds the pod named in the URL to binding.Target.Name.
func (r *bindingREST) Create(ctx context.Context, name string, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	binding, ok := obj.(*corev1.Binding)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a Binding object: %T", obj))
	}
	if name != binding.Name {
		return nil, apierrors.NewBadRequest("name in URL does not match name in Binding object")
	}
	if errs := validation.ValidatePodBinding(binding); len(errs) != 0 {
		return nil, apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Binding").GroupKind(), binding.Name, errs)
	}
	if createValidation != nil {
		if err := createValidation(ctx, binding.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	if err := r.assign(ctx, binding, dryrun.IsDryRun(options.DryRun)); err != nil {
		return nil, err
	}
	return &metav1.Status{Status: metav1.StatusSuccess}, nil
}

func (r *bindingREST) assign(ctx context.Context, binding *corev1.Binding, dryRun bool) error {
	key, err := r.store.KeyFunc(ctx, binding.Name)
	if err != nil {
		return err
	}
	var preconditions *storage.Preconditions
	if binding.UID != "" || binding.ResourceVersion != "" {
		preconditions = &storage.Preconditions{}
		if binding.UID != "" {
			uid := types.UID(binding.UID)
			preconditions.UID = &uid
		}
		if binding.ResourceVersion != "" {
			preconditions.ResourceVersion = &binding.ResourceVersion
		}
	}
	err = r.store.Storage.GuaranteedUpdate(ctx, key, &corev1.Pod{}, false, preconditions, storage.SimpleUpdate(func(obj runtime.Object) (runtime.Object, error) {
		pod := obj.(*corev1.Pod)
		if pod.DeletionTimestamp != nil {
			return nil, fmt.Errorf("pod %s is being deleted, cannot be assigned to a host", pod.Name)
		}
		if pod.Spec.NodeName != "" {
			return nil, fmt.Errorf("pod %v is already assigned to node %q", pod.Name, pod.Spec.NodeName)
		}
		if len(pod.Spec.SchedulingGates) != 0 {
			return nil, fmt.Errorf("pod %v has non-empty .spec.schedulingGates", pod.Name)
		}
		pod.Spec.NodeName = binding.Target.Name
		pod.Status.NominatedNodeName = ""
		if len(binding.Annotations) > 0 && pod.Annotations == nil {
			pod.Annotations = map[string]string{}
		}
		for k, v := range binding.Annotations {
			pod.Annotations[k] = v
		}
		setPodCondition(&pod.Status, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue})
		return pod, nil
	}), dryRun, nil)
	if err != nil {
		err = storageerr.InterpretGetError(err, corev1.Resource("pods"), binding.Name)
		err = storageerr.InterpretUpdateError(err, corev1.Resource("pods"), binding.Name)
		if _, ok := err.(*apierrors.StatusError); !ok {
			err = apierrors.NewConflict(corev1.Resource("pods/binding"), binding.Name, err)
		}
	}
	return err
}

// setPodCondition sets or replaces the condition of its type, moving lastTransitionTime
// only when the status changes (upstream's podutil.UpdatePodCondition).
func setPodCondition(status *corev1.PodStatus, cond corev1.PodCondition) {
	now := metav1.Now()
	cond.LastTransitionTime = now
	for i := range status.Conditions {
		existing := &status.Conditions[i]
		if existing.Type != cond.Type {
			continue
		}
		if existing.Status == cond.Status {
			cond.LastTransitionTime = existing.LastTransitionTime
		}
		*existing = cond
		return
	}
	status.Conditions = append(status.Conditions, cond)
}
