package rbac

import (
	"context"
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/klog/v2"

	rbacv1helpers "github.com/k1s-dev/k1s/apiserver/apis/rbac/v1"
)

// RequestToRuleMapper finds the rules that apply to a user in a namespace.
type RequestToRuleMapper interface {
	// RulesFor returns every rule found and the errors met while looking. Rules only
	// grant, so a partial list is still safe to decide on.
	RulesFor(ctx context.Context, subject user.Info, namespace string) ([]rbacv1.PolicyRule, error)

	// VisitRulesFor calls visitor with each rule that applies to user in namespace and
	// each error met; visiting stops when visitor returns false. rule is nil when err
	// is set.
	VisitRulesFor(ctx context.Context, user user.Info, namespace string, visitor func(source fmt.Stringer, rule *rbacv1.PolicyRule, err error) bool)
}

var (
	_ authorizer.Authorizer   = &RBACAuthorizer{}
	_ authorizer.RuleResolver = &RBACAuthorizer{}
)

// RBACAuthorizer allows a request when a rule bound to its user allows it, and otherwise
// has no opinion: RBAC never denies.
type RBACAuthorizer struct {
	authorizationRuleResolver RequestToRuleMapper
}

// New returns an RBAC authorizer reading roles and bindings through the given getters.
func New(roles RoleGetter, roleBindings RoleBindingLister, clusterRoles ClusterRoleGetter, clusterRoleBindings ClusterRoleBindingLister) *RBACAuthorizer {
	return &RBACAuthorizer{authorizationRuleResolver: NewDefaultRuleResolver(roles, roleBindings, clusterRoles, clusterRoleBindings)}
}

// authorizingVisitor stops at the first rule that allows the request and collects the
// resolution errors met before it.
type authorizingVisitor struct {
	requestAttributes authorizer.Attributes

	allowed bool
	reason  string
	errors  []error
}

func (v *authorizingVisitor) visit(source fmt.Stringer, rule *rbacv1.PolicyRule, err error) bool {
	if rule != nil && RuleAllows(v.requestAttributes, rule) {
		v.allowed = true
		v.reason = fmt.Sprintf("RBAC: allowed by %s", source.String())
		return false
	}
	if err != nil {
		v.errors = append(v.errors, err)
	}
	return true
}

// Authorize implements authorizer.Authorizer.
func (r *RBACAuthorizer) Authorize(ctx context.Context, requestAttributes authorizer.Attributes) (authorizer.Decision, string, error) {
	visitor := &authorizingVisitor{requestAttributes: requestAttributes}
	r.authorizationRuleResolver.VisitRulesFor(ctx, requestAttributes.GetUser(), requestAttributes.GetNamespace(), visitor.visit)
	if visitor.allowed {
		return authorizer.DecisionAllow, visitor.reason, nil
	}

	// Build the detailed denial only when it is logged.
	if logger := klog.FromContext(ctx).V(5); logger.Enabled() {
		logger.Info("RBAC: no rules authorize user",
			"user", requestAttributes.GetUser().GetName(), "groups", requestAttributes.GetUser().GetGroups(),
			"operation", describeOperation(requestAttributes), "scope", describeScope(requestAttributes))
	}

	reason := ""
	if len(visitor.errors) > 0 {
		reason = fmt.Sprintf("RBAC: %v", utilerrors.NewAggregate(visitor.errors))
	}
	return authorizer.DecisionNoOpinion, reason, nil
}

func describeOperation(a authorizer.Attributes) string {
	if !a.IsResourceRequest() {
		return fmt.Sprintf("%q nonResourceURL %q", a.GetVerb(), a.GetPath())
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%q resource %q", a.GetVerb(), qualifiedResource(a))
	if a.GetName() != "" {
		fmt.Fprintf(&b, " named %q", a.GetName())
	}
	return b.String()
}

func qualifiedResource(a authorizer.Attributes) string {
	resource := a.GetResource()
	if a.GetAPIGroup() != "" {
		resource += "." + a.GetAPIGroup()
	}
	if a.GetSubresource() != "" {
		resource += "/" + a.GetSubresource()
	}
	return resource
}

func describeScope(a authorizer.Attributes) string {
	if ns := a.GetNamespace(); ns != "" {
		return fmt.Sprintf("in namespace %q", ns)
	}
	return "cluster-wide"
}

// ConditionsAwareAuthorize implements authorizer.Authorizer: RBAC has no conditions, so
// this is Authorize's decision.
func (r *RBACAuthorizer) ConditionsAwareAuthorize(ctx context.Context, requestAttributes authorizer.Attributes) authorizer.ConditionsAwareDecision {
	return authorizer.ConditionsAwareDecisionFromParts(r.Authorize(ctx, requestAttributes))
}

// EvaluateConditions implements authorizer.Authorizer; RBAC has no conditions to evaluate.
func (*RBACAuthorizer) EvaluateConditions(_ context.Context, _ authorizer.ConditionsAwareDecision, _ authorizer.ConditionsData) (authorizer.Decision, string, error) {
	return authorizer.DecisionDeny, "", authorizer.ErrorConditionEvaluationNotSupported
}

// RulesFor implements authorizer.RuleResolver: the rules user holds in namespace (cluster
// rules included), split into resource and non-resource rules. The list is never marked
// incomplete; resolution errors are returned beside it.
func (r *RBACAuthorizer) RulesFor(ctx context.Context, user user.Info, namespace string) ([]authorizer.ResourceRuleInfo, []authorizer.NonResourceRuleInfo, bool, error) {
	var (
		resourceRules    []authorizer.ResourceRuleInfo
		nonResourceRules []authorizer.NonResourceRuleInfo
	)
	policyRules, err := r.authorizationRuleResolver.RulesFor(ctx, user, namespace)
	for _, policyRule := range policyRules {
		if len(policyRule.Resources) > 0 {
			resourceRules = append(resourceRules, &authorizer.DefaultResourceRuleInfo{
				Verbs:         policyRule.Verbs,
				APIGroups:     policyRule.APIGroups,
				Resources:     policyRule.Resources,
				ResourceNames: policyRule.ResourceNames,
			})
		}
		if len(policyRule.NonResourceURLs) > 0 {
			nonResourceRules = append(nonResourceRules, &authorizer.DefaultNonResourceRuleInfo{
				Verbs:           policyRule.Verbs,
				NonResourceURLs: policyRule.NonResourceURLs,
			})
		}
	}
	return resourceRules, nonResourceRules, false, err
}

// RulesAllow reports whether any of rules allows the request.
func RulesAllow(requestAttributes authorizer.Attributes, rules ...rbacv1.PolicyRule) bool {
	for i := range rules {
		if RuleAllows(requestAttributes, &rules[i]) {
			return true
		}
	}
	return false
}

// RuleAllows reports whether rule allows the request. A resource request is matched on
// verb, API group, resource (with its subresource, "pods/status"), and name; a
// non-resource request on verb and path.
func RuleAllows(requestAttributes authorizer.Attributes, rule *rbacv1.PolicyRule) bool {
	if requestAttributes.IsResourceRequest() {
		combinedResource := requestAttributes.GetResource()
		if len(requestAttributes.GetSubresource()) > 0 {
			combinedResource = requestAttributes.GetResource() + "/" + requestAttributes.GetSubresource()
		}
		return rbacv1helpers.VerbMatches(rule, requestAttributes.GetVerb()) &&
			rbacv1helpers.APIGroupMatches(rule, requestAttributes.GetAPIGroup()) &&
			rbacv1helpers.ResourceMatches(rule, combinedResource, requestAttributes.GetSubresource()) &&
			rbacv1helpers.ResourceNameMatches(rule, requestAttributes.GetName())
	}
	return rbacv1helpers.VerbMatches(rule, requestAttributes.GetVerb()) &&
		rbacv1helpers.NonResourceURLMatches(rule, requestAttributes.GetPath())
}
