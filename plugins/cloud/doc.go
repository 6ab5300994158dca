// Package cloud is the contract between k1s and its cloud providers: a
// provider is any k8s.io/cloud-provider cloudprovider.Interface, run in its
// own process and reached over hashicorp/go-plugin (gRPC, AutoMTLS).
//
// Plugin authors call Serve from main:
//
//	func main() { cloud.Serve(myprovider.New()) }
//
// Built-in providers are served the same way from the k1s binary itself
// (`k1s plugin cloud NAME`, see BuiltinArgs and ServeConfig.Serve), so a
// built-in and an external provider are indistinguishable to the host, as in
// vault's sdk/plugin.
//
// The host resolves --cloud-provider/--plugin-dir with ResolveCommand, runs
// the process with Client (NewClient, Start, Close), and hands
// Client.Provider() to k8s.io/cloud-provider's controllers, which cannot tell
// it from a compiled-in provider: sentinel errors (InstanceNotFound,
// NotImplemented, DiskNotFound, ImplementedElsewhere, api.RetryError) survive
// the trip for errors.Is/As, and contexts carry deadlines and cancellation. A
// crashed plugin is restarted with exponential backoff; meanwhile calls fail
// fast with errors wrapping ErrPluginUnavailable.
//
// What crosses the wire is InstancesV2, LoadBalancer and Routes, plus
// ProviderName, HasClusterID and Initialize. Instances (v1), Zones and
// Clusters are always reported unsupported: the cloud controllers prefer
// InstancesV2. Initialize gets no Kubernetes client in the plugin (see
// ServeConfig.ClientBuilder) and SetInformers is not forwarded.
//
// This package depends only on k8s.io/cloud-provider, go-plugin and their
// libraries. It must never import the rest of k1s (cluster, controllers, a
// provider implementation): providers import it, not the other way round.
// The generated protobuf code lives in internal/proto and never appears in
// this package's API; regenerate it with hack/update-proto.sh.
package cloud
