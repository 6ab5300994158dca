package kubectlcmd

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunReadsStdin checks that `-f -` reads the stdin given to Run: kubectl itself reads
// os.Stdin there, not its IOStreams.
func TestRunReadsStdin(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	manifest := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\ndata:\n  color: blue\n"
	var out, errOut bytes.Buffer
	err := Run(kubeconfig, []string{"label", "--local", "-f", "-", "team=a", "-o", "jsonpath={.metadata.name} {.metadata.labels.team}"},
		strings.NewReader(manifest), &out, &errOut)
	if err != nil {
		t.Fatalf("kubectl label --local -f -: %v\nstderr:\n%s", err, errOut.String())
	}
	if got := out.String(); got != "settings a" {
		t.Errorf("kubectl label --local -f - printed %q, want %q", got, "settings a")
	}
	if os.Stdin == nil {
		t.Error("os.Stdin not restored")
	}

	// Errors come back as an ExitError with kubectl's exit code and message.
	out.Reset()
	errOut.Reset()
	err = Run(kubeconfig, []string{"label", "--local", "-f", "-", "team=a"}, strings.NewReader("not: [yaml"), &out, &errOut)
	var exit *ExitError
	if !errors.As(err, &exit) || exit.Code != 1 {
		t.Fatalf("bad manifest: error %v, want an ExitError with code 1", err)
	}
	if !strings.Contains(errOut.String(), "error:") {
		t.Errorf("bad manifest: stderr %q", errOut.String())
	}
}
