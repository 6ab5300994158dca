package validation

import (
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// wantErr is the single error a case expects; the zero value means "valid".
type wantErr struct {
	typ   field.ErrorType
	field string
}

func check(t *testing.T, errs field.ErrorList, want wantErr) {
	t.Helper()
	if want.typ == "" {
		if len(errs) != 0 {
			t.Fatalf("expected success, got %v", errs)
		}
		return
	}
	for _, err := range errs {
		if err.Type == want.typ && err.Field == want.field {
			return
		}
	}
	t.Errorf("expected a %s error on %s, got %v", want.typ, want.field, errs)
}

var validRef = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "valid"}

func TestValidateClusterRoleBinding(t *testing.T) {
	for name, tc := range map[string]struct {
		binding rbacv1.ClusterRoleBinding
		want    wantErr
	}{
		"valid": {binding: rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "master"},
			RoleRef:    validRef,
			Subjects: []rbacv1.Subject{
				{Name: "validsaname", Namespace: "foo", Kind: rbacv1.ServiceAccountKind},
				{Name: "valid@username", APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind},
				{Name: "valid@groupname", APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind},
			},
		}},
		"name with colon": {binding: rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "system:node"}, RoleRef: validRef}},
		"bad group": {
			binding: rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "default"}, RoleRef: rbacv1.RoleRef{APIGroup: "rbac.GroupName", Kind: "ClusterRole", Name: "valid"}},
			want:    wantErr{field.ErrorTypeNotSupported, "roleRef.apiGroup"},
		},
		"bad kind": {
			binding: rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "default"}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Type", Name: "valid"}},
			want:    wantErr{field.ErrorTypeNotSupported, "roleRef.kind"},
		},
		"reference role": {
			binding: rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "default"}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "valid"}},
			want:    wantErr{field.ErrorTypeNotSupported, "roleRef.kind"},
		},
		"zero-length name": {
			binding: rbacv1.ClusterRoleBinding{RoleRef: validRef},
			want:    wantErr{field.ErrorTypeRequired, "metadata.name"},
		},
		"name that is not a path segment": {
			binding: rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "a/b"}, RoleRef: validRef},
			want:    wantErr{field.ErrorTypeInvalid, "metadata.name"},
		},
		"bad role": {
			binding: rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "default"}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole"}},
			want:    wantErr{field.ErrorTypeRequired, "roleRef.name"},
		},
		"role name that is not a path segment": {
			binding: rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "default"}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: ".."}},
			want:    wantErr{field.ErrorTypeInvalid, "roleRef.name"},
		},
		"bad subject kind": {
			binding: rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "master"}, RoleRef: validRef, Subjects: []rbacv1.Subject{{Name: "subject"}}},
			want:    wantErr{field.ErrorTypeNotSupported, "subjects[0].kind"},
		},
		"bad subject name": {
			binding: rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "master"}, RoleRef: validRef,
				Subjects: []rbacv1.Subject{{Namespace: "foo", Name: "subject:bad", Kind: rbacv1.ServiceAccountKind}}},
			want: wantErr{field.ErrorTypeInvalid, "subjects[0].name"},
		},
		"missing SA namespace": {
			binding: rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "master"}, RoleRef: validRef,
				Subjects: []rbacv1.Subject{{Name: "good", Kind: rbacv1.ServiceAccountKind}}},
			want: wantErr{field.ErrorTypeRequired, "subjects[0].namespace"},
		},
		"missing subject name": {
			binding: rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "master"}, RoleRef: validRef,
				Subjects: []rbacv1.Subject{{Namespace: "foo", Kind: rbacv1.ServiceAccountKind}}},
			want: wantErr{field.ErrorTypeRequired, "subjects[0].name"},
		},
		"SA with API group": {
			binding: rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "master"}, RoleRef: validRef,
				Subjects: []rbacv1.Subject{{Namespace: "foo", Name: "sa", APIGroup: rbacv1.GroupName, Kind: rbacv1.ServiceAccountKind}}},
			want: wantErr{field.ErrorTypeNotSupported, "subjects[0].apiGroup"},
		},
		"user without API group": {
			binding: rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "master"}, RoleRef: validRef,
				Subjects: []rbacv1.Subject{{Name: "alice", Kind: rbacv1.UserKind}}},
			want: wantErr{field.ErrorTypeNotSupported, "subjects[0].apiGroup"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			check(t, ValidateClusterRoleBinding(&tc.binding), tc.want)
		})
	}
}

func TestValidateRoleBinding(t *testing.T) {
	meta := metav1.ObjectMeta{Namespace: metav1.NamespaceDefault, Name: "master"}
	roleRef := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "valid"}
	for name, tc := range map[string]struct {
		binding rbacv1.RoleBinding
		want    wantErr
	}{
		"valid": {binding: rbacv1.RoleBinding{ObjectMeta: meta, RoleRef: roleRef, Subjects: []rbacv1.Subject{
			// A RoleBinding's service account defaults to the binding's namespace.
			{Name: "validsaname", Kind: rbacv1.ServiceAccountKind},
			{Name: "valid@username", APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind},
			{Name: "valid@groupname", APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind},
		}}},
		"cluster role": {binding: rbacv1.RoleBinding{ObjectMeta: meta, RoleRef: validRef}},
		"bad group": {
			binding: rbacv1.RoleBinding{ObjectMeta: meta, RoleRef: rbacv1.RoleRef{APIGroup: "rbac.GroupName", Kind: "ClusterRole", Name: "valid"}},
			want:    wantErr{field.ErrorTypeNotSupported, "roleRef.apiGroup"},
		},
		"bad kind": {
			binding: rbacv1.RoleBinding{ObjectMeta: meta, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Type", Name: "valid"}},
			want:    wantErr{field.ErrorTypeNotSupported, "roleRef.kind"},
		},
		"zero-length namespace": {
			binding: rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "default"}, RoleRef: roleRef},
			want:    wantErr{field.ErrorTypeRequired, "metadata.namespace"},
		},
		"zero-length name": {
			binding: rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: metav1.NamespaceDefault}, RoleRef: roleRef},
			want:    wantErr{field.ErrorTypeRequired, "metadata.name"},
		},
		"bad role": {
			binding: rbacv1.RoleBinding{ObjectMeta: meta, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role"}},
			want:    wantErr{field.ErrorTypeRequired, "roleRef.name"},
		},
		"bad subject kind": {
			binding: rbacv1.RoleBinding{ObjectMeta: meta, RoleRef: roleRef, Subjects: []rbacv1.Subject{{Name: "subject"}}},
			want:    wantErr{field.ErrorTypeNotSupported, "subjects[0].kind"},
		},
		"bad subject name": {
			binding: rbacv1.RoleBinding{ObjectMeta: meta, RoleRef: roleRef, Subjects: []rbacv1.Subject{{Name: "subject:bad", Kind: rbacv1.ServiceAccountKind}}},
			want:    wantErr{field.ErrorTypeInvalid, "subjects[0].name"},
		},
		"missing subject name": {
			binding: rbacv1.RoleBinding{ObjectMeta: meta, RoleRef: roleRef, Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind}}},
			want:    wantErr{field.ErrorTypeRequired, "subjects[0].name"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			check(t, ValidateRoleBinding(&tc.binding), tc.want)
		})
	}
}

func TestValidateBindingUpdateRoleRefImmutable(t *testing.T) {
	roleRef := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "valid"}
	old := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: metav1.NamespaceDefault, Name: "master", ResourceVersion: "1"}, RoleRef: roleRef}
	oldCluster := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "master", ResourceVersion: "1"}, RoleRef: validRef}
	for name, tc := range map[string]struct {
		mutate        func(*rbacv1.RoleBinding)
		mutateCluster func(*rbacv1.ClusterRoleBinding)
		want          wantErr
	}{
		"unchanged": {mutate: func(*rbacv1.RoleBinding) {}, mutateCluster: func(*rbacv1.ClusterRoleBinding) {}},
		"added subject": {
			mutate:        func(b *rbacv1.RoleBinding) { b.Subjects = subjectsAlice },
			mutateCluster: func(b *rbacv1.ClusterRoleBinding) { b.Subjects = subjectsAlice },
		},
		"changed role name": {
			mutate:        func(b *rbacv1.RoleBinding) { b.RoleRef.Name = "changed" },
			mutateCluster: func(b *rbacv1.ClusterRoleBinding) { b.RoleRef.Name = "changed" },
			want:          wantErr{field.ErrorTypeInvalid, "roleRef"},
		},
		"changed role kind": {
			mutate:        func(b *rbacv1.RoleBinding) { b.RoleRef.Kind = "ClusterRole" },
			mutateCluster: func(b *rbacv1.ClusterRoleBinding) { b.RoleRef.APIGroup = "other" },
			want:          wantErr{field.ErrorTypeInvalid, "roleRef"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			updated := old.DeepCopy()
			tc.mutate(updated)
			check(t, ValidateRoleBindingUpdate(updated, old), tc.want)

			updatedCluster := oldCluster.DeepCopy()
			tc.mutateCluster(updatedCluster)
			check(t, ValidateClusterRoleBindingUpdate(updatedCluster, oldCluster), tc.want)
		})
	}
}

var subjectsAlice = []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"}}

func TestValidateRole(t *testing.T) {
	meta := metav1.ObjectMeta{Namespace: "default", Name: "default"}
	for name, tc := range map[string]struct {
		role rbacv1.Role
		want wantErr
	}{
		"valid, no rules": {role: rbacv1.Role{ObjectMeta: meta}},
		"valid resource":  {role: rbacv1.Role{ObjectMeta: meta, Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{"v1"}, Resources: []string{"pods"}}}}},
		"zero-length namespace": {
			role: rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "default"}},
			want: wantErr{field.ErrorTypeRequired, "metadata.namespace"},
		},
		"zero-length name": {
			role: rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: "default"}},
			want: wantErr{field.ErrorTypeRequired, "metadata.name"},
		},
		"namespaced non-resource URL": {
			role: rbacv1.Role{ObjectMeta: meta, Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/*"}}}},
			want: wantErr{field.ErrorTypeInvalid, "rules[0].nonResourceURLs"},
		},
		"mixed non-resource and resource": {
			role: rbacv1.Role{ObjectMeta: meta, Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/*"}, APIGroups: []string{"v1"}, Resources: []string{"pods"}}}},
			want: wantErr{field.ErrorTypeInvalid, "rules[0].nonResourceURLs"},
		},
		"no API group": {
			role: rbacv1.Role{ObjectMeta: meta, Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, Resources: []string{"pods"}}}},
			want: wantErr{field.ErrorTypeRequired, "rules[0].apiGroups"},
		},
		"no resources": {
			role: rbacv1.Role{ObjectMeta: meta, Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{"v1"}}}},
			want: wantErr{field.ErrorTypeRequired, "rules[0].resources"},
		},
		"no verbs": {
			role: rbacv1.Role{ObjectMeta: meta, Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}}}},
			want: wantErr{field.ErrorTypeRequired, "rules[0].verbs"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			check(t, ValidateRole(&tc.role), tc.want)
		})
	}
}

func TestValidateClusterRole(t *testing.T) {
	meta := metav1.ObjectMeta{Name: "default"}
	for name, tc := range map[string]struct {
		role rbacv1.ClusterRole
		opts ClusterRoleValidationOptions
		want wantErr
	}{
		"valid, no rules":  {role: rbacv1.ClusterRole{ObjectMeta: meta}},
		"non-resource URL": {role: rbacv1.ClusterRole{ObjectMeta: meta, Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/*"}}}}},
		"non-resource URL without verbs": {
			role: rbacv1.ClusterRole{ObjectMeta: meta, Rules: []rbacv1.PolicyRule{{Verbs: []string{}, NonResourceURLs: []string{"/*"}}}},
			want: wantErr{field.ErrorTypeRequired, "rules[0].verbs"},
		},
		"namespace set": {
			role: rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: "default"}},
			want: wantErr{field.ErrorTypeForbidden, "metadata.namespace"},
		},
		"aggregation rule": {role: rbacv1.ClusterRole{ObjectMeta: meta, AggregationRule: &rbacv1.AggregationRule{
			ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"rbac.authorization.k8s.io/aggregate-to-view": "true"}}},
		}}},
		"aggregation rule without selectors": {
			role: rbacv1.ClusterRole{ObjectMeta: meta, AggregationRule: &rbacv1.AggregationRule{}},
			want: wantErr{field.ErrorTypeRequired, "aggregationRule.clusterRoleSelectors"},
		},
		"aggregation selector with a bad operator": {
			role: rbacv1.ClusterRole{ObjectMeta: meta, AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{
				MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "k", Operator: "bad"}},
			}}}},
			want: wantErr{field.ErrorTypeInvalid, "aggregationRule.clusterRoleSelectors[0].matchExpressions[0].operator"},
		},
		"aggregation selector with an invalid label value": {
			role: rbacv1.ClusterRole{ObjectMeta: meta, AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{
				MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "k", Operator: metav1.LabelSelectorOpIn, Values: []string{"-bad-"}}},
			}}}},
			want: wantErr{field.ErrorTypeInvalid, "aggregationRule.clusterRoleSelectors[0].matchExpressions[0].values[0]"},
		},
		// As upstream, the option only silences the selector validation: converting the
		// selector still fails on the value.
		"invalid label value of a stored object": {
			role: rbacv1.ClusterRole{ObjectMeta: meta, AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{
				MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "k", Operator: metav1.LabelSelectorOpIn, Values: []string{"-bad-"}}},
			}}}},
			opts: ClusterRoleValidationOptions{AllowInvalidLabelValueInSelector: true},
			want: wantErr{field.ErrorTypeInvalid, "aggregationRule.clusterRoleSelectors[0]"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			check(t, ValidateClusterRole(&tc.role, tc.opts), tc.want)
		})
	}
}

func TestValidateClusterRoleUpdate(t *testing.T) {
	old := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "view", ResourceVersion: "1", UID: "a"}}
	updated := old.DeepCopy()
	updated.Rules = []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}}
	check(t, ValidateClusterRoleUpdate(updated, old, ClusterRoleValidationOptions{}), wantErr{})

	updated.UID = "b"
	check(t, ValidateClusterRoleUpdate(updated, old, ClusterRoleValidationOptions{}), wantErr{field.ErrorTypeInvalid, "metadata.uid"})
}

func TestHasInvalidLabelValueInAggregationRule(t *testing.T) {
	for name, tc := range map[string]struct {
		rule *rbacv1.AggregationRule
		want bool
	}{
		"no rule": {},
		"valid":   {rule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"a": "b"}}}}},
		"invalid value": {rule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{
			MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "k", Operator: metav1.LabelSelectorOpIn, Values: []string{"-bad-"}}},
		}}}, want: true},
	} {
		t.Run(name, func(t *testing.T) {
			role := &rbacv1.ClusterRole{AggregationRule: tc.rule}
			if got := HasInvalidLabelValueInAggregationRule(role); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
