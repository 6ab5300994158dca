package validation

import (
	"testing"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

type wantErr struct {
	typ   field.ErrorType
	field string
}

func checkErrs(t *testing.T, errs field.ErrorList, want []wantErr) {
	t.Helper()
	if len(errs) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(errs), len(want), errs.ToAggregate())
	}
	for i := range want {
		if errs[i].Type != want[i].typ || errs[i].Field != want[i].field {
			t.Errorf("error %d: got %s at %q, want %s at %q (%v)", i, errs[i].Type, errs[i].Field, want[i].typ, want[i].field, errs[i])
		}
	}
}

func lease(mutate func(*coordinationv1.Lease)) *coordinationv1.Lease {
	l := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-scheduler", Namespace: "kube-system"},
		Spec: coordinationv1.LeaseSpec{
			HolderIdentity:       ptr.To("node-1_0a1b2c"),
			LeaseDurationSeconds: ptr.To[int32](15),
			LeaseTransitions:     ptr.To[int32](0),
			AcquireTime:          &metav1.MicroTime{},
			RenewTime:            &metav1.MicroTime{},
		},
	}
	if mutate != nil {
		mutate(l)
	}
	return l
}

func TestValidateLease(t *testing.T) {
	strategy := func(s string) *coordinationv1.CoordinatedLeaseStrategy {
		return ptr.To(coordinationv1.CoordinatedLeaseStrategy(s))
	}
	for _, tc := range []struct {
		name  string
		lease *coordinationv1.Lease
		want  []wantErr
	}{
		{name: "valid", lease: lease(nil)},
		{name: "valid empty spec", lease: lease(func(l *coordinationv1.Lease) { l.Spec = coordinationv1.LeaseSpec{} })},
		{name: "any holderIdentity is accepted", lease: lease(func(l *coordinationv1.Lease) { l.Spec.HolderIdentity = ptr.To("Not A DNS Name!") })},
		{name: "valid with strategy and preferredHolder", lease: lease(func(l *coordinationv1.Lease) {
			l.Spec.Strategy = ptr.To(coordinationv1.OldestEmulationVersion)
			l.Spec.PreferredHolder = ptr.To("someotherholder")
		})},
		{name: "valid custom strategy", lease: lease(func(l *coordinationv1.Lease) { l.Spec.Strategy = strategy("custom.com/foo") })},
		{name: "empty preferredHolder needs no strategy", lease: lease(func(l *coordinationv1.Lease) { l.Spec.PreferredHolder = ptr.To("") })},
		{
			name:  "invalid name and namespace",
			lease: lease(func(l *coordinationv1.Lease) { l.Name = "invalidName++"; l.Namespace = "==invalid_Namespace==" }),
			want:  []wantErr{{field.ErrorTypeInvalid, "metadata.name"}, {field.ErrorTypeInvalid, "metadata.namespace"}},
		},
		{
			name:  "missing name and namespace",
			lease: lease(func(l *coordinationv1.Lease) { l.Name = ""; l.Namespace = "" }),
			want:  []wantErr{{field.ErrorTypeRequired, "metadata.name"}, {field.ErrorTypeRequired, "metadata.namespace"}},
		},
		{
			name:  "leaseDurationSeconds must be positive",
			lease: lease(func(l *coordinationv1.Lease) { l.Spec.LeaseDurationSeconds = ptr.To[int32](0) }),
			want:  []wantErr{{field.ErrorTypeInvalid, "spec.leaseDurationSeconds"}},
		},
		{
			name:  "leaseTransitions must be non-negative",
			lease: lease(func(l *coordinationv1.Lease) { l.Spec.LeaseTransitions = ptr.To[int32](-1) }),
			want:  []wantErr{{field.ErrorTypeInvalid, "spec.leaseTransitions"}},
		},
		{
			name:  "unknown built-in strategy",
			lease: lease(func(l *coordinationv1.Lease) { l.Spec.Strategy = strategy("NewestEmulationVersion") }),
			want:  []wantErr{{field.ErrorTypeNotSupported, "spec.strategy.strategy"}},
		},
		{
			name:  "custom strategy must be a qualified name",
			lease: lease(func(l *coordinationv1.Lease) { l.Spec.Strategy = strategy("custom.com/foo/bar") }),
			want:  []wantErr{{field.ErrorTypeInvalid, "spec.strategy.strategy"}},
		},
		{
			name:  "preferredHolder without strategy",
			lease: lease(func(l *coordinationv1.Lease) { l.Spec.PreferredHolder = ptr.To("holder2") }),
			want:  []wantErr{{field.ErrorTypeForbidden, "spec.preferredHolder"}},
		},
		{
			name: "preferredHolder with empty strategy",
			lease: lease(func(l *coordinationv1.Lease) {
				l.Spec.Strategy = strategy("")
				l.Spec.PreferredHolder = ptr.To("holder2")
			}),
			want: []wantErr{{field.ErrorTypeNotSupported, "spec.strategy.strategy"}, {field.ErrorTypeForbidden, "spec.preferredHolder"}},
		},
		{
			name: "all spec errors together",
			lease: lease(func(l *coordinationv1.Lease) {
				l.Spec.LeaseDurationSeconds = ptr.To[int32](-3)
				l.Spec.LeaseTransitions = ptr.To[int32](-1)
				l.Spec.PreferredHolder = ptr.To("holder2")
			}),
			want: []wantErr{
				{field.ErrorTypeInvalid, "spec.leaseDurationSeconds"},
				{field.ErrorTypeInvalid, "spec.leaseTransitions"},
				{field.ErrorTypeForbidden, "spec.preferredHolder"},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkErrs(t, ValidateLease(tc.lease), tc.want)
		})
	}
}

func TestValidateLeaseUpdate(t *testing.T) {
	old := lease(func(l *coordinationv1.Lease) { l.ResourceVersion = "1" })
	for _, tc := range []struct {
		name  string
		lease *coordinationv1.Lease
		want  []wantErr
	}{
		{name: "valid renewal", lease: lease(func(l *coordinationv1.Lease) {
			l.ResourceVersion = "1"
			l.Spec.HolderIdentity = ptr.To("node-2_3d4e5f")
			l.Spec.LeaseTransitions = ptr.To[int32](1)
		})},
		{
			name:  "resourceVersion is required",
			lease: lease(nil),
			want:  []wantErr{{field.ErrorTypeInvalid, "metadata.resourceVersion"}},
		},
		{
			name:  "name is immutable",
			lease: lease(func(l *coordinationv1.Lease) { l.ResourceVersion = "1"; l.Name = "other" }),
			want:  []wantErr{{field.ErrorTypeInvalid, "metadata.name"}},
		},
		{
			name: "spec is validated",
			lease: lease(func(l *coordinationv1.Lease) {
				l.Spec.LeaseDurationSeconds = ptr.To[int32](0)
				l.Spec.LeaseTransitions = ptr.To[int32](-1)
			}),
			want: []wantErr{
				{field.ErrorTypeInvalid, "metadata.resourceVersion"},
				{field.ErrorTypeInvalid, "spec.leaseDurationSeconds"},
				{field.ErrorTypeInvalid, "spec.leaseTransitions"},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkErrs(t, ValidateLeaseUpdate(tc.lease, old), tc.want)
		})
	}
}
