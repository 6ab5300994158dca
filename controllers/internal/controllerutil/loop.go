package controllerutil

import (
	"context"
	"time"

	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"
)

// Until calls f, then waits period on clk, and repeats until ctx is done. Like
// wait.UntilWithContext (sliding: the period starts when f returns), but on an
// injected clock so that tests drive it with a fake one.
func Until(ctx context.Context, clk clock.WithTicker, period time.Duration, f func(context.Context)) {
	for {
		select {
		case <-ctx.Done():
			return
		default:
		}
		f(ctx)
		t := clk.NewTimer(period)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

// FromTombstone returns the object of a delete notification, unwrapping a
// cache.DeletedFinalStateUnknown; ok is false if it is not a T.
func FromTombstone[T any](obj any) (T, bool) {
	if t, ok := obj.(T); ok {
		return t, true
	}
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		t, ok := d.Obj.(T)
		return t, ok
	}
	var zero T
	return zero, false
}
