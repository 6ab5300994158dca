package kubeletlite

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
)

// Pod annotations that give simulated containers something to log. Like the
// runtime annotations, each also exists per container as "<key>.<container>",
// and the pod-wide value applies to regular containers only.
const (
	// AnnotationLog is text a container prints when it starts, one log line
	// per line of the value.
	AnnotationLog = "k1s.dev/log"
	// AnnotationLogInterval (Go duration) makes a running container print
	// "tick <n>" every interval after it started (n = 1, 2, ...).
	AnnotationLogInterval = "k1s.dev/log-interval"
)

// timestampFormat is the kubelet's log timestamp (RFC3339NanoFixed in
// pkg/kubelet/kuberuntime/logs): fixed width, so columns line up.
const timestampFormat = "2006-01-02T15:04:05.000000000Z07:00"

// Errors of a log request; the HTTP handler maps them to statuses.
var (
	errLogPodNotFound       = errors.New("pod not found")
	errLogContainerNotFound = errors.New("container not found")
)

// Container logs are not stored. A container instance's log is a pure
// function of when it started, when it ended and its annotations: line i is
// either one of the static lines (at the start) or "tick n" at start +
// n*interval. So a million-line log costs a few words of memory, 1,000 nodes
// with running pods keep no buffers, and reading any slice of it (tail, since)
// is arithmetic. Only the instance records below change, from the kubelet's
// Run goroutine, under the store's lock.

// logInstance is one run of a container: what "kubectl logs" shows (current)
// or "kubectl logs --previous" shows (previous).
type logInstance struct {
	containerID string
	startedAt   time.Time
	finishedAt  time.Time // zero while running
	static      []string
	interval    time.Duration
	// path is the log file of a process container's run (process_logs.go);
	// the fields above are unused then.
	path string
}

// count returns the number of lines the instance had written by t.
func (in *logInstance) count(t time.Time) int64 {
	if !in.finishedAt.IsZero() && in.finishedAt.Before(t) {
		t = in.finishedAt
	}
	if t.Before(in.startedAt) {
		return 0
	}
	n := int64(len(in.static))
	if in.interval > 0 {
		n += int64(t.Sub(in.startedAt) / in.interval)
	}
	return n
}

// line returns the i-th line (without newline) and its time.
func (in *logInstance) line(i int64) (time.Time, string) {
	s := int64(len(in.static))
	if i < s {
		return in.startedAt, in.static[i]
	}
	n := i - s + 1
	return in.startedAt.Add(time.Duration(n) * in.interval), "tick " + strconv.FormatInt(n, 10)
}

// firstAtOrAfter is the index of the first line written at or after t.
func (in *logInstance) firstAtOrAfter(t time.Time) int64 {
	if !t.After(in.startedAt) {
		return 0
	}
	s := int64(len(in.static))
	if in.interval <= 0 {
		return s
	}
	d := t.Sub(in.startedAt)
	n := int64((d + in.interval - 1) / in.interval) // ceil
	return s + n - 1
}

type containerLog struct {
	current, previous *logInstance
}

type podLog struct {
	uid        types.UID
	containers map[string]*containerLog
}

// logStore holds the log instances of every container of a kubelet. It is the
// only runtime state the kubelet API reads, so it is the only state shared
// between the Run goroutine and HTTP handlers.
type logStore struct {
	mu   sync.Mutex
	pods map[string]*podLog // by namespace/name
	// changed is closed and replaced on every change, waking followers.
	changed chan struct{}
}

func newLogStore() *logStore {
	return &logStore{pods: map[string]*podLog{}, changed: make(chan struct{})}
}

func (s *logStore) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// started records a new instance of a container; the one before becomes
// "previous", as the runtime keeps the last terminated container's log.
func (s *logStore) started(podKey string, uid types.UID, pod *corev1.Pod, c *simContainer, t time.Time) {
	static, interval := containerLogSpec(pod, c.name, c.kind)
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pods[podKey]
	if p == nil || p.uid != uid {
		p = &podLog{uid: uid, containers: map[string]*containerLog{}}
		s.pods[podKey] = p
	}
	cl := p.containers[c.name]
	if cl == nil {
		cl = &containerLog{}
		p.containers[c.name] = cl
	}
	if cl.current != nil {
		cl.previous = cl.current
	}
	cl.current = &logInstance{containerID: c.containerID, startedAt: t, static: static, interval: interval, path: c.logPath}
	if c.logPath != "" {
		cl.current.static, cl.current.interval = nil, 0
	}
	s.notifyLocked()
}

// finished records that the running instance of a container ended at t.
func (s *logStore) finished(podKey string, uid types.UID, name, containerID string, t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pods[podKey]
	if p == nil || p.uid != uid {
		return
	}
	if cl := p.containers[name]; cl != nil && cl.current != nil && cl.current.containerID == containerID && cl.current.finishedAt.IsZero() {
		// Copy on write: readers hold pointers to instances without the lock.
		in := *cl.current
		in.finishedAt = t
		cl.current = &in
		s.notifyLocked()
	}
}

// forget drops a pod's logs once the kubelet forgets the pod, as the runtime
// removes the containers (and their logs) of a deleted pod.
func (s *logStore) forget(podKey string, uid types.UID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.pods[podKey]; p != nil && p.uid == uid {
		delete(s.pods, podKey)
		s.notifyLocked()
	}
}

// instance returns the current (or previous) instance of a container, and
// the channel closed on the next change.
func (s *logStore) instance(podKey, container string, previous bool) (*logInstance, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pods[podKey]
	if p == nil {
		return nil, s.changed
	}
	cl := p.containers[container]
	if cl == nil {
		return nil, s.changed
	}
	if previous {
		return cl.previous, s.changed
	}
	return cl.current, s.changed
}

// byID returns the instance of a container with the given ID, current or
// previous, and the channel closed on the next change.
func (s *logStore) byID(podKey, container, containerID string) (*logInstance, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.pods[podKey]; p != nil {
		if cl := p.containers[container]; cl != nil {
			for _, in := range []*logInstance{cl.current, cl.previous} {
				if in != nil && in.containerID == containerID {
					return in, s.changed
				}
			}
		}
	}
	return nil, s.changed
}

// containerLogSpec reads the log annotations of one container. Bad values
// are ignored here: the runtime annotations already report annotation errors
// as events, and a log-only typo should not fail a pod.
func containerLogSpec(pod *corev1.Pod, name string, kind containerKind) ([]string, time.Duration) {
	lookup := func(key string) (string, bool) {
		if v, ok := pod.Annotations[key+"."+name]; ok {
			return v, true
		}
		if kind == kindRegular {
			v, ok := pod.Annotations[key]
			return v, ok
		}
		return "", false
	}
	var static []string
	if v, ok := lookup(AnnotationLog); ok && v != "" {
		static = strings.Split(strings.TrimSuffix(v, "\n"), "\n")
	}
	var interval time.Duration
	if v, ok := lookup(AnnotationLogInterval); ok {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			interval = d
		}
	}
	return static, interval
}

// logRequest is what a /containerLogs request asks for, after the kubelet's
// checks (PodLogOptions with the container resolved).
type logRequest struct {
	podKey    string
	container string
	opts      corev1.PodLogOptions
}

// writeLogs writes a container's log to w as the kubelet's ReadLogs does:
// tailLines first, then the since filter, timestamps as a prefix, limitBytes
// over the whole output (cutting a line if need be), and with follow, new
// lines as they are written until the instance ends or ctx is done. flush,
// when not nil, is called each time the writer would otherwise wait.
func (s *logStore) writeLogs(ctx context.Context, clk clock.PassiveClock, newTimer func(time.Duration) clock.Timer, req logRequest, w io.Writer, flush func()) error {
	in, changed := s.instance(req.podKey, req.container, req.opts.Previous)
	if in == nil {
		if req.opts.Previous {
			return fmt.Errorf("previous terminated container %q in pod %q not found", req.container, podNameOf(req.podKey))
		}
		return fmt.Errorf("container %q in pod %q is waiting to start: %s", req.container, podNameOf(req.podKey), reasonContainerCreating)
	}
	if in.path != "" {
		return s.writeFileLogs(ctx, clk, newTimer, req, in, w, flush)
	}
	now := clk.Now()
	end := in.count(now)
	var pos int64
	if t := req.opts.TailLines; t != nil && *t >= 0 && *t < end {
		pos = end - *t
	}
	var since time.Time
	switch {
	case req.opts.SinceTime != nil:
		since = req.opts.SinceTime.Time
	case req.opts.SinceSeconds != nil:
		since = now.Add(-time.Duration(*req.opts.SinceSeconds) * time.Second)
	}
	if !since.IsZero() {
		pos = max(pos, in.firstAtOrAfter(since))
	}
	limit := int64(-1)
	if req.opts.LimitBytes != nil {
		limit = *req.opts.LimitBytes
	}
	bw := bufio.NewWriterSize(w, 32*1024)
	// One line buffer for the whole request: a fresh slice per line made the
	// allocator the bottleneck of a multi-megabyte log.
	lineBuf := make([]byte, 0, 128)
	writeLine := func(i int64) (done bool, err error) {
		t, text := in.line(i)
		b := lineBuf[:0]
		defer func() { lineBuf = b[:0] }()
		if req.opts.Timestamps {
			b = t.UTC().AppendFormat(b, timestampFormat)
			b = append(b, ' ')
		}
		b = append(append(b, text...), '\n')
		if limit >= 0 && int64(len(b)) >= limit {
			_, err := bw.Write(b[:limit])
			limit = 0
			return true, err
		}
		if limit > 0 {
			limit -= int64(len(b))
		}
		_, err = bw.Write(b)
		return false, err
	}
	for {
		for ; pos < end; pos++ {
			if done, err := writeLine(pos); err != nil || done {
				if err == nil {
					err = bw.Flush()
				}
				return err
			}
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		if flush != nil {
			flush()
		}
		if !req.opts.Follow || limit == 0 {
			return nil
		}
		// Follow until this instance ends. Ending replaces the record (copy on
		// write), and a restart moves it to "previous"; a pod that is gone ends
		// the stream with what was written.
		latest, ch := s.byID(req.podKey, req.container, in.containerID)
		if latest == nil {
			return nil
		}
		if !latest.finishedAt.IsZero() {
			in = latest
			for end = in.count(clk.Now()); pos < end; pos++ {
				if done, err := writeLine(pos); err != nil || done {
					break
				}
			}
			return bw.Flush()
		}
		changed = ch
		var wake <-chan time.Time
		var timer clock.Timer
		if in.interval > 0 {
			next, _ := in.line(pos) // when the next line is written
			now := clk.Now()
			if !next.After(now) {
				// Already due (the clock moved while we wrote); a zero timer of
				// a fake clock would only fire on its next step.
				end = in.count(now)
				continue
			}
			timer = newTimer(next.Sub(now))
			wake = timer.C()
		}
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return nil
		case <-changed:
		case <-wake:
		}
		if timer != nil {
			timer.Stop()
		}
		end = in.count(clk.Now())
	}
}

func podNameOf(key string) string {
	if i := strings.IndexByte(key, '/'); i >= 0 {
		return key[i+1:]
	}
	return key
}
