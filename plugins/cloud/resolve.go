package cloud

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// BinaryPrefix is the file name prefix of an external plugin: provider NAME
// lives in <plugin-dir>/k1s-cloud-NAME.
const BinaryPrefix = "k1s-cloud-"

// BuiltinArgs are the arguments with which the host re-executes its own binary
// to serve built-in provider NAME: `k1s plugin cloud NAME`. The command behind
// them calls ServeConfig.Serve with that provider.
var BuiltinArgs = []string{"plugin", "cloud"}

// CommandConfig says how to find the plugin for --cloud-provider.
type CommandConfig struct {
	// Name is --cloud-provider.
	Name string
	// PluginDir is --plugin-dir, searched for k1s-cloud-NAME.
	PluginDir string
	// Builtins are the provider names the k1s binary serves itself; they take
	// precedence over the plugin directory.
	Builtins []string
	// Executable is the k1s binary to re-execute for a built-in provider;
	// default os.Executable().
	Executable string
}

// ResolveCommand turns --cloud-provider and --plugin-dir into
// ClientConfig.Command. A built-in name re-executes the k1s binary
// (`k1s plugin cloud NAME`); any other name must be an executable
// <plugin-dir>/k1s-cloud-NAME, and a missing one is an error here, not at
// start.
func ResolveCommand(cfg CommandConfig) (func() *exec.Cmd, error) {
	name := cfg.Name
	if name == "" {
		return nil, errors.New("--cloud-provider: no provider name given")
	}
	if strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return nil, fmt.Errorf("--cloud-provider %q: a provider name cannot be a path", name)
	}
	if slices.Contains(cfg.Builtins, name) {
		self := cfg.Executable
		if self == "" {
			var err error
			if self, err = os.Executable(); err != nil {
				return nil, fmt.Errorf("--cloud-provider %q: finding the k1s binary to serve the built-in provider: %w", name, err)
			}
		}
		args := append(slices.Clone(BuiltinArgs), name)
		return func() *exec.Cmd { return exec.Command(self, args...) }, nil
	}
	if cfg.PluginDir == "" {
		return nil, fmt.Errorf("--cloud-provider %q is not built in (built-in: %s) and --plugin-dir is not set", name, builtinList(cfg.Builtins))
	}
	path := filepath.Join(cfg.PluginDir, BinaryPrefix+name)
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("--cloud-provider %q is not built in (built-in: %s) and there is no plugin binary %s in --plugin-dir: %w", name, builtinList(cfg.Builtins), path, err)
	case err != nil:
		return nil, fmt.Errorf("--cloud-provider %q: %w", name, err)
	case fi.IsDir() || fi.Mode().Perm()&0o111 == 0:
		return nil, fmt.Errorf("--cloud-provider %q: plugin %s is not an executable file", name, path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("--cloud-provider %q: %w", name, err)
	}
	return func() *exec.Cmd { return exec.Command(abs) }, nil
}

func builtinList(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
