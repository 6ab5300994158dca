package printers

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/registry/rest"
)

// generator holds every handler. As upstream does for each registry, all
// resources share one generator: a convertor dispatches on the object's Go
// type, so the resource it was handed out for does not restrict it.
var generator = NewTableGenerator().With(AddHandlers)

// printedResources are the resources whose upstream registry uses the
// printers-based convertor. Anything else, including rbac roles and
// clusterroles, uses rest.NewDefaultTableConvertor upstream too.
var printedResources = map[schema.GroupResource]bool{
	{Group: "", Resource: "pods"}:                                         true,
	{Group: "", Resource: "nodes"}:                                        true,
	{Group: "", Resource: "namespaces"}:                                   true,
	{Group: "", Resource: "services"}:                                     true,
	{Group: "", Resource: "endpoints"}:                                    true,
	{Group: "", Resource: "configmaps"}:                                   true,
	{Group: "", Resource: "secrets"}:                                      true,
	{Group: "", Resource: "serviceaccounts"}:                              true,
	{Group: "", Resource: "events"}:                                       true,
	{Group: "events.k8s.io", Resource: "events"}:                          true,
	{Group: "coordination.k8s.io", Resource: "leases"}:                    true,
	{Group: "discovery.k8s.io", Resource: "endpointslices"}:               true,
	{Group: "apps", Resource: "deployments"}:                              true,
	{Group: "apps", Resource: "replicasets"}:                              true,
	{Group: "batch", Resource: "jobs"}:                                    true,
	{Group: "policy", Resource: "poddisruptionbudgets"}:                   true,
	{Group: "rbac.authorization.k8s.io", Resource: "rolebindings"}:        true,
	{Group: "rbac.authorization.k8s.io", Resource: "clusterrolebindings"}: true,
}

// TableConvertorFor returns the table convertor for a served resource; unknown resources get
// the default (Name, Created At) convertor from k8s.io/apiserver/pkg/registry/rest.
func TableConvertorFor(gr schema.GroupResource) rest.TableConvertor {
	if printedResources[gr] {
		return TableConvertor{TableGenerator: generator}
	}
	return rest.NewDefaultTableConvertor(gr)
}
