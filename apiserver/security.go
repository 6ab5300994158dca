package apiserver

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle"
	"k8s.io/apiserver/pkg/authentication/group"
	"k8s.io/apiserver/pkg/authentication/request/x509"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/authorization/authorizerfactory"
	authorizationunion "k8s.io/apiserver/pkg/authorization/union"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	"github.com/k1s-dev/k1s/apiserver/admission/defaulttolerationseconds"
	"github.com/k1s-dev/k1s/apiserver/admission/noderestriction"
	"github.com/k1s-dev/k1s/apiserver/auth/bootstrappolicy"
	"github.com/k1s-dev/k1s/apiserver/auth/node"
	"github.com/k1s-dev/k1s/apiserver/auth/rbac"
)

// security is what the authentication and authorization stage hands to the rest of the
// server: the authorizer the "escalate" and "bind" checks and the access reviews ask,
// and the rule resolver behind SelfSubjectRulesReview.
type security struct {
	authorizer   authorizer.Authorizer
	ruleResolver authorizer.RuleResolver
}

// applySecurity is the authentication and authorization stage: who a request is from
// and whether it may do what it asks. It is kept in one place so that later stages
// (service account tokens, bootstrap tokens) replace it whole.
//
// Authentication: client certificates signed by the cluster CA (user = CN, groups = O,
// plus system:authenticated), and the generic server's own loopback token; anonymous
// requests are refused (401). Authorization, in kube-apiserver's order: members of
// system:masters may do everything, then the Node authorizer (kubelets), then RBAC, reading roles and bindings through
// informers of factory (registered here, so call this before the factory starts).
func applySecurity(gc *genericapiserver.Config, cfg Config, factory informers.SharedInformerFactory) (*security, error) {
	clientCA, err := dynamiccertificates.NewDynamicCAContentFromFile("client-ca", cfg.ClientCAFile)
	if err != nil {
		return nil, fmt.Errorf("loading --client-ca-file: %w", err)
	}
	if err := gc.Authentication.ApplyClientCert(clientCA, gc.SecureServing); err != nil {
		return nil, fmt.Errorf("configuring client certificates: %w", err)
	}
	gc.Authentication.Authenticator = group.NewAuthenticatedGroupAdder(x509.NewDynamic(clientCA.VerifyOptions, x509.CommonNameUserConversion))

	rbacAuthorizer := rbac.NewFromInformers(factory.Rbac().V1())
	nodeAuthorizer, err := node.New(factory.Core().V1().Pods(), bootstrappolicy.NodeRules())
	if err != nil {
		return nil, err
	}
	// --authorization-mode=Node,RBAC, after the privileged system:masters group.
	authorizers := []authorizationunion.NamedAuthorizer{
		{AuthorizerName: "system:masters", Authorizer: authorizerfactory.NewPrivilegedGroups(user.SystemPrivilegedGroup)},
		{AuthorizerName: "Node", Authorizer: nodeAuthorizer},
		{AuthorizerName: "RBAC", Authorizer: rbacAuthorizer},
	}
	ruleResolvers := []authorizer.RuleResolver{nodeAuthorizer, rbacAuthorizer}

	authz, err := authorizationunion.New(authorizers...)
	if err != nil {
		return nil, err
	}
	gc.Authorization.Authorizer = authz
	gc.RuleResolver = authorizationunion.NewRuleResolvers(ruleResolvers...)
	return &security{authorizer: authz, ruleResolver: gc.RuleResolver}, nil
}

// newAdmission is the admission chain, in upstream's order for the plugins k1s has:
// NamespaceLifecycle refuses objects in missing or terminating namespaces and protects the
// system namespaces from deletion; NodeRestriction keeps each kubelet to its own Node,
// Lease and pods; DefaultTolerationSeconds gives pods their 300 s tolerations of the
// not-ready and unreachable taints.
func newAdmission(client kubernetes.Interface, factory informers.SharedInformerFactory) (admission.Interface, error) {
	nsLifecycle, err := lifecycle.NewLifecycle(sets.New(metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic))
	if err != nil {
		return nil, err
	}
	nsLifecycle.SetExternalKubeClientSet(client)
	nsLifecycle.SetExternalKubeInformerFactory(factory)
	if err := nsLifecycle.ValidateInitialization(); err != nil {
		return nil, fmt.Errorf("initializing NamespaceLifecycle: %w", err)
	}
	return admission.NewChainHandler(
		nsLifecycle,
		noderestriction.New(factory),
		defaulttolerationseconds.New(defaulttolerationseconds.DefaultSeconds, defaulttolerationseconds.DefaultSeconds),
	), nil
}
