package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/k1s-dev/k1s/cluster"
	"github.com/k1s-dev/k1s/plugins/builtin"
	"github.com/k1s-dev/k1s/plugins/cloud"
	"github.com/k1s-dev/k1s/plugins/local"
)

// TestMain lets this test binary serve the built-in cloud plugins, as k1s's main does.
func TestMain(m *testing.M) {
	builtin.MaybeServe()
	code := m.Run()
	cloud.CleanupClients()
	os.Exit(code)
}

// runK1s runs the k1s command line in-process and returns what it printed.
func runK1s(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootCommand()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	err = root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// TestCloudCommands drives `k1s cloud vms` and `k1s cloud vm ...` against a running
// local-cloud cluster through its control socket, as a second k1s process would.
func TestCloudCommands(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := cluster.Start(ctx, cluster.Config{CloudProvider: local.ProviderName, Nodes: 2, Zones: []string{"zone-a", "zone-b"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	stopControl, err := serveControl(ctx, c.DataDir(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer stopControl()
	dir := "--data-dir=" + c.DataDir()

	ip1, ip2 := c.Node("k1s-node-1").IP, c.Node("k1s-node-2").IP
	running := fmt.Sprintf(`NAME         STATE     PROVIDER-ID          TYPE        ZONE     ADDRESS
k1s-node-1   running   local://k1s-node-1   k1s.small   zone-a   %s
k1s-node-2   running   local://k1s-node-2   k1s.small   zone-b   %s
`, ip1, ip2)
	shutdown := fmt.Sprintf(`NAME         STATE      PROVIDER-ID          TYPE        ZONE     ADDRESS
k1s-node-1   running    local://k1s-node-1   k1s.small   zone-a   %s
k1s-node-2   shutdown   local://k1s-node-2   k1s.small   zone-b   %s
`, ip1, ip2)
	out, errOut, err := runK1s(t, "cloud", "vms", dir)
	if err != nil {
		t.Fatalf("k1s cloud vms: %v: %s", err, errOut)
	}
	if out != running {
		t.Errorf("k1s cloud vms printed\n%s\nwant\n%s", out, running)
	}

	out, errOut, err = runK1s(t, "cloud", "vm", "shutdown", "k1s-node-2", dir)
	if err != nil || out != "vm/k1s-node-2 shut down\n" {
		t.Errorf("k1s cloud vm shutdown k1s-node-2: %q, %v: %s", out, err, errOut)
	}
	if out, _, _ := runK1s(t, "cloud", "vms", dir); out != shutdown {
		t.Errorf("after shutdown, k1s cloud vms printed\n%s", out)
	}
	if out, errOut, err := runK1s(t, "cloud", "vm", "start", "k1s-node-2", dir); err != nil || out != "vm/k1s-node-2 started\n" {
		t.Errorf("k1s cloud vm start k1s-node-2: %q, %v: %s", out, err, errOut)
	}
	if out, _, _ := runK1s(t, "cloud", "vms", dir); out != running {
		t.Errorf("after start, k1s cloud vms printed\n%s", out)
	}

	_, errOut, err = runK1s(t, "cloud", "vm", "delete", "nosuch", dir)
	var exit exitCode
	if !errors.As(err, &exit) || exit != 1 || !strings.Contains(errOut, `vm "nosuch": vm not found`) {
		t.Errorf("k1s cloud vm delete nosuch: %v, stderr %q; want exit code 1 and vm not found", err, errOut)
	}
}
