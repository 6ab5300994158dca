package rbac

import (
	"reflect"

	rbacv1 "k8s.io/api/rbac/v1"
)

type simpleResource struct {
	Group             string
	Resource          string
	ResourceNameExist bool
	ResourceName      string
}

// CompactRules merges rules that name one API group, one resource and at most one
// resource name and differ only in verbs. It is a fast pass that suits the broken-down
// "missing rules" of a coverage check, so escalation errors stay readable.
func CompactRules(rules []rbacv1.PolicyRule) ([]rbacv1.PolicyRule, error) {
	compacted := make([]rbacv1.PolicyRule, 0, len(rules))
	simpleRules := map[simpleResource]*rbacv1.PolicyRule{}
	// Keep the first-seen order of simple rules so the result is deterministic.
	var order []simpleResource
	for _, rule := range rules {
		resource, isSimple := isSimpleResourceRule(&rule)
		if !isSimple {
			compacted = append(compacted, rule)
			continue
		}
		if existingRule, ok := simpleRules[resource]; ok {
			if existingRule.Verbs == nil {
				existingRule.Verbs = []string{}
			}
			existingRule.Verbs = append(existingRule.Verbs, rule.Verbs...)
		} else {
			simpleRules[resource] = rule.DeepCopy()
			order = append(order, resource)
		}
	}
	for _, resource := range order {
		compacted = append(compacted, *simpleRules[resource])
	}
	return compacted, nil
}

// isSimpleResourceRule reports whether rule holds only verbs, one API group, one resource
// and at most one resource name.
func isSimpleResourceRule(rule *rbacv1.PolicyRule) (simpleResource, bool) {
	resource := simpleResource{}
	if len(rule.ResourceNames) > 1 || len(rule.NonResourceURLs) > 0 {
		return resource, false
	}
	if len(rule.APIGroups) != 1 || len(rule.Resources) != 1 {
		return resource, false
	}
	simpleRule := &rbacv1.PolicyRule{APIGroups: rule.APIGroups, Resources: rule.Resources, Verbs: rule.Verbs, ResourceNames: rule.ResourceNames}
	if !reflect.DeepEqual(simpleRule, rule) {
		return resource, false
	}
	if len(rule.ResourceNames) == 0 {
		return simpleResource{Group: rule.APIGroups[0], Resource: rule.Resources[0]}, true
	}
	return simpleResource{Group: rule.APIGroups[0], Resource: rule.Resources[0], ResourceNameExist: true, ResourceName: rule.ResourceNames[0]}, true
}
