package controllerutil

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"
)

// StartOwnedBroadcaster starts an event broadcaster that writes through client
// (so events are created with the controller's own identity) and logs at V(3),
// as upstream controllers do in Run. It returns a recorder whose source is
// component, and a stop function that shuts the broadcaster down.
func StartOwnedBroadcaster(ctx context.Context, client kubernetes.Interface, component string) (record.EventRecorder, func()) {
	b := record.NewBroadcaster(record.WithContext(ctx))
	b.StartStructuredLogging(3)
	b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	return b.NewRecorder(scheme.Scheme, corev1.EventSource{Component: component}), b.Shutdown
}

// NopRecorder drops every event. Controllers use it until Run has started the
// broadcaster they own, so that a method called before Run cannot panic.
type NopRecorder struct{}

var _ record.EventRecorder = NopRecorder{}

// Event implements record.EventRecorder.
func (NopRecorder) Event(runtime.Object, string, string, string) {}

// Eventf implements record.EventRecorder.
func (NopRecorder) Eventf(runtime.Object, string, string, string, ...any) {}

// AnnotatedEventf implements record.EventRecorder.
func (NopRecorder) AnnotatedEventf(runtime.Object, map[string]string, string, string, string, ...any) {
}
