package kubeproxy

import (
	"errors"
	"fmt"
	"time"

	"k8s.io/utils/clock"
)

// Defaults of kube-proxy v1.37 (pkg/proxy/apis/config/v1alpha1/defaults.go).
const (
	// DefaultSyncPeriod is --sync-period.
	DefaultSyncPeriod = 30 * time.Second
)

const (
	// UserName is the identity kube-proxy reads as; the bootstrap policy binds it
	// to the ClusterRole system:node-proxier.
	UserName = "system:kube-proxy"

	// LabelServiceProxyName marks a Service as served by another proxy
	// implementation; kube-proxy ignores such Services.
	LabelServiceProxyName = "service.kubernetes.io/service-proxy-name"
)

// Config configures the proxy. Zero fields take upstream's defaults, except
// NodeActive, which is required.
type Config struct {
	// NodeActive reports whether a node runs in this process and is up: only such
	// nodes get listeners. It is called from the proxy's worker and must be cheap
	// and safe for concurrent use. When its answer changes, tell the proxy with
	// Proxy.NodeChanged; the periodic resync notices missed changes too.
	NodeActive func(nodeName string) bool

	// SyncPeriod is --sync-period (30 s): how often the proxy re-checks every node
	// against NodeActive.
	SyncPeriod time.Duration

	// Clock drives the resync and the queue's retry delays. Default: the real clock.
	Clock clock.WithTicker
}

// Validate checks the configuration; each error names the flag concerned.
func (c Config) Validate() error {
	var errs []error
	if c.NodeActive == nil {
		errs = append(errs, errors.New("NodeActive: must be set"))
	}
	if c.SyncPeriod < 0 {
		errs = append(errs, fmt.Errorf("--sync-period: must not be negative, got %v", c.SyncPeriod))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.SyncPeriod == 0 {
		c.SyncPeriod = DefaultSyncPeriod
	}
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	return c
}
