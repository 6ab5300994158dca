// Portions ported from k8s.io/kubernetes/pkg/api/v1/pod, pkg/apis/core/helper
// and pkg/util/hash (Copyright The Kubernetes Authors, Apache-2.0).

package controllerutil

import (
	"fmt"
	"hash"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/dump"
)

// PodDeletionCostAnnotation is controller.kubernetes.io/pod-deletion-cost: a
// pod with a lower cost is deleted first when a ReplicaSet scales down.
const PodDeletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost"

// IsPodAvailable returns true if a pod has been ready for at least
// minReadySeconds at now.
func IsPodAvailable(pod *corev1.Pod, minReadySeconds int32, now metav1.Time) bool {
	if !IsPodReady(pod) {
		return false
	}
	c := GetPodReadyCondition(pod.Status)
	minReadySecondsDuration := time.Duration(minReadySeconds) * time.Second
	if minReadySeconds == 0 || (!c.LastTransitionTime.IsZero() && c.LastTransitionTime.Add(minReadySecondsDuration).Before(now.Time)) {
		return true
	}
	return false
}

// IsPodReady returns true if a pod's Ready condition is True.
func IsPodReady(pod *corev1.Pod) bool {
	return IsPodReadyConditionTrue(pod.Status)
}

// IsPodTerminal returns true if the pod has succeeded or failed.
func IsPodTerminal(pod *corev1.Pod) bool {
	return IsPodPhaseTerminal(pod.Status.Phase)
}

// IsPodPhaseTerminal returns true if phase is Succeeded or Failed.
func IsPodPhaseTerminal(phase corev1.PodPhase) bool {
	return phase == corev1.PodFailed || phase == corev1.PodSucceeded
}

// IsPodReadyConditionTrue returns true if the status's Ready condition is True.
func IsPodReadyConditionTrue(status corev1.PodStatus) bool {
	condition := GetPodReadyCondition(status)
	return condition != nil && condition.Status == corev1.ConditionTrue
}

// GetPodReadyCondition returns the Ready condition of status, or nil.
func GetPodReadyCondition(status corev1.PodStatus) *corev1.PodCondition {
	_, condition := GetPodCondition(&status, corev1.PodReady)
	return condition
}

// GetPodCondition returns the index and the condition of the given type, or
// -1 and nil.
func GetPodCondition(status *corev1.PodStatus, conditionType corev1.PodConditionType) (int, *corev1.PodCondition) {
	if status == nil {
		return -1, nil
	}
	return GetPodConditionFromList(status.Conditions, conditionType)
}

// GetPodConditionFromList returns the index and the condition of the given
// type in conditions, or -1 and nil.
func GetPodConditionFromList(conditions []corev1.PodCondition, conditionType corev1.PodConditionType) (int, *corev1.PodCondition) {
	for i := range conditions {
		if conditions[i].Type == conditionType {
			return i, &conditions[i]
		}
	}
	return -1, nil
}

// GetDeletionCostFromPodAnnotations returns the integer value of
// pod-deletion-cost, 0 if it is unset or invalid.
func GetDeletionCostFromPodAnnotations(annotations map[string]string) (int32, error) {
	if value, exist := annotations[PodDeletionCostAnnotation]; exist {
		// Values that start with a plus sign ("+10") or leading zeros ("008")
		// are invalid, as the apiserver's validation says.
		if !validFirstDigit(value) {
			return 0, fmt.Errorf("invalid value %q", value)
		}
		i, err := strconv.ParseInt(value, 10, 32)
		if err != nil {
			return 0, err
		}
		return int32(i), nil
	}
	return 0, nil
}

func validFirstDigit(str string) bool {
	if len(str) == 0 {
		return false
	}
	return str[0] == '-' || (str[0] == '0' && str == "0") || (str[0] >= '1' && str[0] <= '9')
}

// DeepHashObject writes objectToWrite to hasher following pointers, so that
// the hash does not change when only a pointer does. ComputeHash depends on
// its exact output: it must stay byte-for-byte upstream's, or every
// Deployment's pod-template-hash would change on upgrade from upstream.
func DeepHashObject(hasher hash.Hash, objectToWrite any) {
	hasher.Reset()
	fmt.Fprintf(hasher, "%v", dump.ForHash(objectToWrite))
}
