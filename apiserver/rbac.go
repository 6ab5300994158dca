package apiserver

import (
	"fmt"

	"k8s.io/apiserver/pkg/registry/generic"
	registryrest "k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/informers"
	"k8s.io/klog/v2"

	"github.com/k1s-dev/k1s/apiserver/auth/rbac/aggregation"
	"github.com/k1s-dev/k1s/apiserver/registry/authentication"
	"github.com/k1s-dev/k1s/apiserver/registry/authorization"
	rbacregistry "github.com/k1s-dev/k1s/apiserver/registry/rbac"
)

// clusterRoleAggregationHookName names the hook that runs the ClusterRole aggregation
// controller, which upstream runs in kube-controller-manager.
const clusterRoleAggregationHookName = "start-clusterrole-aggregation-controller"

// rbacStorage serves rbac.authorization.k8s.io/v1; its escalation checks ask the
// server's authorizer.
func (s *Server) rbacStorage(optsGetter generic.RESTOptionsGetter) (map[string]registryrest.Storage, error) {
	return rbacregistry.NewStorage(optsGetter, s.security.authorizer)
}

// authorizationStorage serves authorization.k8s.io/v1 from the server's authorizer and
// rule resolver.
func (s *Server) authorizationStorage(generic.RESTOptionsGetter) (map[string]registryrest.Storage, error) {
	return authorization.NewStorage(s.security.authorizer, s.security.ruleResolver), nil
}

// authenticationStorage serves authentication.k8s.io/v1; TokenReviews use the server's
// authenticator and audiences.
func (s *Server) authenticationStorage(generic.RESTOptionsGetter) (map[string]registryrest.Storage, error) {
	return authentication.NewStorage(s.security.authenticator, s.security.apiAudiences), nil
}

// addRBACHooks reconciles the bootstrap roles and bindings before the server reports
// ready ("rbac/bootstrap-roles", as upstream) and keeps aggregated ClusterRoles filled.
func (s *Server) addRBACHooks(factory informers.SharedInformerFactory) error {
	if err := s.generic.AddPostStartHook(rbacregistry.PostStartHookName, rbacregistry.PostStartHook(s.loopback, rbacregistry.BootstrapPolicy())); err != nil {
		return err
	}
	aggregator, err := aggregation.New(factory.Rbac().V1().ClusterRoles(), s.loopback.RbacV1())
	if err != nil {
		return fmt.Errorf("creating the clusterrole aggregation controller: %w", err)
	}
	return s.generic.AddPostStartHook(clusterRoleAggregationHookName, func(ctx genericapiserver.PostStartHookContext) error {
		go aggregator.Run(klog.NewContext(ctx, klog.FromContext(ctx).WithName("clusterrole-aggregation")), 1)
		return nil
	})
}
