package apiserver

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle"
	apiserverapi "k8s.io/apiserver/pkg/apis/apiserver"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/group"
	"k8s.io/apiserver/pkg/authentication/request/anonymous"
	"k8s.io/apiserver/pkg/authentication/request/bearertoken"
	requestunion "k8s.io/apiserver/pkg/authentication/request/union"
	"k8s.io/apiserver/pkg/authentication/request/websocket"
	"k8s.io/apiserver/pkg/authentication/request/x509"
	tokenunion "k8s.io/apiserver/pkg/authentication/token/union"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/authorization/authorizerfactory"
	authorizationunion "k8s.io/apiserver/pkg/authorization/union"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/keyutil"

	"github.com/k1s-dev/k1s/apiserver/admission/defaulttolerationseconds"
	"github.com/k1s-dev/k1s/apiserver/admission/noderestriction"
	"github.com/k1s-dev/k1s/apiserver/admission/nodetaint"
	serviceaccountadmission "github.com/k1s-dev/k1s/apiserver/admission/serviceaccount"
	"github.com/k1s-dev/k1s/apiserver/auth/bootstrappolicy"
	"github.com/k1s-dev/k1s/apiserver/auth/bootstraptoken"
	"github.com/k1s-dev/k1s/apiserver/auth/node"
	"github.com/k1s-dev/k1s/apiserver/auth/rbac"
	"github.com/k1s-dev/k1s/apiserver/auth/serviceaccount"
	"github.com/k1s-dev/k1s/apiserver/auth/tokenfile"
	"github.com/k1s-dev/k1s/apiserver/auth/x509cache"
	"github.com/k1s-dev/k1s/apiserver/registry/core"
)

// security is what the authentication and authorization stage hands to the rest of the
// server: the authorizer the "escalate" and "bind" checks and the access reviews ask,
// the rule resolver behind SelfSubjectRulesReview, the token issuer of
// serviceaccounts/token, and the authenticator and audiences TokenReview uses.
type security struct {
	authorizer   authorizer.Authorizer
	ruleResolver authorizer.RuleResolver
	tokenRequest *core.TokenRequestOptions
	apiAudiences authenticator.Audiences
	// authenticator returns the server's request authenticator as the generic server
	// completed it (with its loopback token), for TokenReview.
	authenticator func() authenticator.Request
}

// anonymousPaths are the only paths anonymous requests reach: upstream's
// system:public-info-viewer paths, which the bootstrap policy grants system:unauthenticated.
// Upstream allows anonymous requests everywhere by default (and lets RBAC refuse them with
// 403); limiting them by path, as its AuthenticationConfiguration's anonymous conditions
// do, keeps every other anonymous request a 401.
var anonymousPaths = []string{"/healthz", "/livez", "/readyz", "/version"}

// applySecurity is the authentication and authorization stage: who a request is from
// and whether it may do what it asks. It is kept in one place so that it can be replaced
// whole.
//
// Authentication, in kube-apiserver's order: client certificates signed by the cluster CA
// (user = CN, groups = O), then bearer tokens: the static token file (--token-auth-file,
// where k1s keeps its kubelets' tokens), service account JWTs (signed with
// --service-account-key-file's keys, for --api-audiences, of service accounts and bound
// objects that still exist) and bootstrap tokens (kube-system secrets); every
// authenticated user is also in system:authenticated. The generic server adds its own
// loopback token in front. Requests with no credentials are anonymous
// (system:anonymous, system:unauthenticated) only on anonymousPaths, and refused (401)
// elsewhere; bad credentials are refused everywhere. Authorization, in kube-apiserver's
// order: members of system:masters may do everything, then the Node authorizer
// (kubelets), then RBAC.
//
// Lookups (roles and bindings, service accounts, pods, secrets, nodes) go through
// informers of factory, registered here (so call this before the factory starts), and
// for service account tokens fall back to live reads through client.
func applySecurity(gc *genericapiserver.Config, cfg Config, factory informers.SharedInformerFactory, client kubernetes.Interface) (*security, error) {
	clientCA, err := dynamiccertificates.NewDynamicCAContentFromFile("client-ca", cfg.ClientCAFile)
	if err != nil {
		return nil, fmt.Errorf("loading --client-ca-file: %w", err)
	}
	if err := gc.Authentication.ApplyClientCert(clientCA, gc.SecureServing); err != nil {
		return nil, fmt.Errorf("configuring client certificates: %w", err)
	}

	apiAudiences := authenticator.Audiences(cfg.APIAudiences)
	if len(apiAudiences) == 0 {
		apiAudiences = authenticator.Audiences(cfg.ServiceAccountIssuers)
	}
	issuer, publicKeys, err := loadServiceAccountKeys(cfg)
	if err != nil {
		return nil, err
	}
	serviceAccountTokens := serviceaccount.NewAuthenticator(cfg.ServiceAccountIssuers, publicKeys, apiAudiences,
		serviceaccount.NewValidator(serviceaccount.NewGetterFromInformers(client, factory), nil))
	bootstrapTokens := bootstraptoken.New(factory.Core().V1().Secrets().Lister().Secrets(metav1.NamespaceSystem), nil)
	tokenAuthenticators := []authenticator.Token{serviceAccountTokens, authenticator.WrapAudienceAgnosticToken(apiAudiences, bootstrapTokens)}
	if cfg.TokenAuthFile != "" {
		staticTokens, err := tokenfile.New(cfg.TokenAuthFile, nil)
		if err != nil {
			return nil, err
		}
		// First, as kube-apiserver orders its bearer token methods: local before remote.
		tokenAuthenticators = append([]authenticator.Token{authenticator.WrapAudienceAgnosticToken(apiAudiences, staticTokens)}, tokenAuthenticators...)
	}
	tokens := tokenunion.New(tokenAuthenticators...)

	// Upstream's x509 authenticator verifies the client certificate chain on every request,
	// although a connection's peer certificates never change; with a thousand kubelets,
	// each with its own certificate and a steady stream of requests, that was about 5% of
	// the process's CPU. x509cache remembers successes per (chain, CA pool), within the
	// certificates' validity and for at most x509cache.TTL; a CA reload misses it.
	clientCerts := x509cache.New(x509.NewDynamic(clientCA.VerifyOptions, x509.CommonNameUserConversion), clientCA.VerifyOptions, nil)
	authn := group.NewAuthenticatedGroupAdder(requestunion.New(
		clientCerts,
		bearertoken.New(tokens),
		websocket.NewProtocolAuthenticator(tokens),
	))
	if cfg.AnonymousAuth {
		conditions := make([]apiserverapi.AnonymousAuthCondition, len(anonymousPaths))
		for i, path := range anonymousPaths {
			conditions[i].Path = path
		}
		// Fail on error: a bad token is refused, not taken for anonymous.
		authn = requestunion.NewFailOnError(authn, anonymous.NewAuthenticator(conditions))
	}
	gc.Authentication.Authenticator = authn
	gc.Authentication.APIAudiences = apiAudiences

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
	return &security{
		authorizer:   authz,
		ruleResolver: gc.RuleResolver,
		tokenRequest: &core.TokenRequestOptions{
			Issuer:                issuer,
			APIAudiences:          apiAudiences,
			MaxExpiration:         cfg.ServiceAccountMaxTokenExpiration,
			ExtendExpiration:      cfg.ServiceAccountExtendTokenExpiration,
			MaxExtendedExpiration: serviceaccount.ExpirationExtensionSeconds * time.Second,
		},
		apiAudiences:  apiAudiences,
		authenticator: func() authenticator.Request { return gc.Authentication.Authenticator },
	}, nil
}

// loadServiceAccountKeys reads the token signing key (--service-account-signing-key-file)
// into an issuer for the first --service-account-issuer, and the verification keys
// (--service-account-key-file, each file may hold several, public or private).
func loadServiceAccountKeys(cfg Config) (serviceaccount.TokenGenerator, *serviceaccount.PublicKeys, error) {
	signingKey, err := keyutil.PrivateKeyFromFile(cfg.ServiceAccountSigningKeyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("loading --service-account-signing-key-file: %w", err)
	}
	issuer, err := serviceaccount.JWTTokenGenerator(cfg.ServiceAccountIssuers[0], signingKey)
	if err != nil {
		return nil, nil, fmt.Errorf("building the service account token issuer: %w", err)
	}
	var keys []any
	for _, file := range cfg.ServiceAccountKeyFiles {
		fileKeys, err := keyutil.PublicKeysFromFile(file)
		if err != nil {
			return nil, nil, fmt.Errorf("loading --service-account-key-file: %w", err)
		}
		keys = append(keys, fileKeys...)
	}
	publicKeys, err := serviceaccount.NewPublicKeys(keys)
	if err != nil {
		return nil, nil, fmt.Errorf("loading --service-account-key-file: %w", err)
	}
	return issuer, publicKeys, nil
}

// newAdmission is the admission chain, in upstream's order for the plugins k1s has:
// NamespaceLifecycle refuses objects in missing or terminating namespaces and protects the
// system namespaces from deletion; ServiceAccount gives pods their service account and
// its token volume; NodeRestriction keeps each kubelet to its own Node, Lease, pods and
// their tokens; TaintNodesByCondition gives new Nodes the not-ready:NoSchedule taint,
// which the node lifecycle controller removes once they are Ready; DefaultTolerationSeconds
// gives pods their 300 s tolerations of the not-ready and unreachable taints.
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
		serviceaccountadmission.New(client, factory),
		noderestriction.New(factory),
		nodetaint.New(),
		defaulttolerationseconds.New(defaulttolerationseconds.DefaultSeconds, defaulttolerationseconds.DefaultSeconds),
	), nil
}
