package bootstrappolicy

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	rbacv1helpers "github.com/k1s-dev/k1s/apiserver/apis/rbac/v1"
)

// ControllerRolePrefix starts the name of every per-controller role; the rest of the
// name is the controller's service account in kube-system, which the role is bound to.
const ControllerRolePrefix = "system:controller:"

// controllerRoles are upstream's system:controller:* roles of the controllers k1s runs
// (or will): the node lifecycle and IPAM ("node-controller"), the cloud controllers'
// route and service controllers, workloads, disruption budgets, namespaces, garbage
// collection, endpoints and ClusterRole aggregation.
func controllerRoles() []rbacv1.ClusterRole {
	return []rbacv1.ClusterRole{
		{
			ObjectMeta: metav1.ObjectMeta{Name: ControllerRolePrefix + "clusterrole-aggregation-controller"},
			Rules: []rbacv1.PolicyRule{
				// Full rights on clusterroles, to mutate them in any way.
				rbacv1helpers.NewRule("escalate", "get", "list", "watch", "update", "patch").Groups(rbacGroup).Resources("clusterroles").RuleOrDie(),
			},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: ControllerRolePrefix + "deployment-controller"},
			Rules: []rbacv1.PolicyRule{
				rbacv1helpers.NewRule("get", "list", "watch", "update").Groups(extensionsGroup, appsGroup).Resources("deployments").RuleOrDie(),
				rbacv1helpers.NewRule("update").Groups(extensionsGroup, appsGroup).Resources("deployments/status").RuleOrDie(),
				rbacv1helpers.NewRule("update").Groups(extensionsGroup, appsGroup).Resources("deployments/finalizers").RuleOrDie(),
				rbacv1helpers.NewRule("get", "list", "watch", "create", "update", "patch", "delete").Groups(appsGroup, extensionsGroup).Resources("replicasets").RuleOrDie(),
				rbacv1helpers.NewRule("get", "list", "watch", "update").Groups(legacyGroup).Resources("pods").RuleOrDie(),
				eventsRule(),
			},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: ControllerRolePrefix + "disruption-controller"},
			Rules: []rbacv1.PolicyRule{
				rbacv1helpers.NewRule("get", "list", "watch").Groups(extensionsGroup, appsGroup).Resources("deployments").RuleOrDie(),
				rbacv1helpers.NewRule("get", "list", "watch").Groups(appsGroup, extensionsGroup).Resources("replicasets").RuleOrDie(),
				rbacv1helpers.NewRule("get", "list", "watch").Groups(legacyGroup).Resources("replicationcontrollers").RuleOrDie(),
				rbacv1helpers.NewRule("get", "list", "watch").Groups(policyGroup).Resources("poddisruptionbudgets").RuleOrDie(),
				rbacv1helpers.NewRule("get", "list", "watch").Groups(appsGroup).Resources("statefulsets").RuleOrDie(),
				rbacv1helpers.NewRule("update").Groups(policyGroup).Resources("poddisruptionbudgets/status").RuleOrDie(),
				// Clearing stale DisruptionTarget pod conditions.
				rbacv1helpers.NewRule("patch", "update").Groups(legacyGroup).Resources("pods/status").RuleOrDie(),
				rbacv1helpers.NewRule("get").Groups("*").Resources("*/scale").RuleOrDie(),
				eventsRule(),
			},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: ControllerRolePrefix + "endpoint-controller"},
			Rules: []rbacv1.PolicyRule{
				rbacv1helpers.NewRule("get", "list", "watch").Groups(legacyGroup).Resources("services", "pods").RuleOrDie(),
				rbacv1helpers.NewRule("get", "list", "watch", "create", "update", "delete").Groups(legacyGroup).Resources("endpoints").RuleOrDie(),
				rbacv1helpers.NewRule("create").Groups(legacyGroup).Resources("endpoints/restricted").RuleOrDie(),
				eventsRule(),
			},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: ControllerRolePrefix + "endpointslice-controller"},
			Rules: []rbacv1.PolicyRule{
				rbacv1helpers.NewRule("get", "list", "watch").Groups(legacyGroup).Resources("services", "pods", "nodes").RuleOrDie(),
				// Owner references with blockOwnerDeletion need the owner's finalizers.
				rbacv1helpers.NewRule("update").Groups(legacyGroup).Resources("services/finalizers").RuleOrDie(),
				rbacv1helpers.NewRule("get", "list", "watch", "create", "update", "delete").Groups(discoveryGroup).Resources("endpointslices").RuleOrDie(),
				eventsRule(),
			},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: ControllerRolePrefix + "generic-garbage-collector"},
			Rules: []rbacv1.PolicyRule{
				rbacv1helpers.NewRule("get", "list", "watch", "patch", "update", "delete").Groups("*").Resources("*").RuleOrDie(),
				eventsRule(),
			},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: ControllerRolePrefix + "job-controller"},
			Rules: []rbacv1.PolicyRule{
				rbacv1helpers.NewRule("get", "list", "watch", "update", "patch").Groups(batchGroup).Resources("jobs").RuleOrDie(),
				rbacv1helpers.NewRule("update").Groups(batchGroup).Resources("jobs/status").RuleOrDie(),
				rbacv1helpers.NewRule("update").Groups(batchGroup).Resources("jobs/finalizers").RuleOrDie(),
				rbacv1helpers.NewRule("list", "watch", "create", "delete", "patch").Groups(legacyGroup).Resources("pods").RuleOrDie(),
				eventsRule(),
			},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: ControllerRolePrefix + "namespace-controller"},
			Rules: []rbacv1.PolicyRule{
				rbacv1helpers.NewRule("get", "list", "watch", "delete").Groups(legacyGroup).Resources("namespaces").RuleOrDie(),
				rbacv1helpers.NewRule("update").Groups(legacyGroup).Resources("namespaces/finalize", "namespaces/status").RuleOrDie(),
				rbacv1helpers.NewRule("get", "list", "watch", "delete", "deletecollection").Groups("*").Resources("*").RuleOrDie(),
			},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: ControllerRolePrefix + "node-controller"},
			Rules: []rbacv1.PolicyRule{
				rbacv1helpers.NewRule("get", "list", "watch", "update", "delete", "patch").Groups(legacyGroup).Resources("nodes").RuleOrDie(),
				rbacv1helpers.NewRule("patch", "update").Groups(legacyGroup).Resources("nodes/status").RuleOrDie(),
				// Pod deletion.
				rbacv1helpers.NewRule("patch", "update").Groups(legacyGroup).Resources("pods/status").RuleOrDie(),
				rbacv1helpers.NewRule("list", "watch", "get", "delete").Groups(legacyGroup).Resources("pods").RuleOrDie(),
				rbacv1helpers.NewRule("get", "list", "watch").Groups(coordinationGroup).Resources("leases").RuleOrDie(),
				eventsRule(),
			},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: ControllerRolePrefix + "pod-garbage-collector"},
			Rules: []rbacv1.PolicyRule{
				rbacv1helpers.NewRule("list", "watch", "delete").Groups(legacyGroup).Resources("pods").RuleOrDie(),
				rbacv1helpers.NewRule("get", "list", "watch").Groups(legacyGroup).Resources("nodes").RuleOrDie(),
				rbacv1helpers.NewRule("patch").Groups(legacyGroup).Resources("pods/status").RuleOrDie(),
			},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: ControllerRolePrefix + "replicaset-controller"},
			Rules: []rbacv1.PolicyRule{
				rbacv1helpers.NewRule("get", "list", "watch", "update").Groups(appsGroup, extensionsGroup).Resources("replicasets").RuleOrDie(),
				rbacv1helpers.NewRule("update").Groups(appsGroup, extensionsGroup).Resources("replicasets/status").RuleOrDie(),
				rbacv1helpers.NewRule("update").Groups(appsGroup, extensionsGroup).Resources("replicasets/finalizers").RuleOrDie(),
				rbacv1helpers.NewRule("list", "watch", "patch", "create", "delete").Groups(legacyGroup).Resources("pods").RuleOrDie(),
				eventsRule(),
			},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: ControllerRolePrefix + "route-controller"},
			Rules: []rbacv1.PolicyRule{
				rbacv1helpers.NewRule("list", "watch").Groups(legacyGroup).Resources("nodes").RuleOrDie(),
				rbacv1helpers.NewRule("patch").Groups(legacyGroup).Resources("nodes/status").RuleOrDie(),
				eventsRule(),
			},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: ControllerRolePrefix + "service-account-controller"},
			Rules: []rbacv1.PolicyRule{
				rbacv1helpers.NewRule("create").Groups(legacyGroup).Resources("serviceaccounts").RuleOrDie(),
				eventsRule(),
			},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: ControllerRolePrefix + "service-controller"},
			Rules: []rbacv1.PolicyRule{
				rbacv1helpers.NewRule("get", "list", "watch").Groups(legacyGroup).Resources("services").RuleOrDie(),
				rbacv1helpers.NewRule("patch", "update").Groups(legacyGroup).Resources("services/status").RuleOrDie(),
				rbacv1helpers.NewRule("list", "watch").Groups(legacyGroup).Resources("nodes").RuleOrDie(),
				eventsRule(),
			},
		},
	}
}

// ControllerRoles returns the system:controller:* ClusterRoles.
func ControllerRoles() []rbacv1.ClusterRole {
	roles := controllerRoles()
	for _, role := range roles {
		if !strings.HasPrefix(role.Name, ControllerRolePrefix) {
			panic(fmt.Sprintf("role %q must start with %q", role.Name, ControllerRolePrefix))
		}
	}
	addClusterRoleLabel(roles)
	return roles
}

// ControllerRoleBindings binds each controller role to the service account
// kube-system/<controller>.
func ControllerRoleBindings() []rbacv1.ClusterRoleBinding {
	var bindings []rbacv1.ClusterRoleBinding
	for _, role := range controllerRoles() {
		bindings = append(bindings, rbacv1helpers.NewClusterBinding(role.Name).SAs("kube-system", strings.TrimPrefix(role.Name, ControllerRolePrefix)).BindingOrDie())
	}
	addClusterRoleBindingLabel(bindings)
	return bindings
}

// AllClusterRoles is every bootstrap ClusterRole, controllers' included.
func AllClusterRoles() []rbacv1.ClusterRole {
	return append(ClusterRoles(), ControllerRoles()...)
}

// AllClusterRoleBindings is every bootstrap ClusterRoleBinding, controllers' included.
func AllClusterRoleBindings() []rbacv1.ClusterRoleBinding {
	return append(ClusterRoleBindings(), ControllerRoleBindings()...)
}
