package kubectlcmd

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/kubectl/pkg/cmd/auth"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
)

// replaceCanIRun makes `kubectl auth can-i` report "no" as exit code 1 through Run's
// ExitError. Upstream's command calls os.Exit(1) itself, which would end the process
// kubectl runs in. The replacement does what upstream's Run does (Complete, Validate,
// then RunAccessList or RunAccessCheck) with the options read back from the command's
// parsed flags.
func replaceCanIRun(root *cobra.Command, flags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) {
	canI, _, err := root.Find([]string{"auth", "can-i"})
	if err != nil || canI.Name() != "can-i" {
		return
	}
	// The same factory kubectl builds for its commands, over the same (parsed) flags.
	f := cmdutil.NewFactory(cmdutil.NewMatchVersionFlags(flags))
	canI.Run = func(cmd *cobra.Command, args []string) {
		o := &auth.CanIOptions{IOStreams: streams}
		fs := cmd.Flags()
		o.AllNamespaces, _ = fs.GetBool("all-namespaces")
		o.Quiet, _ = fs.GetBool("quiet")
		o.Subresource, _ = fs.GetString("subresource")
		o.List, _ = fs.GetBool("list")
		o.NoHeaders, _ = fs.GetBool("no-headers")

		cmdutil.CheckErr(o.Complete(f, args))
		cmdutil.CheckErr(o.Validate())
		if o.List {
			cmdutil.CheckErr(o.RunAccessList())
			return
		}
		allowed, err := o.RunAccessCheck()
		cmdutil.CheckErr(err)
		if !allowed {
			panic(fatal{ExitError{Code: 1}})
		}
	}
}
