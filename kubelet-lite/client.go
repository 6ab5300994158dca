package kubeletlite

import (
	"fmt"
	"net"
	"net/http"
	"time"

	utilnet "k8s.io/apimachinery/pkg/util/net"

	"k8s.io/client-go/kubernetes"
	authenticationv1 "k8s.io/client-go/kubernetes/typed/authentication/v1"
	authorizationv1 "k8s.io/client-go/kubernetes/typed/authorization/v1"
	coordinationv1 "k8s.io/client-go/kubernetes/typed/coordination/v1"
	corev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
)

// Client is what a kubelet uses of the API: its Node, Pods, Events and Lease, and
// the reviews that authenticate and authorize callers of its own API. A
// kubernetes.Interface is one.
type Client interface {
	CoreV1() corev1.CoreV1Interface
	CoordinationV1() coordinationv1.CoordinationV1Interface
	AuthenticationV1() authenticationv1.AuthenticationV1Interface
	AuthorizationV1() authorizationv1.AuthorizationV1Interface
}

var _ Client = kubernetes.Interface(nil)

// groupClients is a Client with only those four API groups. A full clientset
// builds a REST client for each of some fifty groups; with 1,000 kubelets in one
// process that alone is tens of megabytes.
type groupClients struct {
	core           corev1.CoreV1Interface
	coordination   coordinationv1.CoordinationV1Interface
	authentication authenticationv1.AuthenticationV1Interface
	authorization  authorizationv1.AuthorizationV1Interface
}

func (c *groupClients) CoreV1() corev1.CoreV1Interface { return c.core }
func (c *groupClients) CoordinationV1() coordinationv1.CoordinationV1Interface {
	return c.coordination
}
func (c *groupClients) AuthenticationV1() authenticationv1.AuthenticationV1Interface {
	return c.authentication
}
func (c *groupClients) AuthorizationV1() authorizationv1.AuthorizationV1Interface {
	return c.authorization
}

// NewClient returns a Client for cfg (the kubelet's identity), its groups sharing
// one HTTP client and so one connection.
func NewClient(cfg *rest.Config) (Client, error) {
	httpClient, err := newHTTPClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("building the kubelet's HTTP client: %w", err)
	}
	return NewClientWithHTTPClient(cfg, httpClient)
}

// hpackTableSize bounds the HPACK dynamic tables of a kubelet's HTTP/2
// connection, in both directions (the apiserver encodes within what the client
// advertises, and decodes within what the client's encoder uses). The default of
// 4 KiB per table costs some 16 KiB of heap per connection in entries and lookup
// maps; on loopback the header bytes it would save are worth nothing. Zero
// means "the default" to x/net/http2, so this is the smallest size there is:
// nothing fits, and headers go as Huffman-coded literals.
const hpackTableSize = 1

// newHTTPClient is rest.HTTPClientFor, over a transport of its own from
// NewTransport unless cfg brings one (or needs client-go's: certificates read
// from files, which client-go rotates, and exec or auth plugins).
func newHTTPClient(cfg *rest.Config) (*http.Client, error) {
	if cfg.Transport != nil || cfg.WrapTransport != nil || cfg.CertFile != "" || cfg.KeyFile != "" ||
		cfg.ExecProvider != nil || cfg.AuthProvider != nil {
		return rest.HTTPClientFor(cfg)
	}
	t, err := NewTransport(cfg)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return rest.HTTPClientFor(cfg)
	}
	own := rest.CopyConfig(cfg)
	// The transport carries the TLS settings now; rest refuses both.
	own.TLSClientConfig = rest.TLSClientConfig{}
	own.Dial, own.Proxy = nil, nil
	own.Transport = t
	return rest.HTTPClientFor(own)
}

// NewTransport returns the transport client-go's transport cache would build
// for cfg's TLS settings, dialer and proxy (same timeouts and HTTP/2 health
// checks), except that its HTTP/2 connections are leaner: no HPACK dynamic
// tables (hpackTableSize) and 16 KiB frames, the protocol's minimum, so read
// buffers stay small. It is nil when cfg asks for no TLS. Kubelets that
// authenticate with bearer tokens can share one (set it as their rest.Config's
// Transport, with no TLS settings): their requests then share a few HTTP/2
// connections, each still carrying its own identity.
//
// Unlike client-go's cache, nothing keeps the transport but its users.
func NewTransport(cfg *rest.Config) (*http.Transport, error) {
	tlsConfig, err := rest.TLSConfigFor(cfg)
	if err != nil || tlsConfig == nil {
		return nil, err
	}
	dial := (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	if cfg.Dial != nil {
		dial = cfg.Dial
	}
	proxy := http.ProxyFromEnvironment
	if cfg.Proxy != nil {
		proxy = cfg.Proxy
	}
	return utilnet.SetTransportDefaults(&http.Transport{
		Proxy:               proxy,
		TLSHandshakeTimeout: 10 * time.Second,
		TLSClientConfig:     tlsConfig,
		MaxIdleConnsPerHost: 25,
		DialContext:         dial,
		DisableCompression:  cfg.DisableCompression,
		HTTP2: &http.HTTP2Config{
			MaxEncoderHeaderTableSize: hpackTableSize,
			MaxDecoderHeaderTableSize: hpackTableSize,
			MaxReadFrameSize:          16 << 10,
		},
	}), nil
}

// NewClientWithHTTPClient is NewClient over an existing HTTP client.
func NewClientWithHTTPClient(cfg *rest.Config, httpClient *http.Client) (Client, error) {
	c := &groupClients{}
	var err error
	if c.core, err = corev1.NewForConfigAndClient(cfg, httpClient); err != nil {
		return nil, err
	}
	if c.coordination, err = coordinationv1.NewForConfigAndClient(cfg, httpClient); err != nil {
		return nil, err
	}
	if c.authentication, err = authenticationv1.NewForConfigAndClient(cfg, httpClient); err != nil {
		return nil, err
	}
	if c.authorization, err = authorizationv1.NewForConfigAndClient(cfg, httpClient); err != nil {
		return nil, err
	}
	return c, nil
}
