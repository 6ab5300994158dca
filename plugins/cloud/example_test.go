package cloud_test

import (
	"context"
	"fmt"
	"os"

	"k8s.io/cloud-provider/fake"

	"github.com/k1s-dev/k1s/plugins/cloud"
)

// A plugin's whole main: wrap any cloudprovider.Interface. Build it as
// k1s-cloud-NAME into the --plugin-dir (plugins/cloud/examples/fake is this
// program).
func ExampleServe() {
	cloud.Serve(&fake.Cloud{Provider: "fake", EnableInstancesV2: true})
}

// The host side: resolve --cloud-provider/--plugin-dir, start the plugin and
// hand its Provider to the k8s.io/cloud-provider controllers.
func ExampleNewClient() {
	command, err := cloud.ResolveCommand(cloud.CommandConfig{
		Name:      "fake",
		PluginDir: "/usr/lib/k1s/plugins",
		Builtins:  []string{"local"},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	c, err := cloud.NewClient(cloud.ClientConfig{Name: "fake", Command: command})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	if err := c.Start(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	defer c.Close()
	provider := c.Provider()
	_, hasLB := provider.LoadBalancer()
	fmt.Println(provider.ProviderName(), hasLB)
}

// A built-in provider is served by the k1s binary itself; the hidden command
// `k1s plugin cloud NAME` does no more than this.
func ExampleServeConfig_Serve() {
	builtins := map[string]func() *fake.Cloud{"local": func() *fake.Cloud { return &fake.Cloud{Provider: "local"} }}
	name := "local" // from `k1s plugin cloud local`
	cfg := cloud.ServeConfig{Provider: builtins[name]()}
	if err := cfg.Serve(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
