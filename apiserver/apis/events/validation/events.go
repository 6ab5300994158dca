package validation

import (
	"fmt"
	"reflect"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

const (
	ReportingInstanceLengthLimit = 128
	ActionLengthLimit            = 128
	ReasonLengthLimit            = 128
	NoteLengthLimit              = 1024
)

// Paths of the events.k8s.io/v1 fields. Upstream validates the internal core
// Event and so reports the core names given in the comments; they are kept
// in one place in case wire-identical paths are ever preferred.
var (
	regardingPath                = field.NewPath("regarding")                // involvedObject
	regardingNamespacePath       = regardingPath.Child("namespace")          // involvedObject.namespace
	notePath                     = field.NewPath("note")                     // message
	deprecatedSourcePath         = field.NewPath("deprecatedSource")         // source
	deprecatedFirstTimestampPath = field.NewPath("deprecatedFirstTimestamp") // firstTimestamp
	deprecatedLastTimestampPath  = field.NewPath("deprecatedLastTimestamp")  // lastTimestamp
	deprecatedCountPath          = field.NewPath("deprecatedCount")          // count
	seriesCountPath              = field.NewPath("series", "count")
	seriesLastObservedTimePath   = field.NewPath("series", "lastObservedTime")
)

// ValidateEventCreate validates an events.k8s.io/v1 Event on creation.
func ValidateEventCreate(event *eventsv1.Event) field.ErrorList {
	// Make sure events always pass legacy validation.
	allErrs := legacyValidateEvent(event)

	// Strict validation applies to creation via events.k8s.io/v1 API and newer.
	allErrs = append(allErrs, validateObjectMeta(&event.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))...)
	allErrs = append(allErrs, validateV1EventSeries(event)...)
	zeroTime := time.Time{}
	if event.EventTime.Time == zeroTime {
		allErrs = append(allErrs, field.Required(field.NewPath("eventTime"), ""))
	}
	if event.Type != corev1.EventTypeNormal && event.Type != corev1.EventTypeWarning {
		allErrs = append(allErrs, field.Invalid(field.NewPath("type"), "", fmt.Sprintf("has invalid value: %v", event.Type)))
	}
	if event.DeprecatedFirstTimestamp.Time != zeroTime {
		allErrs = append(allErrs, field.Invalid(deprecatedFirstTimestampPath, "", "needs to be unset"))
	}
	if event.DeprecatedLastTimestamp.Time != zeroTime {
		allErrs = append(allErrs, field.Invalid(deprecatedLastTimestampPath, "", "needs to be unset"))
	}
	if event.DeprecatedCount != 0 {
		allErrs = append(allErrs, field.Invalid(deprecatedCountPath, "", "needs to be unset"))
	}
	if event.DeprecatedSource.Component != "" || event.DeprecatedSource.Host != "" {
		allErrs = append(allErrs, field.Invalid(deprecatedSourcePath, "", "needs to be unset"))
	}
	return allErrs
}

// ValidateEventUpdate validates an update of an events.k8s.io/v1 Event.
func ValidateEventUpdate(newEvent, oldEvent *eventsv1.Event) field.ErrorList {
	// Make sure the new event always passes legacy validation.
	allErrs := legacyValidateEvent(newEvent)

	// Strict validation applies to update via events.k8s.io/v1 API and newer.
	allErrs = append(allErrs, validateObjectMetaUpdate(&newEvent.ObjectMeta, &oldEvent.ObjectMeta, field.NewPath("metadata"))...)
	// if the series was modified, validate the new data
	if !reflect.DeepEqual(newEvent.Series, oldEvent.Series) {
		allErrs = append(allErrs, validateV1EventSeries(newEvent)...)
	}

	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(newEvent.Regarding, oldEvent.Regarding, regardingPath)...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(newEvent.Reason, oldEvent.Reason, field.NewPath("reason"))...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(newEvent.Note, oldEvent.Note, notePath)...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(newEvent.DeprecatedSource, oldEvent.DeprecatedSource, deprecatedSourcePath)...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(newEvent.DeprecatedFirstTimestamp, oldEvent.DeprecatedFirstTimestamp, deprecatedFirstTimestampPath)...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(newEvent.DeprecatedLastTimestamp, oldEvent.DeprecatedLastTimestamp, deprecatedLastTimestampPath)...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(newEvent.DeprecatedCount, oldEvent.DeprecatedCount, deprecatedCountPath)...)
	// Upstream checks reason twice, so a changed reason yields two errors;
	// kept so that error lists match kube-apiserver's.
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(newEvent.Reason, oldEvent.Reason, field.NewPath("reason"))...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(newEvent.Type, oldEvent.Type, field.NewPath("type"))...)

	// Disallow changes to eventTime greater than microsecond-level precision.
	// Tolerating sub-microsecond changes is required to tolerate updates
	// from clients that correctly truncate to microsecond-precision when serializing,
	// or from clients built with incorrect nanosecond-precision protobuf serialization.
	// See https://github.com/kubernetes/kubernetes/issues/111928
	newTruncated := newEvent.EventTime.Truncate(time.Microsecond).UTC()
	oldTruncated := oldEvent.EventTime.Truncate(time.Microsecond).UTC()
	if newTruncated != oldTruncated {
		allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(newEvent.EventTime, oldEvent.EventTime, field.NewPath("eventTime"))...)
	}

	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(newEvent.Action, oldEvent.Action, field.NewPath("action"))...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(newEvent.Related, oldEvent.Related, field.NewPath("related"))...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(newEvent.ReportingController, oldEvent.ReportingController, field.NewPath("reportingController"))...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(newEvent.ReportingInstance, oldEvent.ReportingInstance, field.NewPath("reportingInstance"))...)

	return allErrs
}

func validateV1EventSeries(event *eventsv1.Event) field.ErrorList {
	allErrs := field.ErrorList{}
	zeroTime := time.Time{}
	if event.Series != nil {
		if event.Series.Count < 2 {
			allErrs = append(allErrs, field.Invalid(seriesCountPath, "", "should be at least 2"))
		}
		if event.Series.LastObservedTime.Time == zeroTime {
			allErrs = append(allErrs, field.Required(seriesLastObservedTimePath, ""))
		}
	}
	return allErrs
}

// legacyValidateEvent makes sure that the event makes sense.
//
// An events.k8s.io/v1 Event can still have a zero eventTime on update (it may
// have been created through the core API), which selects the old-style
// branch, exactly as upstream.
func legacyValidateEvent(event *eventsv1.Event) field.ErrorList {
	allErrs := field.ErrorList{}
	// Because go
	zeroTime := time.Time{}

	// "New" Events need to have EventTime set, so it's validating old object.
	if event.EventTime.Time == zeroTime {
		// Make sure event.Namespace and event.Regarding.Namespace agree
		if len(event.Regarding.Namespace) == 0 {
			// event.Namespace must also be empty (or "default", for compatibility with old clients)
			if event.Namespace != metav1.NamespaceNone && event.Namespace != metav1.NamespaceDefault {
				allErrs = append(allErrs, field.Invalid(regardingNamespacePath, event.Regarding.Namespace, "does not match event.namespace"))
			}
		} else {
			// event namespace must match
			if event.Namespace != event.Regarding.Namespace {
				allErrs = append(allErrs, field.Invalid(regardingNamespacePath, event.Regarding.Namespace, "does not match event.namespace"))
			}
		}

	} else {
		if len(event.Regarding.Namespace) == 0 && event.Namespace != metav1.NamespaceDefault && event.Namespace != metav1.NamespaceSystem {
			allErrs = append(allErrs, field.Invalid(regardingNamespacePath, event.Regarding.Namespace, "does not match event.namespace"))
		}
		if len(event.ReportingController) == 0 {
			allErrs = append(allErrs, field.Required(field.NewPath("reportingController"), ""))
		}
		allErrs = append(allErrs, validateQualifiedName(event.ReportingController, field.NewPath("reportingController"))...)
		if len(event.ReportingInstance) == 0 {
			allErrs = append(allErrs, field.Required(field.NewPath("reportingInstance"), ""))
		}
		if len(event.ReportingInstance) > ReportingInstanceLengthLimit {
			allErrs = append(allErrs, field.Invalid(field.NewPath("reportingInstance"), "", fmt.Sprintf("can have at most %v characters", ReportingInstanceLengthLimit)))
		}
		if len(event.Action) == 0 {
			allErrs = append(allErrs, field.Required(field.NewPath("action"), ""))
		}
		if len(event.Action) > ActionLengthLimit {
			allErrs = append(allErrs, field.Invalid(field.NewPath("action"), "", fmt.Sprintf("can have at most %v characters", ActionLengthLimit)))
		}
		if len(event.Reason) == 0 {
			allErrs = append(allErrs, field.Required(field.NewPath("reason"), ""))
		}
		if len(event.Reason) > ReasonLengthLimit {
			allErrs = append(allErrs, field.Invalid(field.NewPath("reason"), "", fmt.Sprintf("can have at most %v characters", ReasonLengthLimit)))
		}
		if len(event.Note) > NoteLengthLimit {
			allErrs = append(allErrs, field.Invalid(notePath, "", fmt.Sprintf("can have at most %v characters", NoteLengthLimit)))
		}
	}
	return allErrs
}
