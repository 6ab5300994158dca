package validation

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
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

var eventTime = metav1.NewMicroTime(time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC))

// event returns a valid events.k8s.io/v1 Event as a kubelet would write it,
// after applying mutate.
func event(mutate func(*eventsv1.Event)) *eventsv1.Event {
	e := &eventsv1.Event{
		ObjectMeta:          metav1.ObjectMeta{Name: "web-0.17f3a", Namespace: "default"},
		EventTime:           eventTime,
		ReportingController: "kubernetes.io/kubelet",
		ReportingInstance:   "node-1",
		Action:              "Pulling",
		Reason:              "Pulling",
		Regarding:           corev1.ObjectReference{Kind: "Pod", Namespace: "default", Name: "web-0", APIVersion: "v1"},
		Note:                `Pulling image "nginx"`,
		Type:                corev1.EventTypeNormal,
	}
	if mutate != nil {
		mutate(e)
	}
	return e
}

func TestValidateEventCreate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		event *eventsv1.Event
		want  []wantErr
	}{
		// valid
		{name: "valid", event: event(nil)},
		{name: "warning", event: event(func(e *eventsv1.Event) { e.Type = corev1.EventTypeWarning })},
		{name: "cluster-scoped object in default namespace", event: event(func(e *eventsv1.Event) {
			e.Regarding = corev1.ObjectReference{Kind: "Node", Name: "node-1"}
		})},
		{name: "cluster-scoped object in kube-system", event: event(func(e *eventsv1.Event) {
			e.Namespace = metav1.NamespaceSystem
			e.Regarding = corev1.ObjectReference{Kind: "Node", Name: "node-1"}
		})},
		{name: "regarding namespace may differ once eventTime is set", event: event(func(e *eventsv1.Event) { e.Regarding.Namespace = "other" })},
		{name: "note of exactly 1 KiB", event: event(func(e *eventsv1.Event) { e.Note = strings.Repeat("x", 1024) })},
		{name: "limits of 128", event: event(func(e *eventsv1.Event) {
			e.ReportingInstance = strings.Repeat("i", 128)
			e.Action = strings.Repeat("a", 128)
			e.Reason = strings.Repeat("r", 128)
		})},
		{name: "valid series", event: event(func(e *eventsv1.Event) {
			e.Series = &eventsv1.EventSeries{Count: 2, LastObservedTime: eventTime}
		})},
		{name: "unqualified reportingController", event: event(func(e *eventsv1.Event) { e.ReportingController = "kubelet" })},

		// invalid
		{
			name:  "empty event",
			event: &eventsv1.Event{},
			want: []wantErr{
				{field.ErrorTypeRequired, "metadata.name"},
				{field.ErrorTypeRequired, "metadata.namespace"},
				{field.ErrorTypeRequired, "eventTime"},
				{field.ErrorTypeInvalid, "type"},
			},
		},
		{
			name:  "cluster-scoped object in another namespace",
			event: event(func(e *eventsv1.Event) { e.Namespace = "other"; e.Regarding.Namespace = "" }),
			want:  []wantErr{{field.ErrorTypeInvalid, "regarding.namespace"}},
		},
		{
			name: "missing eventTime switches to the old-style namespace rules",
			event: event(func(e *eventsv1.Event) {
				e.EventTime = metav1.MicroTime{}
				e.Regarding.Namespace = "other"
				e.ReportingController = ""
			}),
			want: []wantErr{{field.ErrorTypeInvalid, "regarding.namespace"}, {field.ErrorTypeRequired, "eventTime"}},
		},
		{
			name:  "missing reportingController",
			event: event(func(e *eventsv1.Event) { e.ReportingController = "" }),
			want: []wantErr{
				{field.ErrorTypeRequired, "reportingController"},
				{field.ErrorTypeInvalid, "reportingController"},
				{field.ErrorTypeInvalid, "reportingController"},
			},
		},
		{
			name:  "reportingController not a qualified name",
			event: event(func(e *eventsv1.Event) { e.ReportingController = "kubernetes.io/kubelet/extra" }),
			want:  []wantErr{{field.ErrorTypeInvalid, "reportingController"}},
		},
		{
			name:  "missing reportingInstance",
			event: event(func(e *eventsv1.Event) { e.ReportingInstance = "" }),
			want:  []wantErr{{field.ErrorTypeRequired, "reportingInstance"}},
		},
		{
			name:  "reportingInstance too long",
			event: event(func(e *eventsv1.Event) { e.ReportingInstance = strings.Repeat("i", 129) }),
			want:  []wantErr{{field.ErrorTypeInvalid, "reportingInstance"}},
		},
		{
			name:  "missing action",
			event: event(func(e *eventsv1.Event) { e.Action = "" }),
			want:  []wantErr{{field.ErrorTypeRequired, "action"}},
		},
		{
			name:  "action too long",
			event: event(func(e *eventsv1.Event) { e.Action = strings.Repeat("a", 129) }),
			want:  []wantErr{{field.ErrorTypeInvalid, "action"}},
		},
		{
			name:  "missing reason",
			event: event(func(e *eventsv1.Event) { e.Reason = "" }),
			want:  []wantErr{{field.ErrorTypeRequired, "reason"}},
		},
		{
			name:  "reason too long",
			event: event(func(e *eventsv1.Event) { e.Reason = strings.Repeat("r", 129) }),
			want:  []wantErr{{field.ErrorTypeInvalid, "reason"}},
		},
		{
			name:  "note longer than 1 KiB",
			event: event(func(e *eventsv1.Event) { e.Note = strings.Repeat("x", 1025) }),
			want:  []wantErr{{field.ErrorTypeInvalid, "note"}},
		},
		{
			name:  "unknown type",
			event: event(func(e *eventsv1.Event) { e.Type = "Info" }),
			want:  []wantErr{{field.ErrorTypeInvalid, "type"}},
		},
		{
			name:  "series too short and without lastObservedTime",
			event: event(func(e *eventsv1.Event) { e.Series = &eventsv1.EventSeries{Count: 1} }),
			want:  []wantErr{{field.ErrorTypeInvalid, "series.count"}, {field.ErrorTypeRequired, "series.lastObservedTime"}},
		},
		{
			name: "deprecated fields must be unset",
			event: event(func(e *eventsv1.Event) {
				e.DeprecatedSource = corev1.EventSource{Component: "kubelet"}
				e.DeprecatedFirstTimestamp = metav1.NewTime(eventTime.Time)
				e.DeprecatedLastTimestamp = metav1.NewTime(eventTime.Time)
				e.DeprecatedCount = 3
			}),
			want: []wantErr{
				{field.ErrorTypeInvalid, "deprecatedFirstTimestamp"},
				{field.ErrorTypeInvalid, "deprecatedLastTimestamp"},
				{field.ErrorTypeInvalid, "deprecatedCount"},
				{field.ErrorTypeInvalid, "deprecatedSource"},
			},
		},
		{
			name:  "bad metadata",
			event: event(func(e *eventsv1.Event) { e.Name = "Bad_Name"; e.Finalizers = []string{"custom"} }),
			want:  []wantErr{{field.ErrorTypeInvalid, "metadata.name"}, {field.ErrorTypeInvalid, "metadata.finalizers[0]"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkErrs(t, ValidateEventCreate(tc.event), tc.want)
		})
	}
}

func TestValidateEventUpdate(t *testing.T) {
	stored := func(mutate func(*eventsv1.Event)) *eventsv1.Event {
		return event(func(e *eventsv1.Event) {
			e.ResourceVersion = "7"
			if mutate != nil {
				mutate(e)
			}
		})
	}
	for _, tc := range []struct {
		name     string
		old, new *eventsv1.Event
		want     []wantErr
	}{
		{
			name: "series update",
			old:  stored(func(e *eventsv1.Event) { e.Series = &eventsv1.EventSeries{Count: 2, LastObservedTime: eventTime} }),
			new: stored(func(e *eventsv1.Event) {
				e.Series = &eventsv1.EventSeries{Count: 3, LastObservedTime: metav1.NewMicroTime(eventTime.Add(time.Minute))}
			}),
		},
		{
			name: "sub-microsecond eventTime change is tolerated",
			old:  stored(nil),
			new:  stored(func(e *eventsv1.Event) { e.EventTime = metav1.NewMicroTime(eventTime.Add(999 * time.Nanosecond)) }),
		},
		{
			name: "unchanged invalid series is not revalidated",
			old:  stored(func(e *eventsv1.Event) { e.Series = &eventsv1.EventSeries{Count: 1} }),
			new:  stored(func(e *eventsv1.Event) { e.Series = &eventsv1.EventSeries{Count: 1} }),
		},
		{
			name: "deprecated fields may be kept on update",
			old:  stored(func(e *eventsv1.Event) { e.DeprecatedCount = 4 }),
			new:  stored(func(e *eventsv1.Event) { e.DeprecatedCount = 4 }),
		},
		{
			name: "changed series is validated",
			old:  stored(nil),
			new:  stored(func(e *eventsv1.Event) { e.Series = &eventsv1.EventSeries{Count: 1, LastObservedTime: eventTime} }),
			want: []wantErr{{field.ErrorTypeInvalid, "series.count"}},
		},
		{
			name: "reason is reported twice, as upstream",
			old:  stored(nil),
			new:  stored(func(e *eventsv1.Event) { e.Reason = "Pulled" }),
			want: []wantErr{{field.ErrorTypeInvalid, "reason"}, {field.ErrorTypeInvalid, "reason"}},
		},
		{
			name: "immutable fields",
			old:  stored(nil),
			new: stored(func(e *eventsv1.Event) {
				e.Regarding.Name = "web-1"
				e.Note = "changed"
				e.DeprecatedSource = corev1.EventSource{Host: "node-2"}
				e.DeprecatedFirstTimestamp = metav1.NewTime(eventTime.Time)
				e.DeprecatedLastTimestamp = metav1.NewTime(eventTime.Time)
				e.DeprecatedCount = 2
				e.Type = corev1.EventTypeWarning
				e.EventTime = metav1.NewMicroTime(eventTime.Add(time.Second))
				e.Action = "Pulled"
				e.Related = &corev1.ObjectReference{Kind: "Node", Name: "node-1"}
				e.ReportingController = "example.com/other"
				e.ReportingInstance = "node-2"
			}),
			want: []wantErr{
				{field.ErrorTypeInvalid, "regarding"},
				{field.ErrorTypeInvalid, "note"},
				{field.ErrorTypeInvalid, "deprecatedSource"},
				{field.ErrorTypeInvalid, "deprecatedFirstTimestamp"},
				{field.ErrorTypeInvalid, "deprecatedLastTimestamp"},
				{field.ErrorTypeInvalid, "deprecatedCount"},
				{field.ErrorTypeInvalid, "type"},
				{field.ErrorTypeInvalid, "eventTime"},
				{field.ErrorTypeInvalid, "action"},
				{field.ErrorTypeInvalid, "related"},
				{field.ErrorTypeInvalid, "reportingController"},
				{field.ErrorTypeInvalid, "reportingInstance"},
			},
		},
		{
			name: "metadata update rules",
			old:  stored(nil),
			new:  stored(func(e *eventsv1.Event) { e.ResourceVersion = ""; e.Name = "renamed" }),
			want: []wantErr{{field.ErrorTypeInvalid, "metadata.resourceVersion"}, {field.ErrorTypeInvalid, "metadata.name"}},
		},
		{
			name: "legacy rules still apply to the new object",
			old:  stored(nil),
			new:  stored(func(e *eventsv1.Event) { e.Note = strings.Repeat("x", 1025) }),
			want: []wantErr{{field.ErrorTypeInvalid, "note"}, {field.ErrorTypeInvalid, "note"}},
		},
		{
			name: "old-style event without eventTime",
			old:  stored(func(e *eventsv1.Event) { e.EventTime = metav1.MicroTime{}; e.ReportingController = "" }),
			new: stored(func(e *eventsv1.Event) {
				e.EventTime = metav1.MicroTime{}
				e.ReportingController = ""
				e.Namespace = "other"
			}),
			want: []wantErr{{field.ErrorTypeInvalid, "regarding.namespace"}, {field.ErrorTypeInvalid, "metadata.namespace"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkErrs(t, ValidateEventUpdate(tc.new, tc.old), tc.want)
		})
	}
}
