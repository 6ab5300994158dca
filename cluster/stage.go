package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"
)

// LeaderElection configures the leader election of the controller manager and of the
// scheduler, upstream's --leader-elect flags: each holds a Lease in kube-system
// (kube-controller-manager, kube-scheduler) and runs only while it holds it, so two k1s
// control planes on one etcd never both act. Zero fields take upstream's defaults.
type LeaderElection struct {
	// Disabled is --leader-elect=false: the components run at once, unconditionally.
	Disabled bool
	// LeaseDuration (--leader-elect-lease-duration, 15 s) is how long a standby waits
	// after the last renewal before it takes over.
	LeaseDuration time.Duration
	// RenewDeadline (--leader-elect-renew-deadline, 10 s) is how long the leader keeps
	// trying to renew before it gives up leading.
	RenewDeadline time.Duration
	// RetryPeriod (--leader-elect-retry-period, 2 s) is the period of acquisition and
	// renewal attempts.
	RetryPeriod time.Duration
}

func (l LeaderElection) withDefaults() LeaderElection {
	if l.LeaseDuration == 0 {
		l.LeaseDuration = 15 * time.Second
	}
	if l.RenewDeadline == 0 {
		l.RenewDeadline = 10 * time.Second
	}
	if l.RetryPeriod == 0 {
		l.RetryPeriod = 2 * time.Second
	}
	return l
}

// Validate checks the relations client-go's leader elector requires.
func (l LeaderElection) Validate() error {
	if l.Disabled {
		return nil
	}
	d := l.withDefaults()
	if d.LeaseDuration <= d.RenewDeadline {
		return fmt.Errorf("--leader-elect-lease-duration %v must be greater than --leader-elect-renew-deadline %v", d.LeaseDuration, d.RenewDeadline)
	}
	if float64(d.RenewDeadline) <= float64(d.RetryPeriod)*leaderelection.JitterFactor {
		return fmt.Errorf("--leader-elect-renew-deadline %v must be greater than --leader-elect-retry-period %v × %v", d.RenewDeadline, d.RetryPeriod, leaderelection.JitterFactor)
	}
	return nil
}

// component is what a stage runs: a controller or the scheduler.
type component interface {
	Run(context.Context) error
	Ready() <-chan struct{}
}

// stage is one control-plane program of upstream's (kube-controller-manager,
// kube-scheduler): components on shared informers, run while the stage holds its
// leader election lease.
type stage struct {
	name       string // the lease name, and the logger name
	client     kubernetes.Interface
	factories  []informers.SharedInformerFactory
	components map[string]component
	// unelected runs the components at once, without a lease, whatever
	// LeaderElection says: for per-process components such as kube-proxy.
	unelected bool

	cancel context.CancelFunc
	wg     sync.WaitGroup
	// leading is closed when this process starts leading; standby when another
	// holder is seen first.
	leading, standby chan struct{}
	once             sync.Once
	leadingOnce      sync.Once
	// rebuild, when set, replaces factories and components with new ones for a new
	// leadership term after a lost lease; without it a lost lease fails the cluster.
	rebuild func() error
	runMu   sync.Mutex
	terms   int // under runMu
}

// start runs the stage's election (or, with it disabled, the components at once) and
// waits until the components are ready, or until another process is seen leading.
// Losing the lease later stops the components; with s.rebuild the stage campaigns
// again with new ones, else the cluster fails.
func (c *Cluster) startStage(ctx context.Context, s *stage) error {
	s.leading, s.standby = make(chan struct{}), make(chan struct{})
	logger := klog.Background().WithName(s.name)
	runCtx, cancel := context.WithCancel(klog.NewContext(context.Background(), logger))
	s.cancel = cancel

	run := func(ctx context.Context) {
		// A term starts only once the previous one has stopped its components.
		s.runMu.Lock()
		defer s.runMu.Unlock()
		s.leadingOnce.Do(func() { close(s.leading) })
		if s.terms++; s.terms > 1 {
			// Components run once: a new term gets new ones.
			if err := s.rebuild(); err != nil {
				c.fail(fmt.Errorf("%s: rebuilding after a lost lease: %w", s.name, err))
				return
			}
		}
		for _, f := range s.factories {
			f.Start(ctx.Done())
		}
		var wg sync.WaitGroup
		for name, comp := range s.components {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := comp.Run(klog.NewContext(ctx, klog.FromContext(ctx).WithName(name))); err != nil && ctx.Err() == nil {
					klog.FromContext(ctx).Error(err, "Component stopped", "component", name)
				}
			}()
		}
		wg.Wait()
		for _, f := range s.factories {
			f.Shutdown()
		}
	}

	le := c.cfg.LeaderElection.withDefaults()
	s.wg.Add(1)
	if le.Disabled || s.unelected {
		go func() {
			defer s.wg.Done()
			run(runCtx)
		}()
	} else {
		id := c.LeaderElectionIdentity()
		elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock: &resourcelock.LeaseLock{
				LeaseMeta:  metav1.ObjectMeta{Namespace: metav1.NamespaceSystem, Name: s.name},
				Client:     s.client.CoordinationV1(),
				LockConfig: resourcelock.ResourceLockConfig{Identity: id},
			},
			LeaseDuration:   le.LeaseDuration,
			RenewDeadline:   le.RenewDeadline,
			RetryPeriod:     le.RetryPeriod,
			ReleaseOnCancel: true,
			Name:            s.name,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: run,
				OnStoppedLeading: func() {
					if runCtx.Err() != nil {
						return
					}
					if s.rebuild == nil {
						c.fail(fmt.Errorf("%s lost its leader election lease", s.name))
						return
					}
					// Upstream's component exits and its supervisor restarts it; k1s
					// stops the components and campaigns again, so a control plane
					// too loaded to renew in time recovers instead of going down.
					logger.Error(nil, "Lost the leader election lease; stopping the components and campaigning again")
				},
				OnNewLeader: func(holder string) {
					if holder != id {
						logger.Info("Another process leads; standing by", "leader", holder)
						s.once.Do(func() { close(s.standby) })
					}
				},
			},
		})
		if err != nil {
			cancel()
			s.wg.Done()
			return fmt.Errorf("%s leader election: %w", s.name, err)
		}
		go func() {
			defer s.wg.Done()
			for {
				elector.Run(runCtx)
				if runCtx.Err() != nil || s.rebuild == nil {
					return
				}
			}
		}()
	}

	select {
	case <-s.leading:
	case <-s.standby:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	for name, comp := range s.components {
		select {
		case <-comp.Ready():
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", name, ctx.Err())
		}
	}
	return nil
}

// stop stops the components and, when leading, releases the lease so that a standby
// takes over at once.
func (s *stage) stop() {
	if s == nil || s.cancel == nil {
		return
	}
	s.cancel()
	s.wg.Wait()
}

// LeaderElectionIdentity is this cluster's leader election identity, the holder
// identity of the leases it holds: the host name and a hash of the data dir. Upstream adds a random UUID per process; k1s keeps the identity stable
// across restarts of one data dir, so that a restarted cluster takes its own lease
// back at once instead of waiting for it to expire. Two control planes sharing an etcd
// have different data dirs or hosts.
func (c *Cluster) LeaderElectionIdentity() string {
	host, err := os.Hostname()
	if err != nil {
		host = "localhost"
	}
	dir, err := filepath.Abs(c.dataDir)
	if err != nil {
		dir = c.dataDir
	}
	sum := sha256.Sum256([]byte(dir))
	return host + "_" + hex.EncodeToString(sum[:8])
}

// fail stops the cluster because a component failed; Err reports err.
func (c *Cluster) fail(err error) {
	c.failMu.Lock()
	if c.failErr == nil {
		c.failErr = err
	}
	c.failMu.Unlock()
	klog.Background().WithName("cluster").Error(err, "Stopping the cluster")
	if c.cancel != nil {
		c.cancel()
	}
}

// newInformerFactory is a shared informer factory whose caches drop managedFields,
// which no controller reads and which are often the largest part of an object, as
// kube-controller-manager and kube-scheduler trim them.
func newInformerFactory(client kubernetes.Interface, resync time.Duration) informers.SharedInformerFactory {
	return informers.NewSharedInformerFactoryWithOptions(client, resync, informers.WithTransform(stripManagedFields))
}

func stripManagedFields(obj any) (any, error) {
	if accessor, err := meta.Accessor(obj); err == nil && accessor.GetManagedFields() != nil {
		accessor.SetManagedFields(nil)
	}
	return obj, nil
}
