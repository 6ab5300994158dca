package cloud

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResolveCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	write(BinaryPrefix+"acme", 0o755)
	write(BinaryPrefix+"noexec", 0o644)
	// A plugin binary named like a built-in loses to the built-in.
	write(BinaryPrefix+"local", 0o755)

	for _, tc := range []struct {
		name     string
		cfg      CommandConfig
		wantArgs []string
		wantErr  string
	}{{
		name:     "built-in re-executes k1s",
		cfg:      CommandConfig{Name: "local", PluginDir: dir, Builtins: []string{"local"}, Executable: "/usr/bin/k1s"},
		wantArgs: []string{"/usr/bin/k1s", "plugin", "cloud", "local"},
	}, {
		name:     "external binary in the plugin dir",
		cfg:      CommandConfig{Name: "acme", PluginDir: dir, Builtins: []string{"local"}},
		wantArgs: []string{filepath.Join(dir, BinaryPrefix+"acme")},
	}, {
		name:    "missing binary",
		cfg:     CommandConfig{Name: "gce", PluginDir: dir, Builtins: []string{"local"}},
		wantErr: "no plugin binary " + filepath.Join(dir, BinaryPrefix+"gce"),
	}, {
		name:    "not executable",
		cfg:     CommandConfig{Name: "noexec", PluginDir: dir},
		wantErr: "not an executable",
	}, {
		name:    "no plugin dir",
		cfg:     CommandConfig{Name: "acme", Builtins: []string{"local"}},
		wantErr: "--plugin-dir is not set",
	}, {
		name:    "empty name",
		cfg:     CommandConfig{PluginDir: dir},
		wantErr: "no provider name",
	}, {
		name:    "path as name",
		cfg:     CommandConfig{Name: "../acme", PluginDir: dir},
		wantErr: "cannot be a path",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			cmdFn, err := ResolveCommand(tc.cfg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cmd1, cmd2 := cmdFn(), cmdFn()
			if cmd1 == cmd2 {
				t.Error("Command returned the same *exec.Cmd twice; a restart needs a fresh one")
			}
			if diff := cmp.Diff(tc.wantArgs, cmd1.Args); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
		})
	}
}
