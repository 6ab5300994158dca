package cloud

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"strings"
	"sync"

	"github.com/go-logr/logr"
	"github.com/hashicorp/go-hclog"
	"k8s.io/klog/v2"
)

// Logging across the process boundary.
//
// In the plugin, klog is redirected (klog.SetLogger) into an hclog JSON logger
// on the process's real stderr; each entry carries its klog verbosity as "v".
// On the host, go-plugin parses those JSON lines and replays them into the
// hclog.Logger it was given, which is klogHCLogger below, writing to klog with
// the plugin's name. A provider therefore just uses klog.FromContext(ctx).

// Keys with a meaning on both sides of the bridge.
const (
	logKeyV   = "v"   // klog verbosity of a plugin's Info entry
	logKeyErr = "err" // error of a plugin's Error entry
	// go-plugin appends the plugin's own timestamp; klog stamps the line
	// itself, so it would only be noise.
	logKeyTimestamp = "timestamp"
)

// hclog levels without an explicit "v" map to these klog verbosities. Info is
// not V(0) because hclog Info is what go-plugin itself uses for routine
// lifecycle messages; Warn is the lowest level that is always shown.
const (
	vWarn  = 0
	vInfo  = 2
	vDebug = 4
	vTrace = 6
)

// klogHCLogger is an hclog.Logger writing to a klog.Logger. Level filtering is
// klog's (its -v flag); SetLevel is ignored.
type klogHCLogger struct {
	logger  klog.Logger
	name    string
	implied []interface{}
}

var _ hclog.Logger = (*klogHCLogger)(nil)

func newKlogHCLogger(logger klog.Logger) hclog.Logger {
	return &klogHCLogger{logger: logger}
}

func (l *klogHCLogger) Log(level hclog.Level, msg string, args ...interface{}) {
	v := -1
	var err error
	kv := make([]interface{}, 0, len(args))
	for i := 0; i+1 < len(args); i += 2 {
		key, _ := args[i].(string)
		switch key {
		case logKeyV:
			if n, ok := toInt(args[i+1]); ok {
				v = n
				continue
			}
		case logKeyErr:
			if level >= hclog.Error {
				err = errors.New(fmt.Sprint(args[i+1]))
				continue
			}
		case logKeyTimestamp:
			continue
		}
		kv = append(kv, args[i], args[i+1])
	}
	if len(args)%2 == 1 {
		kv = append(kv, "EXTRA_VALUE_AT_END", args[len(args)-1])
	}
	if level >= hclog.Error {
		l.logger.Error(err, msg, kv...)
		return
	}
	if v < 0 {
		v = levelToV(level)
	}
	l.logger.V(v).Info(msg, kv...)
}

func toInt(v interface{}) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case float64: // what encoding/json gives for a number on the host
		return int(n), true
	case int64:
		return int(n), true
	}
	return 0, false
}

func levelToV(level hclog.Level) int {
	switch {
	case level <= hclog.Trace:
		return vTrace
	case level == hclog.Debug:
		return vDebug
	case level == hclog.Info:
		return vInfo
	default:
		return vWarn
	}
}

func (l *klogHCLogger) Trace(msg string, args ...interface{}) { l.Log(hclog.Trace, msg, args...) }
func (l *klogHCLogger) Debug(msg string, args ...interface{}) { l.Log(hclog.Debug, msg, args...) }
func (l *klogHCLogger) Info(msg string, args ...interface{})  { l.Log(hclog.Info, msg, args...) }
func (l *klogHCLogger) Warn(msg string, args ...interface{})  { l.Log(hclog.Warn, msg, args...) }
func (l *klogHCLogger) Error(msg string, args ...interface{}) { l.Log(hclog.Error, msg, args...) }

func (l *klogHCLogger) IsTrace() bool { return l.logger.V(vTrace).Enabled() }
func (l *klogHCLogger) IsDebug() bool { return l.logger.V(vDebug).Enabled() }
func (l *klogHCLogger) IsInfo() bool  { return l.logger.V(vInfo).Enabled() }
func (l *klogHCLogger) IsWarn() bool  { return true }
func (l *klogHCLogger) IsError() bool { return true }

func (l *klogHCLogger) ImpliedArgs() []interface{} { return l.implied }

func (l *klogHCLogger) With(args ...interface{}) hclog.Logger {
	return &klogHCLogger{
		logger:  l.logger.WithValues(args...),
		name:    l.name,
		implied: append(append([]interface{}{}, l.implied...), args...),
	}
}

func (l *klogHCLogger) Name() string { return l.name }

func (l *klogHCLogger) Named(name string) hclog.Logger {
	full := name
	if l.name != "" {
		full = l.name + "." + name
	}
	return &klogHCLogger{logger: l.logger.WithName(name), name: full, implied: l.implied}
}

func (l *klogHCLogger) ResetNamed(name string) hclog.Logger {
	// klog names only accumulate; keep the chain and record the new name.
	return &klogHCLogger{logger: l.logger.WithName(name), name: name, implied: l.implied}
}

func (l *klogHCLogger) SetLevel(hclog.Level) {}

// GetLevel tells go-plugin which plugin log lines are worth parsing at all.
func (l *klogHCLogger) GetLevel() hclog.Level {
	switch {
	case l.IsTrace():
		return hclog.Trace
	case l.IsDebug():
		return hclog.Debug
	case l.IsInfo():
		return hclog.Info
	default:
		return hclog.Warn
	}
}

func (l *klogHCLogger) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(l.StandardWriter(opts), "", 0)
}

func (l *klogHCLogger) StandardWriter(opts *hclog.StandardLoggerOptions) io.Writer {
	level := hclog.Info
	if opts != nil && opts.ForceLevel != hclog.NoLevel {
		level = opts.ForceLevel
	}
	return &lineWriter{log: func(line string) { l.Log(level, line) }}
}

// lineWriter calls log once per complete line written to it. It carries a
// plugin's plain stdout/stderr (fmt.Print and friends) into klog.
type lineWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
	log func(line string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err != nil {
			// Incomplete line: keep it for the next write.
			w.buf.Reset()
			w.buf.WriteString(line)
			return len(p), nil
		}
		if s := strings.TrimRight(line, "\r\n"); s != "" {
			w.log(s)
		}
	}
}

// tailBuffer keeps the last bytes of a plugin's raw stderr so that a failed
// start can say what the plugin printed (for example go-plugin's "This binary
// is a plugin" on a handshake cookie mismatch). hclog JSON lines are left
// out: they already went to the log, and a panic or a plain message is what
// explains a failed start.
type tailBuffer struct {
	mu      sync.Mutex
	max     int
	data    []byte
	partial []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.partial = append(t.partial, p...)
	for {
		i := bytes.IndexByte(t.partial, '\n')
		if i < 0 {
			break
		}
		line := t.partial[:i+1]
		if !bytes.HasPrefix(line, []byte(`{"@`)) {
			t.data = append(t.data, line...)
		}
		t.partial = t.partial[i+1:]
	}
	if over := len(t.data) - t.max; over > 0 {
		t.data = append(t.data[:0], t.data[over:]...)
	}
	if over := len(t.partial) - t.max; over > 0 {
		t.partial = append(t.partial[:0], t.partial[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.data) + string(t.partial))
}

// hclogSink is the plugin side: a logr.LogSink writing hclog JSON, installed
// as klog's logger by Serve. maxV is the host's verbosity; entries above it
// are dropped here rather than encoded, sent and dropped on the host.
type hclogSink struct {
	hc   hclog.Logger
	maxV int
}

var _ logr.LogSink = (*hclogSink)(nil)

func (s *hclogSink) Init(logr.RuntimeInfo) {}

func (s *hclogSink) Enabled(level int) bool { return level <= s.maxV }

func (s *hclogSink) Info(level int, msg string, kv ...interface{}) {
	args := append(flattenKV(kv), logKeyV, level)
	if level == 0 {
		s.hc.Info(msg, args...)
		return
	}
	s.hc.Debug(msg, args...)
}

func (s *hclogSink) Error(err error, msg string, kv ...interface{}) {
	args := flattenKV(kv)
	if err != nil {
		args = append(args, logKeyErr, err.Error())
	}
	s.hc.Error(msg, args...)
}

func (s *hclogSink) WithValues(kv ...interface{}) logr.LogSink {
	return &hclogSink{hc: s.hc.With(flattenKV(kv)...), maxV: s.maxV}
}

func (s *hclogSink) WithName(name string) logr.LogSink {
	return &hclogSink{hc: s.hc.Named(name), maxV: s.maxV}
}

// flattenKV makes logr key/value pairs safe for hclog's JSON encoder: values
// that implement logr.Marshaler (klog.KObj and friends) are marshalled, and
// errors and Stringers become strings, as klog's text output would show them.
func flattenKV(kv []interface{}) []interface{} {
	out := make([]interface{}, 0, len(kv))
	for i := 0; i+1 < len(kv); i += 2 {
		key, ok := kv[i].(string)
		if !ok {
			key = fmt.Sprint(kv[i])
		}
		out = append(out, key, logValue(kv[i+1]))
	}
	if len(kv)%2 == 1 {
		out = append(out, "EXTRA_VALUE_AT_END", logValue(kv[len(kv)-1]))
	}
	return out
}

func logValue(v interface{}) interface{} {
	switch x := v.(type) {
	case logr.Marshaler:
		return x.MarshalLog()
	case error:
		return x.Error()
	case fmt.Stringer:
		return x.String()
	}
	return v
}
