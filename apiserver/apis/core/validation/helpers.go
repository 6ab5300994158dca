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

// This file re-implements the small upstream helpers (pkg/apis/core/helper,
// pkg/api/v1/pod, pkg/api/service, pkg/fieldpath, component-helpers) that
// validation depends on, so that the package stays free of
// k8s.io/kubernetes and k8s.io/component-helpers.

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Internal-only constants of pkg/apis/core that have no k8s.io/api
// counterpart.
const (
	// MaxClientIPServiceAffinitySeconds is the upper bound of
	// spec.sessionAffinityConfig.clientIP.timeoutSeconds.
	MaxClientIPServiceAffinitySeconds int32 = 86400

	deprecatedAppArmorAnnotationKeyPrefix            = "container.apparmor.security.beta.kubernetes.io/"
	deprecatedAppArmorAnnotationValueRuntimeDefault  = "runtime/default"
	deprecatedAppArmorAnnotationValueLocalhostPrefix = "localhost/"
	deprecatedAppArmorAnnotationValueUnconfined      = "unconfined"
)

// allowPrivileged stands in for upstream's capabilities.Get().AllowPrivileged
// (the --allow-privileged flag). k1s defaults it to true because that is what
// practically every real cluster runs with.
var allowPrivileged atomic.Bool

func init() {
	allowPrivileged.Store(true)
}

// SetAllowPrivileged sets whether privileged containers (and Windows
// hostProcess containers) are admitted, like kube-apiserver's
// --allow-privileged.
func SetAllowPrivileged(allow bool) {
	allowPrivileged.Store(allow)
}

// ---- resource names (pkg/apis/core/helper) ----

func isHugePageResourceName(name corev1.ResourceName) bool {
	return strings.HasPrefix(string(name), corev1.ResourceHugePagesPrefix)
}

func isHugePageResourceValueDivisible(name corev1.ResourceName, quantity resource.Quantity) bool {
	if !isHugePageResourceName(name) {
		return false
	}
	pageSize, err := resource.ParseQuantity(strings.TrimPrefix(string(name), corev1.ResourceHugePagesPrefix))
	if err != nil {
		return false
	}
	if pageSize.Sign() <= 0 || pageSize.MilliValue()%int64(1000) != int64(0) {
		return false
	}
	return quantity.Value()%pageSize.Value() == 0
}

func isQuotaHugePageResourceName(name corev1.ResourceName) bool {
	return strings.HasPrefix(string(name), corev1.ResourceHugePagesPrefix) ||
		strings.HasPrefix(string(name), corev1.ResourceRequestsHugePagesPrefix)
}

var standardContainerResources = sets.New(
	corev1.ResourceCPU,
	corev1.ResourceMemory,
	corev1.ResourceEphemeralStorage,
)

func isStandardContainerResourceName(name corev1.ResourceName) bool {
	return standardContainerResources.Has(name) || isHugePageResourceName(name)
}

func isNativeResource(name corev1.ResourceName) bool {
	return !strings.Contains(string(name), "/") ||
		strings.Contains(string(name), corev1.ResourceDefaultNamespacePrefix)
}

func isExtendedResourceName(name corev1.ResourceName) bool {
	if isNativeResource(name) || strings.HasPrefix(string(name), corev1.DefaultResourceRequestsPrefix) {
		return false
	}
	// The name must still be a qualified name once quota prefixes it.
	nameForQuota := corev1.DefaultResourceRequestsPrefix + string(name)
	return len(validation.IsQualifiedName(nameForQuota)) == 0
}

func isOvercommitAllowed(name corev1.ResourceName) bool {
	return isNativeResource(name) && !isHugePageResourceName(name)
}

var standardResources = sets.New(
	corev1.ResourceCPU,
	corev1.ResourceMemory,
	corev1.ResourceEphemeralStorage,
	corev1.ResourceRequestsCPU,
	corev1.ResourceRequestsMemory,
	corev1.ResourceRequestsEphemeralStorage,
	corev1.ResourceLimitsCPU,
	corev1.ResourceLimitsMemory,
	corev1.ResourceLimitsEphemeralStorage,
	corev1.ResourcePods,
	corev1.ResourceQuotas,
	corev1.ResourceServices,
	corev1.ResourceReplicationControllers,
	corev1.ResourceSecrets,
	corev1.ResourceConfigMaps,
	corev1.ResourcePersistentVolumeClaims,
	corev1.ResourceStorage,
	corev1.ResourceRequestsStorage,
	corev1.ResourceServicesNodePorts,
	corev1.ResourceServicesLoadBalancers,
)

func isStandardResourceName(name corev1.ResourceName) bool {
	return standardResources.Has(name) || isQuotaHugePageResourceName(name)
}

var integerResources = sets.New(
	corev1.ResourcePods,
	corev1.ResourceQuotas,
	corev1.ResourceServices,
	corev1.ResourceReplicationControllers,
	corev1.ResourceSecrets,
	corev1.ResourceConfigMaps,
	corev1.ResourcePersistentVolumeClaims,
	corev1.ResourceServicesNodePorts,
	corev1.ResourceServicesLoadBalancers,
)

func isIntegerResourceName(name corev1.ResourceName) bool {
	return integerResources.Has(name) || isExtendedResourceName(name)
}

func isNodeAllocatableResourceName(name corev1.ResourceName) bool {
	return name == corev1.ResourceCPU || name == corev1.ResourceMemory || isHugePageResourceName(name)
}

var standardFinalizers = sets.New(
	string(corev1.FinalizerKubernetes),
	metav1.FinalizerOrphanDependents,
	metav1.FinalizerDeleteDependents,
)

func isStandardFinalizerName(str string) bool {
	return standardFinalizers.Has(str)
}

// ---- pod-level resources (component-helpers/resource) ----

var supportedPodLevelResources = sets.New(corev1.ResourceCPU, corev1.ResourceMemory)

func isSupportedPodLevelResource(name corev1.ResourceName) bool {
	return supportedPodLevelResources.Has(name) || strings.HasPrefix(string(name), corev1.ResourceHugePagesPrefix)
}

// supportedPodLevelResourceNames is what NotSupported lists; upstream shows
// the hugepages prefix as a stand-in for all hugepage sizes.
func supportedPodLevelResourceNames() []corev1.ResourceName {
	return sets.List(supportedPodLevelResources.Clone().Insert(corev1.ResourceHugePagesPrefix))
}

func addResourceList(list, newList corev1.ResourceList) {
	for name, quantity := range newList {
		if value, ok := list[name]; !ok {
			list[name] = quantity.DeepCopy()
		} else {
			value.Add(quantity)
			list[name] = value
		}
	}
}

func maxResourceList(list, newList corev1.ResourceList) {
	for name, quantity := range newList {
		if value, ok := list[name]; !ok || quantity.Cmp(value) > 0 {
			list[name] = quantity.DeepCopy()
		}
	}
}

// aggregateContainerResources computes what the containers of a pod need at
// peak: regular and sidecar containers run together, while each classic init
// container runs alone next to the sidecars started before it.
func aggregateContainerResources(spec *corev1.PodSpec, pick func(*corev1.ResourceRequirements) corev1.ResourceList) corev1.ResourceList {
	total := corev1.ResourceList{}
	for i := range spec.Containers {
		addResourceList(total, pick(&spec.Containers[i].Resources))
	}
	sidecars := corev1.ResourceList{}
	initPeak := corev1.ResourceList{}
	for i := range spec.InitContainers {
		c := &spec.InitContainers[i]
		current := corev1.ResourceList{}
		if isRestartableInitContainer(c) {
			addResourceList(total, pick(&c.Resources))
			addResourceList(sidecars, pick(&c.Resources))
			addResourceList(current, sidecars)
		} else {
			addResourceList(current, pick(&c.Resources))
			addResourceList(current, sidecars)
		}
		maxResourceList(initPeak, current)
	}
	maxResourceList(total, initPeak)
	return total
}

func aggregateContainerRequests(spec *corev1.PodSpec) corev1.ResourceList {
	return aggregateContainerResources(spec, func(r *corev1.ResourceRequirements) corev1.ResourceList { return r.Requests })
}

func aggregateContainerLimits(spec *corev1.PodSpec) corev1.ResourceList {
	return aggregateContainerResources(spec, func(r *corev1.ResourceRequirements) corev1.ResourceList { return r.Limits })
}

// ---- containers (pkg/apis/core/pods, pkg/api/v1/pod) ----

type containerVisitorWithPath func(container *corev1.Container, path *field.Path) bool

// visitContainersWithPath calls visitor for every init, regular and ephemeral
// container, in that order, stopping early when visitor returns false.
func visitContainersWithPath(podSpec *corev1.PodSpec, specPath *field.Path, visitor containerVisitorWithPath) bool {
	fldPath := specPath.Child("initContainers")
	for i := range podSpec.InitContainers {
		if !visitor(&podSpec.InitContainers[i], fldPath.Index(i)) {
			return false
		}
	}
	fldPath = specPath.Child("containers")
	for i := range podSpec.Containers {
		if !visitor(&podSpec.Containers[i], fldPath.Index(i)) {
			return false
		}
	}
	fldPath = specPath.Child("ephemeralContainers")
	for i := range podSpec.EphemeralContainers {
		if !visitor((*corev1.Container)(&podSpec.EphemeralContainers[i].EphemeralContainerCommon), fldPath.Index(i)) {
			return false
		}
	}
	return true
}

func isRestartableInitContainer(initContainer *corev1.Container) bool {
	if initContainer == nil || initContainer.RestartPolicy == nil {
		return false
	}
	return *initContainer.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

func findMatchingContainerRestartRule(container corev1.Container, exitCode int32) (corev1.ContainerRestartRule, bool) {
	for _, rule := range container.RestartPolicyRules {
		if rule.ExitCodes == nil {
			continue
		}
		matched := false
		for _, code := range rule.ExitCodes.Values {
			if code == exitCode {
				matched = true
			}
		}
		switch rule.ExitCodes.Operator {
		case corev1.ContainerRestartRuleOnExitCodesOpIn:
			if matched {
				return rule, true
			}
		case corev1.ContainerRestartRuleOnExitCodesOpNotIn:
			if !matched {
				return rule, true
			}
		}
	}
	return corev1.ContainerRestartRule{}, false
}

// containerShouldRestart decides, like the kubelet, whether a container that
// exited with exitCode is restarted: matching rules first, then the
// container-level policy, then the pod-level one.
func containerShouldRestart(container corev1.Container, pod corev1.PodSpec, exitCode int32) bool {
	if container.RestartPolicy != nil {
		if rule, ok := findMatchingContainerRestartRule(container, exitCode); ok {
			switch rule.Action {
			case corev1.ContainerRestartRuleActionRestart, corev1.ContainerRestartRuleActionRestartAllContainers:
				return true
			}
		}
		switch *container.RestartPolicy {
		case corev1.ContainerRestartPolicyAlways:
			return true
		case corev1.ContainerRestartPolicyOnFailure:
			return exitCode != 0
		case corev1.ContainerRestartPolicyNever:
			return false
		}
	}
	switch pod.RestartPolicy {
	case corev1.RestartPolicyOnFailure:
		return exitCode != 0
	case corev1.RestartPolicyNever:
		return false
	default:
		return true
	}
}

func allContainersCouldRestart(pod *corev1.PodSpec) bool {
	if pod == nil {
		return false
	}
	for _, cs := range [][]corev1.Container{pod.InitContainers, pod.Containers} {
		for _, c := range cs {
			for _, rule := range c.RestartPolicyRules {
				if rule.Action == corev1.ContainerRestartRuleActionRestartAllContainers {
					return true
				}
			}
		}
	}
	return false
}

// ---- downward API field paths (pkg/fieldpath, pkg/apis/core/pods) ----

// splitMaybeSubscriptedPath splits "metadata.labels['key']" into its path
// and subscript.
func splitMaybeSubscriptedPath(fieldPath string) (string, string, bool) {
	if !strings.HasSuffix(fieldPath, "']") {
		return fieldPath, "", false
	}
	s := strings.TrimSuffix(fieldPath, "']")
	parts := strings.SplitN(s, "['", 2)
	if len(parts) < 2 || len(parts[0]) == 0 {
		return fieldPath, "", false
	}
	return parts[0], parts[1], true
}

// convertDownwardAPIFieldLabel mirrors the v1 downward API field label
// conversion, which is also what decides whether a label is known at all.
func convertDownwardAPIFieldLabel(version, label, value string) (string, string, error) {
	if version != "v1" {
		return "", "", fmt.Errorf("unsupported pod version: %s", version)
	}
	if path, _, ok := splitMaybeSubscriptedPath(label); ok {
		switch path {
		case "metadata.annotations", "metadata.labels":
			return label, value, nil
		default:
			return "", "", fmt.Errorf("field label does not support subscript: %s", label)
		}
	}
	switch label {
	case "metadata.annotations",
		"metadata.labels",
		"metadata.name",
		"metadata.namespace",
		"metadata.uid",
		"spec.nodeName",
		"spec.restartPolicy",
		"spec.serviceAccountName",
		"spec.schedulerName",
		"status.phase",
		"status.hostIP",
		"status.hostIPs",
		"status.podIP",
		"status.podIPs":
		return label, value, nil
	case "spec.host":
		// Old v1 clients still send spec.host.
		return "spec.nodeName", value, nil
	default:
		return "", "", fmt.Errorf("field label not supported: %s", label)
	}
}

// ---- annotations (pkg/apis/core/helper, component-helpers/scheduling) ----

func getDeletionCostFromPodAnnotations(annotations map[string]string) (int32, error) {
	value, exist := annotations[corev1.PodDeletionCost]
	if !exist {
		return 0, nil
	}
	// "+10" and "008" parse as integers but are rejected to keep a canonical form.
	if !validFirstDigit(value) {
		return 0, fmt.Errorf("invalid value %q", value)
	}
	i, err := strconv.ParseInt(value, 10, 32)
	if err != nil {
		return 0, err
	}
	return int32(i), nil
}

func validFirstDigit(str string) bool {
	if len(str) == 0 {
		return false
	}
	return str[0] == '-' || (str[0] == '0' && str == "0") || (str[0] >= '1' && str[0] <= '9')
}

func getTolerationsFromPodAnnotations(annotations map[string]string) ([]corev1.Toleration, error) {
	var tolerations []corev1.Toleration
	if len(annotations) > 0 && annotations[corev1.TolerationsAnnotationKey] != "" {
		if err := json.Unmarshal([]byte(annotations[corev1.TolerationsAnnotationKey]), &tolerations); err != nil {
			return tolerations, err
		}
	}
	return tolerations, nil
}

func getTaintsFromNodeAnnotations(annotations map[string]string) ([]corev1.Taint, error) {
	var taints []corev1.Taint
	if len(annotations) > 0 && annotations[corev1.TaintsAnnotationKey] != "" {
		if err := json.Unmarshal([]byte(annotations[corev1.TaintsAnnotationKey]), &taints); err != nil {
			return []corev1.Taint{}, err
		}
	}
	return taints, nil
}

func getAvoidPodsFromNodeAnnotations(annotations map[string]string) (corev1.AvoidPods, error) {
	var avoidPods corev1.AvoidPods
	if len(annotations) > 0 && annotations[corev1.PreferAvoidPodsAnnotationKey] != "" {
		if err := json.Unmarshal([]byte(annotations[corev1.PreferAvoidPodsAnnotationKey]), &avoidPods); err != nil {
			return avoidPods, err
		}
	}
	return avoidPods, nil
}

// ---- services (pkg/api/service) ----

func externallyAccessible(service *corev1.Service) bool {
	return service.Spec.Type == corev1.ServiceTypeLoadBalancer ||
		service.Spec.Type == corev1.ServiceTypeNodePort ||
		(service.Spec.Type == corev1.ServiceTypeClusterIP && len(service.Spec.ExternalIPs) > 0)
}

func requestsOnlyLocalTraffic(service *corev1.Service) bool {
	if service.Spec.Type != corev1.ServiceTypeLoadBalancer && service.Spec.Type != corev1.ServiceTypeNodePort {
		return false
	}
	return service.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
}

func needsHealthCheck(service *corev1.Service) bool {
	if service.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return false
	}
	return requestsOnlyLocalTraffic(service)
}

// ---- sysctls (component-helpers/node/util/sysctl) ----

type sysctlNamespace string

const (
	sysctlIPCNamespace     sysctlNamespace = "IPC"
	sysctlNetNamespace     sysctlNamespace = "Net"
	sysctlUnknownNamespace sysctlNamespace = ""
)

var sysctlNameToNamespace = map[string]sysctlNamespace{
	"kernel.sem":             sysctlIPCNamespace,
	"kernel.shmall":          sysctlIPCNamespace,
	"kernel.shmmax":          sysctlIPCNamespace,
	"kernel.shmmni":          sysctlIPCNamespace,
	"kernel.msgmax":          sysctlIPCNamespace,
	"kernel.msgmnb":          sysctlIPCNamespace,
	"kernel.msgmni":          sysctlIPCNamespace,
	"kernel.shm_rmid_forced": sysctlIPCNamespace,
}

var sysctlPrefixToNamespace = map[string]sysctlNamespace{
	"net":       sysctlNetNamespace,
	"fs.mqueue": sysctlIPCNamespace,
}

// normalizeSysctlName turns the slash-separated sysctl notation
// ("net/ipv4/conf/eno2.100/rp_filter") into the dotted one.
func normalizeSysctlName(name string) string {
	firstSep := strings.IndexAny(name, "./")
	if firstSep == -1 || name[firstSep] == '.' {
		return name
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '.':
			return '/'
		case '/':
			return '.'
		}
		return r
	}, name)
}

// sysctlNamespaceOf returns the kernel namespace a sysctl is isolated by.
func sysctlNamespaceOf(sysctl string) sysctlNamespace {
	name := normalizeSysctlName(sysctl)
	if ns, ok := sysctlNameToNamespace[name]; ok {
		return ns
	}
	for prefix, ns := range sysctlPrefixToNamespace {
		if strings.HasPrefix(name, prefix+".") {
			return ns
		}
	}
	return sysctlUnknownNamespace
}
