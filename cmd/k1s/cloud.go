package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"text/tabwriter"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"

	"github.com/k1s-dev/k1s/cluster"
	"github.com/k1s-dev/k1s/plugins/builtin"
	"github.com/k1s-dev/k1s/plugins/local"
)

// registerCloudRoutes serves `k1s cloud ...` on the control socket: the local cloud's
// VMs live in the running `k1s up`, which also runs their nodes' kubelets.
func registerCloudRoutes(mux *http.ServeMux, c *cluster.Cluster) {
	mux.HandleFunc("GET /cloud/vms", func(w http.ResponseWriter, _ *http.Request) {
		vms, err := c.CloudVMs()
		if err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		if err := writeVMTable(w, vms); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("POST /cloud/vms/{name}/{action}", func(w http.ResponseWriter, r *http.Request) {
		name, action := r.PathValue("name"), r.PathValue("action")
		var err error
		switch action {
		case "shutdown":
			err = c.ShutdownVM(name)
		case "start":
			err = c.StartVM(name)
		case "delete":
			err = c.DeleteVM(name)
		default:
			http.Error(w, "unknown vm action "+action, http.StatusNotFound)
			return
		}
		switch {
		case errors.Is(err, local.ErrVMNotFound):
			http.Error(w, err.Error(), http.StatusNotFound)
		case err != nil:
			http.Error(w, err.Error(), http.StatusConflict)
		default:
			fmt.Fprintf(w, "vm/%s %s\n", name, vmPastTense[action])
		}
	})
}

var vmPastTense = map[string]string{"shutdown": "shut down", "start": "started", "delete": "deleted"}

// writeVMTable prints VMs as kubectl prints tables: upper-case headers, columns
// aligned with three spaces, <none> for a missing value.
func writeVMTable(w io.Writer, vms []local.VM) error {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tPROVIDER-ID\tTYPE\tZONE\tADDRESS")
	for _, vm := range vms {
		address := "<none>"
		for _, a := range vm.Addresses {
			if a.Type == corev1.NodeInternalIP {
				address = a.Address
				break
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", vm.Name, vm.State, vm.ProviderID, vm.InstanceType, vm.Zone, address)
	}
	return tw.Flush()
}

func newCloudCommand() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "cloud",
		Short: "Look at and act on the local cloud's VMs (k1s up --cloud-provider local)",
		Long: `Act on the VMs of the local cloud of the cluster that "k1s up --cloud-provider local" runs
for --data-dir. Each node runs on a VM of the same name. Shutting a VM down stops its
kubelet: the Node turns NotReady and the cloud node lifecycle controller taints it
node.cloudprovider.kubernetes.io/shutdown. Starting it boots the kubelet again. Deleting
it makes the cloud node lifecycle controller delete the Node.`,
	}
	cmd.PersistentFlags().StringVar(&dataDir, "data-dir", defaultDataDir(), "Data dir of the running cluster (env "+dataDirEnv+")")
	vms := &cobra.Command{
		Use:   "vms",
		Short: "List the VMs of the local cloud",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return controlRequest(cmd, dataDir, http.MethodGet, "/cloud/vms")
		},
	}
	vm := &cobra.Command{
		Use:   "vm",
		Short: "Shut down, start or delete a VM of the local cloud",
	}
	action := func(act, short string) *cobra.Command {
		return &cobra.Command{
			Use:   act + " NAME",
			Short: short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return controlRequest(cmd, dataDir, http.MethodPost, "/cloud/vms/"+args[0]+"/"+act)
			},
		}
	}
	vm.AddCommand(
		action("shutdown", "Power a VM off: its kubelet stops and its Node gets the shutdown taint"),
		action("start", "Power a VM on: its kubelet starts again on the same address"),
		action("delete", "Delete a VM: its kubelet stops and the cloud deletes its Node"),
	)
	cmd.AddCommand(vms, vm)
	return cmd
}

// newPluginCommand is the hidden `k1s plugin cloud NAME`, which a cluster runs to
// serve a built-in cloud provider in a process of its own. main serves it through
// builtin.MaybeServe before cobra sees the arguments; the command is here so that
// `k1s help plugin` finds it and a malformed invocation gets cobra's error.
func newPluginCommand() *cobra.Command {
	plugin := &cobra.Command{
		Use:    "plugin",
		Short:  "Serve a plugin built into k1s (run by k1s itself)",
		Hidden: true,
	}
	plugin.AddCommand(&cobra.Command{
		Use:       "cloud NAME",
		Short:     "Serve a built-in cloud provider over the cloud plugin protocol",
		Args:      cobra.ExactArgs(1),
		ValidArgs: builtin.Names,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := builtin.Serve(args[0]); err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "k1s: %v\n", err)
				return exitCode(1)
			}
			return nil
		},
	})
	return plugin
}
