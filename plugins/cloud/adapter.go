package cloud

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"

	pb "github.com/k1s-dev/k1s/plugins/cloud/internal/proto"
)

// adapter is the host's cloudprovider.Interface: every method is a gRPC call
// to the current plugin process, so k8s.io/cloud-provider's controllers use a
// plugin exactly as they would use a compiled-in provider. It keeps no state
// of its own beyond what Client tracks (the current session and the last
// GetInfo answer), so a plugin restart is invisible to it.
type adapter struct {
	c *Client
}

var (
	_ cloudprovider.Interface    = (*adapter)(nil)
	_ cloudprovider.InstancesV2  = (*adapter)(nil)
	_ cloudprovider.LoadBalancer = (*adapter)(nil)
	_ cloudprovider.Routes       = (*adapter)(nil)
)

// Initialize runs the provider's Initialize in the plugin, now and again after
// every restart. clientBuilder and stop stay on the host: credentials do not
// cross the process boundary (see ServeConfig.ClientBuilder), and the plugin's
// stop channel closes when the plugin process is shut down.
func (a *adapter) Initialize(_ cloudprovider.ControllerClientBuilder, _ <-chan struct{}) {
	a.c.initialize()
}

// LoadBalancer, InstancesV2 and Routes report what the plugin said it
// implements when it started; the controllers check these once at start.
func (a *adapter) LoadBalancer() (cloudprovider.LoadBalancer, bool) {
	if !a.c.info().GetLoadBalancer() {
		return nil, false
	}
	return a, true
}

func (a *adapter) InstancesV2() (cloudprovider.InstancesV2, bool) {
	if !a.c.info().GetInstancesV2() {
		return nil, false
	}
	return a, true
}

func (a *adapter) Routes() (cloudprovider.Routes, bool) {
	if !a.c.info().GetRoutes() {
		return nil, false
	}
	return a, true
}

// Instances (v1) and Zones are never offered: the cloud controllers use
// InstancesV2 when it is there, and the contract has only InstancesV2.
func (a *adapter) Instances() (cloudprovider.Instances, bool) { return nil, false }
func (a *adapter) Zones() (cloudprovider.Zones, bool)         { return nil, false }

// Clusters is not used by any controller k1s runs.
func (a *adapter) Clusters() (cloudprovider.Clusters, bool) { return nil, false }

// ProviderName and HasClusterID have no error return, so they answer from the
// plugin's last GetInfo rather than calling it: they keep working while the
// plugin restarts.
func (a *adapter) ProviderName() string { return a.c.info().GetProviderName() }
func (a *adapter) HasClusterID() bool   { return a.c.info().GetHasClusterId() }

// encodeErr wraps a failure to encode an argument; it happens before any call.
func (a *adapter) encodeErr(err error) error {
	return fmt.Errorf("cloud plugin %q: %w", a.c.cfg.Name, err)
}

func (a *adapter) callErr(ctx context.Context, s *session, err error) error {
	return fromStatus(ctx, a.c.cfg.Name, err, s.gone())
}

func (a *adapter) InstanceExists(ctx context.Context, node *corev1.Node) (bool, error) {
	data, err := encodeNode(node)
	if err != nil {
		return false, a.encodeErr(err)
	}
	s, err := a.c.current()
	if err != nil {
		return false, err
	}
	resp, err := s.client.InstanceExists(ctx, &pb.InstanceExistsRequest{Node: data})
	if err != nil {
		return false, a.callErr(ctx, s, err)
	}
	return resp.GetExists(), nil
}

func (a *adapter) InstanceShutdown(ctx context.Context, node *corev1.Node) (bool, error) {
	data, err := encodeNode(node)
	if err != nil {
		return false, a.encodeErr(err)
	}
	s, err := a.c.current()
	if err != nil {
		return false, err
	}
	resp, err := s.client.InstanceShutdown(ctx, &pb.InstanceShutdownRequest{Node: data})
	if err != nil {
		return false, a.callErr(ctx, s, err)
	}
	return resp.GetShutdown(), nil
}

func (a *adapter) InstanceMetadata(ctx context.Context, node *corev1.Node) (*cloudprovider.InstanceMetadata, error) {
	data, err := encodeNode(node)
	if err != nil {
		return nil, a.encodeErr(err)
	}
	s, err := a.c.current()
	if err != nil {
		return nil, err
	}
	resp, err := s.client.InstanceMetadata(ctx, &pb.InstanceMetadataRequest{Node: data})
	if err != nil {
		return nil, a.callErr(ctx, s, err)
	}
	return decodeMetadata(resp.GetMetadata()), nil
}

func (a *adapter) GetLoadBalancer(ctx context.Context, clusterName string, service *corev1.Service) (*corev1.LoadBalancerStatus, bool, error) {
	data, err := encodeService(service)
	if err != nil {
		return nil, false, a.encodeErr(err)
	}
	s, err := a.c.current()
	if err != nil {
		return nil, false, err
	}
	resp, err := s.client.GetLoadBalancer(ctx, &pb.GetLoadBalancerRequest{ClusterName: clusterName, Service: data})
	if err != nil {
		return nil, false, a.callErr(ctx, s, err)
	}
	st, err := decodeLoadBalancerStatus(resp.GetStatus())
	if err != nil {
		return nil, false, a.encodeErr(err)
	}
	return st, resp.GetExists(), nil
}

// GetLoadBalancerName cannot return an error; when the plugin cannot be asked
// it logs why and answers with upstream's default name, which is what most
// providers return anyway and what the service controller only uses in
// messages.
func (a *adapter) GetLoadBalancerName(ctx context.Context, clusterName string, service *corev1.Service) string {
	name, err := a.getLoadBalancerName(ctx, clusterName, service)
	if err != nil {
		klog.FromContext(ctx).Error(err, "Asking the cloud plugin for a load balancer name, using the default name", "service", klog.KObj(service))
		if service == nil {
			return ""
		}
		return cloudprovider.DefaultLoadBalancerName(service)
	}
	return name
}

func (a *adapter) getLoadBalancerName(ctx context.Context, clusterName string, service *corev1.Service) (string, error) {
	data, err := encodeService(service)
	if err != nil {
		return "", a.encodeErr(err)
	}
	s, err := a.c.current()
	if err != nil {
		return "", err
	}
	resp, err := s.client.GetLoadBalancerName(ctx, &pb.GetLoadBalancerNameRequest{ClusterName: clusterName, Service: data})
	if err != nil {
		return "", a.callErr(ctx, s, err)
	}
	return resp.GetName(), nil
}

func (a *adapter) EnsureLoadBalancer(ctx context.Context, clusterName string, service *corev1.Service, nodes []*corev1.Node) (*corev1.LoadBalancerStatus, error) {
	svc, err := encodeService(service)
	if err != nil {
		return nil, a.encodeErr(err)
	}
	ns, err := encodeNodes(nodes)
	if err != nil {
		return nil, a.encodeErr(err)
	}
	s, err := a.c.current()
	if err != nil {
		return nil, err
	}
	resp, err := s.client.EnsureLoadBalancer(ctx, &pb.EnsureLoadBalancerRequest{ClusterName: clusterName, Service: svc, Nodes: ns})
	if err != nil {
		return nil, a.callErr(ctx, s, err)
	}
	st, err := decodeLoadBalancerStatus(resp.GetStatus())
	if err != nil {
		return nil, a.encodeErr(err)
	}
	return st, nil
}

func (a *adapter) UpdateLoadBalancer(ctx context.Context, clusterName string, service *corev1.Service, nodes []*corev1.Node) error {
	svc, err := encodeService(service)
	if err != nil {
		return a.encodeErr(err)
	}
	ns, err := encodeNodes(nodes)
	if err != nil {
		return a.encodeErr(err)
	}
	s, err := a.c.current()
	if err != nil {
		return err
	}
	if _, err := s.client.UpdateLoadBalancer(ctx, &pb.UpdateLoadBalancerRequest{ClusterName: clusterName, Service: svc, Nodes: ns}); err != nil {
		return a.callErr(ctx, s, err)
	}
	return nil
}

func (a *adapter) EnsureLoadBalancerDeleted(ctx context.Context, clusterName string, service *corev1.Service) error {
	svc, err := encodeService(service)
	if err != nil {
		return a.encodeErr(err)
	}
	s, err := a.c.current()
	if err != nil {
		return err
	}
	if _, err := s.client.EnsureLoadBalancerDeleted(ctx, &pb.EnsureLoadBalancerDeletedRequest{ClusterName: clusterName, Service: svc}); err != nil {
		return a.callErr(ctx, s, err)
	}
	return nil
}

func (a *adapter) ListRoutes(ctx context.Context, clusterName string) ([]*cloudprovider.Route, error) {
	s, err := a.c.current()
	if err != nil {
		return nil, err
	}
	resp, err := s.client.ListRoutes(ctx, &pb.ListRoutesRequest{ClusterName: clusterName})
	if err != nil {
		return nil, a.callErr(ctx, s, err)
	}
	return decodeRoutes(resp.GetRoutes()), nil
}

func (a *adapter) CreateRoute(ctx context.Context, clusterName string, nameHint string, route *cloudprovider.Route) error {
	s, err := a.c.current()
	if err != nil {
		return err
	}
	if _, err := s.client.CreateRoute(ctx, &pb.CreateRouteRequest{ClusterName: clusterName, NameHint: nameHint, Route: encodeRoute(route)}); err != nil {
		return a.callErr(ctx, s, err)
	}
	return nil
}

func (a *adapter) DeleteRoute(ctx context.Context, clusterName string, route *cloudprovider.Route) error {
	s, err := a.c.current()
	if err != nil {
		return err
	}
	if _, err := s.client.DeleteRoute(ctx, &pb.DeleteRouteRequest{ClusterName: clusterName, Route: encodeRoute(route)}); err != nil {
		return a.callErr(ctx, s, err)
	}
	return nil
}
