package e2e

import (
	"os"
	"testing"

	"github.com/k1s-dev/k1s/plugins/builtin"
	"github.com/k1s-dev/k1s/plugins/cloud"
)

// TestMain lets clusters of this test binary run built-in cloud providers: a cluster
// with CloudProvider "local" re-executes the binary as `<binary> plugin cloud local`,
// which MaybeServe turns into the plugin process instead of a second test run.
func TestMain(m *testing.M) {
	builtin.MaybeServe()
	code := m.Run()
	// Plugins of clusters a failed test never stopped must not outlive the binary.
	cloud.CleanupClients()
	os.Exit(code)
}
