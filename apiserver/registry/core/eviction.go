package core

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/util/dryrun"
	policyclient "k8s.io/client-go/kubernetes/typed/policy/v1"
	"k8s.io/client-go/util/retry"
	pdbhelper "k8s.io/component-helpers/apps/poddisruptionbudget"
	"k8s.io/utils/ptr"
)

// This file ports upstream's pkg/registry/core/pod/storage/eviction.go: the
// pods/eviction subresource, through which kubectl drain and the node lifecycle tools
// delete pods without breaking their PodDisruptionBudgets.

// MaxDisruptedPodSize is the most entries PodDisruptionBudgetStatus.DisruptedPods may
// hold before evictions of the pods it covers are refused: that many evictions were
// approved but not yet noticed by the disruption controller.
const MaxDisruptedPodSize = 2000

// EvictionsRetry is the retry for a conflict where several clients change the same
// pod or budget.
var EvictionsRetry = wait.Backoff{
	Steps:    20,
	Duration: 500 * time.Millisecond,
	Factor:   1.0,
	Jitter:   0.1,
}

var v1Eviction = policyv1.SchemeGroupVersion.WithKind("Eviction")

// podStore is what eviction needs of the pods storage: reads and deletes go through
// the main store, the DisruptionTarget condition through the status store.
type podStore interface {
	rest.Getter
	rest.GracefulDeleter
}

// evictionREST serves pods/eviction.
type evictionREST struct {
	pods   podStore
	status rest.Updater
	// pdbs reads and decrements budgets through the loopback client, as upstream does,
	// so that the decrement is an ordinary status update with a resourceVersion
	// precondition.
	pdbs policyclient.PodDisruptionBudgetsGetter
}

func newEvictionREST(pods podStore, status rest.Updater, pdbs policyclient.PodDisruptionBudgetsGetter) *evictionREST {
	return &evictionREST{pods: pods, status: status, pdbs: pdbs}
}

var (
	_ rest.NamedCreater             = &evictionREST{}
	_ rest.GroupVersionKindProvider = &evictionREST{}
)

// GroupVersionKind is policy/v1 Eviction although the subresource is in the core group.
func (r *evictionREST) GroupVersionKind(schema.GroupVersion) schema.GroupVersionKind {
	return v1Eviction
}

func (r *evictionREST) New() runtime.Object { return &policyv1.Eviction{} }

// Destroy does nothing: the pods store owns the storage.
func (r *evictionREST) Destroy() {}

// propagateDryRun takes the dry-run option from the request and pushes it into the
// eviction's delete options; it fails if both are set and differ.
func propagateDryRun(eviction *policyv1.Eviction, options *metav1.CreateOptions) (*metav1.DeleteOptions, error) {
	if eviction.DeleteOptions == nil {
		return &metav1.DeleteOptions{DryRun: options.DryRun}, nil
	}
	if len(eviction.DeleteOptions.DryRun) == 0 {
		eviction.DeleteOptions.DryRun = options.DryRun
		return eviction.DeleteOptions, nil
	}
	if len(options.DryRun) == 0 {
		return eviction.DeleteOptions, nil
	}
	if !reflect.DeepEqual(options.DryRun, eviction.DeleteOptions.DryRun) {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("Non-matching dry-run options in request and content: %v and %v", options.DryRun, eviction.DeleteOptions.DryRun))
	}
	return eviction.DeleteOptions, nil
}

// Create evicts the pod: it is deleted if no PodDisruptionBudget forbids it, and the
// budget that allows it is decremented first.
func (r *evictionREST) Create(ctx context.Context, name string, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	eviction, ok := obj.(*policyv1.Eviction)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a Eviction object: %T", obj))
	}
	if name != eviction.Name {
		return nil, apierrors.NewBadRequest("name in URL does not match name in Eviction object")
	}
	if eviction.DeleteOptions != nil && ptr.Deref(eviction.DeleteOptions.IgnoreStoreReadErrorWithClusterBreakingPotential, false) {
		errs := field.ErrorList{
			field.Invalid(field.NewPath("deleteOptions").Child("ignoreStoreReadErrorWithClusterBreakingPotential"), true, "can not be set for pod eviction, try after removing the option"),
		}
		return nil, apierrors.NewInvalid(v1Eviction.GroupKind(), name, errs)
	}
	originalDeleteOptions, err := propagateDryRun(eviction, options)
	if err != nil {
		return nil, err
	}
	if createValidation != nil {
		if err := createValidation(ctx, eviction.DeepCopyObject()); err != nil {
			return nil, err
		}
	}

	var pod *corev1.Pod
	deletedPod := false
	// By default retry conflicts; a caller's resourceVersion precondition is final.
	shouldRetry := apierrors.IsConflict
	if !resourceVersionIsUnset(originalDeleteOptions) {
		shouldRetry = func(error) bool { return false }
	}
	err = retry.OnError(EvictionsRetry, shouldRetry, func() error {
		pod, err = r.getPod(ctx, eviction.Name)
		if err != nil {
			return err
		}
		// A pod that is not running (pending or terminal) or already terminating causes
		// no further disruption: it is deleted without looking at budgets.
		if !canIgnorePDB(pod) {
			return nil
		}
		deleteOptions := originalDeleteOptions
		// A caller's resourceVersion may be older than the pod just read and must win.
		if shouldEnforceResourceVersion(pod) && resourceVersionIsUnset(originalDeleteOptions) {
			// Make sure no PDB-impacting change to the pod races with the delete.
			deleteOptions = deleteOptions.DeepCopy()
			setPreconditionsResourceVersion(deleteOptions, &pod.ResourceVersion)
		}
		if err := r.addConditionAndDeletePod(ctx, eviction.Name, deleteOptions); err != nil {
			return err
		}
		deletedPod = true
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case deletedPod:
		return &metav1.Status{Status: metav1.StatusSuccess}, nil
	}

	var rtStatus *metav1.Status
	var pdbName string
	updateDeletionOptions := false
	err = func() error {
		pdbs, err := r.getPodDisruptionBudgets(ctx, pod)
		if err != nil {
			return err
		}
		if len(pdbs) > 1 {
			rtStatus = &metav1.Status{
				Status:  metav1.StatusFailure,
				Message: "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
				Code:    500,
			}
			return nil
		}
		if len(pdbs) == 0 {
			return nil
		}
		pdb := &pdbs[0]
		pdbName = pdb.Name

		// Readiness is upstream's current notion of a healthy pod: only healthy pods are
		// guarded by the budget.
		if !isPodReady(pod) {
			if pdb.Spec.UnhealthyPodEvictionPolicy != nil && *pdb.Spec.UnhealthyPodEvictionPolicy == policyv1.AlwaysAllow {
				// An unhealthy pod counts in neither currentHealthy nor desiredHealthy.
				updateDeletionOptions = true
				return nil
			}
			// IfHealthyBudget (the default): deleting an unready pod does not disrupt an
			// application that has all the healthy pods it needs.
			if pdb.Status.CurrentHealthy >= pdb.Status.DesiredHealthy && pdb.Status.DesiredHealthy > 0 {
				updateDeletionOptions = true
				return nil
			}
			// Otherwise checkAndDecrement decides.
		}

		refresh := false
		return retry.RetryOnConflict(EvictionsRetry, func() error {
			if refresh {
				pdb, err = r.pdbs.PodDisruptionBudgets(pod.Namespace).Get(ctx, pdbName, metav1.GetOptions{})
				if err != nil {
					return err
				}
			}
			// Verify and decrement; if it was false already, or became false during the
			// retries, that is a 429.
			if err := r.checkAndDecrement(ctx, pod.Namespace, pod.Name, *pdb, dryrun.IsDryRun(originalDeleteOptions.DryRun)); err != nil {
				refresh = true
				return err
			}
			return nil
		})
	}()
	if wait.Interrupted(err) {
		err = apierrors.NewTimeoutError(fmt.Sprintf("couldn't update PodDisruptionBudget %q due to conflicts", pdbName), 10)
	}
	if err != nil {
		return nil, err
	}
	if rtStatus != nil {
		return rtStatus, nil
	}

	// There was no budget, or it was decremented, or the pod was unready and the budget
	// has enough healthy pods.
	deleteOptions := originalDeleteOptions
	if updateDeletionOptions {
		// The pod must not have turned ready since it was judged unhealthy.
		deleteOptions = deleteOptions.DeepCopy()
		setPreconditionsResourceVersion(deleteOptions, &pod.ResourceVersion)
	}
	if err := r.addConditionAndDeletePod(ctx, eviction.Name, deleteOptions); err != nil {
		if apierrors.IsConflict(err) && updateDeletionOptions &&
			(originalDeleteOptions.Preconditions == nil || originalDeleteOptions.Preconditions.ResourceVersion == nil) {
			// The precondition was ours, not the caller's: ask the client to retry.
			return nil, createTooManyRequestsError(pdbName)
		}
		return nil, err
	}
	return &metav1.Status{Status: metav1.StatusSuccess}, nil
}

// addConditionAndDeletePod marks the pod with the DisruptionTarget condition, then
// deletes it with options.
func (r *evictionREST) addConditionAndDeletePod(ctx context.Context, name string, options *metav1.DeleteOptions) error {
	if !dryrun.IsDryRun(options.DryRun) {
		getLatestPod := func(_ context.Context, _, oldObj runtime.Object) (runtime.Object, error) {
			// Only the latest stored pod matters, so the condition is added without
			// conflicts; the caller's preconditions still apply to it.
			latestPod := oldObj.(*corev1.Pod).DeepCopy()
			if options.Preconditions != nil {
				if uid := options.Preconditions.UID; uid != nil && len(*uid) > 0 && *uid != latestPod.UID {
					return nil, apierrors.NewConflict(
						schema.GroupResource{Group: "", Resource: "Pod"},
						latestPod.Name,
						fmt.Errorf("the UID in the precondition (%s) does not match the UID in record (%s). The object might have been deleted and then recreated", *uid, latestPod.UID),
					)
				}
				if rv := options.Preconditions.ResourceVersion; rv != nil && len(*rv) > 0 && *rv != latestPod.ResourceVersion {
					return nil, apierrors.NewConflict(
						schema.GroupResource{Group: "", Resource: "Pod"},
						latestPod.Name,
						fmt.Errorf("the ResourceVersion in the precondition (%s) does not match the ResourceVersion in record (%s). The object might have been modified", *rv, latestPod.ResourceVersion),
					)
				}
			}
			return latestPod, nil
		}
		conditionAppender := func(_ context.Context, newObj, _ runtime.Object) (runtime.Object, error) {
			pod := newObj.(*corev1.Pod)
			setPodCondition(&pod.Status, corev1.PodCondition{
				Type:    corev1.DisruptionTarget,
				Status:  corev1.ConditionTrue,
				Reason:  "EvictionByEvictionAPI",
				Message: "Eviction API: evicting",
			})
			return pod, nil
		}
		podUpdatedObjectInfo := rest.DefaultUpdatedObjectInfo(nil, getLatestPod, conditionAppender) // order important

		updated, _, err := r.status.Update(ctx, name, podUpdatedObjectInfo, rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false, &metav1.UpdateOptions{})
		if err != nil {
			return err
		}
		if !resourceVersionIsUnset(options) {
			newResourceVersion, err := meta.NewAccessor().ResourceVersion(updated)
			if err != nil {
				return err
			}
			// We changed the pod ourselves: the precondition moves with it.
			options = options.DeepCopy()
			options.Preconditions.ResourceVersion = &newResourceVersion
		}
	}
	_, _, err := r.pods.Delete(ctx, name, rest.ValidateAllObjectFunc, options)
	return err
}

func (r *evictionREST) getPod(ctx context.Context, name string) (*corev1.Pod, error) {
	obj, err := r.pods.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return obj.(*corev1.Pod), nil
}

func setPreconditionsResourceVersion(deleteOptions *metav1.DeleteOptions, resourceVersion *string) {
	if deleteOptions.Preconditions == nil {
		deleteOptions.Preconditions = &metav1.Preconditions{}
	}
	deleteOptions.Preconditions.ResourceVersion = resourceVersion
}

// canIgnorePDB reports whether the pod may be deleted without checking budgets: it is
// pending, terminal or already being deleted.
func canIgnorePDB(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed ||
		pod.Status.Phase == corev1.PodPending || !pod.DeletionTimestamp.IsZero()
}

// shouldEnforceResourceVersion is false for terminal and terminating pods; any other
// pod could become ready (and guarded) between the read and the delete.
func shouldEnforceResourceVersion(pod *corev1.Pod) bool {
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed || !pod.DeletionTimestamp.IsZero() {
		return false
	}
	return true
}

func resourceVersionIsUnset(options *metav1.DeleteOptions) bool {
	return options.Preconditions == nil || options.Preconditions.ResourceVersion == nil
}

// isPodReady is upstream's podutil.IsPodReady.
func isPodReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func createTooManyRequestsError(name string) error {
	// Even without time-based budgets a small suggested delay stops well-behaved
	// clients from hammering the server.
	err := apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 10)
	err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{Type: policyv1.DisruptionBudgetCause, Message: fmt.Sprintf("The disruption budget %s is still being processed by the server.", name)})
	return err
}

// checkAndDecrement checks that pdb allows a disruption and takes it, recording the pod
// in status.disruptedPods, through a status update that fails with a conflict if the
// budget changed since it was read.
func (r *evictionREST) checkAndDecrement(ctx context.Context, namespace, podName string, pdb policyv1.PodDisruptionBudget, dryRun bool) error {
	if pdb.Status.ObservedGeneration < pdb.Generation {
		return createTooManyRequestsError(pdb.Name)
	}
	if pdb.Status.DisruptionsAllowed < 0 {
		err := apierrors.NewForbidden(policyv1.Resource("poddisruptionbudget"), pdb.Name, errors.New("pdb disruptions allowed is negative"))
		err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{
			Type:    policyv1.DisruptionBudgetCause,
			Message: fmt.Sprintf("The disruption budget %s does not allow evicting pods currently: pdb disruptions allowed is negative", pdb.Name),
		})
		return err
	}
	if len(pdb.Status.DisruptedPods) > MaxDisruptedPodSize {
		err := apierrors.NewForbidden(policyv1.Resource("poddisruptionbudget"), pdb.Name, errors.New("DisruptedPods map too big - too many evictions not confirmed by PDB controller"))
		err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{
			Type:    policyv1.DisruptionBudgetCause,
			Message: fmt.Sprintf("The disruption budget %s does not allow evicting pods currently: too many pending evictions not confirmed by PDB controller", pdb.Name),
		})
		return err
	}
	if pdb.Status.DisruptionsAllowed == 0 {
		err := apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 0)
		condition := meta.FindStatusCondition(pdb.Status.Conditions, policyv1.DisruptionAllowedCondition)
		var msg string
		switch {
		// A failed sync first: desiredHealthy and currentHealthy are not trustworthy then.
		case condition != nil && condition.Status == metav1.ConditionFalse && len(condition.Message) > 0 && condition.Reason == policyv1.SyncFailedReason:
			msg = fmt.Sprintf("The disruption budget %s does not allow evicting pods currently because it failed sync: %s", pdb.Name, condition.Message)
		case pdb.Status.CurrentHealthy <= pdb.Status.DesiredHealthy:
			msg = fmt.Sprintf("The disruption budget %s needs %d healthy pods and has %d currently", pdb.Name, pdb.Status.DesiredHealthy, pdb.Status.CurrentHealthy)
		case condition != nil && condition.Status == metav1.ConditionFalse && len(condition.Message) > 0:
			msg = fmt.Sprintf("The disruption budget %s does not allow evicting pods currently (%s): %s", pdb.Name, condition.Reason, condition.Message)
		default:
			msg = fmt.Sprintf("The disruption budget %s does not allow evicting pods currently", pdb.Name)
		}
		err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{Type: policyv1.DisruptionBudgetCause, Message: msg})
		return err
	}

	pdb.Status.DisruptionsAllowed--
	if pdb.Status.DisruptionsAllowed == 0 {
		pdbhelper.UpdateDisruptionAllowedCondition(&pdb)
	}
	if dryRun {
		return nil
	}
	if pdb.Status.DisruptedPods == nil {
		pdb.Status.DisruptedPods = make(map[string]metav1.Time)
	}
	// The disruption controller must not count the pod as available while it goes; if it
	// is not gone within its timeout, the controller drops the entry again.
	pdb.Status.DisruptedPods[podName] = metav1.Time{Time: time.Now()}
	if _, err := r.pdbs.PodDisruptionBudgets(namespace).UpdateStatus(ctx, &pdb, metav1.UpdateOptions{}); err != nil {
		return err
	}
	return nil
}

// getPodDisruptionBudgets returns the budgets whose selector matches the pod.
func (r *evictionREST) getPodDisruptionBudgets(ctx context.Context, pod *corev1.Pod) ([]policyv1.PodDisruptionBudget, error) {
	pdbList, err := r.pdbs.PodDisruptionBudgets(pod.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var pdbs []policyv1.PodDisruptionBudget
	for _, pdb := range pdbList.Items {
		if pdb.Namespace != pod.Namespace {
			continue
		}
		selector, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil {
			// This object has an invalid selector, it does not match the pod
			continue
		}
		if !selector.Matches(labels.Set(pod.Labels)) {
			continue
		}
		pdbs = append(pdbs, pdb)
	}
	return pdbs, nil
}
