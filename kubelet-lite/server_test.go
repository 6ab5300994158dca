package kubeletlite

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
)

func TestRequestAttributes(t *testing.T) {
	u := &user.DefaultInfo{Name: "alice"}
	for _, tc := range []struct {
		method, path string
		verb         string
		subresources []string
	}{
		{"GET", "/healthz", "get", []string{"healthz", "proxy"}},
		{"GET", "/healthz/ping", "get", []string{"healthz", "proxy"}},
		{"GET", "/healthzfoo", "get", []string{"proxy"}},
		{"GET", "/pods", "get", []string{"pods", "proxy"}},
		{"GET", "/pods/", "get", []string{"pods", "proxy"}},
		{"GET", "/runningpods/", "get", []string{"pods", "proxy"}},
		{"GET", "/allocatedPods", "get", []string{"pods", "proxy"}},
		{"GET", "/configz", "get", []string{"configz", "proxy"}},
		{"GET", "/flagz", "get", []string{"configz"}},
		{"GET", "/stats/summary", "get", []string{"stats"}},
		{"GET", "/metrics", "get", []string{"metrics"}},
		{"GET", "/metrics/cadvisor", "get", []string{"metrics"}},
		{"GET", "/logs/syslog", "get", []string{"log"}},
		{"POST", "/checkpoint/ns/p/c", "create", []string{"checkpoint"}},
		{"GET", "/statusz", "get", []string{"statusz"}},
		{"GET", "/containerLogs/default/p/c", "get", []string{"proxy"}},
		{"POST", "/exec/default/p/c", "create", []string{"proxy"}},
		{"GET", "/exec/default/p/c", "get", []string{"proxy"}},
		{"PUT", "/x", "update", []string{"proxy"}},
		{"PATCH", "/x", "patch", []string{"proxy"}},
		{"DELETE", "/x", "delete", []string{"proxy"}},
		{"HEAD", "/x", "", []string{"proxy"}},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.path, nil)
			attrs := requestAttributes(u, r, "node-a")
			var subs []string
			for _, a := range attrs {
				subs = append(subs, a.GetSubresource())
				if a.GetVerb() != tc.verb || a.GetResource() != "nodes" || a.GetName() != "node-a" || a.GetAPIVersion() != "v1" ||
					a.GetAPIGroup() != "" || a.GetNamespace() != "" || !a.IsResourceRequest() || a.GetPath() != tc.path || a.GetUser() != u {
					t.Errorf("attributes %+v", a)
				}
			}
			if strings.Join(subs, ",") != strings.Join(tc.subresources, ",") {
				t.Errorf("subresources %v, want %v", subs, tc.subresources)
			}
		})
	}
}

func TestDecodeAndValidateLogOptions(t *testing.T) {
	since := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	for _, tc := range []struct {
		query     string
		want      corev1.PodLogOptions
		decodeErr bool
		invalid   bool
	}{
		{query: "", want: corev1.PodLogOptions{}},
		{query: "follow=true&previous=1&timestamps=true&tailLines=5&limitBytes=10&sinceSeconds=3",
			want: corev1.PodLogOptions{Follow: true, Previous: true, Timestamps: true, TailLines: ptr.To[int64](5), LimitBytes: ptr.To[int64](10), SinceSeconds: ptr.To[int64](3)}},
		{query: "tail=7", want: corev1.PodLogOptions{TailLines: ptr.To[int64](7)}},
		{query: "tail=all&tailLines=3", want: corev1.PodLogOptions{}},
		{query: "sinceTime=2026-01-02T03:04:05Z", want: corev1.PodLogOptions{SinceTime: &since}},
		{query: "follow=maybe", decodeErr: true},
		{query: "tailLines=x", decodeErr: true},
		{query: "sinceTime=yesterday", decodeErr: true},
		{query: "tailLines=-1", invalid: true},
		{query: "limitBytes=0", invalid: true},
		{query: "sinceSeconds=0", invalid: true},
		{query: "sinceSeconds=5&sinceTime=2026-01-02T03:04:05Z", invalid: true},
		{query: "stream=Stdout", invalid: true},
	} {
		t.Run(tc.query, func(t *testing.T) {
			q, _ := url.ParseQuery(tc.query)
			got, err := decodeLogOptions(q)
			if (err != nil) != tc.decodeErr {
				t.Fatalf("decode error %v, want error %v", err, tc.decodeErr)
			}
			if tc.decodeErr {
				return
			}
			err = validateLogOptions(got)
			if (err != nil) != tc.invalid {
				t.Fatalf("validation error %v, want error %v", err, tc.invalid)
			}
			if tc.invalid {
				return
			}
			gotJSON, _ := json.Marshal(got)
			wantJSON, _ := json.Marshal(&tc.want)
			if string(gotJSON) != string(wantJSON) {
				t.Errorf("options %s, want %s", gotJSON, wantJSON)
			}
		})
	}
}

func TestLogInstanceArithmetic(t *testing.T) {
	in := &logInstance{containerID: "c1", startedAt: testStart, static: []string{"a", "b"}, interval: time.Second}
	if got := in.count(testStart.Add(-time.Second)); got != 0 {
		t.Errorf("count before start = %d", got)
	}
	if got := in.count(testStart.Add(3500 * time.Millisecond)); got != 5 {
		t.Errorf("count after 3.5s = %d, want 5", got)
	}
	if at, text := in.line(4); text != "tick 3" || !at.Equal(testStart.Add(3*time.Second)) {
		t.Errorf("line 4 = %v %q", at, text)
	}
	for since, want := range map[time.Duration]int64{-time.Second: 0, 0: 0, time.Millisecond: 2, time.Second: 2, 1001 * time.Millisecond: 3, 3 * time.Second: 4} {
		if got := in.firstAtOrAfter(testStart.Add(since)); got != want {
			t.Errorf("firstAtOrAfter(+%v) = %d, want %d", since, got, want)
		}
	}
	in.finishedAt = testStart.Add(2 * time.Second)
	if got := in.count(testStart.Add(time.Hour)); got != 4 {
		t.Errorf("count after finish = %d, want 4", got)
	}
}

// apiHarness runs a kubelet with a pod logging "hello\nworld" and a tick every
// second, and serves its API handler in-process with the fake clientset
// answering TokenReviews and SubjectAccessReviews.
type apiHarness struct {
	*harness
	handler   http.Handler
	clientCrt *x509.Certificate
	sars      atomic.Int64
	allowAll  atomic.Bool
}

// allow is the test's policy: cert-user may use nodes/proxy, token-user may
// read stats, nothing else (unless allowAll).
func (a *apiHarness) allow(sar *authorizationv1.SubjectAccessReview) bool {
	ra := sar.Spec.ResourceAttributes
	switch {
	case ra == nil || ra.Resource != "nodes" || ra.Name != testNode:
		return false
	case a.allowAll.Load():
		return true
	case sar.Spec.User == "cert-user" && ra.Subresource == "proxy":
		return true
	case sar.Spec.User == "token-user" && ra.Subresource == "stats":
		return true
	}
	return false
}

func newAPIHarness(t *testing.T, podAnnotations map[string]string, mutate ...func(*Config)) *apiHarness {
	caCert, caKey := testCA(t)
	pool := dynamiccertificates.NewStaticCAContent
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caCert.Raw})
	caContent, err := pool("test-ca", caPEM)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(c *Config) {
		c.ClientCA = caContent
		for _, m := range mutate {
			m(c)
		}
	})
	ah := &apiHarness{harness: h, clientCrt: testClientCert(t, caCert, caKey, "cert-user", "cert-group")}
	reviews := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/apis/authentication.k8s.io/v1/tokenreviews":
			var tr authenticationv1.TokenReview
			_ = json.NewDecoder(r.Body).Decode(&tr)
			if tr.Spec.Token == "good-token" {
				tr.Status = authenticationv1.TokenReviewStatus{Authenticated: true, User: authenticationv1.UserInfo{Username: "token-user", Groups: []string{"g"}}}
			}
			_ = json.NewEncoder(w).Encode(&tr)
		case "/apis/authorization.k8s.io/v1/subjectaccessreviews":
			ah.sars.Add(1)
			var sar authorizationv1.SubjectAccessReview
			_ = json.NewDecoder(r.Body).Decode(&sar)
			sar.Status.Allowed = ah.allow(&sar)
			_ = json.NewEncoder(w).Encode(&sar)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(reviews.Close)
	reviewClient, err := kubernetes.NewForConfig(&rest.Config{Host: reviews.URL})
	if err != nil {
		t.Fatal(err)
	}
	s := newAPIServer(h.k)
	s.auth = sync.OnceValues(func() (*apiAuth, error) { return h.k.buildAPIAuthWith(reviewClient) })
	ah.handler = s.Handler()
	h.start()
	if podAnnotations != nil {
		h.createPod(newPod("p", podAnnotations))
		h.settle()
	}
	return ah
}

// do sends a request as the client certificate's user (cert=true), with a
// bearer token, or anonymously.
func (a *apiHarness) do(ctx context.Context, method, target string, cert bool, token string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil).WithContext(withKubelet(ctx, a.k))
	r.TLS = &tls.ConnectionState{}
	if cert {
		r.TLS.PeerCertificates = []*x509.Certificate{a.clientCrt}
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	a.handler.ServeHTTP(w, r)
	return w
}

func TestAPIAuthentication(t *testing.T) {
	a := newAPIHarness(t, nil)
	ctx := a.ctx
	for _, tc := range []struct {
		name    string
		method  string
		path    string
		cert    bool
		token   string
		code    int
		body    string
		bodySub bool
	}{
		{name: "anonymous", method: "GET", path: "/healthz", code: 401, body: "Unauthorized"},
		{name: "bad token", method: "GET", path: "/healthz", token: "bad-token", code: 401, body: "Unauthorized"},
		{name: "cert allowed through proxy", method: "GET", path: "/healthz", cert: true, code: 200, body: "ok"},
		{name: "token forbidden", method: "GET", path: "/healthz", token: "good-token", code: 403,
			body: "Forbidden (user=token-user, verb=get, resource=nodes, subresource(s)=[healthz proxy])\n"},
		{name: "token allowed stats", method: "GET", path: "/stats/summary", token: "good-token", code: 200, body: `"nodeName":"node-a"`, bodySub: true},
		{name: "cert forbidden stats", method: "GET", path: "/stats/summary", cert: true, code: 403,
			body: "Forbidden (user=cert-user, verb=get, resource=nodes, subresource(s)=[stats])\n"},
		{name: "exec is nodes/proxy", method: "POST", path: "/exec/default/nope/c?output=1", cert: true, code: 404, body: "pod does not exist", bodySub: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := a.do(ctx, tc.method, tc.path, tc.cert, tc.token)
			if w.Code != tc.code {
				t.Errorf("status %d, want %d (body %q)", w.Code, tc.code, w.Body.String())
			}
			if tc.bodySub && !strings.Contains(w.Body.String(), tc.body) || !tc.bodySub && w.Body.String() != tc.body {
				t.Errorf("body %q, want %q", w.Body.String(), tc.body)
			}
		})
	}
	// Decisions are cached as the kubelet caches them: asking again costs no review.
	before := a.sars.Load()
	if w := a.do(ctx, "GET", "/healthz", true, ""); w.Code != 200 {
		t.Fatalf("second request: %d", w.Code)
	}
	if got := a.sars.Load(); got != before {
		t.Errorf("a cached decision sent %d more SubjectAccessReviews", got-before)
	}
}

func TestContainerLogs(t *testing.T) {
	a := newAPIHarness(t, map[string]string{AnnotationLog: "hello\nworld", AnnotationLogInterval: "1s"})
	a.step(5 * time.Second)
	get := func(query string) (int, string) {
		t.Helper()
		w := a.do(a.ctx, "GET", "/containerLogs/default/p/app"+query, true, "")
		return w.Code, w.Body.String()
	}
	ts := func(d time.Duration) string { return testStart.Add(d).UTC().Format(timestampFormat) + " " }
	for _, tc := range []struct {
		query string
		code  int
		want  string
	}{
		{"", 200, "hello\nworld\ntick 1\ntick 2\ntick 3\ntick 4\ntick 5\n"},
		{"?tailLines=2", 200, "tick 4\ntick 5\n"},
		{"?tail=all", 200, "hello\nworld\ntick 1\ntick 2\ntick 3\ntick 4\ntick 5\n"},
		{"?tailLines=0", 200, ""},
		{"?sinceSeconds=2", 200, "tick 3\ntick 4\ntick 5\n"},
		{"?sinceTime=" + url.QueryEscape(testStart.Add(4*time.Second).Format(time.RFC3339)), 200, "tick 4\ntick 5\n"},
		{"?tailLines=6&sinceSeconds=3", 200, "tick 2\ntick 3\ntick 4\ntick 5\n"},
		{"?limitBytes=8", 200, "hello\nwo"},
		{"?timestamps=true&tailLines=1", 200, ts(5*time.Second) + "tick 5\n"},
		{"?timestamps=true&limitBytes=3", 200, ts(0)[:3]},
		{"?previous=true", 400, `previous terminated container "app" in pod "p" not found`},
		{"?tailLines=-1", 422, `{"message": "Invalid request."}`},
		{"?follow=nope", 400, `{"message": "Unable to decode query."}`},
	} {
		t.Run(tc.query, func(t *testing.T) {
			code, body := get(tc.query)
			if code != tc.code || body != tc.want {
				t.Errorf("got %d %q, want %d %q", code, body, tc.code, tc.want)
			}
		})
	}
	if w := a.do(a.ctx, "GET", "/containerLogs/default/p/other", true, ""); w.Code != 404 || w.Body.String() != `container "other" not found in pod "p"` {
		t.Errorf("unknown container: %d %q", w.Code, w.Body.String())
	}
	if w := a.do(a.ctx, "GET", "/containerLogs/default/nope/app", true, ""); w.Code != 404 || w.Body.String() != `pod "nope" does not exist` {
		t.Errorf("unknown pod: %d %q", w.Code, w.Body.String())
	}
}

func TestContainerLogsFollowAndPrevious(t *testing.T) {
	// The container exits 0 after 3 s and restarts (restartPolicy Always).
	a := newAPIHarness(t, map[string]string{AnnotationLog: "start", AnnotationLogInterval: "1s", AnnotationRunDuration: "3s"})
	a.step(1500 * time.Millisecond)
	pr, pw := io.Pipe()
	done := make(chan int)
	go func() {
		// A real connection streams; the recorder only exposes the result, so
		// pipe the handler's writes.
		r := httptest.NewRequest("GET", "/containerLogs/default/p/app?follow=true", nil).WithContext(withKubelet(a.ctx, a.k))
		r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{a.clientCrt}}
		w := &pipeRecorder{ResponseRecorder: httptest.NewRecorder(), pw: pw}
		a.handler.ServeHTTP(w, r)
		pw.Close()
		done <- w.Code
	}()
	readLine := func() string {
		t.Helper()
		var b []byte
		one := make([]byte, 1)
		for {
			if _, err := pr.Read(one); err != nil {
				t.Fatalf("reading follow stream: %v (so far %q)", err, b)
			}
			if one[0] == '\n' {
				return string(b)
			}
			b = append(b, one[0])
		}
	}
	for _, want := range []string{"start", "tick 1"} {
		if got := readLine(); got != want {
			t.Fatalf("follow line %q, want %q", got, want)
		}
	}
	// Written as the (fake) clock reaches each tick; the stream ends with the
	// container, tick 3 included (it is written at the instant of the exit).
	a.step(time.Second)
	if got := readLine(); got != "tick 2" {
		t.Fatalf("follow line %q, want tick 2", got)
	}
	a.step(time.Second)
	if got := readLine(); got != "tick 3" {
		t.Fatalf("follow line %q, want tick 3", got)
	}
	if rest, _ := io.ReadAll(pr); len(rest) != 0 {
		t.Errorf("after the exit the stream sent %q", rest)
	}
	if code := <-done; code != 200 {
		t.Errorf("follow status %d", code)
	}
	// The container restarted at 3 s: --previous is the first run's log.
	w := a.do(a.ctx, "GET", "/containerLogs/default/p/app?previous=true", true, "")
	if w.Code != 200 || w.Body.String() != "start\ntick 1\ntick 2\ntick 3\n" {
		t.Errorf("previous: %d %q", w.Code, w.Body.String())
	}
	w = a.do(a.ctx, "GET", "/containerLogs/default/p/app", true, "")
	if w.Code != 200 || w.Body.String() != "start\n" {
		t.Errorf("current after restart: %d %q", w.Code, w.Body.String())
	}
}

// pipeRecorder streams the body to a pipe and records the status.
type pipeRecorder struct {
	*httptest.ResponseRecorder
	pw *io.PipeWriter
}

func (p *pipeRecorder) Write(b []byte) (int, error) { return p.pw.Write(b) }

func (p *pipeRecorder) Flush() {}

func TestStreamingIsNotSupported(t *testing.T) {
	a := newAPIHarness(t, map[string]string{})
	for _, tc := range []struct {
		method, path string
		code         int
		msg          string
	}{
		{"POST", "/exec/default/p/app?command=ls&output=1", 501, `exec is not supported by the sim runtime: container "app" of pod default/p runs no process (node node-a)`},
		{"GET", "/exec/default/p/uid-p/app?command=ls&output=1", 501, `exec is not supported by the sim runtime`},
		{"POST", "/attach/default/p/app?output=1", 501, `attach is not supported by the sim runtime`},
		{"POST", "/portForward/default/p?port=80", 501, `portForward is not supported by the sim runtime: pod default/p runs no process`},
		{"POST", "/run/default/p/app?cmd=ls", 501, `run is not supported by the sim runtime`},
		{"POST", "/exec/default/p/app?command=ls", 400, "you must specify at least 1 of stdin, stdout, stderr"},
		{"POST", "/exec/default/p/other?output=1", 404, `container "other" not found in pod "p"`},
		{"POST", "/exec/default/p/wrong-uid/app?output=1", 404, "pod does not exist"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			w := a.do(a.ctx, tc.method, tc.path, true, "")
			var st metav1.Status
			if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil {
				t.Fatalf("body %q is not a Status: %v", w.Body.String(), err)
			}
			if w.Code != tc.code || int(st.Code) != tc.code || st.Kind != "Status" || !strings.Contains(st.Message, tc.msg) {
				t.Errorf("got %d %+v, want %d with %q", w.Code, st, tc.code, tc.msg)
			}
		})
	}
}

func TestPodsAndStats(t *testing.T) {
	a := newAPIHarness(t, map[string]string{})
	w := a.do(a.ctx, "GET", "/pods", true, "")
	var list corev1.PodList
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil || w.Code != 200 {
		t.Fatalf("/pods: %d %v %q", w.Code, err, w.Body.String())
	}
	if list.Kind != "PodList" || list.APIVersion != "v1" || len(list.Items) != 1 || list.Items[0].Name != "p" {
		t.Errorf("/pods = %+v", list)
	}
	a.allowAll.Store(true)
	// New subresource: not in the cache yet, so the new reactor answers.
	w = a.do(a.ctx, "GET", "/stats/summary", true, "")
	var sum statsSummary
	if err := json.Unmarshal(w.Body.Bytes(), &sum); err != nil || w.Code != 200 {
		t.Fatalf("/stats/summary: %d %v %q", w.Code, err, w.Body.String())
	}
	if sum.Node.NodeName != testNode || len(sum.Pods) != 1 || len(sum.Pods[0].Containers) != 1 || !sum.Pods[0].Containers[0].StartTime.Time.Equal(testStart) {
		t.Errorf("summary %+v", sum)
	}
}

func testCA(t testing.TB) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

func testClientCert(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, cn, org string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: cn, Organization: []string{org}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// BenchmarkKubeletAPIIdleCost reports what serving the kubelet API adds per kubelet
// while nobody calls it (the state of 1,000 simulated nodes): the live heap and
// goroutines of 1,000 kubelets whose API is started (own listener and serving
// certificate), minus those of 1,000 kubelets without it.
func BenchmarkKubeletAPIIdleCost(b *testing.B) {
	const kubelets = 1000
	caCert, caKey := testCA(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	measure := func(withAPI bool) (heap uint64, goroutines int) {
		var keep []*Kubelet
		var stops []func()
		defer func() {
			for _, stop := range stops {
				stop()
			}
		}()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		g := runtime.NumGoroutine()
		for i := range kubelets {
			cfg := NewConfig(fmt.Sprintf("n%d", i), fake.NewClientset())
			if withAPI {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				cfg.ServingCertificate, cfg.KubeletListener = testServingCert(b, caCert, caKey), ln
			}
			k, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			stop, err := k.serveAPI(ctx)
			if err != nil {
				b.Fatal(err)
			}
			keep, stops = append(keep, k), append(stops, stop)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(keep)
		return after.HeapAlloc - before.HeapAlloc, runtime.NumGoroutine() - g
	}
	for b.Loop() {
		baseHeap, baseG := measure(false)
		apiHeap, apiG := measure(true)
		b.ReportMetric((float64(apiHeap)-float64(baseHeap))/kubelets/1024, "KiB-heap/kubelet")
		b.ReportMetric(float64(apiG-baseG)/kubelets, "goroutines/kubelet")
	}
}

func testServingCert(t testing.TB, ca *x509.Certificate, caKey *ecdsa.PrivateKey) *tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "node"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
