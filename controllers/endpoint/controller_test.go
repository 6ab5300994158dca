package endpoint

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/k1s-dev/k1s/controllers/internal/controllertest"
)

// flatten lists an Endpoints object's (address, port) pairs as
// "ready|notready <ip>[:<port>/<name>] <pod>", sorted.
func flatten(ep *corev1.Endpoints) []string {
	var out []string
	for _, s := range ep.Subsets {
		for _, list := range []struct {
			kind  string
			addrs []corev1.EndpointAddress
		}{{"ready", s.Addresses}, {"notready", s.NotReadyAddresses}} {
			for _, a := range list.addrs {
				pod := ""
				if a.TargetRef != nil {
					pod = a.TargetRef.Name
				}
				if len(s.Ports) == 0 {
					out = append(out, fmt.Sprintf("%s %s %s", list.kind, a.IP, pod))
				}
				for _, p := range s.Ports {
					out = append(out, fmt.Sprintf("%s %s:%d/%s %s", list.kind, a.IP, p.Port, p.Name, pod))
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func getEndpoints(t *testing.T, client *fake.Clientset, name string) *corev1.Endpoints {
	t.Helper()
	ep, err := client.CoreV1().Endpoints(ns).Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatalf("getting endpoints %s: %v", name, err)
	}
	return ep
}

func TestSyncService(t *testing.T) {
	triggerTime := t0.Format(time.RFC3339Nano)
	managedLabels := map[string]string{"team": "a", LabelManagedBy: ControllerName}

	tests := []struct {
		name            string
		objs            []runtime.Object
		wantNone        bool // no Endpoints is written
		want            []string
		wantLabels      map[string]string
		wantAnnotations map[string]string
	}{
		{
			name: "ready and not-ready pods",
			objs: []runtime.Object{
				newService(),
				newPod("a", "10.1.0.1"),
				newPod("b", "10.1.0.2", notReady),
				newPod("other-app", "10.1.0.3", withLabels(map[string]string{"app": "db"})),
			},
			want:            []string{"notready 10.1.0.2:8080/http b", "ready 10.1.0.1:8080/http a"},
			wantLabels:      managedLabels,
			wantAnnotations: map[string]string{corev1.EndpointsLastChangeTriggerTime: triggerTime},
		},
		{
			name: "named target port resolves per pod",
			objs: []runtime.Object{
				newService(targetPort(intstr.FromString("http"))),
				newPod("a", "10.1.0.1"),
				newPod("b", "10.1.0.2", withNamedPort("http", 9090)),
				newPod("no-such-port", "10.1.0.3", withNamedPort("metrics", 9100)),
			},
			want: []string{"ready 10.1.0.1:8080/http a", "ready 10.1.0.2:9090/http b"},
		},
		{
			name: "publishNotReadyAddresses lists every pod as ready, even terminating",
			objs: []runtime.Object{
				newService(publishNotReady),
				newPod("a", "10.1.0.1", notReady),
				newPod("b", "10.1.0.2", deleting),
			},
			want: []string{"ready 10.1.0.1:8080/http a", "ready 10.1.0.2:8080/http b"},
		},
		{
			name: "terminal, deleted and IP-less pods are left out",
			objs: []runtime.Object{
				newService(),
				newPod("ok", "10.1.0.1"),
				newPod("done", "10.1.0.2", withPhase(corev1.PodSucceeded)),
				newPod("failed", "10.1.0.3", withPhase(corev1.PodFailed), notReady),
				newPod("deleting", "10.1.0.4", deleting),
				newPod("pending", "", withoutIP),
			},
			want: []string{"ready 10.1.0.1:8080/http ok"},
		},
		{
			name: "headless service without ports",
			objs: []runtime.Object{
				newService(headless, noPorts),
				newPod("a", "10.1.0.1"),
				newPod("b", "10.1.0.2", notReady),
			},
			want:       []string{"notready 10.1.0.2 b", "ready 10.1.0.1 a"},
			wantLabels: map[string]string{"team": "a", LabelManagedBy: ControllerName, corev1.IsHeadlessService: ""},
		},
		{
			name:       "no pods: empty endpoints",
			objs:       []runtime.Object{newService()},
			want:       nil,
			wantLabels: managedLabels,
		},
		{
			name: "service without selector is left alone",
			objs: []runtime.Object{
				func() *corev1.Service { s := newService(); s.Spec.Selector = nil; return s }(),
				newPod("a", "10.1.0.1"),
			},
			wantNone: true,
		},
		{
			name: "ExternalName service gets no endpoints",
			objs: []runtime.Object{
				func() *corev1.Service {
					s := newService()
					s.Spec.Type, s.Spec.ExternalName = corev1.ServiceTypeExternalName, "example.com"
					return s
				}(),
				newPod("a", "10.1.0.1"),
			},
			wantNone: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			c, client, _ := newSyncController(t, tc.objs...)
			if err := c.syncService(ctx, ns+"/web"); err != nil {
				t.Fatalf("syncService: %v", err)
			}
			ep := getEndpoints(t, client, "web")
			if tc.wantNone {
				if ep != nil {
					t.Fatalf("endpoints written: %+v", ep)
				}
				return
			}
			if ep == nil {
				t.Fatal("no endpoints written")
			}
			if diff := cmp.Diff(tc.want, flatten(ep)); diff != "" {
				t.Errorf("addresses (-want +got):\n%s", diff)
			}
			if tc.wantLabels != nil {
				if diff := cmp.Diff(tc.wantLabels, ep.Labels); diff != "" {
					t.Errorf("labels (-want +got):\n%s", diff)
				}
			}
			if tc.wantAnnotations != nil {
				if diff := cmp.Diff(tc.wantAnnotations, ep.Annotations); diff != "" {
					t.Errorf("annotations (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// The full address (node, target) and the canonical packing: one subset
// holds every address with the same ports, sorted.
func TestSyncServiceAddresses(t *testing.T) {
	ctx := testContext(t)
	c, client, _ := newSyncController(t, newService(), newPod("b", "10.1.0.2"), newPod("a", "10.1.0.1"), newPod("c", "10.1.0.3", notReady))
	if err := c.syncService(ctx, ns+"/web"); err != nil {
		t.Fatal(err)
	}
	want := []corev1.EndpointSubset{{
		Addresses:         []corev1.EndpointAddress{address("a", "10.1.0.1"), address("b", "10.1.0.2")},
		NotReadyAddresses: []corev1.EndpointAddress{address("c", "10.1.0.3")},
		Ports:             []corev1.EndpointPort{{Name: "http", Port: 8080, Protocol: corev1.ProtocolTCP}},
	}}
	if diff := cmp.Diff(want, getEndpoints(t, client, "web").Subsets); diff != "" {
		t.Errorf("subsets (-want +got):\n%s", diff)
	}
}

func TestSyncServiceTruncation(t *testing.T) {
	tests := []struct {
		name                    string
		ready, notReady         int
		wantReady, wantNotReady int
		wantTruncated           bool
	}{
		{name: "at capacity", ready: 990, notReady: 10, wantReady: 990, wantNotReady: 10},
		{name: "ready addresses kept first", ready: 998, notReady: 5, wantReady: 998, wantNotReady: 2, wantTruncated: true},
		{name: "too many ready addresses", ready: 1001, notReady: 3, wantReady: 1000, wantNotReady: 0, wantTruncated: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			objs := []runtime.Object{newService()}
			for i := range tc.ready + tc.notReady {
				var opts []podOption
				if i >= tc.ready {
					opts = append(opts, notReady)
				}
				objs = append(objs, newPod(fmt.Sprintf("p%04d", i), fmt.Sprintf("10.1.%d.%d", i/250, i%250+1), opts...))
			}
			c, client, _ := newSyncController(t, objs...)
			if err := c.syncService(ctx, ns+"/web"); err != nil {
				t.Fatal(err)
			}
			ep := getEndpoints(t, client, "web")
			ready, notReadyN := 0, 0
			for _, s := range ep.Subsets {
				ready += len(s.Addresses)
				notReadyN += len(s.NotReadyAddresses)
			}
			if ready != tc.wantReady || notReadyN != tc.wantNotReady {
				t.Errorf("ready, not ready = %d, %d; want %d, %d", ready, notReadyN, tc.wantReady, tc.wantNotReady)
			}
			if got, want := ep.Annotations[corev1.EndpointsOverCapacity], map[bool]string{true: truncated}[tc.wantTruncated]; got != want {
				t.Errorf("over-capacity annotation = %q, want %q", got, want)
			}
		})
	}
}

// A second sync of an unchanged service writes nothing; a change is an
// update; and until the informer has caught up with that update, the cached
// object is known to be stale and the sync is retried.
func TestSyncServiceWrites(t *testing.T) {
	ctx := testContext(t)
	c, client, factory := newSyncController(t, newService(), newPod("a", "10.1.0.1"))
	sync := func() error { return c.syncService(ctx, ns+"/web") }
	writes := func() []string {
		var out []string
		for _, a := range client.Actions() {
			if a.GetResource().Resource == "endpoints" && (a.GetVerb() == "create" || a.GetVerb() == "update") {
				out = append(out, a.GetVerb())
			}
		}
		client.ClearActions()
		return out
	}
	cache := func(obj runtime.Object) {
		t.Helper()
		var err error
		switch o := obj.(type) {
		case *corev1.Endpoints:
			err = factory.Core().V1().Endpoints().Informer().GetIndexer().Update(o)
		case *corev1.Pod:
			err = factory.Core().V1().Pods().Informer().GetIndexer().Update(o)
		}
		if err != nil {
			t.Fatal(err)
		}
	}

	if err := sync(); err != nil {
		t.Fatal(err)
	}
	if got := writes(); !cmp.Equal(got, []string{"create"}) {
		t.Errorf("first sync wrote %v, want [create]", got)
	}
	created := getEndpoints(t, client, "web")
	cache(created)

	if err := sync(); err != nil {
		t.Fatal(err)
	}
	if got := writes(); len(got) != 0 {
		t.Errorf("unchanged sync wrote %v", got)
	}

	cache(newPod("a", "10.1.0.1", notReady))
	if err := sync(); err != nil {
		t.Fatal(err)
	}
	if got := writes(); !cmp.Equal(got, []string{"update"}) {
		t.Errorf("sync after a change wrote %v, want [update]", got)
	}
	if got := flatten(getEndpoints(t, client, "web")); !cmp.Equal(got, []string{"notready 10.1.0.1:8080/http a"}) {
		t.Errorf("updated endpoints = %v", got)
	}

	// The informer still holds the version we replaced.
	if err := sync(); err == nil || !strings.Contains(err.Error(), "out of date") {
		t.Errorf("sync on a stale cache = %v, want an out-of-date error", err)
	}
	cache(getEndpoints(t, client, "web"))
	if err := sync(); err != nil {
		t.Errorf("sync after the cache caught up = %v", err)
	}
	if got := writes(); len(got) != 0 {
		t.Errorf("caught-up sync wrote %v", got)
	}
}

func TestServiceDeletion(t *testing.T) {
	ctx := testContext(t)
	existing := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web", ResourceVersion: "5"}}
	c, client, _ := newSyncController(t, existing)
	if err := c.syncService(ctx, ns+"/web"); err != nil {
		t.Fatalf("syncService: %v", err)
	}
	if ep := getEndpoints(t, client, "web"); ep != nil {
		t.Errorf("endpoints of a deleted service remain: %+v", ep)
	}
	// Already gone is fine.
	if err := c.syncService(ctx, ns+"/web"); err != nil {
		t.Errorf("second syncService: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg     Config
		wantErr string
	}{
		{cfg: Config{}},
		{cfg: DefaultConfig()},
		{cfg: Config{ConcurrentEndpointSyncs: -1}, wantErr: "--concurrent-endpoint-syncs"},
		{cfg: Config{EndpointUpdatesBatchPeriod: -time.Second}, wantErr: "--endpoint-updates-batch-period"},
	} {
		err := tc.cfg.Validate()
		if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("Validate(%+v) = %v, want error containing %q", tc.cfg, err, tc.wantErr)
		}
	}
}

// TestRun drives the whole controller through pod churn and the deletion of
// the service, and checks the cleanup of leftovers at start.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(testContext(t))
	leftover := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gone", ResourceVersion: "3"}}
	leader := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "leader", ResourceVersion: "4",
		Annotations: map[string]string{resourcelock.LeaderElectionRecordAnnotationKey: "{}"}}}
	client := newFakeClient(leftover, leader)
	factory := informers.NewSharedInformerFactory(client, 0)
	clk := testingclock.NewFakeClock(t0)
	c, err := New(Config{Clock: clk}, client, factory, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.recorder = &controllertest.Recorder{}
	factory.Start(ctx.Done())
	done := make(chan error)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after cancellation")
		}
		factory.Shutdown()
	})
	select {
	case <-c.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("controller not ready")
	}

	controllertest.Eventually(t, func() bool { return getEndpoints(t, client, "gone") == nil }, "leftover endpoints deleted")
	if getEndpoints(t, client, "leader") == nil {
		t.Error("leader election endpoints deleted")
	}

	pods := client.CoreV1().Pods(ns)
	waitFor := func(want []string, msg string) {
		t.Helper()
		var got []string
		controllertest.Eventually(t, func() bool {
			// Retries (of a sync on a stale cache, say) are rate limited on
			// the fake clock: let its time pass.
			clk.Step(10 * time.Millisecond)
			ep := getEndpoints(t, client, "web")
			if ep == nil {
				return false
			}
			got = flatten(ep)
			return cmp.Equal(want, got)
		}, "%s: want %v, last saw %v", msg, want, &got)
	}
	mustDo := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	mustDo(client.CoreV1().Services(ns).Create(ctx, newService(), metav1.CreateOptions{}))
	mustDo(pods.Create(ctx, newPod("a", "10.1.0.1"), metav1.CreateOptions{}))
	mustDo(pods.Create(ctx, newPod("b", "10.1.0.2"), metav1.CreateOptions{}))
	waitFor([]string{"ready 10.1.0.1:8080/http a", "ready 10.1.0.2:8080/http b"}, "two ready pods")

	b := newPod("b", "10.1.0.2", notReady)
	mustDo(pods.Update(ctx, b, metav1.UpdateOptions{}))
	waitFor([]string{"notready 10.1.0.2:8080/http b", "ready 10.1.0.1:8080/http a"}, "pod b not ready")

	relabelled := newPod("a", "10.1.0.1", withLabels(map[string]string{"app": "other"}))
	mustDo(pods.Update(ctx, relabelled, metav1.UpdateOptions{}))
	waitFor([]string{"notready 10.1.0.2:8080/http b"}, "pod a no longer selected")

	mustDo(nil, pods.Delete(ctx, "b", metav1.DeleteOptions{}))
	mustDo(pods.Create(ctx, newPod("c", "10.1.0.3"), metav1.CreateOptions{}))
	waitFor([]string{"ready 10.1.0.3:8080/http c"}, "pod b deleted, c added")

	// Someone deletes the Endpoints: it comes back.
	mustDo(nil, client.CoreV1().Endpoints(ns).Delete(ctx, "web", metav1.DeleteOptions{}))
	waitFor([]string{"ready 10.1.0.3:8080/http c"}, "endpoints recreated")

	mustDo(nil, client.CoreV1().Services(ns).Delete(ctx, "web", metav1.DeleteOptions{}))
	controllertest.Eventually(t, func() bool {
		clk.Step(10 * time.Millisecond)
		return getEndpoints(t, client, "web") == nil
	}, "endpoints deleted with the service")
}
