package builtin

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"sync/atomic"

	cloudprovider "k8s.io/cloud-provider"

	"github.com/k1s-dev/k1s/plugins/cloud"
	"github.com/k1s-dev/k1s/plugins/local"
)

// LocalDirEnv names the environment variable through which the host tells the
// local provider its data dir (<data-dir>/cloud): the plugin process has no
// flags of its own, and the host changes the same files (VM power) itself.
const LocalDirEnv = "K1S_LOCAL_CLOUD_DIR"

// provider builds a built-in provider in the plugin process; closeFn releases
// what it holds once serving ends.
type provider func() (p cloudprovider.Interface, closeFn func(), err error)

var providers = map[string]provider{
	local.ProviderName: func() (cloudprovider.Interface, func(), error) {
		dir := os.Getenv(LocalDirEnv)
		if dir == "" {
			return nil, nil, fmt.Errorf("built-in cloud provider %q: %s is not set (the host sets it to <data-dir>/cloud)", local.ProviderName, LocalDirEnv)
		}
		c, err := local.New(dir)
		if err != nil {
			return nil, nil, err
		}
		return c, func() { _ = c.Close() }, nil
	},
}

// Names are the built-in providers, for cloud.CommandConfig.Builtins.
var Names = func() []string {
	names := make([]string, 0, len(providers))
	for name := range providers {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}()

// armed records that this binary called MaybeServe, so that re-executing it
// serves a built-in provider rather than running the program (or, for a test
// binary, every test) again.
var armed atomic.Bool

// Armed reports whether this process called MaybeServe. A host checks it
// before re-executing itself for a built-in provider.
func Armed() bool { return armed.Load() }

// IsPluginInvocation reports whether args (os.Args) ask this binary to serve a
// built-in provider, and which.
func IsPluginInvocation(args []string) (name string, ok bool) {
	if len(args) != 2+len(cloud.BuiltinArgs) || !slices.Equal(args[1:1+len(cloud.BuiltinArgs)], cloud.BuiltinArgs) {
		return "", false
	}
	return args[len(args)-1], true
}

// MaybeServe serves a built-in provider and exits the process when os.Args is
// `<binary> plugin cloud NAME`; otherwise it returns at once. Call it first in
// main or TestMain, before flags are parsed.
func MaybeServe() {
	armed.Store(true)
	name, ok := IsPluginInvocation(os.Args)
	if !ok {
		return
	}
	if err := Serve(name); err != nil {
		fmt.Fprintf(os.Stderr, "k1s plugin cloud %s: %v\n", name, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// Serve serves built-in provider name as a cloud plugin until the host shuts
// it down. Run by hand (not by a k1s host) it fails, as every plugin does.
func Serve(name string) error {
	build, ok := providers[name]
	if !ok {
		return fmt.Errorf("no built-in cloud provider %q (built-in: %v)", name, Names)
	}
	if os.Getenv(cloud.MagicCookieKey) == "" {
		// go-plugin would print its own notice and exit 1; say what to do instead.
		return errors.New("this is a cloud plugin, started by `k1s up --cloud-provider " + name + "`; it is not meant to be run by hand")
	}
	p, closeFn, err := build()
	if err != nil {
		return err
	}
	defer closeFn()
	return (&cloud.ServeConfig{Provider: p}).Serve()
}
