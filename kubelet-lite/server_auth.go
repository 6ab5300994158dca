package kubeletlite

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/authenticatorfactory"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/authorization/authorizerfactory"
	authorizationcel "k8s.io/apiserver/pkg/authorization/cel"
	"k8s.io/klog/v2"
)

// Defaults of the kubelet's webhook authentication and authorization caches
// (KubeletConfiguration authentication.webhook.cacheTTL, authorization.webhook
// cacheAuthorizedTTL / cacheUnauthorizedTTL).
const (
	DefaultAuthenticationCacheTTL     = 2 * time.Minute
	DefaultAuthorizationAuthorizedTTL = 5 * time.Minute
	DefaultAuthorizationDeniedTTL     = 30 * time.Second
)

// Kubelet API paths whose authorization attributes differ from the default
// nodes/proxy (pkg/kubelet/server/server.go).
const (
	statsPath         = "/stats/"
	metricsPath       = "/metrics"
	logsPath          = "/logs/"
	checkpointPath    = "/checkpoint/"
	statuszPath       = "/statusz"
	flagzPath         = "/flagz"
	allocatedPodsPath = "/allocatedPods"
	podsPath          = "/pods"
	runningPodsPath   = "/runningpods/"
	healthzPath       = "/healthz"
	configzPath       = "/configz"
)

// sharedCELCompiler is built once per process: the delegating authorizer
// insists on a CEL compiler even without match conditions, and building a CEL
// environment per kubelet would cost 1,000 kubelets hundreds of megabytes.
var sharedCELCompiler = sync.OnceValue(authorizationcel.NewDefaultCompiler)

// webhookRetryBackoff is the kubelet's (DefaultAuthWebhookRetryBackoff).
func webhookRetryBackoff() *wait.Backoff {
	return &wait.Backoff{Duration: 500 * time.Millisecond, Factor: 1.5, Jitter: 0.2, Steps: 5}
}

// apiAuth is the kubelet API's authenticator and authorizer, built as the
// kubelet builds them (cmd/kubelet/app/auth.go): client certificates verified
// against the client CA, bearer tokens through TokenReview and every decision
// through SubjectAccessReview, both with the kubelet's own client and cached.
// Anonymous requests are not authenticated (--anonymous-auth=false), so they
// get 401.
type apiAuth struct {
	authn authenticator.Request
	authz authorizer.Authorizer
}

func (k *Kubelet) buildAPIAuth() (*apiAuth, error) { return k.buildAPIAuthWith(k.client) }

// buildAPIAuthWith builds the auth with a given client. The reviews are sent
// through the client's RESTClient, which fake clientsets do not have, so unit
// tests pass a client of an httptest server.
func (k *Kubelet) buildAPIAuthWith(client Client) (*apiAuth, error) {
	authn, _, err := authenticatorfactory.DelegatingAuthenticatorConfig{
		TokenAccessReviewClient:            client.AuthenticationV1(),
		TokenAccessReviewTimeout:           10 * time.Second,
		WebhookRetryBackoff:                webhookRetryBackoff(),
		CacheTTL:                           k.cfg.AuthenticationCacheTTL,
		ClientCertificateCAContentProvider: k.cfg.ClientCA,
	}.New()
	if err != nil {
		return nil, fmt.Errorf("building the kubelet API authenticator: %w", err)
	}
	authz, err := authorizerfactory.DelegatingAuthorizerConfig{
		SubjectAccessReviewClient: client.AuthorizationV1(),
		AllowCacheTTL:             k.cfg.AuthorizationAuthorizedTTL,
		DenyCacheTTL:              k.cfg.AuthorizationDeniedTTL,
		WebhookRetryBackoff:       webhookRetryBackoff(),
		Compiler:                  sharedCELCompiler(),
	}.New()
	if err != nil {
		return nil, fmt.Errorf("building the kubelet API authorizer: %w", err)
	}
	return &apiAuth{authn: authn, authz: authz}, nil
}

func isSubpath(subpath, path string) bool {
	path = strings.TrimSuffix(path, "/")
	return subpath == path || (strings.HasPrefix(subpath, path) && subpath[len(path)] == '/')
}

// requestAttributes maps a kubelet API request to the authorization
// attributes upstream's nodeAuthorizerAttributesGetter builds (with
// KubeletFineGrainedAuthz, GA and locked on in v1.36): the verb from the HTTP
// method, resource nodes, name the node, and a subresource from the path.
// Several attributes mean "any of these allows it": /pods is allowed by
// nodes/pods or, as before fine-grained authorization, by nodes/proxy.
func requestAttributes(u user.Info, r *http.Request, nodeName string) []authorizer.Attributes {
	verb := ""
	switch r.Method {
	case http.MethodPost:
		verb = "create"
	case http.MethodGet:
		verb = "get"
	case http.MethodPut:
		verb = "update"
	case http.MethodPatch:
		verb = "patch"
	case http.MethodDelete:
		verb = "delete"
	}
	p := r.URL.Path
	var subresources []string
	switch {
	case isSubpath(p, allocatedPodsPath), isSubpath(p, podsPath), isSubpath(p, runningPodsPath):
		subresources = append(subresources, "pods")
	case isSubpath(p, healthzPath):
		subresources = append(subresources, "healthz")
	case isSubpath(p, configzPath):
		subresources = append(subresources, "configz")
	}
	switch {
	case isSubpath(p, statsPath):
		subresources = append(subresources, "stats")
	case isSubpath(p, metricsPath):
		subresources = append(subresources, "metrics")
	case isSubpath(p, logsPath):
		// "log" to match the other log subresources (pods/log).
		subresources = append(subresources, "log")
	case isSubpath(p, checkpointPath):
		subresources = append(subresources, "checkpoint")
	case isSubpath(p, statuszPath):
		subresources = append(subresources, "statusz")
	case isSubpath(p, flagzPath):
		subresources = append(subresources, "configz")
	default:
		subresources = append(subresources, "proxy")
	}
	attrs := make([]authorizer.Attributes, 0, len(subresources))
	for _, sub := range subresources {
		attrs = append(attrs, authorizer.AttributesRecord{
			User:            u,
			Verb:            verb,
			APIVersion:      "v1",
			Resource:        "nodes",
			Subresource:     sub,
			Name:            nodeName,
			ResourceRequest: true,
			Path:            p,
		})
	}
	return attrs
}

// writeText answers with a plain-text body, as go-restful's WriteErrorString
// does for the kubelet's auth filter (no trailing newline is added).
func writeText(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, msg)
}

// authFilter is upstream's InstallAuthFilter: 401 when the request carries
// no valid credentials, 403 with upstream's message when no attribute is
// allowed, 500 when the authorizer fails.
func authFilter(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logger := klog.FromContext(r.Context())
		s := apiServerFrom(r.Context())
		if s == nil {
			// Only a wiring mistake gets here: the server puts the kubelet in every
			// request's context.
			writeText(w, http.StatusInternalServerError, "Internal Server Error")
			return
		}
		auth, err := s.auth()
		if err != nil {
			logger.Error(err, "Unable to build the kubelet API authenticator")
			writeText(w, http.StatusInternalServerError, "Internal Server Error")
			return
		}
		resp, ok, err := auth.authn.AuthenticateRequest(r)
		if err != nil {
			logger.V(2).Info("Unable to authenticate the request", "err", err)
			writeText(w, http.StatusUnauthorized, "Unauthorized")
			return
		}
		if !ok {
			writeText(w, http.StatusUnauthorized, "Unauthorized")
			return
		}
		attrs := requestAttributes(resp.User, r, s.k.nodeName)
		allowed, msg, code := authorize(r.Context(), auth.authz, attrs)
		if !allowed {
			if code == http.StatusForbidden {
				logger.V(2).Info("Forbidden", "user", resp.User.GetName(), "verb", attrs[0].GetVerb(), "path", r.URL.Path)
			}
			writeText(w, code, msg)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authorize asks the authorizer about each attribute until one is allowed.
// It returns the message and status of a refusal.
func authorize(ctx context.Context, authz authorizer.Authorizer, attrs []authorizer.Attributes) (bool, string, int) {
	var subresources []string
	for _, attr := range attrs {
		subresources = append(subresources, attr.GetSubresource())
		decision, _, err := authz.Authorize(ctx, attr)
		if err != nil {
			klog.FromContext(ctx).Error(err, "Authorization error", "user", attr.GetUser().GetName(), "verb", attr.GetVerb(), "resource", attr.GetResource(), "subresource", attr.GetSubresource())
			return false, fmt.Sprintf("Authorization error (user=%s, verb=%s, resource=%s, subresource=%s)", attr.GetUser().GetName(), attr.GetVerb(), attr.GetResource(), attr.GetSubresource()), http.StatusInternalServerError
		}
		if decision == authorizer.DecisionAllow {
			return true, "", 0
		}
	}
	if len(attrs) == 0 {
		return false, "Authorization error: could not determine attributes for request", http.StatusForbidden
	}
	// The attributes differ only by subresource, so the first one speaks for all.
	return false, fmt.Sprintf("Forbidden (user=%s, verb=%s, resource=%s, subresource(s)=%v)\n", attrs[0].GetUser().GetName(), attrs[0].GetVerb(), attrs[0].GetResource(), subresources), http.StatusForbidden
}
