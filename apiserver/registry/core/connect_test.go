package core

import (
	"context"
	"encoding/json"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/utils/ptr"

	"github.com/k1s-dev/k1s/apiserver/scheme"
)

// fakeGetter serves objects by name, ignoring the namespace.
type fakeGetter map[string]runtime.Object

func (f fakeGetter) Get(_ context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	if obj, ok := f[name]; ok {
		return obj, nil
	}
	return nil, apierrors.NewNotFound(corev1.Resource("objects"), name)
}

func TestQueryParametersDecodeIntoOptions(t *testing.T) {
	q := url.Values{
		"container": {"app"}, "follow": {"true"}, "previous": {"1"}, "timestamps": {"true"},
		"sinceSeconds": {"10"}, "tailLines": {"5"}, "limitBytes": {"100"},
		"insecureSkipTLSVerifyBackend": {"true"}, "sinceTime": {"2026-01-02T03:04:05Z"},
	}
	var logOpts corev1.PodLogOptions
	if err := scheme.ParameterCodec.DecodeParameters(q, corev1.SchemeGroupVersion, &logOpts); err != nil {
		t.Fatalf("decoding PodLogOptions: %v", err)
	}
	want := corev1.PodLogOptions{
		Container: "app", Follow: true, Previous: true, Timestamps: true, SinceSeconds: ptr.To[int64](10),
		TailLines: ptr.To[int64](5), LimitBytes: ptr.To[int64](100), InsecureSkipTLSVerifyBackend: true,
		SinceTime: ptr.To(metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))),
	}
	logOpts.TypeMeta = metav1.TypeMeta{}
	if logOpts.SinceTime == nil || !logOpts.SinceTime.Equal(want.SinceTime) {
		t.Errorf("sinceTime %v", logOpts.SinceTime)
	}
	logOpts.SinceTime, want.SinceTime = nil, nil
	if got, w := toJSON(t, logOpts), toJSON(t, want); got != w {
		t.Errorf("PodLogOptions %s, want %s", got, w)
	}

	var execOpts corev1.PodExecOptions
	if err := scheme.ParameterCodec.DecodeParameters(url.Values{"command": {"sh", "-c", "ls"}, "stdout": {"true"}, "tty": {"false"}, "container": {"c"}},
		corev1.SchemeGroupVersion, &execOpts); err != nil {
		t.Fatal(err)
	}
	if strings.Join(execOpts.Command, " ") != "sh -c ls" || !execOpts.Stdout || execOpts.TTY || execOpts.Stdin || execOpts.Container != "c" {
		t.Errorf("PodExecOptions %+v", execOpts)
	}
	var pf corev1.PodPortForwardOptions
	if err := scheme.ParameterCodec.DecodeParameters(url.Values{"ports": {"80", "443"}}, corev1.SchemeGroupVersion, &pf); err != nil {
		t.Fatal(err)
	}
	if len(pf.Ports) != 2 || pf.Ports[0] != 80 || pf.Ports[1] != 443 {
		t.Errorf("PodPortForwardOptions %+v", pf)
	}
	var proxyOpts corev1.NodeProxyOptions
	if err := scheme.ParameterCodec.DecodeParameters(url.Values{"path": {"/healthz"}}, corev1.SchemeGroupVersion, &proxyOpts); err != nil || proxyOpts.Path != "/healthz" {
		t.Errorf("NodeProxyOptions %+v, %v", proxyOpts, err)
	}
	if err := scheme.ParameterCodec.DecodeParameters(url.Values{"tailLines": {"x"}}, corev1.SchemeGroupVersion, &corev1.PodLogOptions{}); err == nil {
		t.Error("tailLines=x decoded without error")
	}
}

func TestValidateContainer(t *testing.T) {
	pod := func(names ...string) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}}
		for _, n := range names {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: n})
		}
		return p
	}
	withInit := pod("a", "b")
	withInit.Spec.InitContainers = []corev1.Container{{Name: "init"}}
	for _, tc := range []struct {
		name      string
		pod       *corev1.Pod
		container string
		want      string
		err       string
	}{
		{"default single", pod("app"), "", "app", ""},
		{"named", pod("a", "b"), "b", "b", ""},
		{"init by name", withInit, "init", "init", ""},
		{"several", withInit, "", "", "a container name must be specified for pod p, choose one of: [init a b]"},
		{"none", pod(), "", "", "a container name must be specified for pod p"},
		{"unknown", pod("a"), "x", "", "container x is not valid for pod p"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := validateContainer(tc.container, tc.pod)
			if tc.err != "" {
				if !apierrors.IsBadRequest(err) || err.Error() != tc.err {
					t.Errorf("error %v, want BadRequest %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %q %v, want %q", got, err, tc.want)
			}
		})
	}
}

func TestValidatePodLogOptions(t *testing.T) {
	since := metav1.Now()
	for _, tc := range []struct {
		opts  corev1.PodLogOptions
		valid bool
	}{
		{corev1.PodLogOptions{}, true},
		{corev1.PodLogOptions{TailLines: ptr.To[int64](0), LimitBytes: ptr.To[int64](1), SinceSeconds: ptr.To[int64](1)}, true},
		{corev1.PodLogOptions{TailLines: ptr.To[int64](-1)}, false},
		{corev1.PodLogOptions{LimitBytes: ptr.To[int64](0)}, false},
		{corev1.PodLogOptions{SinceSeconds: ptr.To[int64](0)}, false},
		{corev1.PodLogOptions{SinceSeconds: ptr.To[int64](5), SinceTime: &since}, false},
		{corev1.PodLogOptions{Stream: ptr.To(corev1.LogStreamStdout)}, false},
	} {
		if errs := validatePodLogOptions(&tc.opts); (len(errs) == 0) != tc.valid {
			t.Errorf("%s: errors %v, want valid=%v", toJSON(t, tc.opts), errs, tc.valid)
		}
	}
}

func newTestNode(name string, port int32, addrs ...corev1.NodeAddress) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelHostname: name}}}
	n.Status.Addresses = addrs
	n.Status.DaemonEndpoints.KubeletEndpoint.Port = port
	return n
}

func TestLogLocation(t *testing.T) {
	if _, err := newKubeletConnections(KubeletClientConfig{}, fakeGetter{}); err == nil {
		t.Error("kubelet connections without a CA and without --kubelet-insecure-skip-tls-verify")
	}
	n2 := newTestNode("n2", 0, corev1.NodeAddress{Type: corev1.NodeExternalIP, Address: "192.0.2.7"})
	n2.Labels = nil
	conn, err := newKubeletConnections(KubeletClientConfig{InsecureSkipTLSVerify: true}, fakeGetter{
		"n1": newTestNode("n1", 41000, corev1.NodeAddress{Type: corev1.NodeHostName, Address: "n1"}, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: "127.0.1.5"}),
		"n2": n2,
	})
	if err != nil {
		t.Fatal(err)
	}
	pods := fakeGetter{
		"p":       &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}, Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "app"}}}},
		"q":       &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "q", Namespace: "ns"}, Spec: corev1.PodSpec{NodeName: "n2", Containers: []corev1.Container{{Name: "app"}}}},
		"pending": &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "pending", Namespace: "ns"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}}},
	}
	r := &LogREST{pods: pods, conn: conn}
	ctx := genericapirequest.WithNamespace(context.Background(), "ns")
	since := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	loc, rt, err := r.logLocation(ctx, "p", &corev1.PodLogOptions{Follow: true, Previous: true, Timestamps: true, TailLines: ptr.To[int64](3),
		LimitBytes: ptr.To[int64](9), SinceTime: &since})
	if err != nil {
		t.Fatal(err)
	}
	want := "https://127.0.1.5:41000/containerLogs/ns/p/app?follow=true&limitBytes=9&previous=true&sinceTime=2026-01-02T03%3A04%3A05Z&tailLines=3&timestamps=true"
	if loc.String() != want || rt != conn.transport {
		t.Errorf("location %s, want %s (verifying transport: %v)", loc, want, rt == conn.transport)
	}
	// No InternalIP: the next preferred type; no reported port: --kubelet-port.
	loc, rt, err = r.logLocation(ctx, "q", &corev1.PodLogOptions{SinceSeconds: ptr.To[int64](7), InsecureSkipTLSVerifyBackend: true})
	if err != nil {
		t.Fatal(err)
	}
	if loc.String() != "https://192.0.2.7:10250/containerLogs/ns/q/app?sinceSeconds=7" || rt != conn.insecure {
		t.Errorf("location %s (insecure transport: %v)", loc, rt == conn.insecure)
	}
	if loc, _, err := r.logLocation(ctx, "pending", &corev1.PodLogOptions{}); err != nil || loc != nil {
		t.Errorf("unscheduled pod: location %v, error %v; want neither", loc, err)
	}
	if _, _, err := r.logLocation(ctx, "gone", &corev1.PodLogOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("missing pod: %v", err)
	}
}

func TestPreferredNodeAddress(t *testing.T) {
	n := newTestNode("n", 0, corev1.NodeAddress{Type: corev1.NodeExternalIP, Address: "192.0.2.1"})
	if got, err := preferredNodeAddress(n, DefaultKubeletPreferredAddressTypes); err != nil || got != "n" {
		t.Errorf("hostname label fallback: %q %v", got, err)
	}
	if got, err := preferredNodeAddress(n, []corev1.NodeAddressType{corev1.NodeExternalIP}); err != nil || got != "192.0.2.1" {
		t.Errorf("external IP: %q %v", got, err)
	}
	if _, err := preferredNodeAddress(n, []corev1.NodeAddressType{corev1.NodeInternalDNS}); !apierrors.IsNotFound(err) {
		t.Errorf("no address: %v", err)
	}
}

func TestCheckProxyableIP(t *testing.T) {
	for ip, ok := range map[string]bool{
		"127.0.1.1": true, "10.244.0.5": true, "192.0.2.1": true, "::1": true, "2001:db8::1": true,
		"0.0.0.0": false, "169.254.169.254": false, "224.0.0.1": false, "fe80::1": false, "": false,
	} {
		if err := checkProxyableIP(net.ParseIP(ip)); (err == nil) != ok {
			t.Errorf("%q: %v, want allowed=%v", ip, err, ok)
		}
	}
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
