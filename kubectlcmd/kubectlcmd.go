// Package kubectlcmd runs the real kubectl (k8s.io/kubectl) in-process against a given
// kubeconfig: `k1s kubectl` and the e2e tests use it, so users need no kubectl binary and
// tests drive the cluster exactly as a user would.
//
// kubectl keeps process-wide state (its fatal-error hook, flag defaults), so commands run
// one at a time per process.
package kubectlcmd

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	kubectl "k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/plugin"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
)

var mu sync.Mutex

// ExitError is a kubectl failure: the message kubectl printed and its exit code.
type ExitError struct {
	Message string
	Code    int
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("kubectl exited with code %d: %s", e.Code, e.Message)
}

// fatal carries kubectl's fatal exit through a panic back to Run.
type fatal struct{ ExitError }

// Run runs kubectl with args (without the leading "kubectl") and the given streams. When
// kubeconfig is not empty it is the default --kubeconfig; an explicit flag still wins.
// kubectl's errors come back as *ExitError instead of ending the process.
func Run(kubeconfig string, args []string, in io.Reader, out, errOut io.Writer) (err error) {
	mu.Lock()
	defer mu.Unlock()

	// kubectl reads `-f -` from os.Stdin itself (cli-runtime's FileVisitor), not from
	// IOStreams.In, so a caller's stdin would be silently ignored: serve it on os.Stdin
	// for the duration of the command. Commands run one at a time, so the swap is safe.
	if f, ok := in.(*os.File); in != nil && (!ok || f != os.Stdin) {
		restore, err := redirectStdin(in)
		if err != nil {
			return &ExitError{Message: err.Error(), Code: 1}
		}
		defer restore()
	}

	streams := genericiooptions.IOStreams{In: in, Out: out, ErrOut: errOut}
	flags := genericclioptions.NewConfigFlags(true).WithDeprecatedPasswordFlag().
		WithDiscoveryBurst(300).WithDiscoveryQPS(50.0).WithWarningPrinter(streams)
	if kubeconfig != "" {
		flags.KubeConfig = &kubeconfig
	}
	cmd := kubectl.NewDefaultKubectlCommandWithArgs(kubectl.KubectlOptions{
		PluginHandler: kubectl.NewDefaultPluginHandler(plugin.ValidPluginFilenamePrefixes),
		Arguments:     append([]string{"kubectl"}, args...),
		ConfigFlags:   flags,
		IOStreams:     streams,
	})
	replaceCanIRun(cmd, flags, streams)
	cmd.SetArgs(args)
	cmd.SetIn(in)
	cmd.SetOut(out)
	cmd.SetErr(errOut)

	cmdutil.BehaviorOnFatal(func(msg string, code int) {
		panic(fatal{ExitError{Message: msg, Code: code}})
	})
	defer cmdutil.DefaultBehaviorOnFatal()
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(fatal)
			if !ok {
				panic(r)
			}
			if f.Message != "" {
				fmt.Fprint(errOut, strings.TrimSuffix(f.Message, "\n")+"\n")
			}
			err = &f.ExitError
		}
	}()
	if err := cmd.Execute(); err != nil {
		return &ExitError{Message: err.Error(), Code: 1}
	}
	return nil
}

// redirectStdin makes os.Stdin a pipe fed from in until restore is called.
func redirectStdin(in io.Reader) (restore func(), err error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("redirecting stdin: %w", err)
	}
	go func() {
		// Fails with EPIPE once restore closes r, when kubectl did not read it all.
		_, _ = io.Copy(w, in)
		w.Close()
	}()
	saved := os.Stdin
	os.Stdin = r
	return func() {
		os.Stdin = saved
		r.Close()
	}, nil
}
