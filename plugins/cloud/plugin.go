package cloud

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"

	pb "github.com/k1s-dev/k1s/plugins/cloud/internal/proto"
)

const (
	// ProtocolVersion is the version of the wire contract. It changes only on
	// an incompatible change to internal/proto/cloud.proto; additions keep it.
	// A host and a plugin that disagree fail at start with a clear error.
	ProtocolVersion = 1

	// MagicCookieKey and MagicCookieValue make a plugin binary refuse to run
	// unless started by a k1s host (go-plugin's UX guard, not security).
	MagicCookieKey   = "K1S_CLOUD_PLUGIN"
	MagicCookieValue = "5a1c7d6e3b0f4e2a9d8c1b7f6e5d4c3b"

	// PluginName is the key of the cloud provider in the go-plugin plugin set.
	PluginName = "cloud"

	// envVerbosity passes the host's klog verbosity to the plugin so the
	// plugin does not format log lines the host would drop anyway.
	envVerbosity = "K1S_CLOUD_PLUGIN_V"
)

// Handshake is shared by host and plugins; go-plugin refuses to connect when
// either side's cookie or protocol version differs.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   MagicCookieKey,
	MagicCookieValue: MagicCookieValue,
}

// grpcPlugin is the go-plugin glue, used on both sides: the plugin fills in
// provider (GRPCServer), the host leaves it empty (GRPCClient).
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin

	provider cloudprovider.Interface
	builder  cloudprovider.ControllerClientBuilder
	logger   klog.Logger

	// servers remembers what GRPCServer built so Serve can stop them.
	mu      sync.Mutex
	servers []*server
}

var _ plugin.GRPCPlugin = (*grpcPlugin)(nil)

func (p *grpcPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	srv := newServer(p.provider, p.builder, p.logger)
	p.mu.Lock()
	p.servers = append(p.servers, srv)
	p.mu.Unlock()
	pb.RegisterCloudProviderServer(s, srv)
	return nil
}

func (p *grpcPlugin) closeServers() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.servers {
		s.close()
	}
}

// GRPCClient returns the host's view of one plugin process. ctx is go-plugin's
// "process is gone" context: it is cancelled once the plugin process exits,
// which is how the host notices a crash without polling.
func (p *grpcPlugin) GRPCClient(ctx context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return &session{client: pb.NewCloudProviderClient(c), exited: ctx.Done(), closed: make(chan struct{})}, nil
}

// session is one connection to one plugin process. A restart makes a new
// session; the adapter always uses the current one.
type session struct {
	client pb.CloudProviderClient
	info   *pb.GetInfoResponse
	// exited is closed when the plugin process has exited.
	exited <-chan struct{}
	// closed is closed when the host stopped using the session (restart or
	// Close), before it tears the connection down.
	closed    chan struct{}
	closeOnce sync.Once
	started   time.Time
	pid       int
	kill      func()

	// initOnce runs the provider's Initialize at most once per process.
	initOnce sync.Once
	initErr  error
}

// gone reports whether calls on this session can no longer succeed.
func (s *session) gone() bool {
	select {
	case <-s.exited:
		return true
	case <-s.closed:
		return true
	default:
		return false
	}
}

func (s *session) isClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

// close marks the session closed and then kills the plugin process (a
// graceful go-plugin shutdown first, SIGKILL after two seconds).
func (s *session) close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		if s.kill != nil {
			s.kill()
		}
	})
}
