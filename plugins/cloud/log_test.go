package cloud

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-hclog"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
)

// capture is a klog.Logger recording each entry as a JSON object.
type capture struct {
	mu      sync.Mutex
	entries []map[string]interface{}
}

func (c *capture) logger(t *testing.T, verbosity int) klog.Logger {
	return funcr.NewJSON(func(obj string) {
		var m map[string]interface{}
		if err := json.Unmarshal([]byte(obj), &m); err != nil {
			t.Errorf("funcr wrote invalid JSON %q: %v", obj, err)
			return
		}
		c.mu.Lock()
		c.entries = append(c.entries, m)
		c.mu.Unlock()
	}, funcr.Options{Verbosity: verbosity})
}

// replay feeds hclog JSON lines into an hclog.Logger the way go-plugin's
// host does with a plugin's stderr: level from @level, the rest as args.
func replay(t *testing.T, out *bytes.Buffer, into hclog.Logger) {
	t.Helper()
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var raw map[string]interface{}
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			t.Fatalf("plugin wrote a non-JSON log line %q: %v", sc.Text(), err)
		}
		level := hclog.LevelFromString(raw["@level"].(string))
		msg := raw["@message"].(string)
		delete(raw, "@level")
		delete(raw, "@message")
		delete(raw, "@timestamp")
		var args []interface{}
		for k, v := range raw {
			args = append(args, k, v)
		}
		args = append(args, logKeyTimestamp, "2026-01-01T00:00:00Z")
		into.Log(level, msg, args...)
	}
}

func TestLogBridgeKeepsLevelsAndValues(t *testing.T) {
	// Plugin side: klog calls through the hclog JSON sink.
	var out bytes.Buffer
	hc := hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: &out, JSONFormat: true})
	pluginLog := logr.New(&hclogSink{hc: hc, maxV: 4}).WithName("provider").WithValues("region", "r1")
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}
	pluginLog.Info("always shown", "node", klog.KObj(node))
	pluginLog.V(3).Info("detail", "count", 7)
	pluginLog.V(5).Info("dropped in the plugin: above the host's verbosity")
	pluginLog.Error(errors.New("vm gone"), "lookup failed", "node", "n1")

	// Host side.
	var c capture
	replay(t, &out, newKlogHCLogger(c.logger(t, 4)).Named("plugin"))

	want := []map[string]interface{}{
		{"logger": "plugin", "level": float64(0), "msg": "always shown", "region": "r1",
			"node": map[string]interface{}{"name": "n1"}},
		{"logger": "plugin", "level": float64(3), "msg": "detail", "region": "r1", "count": float64(7)},
		{"logger": "plugin", "msg": "lookup failed", "region": "r1", "node": "n1", "error": "vm gone"},
	}
	// hclog's Named("provider") arrives as @module; keep the check to what
	// the bridge itself is responsible for.
	for _, e := range c.entries {
		delete(e, "@module")
	}
	if diff := cmp.Diff(want, c.entries); diff != "" {
		t.Errorf("host log entries (-want +got):\n%s", diff)
	}
}

func TestKlogHCLoggerLevels(t *testing.T) {
	var c capture
	l := newKlogHCLogger(c.logger(t, vDebug))
	l.Trace("t")
	l.Debug("d")
	l.Info("i")
	l.Warn("w")
	l.Error("e", "err", "boom", "k", "v")
	l.With("a", 1).Info("with")

	var got []string
	for _, e := range c.entries {
		lv, _ := e["level"].(float64)
		s := e["msg"].(string) + "@" + strings.Repeat("v", int(lv))
		if e["error"] != nil {
			s += " error=" + e["error"].(string)
		}
		got = append(got, s)
	}
	// Trace (V6) is above the verbosity of 4 and is dropped.
	want := []string{"d@vvvv", "i@vv", "w@", "e@ error=boom", "with@vv"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if l.GetLevel() != hclog.Debug {
		t.Errorf("GetLevel at -v=4 = %s, want debug", l.GetLevel())
	}
	if !l.IsDebug() || l.IsTrace() {
		t.Errorf("IsDebug=%v IsTrace=%v at -v=4", l.IsDebug(), l.IsTrace())
	}
}

func TestLineWriterAndTailBuffer(t *testing.T) {
	var lines []string
	w := &lineWriter{log: func(s string) { lines = append(lines, s) }}
	for _, chunk := range []string{"hel", "lo\nwor", "ld\n\nlast"} {
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{"hello", "world"}, lines); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}

	tail := &tailBuffer{max: 16}
	_, _ = tail.Write([]byte(`{"@level":"debug","@message":"json is skipped"}` + "\n"))
	_, _ = tail.Write([]byte("0123456789\nabcdefghij\n"))
	if got := tail.String(); got != "6789\nabcdefghij" {
		t.Errorf("tail = %q, want the last 16 bytes without JSON lines", got)
	}
}
