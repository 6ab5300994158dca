// Command fake is a complete k1s cloud plugin in a few lines: it serves
// k8s.io/cloud-provider's fake provider. Build it as k1s-cloud-fake into a
// directory and start k1s with --cloud-provider fake --plugin-dir DIR:
//
//	go build -o "$DIR/k1s-cloud-fake" ./plugins/cloud/examples/fake
//
// Any cloudprovider.Interface is served the same way.
package main

import (
	"k8s.io/cloud-provider/fake"

	"github.com/k1s-dev/k1s/plugins/cloud"
)

func main() {
	cloud.Serve(&fake.Cloud{
		Provider:          "fake",
		EnableInstancesV2: true,
		// No route controller in the example: the fake's routes need a
		// cluster CIDR the host would have to configure.
		DisableRoutes:      true,
		ExistsByProviderID: true,
	})
}
