package e2e

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/watch"
)

// TestAPIPagination lists 25 configmaps 10 at a time.
func TestAPIPagination(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	ctx := testContext(t)
	ns := createNamespace(t, c)
	cms := c.Client.CoreV1().ConfigMaps(ns)
	// Every namespace holds kube-root-ca.crt, which sorts first.
	want := []string{"kube-root-ca.crt"}
	for i := range 25 {
		name := fmt.Sprintf("page-%02d", i)
		want = append(want, name)
		if _, err := cms.Create(ctx, newConfigMap(ns, name), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	// page lists everything with opts, 10 at a time, checking that every page comes from
	// the same snapshot and that remainingItemCount counts down.
	page := func(t *testing.T, opts metav1.ListOptions) (names []string, sizes []int) {
		t.Helper()
		opts.Limit = 10
		listRV := ""
		for n := 0; ; n++ {
			if n > 5 {
				t.Fatal("more than 5 pages")
			}
			list, err := cms.List(ctx, opts)
			if err != nil {
				t.Fatalf("page %d: %v", n, err)
			}
			if n == 0 {
				listRV = list.ResourceVersion
			} else if list.ResourceVersion != listRV {
				t.Fatalf("page %d is at rv %s, first page at %s: pages must be one snapshot", n, list.ResourceVersion, listRV)
			}
			sizes = append(sizes, len(list.Items))
			for _, item := range list.Items {
				names = append(names, item.Name)
			}
			if list.Continue == "" {
				if list.RemainingItemCount != nil {
					t.Fatalf("last page has remainingItemCount %d", *list.RemainingItemCount)
				}
				return names, sizes
			}
			if list.RemainingItemCount == nil || int(*list.RemainingItemCount) != len(want)-len(names) {
				t.Fatalf("page %d: remainingItemCount %v, want %d", n, list.RemainingItemCount, len(want)-len(names))
			}
			// The continue token carries the snapshot's resourceVersion.
			opts.Continue, opts.ResourceVersion, opts.ResourceVersionMatch = list.Continue, "", ""
			if n == 0 {
				// A write after the first page does not show in the later pages.
				if _, err := cms.Create(ctx, newConfigMap(ns, "page-late-"+rand.String(4)), metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	full, err := cms.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	snapshot := full.ResourceVersion

	t.Run("latest", func(t *testing.T) {
		got, sizes := page(t, metav1.ListOptions{})
		if !slices.Equal(sizes, []int{10, 10, 6}) {
			t.Fatalf("page sizes %v, want [10 10 6]", sizes)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("paged names %v, want %v", got, want)
		}
	})

	t.Run("exact resourceVersion", func(t *testing.T) {
		// Paging an older snapshot leaves out what was created since.
		got, sizes := page(t, metav1.ListOptions{ResourceVersion: snapshot, ResourceVersionMatch: metav1.ResourceVersionMatchExact})
		if !slices.Equal(sizes, []int{10, 10, 6}) {
			t.Fatalf("page sizes %v, want [10 10 6]", sizes)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("paged names %v, want %v", got, want)
		}
	})

	t.Run("bad continue token", func(t *testing.T) {
		_, err := cms.List(ctx, metav1.ListOptions{Limit: 10, Continue: "not-a-token"})
		expectStatus(t, err, 400, metav1.StatusReasonBadRequest)
	})
}

// TestAPISelectors checks label selectors and the field selectors each resource supports.
func TestAPISelectors(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	ctx := testContext(t)
	ns := createNamespace(t, c)
	other := createNamespace(t, c)
	core := c.Client.CoreV1()

	names := func(list runtime.Object) []string {
		items, err := meta.ExtractList(list)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, item := range items {
			m, _ := meta.Accessor(item)
			out = append(out, m.GetName())
		}
		sort.Strings(out)
		return out
	}
	expectNames := func(what string, list runtime.Object, err error, want ...string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := names(list); !slices.Equal(got, want) {
			t.Fatalf("%s: got %v, want %v", what, got, want)
		}
	}

	t.Run("labels", func(t *testing.T) {
		for name, labels := range map[string]map[string]string{
			"prod-web": {"env": "prod", "tier": "web"},
			"prod-db":  {"env": "prod", "tier": "db"},
			"dev-web":  {"env": "dev", "tier": "web"},
			"plain":    nil,
		} {
			cm := newConfigMap(ns, name)
			cm.Labels = labels
			if _, err := core.ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		for selector, want := range map[string][]string{
			"env=prod":                       {"prod-db", "prod-web"},
			"env!=prod":                      {"dev-web", "kube-root-ca.crt", "plain"},
			"env in (prod,dev),tier!=db":     {"dev-web", "prod-web"},
			"tier":                           {"dev-web", "prod-db", "prod-web"},
			"!tier":                          {"kube-root-ca.crt", "plain"},
			"env notin (prod),tier in (web)": {"dev-web"},
			"env=staging":                    nil,
		} {
			list, err := core.ConfigMaps(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
			expectNames("label selector "+selector, list, err, want...)
		}
		_, err := core.ConfigMaps(ns).List(ctx, metav1.ListOptions{LabelSelector: "env in prod"})
		expectStatus(t, err, 400, metav1.StatusReasonBadRequest)
	})

	t.Run("metadata fields on every resource", func(t *testing.T) {
		for _, tc := range dynamicCases {
			name := uniqueName("fields")
			if tc.namespaced {
				// Same name in two namespaces: metadata.namespace tells them apart.
				for _, n := range []string{ns, other} {
					if _, err := c.Dynamic.Resource(tc.gvr).Namespace(n).Create(ctx, toUnstructured(t, tc.obj(n, name), tc.gvr), metav1.CreateOptions{}); err != nil {
						t.Fatalf("%s: %v", tc.resource, err)
					}
				}
				list, err := c.Dynamic.Resource(tc.gvr).List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name + ",metadata.namespace=" + other})
				if err != nil {
					t.Fatalf("%s: %v", tc.resource, err)
				}
				if len(list.Items) != 1 || list.Items[0].GetNamespace() != other || list.Items[0].GetName() != name {
					t.Fatalf("%s: name+namespace selector matched %d items", tc.resource, len(list.Items))
				}
				list, err = c.Dynamic.Resource(tc.gvr).List(ctx, metav1.ListOptions{FieldSelector: "metadata.namespace=" + other})
				if err != nil {
					t.Fatalf("%s: %v", tc.resource, err)
				}
				for _, item := range list.Items {
					if item.GetNamespace() != other {
						t.Fatalf("%s: metadata.namespace=%s matched %s/%s", tc.resource, other, item.GetNamespace(), item.GetName())
					}
				}
				continue
			}
			if _, err := c.Dynamic.Resource(tc.gvr).Create(ctx, toUnstructured(t, tc.obj("", name), tc.gvr), metav1.CreateOptions{}); err != nil {
				t.Fatalf("%s: %v", tc.resource, err)
			}
			list, err := c.Dynamic.Resource(tc.gvr).List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name})
			if err != nil {
				t.Fatalf("%s: %v", tc.resource, err)
			}
			if len(list.Items) != 1 || list.Items[0].GetName() != name {
				t.Fatalf("%s: metadata.name selector matched %d items", tc.resource, len(list.Items))
			}
			list, err = c.Dynamic.Resource(tc.gvr).List(ctx, metav1.ListOptions{FieldSelector: "metadata.name!=" + name})
			if err != nil {
				t.Fatalf("%s: %v", tc.resource, err)
			}
			for _, item := range list.Items {
				if item.GetName() == name {
					t.Fatalf("%s: metadata.name!=%s matched it", tc.resource, name)
				}
			}
		}
	})

	t.Run("pods", func(t *testing.T) {
		ns := createNamespace(t, c) // without the pods of the metadata test
		for _, p := range []struct {
			name, node, scheduler string
			phase                 corev1.PodPhase
		}{
			{"on-a-running", "node-a", "", corev1.PodRunning},
			{"on-a-pending", "node-a", "custom-scheduler", ""},
			{"on-b", "node-b", "", corev1.PodSucceeded},
			{"unbound", "", "custom-scheduler", ""},
		} {
			pod := newPod(ns, p.name)
			pod.Spec.NodeName = p.node
			pod.Spec.SchedulerName = p.scheduler
			created, err := core.Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if p.phase != "" {
				created.Status.Phase = p.phase
				if _, err := core.Pods(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
		}
		for selector, want := range map[string][]string{
			"spec.nodeName=node-a":                         {"on-a-pending", "on-a-running"},
			"spec.nodeName=":                               {"unbound"},
			"spec.nodeName!=":                              {"on-a-pending", "on-a-running", "on-b"},
			"status.phase=Running":                         {"on-a-running"},
			"status.phase=Pending":                         {"on-a-pending", "unbound"},
			"status.phase!=Succeeded,status.phase!=Failed": {"on-a-pending", "on-a-running", "unbound"},
			"spec.schedulerName=custom-scheduler":          {"on-a-pending", "unbound"},
			"spec.schedulerName=default-scheduler":         {"on-a-running", "on-b"},
			"spec.nodeName=node-a,status.phase=Running":    {"on-a-running"},
			"spec.nodeName=node-b,metadata.name=on-b":      {"on-b"},
			"spec.restartPolicy=Always,spec.nodeName=nope": nil,
			"spec.hostNetwork=false,spec.nodeName=node-b":  {"on-b"},
		} {
			list, err := core.Pods(ns).List(ctx, metav1.ListOptions{FieldSelector: selector})
			expectNames("pods "+selector, list, err, want...)
		}
		// A per-node watch, as a kubelet runs it, sees only that node's pods.
		list, err := core.Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		w, err := core.Pods(ns).Watch(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=node-b", ResourceVersion: list.ResourceVersion})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
		for _, node := range []string{"node-a", "node-b"} {
			pod := newPod(ns, "watched-"+node)
			pod.Spec.NodeName = node
			if _, err := core.Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		if ev := nextEvent(t, w); ev.Type != watch.Added || eventName(ev) != "watched-node-b" {
			t.Fatalf("node-b watch got %s %s, want ADDED watched-node-b", ev.Type, eventName(ev))
		}
	})

	t.Run("nodes", func(t *testing.T) {
		cordoned := newNode(uniqueName("cordoned"))
		cordoned.Spec.Unschedulable = true
		schedulable := newNode(uniqueName("schedulable"))
		for _, n := range []*corev1.Node{cordoned, schedulable} {
			if _, err := core.Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		list, err := core.Nodes().List(ctx, metav1.ListOptions{FieldSelector: "spec.unschedulable=true"})
		if err != nil {
			t.Fatal(err)
		}
		got := names(list)
		if !slices.Contains(got, cordoned.Name) || slices.Contains(got, schedulable.Name) {
			t.Fatalf("spec.unschedulable=true: %v", got)
		}
		list, err = core.Nodes().List(ctx, metav1.ListOptions{FieldSelector: "spec.unschedulable=false"})
		if err != nil {
			t.Fatal(err)
		}
		got = names(list)
		if slices.Contains(got, cordoned.Name) || !slices.Contains(got, schedulable.Name) {
			t.Fatalf("spec.unschedulable=false: %v", got)
		}
	})

	t.Run("namespaces, secrets, services", func(t *testing.T) {
		ns := createNamespace(t, c)
		terminating := createNamespace(t, c)
		if err := core.Namespaces().Delete(ctx, terminating, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		list, err := core.Namespaces().List(ctx, metav1.ListOptions{FieldSelector: "status.phase=Terminating"})
		if got := names(list); err != nil || !slices.Contains(got, terminating) || slices.Contains(got, ns) {
			t.Fatalf("namespaces status.phase=Terminating: %v %v", err, got)
		}
		list, err = core.Namespaces().List(ctx, metav1.ListOptions{FieldSelector: "status.phase=Active"})
		if got := names(list); err != nil || slices.Contains(got, terminating) || !slices.Contains(got, ns) || !slices.Contains(got, "kube-system") {
			t.Fatalf("namespaces status.phase=Active: %v %v", err, got)
		}

		tls := newSecret(ns, "tls")
		tls.Type = corev1.SecretTypeTLS
		tls.Data = map[string][]byte{corev1.TLSCertKey: []byte("cert"), corev1.TLSPrivateKeyKey: []byte("key")}
		for _, s := range []*corev1.Secret{tls, newSecret(ns, "opaque")} {
			if _, err := core.Secrets(ns).Create(ctx, s, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		secrets, err := core.Secrets(ns).List(ctx, metav1.ListOptions{FieldSelector: "type=" + string(corev1.SecretTypeTLS)})
		expectNames("secrets type=kubernetes.io/tls", secrets, err, "tls")

		np := newService(ns, "np")
		np.Spec.Type = corev1.ServiceTypeNodePort
		var clusterIP string
		for _, svc := range []*corev1.Service{np, newService(ns, "cip")} {
			created, err := core.Services(ns).Create(ctx, svc, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			clusterIP = created.Spec.ClusterIP
		}
		services, err := core.Services(ns).List(ctx, metav1.ListOptions{FieldSelector: "spec.type=NodePort"})
		expectNames("services spec.type=NodePort", services, err, "np")
		services, err = core.Services("").List(ctx, metav1.ListOptions{FieldSelector: "spec.clusterIP=" + clusterIP})
		expectNames("services spec.clusterIP", services, err, "cip")
	})

	t.Run("events", func(t *testing.T) {
		ns := createNamespace(t, c) // without the events of the metadata test
		podEvent := newCoreEvent(ns, "about-pod")
		nodeEvent := newCoreEvent(ns, "about-node")
		nodeEvent.InvolvedObject = corev1.ObjectReference{Kind: "Node", Name: "node-a", APIVersion: "v1"}
		nodeEvent.Namespace = metav1.NamespaceDefault
		newStyle := newEventsV1Event(ns, "new-style")
		for _, ev := range []*corev1.Event{podEvent, nodeEvent} {
			if _, err := core.Events(ev.Namespace).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.Client.EventsV1().Events(ns).Create(ctx, newStyle, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		list, err := core.Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=web-0"})
		expectNames("involvedObject.name=web-0", list, err, "about-pod")
		list, err = core.Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.kind=Pod"})
		expectNames("involvedObject.kind=Pod", list, err, "about-pod", "new-style")
		list, err = core.Events("").List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.kind=Node,involvedObject.name=node-a"})
		expectNames("involvedObject.kind=Node", list, err, "about-node")
		list, err = core.Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "reason=Scheduled,type=Normal"})
		expectNames("reason=Scheduled", list, err, "new-style")
		list, err = core.Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "source=kubelet"})
		expectNames("source=kubelet", list, err, "about-pod")

		evList, err := c.Client.EventsV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "regarding.name=web-1"})
		expectNames("regarding.name=web-1", evList, err, "new-style")
		evList, err = c.Client.EventsV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "regarding.kind=Pod,reportingController=e2e.k1s.dev/controller"})
		expectNames("regarding.kind=Pod,reportingController", evList, err, "new-style")
		// The core spelling is not a field of events.k8s.io, and vice versa.
		_, err = c.Client.EventsV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=web-1"})
		expectStatus(t, err, 400, metav1.StatusReasonBadRequest)
		_, err = core.Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "regarding.name=web-1"})
		expectStatus(t, err, 400, metav1.StatusReasonBadRequest)
	})

	t.Run("unsupported field label", func(t *testing.T) {
		for _, sel := range []struct {
			list  func() error
			label string
		}{
			{func() error {
				_, err := core.Pods(ns).List(ctx, metav1.ListOptions{FieldSelector: "spec.containers=app"})
				return err
			}, "spec.containers"},
			{func() error {
				_, err := core.ConfigMaps(ns).List(ctx, metav1.ListOptions{FieldSelector: "data.key=value"})
				return err
			}, "data.key"},
			{func() error {
				_, err := core.Nodes().List(ctx, metav1.ListOptions{FieldSelector: "status.phase=Running"})
				return err
			}, "status.phase"},
			{func() error {
				_, err := c.Client.CoordinationV1().Leases(ns).List(ctx, metav1.ListOptions{FieldSelector: "spec.holderIdentity=node-1"})
				return err
			}, "spec.holderIdentity"},
			{func() error {
				_, err := core.Pods(ns).Watch(ctx, metav1.ListOptions{FieldSelector: "spec.priority=1"})
				return err
			}, "spec.priority"},
		} {
			se := expectStatus(t, sel.list(), 400, metav1.StatusReasonBadRequest)
			if se == nil || !strings.Contains(se.ErrStatus.Message, sel.label) {
				t.Fatalf("the 400 does not name %s: %v", sel.label, se)
			}
		}
	})
}

// TestAPIConflicts checks optimistic concurrency: writes based on a stale
// resourceVersion fail with 409 Conflict and change nothing.
func TestAPIConflicts(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	ctx := testContext(t)
	ns := createNamespace(t, c)

	stale, err := c.Client.CoreV1().ConfigMaps(ns).Create(ctx, newConfigMap(ns, "cm"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fresh := stale.DeepCopy()
	fresh.Data["key"] = "first"
	fresh, err = c.Client.CoreV1().ConfigMaps(ns).Update(ctx, fresh, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	stale.Data["key"] = "second"
	_, err = c.Client.CoreV1().ConfigMaps(ns).Update(ctx, stale, metav1.UpdateOptions{})
	if !apierrors.IsConflict(err) {
		t.Fatalf("update with a stale resourceVersion: %v, want Conflict", err)
	}
	_, err = c.Client.CoreV1().ConfigMaps(ns).Patch(ctx, "cm", types.MergePatchType,
		[]byte(fmt.Sprintf(`{"metadata":{"resourceVersion":%q},"data":{"key":"third"}}`, stale.ResourceVersion)), metav1.PatchOptions{})
	if !apierrors.IsConflict(err) {
		t.Fatalf("patch with a stale resourceVersion: %v, want Conflict", err)
	}
	err = c.Client.CoreV1().ConfigMaps(ns).Delete(ctx, "cm", metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &stale.ResourceVersion}})
	if !apierrors.IsConflict(err) {
		t.Fatalf("delete with a stale resourceVersion precondition: %v, want Conflict", err)
	}
	got, err := c.Client.CoreV1().ConfigMaps(ns).Get(ctx, "cm", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Data["key"] != "first" || got.ResourceVersion != fresh.ResourceVersion {
		t.Fatalf("a conflicting write changed the configmap: %v rv %s", got.Data, got.ResourceVersion)
	}

	// The same through /status and for cluster-scoped objects. A namespace, not a
	// node: the node controllers write to a new node at any time, which would make
	// the first update below conflict too.
	nsObj, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: uniqueName("conflict")}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.Client.CoreV1().Namespaces().Delete(context.Background(), nsObj.Name, metav1.DeleteOptions{})
	})
	nsObj.Labels = map[string]string{"x": "y"}
	if _, err := c.Client.CoreV1().Namespaces().Update(ctx, nsObj, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	nsObj.Status.Conditions = []corev1.NamespaceCondition{{Type: corev1.NamespaceContentRemaining, Status: corev1.ConditionFalse}}
	_, err = c.Client.CoreV1().Namespaces().UpdateStatus(ctx, nsObj, metav1.UpdateOptions{})
	if !apierrors.IsConflict(err) {
		t.Fatalf("status update with a stale resourceVersion: %v, want Conflict", err)
	}

	// A wrong UID precondition is a conflict too.
	wrong := types.UID("00000000-0000-0000-0000-000000000000")
	err = c.Client.CoreV1().ConfigMaps(ns).Delete(ctx, "cm", metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &wrong}})
	if !apierrors.IsConflict(err) {
		t.Fatalf("delete with a wrong uid precondition: %v, want Conflict", err)
	}
}
