package scheme

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	appsdefaults "github.com/k1s-dev/k1s/apiserver/apis/apps/v1"
	authenticationdefaults "github.com/k1s-dev/k1s/apiserver/apis/authentication/v1"
	batchdefaults "github.com/k1s-dev/k1s/apiserver/apis/batch/v1"
	coordinationdefaults "github.com/k1s-dev/k1s/apiserver/apis/coordination/v1"
	coredefaults "github.com/k1s-dev/k1s/apiserver/apis/core/v1"
	discoverydefaults "github.com/k1s-dev/k1s/apiserver/apis/discovery/v1"
	eventsdefaults "github.com/k1s-dev/k1s/apiserver/apis/events/v1"
	policydefaults "github.com/k1s-dev/k1s/apiserver/apis/policy/v1"
	rbacdefaults "github.com/k1s-dev/k1s/apiserver/apis/rbac/v1"
)

var defaulters = []func(*runtime.Scheme) error{
	coredefaults.RegisterDefaults,
	coordinationdefaults.RegisterDefaults,
	discoverydefaults.RegisterDefaults,
	eventsdefaults.RegisterDefaults,
	appsdefaults.RegisterDefaults,
	batchdefaults.RegisterDefaults,
	policydefaults.RegisterDefaults,
	rbacdefaults.RegisterDefaults,
	authenticationdefaults.RegisterDefaults,
}

// fieldLabels are the field selectors each kind supports beyond metadata.name and
// metadata.namespace (upstream's AddFieldLabelConversionsFor* functions). The registries
// compute the same fields for filtering; a label missing here is rejected with 400.
var fieldLabels = map[schema.GroupVersionKind][]string{
	corev1.SchemeGroupVersion.WithKind("Pod"): {
		"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
		"spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName",
	},
	corev1.SchemeGroupVersion.WithKind("Node"):      {"spec.unschedulable"},
	corev1.SchemeGroupVersion.WithKind("Namespace"): {"status.phase"},
	corev1.SchemeGroupVersion.WithKind("Secret"):    {"type"},
	corev1.SchemeGroupVersion.WithKind("Service"):   {"spec.clusterIP", "spec.type"},
	corev1.SchemeGroupVersion.WithKind("Event"): {
		"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
		"involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
		"reason", "reportingComponent", "source", "type",
	},
	eventsv1.SchemeGroupVersion.WithKind("Event"): {
		"regarding.kind", "regarding.namespace", "regarding.name", "regarding.uid",
		"regarding.apiVersion", "regarding.resourceVersion", "regarding.fieldPath",
		"reason", "reportingController", "type", "deprecatedSource",
	},
	coordinationv1.SchemeGroupVersion.WithKind("Lease"):         {},
	discoveryv1.SchemeGroupVersion.WithKind("EndpointSlice"):    {},
	appsv1.SchemeGroupVersion.WithKind("ReplicaSet"):            {"status.replicas"},
	batchv1.SchemeGroupVersion.WithKind("Job"):                  {"status.successful"},
	policyv1.SchemeGroupVersion.WithKind("PodDisruptionBudget"): {},
	rbacv1.SchemeGroupVersion.WithKind("Role"):                  {},
}

// eventsFieldLabelToCore maps events.k8s.io/v1 field labels onto the core Event fields
// that the (shared) storage filters on, as upstream's events conversion does.
var eventsFieldLabelToCore = map[string]string{
	"regarding.kind":            "involvedObject.kind",
	"regarding.namespace":       "involvedObject.namespace",
	"regarding.name":            "involvedObject.name",
	"regarding.uid":             "involvedObject.uid",
	"regarding.apiVersion":      "involvedObject.apiVersion",
	"regarding.resourceVersion": "involvedObject.resourceVersion",
	"regarding.fieldPath":       "involvedObject.fieldPath",
	"reportingController":       "reportingComponent",
	"deprecatedSource":          "source",
}

func addFieldLabelConversions(s *runtime.Scheme) error {
	for gvk, labels := range fieldLabels {
		allowed := map[string]bool{"metadata.name": true, "metadata.namespace": true}
		for _, l := range labels {
			allowed[l] = true
		}
		isEvents := gvk.Group == eventsv1.GroupName
		if err := s.AddFieldLabelConversionFunc(gvk, func(label, value string) (string, string, error) {
			if !allowed[label] {
				return "", "", fmt.Errorf("field label not supported: %s", label)
			}
			if mapped, ok := eventsFieldLabelToCore[label]; ok && isEvents {
				label = mapped
			}
			if label == "status.podIPs" {
				// Upstream filters on the primary IP for both spellings.
				label = "status.podIP"
			}
			return label, value, nil
		}); err != nil {
			return err
		}
	}
	return nil
}
