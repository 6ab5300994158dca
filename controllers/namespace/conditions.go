package namespace

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
)

// conditionUpdater turns the errors and leftovers of one deletion pass into
// namespace status conditions, as upstream's namespaceConditionUpdater does.
// now stamps every condition it creates, so that tests on a fake clock see
// deterministic times.
type conditionUpdater struct {
	now                 metav1.Time
	newConditions       []corev1.NamespaceCondition
	deleteContentErrors []error
}

// conditionTypes are the namespace conditions this controller owns, in the
// order they are added to a namespace.
var conditionTypes = []corev1.NamespaceConditionType{
	corev1.NamespaceDeletionDiscoveryFailure,
	corev1.NamespaceDeletionGVParsingFailure,
	corev1.NamespaceDeletionContentFailure,
	corev1.NamespaceContentRemaining,
	corev1.NamespaceFinalizersRemaining,
}

// The reasons and messages of the "all is well" (status False) variants.
var (
	okMessages = map[corev1.NamespaceConditionType]string{
		corev1.NamespaceDeletionDiscoveryFailure: "All resources successfully discovered",
		corev1.NamespaceDeletionGVParsingFailure: "All legacy kube types successfully parsed",
		corev1.NamespaceDeletionContentFailure:   "All content successfully deleted, may be waiting on finalization",
		corev1.NamespaceContentRemaining:         "All content successfully removed",
		corev1.NamespaceFinalizersRemaining:      "All content-preserving finalizers finished",
	}
	okReasons = map[corev1.NamespaceConditionType]string{
		corev1.NamespaceDeletionDiscoveryFailure: "ResourcesDiscovered",
		corev1.NamespaceDeletionGVParsingFailure: "ParsedGroupVersions",
		corev1.NamespaceDeletionContentFailure:   "ContentDeleted",
		corev1.NamespaceContentRemaining:         "ContentRemoved",
		corev1.NamespaceFinalizersRemaining:      "ContentHasNoFinalizers",
	}
)

// The reasons of the failing (status True) variants.
const (
	reasonDiscoveryFailed           = "DiscoveryFailed"
	reasonGroupVersionParsingFailed = "GroupVersionParsingFailed"
	reasonContentDeletionFailed     = "ContentDeletionFailed"
	reasonSomeResourcesRemain       = "SomeResourcesRemain"
	reasonSomeFinalizersRemain      = "SomeFinalizersRemain"
)

// processGroupVersionErr records a failure to parse a discovered group version.
func (u *conditionUpdater) processGroupVersionErr(err error) {
	u.newConditions = append(u.newConditions, corev1.NamespaceCondition{
		Type:               corev1.NamespaceDeletionGVParsingFailure,
		Status:             corev1.ConditionTrue,
		LastTransitionTime: u.now,
		Reason:             reasonGroupVersionParsingFailed,
		Message:            err.Error(),
	})
}

// processDiscoverResourcesErr records a (possibly partial) discovery failure.
func (u *conditionUpdater) processDiscoverResourcesErr(err error) {
	msg := err.Error()
	var derr *discovery.ErrGroupDiscoveryFailed
	if errors.As(err, &derr) {
		msg = fmt.Sprintf("Discovery failed for some groups, %d failing: %v", len(derr.Groups), err)
	}
	u.newConditions = append(u.newConditions, corev1.NamespaceCondition{
		Type:               corev1.NamespaceDeletionDiscoveryFailure,
		Status:             corev1.ConditionTrue,
		LastTransitionTime: u.now,
		Reason:             reasonDiscoveryFailed,
		Message:            msg,
	})
}

// processContentTotals records the resources and finalizers still present.
func (u *conditionUpdater) processContentTotals(totals allGVRDeletionMetadata) {
	if len(totals.gvrToNumRemaining) != 0 {
		remaining := []string{}
		for gvr, n := range totals.gvrToNumRemaining {
			if n == 0 {
				continue
			}
			remaining = append(remaining, fmt.Sprintf("%s.%s has %d resource instances", gvr.Resource, gvr.Group, n))
		}
		// Sorted so that an unchanged state does not rewrite the status.
		sort.Strings(remaining)
		u.newConditions = append(u.newConditions, corev1.NamespaceCondition{
			Type:               corev1.NamespaceContentRemaining,
			Status:             corev1.ConditionTrue,
			LastTransitionTime: u.now,
			Reason:             reasonSomeResourcesRemain,
			Message:            fmt.Sprintf("Some resources are remaining: %s", strings.Join(remaining, ", ")),
		})
	}
	if len(totals.finalizersToNumRemaining) != 0 {
		remaining := []string{}
		for finalizer, n := range totals.finalizersToNumRemaining {
			if n == 0 {
				continue
			}
			remaining = append(remaining, fmt.Sprintf("%s in %d resource instances", finalizer, n))
		}
		sort.Strings(remaining)
		u.newConditions = append(u.newConditions, corev1.NamespaceCondition{
			Type:               corev1.NamespaceFinalizersRemaining,
			Status:             corev1.ConditionTrue,
			LastTransitionTime: u.now,
			Reason:             reasonSomeFinalizersRemain,
			Message:            fmt.Sprintf("Some content in the namespace has finalizers remaining: %s", strings.Join(remaining, ", ")),
		})
	}
}

// processDeleteContentErr records a failure to delete one resource's content.
func (u *conditionUpdater) processDeleteContentErr(err error) {
	u.deleteContentErrors = append(u.deleteContentErrors, err)
}

// update writes the collected conditions into ns.Status and reports whether
// anything changed. Every owned condition type is present afterwards: the ones
// with nothing to report get their "ok" variant, so that a condition that was
// failing is seen to recover.
func (u *conditionUpdater) update(ns *corev1.Namespace) bool {
	if getCondition(u.newConditions, corev1.NamespaceDeletionContentFailure) == nil {
		if c := u.makeDeleteContentCondition(); c != nil {
			u.newConditions = append(u.newConditions, *c)
		}
	}
	return u.updateConditions(&ns.Status)
}

func (u *conditionUpdater) makeDeleteContentCondition() *corev1.NamespaceCondition {
	if len(u.deleteContentErrors) == 0 {
		return nil
	}
	msgs := make([]string, 0, len(u.deleteContentErrors))
	for _, e := range u.deleteContentErrors {
		msgs = append(msgs, e.Error())
	}
	sort.Strings(msgs)
	return &corev1.NamespaceCondition{
		Type:               corev1.NamespaceDeletionContentFailure,
		Status:             corev1.ConditionTrue,
		LastTransitionTime: u.now,
		Reason:             reasonContentDeletionFailed,
		Message:            fmt.Sprintf("Failed to delete all resource types, %d remaining: %v", len(u.deleteContentErrors), strings.Join(msgs, ", ")),
	}
}

func (u *conditionUpdater) updateConditions(status *corev1.NamespaceStatus) (changed bool) {
	for _, t := range conditionTypes {
		newCondition := getCondition(u.newConditions, t)
		if newCondition == nil {
			newCondition = &corev1.NamespaceCondition{
				Type:               t,
				Status:             corev1.ConditionFalse,
				LastTransitionTime: u.now,
				Reason:             okReasons[t],
				Message:            okMessages[t],
			}
		}
		oldCondition := getCondition(status.Conditions, t)
		switch {
		case oldCondition == nil:
			status.Conditions = append(status.Conditions, *newCondition)
			changed = true
		case oldCondition.Status != newCondition.Status || oldCondition.Message != newCondition.Message || oldCondition.Reason != newCondition.Reason:
			// The transition time moves only when the status does: a new
			// message for a condition that is still failing is no transition.
			if oldCondition.Status != newCondition.Status {
				oldCondition.LastTransitionTime = u.now
			}
			oldCondition.Status = newCondition.Status
			oldCondition.Reason = newCondition.Reason
			oldCondition.Message = newCondition.Message
			changed = true
		}
	}
	return changed
}

func getCondition(conditions []corev1.NamespaceCondition, t corev1.NamespaceConditionType) *corev1.NamespaceCondition {
	for i := range conditions {
		if conditions[i].Type == t {
			return &conditions[i]
		}
	}
	return nil
}
