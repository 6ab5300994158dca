package cloud

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	cloudprovider "k8s.io/cloud-provider"
	cloudproviderapi "k8s.io/cloud-provider/api"

	pb "github.com/k1s-dev/k1s/plugins/cloud/internal/proto"
)

// ErrPluginUnavailable is wrapped by every error the host adapter returns
// while the plugin process is not serving: it crashed and is being restarted,
// it was closed, or the connection broke in the middle of a call. The cloud
// controllers treat it like any other cloud error and retry later, which is
// what they would do if a real cloud API were briefly unreachable.
var ErrPluginUnavailable = errors.New("cloud plugin unavailable")

// remoteError is a provider error as the host sees it: the provider's message
// unchanged (controllers put it into events) and, when the provider returned
// or wrapped one of cloudprovider's sentinel errors, that very sentinel for
// errors.Is.
type remoteError struct {
	msg      string
	sentinel error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.sentinel }

// sentinels pairs each cloudprovider sentinel error with its wire kind. Order
// matters only for an error that wraps several sentinels: the first wins.
var sentinels = []struct {
	err  error
	kind pb.ErrorDetail_Kind
	code codes.Code
}{
	{cloudprovider.InstanceNotFound, pb.ErrorDetail_KIND_INSTANCE_NOT_FOUND, codes.NotFound},
	{cloudprovider.DiskNotFound, pb.ErrorDetail_KIND_DISK_NOT_FOUND, codes.NotFound},
	{cloudprovider.NotImplemented, pb.ErrorDetail_KIND_NOT_IMPLEMENTED, codes.Unimplemented},
	{cloudprovider.ImplementedElsewhere, pb.ErrorDetail_KIND_IMPLEMENTED_ELSEWHERE, codes.FailedPrecondition},
}

// toStatus turns a provider error into the gRPC error the plugin returns.
//
// The provider's own error is never passed through as a gRPC status even if
// it is one (a provider may well talk gRPC to its cloud): codes.Unavailable on
// the host must mean "the plugin is unreachable", not "the cloud said so".
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	var retry *cloudproviderapi.RetryError
	switch {
	case errors.As(err, &retry):
		return withDetail(codes.Aborted, err.Error(), &pb.ErrorDetail{
			Kind:            pb.ErrorDetail_KIND_RETRY,
			RetryAfterNanos: int64(retry.RetryAfter()),
		})
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return withDetail(s.code, err.Error(), &pb.ErrorDetail{Kind: s.kind})
		}
	}
	return status.Error(codes.Unknown, err.Error())
}

func withDetail(code codes.Code, msg string, detail *pb.ErrorDetail) error {
	st, err := status.New(code, msg).WithDetails(detail)
	if err != nil {
		// Only fails if the detail cannot be marshalled, which for this
		// message cannot happen; keep the code so the meaning survives.
		return status.Error(code, msg)
	}
	return st.Err()
}

// fromStatus turns the error of a gRPC call made by the host adapter back into
// what the provider returned. ctx is the caller's context and closed tells
// whether the host had closed the connection by the time the call returned:
// together they tell a caller's cancellation, the provider's own
// context.Canceled and the connection going away underneath the call apart.
func fromStatus(ctx context.Context, name string, err error, closed bool) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("cloud plugin %q: %w", name, err)
	}
	for _, d := range st.Details() {
		detail, ok := d.(*pb.ErrorDetail)
		if !ok {
			continue
		}
		if detail.GetKind() == pb.ErrorDetail_KIND_RETRY {
			return cloudproviderapi.NewRetryError(st.Message(), time.Duration(detail.GetRetryAfterNanos()))
		}
		for _, s := range sentinels {
			if s.kind == detail.GetKind() {
				return &remoteError{msg: st.Message(), sentinel: s.err}
			}
		}
	}
	switch st.Code() {
	case codes.Unimplemented:
		// A plugin built against an older contract lacks the RPC altogether;
		// to the controllers that is exactly "not implemented".
		return &remoteError{msg: st.Message(), sentinel: cloudprovider.NotImplemented}
	case codes.Canceled:
		if ctx.Err() != nil {
			return fmt.Errorf("cloud plugin %q: %w", name, context.Cause(ctx))
		}
		if closed {
			// Not our caller's doing: the host closed the connection (restart
			// or Close) while the call was in flight.
			return fmt.Errorf("cloud plugin %q: %s: %w", name, st.Message(), ErrPluginUnavailable)
		}
		return &remoteError{msg: st.Message(), sentinel: context.Canceled}
	case codes.DeadlineExceeded:
		if ctx.Err() != nil {
			return fmt.Errorf("cloud plugin %q: %w", name, context.Cause(ctx))
		}
		return &remoteError{msg: st.Message(), sentinel: context.DeadlineExceeded}
	case codes.Unavailable:
		return fmt.Errorf("cloud plugin %q: %s: %w", name, st.Message(), ErrPluginUnavailable)
	}
	return &remoteError{msg: st.Message()}
}
