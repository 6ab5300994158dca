package kubeletlite

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/clock"
)

// Defaults, as kubelet v1.37 has them (pkg/kubelet/apis/config/v1beta1/defaults.go,
// pkg/kubelet/kubelet.go).
const (
	DefaultNodeStatusUpdateFrequency       = 10 * time.Second
	DefaultNodeStatusReportFrequency       = 5 * time.Minute
	DefaultNodeLeaseDurationSeconds  int32 = 40
	DefaultMaxPods                         = 110
	DefaultKubeletPort               int32 = 10250
	DefaultKubeletVersion                  = "v1.37.2"

	// CloudProviderExternal is the only non-empty --cloud-provider value a v1.37
	// kubelet accepts.
	CloudProviderExternal = "external"

	// RuntimeType is the container runtime name reported in
	// status.nodeInfo.containerRuntimeVersion ("<type>://<version>") and used as
	// the scheme of container and image IDs.
	RuntimeType = "k1s"

	// nodeLeaseRenewIntervalFraction is the fraction of the lease duration after
	// which the kubelet renews its lease (pkg/kubelet/kubelet.go).
	nodeLeaseRenewIntervalFraction = 0.25
	// heartbeatJitterFactor spreads lease renewals and status syncs of many
	// nodes, as wait.JitterUntil(..., 0.04, ...) does upstream.
	heartbeatJitterFactor = 0.04
	// nodeStatusUpdateRetry is how often one status sync tries before giving up
	// until the next tick.
	nodeStatusUpdateRetry = 5
	// maxLeaseUpdateRetries matches component-helpers' lease controller.
	maxLeaseUpdateRetries = 5
	// maxBackoff caps registration and lease-creation retries (upstream: 7 s).
	maxBackoff     = 7 * time.Second
	initialBackoff = 100 * time.Millisecond
)

// Default simulated machine, used for every capacity entry the Config leaves out.
var defaultCapacity = corev1.ResourceList{
	corev1.ResourceCPU:              resource.MustParse("4"),
	corev1.ResourceMemory:           resource.MustParse("16Gi"),
	corev1.ResourcePods:             *resource.NewQuantity(DefaultMaxPods, resource.DecimalSI),
	corev1.ResourceEphemeralStorage: resource.MustParse("100Gi"),
}

// Config configures one Kubelet. Field names follow the kubelet flags (named in
// each comment); a zero value means "the upstream default".
type Config struct {
	// NodeName is --hostname-override: the Node's name and its hostname
	// (trimmed and lower-cased, as nodeutil.GetHostname does). Required.
	NodeName string
	// RegisterNode is --register-node. Note the zero value is false; use
	// NewConfig or set it explicitly to get upstream's default of true.
	RegisterNode bool
	// RegisterWithTaints is --register-with-taints; only used when the kubelet
	// creates its Node.
	RegisterWithTaints []corev1.Taint
	// NodeIP is --node-ip. k1s gives each node its own loopback address, so
	// unlike upstream a loopback IP is accepted. Unset: the hostname if it is an
	// IP, else 127.0.0.1 (k1s nodes never resolve their name through DNS).
	NodeIP net.IP
	// NodeLabels is --node-labels, applied on top of the default labels.
	NodeLabels map[string]string
	// CloudProvider is --cloud-provider: "" or "external".
	CloudProvider string

	// NodeStatusUpdateFrequency is --node-status-update-frequency (10s): how
	// often the status is computed.
	NodeStatusUpdateFrequency time.Duration
	// NodeStatusReportFrequency is nodeStatusReportFrequency: how often an
	// unchanged status is still posted. Zero means ReportFrequencyDefault(NodeStatusUpdateFrequency).
	NodeStatusReportFrequency time.Duration
	// NodeLeaseDurationSeconds is nodeLeaseDurationSeconds (40); the lease is
	// renewed every quarter of it.
	NodeLeaseDurationSeconds int32

	// Capacity of the simulated machine. Missing cpu, memory, pods and
	// ephemeral-storage entries get defaults (4 CPUs, 16Gi, 110 pods, 100Gi);
	// other entries (extended resources, hugepages) are reported as given.
	Capacity corev1.ResourceList
	// KubeReserved and SystemReserved are --kube-reserved and
	// --system-reserved; allocatable = capacity - both, floored at zero.
	KubeReserved   corev1.ResourceList
	SystemReserved corev1.ResourceList

	// KubeletVersion is reported as status.nodeInfo.kubeletVersion.
	KubeletVersion string
	// RuntimeVersion is the simulated runtime's version, reported as
	// status.nodeInfo.containerRuntimeVersion "k1s://<RuntimeVersion>".
	// Default: KubeletVersion without its leading "v".
	RuntimeVersion string
	// KubeletPort is --port, reported in status.daemonEndpoints (10250), where
	// the kubelet API listens on NodeIP.
	KubeletPort int32
	// KubeletListener, when set, is where the kubelet API is served instead of
	// NodeIP:KubeletPort, and its port is the one reported (tests and
	// concurrent clusters on one machine use a free port).
	KubeletListener net.Listener

	// ServingCertificate is the kubelet API's certificate (--tls-cert-file,
	// --tls-private-key-file). Nil: the kubelet API is not served.
	ServingCertificate *tls.Certificate
	// ClientCA verifies client certificates on the kubelet API
	// (--client-ca-file); share one value between kubelets. Nil: only bearer
	// tokens authenticate.
	ClientCA dynamiccertificates.CAContentProvider
	// AuthenticationCacheTTL is authentication.webhook.cacheTTL (2m): how long
	// a TokenReview answer is reused.
	AuthenticationCacheTTL time.Duration
	// AuthorizationAuthorizedTTL and AuthorizationDeniedTTL are
	// authorization.webhook.cacheAuthorizedTTL (5m) and cacheUnauthorizedTTL
	// (30s): how long SubjectAccessReview answers are reused.
	AuthorizationAuthorizedTTL time.Duration
	AuthorizationDeniedTTL     time.Duration

	// Clock drives every timer of the kubelet. Default: the real clock.
	Clock clock.WithTicker
	// Client is the kubelet's own connection to the apiserver. Required. A full
	// kubernetes.Interface will do; NewClient builds one with only the groups a
	// kubelet uses.
	Client Client
	// Recorder receives the events a kubelet records (node condition changes,
	// admission rejections, container start/kill/back-off). Optional: with nil
	// no events are written, which keeps 1,000 simulated nodes cheap.
	Recorder record.EventRecorder

	// Runtime is the container runtime (the role of
	// --container-runtime-endpoint): RuntimeSim ("" too, the default) or
	// RuntimeProcess, which runs every container as a host process (see
	// doc.go; it is NOT isolated).
	Runtime string
	// RootDirectory is --root-dir: with the process runtime, each pod gets
	// <RootDirectory>/<namespace>_<pod>_<uid>/ with a directory per container
	// (its default working directory), its logs and its service account
	// token. Required with RuntimeProcess.
	RootDirectory string
	// APIServerURL is where processes reach the apiserver
	// (KUBERNETES_SERVICE_HOST/PORT). Default: the host of Client's REST
	// client, i.e. the kubelet's own kubeconfig server.
	APIServerURL string
	// CrashLoopBackOffInitial and CrashLoopBackOffMax are the crash-loop
	// back-off of restarted containers: 10 s doubling up to
	// crashLoopBackOff.maxContainerRestartPeriod (5 min). Tests shorten them.
	CrashLoopBackOffInitial time.Duration
	CrashLoopBackOffMax     time.Duration
	// ContainerLogMaxSize is --container-log-max-size (10Mi): a process
	// container's log file is rotated when it reaches this size, and one
	// rotated file is kept.
	ContainerLogMaxSize int64
}

// Container runtimes of Config.Runtime.
const (
	RuntimeSim     = "sim"
	RuntimeProcess = "process"
)

// DefaultContainerLogMaxSize is --container-log-max-size's default.
const DefaultContainerLogMaxSize = 10 << 20

// NewConfig returns a Config for nodeName with upstream's defaults that differ
// from Go's zero values (RegisterNode=true).
func NewConfig(nodeName string, client Client) Config {
	return Config{NodeName: nodeName, RegisterNode: true, Client: client}
}

// ReportFrequencyDefault is the kubelet's flag rule for nodeStatusReportFrequency
// when it is not set: the update frequency if that was set explicitly (non-zero),
// else 5 minutes.
func ReportFrequencyDefault(explicitUpdateFrequency time.Duration) time.Duration {
	if explicitUpdateFrequency == 0 {
		return DefaultNodeStatusReportFrequency
	}
	return explicitUpdateFrequency
}

// Validate checks the configuration; errors name the kubelet flag concerned.
// Zero values are valid (they mean "default").
func (c *Config) Validate() error {
	var errs []error
	name := normalizeNodeName(c.NodeName)
	switch {
	case name == "":
		errs = append(errs, errors.New("--hostname-override: node name is required"))
	default:
		for _, msg := range validation.IsDNS1123Subdomain(name) {
			errs = append(errs, fmt.Errorf("--hostname-override: invalid node name %q: %s", name, msg))
		}
	}
	if c.Client == nil {
		errs = append(errs, errors.New("--kubeconfig: a Kubernetes client is required"))
	}
	if c.CloudProvider != "" && c.CloudProvider != CloudProviderExternal {
		errs = append(errs, fmt.Errorf("--cloud-provider: cloud provider %q was specified, but built-in cloud providers are disabled. Please set --cloud-provider=external and migrate to an external cloud provider", c.CloudProvider))
	}
	if c.NodeIP != nil && (c.NodeIP.To16() == nil || c.NodeIP.IsMulticast() || c.NodeIP.IsLinkLocalUnicast()) {
		errs = append(errs, fmt.Errorf("--node-ip: %q is not a usable node address", c.NodeIP.String()))
	}
	if err := validateNodeLabels(c.NodeLabels); err != nil {
		errs = append(errs, err)
	}
	for i, t := range c.RegisterWithTaints {
		for _, msg := range validation.IsQualifiedName(t.Key) {
			errs = append(errs, fmt.Errorf("--register-with-taints[%d]: invalid key %q: %s", i, t.Key, msg))
		}
		if t.Value != "" {
			for _, msg := range validation.IsValidLabelValue(t.Value) {
				errs = append(errs, fmt.Errorf("--register-with-taints[%d]: invalid value %q: %s", i, t.Value, msg))
			}
		}
		switch t.Effect {
		case corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
		default:
			errs = append(errs, fmt.Errorf("--register-with-taints[%d]: invalid effect %q", i, t.Effect))
		}
	}
	if c.NodeStatusUpdateFrequency < 0 {
		errs = append(errs, fmt.Errorf("--node-status-update-frequency: must not be negative, got %v", c.NodeStatusUpdateFrequency))
	}
	if c.NodeStatusReportFrequency < 0 {
		errs = append(errs, fmt.Errorf("nodeStatusReportFrequency: must not be negative, got %v", c.NodeStatusReportFrequency))
	}
	if c.NodeLeaseDurationSeconds < 0 {
		errs = append(errs, fmt.Errorf("nodeLeaseDurationSeconds: must be greater than 0, got %d", c.NodeLeaseDurationSeconds))
	}
	for _, ttl := range []struct {
		flag string
		d    time.Duration
	}{
		{"authentication.webhook.cacheTTL", c.AuthenticationCacheTTL},
		{"authorization.webhook.cacheAuthorizedTTL", c.AuthorizationAuthorizedTTL},
		{"authorization.webhook.cacheUnauthorizedTTL", c.AuthorizationDeniedTTL},
	} {
		if ttl.d < 0 {
			errs = append(errs, fmt.Errorf("%s: must not be negative, got %v", ttl.flag, ttl.d))
		}
	}
	switch c.Runtime {
	case "", RuntimeSim:
	case RuntimeProcess:
		if c.RootDirectory == "" {
			errs = append(errs, errors.New("--root-dir: required with the process runtime (where pods get their directories and logs)"))
		}
		if !processRuntimeSupported {
			errs = append(errs, errors.New("--container-runtime-endpoint: the process runtime needs a Unix system"))
		}
	default:
		errs = append(errs, fmt.Errorf("--container-runtime-endpoint: unknown runtime %q (want %q or %q)", c.Runtime, RuntimeSim, RuntimeProcess))
	}
	if c.CrashLoopBackOffInitial < 0 || c.CrashLoopBackOffMax < 0 {
		errs = append(errs, errors.New("crashLoopBackOff.maxContainerRestartPeriod: back-off durations must not be negative"))
	}
	if c.ContainerLogMaxSize < 0 {
		errs = append(errs, fmt.Errorf("--container-log-max-size: must not be negative, got %d", c.ContainerLogMaxSize))
	}
	if c.KubeletPort < 0 || c.KubeletPort > 65535 {
		errs = append(errs, fmt.Errorf("--port: %d is not a valid port", c.KubeletPort))
	}
	for flag, list := range map[string]corev1.ResourceList{"--capacity": c.Capacity, "--kube-reserved": c.KubeReserved, "--system-reserved": c.SystemReserved} {
		for _, rn := range sortedResourceNames(list) {
			q := list[rn]
			if q.Sign() < 0 {
				errs = append(errs, fmt.Errorf("%s: %s must not be negative, got %s", flag, rn, q.String()))
			}
		}
	}
	return errors.Join(errs...)
}

// withDefaults returns a copy with every zero field set to its default.
func (c Config) withDefaults() Config {
	c.NodeName = normalizeNodeName(c.NodeName)
	if c.NodeStatusReportFrequency == 0 {
		c.NodeStatusReportFrequency = ReportFrequencyDefault(c.NodeStatusUpdateFrequency)
	}
	if c.NodeStatusUpdateFrequency == 0 {
		c.NodeStatusUpdateFrequency = DefaultNodeStatusUpdateFrequency
	}
	if c.NodeLeaseDurationSeconds == 0 {
		c.NodeLeaseDurationSeconds = DefaultNodeLeaseDurationSeconds
	}
	if c.KubeletVersion == "" {
		c.KubeletVersion = DefaultKubeletVersion
	}
	if c.RuntimeVersion == "" {
		c.RuntimeVersion = strings.TrimPrefix(c.KubeletVersion, "v")
	}
	if c.KubeletPort == 0 {
		c.KubeletPort = DefaultKubeletPort
	}
	if c.Runtime == "" {
		c.Runtime = RuntimeSim
	}
	if c.CrashLoopBackOffInitial == 0 {
		c.CrashLoopBackOffInitial = crashBackoffInitial
	}
	if c.CrashLoopBackOffMax == 0 {
		c.CrashLoopBackOffMax = max(crashBackoffMax, c.CrashLoopBackOffInitial)
	}
	if c.ContainerLogMaxSize == 0 {
		c.ContainerLogMaxSize = DefaultContainerLogMaxSize
	}
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	if c.AuthenticationCacheTTL == 0 {
		c.AuthenticationCacheTTL = DefaultAuthenticationCacheTTL
	}
	if c.AuthorizationAuthorizedTTL == 0 {
		c.AuthorizationAuthorizedTTL = DefaultAuthorizationAuthorizedTTL
	}
	if c.AuthorizationDeniedTTL == 0 {
		c.AuthorizationDeniedTTL = DefaultAuthorizationDeniedTTL
	}
	if c.KubeletListener != nil {
		if addr, ok := c.KubeletListener.Addr().(*net.TCPAddr); ok {
			c.KubeletPort = int32(addr.Port)
		}
	}
	capacity := corev1.ResourceList{}
	for k, v := range defaultCapacity {
		capacity[k] = v.DeepCopy()
	}
	for k, v := range c.Capacity {
		capacity[k] = v.DeepCopy()
	}
	c.Capacity = capacity
	c.KubeReserved = c.KubeReserved.DeepCopy()
	c.SystemReserved = c.SystemReserved.DeepCopy()
	c.RegisterWithTaints = append([]corev1.Taint(nil), c.RegisterWithTaints...)
	labels := make(map[string]string, len(c.NodeLabels))
	for k, v := range c.NodeLabels {
		labels[k] = v
	}
	c.NodeLabels = labels
	return c
}

func normalizeNodeName(name string) string {
	return strings.ToLower(strings.TrimSpace(name))
}

// validateNodeLabels applies the kubelet's --node-labels rule: keys in the
// kubernetes.io / k8s.io namespaces must be labels a kubelet may set itself
// (NodeRestriction would reject the others anyway).
func validateNodeLabels(labels map[string]string) error {
	var unknown []string
	var errs []error
	for _, k := range sortedKeys(labels) {
		v := labels[k]
		if isKubernetesLabel(k) && !isKubeletLabel(k) {
			unknown = append(unknown, k)
		}
		for _, msg := range validation.IsQualifiedName(k) {
			errs = append(errs, fmt.Errorf("--node-labels: invalid label key %q: %s", k, msg))
		}
		for _, msg := range validation.IsValidLabelValue(v) {
			errs = append(errs, fmt.Errorf("--node-labels: invalid label value %q: %s", v, msg))
		}
	}
	if len(unknown) > 0 {
		errs = append([]error{fmt.Errorf("--node-labels: unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: %v", unknown)}, errs...)
	}
	return errors.Join(errs...)
}

// kubeletLabels are the exact keys a kubelet may set on its Node
// (k8s.io/kubelet/pkg/apis/well_known_labels.go).
var kubeletLabels = map[string]bool{
	corev1.LabelHostname:                true,
	corev1.LabelTopologyZone:            true,
	corev1.LabelTopologyRegion:          true,
	corev1.LabelFailureDomainBetaZone:   true,
	corev1.LabelFailureDomainBetaRegion: true,
	corev1.LabelInstanceType:            true,
	corev1.LabelInstanceTypeStable:      true,
	corev1.LabelOSStable:                true,
	corev1.LabelArchStable:              true,
	labelBetaOS:                         true,
	labelBetaArch:                       true,
}

const (
	labelBetaOS   = "beta.kubernetes.io/os"
	labelBetaArch = "beta.kubernetes.io/arch"
)

func labelNamespace(key string) string {
	if i := strings.Index(key, "/"); i >= 0 {
		return key[:i]
	}
	return ""
}

func isKubernetesLabel(key string) bool {
	ns := labelNamespace(key)
	return ns == "kubernetes.io" || strings.HasSuffix(ns, ".kubernetes.io") ||
		ns == "k8s.io" || strings.HasSuffix(ns, ".k8s.io")
}

func isKubeletLabel(key string) bool {
	if kubeletLabels[key] {
		return true
	}
	ns := labelNamespace(key)
	for _, allowed := range []string{"kubelet.kubernetes.io", "node.kubernetes.io"} {
		if ns == allowed || strings.HasSuffix(ns, "."+allowed) {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedResourceNames(l corev1.ResourceList) []corev1.ResourceName {
	names := make([]corev1.ResourceName, 0, len(l))
	for k := range l {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool { return names[i] < names[j] })
	return names
}
