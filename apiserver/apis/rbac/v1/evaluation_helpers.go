package v1

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// VerbMatches reports whether rule allows requestedVerb ("*" allows every verb).
func VerbMatches(rule *rbacv1.PolicyRule, requestedVerb string) bool {
	for _, ruleVerb := range rule.Verbs {
		if ruleVerb == rbacv1.VerbAll || ruleVerb == requestedVerb {
			return true
		}
	}
	return false
}

// APIGroupMatches reports whether rule covers requestedGroup ("*" covers every group).
func APIGroupMatches(rule *rbacv1.PolicyRule, requestedGroup string) bool {
	for _, ruleGroup := range rule.APIGroups {
		if ruleGroup == rbacv1.APIGroupAll || ruleGroup == requestedGroup {
			return true
		}
	}
	return false
}

// ResourceMatches reports whether rule covers combinedRequestedResource ("pods" or
// "pods/status"): "*" covers everything, an exact entry its resource, and "*/status" the
// status subresource of every resource.
func ResourceMatches(rule *rbacv1.PolicyRule, combinedRequestedResource, requestedSubresource string) bool {
	for _, ruleResource := range rule.Resources {
		if ruleResource == rbacv1.ResourceAll || ruleResource == combinedRequestedResource {
			return true
		}
		if len(requestedSubresource) == 0 {
			continue
		}
		if len(ruleResource) == len(requestedSubresource)+2 &&
			strings.HasPrefix(ruleResource, "*/") &&
			strings.HasSuffix(ruleResource, requestedSubresource) {
			return true
		}
	}
	return false
}

// ResourceNameMatches reports whether rule covers requestedName: a rule without
// resourceNames covers every name.
func ResourceNameMatches(rule *rbacv1.PolicyRule, requestedName string) bool {
	if len(rule.ResourceNames) == 0 {
		return true
	}
	for _, ruleName := range rule.ResourceNames {
		if ruleName == requestedName {
			return true
		}
	}
	return false
}

// NonResourceURLMatches reports whether rule covers requestedURL: "*" covers every URL, a
// URL ending in "*" every URL with that prefix.
func NonResourceURLMatches(rule *rbacv1.PolicyRule, requestedURL string) bool {
	for _, ruleURL := range rule.NonResourceURLs {
		if ruleURL == rbacv1.NonResourceAll || ruleURL == requestedURL {
			return true
		}
		if strings.HasSuffix(ruleURL, "*") && strings.HasPrefix(requestedURL, strings.TrimRight(ruleURL, "*")) {
			return true
		}
	}
	return false
}

// CompactString is the compact form of a rule used in escalation error messages, e.g.
// {APIGroups:[""], Resources:["secrets"], Verbs:["get"]}.
func CompactString(r rbacv1.PolicyRule) string {
	var parts []string
	var args []any
	if len(r.APIGroups) > 0 {
		parts = append(parts, "APIGroups:%q")
		args = append(args, r.APIGroups)
	}
	if len(r.Resources) > 0 {
		parts = append(parts, "Resources:%q")
		args = append(args, r.Resources)
	}
	if len(r.NonResourceURLs) > 0 {
		parts = append(parts, "NonResourceURLs:%q")
		args = append(args, r.NonResourceURLs)
	}
	if len(r.ResourceNames) > 0 {
		parts = append(parts, "ResourceNames:%q")
		args = append(args, r.ResourceNames)
	}
	if len(r.Verbs) > 0 {
		parts = append(parts, "Verbs:%q")
		args = append(args, r.Verbs)
	}
	return fmt.Sprintf("{"+strings.Join(parts, ", ")+"}", args...)
}
