// Package scheme holds the one runtime.Scheme and codec factory of the k1s apiserver.
//
// k1s serves the k8s.io/api Go types directly: there are no internal types. Every served
// group is registered twice, as its external version and, with the same Go types, as
// runtime.APIVersionInternal, so that the generic apiserver (which converts everything it
// reads to the internal version) sees conversion as identity. Without the internal
// registration writes succeed but every read from storage or a watch fails with
// "no kind ... registered for the internal version".
//
// This package must never import the registry or the server: it is the leaf every
// registry package builds on.
package scheme

import (
	"fmt"
	"reflect"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
)

var (
	// Scheme knows every type the apiserver serves, in its external and internal version.
	Scheme = runtime.NewScheme()
	// Codecs serializes and deserializes with Scheme (JSON, YAML, protobuf).
	Codecs = serializer.NewCodecFactory(Scheme)
	// ParameterCodec converts query parameters (ListOptions, ...) with Scheme.
	ParameterCodec = runtime.NewParameterCodec(Scheme)
)

// ServedGroupVersions are the external group versions this apiserver can serve, in
// discovery priority order (core first, as kube-apiserver lists them).
var ServedGroupVersions = []schema.GroupVersion{
	corev1.SchemeGroupVersion,
	coordinationv1.SchemeGroupVersion,
	discoveryv1.SchemeGroupVersion,
	eventsv1.SchemeGroupVersion,
	appsv1.SchemeGroupVersion,
	batchv1.SchemeGroupVersion,
	policyv1.SchemeGroupVersion,
	autoscalingv1.SchemeGroupVersion,
	rbacv1.SchemeGroupVersion,
	authenticationv1.SchemeGroupVersion,
	authorizationv1.SchemeGroupVersion,
}

var adders = []func(*runtime.Scheme) error{
	corev1.AddToScheme,
	coordinationv1.AddToScheme,
	discoveryv1.AddToScheme,
	eventsv1.AddToScheme,
	appsv1.AddToScheme,
	batchv1.AddToScheme,
	policyv1.AddToScheme,
	autoscalingv1.AddToScheme,
	rbacv1.AddToScheme,
	authenticationv1.AddToScheme,
	authorizationv1.AddToScheme,
}

func init() {
	utilruntime.Must(AddToScheme(Scheme))
}

// AddExternalToScheme registers only the external versions of the served groups; the
// OpenAPI definition namer needs such a scheme, or "__internal" leaks into published GVKs.
func AddExternalToScheme(s *runtime.Scheme) error {
	for _, add := range adders {
		if err := add(s); err != nil {
			return err
		}
	}
	return nil
}

// AddToScheme registers every served group, external and internal, plus the unversioned
// meta types and options the generic apiserver expects. It is exported so tests can build
// an isolated scheme.
func AddToScheme(s *runtime.Scheme) error {
	if err := AddExternalToScheme(s); err != nil {
		return err
	}
	for _, gv := range ServedGroupVersions {
		if gv == eventsv1.SchemeGroupVersion {
			continue // its internal types are core's
		}
		if err := addInternal(s, gv); err != nil {
			return err
		}
		s.SetVersionPriority(gv)
	}
	s.SetVersionPriority(eventsv1.SchemeGroupVersion)
	if err := addEventsCohabitation(s); err != nil {
		return err
	}
	for _, register := range defaulters {
		if err := register(s); err != nil {
			return err
		}
	}
	if err := addFieldLabelConversions(s); err != nil {
		return err
	}
	// The generic apiserver decodes options (ListOptions, DeleteOptions, ...) from the empty
	// group; sample-apiserver does the same.
	metav1.AddToGroupVersion(s, schema.GroupVersion{Version: "v1"})
	unversioned := schema.GroupVersion{Group: "", Version: "v1"}
	s.AddUnversionedTypes(unversioned,
		&metav1.Status{}, &metav1.APIVersions{}, &metav1.APIGroupList{}, &metav1.APIGroup{}, &metav1.APIResourceList{})
	return nil
}

// addInternal registers the Go types of gv a second time under the internal version.
// Options and meta types that metav1.AddToGroupVersion put into gv stay external only.
func addInternal(s *runtime.Scheme, gv schema.GroupVersion) error {
	internal := schema.GroupVersion{Group: gv.Group, Version: runtime.APIVersionInternal}
	for kind, t := range s.KnownTypes(gv) {
		if t.PkgPath() == reflect.TypeFor[metav1.Status]().PkgPath() {
			continue
		}
		obj, ok := reflect.New(t).Interface().(runtime.Object)
		if !ok {
			return fmt.Errorf("type %v of %v is not a runtime.Object", t, gv.WithKind(kind))
		}
		s.AddKnownTypeWithName(internal.WithKind(kind), obj)
	}
	return nil
}
