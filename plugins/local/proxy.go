package local

import (
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"sync"
	"time"

	"k8s.io/klog/v2"
)

// backendDialTimeout bounds the wait for one backend. Backends are on
// loopback, where a live port answers at once and a dead one refuses at once;
// the bound only matters for an address nobody routes.
const backendDialTimeout = 2 * time.Second

// proxy is one load balancer listener: it forwards each accepted connection
// to the next backend in round-robin order, skipping backends that refuse,
// and closes the client connection when none accepts.
type proxy struct {
	ln     net.Listener
	logger klog.Logger
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	backends []string
	next     int
	conns    map[net.Conn]struct{}
	closed   bool

	wg sync.WaitGroup
}

func newProxy(ln net.Listener, logger klog.Logger) *proxy {
	ctx, cancel := context.WithCancel(context.Background())
	p := &proxy{ln: ln, logger: logger, ctx: ctx, cancel: cancel, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	return p
}

func (p *proxy) setBackends(backends []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !slices.Equal(p.backends, backends) {
		p.logger.V(2).Info("Load balancer backends changed", "backends", backends)
	}
	p.backends = slices.Clone(backends)
}

// order returns the backends to try for the next connection, starting with
// the one whose turn it is.
func (p *proxy) order() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.backends)
	if n == 0 {
		return nil
	}
	start := p.next % n
	p.next = (start + 1) % n
	return append(slices.Clone(p.backends[start:]), p.backends[:start]...)
}

// track registers a connection so close can cut it; false if the proxy is
// closing, in which case the caller closes the connection itself.
func (p *proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *proxy) untrack(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
}

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		conn, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Transient accept errors (file descriptor exhaustion) must not
			// stop the load balancer; wait a little and accept again.
			p.logger.Error(err, "Accepting a load balancer connection")
			select {
			case <-p.ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		if !p.track(conn) {
			conn.Close()
			return
		}
		p.wg.Add(1)
		go p.handle(conn)
	}
}

func (p *proxy) handle(client net.Conn) {
	defer p.wg.Done()
	defer p.untrack(client)
	defer client.Close()

	var upstream net.Conn
	for _, backend := range p.order() {
		d := net.Dialer{Timeout: backendDialTimeout}
		c, err := d.DialContext(p.ctx, "tcp", backend)
		if err == nil {
			upstream = c
			break
		}
		p.logger.V(4).Info("Load balancer backend refused, trying the next", "backend", backend, "err", err)
	}
	if upstream == nil {
		p.logger.V(2).Info("No load balancer backend accepted the connection", "client", client.RemoteAddr())
		return
	}
	if !p.track(upstream) {
		upstream.Close()
		return
	}
	defer p.untrack(upstream)
	defer upstream.Close()

	// Each direction half-closes the other side when its source ends, so
	// request/response protocols that close their sending side still work.
	// An error in either direction tears both connections down.
	errc := make(chan error, 1)
	go func() { errc <- pipe(upstream, client) }()
	err1 := pipe(client, upstream)
	if err1 != nil {
		client.Close()
		upstream.Close()
	}
	if err2 := <-errc; err2 != nil {
		client.Close()
		upstream.Close()
	}
}

// pipe copies src to dst, then half-closes dst's writing side.
func pipe(dst, src net.Conn) error {
	_, err := io.Copy(dst, src)
	if cw, ok := dst.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	return err
}

// close stops accepting, cuts every proxied connection and waits for the
// proxy's goroutines, so the port is free when it returns.
func (p *proxy) close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	conns := make([]net.Conn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	p.cancel()
	p.ln.Close()
	for _, c := range conns {
		c.Close()
	}
	p.wg.Wait()
}
