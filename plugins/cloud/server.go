package cloud

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	clientset "k8s.io/client-go/kubernetes"
	restclient "k8s.io/client-go/rest"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"

	pb "github.com/k1s-dev/k1s/plugins/cloud/internal/proto"
)

// server is the plugin side: it serves a cloudprovider.Interface over gRPC.
// It holds no logic beyond decoding, calling the provider and encoding; the
// provider's answers and errors go back unchanged (errors through toStatus).
type server struct {
	pb.UnimplementedCloudProviderServer

	provider cloudprovider.Interface
	builder  cloudprovider.ControllerClientBuilder
	logger   klog.Logger

	initOnce sync.Once
	// stop is handed to the provider's Initialize and closed when the server
	// stops serving, which is how upstream tells a provider to wind down.
	stop     chan struct{}
	stopOnce sync.Once
}

func newServer(provider cloudprovider.Interface, builder cloudprovider.ControllerClientBuilder, logger klog.Logger) *server {
	if builder == nil {
		builder = noClientBuilder{}
	}
	return &server{provider: provider, builder: builder, logger: logger, stop: make(chan struct{})}
}

func (s *server) close() { s.stopOnce.Do(func() { close(s.stop) }) }

// ctx attaches the plugin's logger so a provider using klog.FromContext logs
// through the same path (hclog on stderr, klog on the host) as the rest.
func (s *server) ctx(ctx context.Context, method string) context.Context {
	return klog.NewContext(ctx, klog.LoggerWithValues(s.logger, "method", method))
}

func (s *server) GetInfo(context.Context, *pb.GetInfoRequest) (*pb.GetInfoResponse, error) {
	_, v2 := s.provider.InstancesV2()
	_, lb := s.provider.LoadBalancer()
	_, routes := s.provider.Routes()
	return &pb.GetInfoResponse{
		ProviderName: s.provider.ProviderName(),
		HasClusterId: s.provider.HasClusterID(),
		InstancesV2:  v2,
		LoadBalancer: lb,
		Routes:       routes,
	}, nil
}

func (s *server) Initialize(context.Context, *pb.InitializeRequest) (*pb.InitializeResponse, error) {
	// Upstream calls Initialize once per process; the host may call it again
	// after a reconnect it could not tell from a restart, so guard it here.
	s.initOnce.Do(func() { s.provider.Initialize(s.builder, s.stop) })
	return &pb.InitializeResponse{}, nil
}

func (s *server) instancesV2() (cloudprovider.InstancesV2, error) {
	i, ok := s.provider.InstancesV2()
	if !ok || i == nil {
		return nil, toStatus(fmt.Errorf("provider %q does not implement InstancesV2: %w", s.provider.ProviderName(), cloudprovider.NotImplemented))
	}
	return i, nil
}

func (s *server) loadBalancer() (cloudprovider.LoadBalancer, error) {
	lb, ok := s.provider.LoadBalancer()
	if !ok || lb == nil {
		return nil, toStatus(fmt.Errorf("provider %q does not implement LoadBalancer: %w", s.provider.ProviderName(), cloudprovider.NotImplemented))
	}
	return lb, nil
}

func (s *server) routes() (cloudprovider.Routes, error) {
	r, ok := s.provider.Routes()
	if !ok || r == nil {
		return nil, toStatus(fmt.Errorf("provider %q does not implement Routes: %w", s.provider.ProviderName(), cloudprovider.NotImplemented))
	}
	return r, nil
}

// badRequest reports a request the host should never have sent; it is a bug
// on one side of the contract, not a cloud error.
func badRequest(err error) error { return status.Error(codes.InvalidArgument, err.Error()) }

func (s *server) InstanceExists(ctx context.Context, req *pb.InstanceExistsRequest) (*pb.InstanceExistsResponse, error) {
	i, err := s.instancesV2()
	if err != nil {
		return nil, err
	}
	node, err := decodeNode(req.GetNode())
	if err != nil {
		return nil, badRequest(err)
	}
	exists, err := i.InstanceExists(s.ctx(ctx, "InstanceExists"), node)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.InstanceExistsResponse{Exists: exists}, nil
}

func (s *server) InstanceShutdown(ctx context.Context, req *pb.InstanceShutdownRequest) (*pb.InstanceShutdownResponse, error) {
	i, err := s.instancesV2()
	if err != nil {
		return nil, err
	}
	node, err := decodeNode(req.GetNode())
	if err != nil {
		return nil, badRequest(err)
	}
	shutdown, err := i.InstanceShutdown(s.ctx(ctx, "InstanceShutdown"), node)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.InstanceShutdownResponse{Shutdown: shutdown}, nil
}

func (s *server) InstanceMetadata(ctx context.Context, req *pb.InstanceMetadataRequest) (*pb.InstanceMetadataResponse, error) {
	i, err := s.instancesV2()
	if err != nil {
		return nil, err
	}
	node, err := decodeNode(req.GetNode())
	if err != nil {
		return nil, badRequest(err)
	}
	md, err := i.InstanceMetadata(s.ctx(ctx, "InstanceMetadata"), node)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.InstanceMetadataResponse{Metadata: encodeMetadata(md)}, nil
}

func (s *server) GetLoadBalancer(ctx context.Context, req *pb.GetLoadBalancerRequest) (*pb.GetLoadBalancerResponse, error) {
	lb, err := s.loadBalancer()
	if err != nil {
		return nil, err
	}
	svc, err := decodeService(req.GetService())
	if err != nil {
		return nil, badRequest(err)
	}
	st, exists, err := lb.GetLoadBalancer(s.ctx(ctx, "GetLoadBalancer"), req.GetClusterName(), svc)
	if err != nil {
		return nil, toStatus(err)
	}
	data, err := encodeLoadBalancerStatus(st)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &pb.GetLoadBalancerResponse{Status: data, Exists: exists}, nil
}

func (s *server) GetLoadBalancerName(ctx context.Context, req *pb.GetLoadBalancerNameRequest) (*pb.GetLoadBalancerNameResponse, error) {
	lb, err := s.loadBalancer()
	if err != nil {
		return nil, err
	}
	svc, err := decodeService(req.GetService())
	if err != nil {
		return nil, badRequest(err)
	}
	return &pb.GetLoadBalancerNameResponse{Name: lb.GetLoadBalancerName(s.ctx(ctx, "GetLoadBalancerName"), req.GetClusterName(), svc)}, nil
}

func (s *server) EnsureLoadBalancer(ctx context.Context, req *pb.EnsureLoadBalancerRequest) (*pb.EnsureLoadBalancerResponse, error) {
	lb, err := s.loadBalancer()
	if err != nil {
		return nil, err
	}
	svc, err := decodeService(req.GetService())
	if err != nil {
		return nil, badRequest(err)
	}
	nodes, err := decodeNodes(req.GetNodes())
	if err != nil {
		return nil, badRequest(err)
	}
	st, err := lb.EnsureLoadBalancer(s.ctx(ctx, "EnsureLoadBalancer"), req.GetClusterName(), svc, nodes)
	if err != nil {
		return nil, toStatus(err)
	}
	data, err := encodeLoadBalancerStatus(st)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &pb.EnsureLoadBalancerResponse{Status: data}, nil
}

func (s *server) UpdateLoadBalancer(ctx context.Context, req *pb.UpdateLoadBalancerRequest) (*pb.UpdateLoadBalancerResponse, error) {
	lb, err := s.loadBalancer()
	if err != nil {
		return nil, err
	}
	svc, err := decodeService(req.GetService())
	if err != nil {
		return nil, badRequest(err)
	}
	nodes, err := decodeNodes(req.GetNodes())
	if err != nil {
		return nil, badRequest(err)
	}
	if err := lb.UpdateLoadBalancer(s.ctx(ctx, "UpdateLoadBalancer"), req.GetClusterName(), svc, nodes); err != nil {
		return nil, toStatus(err)
	}
	return &pb.UpdateLoadBalancerResponse{}, nil
}

func (s *server) EnsureLoadBalancerDeleted(ctx context.Context, req *pb.EnsureLoadBalancerDeletedRequest) (*pb.EnsureLoadBalancerDeletedResponse, error) {
	lb, err := s.loadBalancer()
	if err != nil {
		return nil, err
	}
	svc, err := decodeService(req.GetService())
	if err != nil {
		return nil, badRequest(err)
	}
	if err := lb.EnsureLoadBalancerDeleted(s.ctx(ctx, "EnsureLoadBalancerDeleted"), req.GetClusterName(), svc); err != nil {
		return nil, toStatus(err)
	}
	return &pb.EnsureLoadBalancerDeletedResponse{}, nil
}

func (s *server) ListRoutes(ctx context.Context, req *pb.ListRoutesRequest) (*pb.ListRoutesResponse, error) {
	r, err := s.routes()
	if err != nil {
		return nil, err
	}
	routes, err := r.ListRoutes(s.ctx(ctx, "ListRoutes"), req.GetClusterName())
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.ListRoutesResponse{Routes: encodeRoutes(routes)}, nil
}

func (s *server) CreateRoute(ctx context.Context, req *pb.CreateRouteRequest) (*pb.CreateRouteResponse, error) {
	r, err := s.routes()
	if err != nil {
		return nil, err
	}
	if err := r.CreateRoute(s.ctx(ctx, "CreateRoute"), req.GetClusterName(), req.GetNameHint(), decodeRoute(req.GetRoute())); err != nil {
		return nil, toStatus(err)
	}
	return &pb.CreateRouteResponse{}, nil
}

func (s *server) DeleteRoute(ctx context.Context, req *pb.DeleteRouteRequest) (*pb.DeleteRouteResponse, error) {
	r, err := s.routes()
	if err != nil {
		return nil, err
	}
	if err := r.DeleteRoute(s.ctx(ctx, "DeleteRoute"), req.GetClusterName(), decodeRoute(req.GetRoute())); err != nil {
		return nil, toStatus(err)
	}
	return &pb.DeleteRouteResponse{}, nil
}

// ErrNoClientBuilder is returned by the ControllerClientBuilder a plugin's
// Initialize receives when ServeConfig.ClientBuilder is unset: the host's
// Kubernetes credentials do not cross the process boundary. A provider that
// needs the API builds its own client (from a kubeconfig of its own) and sets
// ServeConfig.ClientBuilder.
var ErrNoClientBuilder = errors.New("no Kubernetes client in a cloud plugin process: set cloud.ServeConfig.ClientBuilder")

type noClientBuilder struct{}

func (noClientBuilder) Config(string) (*restclient.Config, error) { return nil, ErrNoClientBuilder }

func (noClientBuilder) ConfigOrDie(name string) *restclient.Config {
	panic(fmt.Sprintf("ConfigOrDie(%q): %v", name, ErrNoClientBuilder))
}

func (noClientBuilder) Client(string) (clientset.Interface, error) { return nil, ErrNoClientBuilder }

func (noClientBuilder) ClientOrDie(name string) clientset.Interface {
	panic(fmt.Sprintf("ClientOrDie(%q): %v", name, ErrNoClientBuilder))
}
