package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"

	"github.com/k1s-dev/k1s/cluster"
)

// The running `k1s up` serves a small control API on a unix socket in its data dir, so
// that `k1s node ...` acts on the live cluster: nodes are kubelets inside that process.
const controlSocket = "k1s.sock"

// serveControl serves the control API until ctx ends. The socket is only reachable by
// the data dir's owner (the data dir is 0700).
func serveControl(ctx context.Context, dataDir string, c *cluster.Cluster) (func(), error) {
	path := filepath.Join(dataDir, controlSocket)
	_ = os.Remove(path) // a stale socket of a k1s that did not stop cleanly
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listening on the control socket: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /nodes/{name}/{action}", func(w http.ResponseWriter, r *http.Request) {
		name, action := r.PathValue("name"), r.PathValue("action")
		var err error
		switch action {
		case "add":
			var opts cluster.NodeOptions
			if r.ContentLength > 0 {
				if err := json.NewDecoder(r.Body).Decode(&opts); err != nil {
					http.Error(w, "bad node options: "+err.Error(), http.StatusBadRequest)
					return
				}
			}
			_, err = c.AddNode(r.Context(), name, opts)
			if err == nil {
				err = c.WaitForNodesReady(r.Context(), name)
			}
		case "stop":
			err = c.StopNode(name)
		case "start":
			err = c.StartNode(name)
		case "rm":
			err = c.RemoveNode(r.Context(), name)
		default:
			http.Error(w, "unknown action "+action, http.StatusNotFound)
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		fmt.Fprintf(w, "node/%s %s\n", name, pastTense[action])
	})
	registerCloudRoutes(mux, c)
	mux.HandleFunc("GET /nodes", func(w http.ResponseWriter, r *http.Request) {
		for _, name := range c.NodeNames() {
			state := "running"
			if n := c.Node(name); n != nil && n.Kubelet.HeartbeatsPaused() {
				state = "stopped"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\n", name, c.Node(name).IP, state)
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			klog.Background().Error(err, "Control socket stopped")
		}
	}()
	return func() {
		srv.Close()
		os.Remove(path)
	}, nil
}

var pastTense = map[string]string{"add": "added", "stop": "stopped", "start": "started", "rm": "removed"}

func newNodeCommand() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Add, stop, start or remove nodes of the running cluster",
		Long: `Act on the nodes of the cluster that "k1s up" runs for --data-dir. Stopping a node stops
its heartbeats (Lease renewals and status updates) while its kubelet keeps running: the
control plane sees a failed node. Starting it resumes them.`,
	}
	cmd.PersistentFlags().StringVar(&dataDir, "data-dir", defaultDataDir(), "Data dir of the running cluster (env "+dataDirEnv+")")
	action := func(use, short, act string) *cobra.Command {
		return &cobra.Command{
			Use:   use + " NAME",
			Short: short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return controlRequest(cmd, dataDir, http.MethodPost, "/nodes/"+args[0]+"/"+act)
			},
		}
	}
	list := &cobra.Command{
		Use:   "ls",
		Short: "List the nodes (kubelets) of the running cluster",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return controlRequest(cmd, dataDir, http.MethodGet, "/nodes")
		},
	}
	cmd.AddCommand(
		action("add", "Add a node (start a new kubelet) and wait until it is Ready", "add"),
		action("stop", "Stop a node's heartbeats (simulate a node failure)", "stop"),
		action("start", "Resume a stopped node's heartbeats", "start"),
		action("rm", "Remove a node: stop its kubelet and delete its Node", "rm"),
		list,
	)
	return cmd
}

func controlRequest(cmd *cobra.Command, dataDir, method, path string) error {
	socket := filepath.Join(dataDir, controlSocket)
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		},
	}}
	req, err := http.NewRequestWithContext(cmd.Context(), method, "http://k1s"+path, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "k1s: no running cluster for data dir %s (is `k1s up` running?): %v\n", dataDir, err)
		return exitCode(1)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(cmd.ErrOrStderr(), "k1s: %s\n", strings.TrimSpace(string(body)))
		return exitCode(1)
	}
	_, err = cmd.OutOrStdout().Write(body)
	return err
}
