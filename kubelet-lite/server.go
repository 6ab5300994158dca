package kubeletlite

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"maps"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

// The kubelet API (pkg/kubelet/server): HTTPS on the node IP and --port, with
// the node's serving certificate, every request authenticated and authorized
// (see server_auth.go). It serves what a simulated node can answer truthfully:
// health, the pods bound to the node, container logs, a stats summary and
// configz. exec, attach, portForward and run need processes, which simulated
// containers do not have: they fail with a clear "not supported by the sim
// runtime" error, as a Status the clients print.
//
// Per kubelet this costs one listener, one accept goroutine and, on the first
// request only, the authenticator and authorizer with their caches; nothing
// runs per pod or per container.

// apiServer is the kubelet API state of one Kubelet. The handler is shared by
// every kubelet of the process (a mux and its closures cost about 9 KiB, times
// 1,000 kubelets); a request finds its kubelet in its context.
type apiServer struct {
	k    *Kubelet
	auth func() (*apiAuth, error)
}

// newAPIServer gives k its API state; the authenticator and authorizer are
// built on the first request.
func newAPIServer(k *Kubelet) *apiServer {
	s := &apiServer{k: k}
	s.auth = sync.OnceValues(k.buildAPIAuth)
	k.api = s
	return s
}

type kubeletKey struct{}

// withKubelet puts the kubelet a request is for into its context.
func withKubelet(ctx context.Context, k *Kubelet) context.Context {
	return context.WithValue(ctx, kubeletKey{}, k)
}

func apiServerFrom(ctx context.Context) *apiServer {
	if k, ok := ctx.Value(kubeletKey{}).(*Kubelet); ok {
		return k.api
	}
	return nil
}

// sharedAPIHandler is the kubelet API of every kubelet, with its authentication
// and authorization filter.
var sharedAPIHandler = sync.OnceValue(func() http.Handler {
	mux := http.NewServeMux()
	on := func(pattern string, h func(*apiServer, http.ResponseWriter, *http.Request)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			h(apiServerFrom(r.Context()), w, r)
		})
	}
	on("GET /healthz", (*apiServer).healthz)
	on("GET /healthz/{check}", (*apiServer).healthz)
	on("GET /pods", (*apiServer).pods)
	on("GET /pods/", (*apiServer).pods)
	on("GET /containerLogs/{namespace}/{pod}/{container}", (*apiServer).containerLogs)
	// Streaming endpoints run in the process runtime (streaming.go); the
	// sim runtime answers them with unsupported.
	for op, h := range map[string]func(*apiServer, http.ResponseWriter, *http.Request){"exec": (*apiServer).exec, "attach": (*apiServer).attach} {
		on("/"+op+"/{namespace}/{pod}/{container}", h)
		on("/"+op+"/{namespace}/{pod}/{uid}/{container}", h)
	}
	on("/portForward/{namespace}/{pod}", (*apiServer).portForward)
	on("/portForward/{namespace}/{pod}/{uid}", (*apiServer).portForward)
	on("POST /run/{namespace}/{pod}/{container}", (*apiServer).run)
	on("POST /run/{namespace}/{pod}/{uid}/{container}", (*apiServer).run)
	on("GET /stats/summary", (*apiServer).statsSummary)
	on("GET /configz", (*apiServer).configz)
	return authFilter(mux)
})

// Handler returns the kubelet API; requests must carry the kubelet in their
// context (withKubelet).
func (s *apiServer) Handler() http.Handler { return sharedAPIHandler() }

// serveAPI starts serving the kubelet API when a serving certificate is
// configured. The returned stop closes the listener and every connection
// (followers of logs end with it).
func (k *Kubelet) serveAPI(ctx context.Context) (stop func(), err error) {
	if k.cfg.ServingCertificate == nil {
		return func() {}, nil
	}
	logger := klog.FromContext(ctx)
	ln := k.cfg.KubeletListener
	if ln == nil {
		addr := net.JoinHostPort(k.apiIP().String(), strconv.Itoa(int(k.cfg.KubeletPort)))
		if ln, err = net.Listen("tcp", addr); err != nil {
			return nil, fmt.Errorf("--port: listening on %s for the kubelet API: %w", addr, err)
		}
	}
	srv := &http.Server{
		Handler: newAPIServer(k).Handler(),
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{*k.cfg.ServingCertificate},
			// Certificates are verified by the x509 authenticator against the
			// client CA, as the kubelet does, so a request without one can still
			// authenticate with a token.
			ClientAuth: tls.RequestClientCert,
			MinVersion: tls.VersionTLS12,
			NextProtos: []string{"http/1.1"},
		},
		// HTTP/1.1 only: upgrades (exec, port-forward) need it, and an HTTP/2
		// server connection costs goroutines and buffers per client, times
		// 1,000 kubelets.
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ReadHeaderTimeout: 30 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return withKubelet(ctx, k) },
		// TLS handshake failures (a client trusting another CA) are the
		// client's problem; log them at V(4) rather than on stderr.
		ErrorLog: log.New(klogWriter{logger}, "", 0),
	}
	logger.Info("Starting the kubelet API", "address", ln.Addr().String())
	go func() {
		if err := srv.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error(err, "Kubelet API server stopped")
		}
	}()
	return func() { _ = srv.Close() }, nil
}

// apiIP is where the API listens: the node IP, else the address the Node
// reports (the hostname if it is an IP), else 127.0.0.1.
func (k *Kubelet) apiIP() net.IP {
	if ip := k.cfg.NodeIP; ip != nil {
		return ip
	}
	if ip := net.ParseIP(k.hostname); ip != nil {
		return ip
	}
	return net.IPv4(127, 0, 0, 1)
}

type klogWriter struct{ logger klog.Logger }

func (w klogWriter) Write(p []byte) (int, error) {
	w.logger.V(4).Info("Kubelet API server", "msg", string(p))
	return len(p), nil
}

func (s *apiServer) healthz(w http.ResponseWriter, _ *http.Request) {
	writeText(w, http.StatusOK, "ok")
}

// apiPod returns the pod namespace/name as the kubelet knows it (its informer
// cache), or nil.
func (k *Kubelet) apiPod(namespace, name string) *corev1.Pod {
	idx, _ := k.apiPods.Load().(cache.Indexer)
	if idx == nil {
		return nil
	}
	obj, ok, err := idx.GetByKey(namespace + "/" + name)
	if err != nil || !ok {
		return nil
	}
	pod, _ := obj.(*corev1.Pod)
	return pod
}

func (k *Kubelet) apiPodList() []*corev1.Pod {
	idx, _ := k.apiPods.Load().(cache.Indexer)
	if idx == nil {
		return nil
	}
	var pods []*corev1.Pod
	for _, obj := range idx.List() {
		if pod, ok := obj.(*corev1.Pod); ok {
			pods = append(pods, pod)
		}
	}
	return pods
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		writeText(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(data)
}

func (s *apiServer) pods(w http.ResponseWriter, _ *http.Request) {
	list := corev1.PodList{TypeMeta: metav1.TypeMeta{Kind: "PodList", APIVersion: "v1"}}
	for _, pod := range s.k.apiPodList() {
		list.Items = append(list.Items, *pod)
	}
	writeJSON(w, http.StatusOK, &list)
}

// containerLogs is upstream's getContainerLogs: 404 for an unknown pod or
// container, 400 for options it cannot decode, 422 for invalid ones, 400 for
// a container without the requested log, else the log as text, flushed as it
// is written.
func (s *apiServer) containerLogs(w http.ResponseWriter, r *http.Request) {
	ns, name, container := r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container")
	opts, err := decodeLogOptions(r.URL.Query())
	if err != nil {
		writeText(w, http.StatusBadRequest, `{"message": "Unable to decode query."}`)
		return
	}
	if err := validateLogOptions(opts); err != nil {
		writeText(w, http.StatusUnprocessableEntity, `{"message": "Invalid request."}`)
		return
	}
	pod := s.k.apiPod(ns, name)
	if pod == nil {
		writeText(w, http.StatusNotFound, fmt.Sprintf("pod %q does not exist", name))
		return
	}
	if !hasContainer(pod, container) {
		writeText(w, http.StatusNotFound, fmt.Sprintf("container %q not found in pod %q", container, name))
		return
	}
	req := logRequest{podKey: ns + "/" + name, container: container, opts: *opts}
	// The first write decides the status: an error before any byte is a 400
	// with the message, as upstream's handler answers.
	lw := &lazyWriter{w: w}
	flusher, _ := w.(http.Flusher)
	flush := func() {
		if lw.started && flusher != nil {
			flusher.Flush()
		}
	}
	err = s.k.logs.writeLogs(r.Context(), s.k.clock, func(d time.Duration) clock.Timer { return s.k.clock.NewTimer(d) }, req, lw, flush)
	if err != nil && !lw.started {
		writeText(w, http.StatusBadRequest, err.Error())
		return
	}
	if !lw.started {
		// An empty log is still a 200.
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusOK)
	}
}

// lazyWriter sends the 200 header with the first byte.
type lazyWriter struct {
	w       http.ResponseWriter
	started bool
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.w.Header().Set("Content-Type", "text/plain")
		l.w.WriteHeader(http.StatusOK)
	}
	return l.w.Write(p)
}

func hasContainer(pod *corev1.Pod, name string) bool {
	for _, list := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range list {
			if list[i].Name == name {
				return true
			}
		}
	}
	for i := range pod.Spec.EphemeralContainers {
		if pod.Spec.EphemeralContainers[i].Name == name {
			return true
		}
	}
	return false
}

// decodeLogOptions decodes PodLogOptions from a query as the kubelet does,
// including the legacy "tail" parameter ("all" means no tail).
func decodeLogOptions(q url.Values) (*corev1.PodLogOptions, error) {
	opts := &corev1.PodLogOptions{}
	boolParam := func(key string, dst *bool) error {
		if v := q.Get(key); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			*dst = b
		}
		return nil
	}
	intParam := func(key string) (*int64, error) {
		v := q.Get(key)
		if v == "" {
			return nil, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		return &n, nil
	}
	if tail := q.Get("tail"); tail != "" {
		q = maps.Clone(q)
		if tail == "all" {
			q.Del("tailLines")
		} else {
			q.Set("tailLines", tail)
		}
	}
	var errs []error
	errs = append(errs, boolParam("follow", &opts.Follow), boolParam("previous", &opts.Previous),
		boolParam("timestamps", &opts.Timestamps), boolParam("insecureSkipTLSVerifyBackend", &opts.InsecureSkipTLSVerifyBackend))
	var err error
	if opts.SinceSeconds, err = intParam("sinceSeconds"); err != nil {
		errs = append(errs, err)
	}
	if opts.TailLines, err = intParam("tailLines"); err != nil {
		errs = append(errs, err)
	}
	if opts.LimitBytes, err = intParam("limitBytes"); err != nil {
		errs = append(errs, err)
	}
	if v := q.Get("sinceTime"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			errs = append(errs, fmt.Errorf("sinceTime: %w", err))
		} else {
			mt := metav1.NewTime(t)
			opts.SinceTime = &mt
		}
	}
	if v := q.Get("stream"); v != "" {
		stream := v
		opts.Stream = &stream
	}
	opts.Container = q.Get("container")
	return opts, errors.Join(errs...)
}

// validateLogOptions is ValidatePodLogOptions: non-negative tailLines,
// positive limitBytes and sinceSeconds, not both since options, and no stream
// other than All (PodLogsQuerySplitStreams is off).
func validateLogOptions(o *corev1.PodLogOptions) error {
	switch {
	case o.TailLines != nil && *o.TailLines < 0:
		return errors.New("tailLines must be greater than or equal to 0")
	case o.LimitBytes != nil && *o.LimitBytes < 1:
		return errors.New("limitBytes must be greater than 0")
	case o.SinceSeconds != nil && o.SinceTime != nil:
		return errors.New("at most one of sinceTime or sinceSeconds may be specified")
	case o.SinceSeconds != nil && *o.SinceSeconds < 1:
		return errors.New("sinceSeconds must be greater than 0")
	case o.Stream != nil && *o.Stream != corev1.LogStreamAll:
		return fmt.Errorf("unable to return the given log stream: %q", *o.Stream)
	}
	return nil
}

// unsupported answers exec, attach, portForward and run. The checks before
// the refusal are upstream's (pod, pod UID, container, streams), so a wrong
// request gets the same error it would get from a real kubelet; a valid one
// gets 501 with a Status whose message clients show ("kubectl exec" prints it
// after "unable to upgrade connection:"). The refusal is a plain response,
// never a 101, so an upgrade fails cleanly and the connection stays usable.
func (s *apiServer) unsupported(op string, w http.ResponseWriter, r *http.Request) {
	ns, name, container, uid := r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container"), r.PathValue("uid")
	pod := s.k.apiPod(ns, name)
	if pod == nil || (uid != "" && types.UID(uid) != pod.UID) {
		writeStatus(w, http.StatusNotFound, metav1.StatusReasonNotFound, "pod does not exist")
		return
	}
	if op != "portForward" && !hasContainer(pod, container) {
		writeStatus(w, http.StatusNotFound, metav1.StatusReasonNotFound, fmt.Sprintf("container %q not found in pod %q", container, name))
		return
	}
	if op == "exec" || op == "attach" {
		q := r.URL.Query()
		if q.Get(corev1.ExecStdinParam) == "" && q.Get(corev1.ExecStdoutParam) == "" && q.Get(corev1.ExecStderrParam) == "" {
			writeStatus(w, http.StatusBadRequest, metav1.StatusReasonBadRequest, "you must specify at least 1 of stdin, stdout, stderr")
			return
		}
	}
	target := fmt.Sprintf("container %q of pod %s/%s", container, ns, name)
	if op == "portForward" {
		target = fmt.Sprintf("pod %s/%s", ns, name)
	}
	writeStatus(w, http.StatusNotImplemented, "NotImplemented",
		fmt.Sprintf("%s is not supported by the sim runtime: %s runs no process (node %s)", op, target, s.k.nodeName))
}

func writeStatus(w http.ResponseWriter, code int, reason metav1.StatusReason, msg string) {
	writeJSON(w, code, &metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure,
		Message:  msg,
		Reason:   reason,
		Code:     int32(code),
	})
}

// Stats summary (k8s.io/kubelet/pkg/apis/stats/v1alpha1.Summary) with what a
// simulated node knows: start times, no usage. Declared here rather than
// importing k8s.io/kubelet for two structs.
type statsSummary struct {
	Node statsNode  `json:"node"`
	Pods []statsPod `json:"pods"`
}

type statsNode struct {
	NodeName  string      `json:"nodeName"`
	StartTime metav1.Time `json:"startTime"`
}

type statsPod struct {
	PodRef     statsPodRef      `json:"podRef"`
	StartTime  metav1.Time      `json:"startTime"`
	Containers []statsContainer `json:"containers"`
}

type statsPodRef struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	UID       string `json:"uid"`
}

type statsContainer struct {
	Name      string      `json:"name"`
	StartTime metav1.Time `json:"startTime"`
}

func (s *apiServer) statsSummary(w http.ResponseWriter, _ *http.Request) {
	sum := statsSummary{Node: statsNode{NodeName: s.k.nodeName, StartTime: metav1.NewTime(s.k.startedAt)}, Pods: []statsPod{}}
	for _, pod := range s.k.apiPodList() {
		p := statsPod{PodRef: statsPodRef{Name: pod.Name, Namespace: pod.Namespace, UID: string(pod.UID)}, Containers: []statsContainer{}}
		if pod.Status.StartTime != nil {
			p.StartTime = *pod.Status.StartTime
		}
		for _, c := range pod.Spec.Containers {
			if in, _ := s.k.logs.instance(pod.Namespace+"/"+pod.Name, c.Name, false); in != nil && in.finishedAt.IsZero() {
				p.Containers = append(p.Containers, statsContainer{Name: c.Name, StartTime: metav1.NewTime(in.startedAt)})
			}
		}
		sum.Pods = append(sum.Pods, p)
	}
	writeJSON(w, http.StatusOK, &sum)
}

func (s *apiServer) configz(w http.ResponseWriter, _ *http.Request) {
	c := s.k.cfg
	writeJSON(w, http.StatusOK, map[string]any{"kubeletconfig": map[string]any{
		"kind":                      "KubeletConfiguration",
		"apiVersion":                "kubelet.config.k8s.io/v1beta1",
		"port":                      c.KubeletPort,
		"nodeStatusUpdateFrequency": c.NodeStatusUpdateFrequency.String(),
		"nodeStatusReportFrequency": c.NodeStatusReportFrequency.String(),
		"nodeLeaseDurationSeconds":  c.NodeLeaseDurationSeconds,
		"registerNode":              c.RegisterNode,
		"authentication": map[string]any{
			"anonymous": map[string]any{"enabled": false},
			"webhook":   map[string]any{"enabled": true, "cacheTTL": c.AuthenticationCacheTTL.String()},
		},
		"authorization": map[string]any{
			"mode": "Webhook",
			"webhook": map[string]any{
				"cacheAuthorizedTTL":   c.AuthorizationAuthorizedTTL.String(),
				"cacheUnauthorizedTTL": c.AuthorizationDeniedTTL.String(),
			},
		},
	}})
}
