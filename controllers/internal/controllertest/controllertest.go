// Package controllertest holds test helpers shared by the k1s controller
// packages: an event recorder that keeps structured events, and a poll helper
// for waiting on informers (which follow a fake clientset asynchronously).
//
// Only _test.go files import it.
package controllertest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/record"
)

// Event is one recorded event.
type Event struct {
	Kind, Namespace, Name string
	Type, Reason, Message string
}

func (e Event) String() string {
	return fmt.Sprintf("%s %s/%s %s %s %q", e.Kind, e.Namespace, e.Name, e.Type, e.Reason, e.Message)
}

// Recorder is a record.EventRecorder that keeps every event, safe for
// concurrent use.
type Recorder struct {
	mu     sync.Mutex
	events []Event
}

var _ record.EventRecorder = &Recorder{}

// Event implements record.EventRecorder.
func (r *Recorder) Event(obj runtime.Object, eventtype, reason, message string) {
	e := Event{Type: eventtype, Reason: reason, Message: message}
	switch o := obj.(type) {
	case *corev1.ObjectReference:
		e.Kind, e.Namespace, e.Name = o.Kind, o.Namespace, o.Name
	default:
		if m, err := meta.Accessor(obj); err == nil {
			e.Namespace, e.Name = m.GetNamespace(), m.GetName()
		}
		e.Kind = fmt.Sprintf("%T", obj)
		if _, ok := obj.(*corev1.Pod); ok {
			e.Kind = "Pod"
		}
		if _, ok := obj.(*corev1.Node); ok {
			e.Kind = "Node"
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// Eventf implements record.EventRecorder.
func (r *Recorder) Eventf(obj runtime.Object, eventtype, reason, messageFmt string, args ...any) {
	r.Event(obj, eventtype, reason, fmt.Sprintf(messageFmt, args...))
}

// AnnotatedEventf implements record.EventRecorder.
func (r *Recorder) AnnotatedEventf(obj runtime.Object, _ map[string]string, eventtype, reason, messageFmt string, args ...any) {
	r.Eventf(obj, eventtype, reason, messageFmt, args...)
}

// Events returns a copy of the events recorded so far.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// Find returns the events with the given reason.
func (r *Recorder) Find(reason string) []Event {
	var out []Event
	for _, e := range r.Events() {
		if e.Reason == reason {
			out = append(out, e)
		}
	}
	return out
}

// Has reports whether an event with this reason and message was recorded.
func (r *Recorder) Has(reason, message string) bool {
	for _, e := range r.Find(reason) {
		if e.Message == message {
			return true
		}
	}
	return false
}

// Dump formats all events, for failure messages.
func (r *Recorder) Dump() string {
	var b strings.Builder
	for _, e := range r.Events() {
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Eventually polls cond every millisecond (real time) for up to 10 s and fails
// the test with msg if it never holds. It is for waiting on informers and
// goroutines, never for controller timing: that runs on the fake clock.
func Eventually(t testing.TB, cond func() bool, msg string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: "+msg, args...)
		}
		time.Sleep(time.Millisecond)
	}
}
