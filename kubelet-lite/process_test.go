package kubeletlite

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/utils/clock"
	testingclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/exec"
	"k8s.io/utils/ptr"
)

// processConfig switches a test kubelet to the process runtime with a short
// crash-loop back-off.
func processConfig(t *testing.T) func(*Config) {
	root := t.TempDir()
	return func(c *Config) {
		c.Runtime = RuntimeProcess
		c.RootDirectory = root
		c.CrashLoopBackOffInitial = time.Second
		c.CrashLoopBackOffMax = 4 * time.Second
	}
}

func processPod(name string, policy corev1.RestartPolicy, command ...string) *corev1.Pod {
	p := newPod(name, nil)
	p.Spec.RestartPolicy = policy
	p.Spec.Containers[0].Command = command
	return p
}

// waitPod polls the pod until cond holds: processes exit in real time, not
// on the fake clock.
func (h *harness) waitPod(name, what string, cond func(*corev1.Pod) bool) *corev1.Pod {
	h.t.Helper()
	var p *corev1.Pod
	h.waitFor(what, func() bool {
		p = h.pod("default", name)
		return cond(p)
	})
	return p
}

func firstStatus(p *corev1.Pod) corev1.ContainerStatus {
	if len(p.Status.ContainerStatuses) == 0 {
		return corev1.ContainerStatus{}
	}
	return p.Status.ContainerStatuses[0]
}

func running(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodRunning && firstStatus(p).State.Running != nil
}

func TestProcessPodRunsLogsAndStopsGracefully(t *testing.T) {
	var final *corev1.Pod
	var a *apiHarness
	a = newAPIHarness(t, nil, processConfig(t), withReactor("delete", "pods", func(action clienttesting.Action) (bool, runtime.Object, error) {
		if p, err := a.client.Tracker().Get(corev1.SchemeGroupVersion.WithResource("pods"), "default", "web"); err == nil {
			final = p.(*corev1.Pod).DeepCopy()
		}
		return false, nil, nil
	}))
	a.allowAll.Store(true)
	a.createPod(processPod("web", corev1.RestartPolicyAlways, "sh", "-c", "echo hello; sleep 30"))
	p := a.waitPod("web", "Running", running)
	if p.Status.PodIP != "127.0.1.7" || firstStatus(p).State.Running.StartedAt.IsZero() {
		t.Errorf("status = %+v; want podIP 127.0.1.7 (the node's) and a start time", p.Status)
	}
	var body string
	a.waitFor("hello in the log", func() bool {
		w := a.do(a.ctx, "GET", "/containerLogs/default/web/app", true, "")
		body = w.Body.String()
		return w.Code == 200 && body == "hello\n"
	})
	if w := a.do(a.ctx, "GET", "/containerLogs/default/web/app?timestamps=true&limitBytes=12", true, ""); w.Code != 200 || len(w.Body.String()) != 12 {
		t.Errorf("timestamps with limitBytes: %d %q", w.Code, w.Body.String())
	}
	pc := a.k.procs.get(p.UID, "app")
	if pc == nil {
		t.Fatal("no process registered")
	}

	// What the apiserver does on a graceful DELETE.
	p.DeletionTimestamp = ptr.To(metav1.NewTime(a.clock.Now().Add(30 * time.Second)))
	p.DeletionGracePeriodSeconds = ptr.To[int64](30)
	if _, err := a.client.CoreV1().Pods("default").Update(context.Background(), p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	a.waitFor("the pod deleted", func() bool { return a.count("delete", "pods", "") == 1 })
	cs := firstStatus(final)
	// SIGTERM, not the SIGKILL of the end of the grace period (the fake
	// clock never got there): 128+15.
	if term := cs.State.Terminated; term == nil || term.ExitCode != 143 || term.Reason != reasonError {
		t.Errorf("final container state = %+v, want terminated 143 Error", cs.State)
	}
	if err := syscall.Kill(pc.pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process %d still exists after the pod stopped: %v", pc.pid, err)
	}
}

func TestProcessExitCodesAndRestarts(t *testing.T) {
	a := newAPIHarness(t, nil, processConfig(t))
	a.allowAll.Store(true)
	a.createPod(processPod("fail", corev1.RestartPolicyNever, "sh", "-c", "exit 3"))
	p := a.waitPod("fail", "Failed", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodFailed })
	if term := firstStatus(p).State.Terminated; term == nil || term.ExitCode != 3 || term.Reason != reasonError || term.FinishedAt.IsZero() {
		t.Errorf("state = %+v, want terminated 3 Error", firstStatus(p).State)
	}

	a.createPod(processPod("ok", corev1.RestartPolicyOnFailure, "sh", "-c", "echo done"))
	p = a.waitPod("ok", "Succeeded", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodSucceeded })
	if term := firstStatus(p).State.Terminated; term == nil || term.ExitCode != 0 || term.Reason != reasonCompleted {
		t.Errorf("state = %+v, want terminated 0 Completed", firstStatus(p).State)
	}

	// OnFailure: the first restart is immediate, the next waits the back-off
	// (1 s here, on the fake clock).
	a.createPod(processPod("crash", corev1.RestartPolicyOnFailure, "sh", "-c", "echo run; exit 1"))
	p = a.waitPod("crash", "CrashLoopBackOff", func(p *corev1.Pod) bool {
		s := firstStatus(p)
		return s.RestartCount == 1 && s.State.Waiting != nil && s.State.Waiting.Reason == reasonCrashLoopBackOff
	})
	if last := firstStatus(p).LastTerminationState.Terminated; last == nil || last.ExitCode != 1 {
		t.Errorf("last state = %+v", firstStatus(p).LastTerminationState)
	}
	if w := a.do(a.ctx, "GET", "/containerLogs/default/crash/app?previous=true", true, ""); w.Code != 200 || w.Body.String() != "run\n" {
		t.Errorf("previous log: %d %q", w.Code, w.Body.String())
	}
	a.clock.Step(time.Second)
	a.waitPod("crash", "restart after the back-off", func(p *corev1.Pod) bool {
		s := firstStatus(p)
		return s.RestartCount == 2 && s.State.Waiting != nil && strings.Contains(s.State.Waiting.Message, "back-off 2s")
	})
}

func TestProcessContainerWithoutCommand(t *testing.T) {
	a := newAPIHarness(t, nil, processConfig(t))
	a.createPod(processPod("nocmd", corev1.RestartPolicyAlways))
	p := a.waitPod("nocmd", "CreateContainerError", func(p *corev1.Pod) bool {
		w := firstStatus(p).State.Waiting
		return w != nil && w.Reason == reasonCreateContainerError
	})
	if msg := firstStatus(p).State.Waiting.Message; !strings.Contains(msg, "needs a command") || !strings.Contains(msg, "registry.k8s.io/pause:3.10") {
		t.Errorf("message = %q", msg)
	}
	a.createPod(processPod("nobin", corev1.RestartPolicyNever, "no-such-binary-k1s"))
	p = a.waitPod("nobin", "StartError", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodFailed })
	if term := firstStatus(p).State.Terminated; term == nil || term.ExitCode != 128 || term.Reason != reasonStartError || !strings.Contains(term.Message, "not found") {
		t.Errorf("state = %+v", firstStatus(p).State)
	}
}

func TestProcessEnvironmentAndServiceAccount(t *testing.T) {
	a := newAPIHarness(t, nil, processConfig(t), func(c *Config) { c.APIServerURL = "https://127.0.0.1:6443" }, withReactor("create", "serviceaccounts", func(action clienttesting.Action) (bool, runtime.Object, error) {
		if action.GetSubresource() != "token" {
			return false, nil, nil
		}
		tr := action.(clienttesting.CreateAction).GetObject().(*authenticationv1.TokenRequest).DeepCopy()
		if tr.Spec.BoundObjectRef == nil || tr.Spec.BoundObjectRef.Name != "env" {
			t.Errorf("token not bound to the pod: %+v", tr.Spec)
		}
		tr.Status = authenticationv1.TokenRequestStatus{Token: "tok", ExpirationTimestamp: metav1.NewTime(time.Now().Add(time.Hour))}
		return true, tr, nil
	}))
	if _, err := a.client.CoreV1().ConfigMaps("default").Create(context.Background(), &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-root-ca.crt", Namespace: "default"}, Data: map[string]string{"ca.crt": "CA"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	p := processPod("env", corev1.RestartPolicyAlways, "sh", "-c",
		`echo "$POD_NAME $POD_NS $POD_IP $NODE $GREETING $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT"; cat "$K1S_SERVICEACCOUNT_DIR/token" "$K1S_SERVICEACCOUNT_DIR/ca.crt" "$K1S_SERVICEACCOUNT_DIR/namespace"; echo; basename "$(pwd)"; sleep 30`)
	field := func(name, path string) corev1.EnvVar {
		return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}}
	}
	p.Spec.Containers[0].Env = []corev1.EnvVar{
		field("POD_NAME", "metadata.name"), field("POD_NS", "metadata.namespace"), field("POD_IP", "status.podIP"), field("NODE", "spec.nodeName"),
		{Name: "GREETING", Value: "hi-$(POD_NAME)"},
	}
	p.Spec.ServiceAccountName = "default"
	p.Spec.Volumes = []corev1.Volume{{Name: "kube-api-access-x", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
		{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: ptr.To[int64](3607)}},
		{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"}, Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
		{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "namespace", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}}}},
	}}}}}
	p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "kube-api-access-x", MountPath: serviceAccountMountPath}}
	a.createPod(p)
	want := "env default 127.0.1.7 node-a hi-env 127.0.0.1:6443\ntokCAdefault\napp\n"
	var got string
	a.waitFor("the environment in the log", func() bool {
		got = a.do(a.ctx, "GET", "/containerLogs/default/env/app", true, "").Body.String()
		return got == want
	})
}

// execServer serves the kubelet API over real HTTP (SPDY needs a hijackable
// connection), as the client certificate's user.
func execServer(a *apiHarness) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(withKubelet(r.Context(), a.k))
		r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{a.clientCrt}}
		a.handler.ServeHTTP(w, r)
	}))
	a.t.Cleanup(srv.Close)
	return srv
}

func execIn(t *testing.T, srv *httptest.Server, path string, stdin string) (string, string, error) {
	t.Helper()
	u := srv.URL + path
	exe, err := remotecommand.NewSPDYExecutor(&rest.Config{Host: srv.URL}, "POST", mustURL(t, u))
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	opts := remotecommand.StreamOptions{Stdout: &out, Stderr: &errOut}
	if stdin != "" {
		opts.Stdin = strings.NewReader(stdin)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = exe.StreamWithContext(ctx, opts)
	return out.String(), errOut.String(), err
}

func TestProcessExec(t *testing.T) {
	a := newAPIHarness(t, nil, processConfig(t))
	a.allowAll.Store(true)
	pod := processPod("web", corev1.RestartPolicyAlways, "sh", "-c", "echo hello; sleep 30")
	pod.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "WHO", Value: "k1s"}}
	a.createPod(pod)
	a.waitPod("web", "Running", running)
	srv := execServer(a)

	out, _, err := execIn(t, srv, "/exec/default/web/app?command=echo&command=hi&output=1&error=1", "")
	if err != nil || out != "hi\n" {
		t.Errorf("exec echo hi = %q, %v", out, err)
	}
	out, _, err = execIn(t, srv, "/exec/default/web/app?"+execQuery("sh", "-c", "echo $WHO; basename $(pwd)"), "")
	if err != nil || out != "k1s\napp\n" {
		t.Errorf("exec in the container's env and dir = %q, %v", out, err)
	}
	out, _, err = execIn(t, srv, "/exec/default/web/app?command=cat&input=1&output=1&error=1", "from stdin")
	if err != nil || out != "from stdin" {
		t.Errorf("exec with stdin = %q, %v", out, err)
	}
	_, errOut, err := execIn(t, srv, "/exec/default/web/app?"+execQuery("sh", "-c", "echo oops >&2; exit 3"), "")
	var exitErr exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitStatus() != 3 || errOut != "oops\n" {
		t.Errorf("exec exit 3 = %v (stderr %q), want exit status 3", err, errOut)
	}
	if w := a.do(a.ctx, "POST", "/exec/default/web/nope?command=true&output=1", true, ""); w.Code != 404 {
		t.Errorf("unknown container: %d %s", w.Code, w.Body.String())
	}
	if w := a.do(a.ctx, "POST", "/run/default/web/app?cmd=echo+ran", true, ""); w.Code != 200 || w.Body.String() != "ran\n" {
		t.Errorf("run: %d %q", w.Code, w.Body.String())
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func execQuery(command ...string) string {
	q := url.Values{"command": command, "output": {"1"}, "error": {"1"}}
	return q.Encode()
}

// withReactor adds a reactor to the fake clientset before the kubelet starts
// (the fake's reactor chain is not safe to change while it is used).
func withReactor(verb, resource string, fn clienttesting.ReactionFunc) func(*Config) {
	return func(c *Config) { c.Client.(*fake.Clientset).PrependReactor(verb, resource, fn) }
}

// signalWriter closes seen once it was written what it waits for.
type signalWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.seen != nil && strings.Contains(w.buf.String(), w.want) {
		close(w.seen)
		w.seen = nil
	}
	return len(p), nil
}

func TestProcessAttach(t *testing.T) {
	a := newAPIHarness(t, nil, processConfig(t))
	a.allowAll.Store(true)
	a.createPod(processPod("ticker", corev1.RestartPolicyAlways, "sh", "-c", "while :; do echo tick; sleep 0.05; done"))
	a.waitPod("ticker", "Running", running)
	srv := execServer(a)
	exe, err := remotecommand.NewSPDYExecutor(&rest.Config{Host: srv.URL}, "POST", mustURL(t, srv.URL+"/attach/default/ticker/app?output=1&error=1"))
	if err != nil {
		t.Fatal(err)
	}
	out := &signalWriter{want: "tick\ntick\n", seen: make(chan struct{})}
	seen := out.seen
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- exe.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: out, Stderr: out}) }()
	select {
	case <-seen:
	case err := <-done:
		t.Fatalf("attach ended before any output: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no output through attach")
	}
	cancel()
	<-done
}

func TestProcessLogRotation(t *testing.T) {
	clk := testingclock.NewFakeClock(testStart)
	path := filepath.Join(t.TempDir(), "0.log")
	lg, err := newProcLog(path, 300, clk)
	if err != nil {
		t.Fatal(err)
	}
	var in strings.Builder
	for i := range 20 {
		fmt.Fprintf(&in, "line %02d\n", i)
	}
	lg.copyFrom(io.NopCloser(strings.NewReader(in.String())), streamStdout)
	lg.close()
	if _, err := os.Stat(path + ".1"); err != nil {
		t.Fatalf("no rotated file: %v", err)
	}
	if st, _ := os.Stat(path); st.Size() > 300 {
		t.Errorf("current file is %d bytes, over the 300 limit", st.Size())
	}
	s := newLogStore()
	inst := &logInstance{containerID: "c1", startedAt: testStart, path: path}
	read := func(opts corev1.PodLogOptions) string {
		var out bytes.Buffer
		err := s.writeFileLogs(context.Background(), clk, func(d time.Duration) clock.Timer { return clk.NewTimer(d) },
			logRequest{podKey: "default/p", container: "app", opts: opts}, inst, &out, nil)
		if err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	all := read(corev1.PodLogOptions{})
	if !strings.HasSuffix(all, "line 18\nline 19\n") || strings.Contains(all, "line 00\n") {
		t.Errorf("log across the rotation = %q (the oldest lines rotate away, the newest stay)", all)
	}
	if got := read(corev1.PodLogOptions{TailLines: ptr.To[int64](2)}); got != "line 18\nline 19\n" {
		t.Errorf("tail 2 = %q", got)
	}
	if got := read(corev1.PodLogOptions{TailLines: ptr.To[int64](1), Timestamps: true}); got != testStart.Format(timestampFormat)+" line 19\n" {
		t.Errorf("tail 1 with timestamps = %q", got)
	}
	if got := read(corev1.PodLogOptions{LimitBytes: ptr.To[int64](4)}); len(got) != 4 {
		t.Errorf("limitBytes 4 = %q", got)
	}
}
