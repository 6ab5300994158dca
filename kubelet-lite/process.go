package kubeletlite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
)

// The process runtime (Config.Runtime "process"): every container is a host
// process started from its command and args, in its own process group, with
// the pod's environment and a working directory under
// <RootDirectory>/<namespace>_<pod>_<uid>/<container>/. It is NOT isolated:
// no namespaces, cgroups, image or file system of its own; the image is only
// recorded. It reuses the simulated runtime's state machine (runtime.go): a
// process container is a simContainer that runs forever until its process
// reports an exit, so restart policy, crash-loop back-off, init containers and
// sidecars behave as in the sim runtime and as upstream.
//
// One goroutine per process waits for it and two copy its stdout and stderr
// into the log file; they only ever touch the procContainer, and the kubelet
// loop picks exits up on its next pass (they nudge it).

// Upstream reasons (kuberuntime, containerd) for containers that cannot run.
const (
	reasonCreateContainerError       = "CreateContainerError"
	reasonCreateContainerConfigError = "CreateContainerConfigError"
	reasonStartError                 = "StartError"
	// exitCodeStartError is what containerd reports when the process could
	// not be started (128, "StartError").
	exitCodeStartError int32 = 128

	// EnvServiceAccountDir points at the directory holding the pod's service
	// account token, ca.crt and namespace: processes cannot see
	// /var/run/secrets/kubernetes.io/serviceaccount, so the projected volume
	// mounted there is written to the pod directory instead.
	EnvServiceAccountDir    = "K1S_SERVICEACCOUNT_DIR"
	serviceAccountMountPath = "/var/run/secrets/kubernetes.io/serviceaccount"

	// processStopWait bounds how long the kubelet waits for a SIGKILLed
	// process to be reaped, and for its output to drain after it exited (a
	// daemonised grandchild in another process group may hold the pipes).
	processStopWait = 2 * time.Second
	defaultPath     = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// procContainer is one run of a container's process.
type procContainer struct {
	pid   int
	env   []string
	dir   string
	log   *procLog
	stdin io.WriteCloser // nil unless the container has stdin: true

	// done is closed once the process exited and its output drained;
	// exitCode and finishedAt are valid from then on.
	done       chan struct{}
	exitCode   int32
	finishedAt time.Time
}

func (p *procContainer) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// signal sends sig to the process group while the process runs: once it is
// reaped, its group id may belong to someone else.
func (p *procContainer) signal(sig syscall.Signal) {
	if p == nil || p.exited() {
		return
	}
	_ = killGroup(p.pid, sig)
}

func (p *procContainer) kill() { p.signal(sigKill) }

// procRegistry is how the kubelet API's goroutines find a container's
// running process; the kubelet loop registers and removes them.
type procRegistry struct {
	mu    sync.Mutex
	procs map[string]*procContainer
}

func procKey(uid types.UID, container string) string { return string(uid) + "/" + container }

func (r *procRegistry) set(uid types.UID, container string, p *procContainer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.procs == nil {
		r.procs = map[string]*procContainer{}
	}
	if p == nil {
		delete(r.procs, procKey(uid, container))
	} else {
		r.procs[procKey(uid, container)] = p
	}
}

func (r *procRegistry) get(uid types.UID, container string) *procContainer {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.procs[procKey(uid, container)]
}

func (k *Kubelet) processRuntime() bool { return k.cfg.Runtime == RuntimeProcess }

// podDir is <RootDirectory>/<namespace>_<pod>_<uid>, as /var/log/pods names
// pod directories.
func (w *podWorker) podDir() string {
	return filepath.Join(w.m.k.cfg.RootDirectory, fmt.Sprintf("%s_%s_%s", w.pod.Namespace, w.pod.Name, w.uid))
}

func (w *podWorker) containerSpec(name string) *corev1.Container {
	for _, list := range [][]corev1.Container{w.pod.Spec.InitContainers, w.pod.Spec.Containers} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	return nil
}

// canStartProcess reports whether c can run at all; if not, it waits with
// the reason upstream gives a container whose creation fails. Without an
// image there is no entrypoint, so a container must have a command.
func (w *podWorker) canStartProcess(c *simContainer) bool {
	spec := w.containerSpec(c.name)
	reason, message := "", ""
	switch {
	case spec == nil:
		reason, message = reasonCreateContainerError, "container not found in the pod spec"
	case len(spec.Command) == 0:
		reason, message = reasonCreateContainerError, fmt.Sprintf("the process runtime needs a command: image %q is not pulled, so its entrypoint is unknown", spec.Image)
	case w.volumeErr != "":
		reason, message = reasonCreateContainerConfigError, w.volumeErr
	}
	if reason == "" {
		return true
	}
	if c.waitingReason != reason || c.waitingMessage != message {
		w.containerEvent(c, corev1.EventTypeWarning, "Failed", "Error: %s", message)
	}
	c.state, c.ready = stateWaiting, false
	c.waitingReason, c.waitingMessage = reason, message
	return false
}

// startProcess starts c's process for the run start() just began. A process
// that cannot start ends the run at once with 128/StartError, as containerd
// reports it, and the restart policy applies.
func (w *podWorker) startProcess(c *simContainer, t time.Time) {
	pc, err := w.launch(c)
	if err != nil {
		klog.FromContext(w.m.ctx).Info("Container process failed to start", "pod", klog.KObj(w.pod), "container", c.name, "err", err.Error())
		c.exitAt, c.exitCode = t, exitCodeStartError
		c.exitReason, c.exitMessage = reasonStartError, err.Error()
		return
	}
	c.proc = pc
	w.m.k.procs.set(w.uid, c.name, pc)
}

func (w *podWorker) launch(c *simContainer) (*procContainer, error) {
	k := w.m.k
	spec := w.containerSpec(c.name)
	cdir := filepath.Join(w.podDir(), c.name)
	if err := os.MkdirAll(cdir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the container directory: %w", err)
	}
	dir := cdir
	if wd := spec.WorkingDir; filepath.IsAbs(wd) {
		if st, err := os.Stat(wd); err == nil && st.IsDir() {
			dir = wd
		}
	}
	logDir := filepath.Join(w.podDir(), "_logs", c.name)
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the log directory: %w", err)
	}
	// <restartCount>.log as /var/log/pods has them; only the previous run's
	// log is kept besides the current one.
	c.logPath = filepath.Join(logDir, strconv.Itoa(int(c.restartCount))+".log")
	if c.restartCount >= 2 {
		old := filepath.Join(logDir, strconv.Itoa(int(c.restartCount-2))+".log")
		_ = os.Remove(old)
		_ = os.Remove(old + ".1")
	}
	lg, err := newProcLog(c.logPath, k.cfg.ContainerLogMaxSize, k.clock)
	if err != nil {
		return nil, err
	}

	env, err := w.containerEnv(spec, dir)
	if err != nil {
		lg.close()
		return nil, err
	}
	vars := envMap(env)
	argv := make([]string, 0, len(spec.Command)+len(spec.Args))
	for _, a := range append(append([]string(nil), spec.Command...), spec.Args...) {
		argv = append(argv, expandVars(a, vars))
	}
	cmd, err := commandIn(argv, env, dir)
	if err != nil {
		lg.close()
		return nil, err
	}
	pc := &procContainer{env: env, dir: dir, log: lg, done: make(chan struct{})}
	if spec.Stdin {
		if pc.stdin, err = cmd.StdinPipe(); err != nil {
			lg.close()
			return nil, err
		}
	}
	// Own pipes rather than io.Writers: cmd.Wait would otherwise wait for
	// every process holding them, and a container ends with its main process.
	outR, outW, err := os.Pipe()
	if err != nil {
		lg.close()
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		lg.close()
		outR.Close()
		outW.Close()
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	startErr := cmd.Start()
	outW.Close()
	errW.Close()
	if startErr != nil {
		outR.Close()
		errR.Close()
		lg.close()
		return nil, startErr
	}
	pc.pid = cmd.Process.Pid
	var copying sync.WaitGroup
	copying.Add(2)
	go func() { defer copying.Done(); lg.copyFrom(outR, streamStdout) }()
	go func() { defer copying.Done(); lg.copyFrom(errR, streamStderr) }()
	go func() {
		_ = cmd.Wait()
		code := exitCodeOf(cmd.ProcessState)
		// The container ends with its main process, as with PID 1 in a
		// container: the rest of its group is killed.
		_ = killGroup(pc.pid, sigKill)
		drained := make(chan struct{})
		go func() { copying.Wait(); close(drained) }()
		select {
		case <-drained:
		case <-time.After(processStopWait):
			outR.Close()
			errR.Close()
		}
		lg.close()
		pc.exitCode, pc.finishedAt = code, k.clock.Now()
		close(pc.done)
		k.nudge()
	}()
	return pc, nil
}

// commandIn resolves argv[0] against the container's PATH, as a runtime does
// inside the container.
func commandIn(argv []string, env []string, dir string) (*exec.Cmd, error) {
	if len(argv) == 0 || argv[0] == "" {
		return nil, errors.New("empty command")
	}
	path := argv[0]
	if !strings.Contains(path, "/") {
		found := ""
		for _, d := range filepath.SplitList(envMap(env)["PATH"]) {
			cand := filepath.Join(d, path)
			if st, err := os.Stat(cand); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
				found = cand
				break
			}
		}
		if found == "" {
			return nil, fmt.Errorf("exec: %q: executable file not found in $PATH", path)
		}
		path = found
	}
	cmd := exec.Command(path, argv[1:]...)
	cmd.Args[0] = argv[0]
	cmd.Env, cmd.Dir = env, dir
	cmd.SysProcAttr = processAttributes()
	return cmd, nil
}

func exitCodeOf(ps *os.ProcessState) int32 {
	if ps == nil {
		return exitCodeKilled
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int32(ws.Signal())
	}
	return int32(ps.ExitCode())
}

// pollProcesses turns the exits processes reported since the last pass into
// container transitions.
func (w *podWorker) pollProcesses() {
	for _, c := range w.all() {
		if p := c.proc; p != nil && c.exitAt.IsZero() && p.exited() {
			c.exitAt = p.finishedAt
			if c.exitAt.Before(c.startedAt) {
				c.exitAt = c.startedAt
			}
			c.exitCode = p.exitCode
		}
	}
}

// killAfterGrace SIGKILLs a process whose grace period is over and waits
// briefly for it; its exit (137) is then reported as any other.
func (w *podWorker) killAfterGrace(c *simContainer, at time.Time) {
	p := c.proc
	c.stopAt = time.Time{}
	p.kill()
	select {
	case <-p.done:
		c.exitAt, c.exitCode = p.finishedAt, p.exitCode
		if c.exitAt.Before(at) {
			c.exitAt = at
		}
	case <-time.After(processStopWait):
		w.terminate(c, at, exitCodeKilled, reasonError, "")
		w.finishTerminationIfStopped(at)
	}
}

// stopProcesses ends every process of the pod at once (the pod is gone from
// the API, or the kubelet stops).
func (w *podWorker) stopProcesses() {
	for _, c := range w.all() {
		c.proc.kill()
	}
}

// waitProcesses waits up to d for the pod's processes to be reaped.
func (w *podWorker) waitProcesses(d time.Duration) {
	deadline := time.After(d)
	for _, c := range w.all() {
		if p := c.proc; p != nil {
			select {
			case <-p.done:
			case <-deadline:
				return
			}
		}
	}
}

// stopAllProcesses is the kubelet's shutdown: SIGTERM to every process
// group, SIGKILL to what still runs after processStopWait.
func (m *podManager) stopAllProcesses(ctx context.Context) {
	var procs []*procContainer
	for _, w := range m.workers {
		for _, c := range w.all() {
			if c.proc != nil {
				procs = append(procs, c.proc)
			}
		}
	}
	if len(procs) == 0 {
		return
	}
	klog.FromContext(ctx).Info("Stopping container processes", "count", len(procs))
	for _, p := range procs {
		p.signal(sigTerm)
	}
	deadline := time.After(processStopWait)
	for _, p := range procs {
		select {
		case <-p.done:
		case <-deadline:
		}
	}
	for _, p := range procs {
		p.kill()
	}
	deadline = time.After(processStopWait)
	for _, p := range procs {
		select {
		case <-p.done:
		case <-deadline:
		}
	}
}

// apiServerHostPort is where processes reach the apiserver: Config.APIServerURL,
// else the host the kubelet's own client talks to.
func (k *Kubelet) apiServerHostPort() (host, port string) {
	raw := k.cfg.APIServerURL
	if raw == "" {
		if rc, ok := k.client.CoreV1().RESTClient().(*rest.RESTClient); ok && rc != nil {
			if u := rc.Get().URL(); u != nil {
				raw = u.Scheme + "://" + u.Host
			}
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", ""
	}
	host, port = u.Hostname(), u.Port()
	if port == "" {
		port = "443"
		if u.Scheme == "http" {
			port = "80"
		}
	}
	return host, port
}

// containerEnv is the process environment: a minimal base (PATH, HOME,
// HOSTNAME), the KUBERNETES_SERVICE_* variables pointing at the apiserver,
// K1S_SERVICEACCOUNT_DIR, then envFrom and env with $(VAR) expansion, as the
// kubelet's makeEnvironmentVariables orders them.
func (w *podWorker) containerEnv(spec *corev1.Container, home string) ([]string, error) {
	k := w.m.k
	ctx := w.m.ctx
	path := os.Getenv("PATH")
	if path == "" {
		path = defaultPath
	}
	var order []string
	vals := map[string]string{}
	set := func(name, value string) {
		if _, ok := vals[name]; !ok {
			order = append(order, name)
		}
		vals[name] = value
	}
	set("PATH", path)
	set("HOME", home)
	set("HOSTNAME", w.pod.Name)
	if host, port := k.apiServerHostPort(); host != "" {
		addr := net.JoinHostPort(host, port)
		set("KUBERNETES_SERVICE_HOST", host)
		set("KUBERNETES_SERVICE_PORT", port)
		set("KUBERNETES_SERVICE_PORT_HTTPS", port)
		set("KUBERNETES_PORT", "tcp://"+addr)
		set("KUBERNETES_PORT_"+port+"_TCP", "tcp://"+addr)
		set("KUBERNETES_PORT_"+port+"_TCP_PROTO", "tcp")
		set("KUBERNETES_PORT_"+port+"_TCP_PORT", port)
		set("KUBERNETES_PORT_"+port+"_TCP_ADDR", host)
	}
	if dir := w.serviceAccountDir(spec); dir != "" {
		set(EnvServiceAccountDir, dir)
	}
	for _, from := range spec.EnvFrom {
		switch {
		case from.ConfigMapRef != nil:
			data, err := w.configMapData(ctx, from.ConfigMapRef.Name, from.ConfigMapRef.Optional)
			if err != nil {
				return nil, err
			}
			for _, key := range sortedKeys(data) {
				set(from.Prefix+key, data[key])
			}
		case from.SecretRef != nil:
			data, err := w.secretData(ctx, from.SecretRef.Name, from.SecretRef.Optional)
			if err != nil {
				return nil, err
			}
			for _, key := range sortedKeys(data) {
				set(from.Prefix+key, data[key])
			}
		}
	}
	for _, e := range spec.Env {
		if e.ValueFrom == nil {
			set(e.Name, expandVars(e.Value, vals))
			continue
		}
		v, ok, err := w.envValueFrom(ctx, spec, e.ValueFrom)
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", e.Name, err)
		}
		if ok {
			set(e.Name, v)
		}
	}
	env := make([]string, 0, len(order))
	for _, name := range order {
		env = append(env, name+"="+vals[name])
	}
	return env, nil
}

func (w *podWorker) envValueFrom(ctx context.Context, spec *corev1.Container, from *corev1.EnvVarSource) (string, bool, error) {
	switch {
	case from.FieldRef != nil:
		v, err := w.fieldValue(from.FieldRef.FieldPath)
		return v, err == nil, err
	case from.ResourceFieldRef != nil:
		return resourceFieldValue(spec, from.ResourceFieldRef), true, nil
	case from.ConfigMapKeyRef != nil:
		data, err := w.configMapData(ctx, from.ConfigMapKeyRef.Name, from.ConfigMapKeyRef.Optional)
		if err != nil {
			return "", false, err
		}
		v, ok := data[from.ConfigMapKeyRef.Key]
		if !ok && (from.ConfigMapKeyRef.Optional == nil || !*from.ConfigMapKeyRef.Optional) {
			return "", false, fmt.Errorf("couldn't find key %s in ConfigMap %s/%s", from.ConfigMapKeyRef.Key, w.pod.Namespace, from.ConfigMapKeyRef.Name)
		}
		return v, ok, nil
	case from.SecretKeyRef != nil:
		data, err := w.secretData(ctx, from.SecretKeyRef.Name, from.SecretKeyRef.Optional)
		if err != nil {
			return "", false, err
		}
		v, ok := data[from.SecretKeyRef.Key]
		if !ok && (from.SecretKeyRef.Optional == nil || !*from.SecretKeyRef.Optional) {
			return "", false, fmt.Errorf("couldn't find key %s in Secret %s/%s", from.SecretKeyRef.Key, w.pod.Namespace, from.SecretKeyRef.Name)
		}
		return v, ok, nil
	}
	return "", false, nil
}

// fieldValue is the downward API (fieldpath.ExtractFieldPathAsString plus the
// status fields the kubelet fills in itself).
func (w *podWorker) fieldValue(path string) (string, error) {
	pod := w.pod
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.podIP":
		if len(w.podIPs) > 0 {
			return w.podIPs[0], nil
		}
		return "", nil
	case "status.podIPs":
		return strings.Join(w.podIPs, ","), nil
	case "status.hostIP":
		if len(w.hostIPs) > 0 {
			return w.hostIPs[0], nil
		}
		return "", nil
	case "status.hostIPs":
		return strings.Join(w.hostIPs, ","), nil
	}
	for prefix, m := range map[string]map[string]string{"metadata.labels": pod.Labels, "metadata.annotations": pod.Annotations} {
		if path == prefix {
			var lines []string
			for _, key := range sortedKeys(m) {
				lines = append(lines, key+"="+strconv.Quote(m[key]))
			}
			return strings.Join(lines, "\n"), nil
		}
		if rest, ok := strings.CutPrefix(path, prefix+"['"); ok && strings.HasSuffix(rest, "']") {
			return m[strings.TrimSuffix(rest, "']")], nil
		}
	}
	return "", fmt.Errorf("unsupported fieldPath %q", path)
}

// resourceFieldValue is the downward API's resourceFieldRef for what the
// container declares (upstream falls back to node allocatable when a limit is
// unset; the process runtime reports nothing then).
func resourceFieldValue(spec *corev1.Container, ref *corev1.ResourceFieldSelector) string {
	list := spec.Resources.Limits
	name, isRequest := strings.CutPrefix(ref.Resource, "requests.")
	if isRequest {
		list = spec.Resources.Requests
	} else {
		name = strings.TrimPrefix(name, "limits.")
	}
	q, ok := list[corev1.ResourceName(name)]
	if !ok {
		return ""
	}
	divisor := ref.Divisor
	if divisor.IsZero() {
		if name == string(corev1.ResourceCPU) {
			return strconv.FormatInt((q.MilliValue()+999)/1000, 10)
		}
		return strconv.FormatInt(q.Value(), 10)
	}
	return strconv.FormatInt((q.MilliValue()+divisor.MilliValue()-1)/divisor.MilliValue(), 10)
}

func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// expandVars is the kubelet's $(VAR) expansion (third_party/forked/golang/
// expansion): $(NAME) of a defined variable is replaced, $$ is an escaped $,
// anything else is kept as written.
func expandVars(in string, vars map[string]string) string {
	if !strings.Contains(in, "$") {
		return in
	}
	var b strings.Builder
	for i := 0; i < len(in); i++ {
		if in[i] != '$' || i+1 >= len(in) {
			b.WriteByte(in[i])
			continue
		}
		switch in[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(in[i+2:], ')')
			if end < 0 {
				b.WriteByte('$')
				continue
			}
			name := in[i+2 : i+2+end]
			if v, ok := vars[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(in[i : i+3+end])
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}
