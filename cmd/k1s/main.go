// Command k1s runs a whole Kubernetes cluster in one process.
package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"

	"github.com/k1s-dev/k1s/plugins/builtin"
	"github.com/k1s-dev/k1s/plugins/cloud"
)

func main() {
	// Re-executed as `k1s plugin cloud NAME` to serve a built-in cloud provider, k1s
	// serves it and exits here.
	builtin.MaybeServe()
	code := run()
	// Plugin processes must not outlive k1s, whichever way it exits.
	cloud.CleanupClients()
	os.Exit(code)
}

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := newRootCommand().ExecuteContext(ctx)
	var exit exitCode
	switch {
	case errors.As(err, &exit):
		return int(exit)
	case err != nil && !errors.Is(err, context.Canceled):
		return 1
	}
	return 0
}
