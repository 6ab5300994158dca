// Command plugin is the cloud plugin the subprocess tests of package cloud
// build and run. Its first argument picks a behaviour:
//
//	(none)       serve a fake provider with InstancesV2 through cloud.Serve
//	bad-cookie   expect another magic cookie, as a non-k1s plugin would
//	bad-version  serve protocol version 2, which the host does not speak
//	hang         never complete the handshake
package main

import (
	"context"
	"os"
	"time"

	"google.golang.org/grpc"

	"github.com/hashicorp/go-plugin"
	corev1 "k8s.io/api/core/v1"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/cloud-provider/fake"

	"github.com/k1s-dev/k1s/plugins/cloud"
)

func main() {
	mode := ""
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	switch mode {
	case "bad-cookie":
		hs := cloud.Handshake
		hs.MagicCookieValue = "not-the-k1s-cookie"
		serveRaw(hs)
	case "bad-version":
		hs := cloud.Handshake
		hs.ProtocolVersion = cloud.ProtocolVersion + 1
		serveRaw(hs)
	case "hang":
		time.Sleep(time.Hour)
	default:
		cloud.Serve(&fake.Cloud{
			Provider:           "testdata",
			EnableInstancesV2:  true,
			ExistsByProviderID: true,
			OverrideInstanceMetadata: func(ctx context.Context, node *corev1.Node) (*cloudprovider.InstanceMetadata, error) {
				return &cloudprovider.InstanceMetadata{
					ProviderID:    "testdata://" + node.Name,
					InstanceType:  "small",
					NodeAddresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.2"}},
					Zone:          "zone-a",
					Region:        "region-1",
				}, nil
			},
		})
	}
}

// serveRaw serves a plugin with a handshake other than k1s's, to test how the
// host reacts; the plugin set only needs to be a gRPC plugin.
func serveRaw(hs plugin.HandshakeConfig) {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: hs,
		Plugins:         plugin.PluginSet{cloud.PluginName: rawPlugin{}},
		GRPCServer:      plugin.DefaultGRPCServer,
	})
}

// rawPlugin registers nothing: the host must fail before it calls anything.
type rawPlugin struct{ plugin.NetRPCUnsupportedPlugin }

func (rawPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error { return nil }

func (rawPlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (interface{}, error) {
	return nil, nil
}
