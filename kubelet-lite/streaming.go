package kubeletlite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"k8s.io/streaming/pkg/httpstream"
	"k8s.io/streaming/pkg/httpstream/spdy"
)

// exec, attach, portForward and run for process pods: the kubelet side of the
// streaming protocols, ported from the kubelet's CRI streaming server
// (k8s.io/cri-streaming/pkg/streaming/{remotecommand,portforward}, which k1s
// does not depend on). Only SPDY is spoken: the apiserver translates the
// WebSocket protocols clients use (v5.channel.k8s.io, port-forward
// tunneling) to SPDY before it proxies to the kubelet, as upstream does. The
// sim runtime still refuses them with 501 (server.go).

// Protocol names and stream headers (k8s.io/apimachinery/pkg/util/remotecommand,
// .../portforward, k8s.io/api/core/v1).
const (
	streamProtocolV2 = "v2.channel.k8s.io"
	streamProtocolV3 = "v3.channel.k8s.io"
	streamProtocolV4 = "v4.channel.k8s.io"
	portForwardV1    = "portforward.k8s.io"

	streamTypeResize = "resize"
	// nonZeroExitCodeReason and exitCodeCauseType are how a v4 status
	// carries a command's exit code.
	nonZeroExitCodeReason metav1.StatusReason = "NonZeroExitCode"
	exitCodeCauseType     metav1.CauseType    = "ExitCode"

	// streamCreationTimeout and streamIdleTimeout are the kubelet's
	// defaults (--streaming-connection-idle-timeout is 4h).
	streamCreationTimeout = 30 * time.Second
	streamIdleTimeout     = 4 * time.Hour
)

var remoteCommandProtocols = []string{streamProtocolV4, streamProtocolV3, streamProtocolV2}

// streamTarget resolves the pod (and container) of a streaming request with
// upstream's checks; it answers the request itself and returns ok=false
// when they fail or the node runs the sim runtime.
func (s *apiServer) streamTarget(op string, w http.ResponseWriter, r *http.Request) (*corev1.Pod, *procContainer, bool) {
	if !s.k.processRuntime() {
		s.unsupported(op, w, r)
		return nil, nil, false
	}
	ns, name, container, uid := r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container"), r.PathValue("uid")
	pod := s.k.apiPod(ns, name)
	if pod == nil || (uid != "" && types.UID(uid) != pod.UID) {
		writeStatus(w, http.StatusNotFound, metav1.StatusReasonNotFound, "pod does not exist")
		return nil, nil, false
	}
	if op == "portForward" {
		return pod, nil, true
	}
	if !hasContainer(pod, container) {
		writeStatus(w, http.StatusNotFound, metav1.StatusReasonNotFound, fmt.Sprintf("container %q not found in pod %q", container, name))
		return nil, nil, false
	}
	p := s.k.procs.get(pod.UID, container)
	if p == nil || p.exited() {
		writeStatus(w, http.StatusBadRequest, metav1.StatusReasonBadRequest, fmt.Sprintf("container %q of pod %s/%s is not running", container, ns, name))
		return nil, nil, false
	}
	return pod, p, true
}

// streamOptions are the exec/attach query parameters (remotecommand.NewOptions).
type streamOptions struct {
	stdin, stdout, stderr, tty bool
}

func parseStreamOptions(r *http.Request) (streamOptions, error) {
	q := r.URL.Query()
	on := func(key string) bool { v := q.Get(key); return v == "1" || v == "true" }
	o := streamOptions{stdin: on(corev1.ExecStdinParam), stdout: on(corev1.ExecStdoutParam), stderr: on(corev1.ExecStderrParam), tty: on(corev1.ExecTTYParam)}
	if o.tty && o.stderr {
		// Upstream bypasses stderr with a TTY.
		o.stderr = false
	}
	if !o.stdin && !o.stdout && !o.stderr {
		return o, errors.New("you must specify at least 1 of stdin, stdout, stderr")
	}
	return o, nil
}

// streamConn is an upgraded remotecommand connection with its streams.
type streamConn struct {
	conn                  httpstream.Connection
	stdin, stdout, stderr httpstream.Stream
	errorStream, resize   httpstream.Stream
	protocol              string
}

// writeStatus reports how the command ended on the error stream: a v4
// Status, or the message alone for v2/v3.
func (c *streamConn) writeStatus(status metav1.Status) {
	if c.errorStream == nil {
		return
	}
	if c.protocol == streamProtocolV4 {
		status.TypeMeta = metav1.TypeMeta{}
		data, _ := json.Marshal(status)
		_, _ = c.errorStream.Write(data)
	} else if status.Status != metav1.StatusSuccess {
		_, _ = c.errorStream.Write([]byte(status.Message))
	}
	_ = c.errorStream.Close()
}

func (c *streamConn) close() {
	for _, st := range []httpstream.Stream{c.stdout, c.stderr} {
		if st != nil {
			_ = st.Close()
		}
	}
	_ = c.conn.Close()
}

// upgradeRemoteCommand negotiates the protocol, upgrades to SPDY and waits
// for the client to create the streams the options call for.
func upgradeRemoteCommand(w http.ResponseWriter, r *http.Request, o streamOptions) (*streamConn, error) {
	protocol, err := httpstream.Handshake(r, w, remoteCommandProtocols)
	if err != nil {
		writeText(w, http.StatusBadRequest, err.Error())
		return nil, err
	}
	type streamAndReply struct {
		httpstream.Stream
		replySent <-chan struct{}
	}
	streams := make(chan streamAndReply)
	stop := make(chan struct{})
	defer close(stop)
	conn := spdy.NewResponseUpgrader().UpgradeResponse(w, r, func(st httpstream.Stream, replySent <-chan struct{}) error {
		select {
		case streams <- streamAndReply{st, replySent}:
			return nil
		case <-stop:
			return errors.New("unexpected stream")
		}
	})
	if conn == nil {
		return nil, errors.New("upgrade failed")
	}
	conn.SetIdleTimeout(streamIdleTimeout)
	expected := 1
	for _, b := range []bool{o.stdin, o.stdout, o.stderr, o.tty && protocol != streamProtocolV2} {
		if b {
			expected++
		}
	}
	c := &streamConn{conn: conn, protocol: protocol}
	replies := make(chan struct{})
	expired := time.NewTimer(streamCreationTimeout)
	defer expired.Stop()
	for received := 0; received < expected; {
		select {
		case st := <-streams:
			switch st.Headers().Get(corev1.StreamType) {
			case corev1.StreamTypeError:
				c.errorStream = st
			case corev1.StreamTypeStdin:
				c.stdin = st
			case corev1.StreamTypeStdout:
				c.stdout = st
			case corev1.StreamTypeStderr:
				c.stderr = st
			case streamTypeResize:
				c.resize = st
			}
			go func(sent <-chan struct{}) {
				select {
				case <-sent:
				case <-stop:
					return
				}
				select {
				case replies <- struct{}{}:
				case <-stop:
				}
			}(st.replySent)
		case <-replies:
			received++
		case <-expired.C:
			_ = conn.Close()
			return nil, errors.New("timed out waiting for client to create streams")
		}
	}
	if c.resize != nil {
		// No terminal to resize (no pty); drain so the connection never
		// stalls on unread frames.
		go func() { _, _ = io.Copy(io.Discard, c.resize) }()
	}
	return c, nil
}

// exec runs a command in the container's environment and working directory
// (a new process in its own group, killed when the client goes away).
func (s *apiServer) exec(w http.ResponseWriter, r *http.Request) {
	_, p, ok := s.streamTarget("exec", w, r)
	if !ok {
		return
	}
	o, err := parseStreamOptions(r)
	if err != nil {
		writeStatus(w, http.StatusBadRequest, metav1.StatusReasonBadRequest, err.Error())
		return
	}
	argv := r.URL.Query()["command"]
	if len(argv) == 0 {
		writeStatus(w, http.StatusBadRequest, metav1.StatusReasonBadRequest, "you must specify a command")
		return
	}
	c, err := upgradeRemoteCommand(w, r, o)
	if err != nil {
		klog.FromContext(r.Context()).V(2).Info("Exec stream setup failed", "err", err.Error())
		return
	}
	defer c.close()
	status := runInContainer(r.Context(), p, argv, c)
	c.writeStatus(status)
}

// runInContainer runs argv with the streams of c and returns the Status the
// client gets.
func runInContainer(ctx context.Context, p *procContainer, argv []string, c *streamConn) metav1.Status {
	cmd, err := commandIn(argv, p.env, p.dir)
	if err != nil {
		return failureStatus(fmt.Errorf("error executing command in container: %w", err))
	}
	// With a TTY there is no terminal device (no pty): stdout carries both.
	if c.stdout != nil {
		cmd.Stdout = c.stdout
		cmd.Stderr = c.stdout
	}
	if c.stderr != nil {
		cmd.Stderr = c.stderr
	}
	if c.stdin != nil {
		cmd.Stdin = c.stdin
	}
	// Return once the command ends, even if stdin stays open.
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		return failureStatus(fmt.Errorf("error executing command in container: %w", err))
	}
	pid := cmd.Process.Pid
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err = <-waited:
	case <-ctx.Done():
		_ = killGroup(pid, sigKill)
		err = <-waited
	case <-c.conn.CloseChan():
		_ = killGroup(pid, sigKill)
		err = <-waited
	}
	code := exitCodeOf(cmd.ProcessState)
	if code == 0 && (err == nil || errors.Is(err, exec.ErrWaitDelay)) {
		return metav1.Status{Status: metav1.StatusSuccess}
	}
	if cmd.ProcessState != nil {
		return exitStatus(code)
	}
	return failureStatus(fmt.Errorf("error executing command in container: %w", err))
}

func exitStatus(code int32) metav1.Status {
	return metav1.Status{
		Status:  metav1.StatusFailure,
		Reason:  nonZeroExitCodeReason,
		Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Type: exitCodeCauseType, Message: strconv.Itoa(int(code))}}},
		Message: fmt.Sprintf("command terminated with non-zero exit code: exit status %d", code),
	}
}

func failureStatus(err error) metav1.Status {
	return metav1.Status{Status: metav1.StatusFailure, Reason: metav1.StatusReasonInternalError, Code: http.StatusInternalServerError, Message: err.Error()}
}

// attach streams the running process's output from now on (what the log file
// gets) and, for a container with stdin: true, feeds its stdin.
func (s *apiServer) attach(w http.ResponseWriter, r *http.Request) {
	_, p, ok := s.streamTarget("attach", w, r)
	if !ok {
		return
	}
	o, err := parseStreamOptions(r)
	if err != nil {
		writeStatus(w, http.StatusBadRequest, metav1.StatusReasonBadRequest, err.Error())
		return
	}
	c, err := upgradeRemoteCommand(w, r, o)
	if err != nil {
		return
	}
	defer c.close()
	a := &attachment{}
	if c.stdout != nil {
		a.stdout, a.stderr = c.stdout, c.stdout
	}
	if c.stderr != nil {
		a.stderr = c.stderr
	}
	detach := p.log.attach(a)
	defer detach()
	if c.stdin != nil && p.stdin != nil {
		go func() { _, _ = io.Copy(p.stdin, c.stdin) }()
	}
	select {
	case <-p.done:
		c.writeStatus(metav1.Status{Status: metav1.StatusSuccess})
	case <-c.conn.CloseChan():
	case <-r.Context().Done():
	}
}

// run is /run: the command's combined output as the response body.
func (s *apiServer) run(w http.ResponseWriter, r *http.Request) {
	_, p, ok := s.streamTarget("run", w, r)
	if !ok {
		return
	}
	argv := strings.Fields(r.URL.Query().Get("cmd"))
	cmd, err := commandIn(argv, p.env, p.dir)
	if err != nil {
		writeText(w, http.StatusInternalServerError, err.Error())
		return
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil && cmd.ProcessState == nil {
		writeText(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeText(w, http.StatusOK, out.String())
}

// portForward pairs the data and error streams the client opens per port and
// request, dials podIP:port (the node's address: processes listen on the
// host) and pipes (portforward/httpstream.go).
func (s *apiServer) portForward(w http.ResponseWriter, r *http.Request) {
	pod, _, ok := s.streamTarget("portForward", w, r)
	if !ok {
		return
	}
	ip := pod.Status.PodIP
	if ip == "" {
		writeStatus(w, http.StatusBadRequest, metav1.StatusReasonBadRequest, fmt.Sprintf("pod %s/%s has no IP yet", pod.Namespace, pod.Name))
		return
	}
	if _, err := httpstream.Handshake(r, w, []string{portForwardV1}); err != nil {
		writeText(w, http.StatusBadRequest, err.Error())
		return
	}
	logger := klog.FromContext(r.Context())
	pf := &portForwarder{ip: ip, pairs: map[string]*streamPair{}, logger: logger}
	conn := spdy.NewResponseUpgrader().UpgradeResponse(w, r, func(st httpstream.Stream, replySent <-chan struct{}) error {
		pf.add(st)
		return nil
	})
	if conn == nil {
		return
	}
	defer conn.Close()
	conn.SetIdleTimeout(streamIdleTimeout)
	pf.mu.Lock()
	pf.conn = conn
	pf.mu.Unlock()
	select {
	case <-conn.CloseChan():
	case <-r.Context().Done():
	}
}

type streamPair struct {
	data, errs httpstream.Stream
	created    time.Time
}

type portForwarder struct {
	ip     string
	conn   httpstream.Connection
	logger klog.Logger
	mu     sync.Mutex
	pairs  map[string]*streamPair
}

func (pf *portForwarder) add(st httpstream.Stream) {
	id := st.Headers().Get(corev1.PortForwardRequestIDHeader)
	kind := st.Headers().Get(corev1.StreamType)
	if id == "" {
		// Clients before request IDs: the error stream comes first, with
		// the data stream's identifier - 2 (upstream's fallback).
		ident := st.Identifier()
		if kind == corev1.StreamTypeData {
			ident -= 2
		}
		id = strconv.FormatUint(uint64(ident), 10)
	}
	pf.mu.Lock()
	p := pf.pairs[id]
	if p == nil {
		p = &streamPair{created: time.Now()}
		pf.pairs[id] = p
	}
	switch kind {
	case corev1.StreamTypeData:
		p.data = st
	case corev1.StreamTypeError:
		p.errs = st
	default:
		pf.mu.Unlock()
		_ = st.Reset()
		return
	}
	complete := p.data != nil && p.errs != nil
	if complete {
		delete(pf.pairs, id)
	}
	pf.mu.Unlock()
	if complete {
		go pf.forward(p)
	} else {
		go func() {
			time.Sleep(streamCreationTimeout)
			pf.mu.Lock()
			defer pf.mu.Unlock()
			if pf.pairs[id] == p {
				delete(pf.pairs, id)
				for _, s := range []httpstream.Stream{p.data, p.errs} {
					if s != nil {
						_ = s.Reset()
					}
				}
			}
		}()
	}
}

func (pf *portForwarder) forward(p *streamPair) {
	defer p.data.Close()
	defer p.errs.Close()
	port, err := strconv.ParseUint(p.data.Headers().Get(corev1.PortHeader), 10, 16)
	if err != nil || port == 0 {
		_, _ = fmt.Fprintf(p.errs, "invalid port %q", p.data.Headers().Get(corev1.PortHeader))
		return
	}
	addr := net.JoinHostPort(pf.ip, strconv.FormatUint(port, 10))
	target, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		_, _ = fmt.Fprintf(p.errs, "error forwarding port %d to pod: failed to connect to %s: %v", port, addr, err)
		return
	}
	defer target.Close()
	done := make(chan struct{}, 2)
	go func() {
		_, _ = io.Copy(target, p.data)
		if tc, ok := target.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		done <- struct{}{}
	}()
	go func() {
		_, _ = io.Copy(p.data, target)
		_ = p.data.Close()
		done <- struct{}{}
	}()
	<-done
	<-done
	pf.mu.Lock()
	conn := pf.conn
	pf.mu.Unlock()
	if conn != nil {
		conn.RemoveStreams(p.data, p.errs)
	}
}
