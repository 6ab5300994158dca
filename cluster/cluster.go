// Package cluster is k1s's composition root and public Go API: it starts etcd, the
// apiserver and (as they land) the controllers and kubelets of one cluster, in dependency
// order, and stops them in reverse.
//
//	c, err := cluster.Start(ctx, cluster.Config{})
//	defer c.Stop()
//	client := kubernetes.NewForConfigOrDie(c.RESTConfig())
//
// A zero Config picks free ports and a temporary data dir, so a test binary can run many
// clusters in parallel.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/klog/v2"

	"github.com/k1s-dev/k1s/apiserver"
	"github.com/k1s-dev/k1s/apiserver/auth/bootstrappolicy"
	"github.com/k1s-dev/k1s/apiserver/etcd"
	"github.com/k1s-dev/k1s/controllers/job"
	"github.com/k1s-dev/k1s/controllers/nodelifecycle"
	"github.com/k1s-dev/k1s/pki"
)

// Config configures a cluster. The zero value is a working test cluster.
type Config struct {
	// DataDir holds etcd's data, the certificates and the kubeconfig. Empty means a new
	// temporary directory, removed by Stop.
	DataDir string
	// ListenAddress is the apiserver's bind address (default 127.0.0.1).
	ListenAddress string
	// Port is the apiserver's HTTPS port; 0 picks a free one.
	Port int

	// EtcdServers, when set, points at an external etcd and no embedded one starts.
	EtcdServers []string
	// EtcdCAFile, EtcdCertFile and EtcdKeyFile secure the connection to an external etcd.
	EtcdCAFile, EtcdCertFile, EtcdKeyFile string
	// EtcdUnsafeNoFsync makes the embedded etcd skip fsync: much faster, but a crash can
	// lose recent writes. Meant for throw-away test clusters.
	EtcdUnsafeNoFsync bool

	// ServiceClusterIPRange and ServiceNodePortRange default to upstream's 10.96.0.0/12
	// and 30000-32767.
	ServiceClusterIPRange string
	ServiceNodePortRange  string

	// Nodes is how many nodes (kubelets) start with the cluster, named k1s-node-1..N.
	// Start returns once all of them are Ready.
	Nodes int
	// Zones spreads the nodes round-robin over these topology.kubernetes.io/zone values.
	Zones []string
	// NodeDefaults are the kubelet settings of the nodes started with the cluster (their
	// Zone comes from Zones).
	NodeDefaults NodeOptions

	// ClusterCIDR, when set, turns on node IPAM (--allocate-node-cidrs): each Node gets a
	// pod CIDR of NodeCIDRMaskSize bits (default 24) from it, and its pods get IPs from
	// that. Comma-separated for dual-stack. Empty: pods use their node's IP.
	ClusterCIDR      string
	NodeCIDRMaskSize int

	// NodeLifecycle configures the node lifecycle controller (--node-monitor-period,
	// --node-monitor-grace-period, ...); zero fields take upstream's defaults.
	NodeLifecycle nodelifecycle.Config

	// KubeletCertificateAuthority (--kubelet-certificate-authority) verifies kubelet
	// serving certificates; empty means the cluster CA, which signs k1s's kubelets.
	KubeletCertificateAuthority string
	// KubeletInsecureSkipTLSVerify (--kubelet-insecure-skip-tls-verify) turns that
	// verification off; the apiserver logs a warning.
	KubeletInsecureSkipTLSVerify bool

	// Controllers is kube-controller-manager's --controllers: "*" turns on every
	// controller, "name" one controller, "-name" turns one off (names as upstream's:
	// replicaset-controller, garbage-collector-controller, ...). Nil means {"*"}.
	Controllers []string
	// DisableScheduler runs no scheduler: pods stay unbound unless something binds
	// them (a test playing the scheduler, a scheduler of one's own).
	DisableScheduler bool

	// Job configures the job controller (pod failure backoff, ...); zero fields take
	// upstream's defaults.
	Job job.Config

	// LeaderElection configures the leader election of the controller manager and the
	// scheduler (on by default, as upstream's --leader-elect).
	LeaderElection LeaderElection

	// CloudProvider is --cloud-provider: "" runs no cloud; a name runs the cloud
	// controllers (the cloud-controller-manager stage) against that provider's plugin,
	// built into k1s ("local") or the binary k1s-cloud-NAME in PluginDir. Nodes then
	// register as with --cloud-provider=external, and with "local" each node gets a VM.
	CloudProvider string
	// PluginDir is --plugin-dir, where external cloud plugins are looked up.
	PluginDir string
	// ConfigureCloudRoutes is --configure-cloud-routes: the route controller creates
	// cloud routes for the nodes' pod CIDRs (it needs ClusterCIDR).
	ConfigureCloudRoutes bool

	// Progress, when set, is told about each start-up stage as it completes.
	Progress func(stage string, took time.Duration)
}

// Validate reports configuration errors.
func (c *Config) Validate() error {
	var errs []error
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("--port %d must be between 0 and 65535", c.Port))
	}
	if err := c.NodeLifecycle.Validate(); err != nil {
		errs = append(errs, err)
	}
	for _, entry := range c.Controllers {
		if name := strings.TrimPrefix(entry, "-"); name != "*" && !knownController(name) {
			errs = append(errs, fmt.Errorf("--controllers: %q is not a known controller", entry))
		}
	}
	if err := c.LeaderElection.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.validateCloud(); err != nil {
		errs = append(errs, err)
	}
	if c.Nodes < 0 {
		errs = append(errs, fmt.Errorf("--nodes %d must not be negative", c.Nodes))
	}
	if c.ListenAddress != "" && net.ParseIP(c.ListenAddress) == nil {
		errs = append(errs, fmt.Errorf("--listen-address %q is not an IP address", c.ListenAddress))
	}
	if len(c.EtcdServers) == 0 && (c.EtcdCAFile != "" || c.EtcdCertFile != "" || c.EtcdKeyFile != "") {
		errs = append(errs, errors.New("--etcd-cafile, --etcd-certfile and --etcd-keyfile need --etcd-servers"))
	}
	return errors.Join(errs...)
}

// Cluster is a running cluster.
type Cluster struct {
	cfg        Config
	dataDir    string
	tempDir    bool
	restConfig *rest.Config
	kubeconfig string
	ca         *pki.CA

	nodes  nodes
	tokens *nodeTokens
	// kubeletTransport is the transport the kubelets share (see nodeTokens);
	// made on first use.
	kubeletTransportOnce sync.Once
	kubeletTransport     *http.Transport
	kubeletTransportErr  error
	kcm                  *stage
	nlc                  atomic.Pointer[nodelifecycle.Controller] // replaced on a new leadership term
	cloud                *cloudRuntime
	scheduler            *stage
	proxy                *proxyStage
	etcd                 *etcd.Server
	cancel               context.CancelFunc
	done                 chan struct{}
	runErr               error
	failMu               sync.Mutex
	failErr              error
	stopOnce             sync.Once
	stopErr              error
}

// Start starts a cluster and returns once it is ready: the apiserver answers /readyz and
// the system namespaces exist. A failed start stops whatever it had started.
func Start(ctx context.Context, cfg Config) (_ *Cluster, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Cluster{cfg: cfg, dataDir: cfg.DataDir, done: make(chan struct{}), nodes: nodes{byName: map[string]*Node{}}}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	if c.dataDir == "" {
		dir, err := os.MkdirTemp("", "k1s-")
		if err != nil {
			return nil, fmt.Errorf("creating a data dir: %w", err)
		}
		c.dataDir, c.tempDir = dir, true
	}
	if err := os.MkdirAll(c.dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data dir: %w", err)
	}
	stage := c.stageTimer()

	listenIP := net.ParseIP("127.0.0.1")
	if cfg.ListenAddress != "" {
		listenIP = net.ParseIP(cfg.ListenAddress)
	}
	listener, err := net.Listen("tcp", net.JoinHostPort(listenIP.String(), strconv.Itoa(cfg.Port)))
	if err != nil {
		return nil, fmt.Errorf("listening on %s port %d: %w", listenIP, cfg.Port, err)
	}
	port := listener.Addr().(*net.TCPAddr).Port

	apiCfg := apiserver.Defaults()
	if cfg.ServiceClusterIPRange != "" {
		apiCfg.ServiceClusterIPRange = cfg.ServiceClusterIPRange
	}
	if cfg.ServiceNodePortRange != "" {
		apiCfg.ServiceNodePortRange = cfg.ServiceNodePortRange
	}
	apiCfg.KubeletCertificateAuthority = cfg.KubeletCertificateAuthority
	apiCfg.KubeletInsecureSkipTLSVerify = cfg.KubeletInsecureSkipTLSVerify
	if err := c.writeCredentials(listenIP, port, &apiCfg); err != nil {
		listener.Close()
		return nil, err
	}
	stage("certificates")

	if len(cfg.EtcdServers) > 0 {
		apiCfg.EtcdServers = cfg.EtcdServers
		apiCfg.EtcdCAFile, apiCfg.EtcdCertFile, apiCfg.EtcdKeyFile = cfg.EtcdCAFile, cfg.EtcdCertFile, cfg.EtcdKeyFile
	} else {
		c.etcd, err = etcd.Start(ctx, etcd.Config{DataDir: filepath.Join(c.dataDir, "etcd"), UnsafeNoFsync: cfg.EtcdUnsafeNoFsync})
		if err != nil {
			listener.Close()
			return nil, err
		}
		apiCfg.EtcdServers = []string{c.etcd.Endpoint()}
		stage("etcd")
	}

	apiCfg.BindAddress = listenIP
	apiCfg.Listener = listener
	server, err := apiserver.New(apiCfg)
	if err != nil {
		listener.Close()
		return nil, fmt.Errorf("building the apiserver: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c.cancel = cancel
	go func() {
		defer close(c.done)
		c.runErr = server.Run(runCtx)
	}()
	if err := c.waitReady(ctx); err != nil {
		return nil, err
	}
	stage("apiserver")
	// The control-plane programs depend only on the apiserver, so they start side by
	// side: each waits at least one informer sync poll (100 ms) for its caches.
	programs := []func(context.Context) error{c.startControllers, c.startProxy}
	if cfg.CloudProvider != "" {
		programs = append(programs, c.startCloud)
	}
	if !cfg.DisableScheduler {
		programs = append(programs, c.startScheduler)
	}
	errs := make([]error, len(programs))
	var wg sync.WaitGroup
	for i, start := range programs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = start(ctx)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	stage("control plane")
	if cfg.Nodes > 0 {
		if err := c.startNodes(ctx); err != nil {
			return nil, err
		}
		stage(fmt.Sprintf("%d nodes", cfg.Nodes))
	}
	return c, nil
}

func (c *Cluster) stageTimer() func(string) {
	last := time.Now()
	return func(name string) {
		now := time.Now()
		if c.cfg.Progress != nil {
			c.cfg.Progress(name, now.Sub(last))
		}
		last = now
	}
}

// writeCredentials creates the CA, the apiserver's serving certificate, the service
// account signing key, the admin client certificate and the admin kubeconfig in the data dir.
func (c *Cluster) writeCredentials(listenIP net.IP, port int, apiCfg *apiserver.Config) error {
	pkiDir := filepath.Join(c.dataDir, "pki")
	ca, err := pki.LoadOrCreateCA(pkiDir, "ca", "k1s-ca")
	if err != nil {
		return err
	}
	c.ca = ca
	ips := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.96.0.1")}
	if !listenIP.IsUnspecified() && !listenIP.Equal(ips[0]) {
		ips = append(ips, listenIP)
	}
	serving, err := ca.EnsureServing(pkiDir, "apiserver", pki.ServingSpec{
		CommonName: "kube-apiserver",
		DNSNames:   []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
		IPs:        ips,
	})
	if err != nil {
		return err
	}
	admin, err := ca.EnsureClient(pkiDir, "admin", pki.ClientSpec{CommonName: "kubernetes-admin", Organizations: []string{"system:masters"}})
	if err != nil {
		return err
	}
	// The apiserver's identity towards kubelets: its own user, bound to
	// system:kubelet-api-admin by the bootstrap policy (not system:masters).
	kubeletClient, err := ca.EnsureClient(pkiDir, "apiserver-kubelet-client", pki.ClientSpec{CommonName: bootstrappolicy.KubeAPIServerKubeletClient})
	if err != nil {
		return err
	}
	apiCfg.KubeletClientCertificate, apiCfg.KubeletClientKey = kubeletClient.CertFile, kubeletClient.KeyFile
	apiCfg.TLSCertFile, apiCfg.TLSKeyFile = serving.CertFile, serving.KeyFile
	apiCfg.ClientCAFile = ca.CertFile
	if c.tokens, err = loadNodeTokens(filepath.Join(pkiDir, "node-tokens.csv")); err != nil {
		return err
	}
	apiCfg.TokenAuthFile = c.tokens.path
	// The service account token signing key, kept across restarts so issued tokens stay valid.
	saKey, saPub := filepath.Join(pkiDir, "sa.key"), filepath.Join(pkiDir, "sa.pub")
	if err := pki.EnsureSigningKey(saKey, saPub); err != nil {
		return err
	}
	apiCfg.ServiceAccountSigningKeyFile, apiCfg.ServiceAccountKeyFiles = saKey, []string{saPub}

	host := listenIP.String()
	if listenIP.IsUnspecified() {
		host = "127.0.0.1"
	}
	server := "https://" + net.JoinHostPort(host, strconv.Itoa(port))
	certPEM, keyPEM, err := admin.Load()
	if err != nil {
		return err
	}
	kubeconfig := clientcmdapi.NewConfig()
	kubeconfig.Clusters["k1s"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca.CertPEM()}
	kubeconfig.AuthInfos["k1s-admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: certPEM, ClientKeyData: keyPEM}
	kubeconfig.Contexts["k1s"] = &clientcmdapi.Context{Cluster: "k1s", AuthInfo: "k1s-admin", Namespace: metav1.NamespaceDefault}
	kubeconfig.CurrentContext = "k1s"
	data, err := clientcmd.Write(*kubeconfig)
	if err != nil {
		return fmt.Errorf("encoding the kubeconfig: %w", err)
	}
	c.kubeconfig = filepath.Join(c.dataDir, "kubeconfig")
	if err := pki.WriteFileAtomic(c.kubeconfig, data, 0o600); err != nil {
		return fmt.Errorf("writing the kubeconfig: %w", err)
	}
	c.restConfig = &rest.Config{
		Host: server,
		TLSClientConfig: rest.TLSClientConfig{
			CAData: ca.CertPEM(), CertData: certPEM, KeyData: keyPEM,
		},
		QPS:   -1, // client-side rate limiting off: the apiserver's own limits apply
		Burst: -1,
	}
	return nil
}

// waitReady waits until /readyz succeeds and the system namespaces exist: "ready" means a
// client can use the cluster, not that a port is open.
func (c *Cluster) waitReady(ctx context.Context) error {
	client, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return err
	}
	var lastErr error
	err = wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		select {
		case <-c.done:
			return false, fmt.Errorf("apiserver stopped while starting: %w", c.runErr)
		default:
		}
		if c.etcd != nil {
			select {
			case err := <-c.etcd.Err():
				return false, fmt.Errorf("etcd failed while starting: %w", err)
			default:
			}
		}
		body, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err != nil {
			lastErr = fmt.Errorf("readyz: %w: %s", err, body)
			return false, nil
		}
		for _, ns := range apiserver.SystemNamespaces {
			if _, err := client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
				lastErr = err
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil && lastErr != nil {
		return fmt.Errorf("waiting for the apiserver: %w (last: %v)", err, lastErr)
	}
	return err
}

// RESTConfig returns a client configuration with cluster-admin rights (group
// system:masters). Each call returns a new copy.
func (c *Cluster) RESTConfig() *rest.Config { return rest.CopyConfig(c.restConfig) }

// Kubeconfig is the path of the admin kubeconfig.
func (c *Cluster) Kubeconfig() string { return c.kubeconfig }

// DataDir is the cluster's data dir.
func (c *Cluster) DataDir() string { return c.dataDir }

// CA is the cluster's certificate authority.
func (c *Cluster) CA() *pki.CA { return c.ca }

// Done is closed when the cluster stopped, by Stop or by a component failing.
func (c *Cluster) Done() <-chan struct{} { return c.done }

// Err reports why the cluster stopped, after Done is closed: a component's failure
// (such as a lost leader election lease), else the apiserver's.
func (c *Cluster) Err() error {
	c.failMu.Lock()
	defer c.failMu.Unlock()
	if c.failErr != nil {
		return c.failErr
	}
	return c.runErr
}

// Stop stops the cluster in reverse start order and, for a temporary data dir, removes
// it. It is safe to call more than once.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		logger := klog.Background().WithName("cluster")
		c.stopNodes()
		// Through the Once, which no node starts after now: a concurrent AddNode
		// may still be making the transport.
		c.kubeletTransportOnce.Do(func() {})
		if c.kubeletTransport != nil {
			c.kubeletTransport.CloseIdleConnections()
		}
		c.stopProxy()
		c.stopCloud()
		c.stopControllers()
		if c.cancel != nil {
			c.cancel()
			<-c.done
			if c.runErr != nil && !errors.Is(c.runErr, context.Canceled) {
				c.stopErr = c.runErr
			}
		}
		if c.etcd != nil {
			c.etcd.Close()
		}
		if c.tempDir {
			if err := os.RemoveAll(c.dataDir); err != nil {
				logger.Error(err, "Removing the temporary data dir", "dir", c.dataDir)
			}
		}
	})
	return c.stopErr
}
