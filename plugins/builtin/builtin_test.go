package builtin

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2/ktesting"

	"github.com/k1s-dev/k1s/plugins/cloud"
	"github.com/k1s-dev/k1s/plugins/local"
)

// TestMain makes this test binary a k1s binary in miniature: re-executed as
// `<test binary> plugin cloud NAME`, it serves the built-in provider.
func TestMain(m *testing.M) {
	MaybeServe()
	code := m.Run()
	cloud.CleanupClients()
	os.Exit(code)
}

func TestIsPluginInvocation(t *testing.T) {
	tests := []struct {
		args     []string
		wantName string
		wantOK   bool
	}{
		{[]string{"k1s", "plugin", "cloud", "local"}, "local", true},
		{[]string{"k1s", "plugin", "cloud", "other"}, "other", true},
		{[]string{"k1s", "up"}, "", false},
		{[]string{"k1s", "plugin", "cloud"}, "", false},
		{[]string{"k1s", "plugin", "cloud", "local", "extra"}, "", false},
		{[]string{"k1s", "plugin", "storage", "local"}, "", false},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			name, ok := IsPluginInvocation(tt.args)
			if name != tt.wantName || ok != tt.wantOK {
				t.Errorf("IsPluginInvocation = %q, %v; want %q, %v", name, ok, tt.wantName, tt.wantOK)
			}
		})
	}
}

func TestNamesAndArmed(t *testing.T) {
	if len(Names) != 1 || Names[0] != local.ProviderName {
		t.Errorf("Names = %v, want [local]", Names)
	}
	if !Armed() {
		t.Error("Armed() = false after TestMain called MaybeServe")
	}
}

func TestServeRefuses(t *testing.T) {
	t.Run("unknown provider", func(t *testing.T) {
		if err := Serve("nosuch"); err == nil || !strings.Contains(err.Error(), `no built-in cloud provider "nosuch"`) {
			t.Errorf("Serve(nosuch) = %v", err)
		}
	})
	t.Run("run by hand", func(t *testing.T) {
		t.Setenv(cloud.MagicCookieKey, "")
		if err := Serve(local.ProviderName); err == nil || !strings.Contains(err.Error(), "not meant to be run by hand") {
			t.Errorf("Serve(local) without the handshake cookie = %v", err)
		}
	})
}

// startLocal starts the built-in local provider as a plugin process of this
// test binary, on dir, as the cluster does.
func startLocal(t *testing.T, dir string) *cloud.Client {
	t.Helper()
	command, err := cloud.ResolveCommand(cloud.CommandConfig{Name: local.ProviderName, Builtins: Names})
	if err != nil {
		t.Fatal(err)
	}
	client, err := cloud.NewClient(cloud.ClientConfig{
		Name: local.ProviderName,
		Command: func() *exec.Cmd {
			cmd := command()
			cmd.Env = append(cmd.Env, LocalDirEnv+"="+dir)
			return cmd
		},
		MinRestartBackoff: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, ctx := ktesting.NewTestContext(t)
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	return client
}

// TestLocalPluginProcess runs the local cloud in a child process and checks
// that it answers from the data dir the host named.
func TestLocalPluginProcess(t *testing.T) {
	dir := t.TempDir()
	vms, err := local.OpenVMStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vms.Create(local.VM{Name: "n1", Zone: "z1", Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.1.7"}}}); err != nil {
		t.Fatal(err)
	}
	client := startLocal(t, dir)
	if pid := client.PID(); pid == 0 || pid == os.Getpid() {
		t.Errorf("PID() = %d, want the child's", pid)
	}
	p := client.Provider()
	if p.ProviderName() != local.ProviderName {
		t.Errorf("ProviderName() = %q", p.ProviderName())
	}
	instances, ok := p.InstancesV2()
	if !ok {
		t.Fatal("the local plugin does not offer InstancesV2")
	}
	ctx := context.Background()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}
	md, err := instances.InstanceMetadata(ctx, node)
	if err != nil {
		t.Fatal(err)
	}
	if md.ProviderID != "local://n1" || md.Zone != "z1" || md.Region != local.DefaultRegion || md.NodeAddresses[0].Address != "127.0.1.7" {
		t.Errorf("InstanceMetadata(n1) = %+v", md)
	}
	// The host powers the VM off in the files; the plugin sees it on the next call.
	if err := vms.SetState("n1", local.VMShutdown); err != nil {
		t.Fatal(err)
	}
	if down, err := instances.InstanceShutdown(ctx, node); err != nil || !down {
		t.Errorf("InstanceShutdown(n1) = %v, %v; want true", down, err)
	}
	_, err = instances.InstanceMetadata(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "gone"}})
	if !errors.Is(err, cloudprovider.InstanceNotFound) {
		t.Errorf("InstanceMetadata(gone) = %v, want InstanceNotFound", err)
	}
}
