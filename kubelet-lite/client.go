package kubeletlite

import (
	"fmt"
	"net/http"

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
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("building the kubelet's HTTP client: %w", err)
	}
	return NewClientWithHTTPClient(cfg, httpClient)
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
