/*
Copyright The k1s Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package validation

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	unversionedvalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidatePodCreate validates a pod in the context of its initial create.
func ValidatePodCreate(pod *corev1.Pod) field.ErrorList {
	opts := GetValidationOptionsFromPodSpecAndMeta(&pod.Spec, nil, &pod.ObjectMeta, nil)
	opts.ResourceIsPod = true
	return validatePodCreate(pod, opts)
}

// ValidatePodUpdate tests to see if the update is legal for an end user to
// make: besides metadata, only container images, activeDeadlineSeconds,
// added tolerations, removed scheduling gates (and, for gated pods, added
// node selectors/affinity) may change.
func ValidatePodUpdate(newPod, oldPod *corev1.Pod) field.ErrorList {
	opts := GetValidationOptionsFromPodSpecAndMeta(&newPod.Spec, &oldPod.Spec, &newPod.ObjectMeta, &oldPod.ObjectMeta)
	opts.ResourceIsPod = true
	return validatePodUpdate(newPod, oldPod, opts)
}

// ValidatePodStatusUpdate checks for changes to status that shouldn't occur
// in normal operation.
func ValidatePodStatusUpdate(newPod, oldPod *corev1.Pod) field.ErrorList {
	opts := GetValidationOptionsFromPodSpecAndMeta(&newPod.Spec, &oldPod.Spec, &newPod.ObjectMeta, &oldPod.ObjectMeta)
	opts.ResourceIsPod = true
	return validatePodStatusUpdate(newPod, oldPod, opts)
}

// ValidatePodEphemeralContainersUpdate tests that a user update to
// spec.ephemeralContainers (the ephemeralcontainers subresource) is valid.
// newPod and oldPod must only differ in their ephemeral containers.
func ValidatePodEphemeralContainersUpdate(newPod, oldPod *corev1.Pod) field.ErrorList {
	opts := GetValidationOptionsFromPodSpecAndMeta(&newPod.Spec, &oldPod.Spec, &newPod.ObjectMeta, &oldPod.ObjectMeta)
	return validatePodEphemeralContainersUpdate(newPod, oldPod, opts)
}

// GetValidationOptionsFromPodSpecAndMeta returns the pod validation options
// for a (new, old) pair, the way pkg/api/pod does upstream with the v1.37
// default feature gates. On update, validation that was relaxed or tightened
// over time keeps accepting what the old object already contained, so that
// stored objects stay updatable.
func GetValidationOptionsFromPodSpecAndMeta(podSpec, oldPodSpec *corev1.PodSpec, podMeta, oldPodMeta *metav1.ObjectMeta) PodValidationOptions {
	opts := PodValidationOptions{
		// PodDeletionCost is on: the annotation is validated.
		AllowInvalidPodDeletionCost:                             false,
		PodLevelResourcesEnabled:                                true,
		AllowSidecarResizePolicy:                                true,
		AllowMatchLabelKeysInPodTopologySpread:                  true,
		AllowMatchLabelKeysInPodTopologySpreadSelectorMerge:     true,
		InPlacePodLevelResourcesVerticalScalingEnabled:          true,
		InPlacePodVerticalScalingMemoryBackedVolumesEnabled:     false,
		AllowContainerRestartPolicyRules:                        true,
		AllowRestartAllContainers:                               true,
		AllowImageVolumeWithDigest:                              false,
		AllowExistingRestartContainerForNonSidecarInitContainer: hasRestartContainerForNonSidecarInitContainer(oldPodSpec),
		// RelaxedEnvironmentVariableValidation is GA, EnvFiles is beta (on).
		AllowRelaxedEnvironmentVariableValidation: true,
		AllowEnvFilesValidation:                   true,
		// SELinuxMount is GA: every SELinuxChangePolicy value is accepted.
		AllowOnlyRecursiveSELinuxChangePolicy: false,
		// The gates of these two are alpha (off); existing users keep them.
		AllowUserNamespacesHostNetworkSupport:   oldPodSpec != nil && oldPodSpec.HostUsers != nil && !*oldPodSpec.HostUsers && oldPodSpec.HostNetwork,
		AllowTaintTolerationComparisonOperators: taintTolerationComparisonOperatorsInUse(oldPodSpec),
	}

	if oldPodSpec != nil {
		opts.AllowIndivisibleHugePagesValues = usesIndivisibleHugePagesValues(oldPodSpec)
		opts.AllowInvalidLabelValueInSelector = hasInvalidLabelValueInAffinitySelector(oldPodSpec)
		opts.AllowInvalidLabelValueInRequiredNodeAffinity = hasInvalidLabelValueInRequiredNodeAffinity(oldPodSpec)
		opts.AllowInvalidTopologySpreadConstraintLabelSelector = hasInvalidTopologySpreadConstraintLabelSelector(oldPodSpec)
		// Both MatchLabelKeys gates are on, so only the "selector merge"
		// flavour of the legacy escape hatch applies.
		opts.OldPodViolatesMatchLabelKeysValidation = hasInvalidTopologySpreadConstraintMatchLabelKeys(oldPodSpec)
		opts.AllowNonLocalProjectedTokenPath = hasNonLocalProjectedTokenPath(oldPodSpec)
		if oldPodSpec.SecurityContext != nil {
			for _, s := range oldPodSpec.SecurityContext.Sysctls {
				if ValidateHostSysctl(s.Name, oldPodSpec, nil) != nil {
					opts.AllowNamespacedSysctlsForHostNetAndHostIPC = true
					break
				}
			}
		}
		opts.AllowUserNamespacesWithVolumeDevices = hasUserNamespacesWithVolumeDevices(oldPodSpec)
		opts.AllowEmptyImageVolumeReference = hasEmptyImageVolumeReference(oldPodSpec)
		opts.AllowSysAdminWhenPrivilegeEscalationFalse = hasSysAdminWithPrivilegeEscalationFalse(oldPodSpec)
	}
	if oldPodMeta != nil && !opts.AllowInvalidPodDeletionCost {
		// Only an update of an object whose annotation was valid gets it checked.
		_, err := getDeletionCostFromPodAnnotations(oldPodMeta.Annotations)
		opts.AllowInvalidPodDeletionCost = err != nil
	}
	return opts
}

func hasRestartContainerForNonSidecarInitContainer(spec *corev1.PodSpec) bool {
	if spec == nil {
		return false
	}
	for i := range spec.InitContainers {
		c := &spec.InitContainers[i]
		if isRestartableInitContainer(c) {
			continue
		}
		for _, p := range c.ResizePolicy {
			if p.RestartPolicy == corev1.RestartContainer {
				return true
			}
		}
	}
	return false
}

func taintTolerationComparisonOperatorsInUse(podSpec *corev1.PodSpec) bool {
	if podSpec == nil {
		return false
	}
	for _, toleration := range podSpec.Tolerations {
		if toleration.Operator == corev1.TolerationOpLt || toleration.Operator == corev1.TolerationOpGt {
			return true
		}
	}
	return false
}

func usesIndivisibleHugePagesValues(podSpec *corev1.PodSpec) bool {
	indivisible := func(list corev1.ResourceList) bool {
		for name, quantity := range list {
			if isHugePageResourceName(name) && !isHugePageResourceValueDivisible(name, quantity) {
				return true
			}
		}
		return false
	}
	found := false
	visitContainersWithPath(podSpec, field.NewPath("spec"), func(c *corev1.Container, _ *field.Path) bool {
		found = indivisible(c.Resources.Limits) || indivisible(c.Resources.Requests)
		return !found
	})
	return found || indivisible(podSpec.Overhead)
}

func hasInvalidLabelValueInAffinitySelector(spec *corev1.PodSpec) bool {
	if spec.Affinity == nil {
		return false
	}
	var required []corev1.PodAffinityTerm
	var preferred []corev1.WeightedPodAffinityTerm
	if pa := spec.Affinity.PodAffinity; pa != nil {
		required = append(required, pa.RequiredDuringSchedulingIgnoredDuringExecution...)
		preferred = append(preferred, pa.PreferredDuringSchedulingIgnoredDuringExecution...)
	}
	if paa := spec.Affinity.PodAntiAffinity; paa != nil {
		required = append(required, paa.RequiredDuringSchedulingIgnoredDuringExecution...)
		preferred = append(preferred, paa.PreferredDuringSchedulingIgnoredDuringExecution...)
	}
	for _, term := range required {
		if len(ValidatePodAffinityTermSelector(term, false, nil)) != 0 {
			return true
		}
	}
	for _, term := range preferred {
		if len(ValidatePodAffinityTermSelector(term.PodAffinityTerm, false, nil)) != 0 {
			return true
		}
	}
	return false
}

func hasInvalidLabelValueInRequiredNodeAffinity(spec *corev1.PodSpec) bool {
	if spec == nil || spec.Affinity == nil || spec.Affinity.NodeAffinity == nil ||
		spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return false
	}
	for _, term := range spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		for _, expression := range term.MatchExpressions {
			for _, value := range expression.Values {
				if len(validation.IsValidLabelValue(value)) > 0 {
					return true
				}
			}
		}
	}
	return false
}

func hasInvalidTopologySpreadConstraintLabelSelector(spec *corev1.PodSpec) bool {
	for _, constraint := range spec.TopologySpreadConstraints {
		errs := unversionedvalidation.ValidateLabelSelector(constraint.LabelSelector, unversionedvalidation.LabelSelectorValidationOptions{AllowInvalidLabelValueInSelector: false}, nil)
		if len(errs) != 0 {
			return true
		}
	}
	return false
}

func hasInvalidTopologySpreadConstraintMatchLabelKeys(spec *corev1.PodSpec) bool {
	for _, constraint := range spec.TopologySpreadConstraints {
		if len(ValidateMatchLabelKeysAndMismatchLabelKeys(nil, constraint.MatchLabelKeys, nil, constraint.LabelSelector)) != 0 {
			return true
		}
	}
	return false
}

func hasNonLocalProjectedTokenPath(spec *corev1.PodSpec) bool {
	for _, volume := range spec.Volumes {
		if volume.Projected == nil {
			continue
		}
		for _, source := range volume.Projected.Sources {
			if source.ServiceAccountToken == nil {
				continue
			}
			if len(ValidateLocalNonReservedPath(source.ServiceAccountToken.Path, nil)) != 0 {
				return true
			}
		}
	}
	return false
}

func hasUserNamespacesWithVolumeDevices(podSpec *corev1.PodSpec) bool {
	if podSpec.HostUsers == nil || *podSpec.HostUsers {
		return false
	}
	found := false
	visitContainersWithPath(podSpec, field.NewPath("spec"), func(c *corev1.Container, _ *field.Path) bool {
		found = len(c.VolumeDevices) > 0
		return !found
	})
	return found
}

func hasEmptyImageVolumeReference(podSpec *corev1.PodSpec) bool {
	for _, v := range podSpec.Volumes {
		if v.Image != nil && len(v.Image.Reference) == 0 {
			return true
		}
	}
	return false
}

func hasSysAdminWithPrivilegeEscalationFalse(podSpec *corev1.PodSpec) bool {
	found := false
	visitContainersWithPath(podSpec, field.NewPath("spec"), func(c *corev1.Container, _ *field.Path) bool {
		sc := c.SecurityContext
		if sc == nil || sc.Capabilities == nil || (sc.AllowPrivilegeEscalation != nil && *sc.AllowPrivilegeEscalation) {
			return true
		}
		found = sets.New(sc.Capabilities.Add...).Has("CAP_SYS_ADMIN")
		return !found
	})
	return found
}
