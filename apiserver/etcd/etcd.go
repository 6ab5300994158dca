// Package etcd runs the embedded etcd of a k1s cluster (go.etcd.io/etcd/server/v3/embed):
// one member, data under the cluster's data dir, client and peer listeners on loopback only.
//
// It must not import the apiserver: the apiserver only ever receives client endpoints,
// whether they point here or at an external etcd (--etcd-servers).
package etcd

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"k8s.io/klog/v2"
)

// Config configures the embedded etcd.
type Config struct {
	// DataDir holds etcd's member directory; it persists across restarts.
	DataDir string
	// ClientPort and PeerPort on 127.0.0.1; 0 picks a free port.
	ClientPort, PeerPort int
	// TickMs and ElectionMs tune raft. A single member needs no slow election, so k1s
	// uses far shorter values than etcd's 100/1000 defaults: start-up is dominated by
	// the first election.
	TickMs, ElectionMs uint
	// UnsafeNoFsync trades durability for speed; only for throw-away test clusters.
	UnsafeNoFsync bool
}

// Validate reports configuration errors, naming the setting.
func (c *Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("etcd: data dir must be set"))
	}
	if c.ClientPort < 0 || c.ClientPort > 65535 || c.PeerPort < 0 || c.PeerPort > 65535 {
		errs = append(errs, fmt.Errorf("etcd: ports must be in 0-65535, got client %d peer %d", c.ClientPort, c.PeerPort))
	}
	return errors.Join(errs...)
}

// Server is a running embedded etcd.
type Server struct {
	etcd      *embed.Etcd
	endpoint  string
	closeOnce sync.Once
}

// Start starts etcd and waits until it serves requests or ctx ends. On failure everything
// it started is closed again.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating etcd data dir: %w", err)
	}
	ec := embed.NewConfig()
	ec.Name = "k1s"
	ec.Dir = cfg.DataDir
	ec.WalDir = filepath.Join(cfg.DataDir, "member", "wal")
	clientURL := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", cfg.ClientPort)}
	peerURL := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", cfg.PeerPort)}
	ec.ListenClientUrls, ec.AdvertiseClientUrls = []url.URL{clientURL}, []url.URL{clientURL}
	ec.ListenPeerUrls, ec.AdvertisePeerUrls = []url.URL{peerURL}, []url.URL{peerURL}
	// The member's identity derives from its peer URLs and must stay the same across
	// restarts; a fixed placeholder works for a single member whose peer port may change.
	ec.InitialCluster = ec.Name + "=" + peerURL.String()
	ec.TickMs, ec.ElectionMs = 10, 100
	if cfg.TickMs > 0 {
		ec.TickMs = cfg.TickMs
	}
	if cfg.ElectionMs > 0 {
		ec.ElectionMs = cfg.ElectionMs
	}
	ec.UnsafeNoFsync = cfg.UnsafeNoFsync
	// kube-apiserver compacts etcd itself every 5 minutes, so etcd's own compactor stays off.
	ec.AutoCompactionMode, ec.AutoCompactionRetention = embed.CompactorModePeriodic, "0"
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(newLogger())
	ec.Metrics = "basic"

	e, err := embed.StartEtcd(ec)
	if err != nil {
		return nil, fmt.Errorf("starting etcd: %w", err)
	}
	s := &Server{etcd: e, endpoint: "http://" + e.Clients[0].Addr().String()}
	select {
	case <-e.Server.ReadyNotify():
		return s, nil
	case err := <-e.Err():
		s.Close()
		return nil, fmt.Errorf("etcd failed while starting: %w", err)
	case <-ctx.Done():
		s.Close()
		return nil, fmt.Errorf("waiting for etcd: %w", ctx.Err())
	case <-time.After(time.Minute):
		s.Close()
		return nil, errors.New("etcd did not become ready within a minute")
	}
}

// Endpoint is the client URL of the running member.
func (s *Server) Endpoint() string { return s.endpoint }

// Err reports a fatal error of the running etcd.
func (s *Server) Err() <-chan error { return s.etcd.Err() }

// Close stops etcd; it is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.etcd.Close()
		<-s.etcd.Server.StopNotify()
	})
}

// newLogger keeps etcd quiet: only its errors reach the k1s log, through klog.
func newLogger() *zap.Logger {
	core := zapcore.NewCore(zapcore.NewConsoleEncoder(zap.NewProductionEncoderConfig()),
		zapcore.AddSync(klogWriter{}), zap.ErrorLevel)
	return zap.New(core)
}

type klogWriter struct{}

func (klogWriter) Write(p []byte) (int, error) {
	// etcd reports benign start-up conditions at error level (for example "cannot detect
	// storage schema version" before the first raft term); real storage trouble surfaces as
	// apiserver errors, so etcd's own messages are verbose-only.
	klog.Background().WithName("etcd").V(1).Info(string(p))
	return len(p), nil
}
