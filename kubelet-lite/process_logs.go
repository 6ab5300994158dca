package kubeletlite

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// Log files of process containers, in the CRI log format the kubelet reads
// (pkg/kubelet/kuberuntime/logs): one record per line,
//
//	<RFC3339Nano time> <stdout|stderr> <F|P> <content>
//
// where P marks a partial line (longer than maxLogLine, or cut at exit). A file
// is rotated to "<file>.1" when it reaches Config.ContainerLogMaxSize; one
// rotated file is kept, so a container's log holds up to twice that.

const (
	streamStdout = "stdout"
	streamStderr = "stderr"
	// maxLogLine is where long lines are split, as containerd splits them
	// (16 KiB).
	maxLogLine = 16 * 1024
	// logFollowPoll is how often a follower looks for new lines in a file.
	logFollowPoll = 100 * time.Millisecond
)

// procLog writes one container run's output to its log file and to the
// attached clients.
type procLog struct {
	path  string
	max   int64
	clock clock.PassiveClock

	mu       sync.Mutex
	f        *os.File
	size     int64
	closed   bool
	attached map[*attachment]struct{}
}

// attachment is one attached client's output streams.
type attachment struct {
	stdout, stderr io.Writer
}

func newProcLog(path string, maxSize int64, clk clock.PassiveClock) (*procLog, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	_ = os.Remove(path + ".1")
	return &procLog{path: path, max: maxSize, clock: clk, f: f, attached: map[*attachment]struct{}{}}, nil
}

// copyFrom copies one output stream of the process until EOF.
func (l *procLog) copyFrom(r io.ReadCloser, stream string) {
	defer r.Close()
	br := bufio.NewReaderSize(r, maxLogLine)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			full := line[len(line)-1] == '\n'
			l.write(stream, bytes.TrimSuffix(line, []byte{'\n'}), full, line)
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

func (l *procLog) write(stream string, content []byte, full bool, raw []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for a := range l.attached {
		out := a.stdout
		if stream == streamStderr {
			out = a.stderr
		}
		if out == nil {
			continue
		}
		if _, err := out.Write(raw); err != nil {
			delete(l.attached, a)
		}
	}
	if l.closed {
		return
	}
	tag := "P"
	if full {
		tag = "F"
	}
	rec := make([]byte, 0, len(content)+64)
	rec = l.clock.Now().UTC().AppendFormat(rec, time.RFC3339Nano)
	rec = append(rec, ' ')
	rec = append(rec, stream...)
	rec = append(rec, ' ')
	rec = append(rec, tag...)
	rec = append(rec, ' ')
	rec = append(append(rec, content...), '\n')
	if l.max > 0 && l.size > 0 && l.size+int64(len(rec)) > l.max {
		l.rotateLocked()
	}
	n, _ := l.f.Write(rec)
	l.size += int64(n)
}

func (l *procLog) rotateLocked() {
	_ = l.f.Close()
	_ = os.Rename(l.path, l.path+".1")
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		// Keep writing to nowhere rather than fail the container.
		f, _ = os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	}
	l.f, l.size = f, 0
}

func (l *procLog) attach(a *attachment) (detach func()) {
	l.mu.Lock()
	l.attached[a] = struct{}{}
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		delete(l.attached, a)
		l.mu.Unlock()
	}
}

func (l *procLog) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.closed = true
		_ = l.f.Close()
	}
}

// logRecord is one parsed log line.
type logRecord struct {
	t       time.Time
	content []byte
	full    bool
}

func parseLogRecord(line []byte) (logRecord, bool) {
	ts, rest, ok := bytes.Cut(line, []byte{' '})
	if !ok {
		return logRecord{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(ts))
	if err != nil {
		return logRecord{}, false
	}
	_, rest, ok = bytes.Cut(rest, []byte{' '}) // stream
	if !ok {
		return logRecord{}, false
	}
	tag, content, ok := bytes.Cut(rest, []byte{' '})
	if !ok {
		return logRecord{}, false
	}
	return logRecord{t: t, content: content, full: !bytes.Equal(tag, []byte("P"))}, true
}

// lineFile reads whole lines from a file that may still grow.
type lineFile struct {
	f       *os.File
	pending []byte
	buf     []byte
}

// next returns the next complete line (without newline), or nil at the
// current end of the file.
func (lf *lineFile) next() []byte {
	for {
		if i := bytes.IndexByte(lf.pending, '\n'); i >= 0 {
			line := lf.pending[:i]
			lf.pending = lf.pending[i+1:]
			return line
		}
		if lf.buf == nil {
			lf.buf = make([]byte, 64*1024)
		}
		n, _ := lf.f.Read(lf.buf)
		if n == 0 {
			return nil
		}
		// Copy so that returned lines stay valid until the next call.
		lf.pending = append(bytes.Clone(lf.pending), lf.buf[:n]...)
	}
}

// writeFileLogs is writeLogs for a process container's log file.
func (s *logStore) writeFileLogs(ctx context.Context, clk clock.PassiveClock, newTimer func(time.Duration) clock.Timer, req logRequest, in *logInstance, w io.Writer, flush func()) error {
	var since time.Time
	switch {
	case req.opts.SinceTime != nil:
		since = req.opts.SinceTime.Time
	case req.opts.SinceSeconds != nil:
		since = clk.Now().Add(-time.Duration(*req.opts.SinceSeconds) * time.Second)
	}
	limit := int64(-1)
	if req.opts.LimitBytes != nil {
		limit = *req.opts.LimitBytes
	}
	bw := bufio.NewWriterSize(w, 32*1024)
	var lineBuf []byte
	emit := func(rec logRecord) (done bool, err error) {
		b := lineBuf[:0]
		if req.opts.Timestamps {
			b = rec.t.UTC().AppendFormat(b, timestampFormat)
			b = append(b, ' ')
		}
		b = append(b, rec.content...)
		if rec.full {
			b = append(b, '\n')
		}
		lineBuf = b
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
	keep := func(rec logRecord) bool { return since.IsZero() || !rec.t.Before(since) }

	// The current file is opened first, so a rotation while we read the
	// rotated one loses nothing.
	cur, err := os.Open(in.path)
	if err != nil {
		return err
	}
	defer func() { cur.Close() }()
	lf := &lineFile{f: cur}
	var tail []logRecord
	tailN := int64(-1)
	if req.opts.TailLines != nil {
		tailN = *req.opts.TailLines
	}
	history := func(rec logRecord) (bool, error) {
		if !keep(rec) {
			return false, nil
		}
		if tailN < 0 {
			return emit(rec)
		}
		if tailN == 0 {
			return false, nil
		}
		rec.content = bytes.Clone(rec.content)
		tail = append(tail, rec)
		if int64(len(tail)) > tailN {
			tail = tail[1:]
		}
		return false, nil
	}
	if old, err := os.Open(in.path + ".1"); err == nil {
		olf := &lineFile{f: old}
		for line := olf.next(); line != nil; line = olf.next() {
			if rec, ok := parseLogRecord(line); ok {
				if done, err := history(rec); done || err != nil {
					old.Close()
					return firstErr(err, bw.Flush())
				}
			}
		}
		old.Close()
	}
	for line := lf.next(); line != nil; line = lf.next() {
		if rec, ok := parseLogRecord(line); ok {
			if done, err := history(rec); done || err != nil {
				return firstErr(err, bw.Flush())
			}
		}
	}
	for _, rec := range tail {
		if done, err := emit(rec); done || err != nil {
			return firstErr(err, bw.Flush())
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
	// Follow: new lines as they are written, across rotations, until the run
	// ends (or the pod is gone) and the file is drained.
	for {
		latest, changed := s.byID(req.podKey, req.container, in.containerID)
		ended := latest == nil || !latest.finishedAt.IsZero()
		for line := lf.next(); line != nil; line = lf.next() {
			if rec, ok := parseLogRecord(line); ok && keep(rec) {
				if done, err := emit(rec); done || err != nil {
					return firstErr(err, bw.Flush())
				}
			}
		}
		if st, err := os.Stat(in.path); err == nil {
			if fi, err := cur.Stat(); err == nil && !os.SameFile(st, fi) {
				// Rotated: what was left in the old file was read above.
				if f, err := os.Open(in.path); err == nil {
					cur.Close()
					cur, lf = f, &lineFile{f: f}
					continue
				}
			}
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		if flush != nil {
			flush()
		}
		if ended {
			return nil
		}
		timer := newTimer(logFollowPoll)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-changed:
		case <-timer.C():
		}
		timer.Stop()
	}
}
