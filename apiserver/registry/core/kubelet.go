package core

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/client-go/transport"
)

// DefaultKubeletPort is --kubelet-port: used when a Node does not report its
// kubelet's port in status.daemonEndpoints.
const DefaultKubeletPort = 10250

// DefaultKubeletPreferredAddressTypes is k1s's --kubelet-preferred-address-types.
// Upstream tries Hostname first; k1s node names do not resolve (every node is
// a loopback address of one machine), so the InternalIP comes first.
var DefaultKubeletPreferredAddressTypes = []corev1.NodeAddressType{
	corev1.NodeInternalIP, corev1.NodeHostName, corev1.NodeInternalDNS, corev1.NodeExternalDNS, corev1.NodeExternalIP,
}

// KubeletClientConfig is how the apiserver reaches kubelets (upstream's
// pkg/kubelet/client.KubeletClientConfig, with k1s's secure default).
type KubeletClientConfig struct {
	// Port is --kubelet-port (10250).
	Port int
	// PreferredAddressTypes is --kubelet-preferred-address-types.
	PreferredAddressTypes []corev1.NodeAddressType
	// CAFile verifies kubelet serving certificates (--kubelet-certificate-authority).
	// Unlike upstream, which then skips verification, k1s requires it unless
	// InsecureSkipTLSVerify is set: every k1s kubelet has a certificate from the
	// cluster CA, so there is no reason to accept an unverified one.
	CAFile string
	// CertFile and KeyFile are the apiserver's client certificate towards
	// kubelets (--kubelet-client-certificate, --kubelet-client-key).
	CertFile, KeyFile string
	// InsecureSkipTLSVerify turns serving certificate verification off
	// (--kubelet-insecure-skip-tls-verify).
	InsecureSkipTLSVerify bool
}

// ConnectionInfo is where and how to reach one node's kubelet.
type ConnectionInfo struct {
	Scheme, Hostname, Port string
	Transport              http.RoundTripper
	// InsecureSkipTLSVerifyTransport serves PodLogOptions.insecureSkipTLSVerifyBackend.
	InsecureSkipTLSVerifyTransport http.RoundTripper
}

// kubeletConnections finds kubelets from their Node objects, as upstream's
// NodeConnectionInfoGetter does.
type kubeletConnections struct {
	nodes     rest.Getter
	port      int
	preferred []corev1.NodeAddressType
	transport http.RoundTripper
	insecure  http.RoundTripper
}

func newKubeletConnections(cfg KubeletClientConfig, nodes rest.Getter) (*kubeletConnections, error) {
	if cfg.CAFile == "" && !cfg.InsecureSkipTLSVerify {
		return nil, errors.New("--kubelet-certificate-authority is required unless --kubelet-insecure-skip-tls-verify is set")
	}
	tlsCfg := transport.TLSConfig{CAFile: cfg.CAFile, CertFile: cfg.CertFile, KeyFile: cfg.KeyFile, ReloadTLSFiles: true}
	if cfg.InsecureSkipTLSVerify {
		tlsCfg.CAFile, tlsCfg.Insecure = "", true
	}
	rt, err := transport.New(&transport.Config{TLS: tlsCfg})
	if err != nil {
		return nil, fmt.Errorf("building the kubelet transport: %w", err)
	}
	insecureCfg := tlsCfg
	insecureCfg.CAFile, insecureCfg.Insecure = "", true
	insecure, err := transport.New(&transport.Config{TLS: insecureCfg})
	if err != nil {
		return nil, fmt.Errorf("building the kubelet transport: %w", err)
	}
	port := cfg.Port
	if port == 0 {
		port = DefaultKubeletPort
	}
	preferred := cfg.PreferredAddressTypes
	if len(preferred) == 0 {
		preferred = DefaultKubeletPreferredAddressTypes
	}
	return &kubeletConnections{nodes: nodes, port: port, preferred: preferred, transport: rt, insecure: insecure}, nil
}

// GetConnectionInfo reads the node's address and kubelet port from its status.
func (k *kubeletConnections) GetConnectionInfo(ctx context.Context, nodeName string) (*ConnectionInfo, error) {
	// Nodes are cluster-scoped: drop the pod's namespace from the context.
	obj, err := k.nodes.Get(genericapirequest.WithNamespace(ctx, ""), nodeName, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	node := obj.(*corev1.Node)
	host, err := preferredNodeAddress(node, k.preferred)
	if err != nil {
		return nil, err
	}
	port := int(node.Status.DaemonEndpoints.KubeletEndpoint.Port)
	if port <= 0 {
		port = k.port
	}
	return &ConnectionInfo{
		Scheme: "https", Hostname: host, Port: strconv.Itoa(port),
		Transport: k.transport, InsecureSkipTLSVerifyTransport: k.insecure,
	}, nil
}

// preferredNodeAddress is upstream's GetPreferredNodeAddress.
func preferredNodeAddress(node *corev1.Node, preferred []corev1.NodeAddressType) (string, error) {
	for _, t := range preferred {
		for _, a := range node.Status.Addresses {
			if a.Type == t {
				return a.Address, nil
			}
		}
		// The kubernetes.io/hostname label stands in for a missing Hostname address.
		if t == corev1.NodeHostName {
			if h, ok := node.Labels[corev1.LabelHostname]; ok && h != "" {
				return h, nil
			}
		}
	}
	return "", apierrors.NewNotFound(corev1.Resource("nodes/address"), fmt.Sprintf("no preferred addresses found; known addresses: %v", node.Status.Addresses))
}

// checkProxyableIP is upstream's "address not allowed" rule with one k1s
// exception: loopback addresses are allowed, because every k1s node and its
// kubelet live on a loopback address of the host by design. Unspecified,
// link-local and multicast addresses stay refused (they would reach the
// apiserver's own host services or metadata endpoints).
func checkProxyableIP(ip net.IP) error {
	if ip == nil || !(ip.IsGlobalUnicast() || ip.IsLoopback()) {
		return errors.New("address not allowed")
	}
	return nil
}

// checkProxyableHost resolves a hostname and applies checkProxyableIP to
// every address.
func checkProxyableHost(ctx context.Context, host string) error {
	if ip := net.ParseIP(host); ip != nil {
		return checkProxyableIP(ip)
	}
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return err
	}
	if len(addrs) == 0 {
		return errors.New("no addresses for hostname")
	}
	for _, a := range addrs {
		if err := checkProxyableIP(a.IP); err != nil {
			return err
		}
	}
	return nil
}
