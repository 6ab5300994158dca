package cloud

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/go-logr/logr"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"
)

// ServeConfig configures a plugin process. The zero value plus a Provider is
// complete.
type ServeConfig struct {
	// Provider is the cloud provider to serve. Required.
	Provider cloudprovider.Interface

	// ClientBuilder is handed to Provider.Initialize. The host's Kubernetes
	// credentials do not cross the process boundary, so by default the
	// provider gets a builder that returns ErrNoClientBuilder (and panics in
	// the *OrDie methods); a provider that needs the API sets its own.
	ClientBuilder cloudprovider.ControllerClientBuilder

	// KeepKlog leaves klog's configuration alone. By default Serve redirects
	// klog into the host's log (see log.go) and sets klog's verbosity to the
	// host's, which is what a plugin process wants; a caller that already
	// configured klog on purpose sets KeepKlog.
	KeepKlog bool

	// hclogOutput is where the plugin's hclog JSON goes; tests replace it.
	// Defaults to the process's stderr, which go-plugin on the host reads.
	hclogOutput *os.File
}

// Validate reports a ServeConfig that cannot serve.
func (c *ServeConfig) Validate() error {
	if c.Provider == nil {
		return errors.New("cloud.ServeConfig: Provider is required")
	}
	return nil
}

// Serve serves provider as a k1s cloud plugin and does not return while the
// host keeps the plugin running. It is the only call a plugin's main needs:
//
//	func main() { cloud.Serve(myprovider.New()) }
//
// Run directly (not by a k1s host) it prints that it is a plugin and exits 1.
func Serve(provider cloudprovider.Interface) {
	cfg := ServeConfig{Provider: provider}
	if err := cfg.Serve(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// Serve serves the configured provider; see the package-level Serve. Built-in
// providers are served from the k1s binary itself this way: the host starts
// `k1s plugin cloud NAME` (see ResolveCommand) and that command calls
//
//	(&cloud.ServeConfig{Provider: builtin[NAME]()}).Serve()
//
// so a built-in provider runs in its own process exactly like an external one.
// It returns an error only for an invalid configuration; go-plugin itself
// exits the process on a handshake failure.
func (c *ServeConfig) Serve() error {
	if err := c.Validate(); err != nil {
		return err
	}
	out := c.hclogOutput
	if out == nil {
		// Captured now: go-plugin swaps os.Stderr for a pipe once serving,
		// while the host parses log lines only from the real stderr.
		out = os.Stderr
	}
	hc := hclog.New(&hclog.LoggerOptions{
		Level:      hclog.Trace,
		Output:     out,
		JSONFormat: true,
	})
	maxV := pluginVerbosity()
	logger := logr.New(&hclogSink{hc: hc, maxV: maxV})
	if !c.KeepKlog {
		klog.SetLogger(logger)
		// klog.V checks klog's own -v flag, not the logger: align it.
		fs := flag.NewFlagSet("klog", flag.ContinueOnError)
		klog.InitFlags(fs)
		_ = fs.Set("v", strconv.Itoa(maxV))
	}

	p := &grpcPlugin{provider: c.Provider, builder: c.ClientBuilder, logger: logger}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         plugin.PluginSet{PluginName: p},
		GRPCServer:      plugin.DefaultGRPCServer,
		Logger:          hc,
	})
	// Serving ended (the host shut the plugin down): close the stop channel
	// the provider got in Initialize.
	p.closeServers()
	return nil
}

// pluginVerbosity is the host's klog verbosity as passed in envVerbosity; a
// plugin started by something else logs at V(2).
func pluginVerbosity() int {
	if v, err := strconv.Atoi(os.Getenv(envVerbosity)); err == nil && v >= 0 {
		return v
	}
	return 2
}
