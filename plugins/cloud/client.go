package cloud

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-plugin"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	pb "github.com/k1s-dev/k1s/plugins/cloud/internal/proto"
)

// Defaults of ClientConfig.
const (
	DefaultStartTimeout      = 10 * time.Second
	DefaultMinRestartBackoff = 1 * time.Second
	DefaultMaxRestartBackoff = 30 * time.Second
)

// ErrIncompatiblePlugin is wrapped by Start's error when the plugin binary
// rejected the handshake (wrong magic cookie: not a k1s cloud plugin) or
// speaks another ProtocolVersion.
var ErrIncompatiblePlugin = errors.New("incompatible cloud plugin")

// ClientConfig configures the host side of one cloud plugin.
type ClientConfig struct {
	// Name is the provider's name as given to --cloud-provider; it names the
	// plugin in logs and errors. Required.
	Name string

	// Command returns a new, unstarted command for the plugin process. It is
	// called once per start, because an exec.Cmd runs only once and a crashed
	// plugin is started again. ResolveCommand builds it from --cloud-provider
	// and --plugin-dir. Required.
	Command func() *exec.Cmd

	// StartTimeout bounds the handshake and the first GetInfo call of each
	// start, so a binary that never completes the handshake fails instead of
	// hanging. Default DefaultStartTimeout.
	StartTimeout time.Duration

	// MinRestartBackoff and MaxRestartBackoff bound the delay before a
	// crashed plugin is started again; it doubles per consecutive failure
	// and starts over once a plugin has served for 2*MaxRestartBackoff.
	// Defaults DefaultMinRestartBackoff and DefaultMaxRestartBackoff.
	MinRestartBackoff time.Duration
	MaxRestartBackoff time.Duration

	// Clock times the restart backoff. Default the real clock.
	Clock clock.Clock
}

// Validate reports the first invalid field of the configuration.
func (c *ClientConfig) Validate() error {
	switch {
	case c.Name == "":
		return errors.New("cloud plugin: Name (--cloud-provider) is required")
	case c.Command == nil:
		return fmt.Errorf("cloud plugin %q: Command is required", c.Name)
	case c.StartTimeout < 0:
		return fmt.Errorf("cloud plugin %q: StartTimeout must not be negative", c.Name)
	case c.MinRestartBackoff < 0 || c.MaxRestartBackoff < 0:
		return fmt.Errorf("cloud plugin %q: restart backoff must not be negative", c.Name)
	case c.MaxRestartBackoff != 0 && c.MaxRestartBackoff < c.MinRestartBackoff:
		return fmt.Errorf("cloud plugin %q: MaxRestartBackoff %s is below MinRestartBackoff %s", c.Name, c.MaxRestartBackoff, c.MinRestartBackoff)
	}
	return nil
}

func (c *ClientConfig) setDefaults() {
	if c.StartTimeout == 0 {
		c.StartTimeout = DefaultStartTimeout
	}
	if c.MinRestartBackoff == 0 {
		c.MinRestartBackoff = DefaultMinRestartBackoff
	}
	if c.MaxRestartBackoff == 0 {
		c.MaxRestartBackoff = max(DefaultMaxRestartBackoff, c.MinRestartBackoff)
	}
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
}

// Client runs one cloud plugin process for the host: it starts it, restarts
// it when it crashes, and hands out a cloudprovider.Interface (Provider) that
// always talks to the current process.
type Client struct {
	cfg ClientConfig
	// launch starts one plugin process and returns a session on it; tests
	// replace it with an in-memory plugin.
	launch func(ctx context.Context) (*session, error)
	prov   *adapter

	// state is read on every call, so it is an atomic snapshot rather than
	// something behind the lifecycle mutex.
	state    atomic.Pointer[clientState]
	lastInfo atomic.Pointer[pb.GetInfoResponse]
	wantInit atomic.Bool
	restarts atomic.Int64

	mu      sync.Mutex
	started bool
	cancel  context.CancelFunc
	done    chan struct{} // closed when the supervisor has returned
}

// clientState is either a serving session or the reason there is none.
type clientState struct {
	sess   *session
	reason string
}

// NewClient validates cfg and returns a Client that has not started anything.
func NewClient(cfg ClientConfig) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	c := &Client{cfg: cfg}
	c.launch = c.launchProcess
	c.prov = &adapter{c: c}
	c.state.Store(&clientState{reason: "not started"})
	return c, nil
}

// Start starts the plugin process and returns once it has answered GetInfo,
// or with an error if it could not be started within StartTimeout (a failed
// start leaves nothing running). From then on the plugin is restarted
// whenever it exits, until Close is called or ctx is cancelled.
func (c *Client) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started {
		return fmt.Errorf("cloud plugin %q: already started", c.cfg.Name)
	}
	logger := klog.LoggerWithValues(klog.FromContext(ctx), "cloudProvider", c.cfg.Name)
	ctx = klog.NewContext(ctx, logger)

	startedAt := time.Now()
	s, err := c.connect(ctx)
	if err != nil {
		return err
	}
	c.publish(s)
	logger.V(2).Info("Cloud plugin started", "pid", s.pid, "duration", time.Since(startedAt),
		"instancesV2", s.info.GetInstancesV2(), "loadBalancer", s.info.GetLoadBalancer(), "routes", s.info.GetRoutes())

	runCtx, cancel := context.WithCancel(ctx)
	c.started, c.cancel, c.done = true, cancel, make(chan struct{})
	go c.supervise(runCtx, s)
	return nil
}

// Provider returns the plugin as a cloudprovider.Interface. It is the same
// value for the Client's whole life and is usable once Start has succeeded;
// while the plugin is down its calls fail with errors wrapping
// ErrPluginUnavailable.
func (c *Client) Provider() cloudprovider.Interface { return c.prov }

// Restarts returns how many times the plugin was restarted after exiting.
func (c *Client) Restarts() int { return int(c.restarts.Load()) }

// PID returns the process ID of the plugin process currently serving, or 0
// while none is (not started, restarting, closed). Fault-injection tests use
// it to kill the plugin.
func (c *Client) PID() int {
	if s, err := c.current(); err == nil {
		return s.pid
	}
	return 0
}

// Close stops restarting the plugin and shuts its process down (gracefully,
// then SIGKILL after two seconds). It is idempotent; calls made afterwards
// fail with ErrPluginUnavailable.
func (c *Client) Close() {
	c.mu.Lock()
	started, cancel, done := c.started, c.cancel, c.done
	c.mu.Unlock()
	if !started {
		c.state.Store(&clientState{reason: "closed"})
		return
	}
	cancel()
	<-done
}

// CleanupClients kills every plugin process started by any Client that is
// still running. A host's main defers it so that plugins do not outlive a
// host that exits without closing its Clients (go-plugin's Managed clients).
func CleanupClients() { plugin.CleanupClients() }

// current returns the session calls should use, or why there is none.
func (c *Client) current() (*session, error) {
	st := c.state.Load()
	if st.sess != nil && !st.sess.gone() {
		return st.sess, nil
	}
	reason := st.reason
	if st.sess != nil {
		// The process is gone but the supervisor has not noticed yet.
		reason = "plugin process exited"
	}
	return nil, fmt.Errorf("cloud plugin %q: %s: %w", c.cfg.Name, reason, ErrPluginUnavailable)
}

// info is the plugin's last GetInfo answer; empty before the first start.
func (c *Client) info() *pb.GetInfoResponse {
	if i := c.lastInfo.Load(); i != nil {
		return i
	}
	return &pb.GetInfoResponse{}
}

func (c *Client) publish(s *session) {
	c.lastInfo.Store(s.info)
	c.state.Store(&clientState{sess: s})
	// Initialize may have been called while no session was published; see
	// initialize for the other half of this handshake.
	if c.wantInit.Load() {
		c.initSession(context.Background(), s)
	}
}

// initialize records that the host called Initialize, so that every plugin
// process from now on gets it, and initializes the current one.
func (c *Client) initialize() {
	c.wantInit.Store(true)
	if s, err := c.current(); err == nil {
		c.initSession(context.Background(), s)
	}
}

func (c *Client) initSession(ctx context.Context, s *session) {
	s.initOnce.Do(func() {
		ctx, cancel := context.WithTimeout(ctx, c.cfg.StartTimeout)
		defer cancel()
		if _, err := s.client.Initialize(ctx, &pb.InitializeRequest{}); err != nil {
			s.initErr = fromStatus(ctx, c.cfg.Name, err, s.gone())
			klog.FromContext(ctx).Error(s.initErr, "Initializing the cloud plugin", "cloudProvider", c.cfg.Name)
		}
	})
}

// connect starts a plugin process and asks it what it implements.
func (c *Client) connect(ctx context.Context) (*session, error) {
	s, err := c.launch(ctx)
	if err != nil {
		return nil, err
	}
	callCtx, cancel := context.WithTimeout(ctx, c.cfg.StartTimeout)
	defer cancel()
	info, err := s.client.GetInfo(callCtx, &pb.GetInfoRequest{})
	if err != nil {
		s.close()
		return nil, fmt.Errorf("starting cloud plugin %q: GetInfo: %w", c.cfg.Name, fromStatus(callCtx, c.cfg.Name, err, s.gone()))
	}
	s.info = info
	s.started = c.cfg.Clock.Now()
	if c.wantInit.Load() {
		// Before publishing, so no call reaches an uninitialized provider.
		c.initSession(ctx, s)
		if s.initErr != nil {
			s.close()
			return nil, fmt.Errorf("starting cloud plugin %q: %w", c.cfg.Name, s.initErr)
		}
	}
	return s, nil
}

// supervise waits for the plugin process to exit and starts a new one, with
// exponential backoff, until ctx ends; then it shuts the current one down.
func (c *Client) supervise(ctx context.Context, s *session) {
	defer close(c.done)
	logger := klog.FromContext(ctx)
	delay := c.cfg.MinRestartBackoff
	defer func() {
		c.state.Store(&clientState{reason: "closed"})
		if s != nil {
			s.close()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.exited:
		}
		uptime := c.cfg.Clock.Since(s.started)
		c.state.Store(&clientState{reason: fmt.Sprintf("plugin process %d exited after %s, restarting", s.pid, uptime.Round(time.Millisecond))})
		s.close() // reaps the process and go-plugin's goroutines
		s = nil
		if uptime >= 2*c.cfg.MaxRestartBackoff {
			delay = c.cfg.MinRestartBackoff
		}
		logger.Error(nil, "Cloud plugin exited, restarting it", "uptime", uptime, "backoff", delay)

		for s == nil {
			t := c.cfg.Clock.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C():
			}
			next, err := c.connect(ctx)
			delay = min(2*delay, c.cfg.MaxRestartBackoff)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				c.state.Store(&clientState{reason: fmt.Sprintf("restarting the plugin failed (next attempt in %s): %v", delay, err)})
				logger.Error(err, "Restarting the cloud plugin", "backoff", delay)
				continue
			}
			if ctx.Err() != nil {
				next.close()
				return
			}
			s = next
			c.restarts.Add(1)
			c.publish(s)
			logger.Info("Cloud plugin restarted", "pid", s.pid, "restarts", c.restarts.Load())
		}
	}
}

// launchProcess starts the plugin binary through go-plugin: AutoMTLS on the
// loopback connection, gRPC only, Managed so plugin.CleanupClients in the
// host's main reaps it even if Close is never reached.
func (c *Client) launchProcess(ctx context.Context) (*session, error) {
	logger := klog.FromContext(ctx)
	cmd := c.cfg.Command()
	if cmd == nil {
		return nil, fmt.Errorf("starting cloud plugin %q: Command returned nil", c.cfg.Name)
	}
	cmd.Env = append(cmd.Env, envVerbosity+"="+strconv.Itoa(verbosity(logger)))
	tail := &tailBuffer{max: 4 << 10}
	pluginLogger := logger.WithName("plugin")
	pc := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  Handshake,
		Plugins:          plugin.PluginSet{PluginName: &grpcPlugin{}},
		Cmd:              cmd,
		Managed:          true,
		AutoMTLS:         true,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		StartTimeout:     c.cfg.StartTimeout,
		Logger:           newKlogHCLogger(pluginLogger),
		Stderr:           tail,
		SyncStdout:       &lineWriter{log: func(line string) { pluginLogger.Info(line, "stream", "stdout") }},
		SyncStderr:       &lineWriter{log: func(line string) { pluginLogger.Info(line, "stream", "stderr") }},
	})
	rpc, err := pc.Client()
	if err != nil {
		pc.Kill()
		return nil, c.startErr(cmd, err, tail.String())
	}
	raw, err := rpc.Dispense(PluginName)
	if err != nil {
		pc.Kill()
		return nil, c.startErr(cmd, err, tail.String())
	}
	s := raw.(*session)
	s.kill = pc.Kill
	if cmd.Process != nil {
		s.pid = cmd.Process.Pid
	}
	return s, nil
}

// startErr explains a failed start, with what the plugin printed: go-plugin's
// own errors do not say which binary failed or why it exited.
func (c *Client) startErr(cmd *exec.Cmd, err error, output string) error {
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(output, "This binary is a plugin"):
		// go-plugin's own text for this case is a generic checklist; what
		// happened is that the plugin exited on seeing our cookie.
		err = fmt.Errorf("%w: it exited rejecting the handshake cookie %s (not a k1s cloud plugin, or built for another host)", ErrIncompatiblePlugin, MagicCookieKey)
	case strings.Contains(msg, "incompatible api version"), strings.Contains(msg, "incompatible core api version"):
		err = fmt.Errorf("%w: the host speaks protocol version %d: %v", ErrIncompatiblePlugin, ProtocolVersion, err)
	}
	if output != "" {
		return fmt.Errorf("starting cloud plugin %q (%s): %w; plugin output: %s", c.cfg.Name, cmd.String(), err, output)
	}
	return fmt.Errorf("starting cloud plugin %q (%s): %w", c.cfg.Name, cmd.String(), err)
}

// verbosity finds the logger's klog verbosity, to pass on to the plugin.
func verbosity(logger klog.Logger) int {
	v := 0
	for v < 10 && logger.V(v+1).Enabled() {
		v++
	}
	return v
}
