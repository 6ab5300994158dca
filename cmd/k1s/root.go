package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math/bits"
	"net/netip"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/klog/v2"

	"github.com/k1s-dev/k1s/cluster"
	"github.com/k1s-dev/k1s/kubectlcmd"
)

// exitCode ends the process with a code without printing anything more.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit code %d", int(e)) }

// dataDirEnv overrides the default data dir for every command.
const dataDirEnv = "K1S_DATA_DIR"

func defaultDataDir() string {
	if d := os.Getenv(dataDirEnv); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ".k1s"
	}
	return filepath.Join(home, ".k1s")
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "k1s",
		Short:         "k1s runs a whole Kubernetes cluster in one process",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newUpCommand(), newKubectlCommand(), newNodeCommand(), newCloudCommand(), newPluginCommand())
	return root
}

func newUpCommand() *cobra.Command {
	var (
		cfg               cluster.Config
		logFile           string
		verbose           int
		allocateNodeCIDRs bool
		clusterCIDR       string
		leaderElect       bool
	)
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start a cluster and run it until interrupted",
		Long: `Start a cluster: embedded etcd (or --etcd-servers) and the apiserver, then the rest of
the control plane. It prints each stage with its time and the kubeconfig to use, and
stops cleanly on SIGINT or SIGTERM. Starting again on the same --data-dir keeps every object.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if os.Getenv("GOGC") == "" {
				debug.SetGCPercent(upGCPercent)
			}
			if allocateNodeCIDRs {
				cfg.ClusterCIDR = clusterCIDR
			}
			applyFlagDefaults(cmd.Flags(), &cfg, cmd.OutOrStdout())
			cfg.LeaderElection.Disabled = !leaderElect
			if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
				return fmt.Errorf("creating --data-dir: %w", err)
			}
			if logFile == "" {
				logFile = filepath.Join(cfg.DataDir, "k1s.log")
			}
			if err := setUpLogging(logFile, verbose); err != nil {
				return err
			}
			defer klog.Flush()
			out := cmd.OutOrStdout()
			start := time.Now()
			cfg.Progress = func(stage string, took time.Duration) {
				fmt.Fprintf(out, "  %-13s %8s\n", stage, took.Round(time.Millisecond))
			}
			fmt.Fprintf(out, "Starting k1s in %s\n", cfg.DataDir)
			c, err := cluster.Start(cmd.Context(), cfg)
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "k1s: %v\n", err)
				return exitCode(1)
			}
			stopControl, err := serveControl(cmd.Context(), cfg.DataDir, c)
			if err != nil {
				c.Stop()
				fmt.Fprintf(cmd.ErrOrStderr(), "k1s: %v\n", err)
				return exitCode(1)
			}
			defer stopControl()
			fmt.Fprintf(out, "Ready in %s. Kubeconfig: %s\n", time.Since(start).Round(time.Millisecond), c.Kubeconfig())
			// Start-up builds large transient structures (OpenAPI specs, discovery,
			// certificates); hand their memory back to the OS now rather than whenever the
			// scavenger gets to it, so an idle cluster stays small.
			debug.FreeOSMemory()
			fmt.Fprintf(out, "  export KUBECONFIG=%s\n  k1s kubectl get namespaces\n", c.Kubeconfig())
			fmt.Fprintf(out, "Logs: %s. Press Ctrl-C to stop.\n", logFile)
			select {
			case <-cmd.Context().Done():
			case <-c.Done():
			}
			failed := false
			select {
			case <-c.Done():
				// A component failed (a lost leader election lease, the apiserver).
				fmt.Fprintf(cmd.ErrOrStderr(), "k1s: %v\n", c.Err())
				failed = true
			default:
			}
			fmt.Fprintln(out, "Stopping k1s")
			if err := c.Stop(); err != nil || failed {
				fmt.Fprintf(cmd.ErrOrStderr(), "k1s: %v\n", err)
				return exitCode(1)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.DataDir, "data-dir", defaultDataDir(), "Directory for the cluster's state: etcd data, certificates, kubeconfig, logs (env "+dataDirEnv+")")
	f.IntVar(&cfg.Port, "port", 6443, "HTTPS port of the apiserver")
	f.StringVar(&cfg.ListenAddress, "listen-address", "127.0.0.1", "IP address the apiserver listens on")
	f.StringSliceVar(&cfg.EtcdServers, "etcd-servers", nil, "Use these external etcd client URLs instead of the embedded etcd")
	f.StringVar(&cfg.EtcdCAFile, "etcd-cafile", "", "CA file to verify the external etcd's serving certificate")
	f.StringVar(&cfg.EtcdCertFile, "etcd-certfile", "", "Client certificate for the external etcd")
	f.StringVar(&cfg.EtcdKeyFile, "etcd-keyfile", "", "Client key for the external etcd")
	f.StringVar(&cfg.ServiceClusterIPRange, "service-cluster-ip-range", "10.96.0.0/12", "CIDR from which Service cluster IPs are allocated")
	f.StringVar(&cfg.ServiceNodePortRange, "service-node-port-range", "30000-32767", "Port range from which Service node ports are allocated")
	f.IntVar(&cfg.Nodes, "nodes", 3, "Number of nodes (kubelets) to start, named k1s-node-1..N")
	f.StringSliceVar(&cfg.Zones, "zones", nil, "Spread the nodes over these zones (topology.kubernetes.io/zone), e.g. a,b,c")
	f.BoolVar(&allocateNodeCIDRs, "allocate-node-cidrs", true, "Give each node a pod CIDR from --cluster-cidr (node IPAM); pods then get IPs from it")
	f.StringVar(&clusterCIDR, "cluster-cidr", "10.244.0.0/16", "CIDR range for pods, split into per-node pod CIDRs")
	f.IntVar(&cfg.NodeCIDRMaskSize, "node-cidr-mask-size", 24, "Mask size of each node's pod CIDR")
	f.DurationVar(&cfg.NodeDefaults.NodeStatusUpdateFrequency, "node-status-update-frequency", 10*time.Second, "How often each kubelet computes its node status (and posts it when it changed)")
	f.Int32Var(&cfg.NodeDefaults.NodeLeaseDurationSeconds, "node-lease-duration-seconds", 40, "Duration of each node's Lease; kubelets renew it every quarter of this")
	f.StringVar(&cfg.NodeDefaults.Runtime, "runtime", "sim", "Container runtime of the nodes: \"sim\" (simulated, nothing runs) or \"process\" (containers run as host processes under <data-dir>/pods; NOT isolated)")
	nl := &cfg.NodeLifecycle
	f.DurationVar(&nl.NodeMonitorPeriod, "node-monitor-period", 5*time.Second, "How often the node lifecycle controller checks node health")
	f.DurationVar(&nl.NodeMonitorGracePeriod, "node-monitor-grace-period", 50*time.Second, "How long a node may go without heartbeats before it is marked Unknown (the seed's 40s was the default before v1.32)")
	f.DurationVar(&nl.NodeStartupGracePeriod, "node-startup-grace-period", 60*time.Second, "Grace period for a new node that has never reported Ready")
	f.Float32Var(&nl.NodeEvictionRate, "node-eviction-rate", 0.1, "Nodes per second per zone that get NoExecute taints while the zone is healthy")
	f.Float32Var(&nl.SecondaryNodeEvictionRate, "secondary-node-eviction-rate", 0.01, "Nodes per second per zone in a partially disrupted zone")
	f.Int32Var(&nl.LargeClusterSizeThreshold, "large-cluster-size-threshold", 50, "Zones with at most this many nodes are not tainted while partially disrupted")
	f.Float32Var(&nl.UnhealthyZoneThreshold, "unhealthy-zone-threshold", 0.55, "Fraction of not-Ready nodes (at least 3) from which a zone is partially disrupted")
	f.StringVar(&cfg.KubeletCertificateAuthority, "kubelet-certificate-authority", "", "CA file to verify kubelet serving certificates with (default: the cluster CA, which signs k1s's kubelets)")
	f.BoolVar(&cfg.KubeletInsecureSkipTLSVerify, "kubelet-insecure-skip-tls-verify", false, "Do not verify kubelet serving certificates (insecure; logged as a warning)")
	f.StringSliceVar(&cfg.Controllers, "controllers", []string{"*"}, "Controllers of the controller manager to run: '*' runs all, 'foo' runs foo, '-foo' turns foo off (e.g. -garbage-collector-controller)")
	f.BoolVar(&cfg.DisableScheduler, "disable-scheduler", false, "Run no scheduler: pods stay Pending until something else binds them")
	f.BoolVar(&leaderElect, "leader-elect", true, "Run the controller manager and the scheduler only while holding their leader election Leases in kube-system, so that several k1s control planes can share one etcd")
	f.DurationVar(&cfg.LeaderElection.LeaseDuration, "leader-elect-lease-duration", 15*time.Second, "How long a standby waits after the leader's last renewal before taking over")
	f.DurationVar(&cfg.LeaderElection.RenewDeadline, "leader-elect-renew-deadline", 10*time.Second, "How long the leader keeps trying to renew before it stops leading")
	f.DurationVar(&cfg.LeaderElection.RetryPeriod, "leader-elect-retry-period", 2*time.Second, "How often leader election tries to acquire or renew")
	f.StringVar(&cfg.CloudProvider, "cloud-provider", "", "Run the cloud controllers against this cloud provider: \"local\" (built in: simulated VMs, loopback load balancers) or NAME for the plugin binary k1s-cloud-NAME in --plugin-dir; nodes then register as with --cloud-provider=external")
	f.StringVar(&cfg.PluginDir, "plugin-dir", "", "Directory of external cloud provider plugins (k1s-cloud-NAME binaries)")
	f.BoolVar(&cfg.ConfigureCloudRoutes, "configure-cloud-routes", true, "Have the cloud provider create routes for the nodes' pod CIDRs (needs --allocate-node-cidrs)")
	f.StringVar(&logFile, "log-file", "", "Write logs to this file (default <data-dir>/k1s.log); '-' means stderr")
	f.IntVarP(&verbose, "v", "v", 0, "Log verbosity")
	return cmd
}

// upGCPercent is the garbage collector's target of `k1s up` unless GOGC is set: a
// new cycle when the heap has grown by half of what is live (Go's default is 100%).
// Most of a cluster's heap is long-lived caches (informers, the watch cache, each
// kubelet's state) while the garbage comes from a steady trickle of lease renewals
// and status checks, so collecting twice as often costs little CPU and saves a
// third of the memory: 1,000 nodes take about 520 MiB instead of 645 MiB, at 0.37
// instead of 0.33 cores (BenchmarkK1sUpNodes, 2 cores).
const upGCPercent = 50

// applyFlagDefaults applies the rules by which some of `k1s up`'s defaults depend on
// whether other flags were given:
//   - --node-status-update-frequency counts as set only when given, as the kubelet's:
//     a given update frequency is also the report frequency (for backward
//     compatibility), else nodes report their unchanged status every 5 minutes;
//   - with node IPAM on and neither --cluster-cidr nor --node-cidr-mask-size given,
//     the default cluster CIDR grows to hold a pod CIDR for each of --nodes
//     (widenClusterCIDR); it says so on out.
func applyFlagDefaults(flags *pflag.FlagSet, cfg *cluster.Config, out io.Writer) {
	if !flags.Changed("node-status-update-frequency") {
		cfg.NodeDefaults.NodeStatusUpdateFrequency = 0
	}
	if cfg.ClusterCIDR != "" && !flags.Changed("cluster-cidr") && !flags.Changed("node-cidr-mask-size") {
		if wider, ok := widenClusterCIDR(cfg.ClusterCIDR, cfg.NodeCIDRMaskSize, cfg.Nodes, cfg.ServiceClusterIPRange); ok {
			fmt.Fprintf(out, "Pod CIDRs from %s: the default --cluster-cidr %s has too few /%d for %d nodes\n", wider, cfg.ClusterCIDR, cfg.NodeCIDRMaskSize, cfg.Nodes)
			cfg.ClusterCIDR = wider
		}
	}
}

// widenClusterCIDR returns a cluster CIDR with room for a pod CIDR of mask size
// maskSize for each of nodes nodes, when the default one (cidr) has too little:
// the same network with a shorter prefix, as long as it still does not overlap
// the service range. Without it, the node IPAM controller would give pod CIDRs
// to the first nodes only and report CIDRNotAvailable for the others over and
// over, as upstream does; a user who asks for 1,000 nodes and keeps the default
// CIDR wants them all to work. Explicit --cluster-cidr or --node-cidr-mask-size
// are taken as they are.
func widenClusterCIDR(cidr string, maskSize, nodes int, serviceRange string) (string, bool) {
	prefix, err := netip.ParsePrefix(cidr)
	if err != nil || !prefix.Addr().Is4() {
		return "", false
	}
	need := bits.Len(uint(max(nodes, 1) - 1)) // log2 of nodes, rounded up
	if prefix.Bits()+need <= maskSize {
		return "", false
	}
	bitsLeft := maskSize - need
	if bitsLeft < 8 {
		return "", false
	}
	wider := netip.PrefixFrom(prefix.Addr(), bitsLeft).Masked()
	// The service range may be dual-stack ("v4,v6"); an unreadable one is not
	// known to be clear.
	for _, r := range strings.Split(serviceRange, ",") {
		services, err := netip.ParsePrefix(strings.TrimSpace(r))
		if err != nil || wider.Overlaps(services) {
			return "", false
		}
	}
	return wider.String(), true
}

// setUpLogging sends klog output to a file, so that `k1s up` shows people only its
// progress, and the components' logs stay available.
func setUpLogging(logFile string, verbosity int) error {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	settings := map[string]string{"v": fmt.Sprint(verbosity)}
	if logFile != "-" {
		settings["logtostderr"] = "false"
		settings["alsologtostderr"] = "false"
		settings["stderrthreshold"] = "FATAL"
		settings["log_file"] = logFile
		settings["skip_log_headers"] = "true"
	}
	for k, v := range settings {
		if err := fs.Set(k, v); err != nil {
			return fmt.Errorf("configuring logging: %w", err)
		}
	}
	return nil
}

func newKubectlCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "kubectl [kubectl arguments]",
		Short: "Run kubectl against the cluster in --data-dir (env " + dataDirEnv + ")",
		Long: `Run kubectl, built into k1s, with the cluster's admin kubeconfig: the data dir's kubeconfig
unless KUBECONFIG or --kubeconfig says otherwise.`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			kubeconfig := ""
			if os.Getenv("KUBECONFIG") == "" && !hasKubeconfigFlag(args) {
				kubeconfig = filepath.Join(defaultDataDir(), "kubeconfig")
				if _, err := os.Stat(kubeconfig); err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "k1s: no cluster kubeconfig at %s: start one with `k1s up` (or set %s)\n", kubeconfig, dataDirEnv)
					return exitCode(1)
				}
			}
			err := kubectlcmd.Run(kubeconfig, args, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
			var exit *kubectlcmd.ExitError
			if errors.As(err, &exit) {
				return exitCode(exit.Code)
			}
			return err
		},
	}
}

func hasKubeconfigFlag(args []string) bool {
	for _, a := range args {
		if a == "--kubeconfig" || strings.HasPrefix(a, "--kubeconfig=") {
			return true
		}
	}
	return false
}
