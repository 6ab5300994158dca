package e2e

// Client-go end-to-end tests of the apiserver: every served resource through the typed
// and the dynamic client. The other apiserver_*_test.go files cover subresources,
// watches and selectors, pods and namespaces, services, bad input and restarts.

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/watch"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/k1s-dev/k1s/cluster"
	"github.com/k1s-dev/k1s/e2e/framework"
)

// ---- shared helpers of the apiserver tests ----

// testContext is a context for one test's requests, cancelled when the test ends.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// startCluster starts a cluster for one test; throw-away clusters skip fsync.
func startCluster(t testing.TB) *framework.Cluster {
	t.Helper()
	// No scheduler: API tests create unbound pods and expect them to stay so.
	return framework.Start(t, cluster.Config{EtcdUnsafeNoFsync: true, DisableScheduler: true})
}

// startClusterWithout is startCluster with the named controllers turned off, for tests
// that play them (write the status they would write).
func startClusterWithout(t testing.TB, controllers ...string) *framework.Cluster {
	t.Helper()
	list := []string{"*"}
	for _, name := range controllers {
		list = append(list, "-"+name)
	}
	return framework.Start(t, cluster.Config{EtcdUnsafeNoFsync: true, DisableScheduler: true, Controllers: list})
}

// createNamespace creates a fresh namespace so that tests sharing a cluster do not see
// each other's objects. Like upstream's e2e framework it returns once the namespace is
// ready for use: its default service account and kube-root-ca.crt ConfigMap exist, so
// lists of configmaps always include kube-root-ca.crt.
func createNamespace(t testing.TB, c *framework.Cluster) string {
	t.Helper()
	ns, err := c.Client.CoreV1().Namespaces().Create(testContext(t), &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "e2e-"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating a namespace: %v", err)
	}
	framework.Eventually(t, 30*time.Second, "namespace "+ns.Name+" to be ready", func(ctx context.Context) (bool, error) {
		if _, err := c.Client.CoreV1().ServiceAccounts(ns.Name).Get(ctx, "default", metav1.GetOptions{}); err != nil {
			return false, err
		}
		_, err := c.Client.CoreV1().ConfigMaps(ns.Name).Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
		return err == nil, err
	})
	return ns.Name
}

// uniqueName returns a name no other test of the binary uses (nodes are cluster-scoped).
func uniqueName(prefix string) string { return prefix + "-" + rand.String(6) }

// expectStatus fails unless err is an API error with the given HTTP code and reason.
func expectStatus(t testing.TB, err error, code int32, reason metav1.StatusReason) *apierrors.StatusError {
	t.Helper()
	if err == nil {
		t.Fatalf("expected a %d %s error, got success", code, reason)
	}
	statusErr, ok := err.(apierrors.APIStatus)
	if !ok {
		t.Fatalf("expected an API status error (%d %s), got %T: %v", code, reason, err, err)
	}
	status := statusErr.Status()
	if status.Code != code || status.Reason != reason {
		t.Fatalf("expected %d %s, got %d %s: %v", code, reason, status.Code, status.Reason, err)
	}
	se, _ := err.(*apierrors.StatusError)
	return se
}

// expectInvalidField fails unless err is a 422 Invalid whose causes name field.
func expectInvalidField(t testing.TB, err error, field string) {
	t.Helper()
	se := expectStatus(t, err, 422, metav1.StatusReasonInvalid)
	if se == nil || se.ErrStatus.Details == nil {
		t.Fatalf("422 without details: %v", err)
	}
	var fields []string
	for _, cause := range se.ErrStatus.Details.Causes {
		if cause.Field == field {
			return
		}
		fields = append(fields, cause.Field)
	}
	t.Fatalf("422 Invalid does not name field %q (causes name %q): %v", field, fields, err)
}

func expectNotFound(t testing.TB, err error) {
	t.Helper()
	if !apierrors.IsNotFound(err) {
		t.Fatalf("expected NotFound, got %v", err)
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// ---- valid objects of every served resource ----

const pauseImage = "registry.k8s.io/pause:3.10"

func newPod(ns, name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": name}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: "app", Image: pauseImage},
			{Name: "sidecar", Image: pauseImage},
		}},
	}
}

func newNode(name string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"e2e": "true"}}}
}

func newService(ns, name string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": name},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}},
		},
	}
}

func newEndpoints(ns, name string) *corev1.Endpoints {
	return &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Subsets: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{{IP: "10.244.0.5"}},
			Ports:     []corev1.EndpointPort{{Name: "http", Port: 8080, Protocol: corev1.ProtocolTCP}},
		}},
	}
}

func newConfigMap(ns, name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Data:       map[string]string{"key": "value"},
	}
}

func newSecret(ns, name string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{"password": []byte("hunter2")},
	}
}

func newServiceAccount(ns, name string) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
}

// newCoreEvent is an event as client-go's old record package writes it.
func newCoreEvent(ns, name string) *corev1.Event {
	now := metav1.NewTime(time.Now().Truncate(time.Second))
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Namespace: ns, Name: name},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: "web-0", APIVersion: "v1"},
		Reason:         "Started",
		Message:        "Started container app",
		Source:         corev1.EventSource{Component: "kubelet", Host: "node-1"},
		FirstTimestamp: now,
		LastTimestamp:  now,
		Count:          1,
		Type:           corev1.EventTypeNormal,
	}
}

// newEventsV1Event is an event as client-go's events package writes it.
func newEventsV1Event(ns, name string) *eventsv1.Event {
	return &eventsv1.Event{
		ObjectMeta:          metav1.ObjectMeta{Namespace: ns, Name: name},
		EventTime:           metav1.NewMicroTime(time.Now()),
		ReportingController: "e2e.k1s.dev/controller",
		ReportingInstance:   "e2e-1",
		Action:              "Binding",
		Reason:              "Scheduled",
		Regarding:           corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: "web-1", APIVersion: "v1"},
		Note:                "Successfully assigned web-1 to node-1",
		Type:                corev1.EventTypeNormal,
	}
}

func newLease(ns, name string) *coordinationv1.Lease {
	return &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: coordinationv1.LeaseSpec{
			HolderIdentity:       ptr.To("node-1"),
			LeaseDurationSeconds: ptr.To[int32](40),
			RenewTime:            ptr.To(metav1.NewMicroTime(time.Now())),
		},
	}
}

func newEndpointSlice(ns, name string) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{
			Addresses:  []string{"10.244.0.5"},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
		}},
		Ports: []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080), Protocol: ptr.To(corev1.ProtocolTCP)}},
	}
}

// ---- CRUD through the typed client ----

type apiObject interface {
	metav1.Object
	runtime.Object
}

// typedClient is what every generated typed client offers.
type typedClient[T apiObject] interface {
	Create(context.Context, T, metav1.CreateOptions) (T, error)
	Get(context.Context, string, metav1.GetOptions) (T, error)
	Update(context.Context, T, metav1.UpdateOptions) (T, error)
	Patch(ctx context.Context, name string, pt types.PatchType, data []byte, opts metav1.PatchOptions, subresources ...string) (T, error)
	Delete(context.Context, string, metav1.DeleteOptions) error
}

// deletion says what a default delete does to a resource.
type deletion int

const (
	deletedAtOnce deletion = iota
	// deletedLater: the object gets a deletionTimestamp and stays (namespaces).
	deletedLater
)

// exerciseTyped creates obj, reads it, updates it, patches it with each patch type,
// and deletes it, checking the result of every step on the server.
func exerciseTyped[T apiObject](t *testing.T, client typedClient[T], obj T, gvk schema.GroupVersionKind, del deletion) {
	t.Helper()
	ctx := testContext(t)
	name := obj.GetName()

	created, err := client.Create(ctx, obj, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if created.GetUID() == "" || created.GetResourceVersion() == "" || created.GetCreationTimestamp().Time.IsZero() {
		t.Fatalf("create did not set uid/resourceVersion/creationTimestamp: %+v", created)
	}
	if _, err := client.Create(ctx, obj, metav1.CreateOptions{}); !apierrors.IsAlreadyExists(err) {
		t.Fatalf("second create: expected AlreadyExists, got %v", err)
	}

	got, err := client.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.GetUID() != created.GetUID() {
		t.Fatalf("get returned uid %s, created %s", got.GetUID(), created.GetUID())
	}

	// Controllers may write the object too (the node lifecycle controller reconciles a
	// new Node's taints), so update the way clients do: read, modify, retry on conflict.
	var updated T
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		got, err := client.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		labels := got.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels["step"] = "update"
		got.SetLabels(labels)
		updated, err = client.Update(ctx, got, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if updated.GetLabels()["step"] != "update" || updated.GetResourceVersion() == created.GetResourceVersion() {
		t.Fatalf("update not applied: labels %v, rv %s (was %s)", updated.GetLabels(), updated.GetResourceVersion(), created.GetResourceVersion())
	}

	patches := []struct {
		pt   types.PatchType
		body string
		key  string
	}{
		{types.MergePatchType, `{"metadata":{"labels":{"merge":"yes"}}}`, "merge"},
		{types.StrategicMergePatchType, `{"metadata":{"labels":{"strategic":"yes"}}}`, "strategic"},
		{types.JSONPatchType, `[{"op":"test","path":"/metadata/labels/step","value":"update"},{"op":"add","path":"/metadata/labels/json","value":"yes"}]`, "json"},
	}
	for _, p := range patches {
		patched, err := client.Patch(ctx, name, p.pt, []byte(p.body), metav1.PatchOptions{})
		if err != nil {
			t.Fatalf("%s patch: %v", p.pt, err)
		}
		if patched.GetLabels()[p.key] != "yes" || patched.GetLabels()["step"] != "update" {
			t.Fatalf("%s patch: labels %v", p.pt, patched.GetLabels())
		}
	}
	// A failing JSON patch test operation changes nothing.
	_, err = client.Patch(ctx, name, types.JSONPatchType, []byte(`[{"op":"test","path":"/metadata/labels/step","value":"other"},{"op":"add","path":"/metadata/labels/bad","value":"yes"}]`), metav1.PatchOptions{})
	expectStatus(t, err, 422, metav1.StatusReasonInvalid)

	apply := map[string]any{
		"apiVersion": gvk.GroupVersion().String(),
		"kind":       gvk.Kind,
		"metadata":   map[string]any{"name": name, "labels": map[string]string{"applied": "yes"}},
	}
	if ns := obj.GetNamespace(); ns != "" {
		apply["metadata"].(map[string]any)["namespace"] = ns
	}
	applied, err := client.Patch(ctx, name, types.ApplyPatchType, mustJSON(t, apply), metav1.PatchOptions{FieldManager: "e2e-apply", Force: ptr.To(true)})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if applied.GetLabels()["applied"] != "yes" || applied.GetLabels()["json"] != "yes" {
		t.Fatalf("apply: labels %v", applied.GetLabels())
	}
	if !hasManager(applied.GetManagedFields(), "e2e-apply", metav1.ManagedFieldsOperationApply) {
		t.Fatalf("apply: no Apply entry of e2e-apply in managedFields: %+v", applied.GetManagedFields())
	}

	final, err := client.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get after patches: %v", err)
	}
	for _, k := range []string{"step", "merge", "strategic", "json", "applied"} {
		if final.GetLabels()[k] == "" {
			t.Fatalf("label %q lost: %v", k, final.GetLabels())
		}
	}
	if _, bad := final.GetLabels()["bad"]; bad {
		t.Fatalf("the failed JSON patch was applied: %v", final.GetLabels())
	}

	if err := client.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	after, err := client.Get(ctx, name, metav1.GetOptions{})
	switch del {
	case deletedAtOnce:
		expectNotFound(t, err)
		expectNotFound(t, client.Delete(ctx, name, metav1.DeleteOptions{}))
	case deletedLater:
		if err != nil {
			t.Fatalf("get after delete: %v", err)
		}
		if after.GetDeletionTimestamp() == nil {
			t.Fatalf("deleted object has no deletionTimestamp")
		}
	}
}

func hasManager(entries []metav1.ManagedFieldsEntry, manager string, op metav1.ManagedFieldsOperationType) bool {
	return slices.ContainsFunc(entries, func(e metav1.ManagedFieldsEntry) bool {
		return e.Manager == manager && e.Operation == op
	})
}

// TestAPITypedCRUD runs create/get/update/patch/delete through the typed clientset for every
// served resource.
func TestAPITypedCRUD(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	ns := createNamespace(t, c)
	core, gv := c.Client.CoreV1(), corev1.SchemeGroupVersion

	t.Run("namespaces", func(t *testing.T) {
		t.Parallel()
		exerciseTyped(t, core.Namespaces(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: uniqueName("typed")}}, gv.WithKind("Namespace"), deletedLater)
	})
	t.Run("nodes", func(t *testing.T) {
		t.Parallel()
		exerciseTyped(t, core.Nodes(), newNode(uniqueName("typed")), gv.WithKind("Node"), deletedAtOnce)
	})
	t.Run("pods", func(t *testing.T) {
		t.Parallel()
		exerciseTyped(t, core.Pods(ns), newPod(ns, "typed"), gv.WithKind("Pod"), deletedAtOnce)
	})
	t.Run("services", func(t *testing.T) {
		t.Parallel()
		exerciseTyped(t, core.Services(ns), newService(ns, "typed"), gv.WithKind("Service"), deletedAtOnce)
	})
	t.Run("endpoints", func(t *testing.T) {
		t.Parallel()
		// Not named after the Service above: the endpoints controller owns the Endpoints of a
		// Service's name, and deletes them when that Service goes.
		exerciseTyped(t, core.Endpoints(ns), newEndpoints(ns, "typed-endpoints"), gv.WithKind("Endpoints"), deletedAtOnce)
	})
	t.Run("configmaps", func(t *testing.T) {
		t.Parallel()
		exerciseTyped(t, core.ConfigMaps(ns), newConfigMap(ns, "typed"), gv.WithKind("ConfigMap"), deletedAtOnce)
	})
	t.Run("secrets", func(t *testing.T) {
		t.Parallel()
		exerciseTyped(t, core.Secrets(ns), newSecret(ns, "typed"), gv.WithKind("Secret"), deletedAtOnce)
	})
	t.Run("serviceaccounts", func(t *testing.T) {
		t.Parallel()
		exerciseTyped(t, core.ServiceAccounts(ns), newServiceAccount(ns, "typed"), gv.WithKind("ServiceAccount"), deletedAtOnce)
	})
	t.Run("events", func(t *testing.T) {
		t.Parallel()
		exerciseTyped(t, core.Events(ns), newCoreEvent(ns, "typed"), gv.WithKind("Event"), deletedAtOnce)
	})
	t.Run("leases", func(t *testing.T) {
		t.Parallel()
		exerciseTyped(t, c.Client.CoordinationV1().Leases(ns), newLease(ns, "typed"), coordinationv1.SchemeGroupVersion.WithKind("Lease"), deletedAtOnce)
	})
	t.Run("endpointslices", func(t *testing.T) {
		t.Parallel()
		exerciseTyped(t, c.Client.DiscoveryV1().EndpointSlices(ns), newEndpointSlice(ns, "typed"), discoveryv1.SchemeGroupVersion.WithKind("EndpointSlice"), deletedAtOnce)
	})
	t.Run("events.k8s.io", func(t *testing.T) {
		t.Parallel()
		exerciseTyped(t, c.Client.EventsV1().Events(ns), newEventsV1Event(ns, "typed"), eventsv1.SchemeGroupVersion.WithKind("Event"), deletedAtOnce)
	})
}

// TestAPITypedContent checks that what the typed client writes comes back field for field
// and that the typed Apply (apply configurations) and strategic merge on lists work.
func TestAPITypedContent(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	ctx := testContext(t)
	ns := createNamespace(t, c)

	t.Run("apply configuration", func(t *testing.T) {
		cms := c.Client.CoreV1().ConfigMaps(ns)
		cm, err := cms.Apply(ctx, corev1ac.ConfigMap("applied", ns).WithData(map[string]string{"a": "1", "b": "2"}), metav1.ApplyOptions{FieldManager: "one"})
		if err != nil {
			t.Fatalf("apply create: %v", err)
		}
		if cm.Data["a"] != "1" || cm.Data["b"] != "2" || cm.UID == "" {
			t.Fatalf("apply created %+v", cm)
		}
		// A second manager applying a field the first owns conflicts unless forced.
		_, err = cms.Apply(ctx, corev1ac.ConfigMap("applied", ns).WithData(map[string]string{"a": "other"}), metav1.ApplyOptions{FieldManager: "two"})
		expectStatus(t, err, 409, metav1.StatusReasonConflict)
		cm, err = cms.Apply(ctx, corev1ac.ConfigMap("applied", ns).WithData(map[string]string{"a": "other"}), metav1.ApplyOptions{FieldManager: "two", Force: true})
		if err != nil {
			t.Fatalf("forced apply: %v", err)
		}
		if cm.Data["a"] != "other" || cm.Data["b"] != "2" {
			t.Fatalf("forced apply: data %v", cm.Data)
		}
		// The first manager dropping "b" from its configuration removes it.
		cm, err = cms.Apply(ctx, corev1ac.ConfigMap("applied", ns).WithData(map[string]string{}), metav1.ApplyOptions{FieldManager: "one"})
		if err != nil {
			t.Fatalf("apply without b: %v", err)
		}
		if _, ok := cm.Data["b"]; ok || cm.Data["a"] != "other" {
			t.Fatalf("apply without b: data %v", cm.Data)
		}
	})

	t.Run("strategic merge on containers", func(t *testing.T) {
		pods := c.Client.CoreV1().Pods(ns)
		if _, err := pods.Create(ctx, newPod(ns, "smp"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		// Strategic merge merges containers by name: sidecar is kept.
		pod, err := pods.Patch(ctx, "smp", types.StrategicMergePatchType, []byte(`{"spec":{"containers":[{"name":"app","image":"registry.k8s.io/pause:3.9"}]}}`), metav1.PatchOptions{})
		if err != nil {
			t.Fatalf("strategic merge patch: %v", err)
		}
		if len(pod.Spec.Containers) != 2 || pod.Spec.Containers[0].Image != "registry.k8s.io/pause:3.9" || pod.Spec.Containers[1].Image != pauseImage {
			t.Fatalf("strategic merge patch: containers %+v", pod.Spec.Containers)
		}
		// A JSON merge patch replaces the list; changing the containers of a pod is
		// forbidden, so the apiserver refuses it.
		_, err = pods.Patch(ctx, "smp", types.MergePatchType, []byte(`{"spec":{"containers":[{"name":"app","image":"registry.k8s.io/pause:3.9"}]}}`), metav1.PatchOptions{})
		expectStatus(t, err, 422, metav1.StatusReasonInvalid)
	})

	t.Run("round trip", func(t *testing.T) {
		secret := newSecret(ns, "round-trip")
		secret.StringData = map[string]string{"user": "admin"}
		created, err := c.Client.CoreV1().Secrets(ns).Create(ctx, secret, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Client.CoreV1().Secrets(ns).Get(ctx, "round-trip", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Data["password"]) != "hunter2" || string(got.Data["user"]) != "admin" || len(got.StringData) != 0 {
			t.Fatalf("secret data %q, stringData %q", got.Data, got.StringData)
		}
		if got.ResourceVersion != created.ResourceVersion {
			t.Fatalf("get rv %s, create rv %s", got.ResourceVersion, created.ResourceVersion)
		}

		slice, err := c.Client.DiscoveryV1().EndpointSlices(ns).Create(ctx, newEndpointSlice(ns, "round-trip"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if slice.Generation != 1 || len(slice.Endpoints) != 1 || slice.Endpoints[0].Addresses[0] != "10.244.0.5" || *slice.Ports[0].Port != 8080 {
			t.Fatalf("endpointslice %+v", slice)
		}

		lease, err := c.Client.CoordinationV1().Leases(ns).Create(ctx, newLease(ns, "round-trip"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if *lease.Spec.HolderIdentity != "node-1" || *lease.Spec.LeaseDurationSeconds != 40 || lease.Spec.RenewTime == nil {
			t.Fatalf("lease %+v", lease.Spec)
		}
	})
}

// ---- CRUD through the dynamic client ----

type dynamicCase struct {
	resource   string
	gvr        schema.GroupVersionResource
	namespaced bool
	obj        func(ns, name string) runtime.Object
	del        deletion
}

var coreGV = corev1.SchemeGroupVersion

var dynamicCases = []dynamicCase{
	{"namespaces", coreGV.WithResource("namespaces"), false, func(_, name string) runtime.Object {
		return &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: name}}
	}, deletedLater},
	{"nodes", coreGV.WithResource("nodes"), false, func(_, name string) runtime.Object { return newNode(name) }, deletedAtOnce},
	{"pods", coreGV.WithResource("pods"), true, func(ns, name string) runtime.Object { return newPod(ns, name) }, deletedAtOnce},
	{"services", coreGV.WithResource("services"), true, func(ns, name string) runtime.Object { return newService(ns, name) }, deletedAtOnce},
	{"endpoints", coreGV.WithResource("endpoints"), true, func(ns, name string) runtime.Object { return newEndpoints(ns, name) }, deletedAtOnce},
	{"configmaps", coreGV.WithResource("configmaps"), true, func(ns, name string) runtime.Object { return newConfigMap(ns, name) }, deletedAtOnce},
	{"secrets", coreGV.WithResource("secrets"), true, func(ns, name string) runtime.Object { return newSecret(ns, name) }, deletedAtOnce},
	{"serviceaccounts", coreGV.WithResource("serviceaccounts"), true, func(ns, name string) runtime.Object { return newServiceAccount(ns, name) }, deletedAtOnce},
	{"events", coreGV.WithResource("events"), true, func(ns, name string) runtime.Object { return newCoreEvent(ns, name) }, deletedAtOnce},
	{"leases", coordinationv1.SchemeGroupVersion.WithResource("leases"), true, func(ns, name string) runtime.Object { return newLease(ns, name) }, deletedAtOnce},
	{"endpointslices", discoveryv1.SchemeGroupVersion.WithResource("endpointslices"), true, func(ns, name string) runtime.Object { return newEndpointSlice(ns, name) }, deletedAtOnce},
	{"events.k8s.io", eventsv1.SchemeGroupVersion.WithResource("events"), true, func(ns, name string) runtime.Object { return newEventsV1Event(ns, name) }, deletedAtOnce},
}

var kindOf = map[string]string{
	"namespaces": "Namespace", "nodes": "Node", "pods": "Pod", "services": "Service", "endpoints": "Endpoints",
	"configmaps": "ConfigMap", "secrets": "Secret", "serviceaccounts": "ServiceAccount", "events": "Event",
	"leases": "Lease", "endpointslices": "EndpointSlice",
}

// toUnstructured turns a typed object into the unstructured one a dynamic client sends.
func toUnstructured(t testing.TB, obj runtime.Object, gvr schema.GroupVersionResource) *unstructured.Unstructured {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetAPIVersion(gvr.GroupVersion().String())
	u.SetKind(kindOf[gvr.Resource])
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(u.Object, "status")
	return u
}

// TestAPIDynamicCRUD runs create/get/list/update/patch/delete through the dynamic client for
// every served resource.
func TestAPIDynamicCRUD(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	ns := createNamespace(t, c)
	for _, tc := range dynamicCases {
		t.Run(tc.resource, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			// One name per resource: the endpoints controller owns the Endpoints named after a
			// Service, so the two cases must not share a name.
			name := "dynamic-" + strings.ReplaceAll(tc.resource, ".", "-")
			var client dynamic.ResourceInterface = c.Dynamic.Resource(tc.gvr)
			if tc.namespaced {
				client = c.Dynamic.Resource(tc.gvr).Namespace(ns)
			} else {
				name = uniqueName("dynamic")
			}
			base := tc.obj(ns, name)
			obj := toUnstructured(t, base, tc.gvr)

			created, err := client.Create(ctx, obj, metav1.CreateOptions{})
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			if created.GetUID() == "" || created.GetResourceVersion() == "" {
				t.Fatalf("create returned %v", created.Object)
			}
			if created.GetAPIVersion() != tc.gvr.GroupVersion().String() || created.GetKind() != kindOf[tc.gvr.Resource] {
				t.Fatalf("create returned %s %s", created.GetAPIVersion(), created.GetKind())
			}

			listOpts := metav1.ListOptions{FieldSelector: "metadata.name=" + name}
			list, err := client.List(ctx, listOpts)
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			if len(list.Items) != 1 || list.Items[0].GetUID() != created.GetUID() {
				t.Fatalf("list by name returned %d items", len(list.Items))
			}

			var updated *unstructured.Unstructured
			err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
				got, err := client.Get(ctx, name, metav1.GetOptions{})
				if err != nil {
					return err
				}
				got.SetAnnotations(map[string]string{"step": "update"})
				updated, err = client.Update(ctx, got, metav1.UpdateOptions{})
				return err
			})
			if err != nil {
				t.Fatalf("update: %v", err)
			}
			if updated.GetAnnotations()["step"] != "update" {
				t.Fatalf("update: annotations %v", updated.GetAnnotations())
			}

			for _, p := range []struct {
				pt   types.PatchType
				body string
				key  string
			}{
				{types.MergePatchType, `{"metadata":{"annotations":{"merge":"yes"}}}`, "merge"},
				{types.StrategicMergePatchType, `{"metadata":{"annotations":{"strategic":"yes"}}}`, "strategic"},
				{types.JSONPatchType, `[{"op":"add","path":"/metadata/annotations/json","value":"yes"}]`, "json"},
			} {
				patched, err := client.Patch(ctx, name, p.pt, []byte(p.body), metav1.PatchOptions{})
				if err != nil {
					t.Fatalf("%s patch: %v", p.pt, err)
				}
				if patched.GetAnnotations()[p.key] != "yes" || patched.GetAnnotations()["step"] != "update" {
					t.Fatalf("%s patch: annotations %v", p.pt, patched.GetAnnotations())
				}
			}

			// Server-side apply of the whole manifest, as kubectl apply --server-side sends it.
			manifest := toUnstructured(t, base, tc.gvr)
			manifest.SetAnnotations(map[string]string{"applied": "yes"})
			applied, err := client.Apply(ctx, name, manifest, metav1.ApplyOptions{FieldManager: "e2e-dynamic", Force: true})
			if err != nil {
				t.Fatalf("apply: %v", err)
			}
			for _, k := range []string{"step", "merge", "strategic", "json", "applied"} {
				if applied.GetAnnotations()[k] == "" {
					t.Fatalf("apply: annotation %q lost: %v", k, applied.GetAnnotations())
				}
			}
			if !hasManager(applied.GetManagedFields(), "e2e-dynamic", metav1.ManagedFieldsOperationApply) {
				t.Fatalf("apply: managedFields %+v", applied.GetManagedFields())
			}

			if err := client.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
				t.Fatalf("delete: %v", err)
			}
			after, err := client.Get(ctx, name, metav1.GetOptions{})
			if tc.del == deletedLater {
				if err != nil || after.GetDeletionTimestamp() == nil {
					t.Fatalf("after delete: %v, deletionTimestamp %v", err, after)
				}
				return
			}
			expectNotFound(t, err)
		})
	}
}

// TestAPIEventsCohabitation checks that events.k8s.io/v1 and core/v1 Events are two views of
// the same objects, with the renamed fields mapped.
func TestAPIEventsCohabitation(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	ctx := testContext(t)
	ns := createNamespace(t, c)

	t.Run("events.k8s.io seen as core", func(t *testing.T) {
		created, err := c.Client.EventsV1().Events(ns).Create(ctx, newEventsV1Event(ns, "new-style"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		core, err := c.Client.CoreV1().Events(ns).Get(ctx, "new-style", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("reading an events.k8s.io event through core/v1: %v", err)
		}
		if core.UID != created.UID || core.ResourceVersion != created.ResourceVersion {
			t.Fatalf("core view is another object: uid %s rv %s, created uid %s rv %s", core.UID, core.ResourceVersion, created.UID, created.ResourceVersion)
		}
		if core.Message != created.Note || core.InvolvedObject != created.Regarding {
			t.Fatalf("fields not mapped: message %q involvedObject %+v, note %q regarding %+v", core.Message, core.InvolvedObject, created.Note, created.Regarding)
		}
		if core.ReportingController != "e2e.k1s.dev/controller" || core.ReportingInstance != "e2e-1" || core.Action != "Binding" || core.Reason != "Scheduled" || core.EventTime.IsZero() {
			t.Fatalf("core view lost fields: %+v", core)
		}
		list, err := c.Client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=web-1"})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Items) != 1 || list.Items[0].Name != "new-style" {
			t.Fatalf("core list by involvedObject.name: %d items", len(list.Items))
		}
	})

	t.Run("core seen as events.k8s.io", func(t *testing.T) {
		created, err := c.Client.CoreV1().Events(ns).Create(ctx, newCoreEvent(ns, "old-style"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ev, err := c.Client.EventsV1().Events(ns).Get(ctx, "old-style", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("reading a core event through events.k8s.io: %v", err)
		}
		if ev.UID != created.UID {
			t.Fatalf("uid %s, created %s", ev.UID, created.UID)
		}
		if ev.Note != created.Message || ev.Regarding != created.InvolvedObject {
			t.Fatalf("fields not mapped: note %q regarding %+v, message %q involvedObject %+v", ev.Note, ev.Regarding, created.Message, created.InvolvedObject)
		}
		if ev.DeprecatedSource != created.Source || ev.DeprecatedCount != 1 || !ev.DeprecatedFirstTimestamp.Equal(&created.FirstTimestamp) {
			t.Fatalf("deprecated fields not mapped: %+v", ev)
		}
		list, err := c.Client.EventsV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "regarding.name=web-0"})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Items) != 1 || list.Items[0].Name != "old-style" {
			t.Fatalf("events.k8s.io list by regarding.name: %d items", len(list.Items))
		}
	})

	t.Run("update through the other API", func(t *testing.T) {
		ev, err := c.Client.EventsV1().Events(ns).Get(ctx, "old-style", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ev.Labels = map[string]string{"via": "events.k8s.io"}
		if _, err := c.Client.EventsV1().Events(ns).Update(ctx, ev, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("updating a core event through events.k8s.io: %v", err)
		}
		core, err := c.Client.CoreV1().Events(ns).Get(ctx, "old-style", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if core.Labels["via"] != "events.k8s.io" || core.Message != "Started container app" || core.Count != 1 {
			t.Fatalf("core event after the update: %+v", core)
		}
		if err := c.Client.CoreV1().Events(ns).Delete(ctx, "new-style", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		_, err = c.Client.EventsV1().Events(ns).Get(ctx, "new-style", metav1.GetOptions{})
		expectNotFound(t, err)
	})

	// The garbage collector ignores events, so a delete asking for foreground or
	// orphan propagation must not leave a finalizer behind: the event goes at once.
	t.Run("delete with a propagation policy", func(t *testing.T) {
		for name, policy := range map[string]metav1.DeletionPropagation{"foreground": metav1.DeletePropagationForeground, "orphan": metav1.DeletePropagationOrphan} {
			if _, err := c.Client.CoreV1().Events(ns).Create(ctx, newCoreEvent(ns, name), metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := c.Client.EventsV1().Events(ns).Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &policy}); err != nil {
				t.Fatalf("delete with %s propagation: %v", policy, err)
			}
			_, err := c.Client.CoreV1().Events(ns).Get(ctx, name, metav1.GetOptions{})
			expectNotFound(t, err)
		}
	})

	t.Run("watch through the other API", func(t *testing.T) {
		list, err := c.Client.EventsV1().Events(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		w, err := c.Client.EventsV1().Events(ns).Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
		ev := newCoreEvent(ns, "watched")
		ev.Message = "seen through events.k8s.io"
		if _, err := c.Client.CoreV1().Events(ns).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		got := nextEvent(t, w)
		e, ok := got.Object.(*eventsv1.Event)
		if got.Type != watch.Added || !ok || e.Name != "watched" || e.Note != "seen through events.k8s.io" || e.Regarding.Name != "web-0" {
			t.Fatalf("events.k8s.io watch got %s %#v", got.Type, got.Object)
		}
	})

	t.Run("strict validation only for events.k8s.io", func(t *testing.T) {
		// The new API requires eventTime and friends; the core API accepts old-style events.
		ev := newEventsV1Event(ns, "no-time")
		ev.EventTime = metav1.MicroTime{}
		_, err := c.Client.EventsV1().Events(ns).Create(ctx, ev, metav1.CreateOptions{})
		expectInvalidField(t, err, "eventTime")
	})
}
