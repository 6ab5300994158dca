package disruption

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2/ktesting"

	"github.com/k1s-dev/k1s/controllers/internal/controllertest"
)

// TestRun runs the controller with its informers on a fake clientset: a new
// PDB over a ReplicaSet's pods gets its status, and a pod turning unready
// takes the allowed disruption away.
func TestRun(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	rs := newRS("rs", 3)
	client := fake.NewClientset(rs)
	for _, o := range pods("p", 3, ownedByRS(rs), ready) {
		if _, err := client.CoreV1().Pods("ns").Create(ctx, o.(*corev1.Pod), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := New(Config{}, client, factory, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := &controllertest.Recorder{}
	c.setRecorder(rec)
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	factory.Start(ctx.Done())
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		factory.Shutdown()
	}()
	select {
	case <-c.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("controller never became ready")
	}
	if err := c.Run(ctx); err == nil {
		t.Error("a second Run did not fail")
	}

	pdb := newMinAvailablePDB(intstr.FromString("50%"))
	if _, err := client.PolicyV1().PodDisruptionBudgets("ns").Create(ctx, pdb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	status := func() policyv1.PodDisruptionBudgetStatus {
		got, err := client.PolicyV1().PodDisruptionBudgets("ns").Get(ctx, "pdb", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return got.Status
	}
	controllertest.Eventually(t, func() bool {
		s := status()
		return s.ObservedGeneration == pdb.Generation && s.ExpectedPods == 3 && s.DesiredHealthy == 2 && s.CurrentHealthy == 3 && s.DisruptionsAllowed == 1
	}, "status 3 expected, 2 desired, 3 healthy, 1 allowed")

	p := newPod("p-0", ownedByRS(rs), notReady)
	if _, err := client.CoreV1().Pods("ns").UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	controllertest.Eventually(t, func() bool {
		s := status()
		return s.CurrentHealthy == 2 && s.DisruptionsAllowed == 0
	}, "status 2 healthy, 0 allowed")
}

// TestScaleClientOverHTTP checks the /scale client New builds from the
// clientset's discovery client against an HTTP server: discovery feeds the
// REST mapper, and the Scale is read from the subresource, in the protobuf
// content type k1s's controller clients ask for.
func TestScaleClientOverHTTP(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	write := func(w http.ResponseWriter, obj any) {
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(obj); err != nil {
			t.Error(err)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api":
			write(w, metav1.APIVersions{TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{"v1"}})
		case "/apis":
			gv := metav1.GroupVersionForDiscovery{GroupVersion: "apps/v1", Version: "v1"}
			write(w, metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"},
				Groups: []metav1.APIGroup{{Name: "apps", Versions: []metav1.GroupVersionForDiscovery{gv}, PreferredVersion: gv}}})
		case "/api/v1":
			write(w, metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: "v1"})
		case "/apis/apps/v1":
			write(w, metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: "apps/v1",
				APIResources: []metav1.APIResource{
					{Name: "deployments", Namespaced: true, Kind: "Deployment", Verbs: metav1.Verbs{"get"}},
					{Name: "deployments/scale", Namespaced: true, Group: "autoscaling", Version: "v1", Kind: "Scale", Verbs: metav1.Verbs{"get"}},
				}})
		case "/apis/apps/v1/namespaces/ns/deployments/d/scale":
			write(w, autoscalingv1.Scale{TypeMeta: metav1.TypeMeta{Kind: "Scale", APIVersion: "autoscaling/v1"},
				ObjectMeta: metav1.ObjectMeta{Name: "d", Namespace: "ns", UID: "d-uid"}, Spec: autoscalingv1.ScaleSpec{Replicas: 6}})
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	client, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL, ContentConfig: rest.ContentConfig{ContentType: "application/vnd.kubernetes.protobuf"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{}, client, informers.NewSharedInformerFactory(client, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.scaleNamespacer == nil || c.mapper == nil {
		t.Fatal("no /scale client with a real clientset")
	}
	ref := metav1.OwnerReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "d", UID: "d-uid"}
	got, err := c.getScaleController(ctx, &ref, "ns")
	if err != nil || got == nil || got.scale != 6 || got.UID != "d-uid" {
		t.Fatalf("getScaleController = %+v, %v; want d-uid at 6", got, err)
	}
	ref.Name = "missing"
	if got, err := c.getScaleController(ctx, &ref, "ns"); got != nil || err != nil {
		t.Errorf("missing deployment: %+v, %v; want nothing and no error", got, err)
	}
	ref.Kind = "StatefulSet"
	if _, err := c.getScaleController(ctx, &ref, "ns"); !apimeta.IsNoMatchError(err) {
		t.Errorf("unserved kind: got %v, want a no-match error", err)
	}
}
