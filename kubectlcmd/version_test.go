package kubectlcmd

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"k8s.io/component-base/version"
)

// TestClientVersion checks that the version kubectl reports in builds without -ldflags
// (this test binary is one) is the release of the k8s.io/kubectl module in go.mod.
func TestClientVersion(t *testing.T) {
	data, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	var modVersion string
	for line := range strings.Lines(string(data)) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "k8s.io/kubectl" {
			modVersion = f[1]
		}
	}
	var minor, patch int
	if _, err := fmt.Sscanf(modVersion, "v0.%d.%d", &minor, &patch); err != nil {
		t.Fatalf("k8s.io/kubectl version %q in go.mod: %v", modVersion, err)
	}
	want := fmt.Sprintf("v1.%d.%d+k1s", minor, patch)
	if ClientVersion != want {
		t.Errorf("ClientVersion = %s, want %s for k8s.io/kubectl %s", ClientVersion, want, modVersion)
	}
	if got := version.Get(); got.GitVersion != want || got.Major != "1" || got.Minor != fmt.Sprint(minor) {
		t.Errorf("client version = %s (major %q, minor %q), want %s (1, %d)", got.GitVersion, got.Major, got.Minor, want, minor)
	}
}
