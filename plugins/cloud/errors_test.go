package cloud

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	cloudprovider "k8s.io/cloud-provider"
	cloudproviderapi "k8s.io/cloud-provider/api"
)

// overTheWire sends a status error through its protobuf form, as gRPC does.
func overTheWire(t *testing.T, err error) error {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok {
		t.Fatalf("toStatus returned a non-status error %T: %v", err, err)
	}
	return status.ErrorProto(wire(t, st.Proto()))
}

func TestSentinelErrorsRoundTrip(t *testing.T) {
	for _, sentinel := range []error{
		cloudprovider.InstanceNotFound,
		cloudprovider.NotImplemented,
		cloudprovider.DiskNotFound,
		cloudprovider.ImplementedElsewhere,
	} {
		for name, provErr := range map[string]error{
			"bare":    sentinel,
			"wrapped": fmt.Errorf("vm %q: %w", "n1", sentinel),
		} {
			t.Run(sentinel.Error()+"/"+name, func(t *testing.T) {
				got := fromStatus(context.Background(), "p", overTheWire(t, toStatus(provErr)), false)
				if !errors.Is(got, sentinel) {
					t.Errorf("errors.Is(%v, %v) = false on the host", got, sentinel)
				}
				if got.Error() != provErr.Error() {
					t.Errorf("message = %q, want the provider's %q", got.Error(), provErr.Error())
				}
				if errors.Is(got, ErrPluginUnavailable) {
					t.Errorf("a provider error reads as ErrPluginUnavailable: %v", got)
				}
				for _, other := range []error{cloudprovider.InstanceNotFound, cloudprovider.NotImplemented, cloudprovider.DiskNotFound, cloudprovider.ImplementedElsewhere} {
					if other != sentinel && errors.Is(got, other) {
						t.Errorf("%v also matches %v", got, other)
					}
				}
			})
		}
	}
}

func TestRetryErrorRoundTrip(t *testing.T) {
	provErr := fmt.Errorf("lb busy: %w", cloudproviderapi.NewRetryError("try later", 7*time.Second))
	got := fromStatus(context.Background(), "p", overTheWire(t, toStatus(provErr)), false)
	var re *cloudproviderapi.RetryError
	if !errors.As(got, &re) {
		t.Fatalf("errors.As(%v, *RetryError) = false", got)
	}
	if re.RetryAfter() != 7*time.Second {
		t.Errorf("RetryAfter = %s, want 7s", re.RetryAfter())
	}
	if re.Error() != "lb busy: try later" {
		t.Errorf("message = %q", re.Error())
	}
}

func TestFromStatus(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	live := context.Background()

	for _, tc := range []struct {
		name       string
		ctx        context.Context
		err        error
		closed     bool
		want       []error
		notWant    []error
		wantString string
	}{{
		name: "plain provider error keeps its message", ctx: live,
		err:        toStatus(errors.New("quota exceeded")),
		wantString: "quota exceeded", notWant: []error{ErrPluginUnavailable},
	}, {
		name: "transport failure is unavailable", ctx: live,
		err:  status.Error(codes.Unavailable, "connection refused"),
		want: []error{ErrPluginUnavailable},
	}, {
		name: "connection closed by the host mid-call is unavailable", ctx: live, closed: true,
		err:  status.Error(codes.Canceled, "grpc: the client connection is closing"),
		want: []error{ErrPluginUnavailable}, notWant: []error{context.Canceled},
	}, {
		name: "caller cancellation is context.Canceled", ctx: cancelled,
		err:  status.Error(codes.Canceled, "context canceled"),
		want: []error{context.Canceled}, notWant: []error{ErrPluginUnavailable},
	}, {
		name: "provider's own context.Canceled", ctx: live,
		err:  toStatus(fmt.Errorf("aborted: %w", context.Canceled)),
		want: []error{context.Canceled}, notWant: []error{ErrPluginUnavailable},
	}, {
		name: "caller deadline is context.DeadlineExceeded", ctx: expired,
		err:  status.Error(codes.DeadlineExceeded, "context deadline exceeded"),
		want: []error{context.DeadlineExceeded},
	}, {
		name: "provider's own deadline", ctx: live,
		err:  toStatus(context.DeadlineExceeded),
		want: []error{context.DeadlineExceeded}, notWant: []error{ErrPluginUnavailable},
	}, {
		name: "Unimplemented without detail (older plugin) is NotImplemented", ctx: live,
		err:  status.Error(codes.Unimplemented, "method CreateRoute not implemented"),
		want: []error{cloudprovider.NotImplemented},
	}, {
		name: "non-gRPC error is wrapped", ctx: live,
		err: errors.New("boom"), wantString: `cloud plugin "p": boom`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := fromStatus(tc.ctx, "p", tc.err, tc.closed)
			if got == nil {
				t.Fatal("fromStatus returned nil for an error")
			}
			for _, w := range tc.want {
				if !errors.Is(got, w) {
					t.Errorf("errors.Is(%v, %v) = false", got, w)
				}
			}
			for _, w := range tc.notWant {
				if errors.Is(got, w) {
					t.Errorf("errors.Is(%v, %v) = true", got, w)
				}
			}
			if tc.wantString != "" && got.Error() != tc.wantString {
				t.Errorf("Error() = %q, want %q", got.Error(), tc.wantString)
			}
		})
	}
	if fromStatus(live, "p", nil, false) != nil || toStatus(nil) != nil {
		t.Error("nil error did not stay nil")
	}
}

// A provider that itself talks gRPC must not make the host believe the
// plugin is down.
func TestProviderGRPCStatusIsNotPassedThrough(t *testing.T) {
	provErr := status.Error(codes.Unavailable, "cloud API unreachable")
	got := fromStatus(context.Background(), "p", overTheWire(t, toStatus(provErr)), false)
	if errors.Is(got, ErrPluginUnavailable) {
		t.Errorf("provider's Unavailable became ErrPluginUnavailable: %v", got)
	}
	if got.Error() != provErr.Error() {
		t.Errorf("message = %q, want %q", got.Error(), provErr.Error())
	}
}
