package apiserver

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle"
	"k8s.io/apiserver/pkg/authentication/request/x509"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizerfactory"
	authorizationunion "k8s.io/apiserver/pkg/authorization/union"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
)

// applySecurity is the authentication and authorization stage: who a request is from
// and whether it may do what it asks. It is kept in one place so that later stages
// (service account tokens, bootstrap tokens, RBAC, the Node authorizer) replace it whole.
//
// Today: client certificates signed by the cluster CA (user = CN, groups = O), plus the
// generic server's own loopback token; anonymous requests are refused (401); members of
// system:masters may do everything and nobody else may do anything.
func applySecurity(gc *genericapiserver.Config, cfg Config) error {
	clientCA, err := dynamiccertificates.NewDynamicCAContentFromFile("client-ca", cfg.ClientCAFile)
	if err != nil {
		return fmt.Errorf("loading --client-ca-file: %w", err)
	}
	if err := gc.Authentication.ApplyClientCert(clientCA, gc.SecureServing); err != nil {
		return fmt.Errorf("configuring client certificates: %w", err)
	}
	gc.Authentication.Authenticator = x509.NewDynamic(clientCA.VerifyOptions, x509.CommonNameUserConversion)

	authz, err := authorizationunion.New(authorizationunion.NamedAuthorizer{
		AuthorizerName: "system:masters",
		Authorizer:     authorizerfactory.NewPrivilegedGroups(user.SystemPrivilegedGroup),
	})
	if err != nil {
		return err
	}
	gc.Authorization.Authorizer = authz
	return nil
}

// newAdmission is the admission chain, in upstream's order for the plugins k1s has.
// NamespaceLifecycle refuses objects in missing or terminating namespaces and protects
// the system namespaces from deletion.
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
	return admission.NewChainHandler(nsLifecycle), nil
}
