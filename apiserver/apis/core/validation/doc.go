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

// Package validation holds the semantic validation of core/v1 objects that
// k1s serves: Pods (and Bindings), Nodes, Services, Namespaces, ConfigMaps,
// Secrets, ServiceAccounts, Endpoints and core Events.
//
// k1s has no internal API types, so this is a port of Kubernetes'
// pkg/apis/core/validation (v1.37) onto the external k8s.io/api/core/v1
// types. Function names, field paths, error types and messages are kept
// identical to upstream on purpose: kubectl users and clients that match
// on error text must see exactly what a real kube-apiserver would return.
// Derived from Kubernetes code, Copyright The Kubernetes Authors, Apache-2.0.
//
// This package must never import k8s.io/kubernetes (nor
// k8s.io/component-helpers, which is not a dependency of k1s); the few
// upstream helpers that validation needs (resource-name classification,
// sysctl namespaces, downward API field paths, pod-level resource
// aggregation, pod validation options) are re-implemented here.
//
// Callers must pass objects that are already defaulted (see
// apiserver/apis/core/v1) and, for updates, whose disabled-feature fields
// have already been dropped by the registry strategy, just as upstream does.
// Because there is no v1->internal conversion in k1s, the two places where
// upstream conversion normalises a v1 object before validation are emulated
// here: Secret.stringData is merged over Secret.data, and Node.spec.podCIDR
// is folded into spec.podCIDRs, before those fields are checked.
//
// Feature gates are fixed at their v1.37 defaults (e.g. PodLevelResources,
// ContainerRestartRules, RestartAllContainersOnContainerExits, EnvFiles,
// SELinuxMount, StrictIPCIDRValidation, ClearingNominatedNodeNameAfterBinding,
// PreferSameTrafficDistribution and RelaxedServiceNameValidation are on;
// TaintTolerationComparisonOperators, UserNamespacesHostNetworkSupport,
// ImageVolumeWithDigest and InPlacePodVerticalScalingMemoryBackedVolumes are
// off). As upstream, objects that already use a feature keep validating
// under the rules they were admitted with (see
// GetValidationOptionsFromPodSpecAndMeta).
//
// Deliberately not ported:
//   - Kinds k1s does not serve from this package: PersistentVolume(Claim)
//     (only the claim-spec checks needed by ephemeral volumes are kept),
//     ReplicationController, PodTemplate, LimitRange, ResourceQuota,
//     RangeAllocation.
//   - Pod resize (the resize subresource) and the in-place vertical scaling
//     rules that only apply to it.
//   - Declarative-only rules that upstream generates for alpha fields which
//     its strategies drop while their gates are off (spec.evictionResponders,
//     node spec.podPreemptionPolicy).
//   - Checks that upstream leaves to the REST layer rather than validation,
//     so they are not here either: nodePort/clusterIP allocation and ranges,
//     RequireDualStack feasibility, ipFamilyPolicy defaulting.
//   - The privileged-container cluster policy is a package setting
//     (SetAllowPrivileged) instead of upstream's global capabilities; it
//     defaults to allowing privileged containers.
package validation
