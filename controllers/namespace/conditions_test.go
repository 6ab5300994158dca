package namespace

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestConditionUpdater(t *testing.T) {
	before := metav1.NewTime(t0)
	now := metav1.NewTime(t0.Add(time.Minute))
	failing := func(t corev1.NamespaceConditionType, reason, msg string) corev1.NamespaceCondition {
		return corev1.NamespaceCondition{Type: t, Status: corev1.ConditionTrue, Reason: reason, Message: msg, LastTransitionTime: before}
	}
	ok := func(t corev1.NamespaceConditionType, at metav1.Time) corev1.NamespaceCondition {
		return corev1.NamespaceCondition{Type: t, Status: corev1.ConditionFalse, Reason: okReasons[t], Message: okMessages[t], LastTransitionTime: at}
	}
	allOKAt := func(at metav1.Time) []corev1.NamespaceCondition {
		var out []corev1.NamespaceCondition
		for _, t := range conditionTypes {
			out = append(out, ok(t, at))
		}
		return out
	}

	tests := []struct {
		name        string
		old         []corev1.NamespaceCondition
		process     func(u *conditionUpdater)
		want        []corev1.NamespaceCondition
		wantChanged bool
	}{
		{
			name:        "first pass adds every condition",
			process:     func(*conditionUpdater) {},
			want:        allOKAt(now),
			wantChanged: true,
		},
		{
			name:    "unchanged conditions are not rewritten",
			old:     allOKAt(before),
			process: func(*conditionUpdater) {},
			want:    allOKAt(before),
		},
		{
			name: "recovery moves the transition time",
			old: []corev1.NamespaceCondition{
				failing(corev1.NamespaceDeletionContentFailure, reasonContentDeletionFailed, "x"),
			},
			process: func(*conditionUpdater) {},
			want: []corev1.NamespaceCondition{
				ok(corev1.NamespaceDeletionContentFailure, now),
				ok(corev1.NamespaceDeletionDiscoveryFailure, now),
				ok(corev1.NamespaceDeletionGVParsingFailure, now),
				ok(corev1.NamespaceContentRemaining, now),
				ok(corev1.NamespaceFinalizersRemaining, now),
			},
			wantChanged: true,
		},
		{
			name: "a new message for a failing condition keeps its transition time",
			old: append(allOKAt(before)[:2],
				failing(corev1.NamespaceDeletionContentFailure, reasonContentDeletionFailed, "old"),
				ok(corev1.NamespaceContentRemaining, before),
				ok(corev1.NamespaceFinalizersRemaining, before)),
			process: func(u *conditionUpdater) {
				u.processDeleteContentErr(errors.New("b failed"))
				u.processDeleteContentErr(errors.New("a failed"))
			},
			want: append(allOKAt(before)[:2],
				failing(corev1.NamespaceDeletionContentFailure, reasonContentDeletionFailed, "Failed to delete all resource types, 2 remaining: a failed, b failed"),
				ok(corev1.NamespaceContentRemaining, before),
				ok(corev1.NamespaceFinalizersRemaining, before)),
			wantChanged: true,
		},
		{
			name: "group version parsing and content totals",
			process: func(u *conditionUpdater) {
				u.processGroupVersionErr(errors.New("bad/group/version"))
				u.processContentTotals(allGVRDeletionMetadata{
					gvrToNumRemaining: map[schema.GroupVersionResource]int{
						deploymentsGVR: 2, configmapsGVR: 1, widgetsGVR: 0,
					},
					finalizersToNumRemaining: map[string]int{"b": 1, "a": 2, "zero": 0},
				})
			},
			want: []corev1.NamespaceCondition{
				ok(corev1.NamespaceDeletionDiscoveryFailure, now),
				{Type: corev1.NamespaceDeletionGVParsingFailure, Status: corev1.ConditionTrue, Reason: reasonGroupVersionParsingFailed, Message: "bad/group/version", LastTransitionTime: now},
				ok(corev1.NamespaceDeletionContentFailure, now),
				{Type: corev1.NamespaceContentRemaining, Status: corev1.ConditionTrue, Reason: reasonSomeResourcesRemain, LastTransitionTime: now,
					Message: "Some resources are remaining: configmaps. has 1 resource instances, deployments.apps has 2 resource instances"},
				{Type: corev1.NamespaceFinalizersRemaining, Status: corev1.ConditionTrue, Reason: reasonSomeFinalizersRemain, LastTransitionTime: now,
					Message: "Some content in the namespace has finalizers remaining: a in 2 resource instances, b in 1 resource instances"},
			},
			wantChanged: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ns := &corev1.Namespace{Status: corev1.NamespaceStatus{Conditions: append([]corev1.NamespaceCondition(nil), tc.old...)}}
			u := &conditionUpdater{now: now}
			tc.process(u)
			if changed := u.update(ns); changed != tc.wantChanged {
				t.Errorf("update() = %v, want %v", changed, tc.wantChanged)
			}
			if diff := cmp.Diff(tc.want, ns.Status.Conditions); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
		})
	}
}
