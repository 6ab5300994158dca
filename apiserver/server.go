// Package apiserver is k1s's trimmed kube-apiserver: k8s.io/apiserver's generic server
// serving the k8s.io/api types from etcd, with k1s's own registries (defaulting,
// validation, strategies, tables, field selectors) in place of k8s.io/kubernetes's.
//
// It never imports controllers, kubelet-lite or plugins: everything else reaches it over
// HTTPS through client-go.
package apiserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/version"
	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"
	"k8s.io/apiserver/pkg/registry/generic"
	registryrest "k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericfilters "k8s.io/apiserver/pkg/server/filters"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	proxyutil "k8s.io/apiserver/pkg/util/proxy"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/component-base/compatibility"
	"k8s.io/klog/v2"

	"github.com/k1s-dev/k1s/apiserver/openapi"
	"github.com/k1s-dev/k1s/apiserver/registry/apps"
	"github.com/k1s-dev/k1s/apiserver/registry/batch"
	"github.com/k1s-dev/k1s/apiserver/registry/coordination"
	"github.com/k1s-dev/k1s/apiserver/registry/core"
	"github.com/k1s-dev/k1s/apiserver/registry/core/allocator"
	"github.com/k1s-dev/k1s/apiserver/registry/discovery"
	"github.com/k1s-dev/k1s/apiserver/registry/events"
	"github.com/k1s-dev/k1s/apiserver/registry/policy"
	"github.com/k1s-dev/k1s/apiserver/scheme"
)

// KubernetesVersion is the Kubernetes release whose API k1s serves.
const KubernetesVersion = "1.37.2"

// GitVersion is what /version reports: the upstream release, marked as k1s's build of it
// the way distributions mark theirs (k3s reports v1.x.y+k3s1).
const GitVersion = "v" + KubernetesVersion + "+k1s"

// Config configures the apiserver. Field names follow kube-apiserver's flags.
type Config struct {
	// EtcdServers are etcd client URLs (--etcd-servers).
	EtcdServers []string
	// EtcdCAFile, EtcdCertFile and EtcdKeyFile secure the etcd connection (--etcd-cafile,
	// --etcd-certfile, --etcd-keyfile).
	EtcdCAFile, EtcdCertFile, EtcdKeyFile string
	// EtcdPrefix is the key prefix of every object (--etcd-prefix, default /registry).
	EtcdPrefix string

	// BindAddress and SecurePort are where HTTPS is served (--bind-address, --secure-port).
	// Listener, when set, is used instead (tests pass a listener on a free port).
	BindAddress net.IP
	SecurePort  int
	Listener    net.Listener
	// AdvertiseAddress is the IP the kubernetes Service's endpoints point at
	// (--advertise-address); defaults to BindAddress, or 127.0.0.1 when that is unspecified.
	AdvertiseAddress net.IP

	// TLSCertFile and TLSKeyFile are the serving certificate (--tls-cert-file,
	// --tls-private-key-file). ClientCAFile verifies client certificates (--client-ca-file).
	TLSCertFile, TLSKeyFile string
	ClientCAFile            string
	// TokenAuthFile is a static token file (--token-auth-file): CSV records of
	// token,user name,user uid,"group1,group2". Unlike kube-apiserver, which reads it
	// once, the apiserver follows changes to it (see auth/tokenfile): k1s keeps its
	// kubelets' tokens there and adds and removes nodes while it runs. Empty: none.
	TokenAuthFile string

	// ServiceClusterIPRange (--service-cluster-ip-range) and ServiceNodePortRange
	// (--service-node-port-range) are the ranges services get their IPs and node ports from.
	ServiceClusterIPRange string
	ServiceNodePortRange  string

	// EventTTL is how long events are kept after their last write (--event-ttl).
	EventTTL time.Duration

	// ServiceAccountIssuers identify the issuer of service account tokens
	// (--service-account-issuer): the first is written into new tokens, all are accepted.
	ServiceAccountIssuers []string
	// ServiceAccountSigningKeyFile is the private key new tokens are signed with
	// (--service-account-signing-key-file); ServiceAccountKeyFiles hold the keys tokens
	// are verified with (--service-account-key-file; public or private keys, several
	// during a rotation).
	ServiceAccountSigningKeyFile string
	ServiceAccountKeyFiles       []string
	// ServiceAccountMaxTokenExpiration caps the lifetime of requested tokens; 0 means no
	// cap (--service-account-max-token-expiration).
	ServiceAccountMaxTokenExpiration time.Duration
	// ServiceAccountExtendTokenExpiration issues the tokens of projected volumes for a
	// year, warning after their requested hour (--service-account-extend-token-expiration).
	ServiceAccountExtendTokenExpiration bool
	// APIAudiences are the audiences a token must be meant for to be accepted here
	// (--api-audiences); empty means ServiceAccountIssuers.
	APIAudiences []string
	// AnonymousAuth lets requests without credentials reach the public health and version
	// endpoints as system:anonymous (--anonymous-auth); everything else stays 401.
	AnonymousAuth bool
	// KubeletCertificateAuthority verifies kubelet serving certificates
	// (--kubelet-certificate-authority). Empty means ClientCAFile: unlike
	// upstream, which then does not verify at all, k1s verifies by default,
	// since the cluster CA signs every kubelet's serving certificate.
	KubeletCertificateAuthority string
	// KubeletClientCertificate and KubeletClientKey are the apiserver's client
	// certificate towards kubelets (--kubelet-client-certificate,
	// --kubelet-client-key).
	KubeletClientCertificate, KubeletClientKey string
	// KubeletInsecureSkipTLSVerify turns kubelet serving certificate
	// verification off (--kubelet-insecure-skip-tls-verify, k1s only; logged
	// as a warning).
	KubeletInsecureSkipTLSVerify bool
	// KubeletPreferredAddressTypes is --kubelet-preferred-address-types; empty
	// means InternalIP first (k1s node names do not resolve).
	KubeletPreferredAddressTypes []string

	// RootCAFile is the CA bundle published as kube-root-ca.crt in every namespace;
	// empty means ClientCAFile. It is kube-controller-manager's --root-ca-file: the
	// publisher runs in the apiserver until k1s has a controller manager.
	RootCAFile string
}

// DefaultServiceAccountIssuer is kubeadm's --service-account-issuer.
const DefaultServiceAccountIssuer = "https://kubernetes.default.svc.cluster.local"

// Defaults returns upstream's defaults.
func Defaults() Config {
	return Config{
		EtcdPrefix:            "/registry",
		BindAddress:           net.ParseIP("127.0.0.1"),
		SecurePort:            6443,
		ServiceClusterIPRange: "10.96.0.0/12",
		ServiceNodePortRange:  "30000-32767",
		EventTTL:              core.DefaultEventTTL,

		ServiceAccountIssuers:               []string{DefaultServiceAccountIssuer},
		ServiceAccountExtendTokenExpiration: true,
		AnonymousAuth:                       true,
	}
}

// Validate reports configuration errors, naming the flag.
func (c *Config) Validate() error {
	var errs []error
	if len(c.EtcdServers) == 0 {
		errs = append(errs, errors.New("--etcd-servers must be set"))
	}
	if c.Listener == nil && (c.SecurePort < 0 || c.SecurePort > 65535) {
		errs = append(errs, fmt.Errorf("--secure-port %d must be between 0 and 65535", c.SecurePort))
	}
	if c.TLSCertFile == "" || c.TLSKeyFile == "" {
		errs = append(errs, errors.New("--tls-cert-file and --tls-private-key-file must be set: k1s serves HTTPS only"))
	}
	if c.ClientCAFile == "" {
		errs = append(errs, errors.New("--client-ca-file must be set"))
	}
	if _, _, err := net.ParseCIDR(c.ServiceClusterIPRange); err != nil {
		errs = append(errs, fmt.Errorf("--service-cluster-ip-range %q: %w", c.ServiceClusterIPRange, err))
	}
	if _, err := utilnet.ParsePortRange(c.ServiceNodePortRange); err != nil {
		errs = append(errs, fmt.Errorf("--service-node-port-range %q: %w", c.ServiceNodePortRange, err))
	}
	if c.EventTTL <= 0 {
		errs = append(errs, fmt.Errorf("--event-ttl must be positive, got %v", c.EventTTL))
	}
	errs = append(errs, c.validateKubeletClient()...)
	errs = append(errs, c.validateServiceAccounts()...)
	return errors.Join(errs...)
}

// validateKubeletClient checks the flags of the apiserver's connection to kubelets.
func (c *Config) validateKubeletClient() []error {
	var errs []error
	if (c.KubeletClientCertificate == "") != (c.KubeletClientKey == "") {
		errs = append(errs, errors.New("--kubelet-client-certificate and --kubelet-client-key must be set together"))
	}
	if c.KubeletCertificateAuthority != "" && c.KubeletInsecureSkipTLSVerify {
		errs = append(errs, errors.New("--kubelet-certificate-authority and --kubelet-insecure-skip-tls-verify are mutually exclusive"))
	}
	for _, t := range c.KubeletPreferredAddressTypes {
		switch corev1.NodeAddressType(t) {
		case corev1.NodeHostName, corev1.NodeInternalIP, corev1.NodeInternalDNS, corev1.NodeExternalIP, corev1.NodeExternalDNS:
		default:
			errs = append(errs, fmt.Errorf("--kubelet-preferred-address-types: unknown address type %q", t))
		}
	}
	return errs
}

// validateServiceAccounts checks the service account token flags as kube-apiserver does.
func (c *Config) validateServiceAccounts() []error {
	var errs []error
	if len(c.ServiceAccountIssuers) == 0 {
		errs = append(errs, errors.New("--service-account-issuer is a required flag"))
	}
	seen := map[string]bool{}
	for _, issuer := range c.ServiceAccountIssuers {
		switch {
		case issuer == "":
			errs = append(errs, errors.New("--service-account-issuer should not be an empty string"))
		case seen[issuer]:
			errs = append(errs, fmt.Errorf("--service-account-issuer %q is already specified", issuer))
		case strings.Contains(issuer, ":"):
			if _, err := url.Parse(issuer); err != nil {
				errs = append(errs, fmt.Errorf("--service-account-issuer %q contained a ':' but was not a valid URL: %w", issuer, err))
			}
		}
		seen[issuer] = true
	}
	if c.ServiceAccountSigningKeyFile == "" {
		errs = append(errs, errors.New("--service-account-signing-key-file and --service-account-issuer are required flags"))
	}
	if len(c.ServiceAccountKeyFiles) == 0 {
		errs = append(errs, errors.New("--service-account-key-file must be set"))
	}
	if m := c.ServiceAccountMaxTokenExpiration; m != 0 && (m < time.Hour || m > time.Duration(1<<32)*time.Second) {
		errs = append(errs, errors.New("--service-account-max-token-expiration must be between 1 hour and 2^32 seconds"))
	}
	return errs
}

// Server is a built apiserver, ready to Run.
type Server struct {
	generic   *genericapiserver.GenericAPIServer
	loopback  kubernetes.Interface
	security  *security
	allocator *core.Allocators
	advertise net.IP
	port      int
	destroy   []func()
	// endpointSlices serves services/proxy from the loopback informers.
	endpointSlices proxyutil.EndpointSliceGetter
}

// New builds the apiserver from cfg.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	gc := genericapiserver.NewConfig(scheme.Codecs)
	gc.EffectiveVersion = effectiveVersion{compatibility.NewEffectiveVersionFromString(KubernetesVersion, "", "")}
	gc.LongRunningFunc = longRunningRequestCheck

	serving := genericoptions.NewSecureServingOptions().WithLoopback()
	serving.BindAddress = cfg.BindAddress
	serving.BindPort = cfg.SecurePort
	serving.Listener = cfg.Listener
	serving.ServerCert.CertKey.CertFile = cfg.TLSCertFile
	serving.ServerCert.CertKey.KeyFile = cfg.TLSKeyFile
	if err := serving.ApplyTo(&gc.SecureServing, &gc.LoopbackClientConfig); err != nil {
		return nil, fmt.Errorf("configuring HTTPS serving: %w", err)
	}
	_, portStr, err := net.SplitHostPort(gc.SecureServing.Listener.Addr().String())
	if err != nil {
		return nil, err
	}
	port, _ := strconv.Atoi(portStr)

	advertise := cfg.AdvertiseAddress
	if advertise == nil {
		advertise = cfg.BindAddress
		if advertise == nil || advertise.IsUnspecified() {
			advertise = net.ParseIP("127.0.0.1")
		}
	}
	gc.PublicAddress = advertise
	gc.ExternalAddress = net.JoinHostPort(advertise.String(), portStr)

	externalScheme := runtime.NewScheme()
	if err := scheme.AddExternalToScheme(externalScheme); err != nil {
		return nil, err
	}
	namer := openapinamer.NewDefinitionNamer(externalScheme)
	gc.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(openapi.GetOpenAPIDefinitions, namer)
	gc.OpenAPIConfig.Info.Title = "Kubernetes"
	gc.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(openapi.GetOpenAPIDefinitions, namer)
	gc.OpenAPIV3Config.Info.Title = "Kubernetes"

	storageFactory, err := newStorageFactory(cfg)
	if err != nil {
		return nil, err
	}
	etcdOptions := genericoptions.NewEtcdOptions(&storageFactory.StorageConfig)
	etcdOptions.EnableWatchCache = true
	// kube-apiserver's DefaultWatchCacheSizes: no watch cache for events, which are
	// written often (one per node and pod change), kept for an hour and hardly watched;
	// reads go to etcd. Nor for leases, unlike kube-apiserver: every node renews its
	// lease each 10 s and the only watcher is the node lifecycle controller, so a cache
	// would hold 75 s of renewal history (~30 MB at 1,000 nodes) to serve one watch.
	// The watch and the controller's list go to etcd instead (as events' do).
	etcdOptions.WatchCacheSizes = []string{"events#0", "events.events.k8s.io#0", "leases.coordination.k8s.io#0"}
	etcdOptions.StorageConfig.Transport = storageFactory.StorageConfig.Transport
	if err := etcdOptions.ApplyWithStorageFactoryTo(storageFactory, gc); err != nil {
		return nil, fmt.Errorf("configuring storage: %w", err)
	}

	loopbackConfig := rest.CopyConfig(gc.LoopbackClientConfig)
	// The apiserver's own deprecation warnings (v1 Endpoints) are for users, not itself.
	loopbackConfig.WarningHandler = rest.NoWarnings{}
	loopback, err := kubernetes.NewForConfig(loopbackConfig)
	if err != nil {
		return nil, fmt.Errorf("creating the loopback client: %w", err)
	}
	informerFactory := informers.NewSharedInformerFactory(loopback, 10*time.Minute)
	sec, err := applySecurity(gc, cfg, informerFactory, loopback)
	if err != nil {
		return nil, err
	}
	if gc.AdmissionControl, err = newAdmission(loopback, informerFactory); err != nil {
		return nil, err
	}

	s := &Server{loopback: loopback, security: sec, advertise: advertise, port: port}
	if s.allocator, err = s.newAllocators(cfg, storageFactory); err != nil {
		s.Destroy()
		return nil, err
	}

	generic, err := gc.Complete(informerFactory).New("k1s-apiserver", genericapiserver.NewEmptyDelegate())
	if err != nil {
		s.Destroy()
		return nil, fmt.Errorf("building the generic apiserver: %w", err)
	}
	s.generic = generic
	s.endpointSlices, err = proxyutil.NewEndpointSliceListerGetter(informerFactory.Discovery().V1().EndpointSlices().Lister())
	if err != nil {
		s.Destroy()
		return nil, err
	}
	if err := s.installAPIs(gc.RESTOptionsGetter, cfg); err != nil {
		s.Destroy()
		return nil, err
	}
	if err := generic.AddPostStartHook("k1s-bootstrap", s.bootstrap); err != nil {
		s.Destroy()
		return nil, err
	}
	if err := s.addRBACHooks(informerFactory); err != nil {
		s.Destroy()
		return nil, err
	}
	if err := s.addServiceAccountHooks(cfg, informerFactory); err != nil {
		s.Destroy()
		return nil, err
	}
	return s, nil
}

// longRunningRequestCheck is kube-apiserver's: watches, proxies and the streams to
// kubelets (log, exec, attach, portforward) are exempt from the request timeout and
// the in-flight limits, or "kubectl logs -f" would be cut after a minute.
var longRunningRequestCheck = genericfilters.BasicLongRunningRequestCheck(
	sets.NewString("watch", "proxy"),
	sets.NewString("attach", "exec", "proxy", "log", "portforward"),
)

// effectiveVersion reports GitVersion on /version instead of the unset build version of
// k8s.io/component-base.
type effectiveVersion struct {
	compatibility.MutableEffectiveVersion
}

func (v effectiveVersion) Info() *version.Info {
	info := v.MutableEffectiveVersion.Info()
	info.GitVersion = GitVersion
	info.GitTreeState = "clean"
	return info
}

func newStorageFactory(cfg Config) (*serverstorage.DefaultStorageFactory, error) {
	backend := storagebackend.NewDefaultConfig(cfg.EtcdPrefix, nil)
	backend.Transport = storagebackend.TransportConfig{
		ServerList:    cfg.EtcdServers,
		TrustedCAFile: cfg.EtcdCAFile,
		CertFile:      cfg.EtcdCertFile,
		KeyFile:       cfg.EtcdKeyFile,
	}
	resourceConfig := serverstorage.NewResourceConfig()
	resourceConfig.EnableVersions(scheme.ServedGroupVersions...)
	// Protobuf in etcd, as kube-apiserver stores it, so tools such as etcdhelper read it.
	factory := serverstorage.NewDefaultStorageFactory(*backend, runtime.ContentTypeProtobuf, scheme.Codecs,
		serverstorage.NewDefaultResourceEncodingConfig(scheme.Scheme), resourceConfig, specialResourcePrefixes)
	factory.AddCohabitatingResources(corev1.Resource("events"), eventsv1.Resource("events"))
	return factory, nil
}

// specialResourcePrefixes are kube-apiserver's etcd key prefixes that differ from the
// resource name, so that k1s's etcd layout is Kubernetes's.
var specialResourcePrefixes = map[schema.GroupResource]string{
	{Group: "", Resource: "replicationcontrollers"}: "controllers",
	{Group: "", Resource: "endpoints"}:              "services/endpoints",
	{Group: "", Resource: "nodes"}:                  "minions",
	{Group: "", Resource: "services"}:               "services/specs",
}

func (s *Server) newAllocators(cfg Config, factory *serverstorage.DefaultStorageFactory) (*core.Allocators, error) {
	storageConfig, err := factory.NewConfig(corev1.Resource("rangeallocations"), &corev1.RangeAllocation{})
	if err != nil {
		return nil, fmt.Errorf("configuring allocator storage: %w", err)
	}
	store, destroy, err := generic.NewRawStorage(storageConfig, func() runtime.Object { return &corev1.RangeAllocation{} }, nil, "/ranges")
	if err != nil {
		return nil, fmt.Errorf("creating allocator storage: %w", err)
	}
	s.destroy = append(s.destroy, destroy)
	ips, err := allocator.NewIPRange(store, "/ranges/serviceips", cfg.ServiceClusterIPRange)
	if err != nil {
		return nil, err
	}
	ports, err := allocator.NewPortRange(store, "/ranges/servicenodeports", cfg.ServiceNodePortRange)
	if err != nil {
		return nil, err
	}
	return &core.Allocators{ClusterIPs: ips, NodePorts: ports}, nil
}

func (s *Server) installAPIs(optsGetter generic.RESTOptionsGetter, cfg Config) error {
	// pods/eviction reads and decrements PodDisruptionBudgets through the loopback
	// client, as upstream's does.
	coreStorage, err := core.NewStorage(optsGetter, s.allocator, s.security.tokenRequest, s.loopback.PolicyV1())
	if err != nil {
		return err
	}
	if err := core.AddConnectStorage(coreStorage, s.connectOptions(cfg)); err != nil {
		return fmt.Errorf("building the kubelet and proxy subresources: %w", err)
	}
	coreInfo := genericapiserver.NewDefaultAPIGroupInfo("", scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	coreInfo.VersionedResourcesStorageMap["v1"] = coreStorage
	if err := s.generic.InstallLegacyAPIGroup(genericapiserver.DefaultLegacyAPIPrefix, &coreInfo); err != nil {
		return fmt.Errorf("installing the core API: %w", err)
	}

	groups := []struct {
		gv      schema.GroupVersion
		storage func(generic.RESTOptionsGetter) (map[string]registryrest.Storage, error)
	}{
		{schema.GroupVersion{Group: "coordination.k8s.io", Version: "v1"}, coordination.NewStorage},
		{schema.GroupVersion{Group: "discovery.k8s.io", Version: "v1"}, discovery.NewStorage},
		{eventsv1.SchemeGroupVersion, events.NewStorage},
		{appsv1.SchemeGroupVersion, apps.NewStorage},
		{batchv1.SchemeGroupVersion, batch.NewStorage},
		{policyv1.SchemeGroupVersion, policy.NewStorage},
		{rbacv1.SchemeGroupVersion, s.rbacStorage},
		{authorizationv1.SchemeGroupVersion, s.authorizationStorage},
		{authenticationv1.SchemeGroupVersion, s.authenticationStorage},
	}
	var infos []*genericapiserver.APIGroupInfo
	for _, g := range groups {
		storage, err := g.storage(optsGetter)
		if err != nil {
			return fmt.Errorf("building %s storage: %w", g.gv, err)
		}
		info := genericapiserver.NewDefaultAPIGroupInfo(g.gv.Group, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
		info.VersionedResourcesStorageMap[g.gv.Version] = storage
		infos = append(infos, &info)
	}
	if err := s.generic.InstallAPIGroups(infos...); err != nil {
		return fmt.Errorf("installing API groups: %w", err)
	}
	return nil
}

// Run serves until ctx is cancelled, then shuts down gracefully.
func (s *Server) Run(ctx context.Context) error {
	defer s.Destroy()
	return s.generic.PrepareRun().RunWithContext(ctx)
}

// Destroy releases the storage the server holds. Run calls it on return.
func (s *Server) Destroy() {
	if s.generic != nil {
		s.generic.Destroy()
	}
	for _, d := range s.destroy {
		d()
	}
	s.destroy = nil
}

// Port is the port HTTPS is served on.
func (s *Server) Port() int { return s.port }

// connectOptions configures pods/log, exec, attach, portforward and the proxy
// subresources: kubelets are verified with the cluster CA unless told
// otherwise.
func (s *Server) connectOptions(cfg Config) core.ConnectOptions {
	kubelet := core.KubeletClientConfig{
		CAFile:                cfg.KubeletCertificateAuthority,
		CertFile:              cfg.KubeletClientCertificate,
		KeyFile:               cfg.KubeletClientKey,
		InsecureSkipTLSVerify: cfg.KubeletInsecureSkipTLSVerify,
	}
	if kubelet.CAFile == "" {
		kubelet.CAFile = cfg.ClientCAFile
	}
	for _, t := range cfg.KubeletPreferredAddressTypes {
		kubelet.PreferredAddressTypes = append(kubelet.PreferredAddressTypes, corev1.NodeAddressType(t))
	}
	if kubelet.InsecureSkipTLSVerify {
		klog.Background().Info("Warning: --kubelet-insecure-skip-tls-verify is set: kubelet serving certificates are not verified, so connections to kubelets (logs, exec, port-forward, node proxy) are open to man-in-the-middle attacks")
	}
	// The proxy transport reaches pods and services: no client certificate
	// (they must not get the apiserver's identity), and with the https:
	// prefix no verification, as upstream's (pod certificates are not signed
	// by anything the apiserver knows).
	proxyTransport := utilnet.SetTransportDefaults(&http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // upstream's proxy transport
	})
	return core.ConnectOptions{
		Kubelet:        kubelet,
		ProxyTransport: proxyTransport,
		Authorizer:     s.security.authorizer,
		EndpointSlices: s.endpointSlices,
	}
}
