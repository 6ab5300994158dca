package e2e

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	"github.com/k1s-dev/k1s/e2e/framework"
)

// informerEvent is what an informer's handler saw.
type informerEvent struct {
	kind   string // add, update, delete
	name   string
	labels map[string]string
}

// TestAPIInformers runs a client-go SharedInformerFactory over every served resource and
// checks that each informer syncs (seeing an object created before it started) and then
// delivers an add, an update and a delete.
func TestAPIInformers(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	ctx := testContext(t)
	ns := createNamespace(t, c)
	factory := informers.NewSharedInformerFactoryWithOptions(c.Client, 0)
	nsFactory := informers.NewSharedInformerFactoryWithOptions(c.Client, 0, informers.WithNamespace(ns))

	informerFor := map[string]cache.SharedIndexInformer{
		"namespaces":      factory.Core().V1().Namespaces().Informer(),
		"nodes":           factory.Core().V1().Nodes().Informer(),
		"pods":            nsFactory.Core().V1().Pods().Informer(),
		"services":        nsFactory.Core().V1().Services().Informer(),
		"endpoints":       nsFactory.Core().V1().Endpoints().Informer(),
		"configmaps":      nsFactory.Core().V1().ConfigMaps().Informer(),
		"secrets":         nsFactory.Core().V1().Secrets().Informer(),
		"serviceaccounts": nsFactory.Core().V1().ServiceAccounts().Informer(),
		"events":          nsFactory.Core().V1().Events().Informer(),
		"leases":          nsFactory.Coordination().V1().Leases().Informer(),
		"endpointslices":  nsFactory.Discovery().V1().EndpointSlices().Informer(),
		"events.k8s.io":   nsFactory.Events().V1().Events().Informer(),
	}

	// One object of each resource exists before the informers start.
	existing := map[string]string{}
	for _, tc := range dynamicCases {
		name := uniqueName("before")
		client := c.Dynamic.Resource(tc.gvr).Namespace(ns)
		if !tc.namespaced {
			client = c.Dynamic.Resource(tc.gvr).Namespace("")
		}
		if _, err := client.Create(ctx, toUnstructured(t, tc.obj(ns, name), tc.gvr), metav1.CreateOptions{}); err != nil {
			t.Fatalf("creating %s %s: %v", tc.resource, name, err)
		}
		existing[tc.resource] = name
	}

	seen := map[string]chan informerEvent{}
	for resource, informer := range informerFor {
		ch := make(chan informerEvent, 100)
		seen[resource] = ch
		record := func(kind string, obj any) {
			if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tombstone.Obj
			}
			m, err := meta.Accessor(obj)
			if err != nil {
				t.Errorf("%s informer: %v", resource, err)
				return
			}
			ch <- informerEvent{kind: kind, name: m.GetName(), labels: m.GetLabels()}
		}
		if _, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { record("add", obj) },
			UpdateFunc: func(_, obj any) { record("update", obj) },
			DeleteFunc: func(obj any) { record("delete", obj) },
		}); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	defer close(stop)
	factory.Start(stop)
	nsFactory.Start(stop)
	for typ, ok := range factory.WaitForCacheSync(stop) {
		if !ok {
			t.Fatalf("informer of %v did not sync", typ)
		}
	}
	for typ, ok := range nsFactory.WaitForCacheSync(stop) {
		if !ok {
			t.Fatalf("informer of %v did not sync", typ)
		}
	}

	for _, tc := range dynamicCases {
		t.Run(tc.resource, func(t *testing.T) {
			informer := informerFor[tc.resource]
			key := existing[tc.resource]
			if tc.namespaced {
				key = ns + "/" + key
			}
			if _, ok, err := informer.GetStore().GetByKey(key); err != nil || !ok {
				t.Fatalf("the synced cache lacks %s (ok=%v, err=%v); keys %v", key, ok, err, informer.GetStore().ListKeys())
			}

			ctx := testContext(t)
			name := uniqueName("informer")
			client := c.Dynamic.Resource(tc.gvr).Namespace(ns)
			if !tc.namespaced {
				client = c.Dynamic.Resource(tc.gvr).Namespace("")
			}
			ch := seen[tc.resource]
			waitFor := func(kind string, match func(informerEvent) bool) {
				t.Helper()
				timeout := time.After(30 * time.Second)
				for {
					select {
					case ev := <-ch:
						if ev.name == name && ev.kind == kind && match(ev) {
							return
						}
					case <-timeout:
						t.Fatalf("the %s informer did not deliver %s of %s", tc.resource, kind, name)
					}
				}
			}
			anyEvent := func(informerEvent) bool { return true }

			if _, err := client.Create(ctx, toUnstructured(t, tc.obj(ns, name), tc.gvr), metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			waitFor("add", anyEvent)
			if _, err := client.Patch(ctx, name, types.MergePatchType, []byte(`{"metadata":{"labels":{"informer":"updated"}}}`), metav1.PatchOptions{}); err != nil {
				t.Fatal(err)
			}
			waitFor("update", func(ev informerEvent) bool { return ev.labels["informer"] == "updated" })
			if err := client.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			if tc.resource == "namespaces" {
				// No namespace controller yet: finalize it as that controller would.
				finalizeNamespace(t, c, name)
			}
			waitFor("delete", anyEvent)
		})
	}
}

// finalizeNamespace removes a terminating namespace's finalizers through
// namespaces/finalize, as the namespace controller does once the namespace is empty.
func finalizeNamespace(t testing.TB, c *framework.Cluster, name string) {
	t.Helper()
	ctx := testContext(t)
	nsObj, err := c.Client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nsObj.Spec.Finalizers = nil
	if _, err := c.Client.CoreV1().Namespaces().Finalize(ctx, nsObj, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("finalizing namespace %s: %v", name, err)
	}
}

// nextEvent returns the next event of w, failing after 30 s.
func nextEvent(t testing.TB, w watch.Interface) watch.Event {
	t.Helper()
	select {
	case ev, ok := <-w.ResultChan():
		if !ok {
			t.Fatalf("watch closed early")
		}
		if ev.Type == watch.Error {
			t.Fatalf("watch error: %v", apierrors.FromObject(ev.Object))
		}
		return ev
	case <-time.After(30 * time.Second):
		t.Fatalf("no watch event within 30s")
	}
	return watch.Event{}
}

func eventName(ev watch.Event) string {
	m, err := meta.Accessor(ev.Object)
	if err != nil {
		return fmt.Sprintf("<%T>", ev.Object)
	}
	return m.GetName()
}

// TestAPIWatch checks resuming a watch from a resourceVersion and bookmarks.
func TestAPIWatch(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	ns := createNamespace(t, c)
	other := createNamespace(t, c)
	cms := c.Client.CoreV1().ConfigMaps(ns)

	t.Run("resume from resourceVersion", func(t *testing.T) {
		ctx := testContext(t)
		if _, err := cms.Create(ctx, newConfigMap(ns, "before-1"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		mark, err := cms.Create(ctx, newConfigMap(ns, "before-2"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// These happen after the mark: a watch from the mark sees them and only them.
		if _, err := cms.Patch(ctx, "before-1", types.MergePatchType, []byte(`{"data":{"key":"changed"}}`), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := cms.Create(ctx, newConfigMap(ns, "after-1"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := cms.Delete(ctx, "before-2", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}

		w, err := cms.Watch(ctx, metav1.ListOptions{ResourceVersion: mark.ResourceVersion})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
		want := []string{"MODIFIED before-1", "ADDED after-1", "DELETED before-2"}
		var got []string
		for range want {
			ev := nextEvent(t, w)
			got = append(got, fmt.Sprintf("%s %s", ev.Type, eventName(ev)))
			if ev.Type == watch.Modified && ev.Object.(*corev1.ConfigMap).Data["key"] != "changed" {
				t.Fatalf("MODIFIED carries the old data: %v", ev.Object)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("events from rv %s: %v, want %v", mark.ResourceVersion, got, want)
		}
		// Live events follow the replayed ones.
		if _, err := cms.Create(ctx, newConfigMap(ns, "after-2"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if ev := nextEvent(t, w); ev.Type != watch.Added || eventName(ev) != "after-2" {
			t.Fatalf("live event: %s %s, want ADDED after-2", ev.Type, eventName(ev))
		}
	})

	t.Run("initial events end with a bookmark", func(t *testing.T) {
		ctx := testContext(t)
		for i := range 3 {
			if _, err := cms.Create(ctx, newConfigMap(ns, fmt.Sprintf("initial-%d", i)), metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		w, err := cms.Watch(ctx, metav1.ListOptions{
			LabelSelector:        "",
			FieldSelector:        "",
			AllowWatchBookmarks:  true,
			SendInitialEvents:    ptr.To(true),
			ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan,
		})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
		var initial []string
		for {
			ev := nextEvent(t, w)
			if ev.Type == watch.Bookmark {
				m, _ := meta.Accessor(ev.Object)
				if m.GetAnnotations()[metav1.InitialEventsAnnotationKey] != "true" {
					t.Fatalf("the bookmark after the initial events lacks %s: %v", metav1.InitialEventsAnnotationKey, m.GetAnnotations())
				}
				if m.GetResourceVersion() == "" {
					t.Fatalf("bookmark without resourceVersion")
				}
				break
			}
			if ev.Type != watch.Added {
				t.Fatalf("initial event %s %s, want ADDED", ev.Type, eventName(ev))
			}
			initial = append(initial, eventName(ev))
		}
		for i := range 3 {
			if !slices.Contains(initial, fmt.Sprintf("initial-%d", i)) {
				t.Fatalf("initial events %v lack initial-%d", initial, i)
			}
		}
		list, err := cms.List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(initial) != len(list.Items) {
			t.Fatalf("%d initial events, %d configmaps listed", len(initial), len(list.Items))
		}
	})

	t.Run("periodic bookmark", func(t *testing.T) {
		// The watch cache sends a bookmark shortly before a watch's timeout (and every
		// minute), carrying the latest resourceVersion it has processed when that is past
		// the watch's own. A 4 s timeout makes it due after about 2 s; a write in another
		// namespace moves the resource's resourceVersion on without an event for this
		// watch. The bookmark is dispatched on a 1 s tick, so on a starved machine one
		// watch may end first: up to three watches are tried.
		ctx := testContext(t)
		for attempt := 1; attempt <= 3; attempt++ {
			list, err := cms.List(ctx, metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			w, err := cms.Watch(ctx, metav1.ListOptions{
				ResourceVersion:     list.ResourceVersion,
				AllowWatchBookmarks: true,
				TimeoutSeconds:      ptr.To[int64](4),
			})
			if err != nil {
				t.Fatal(err)
			}
			elsewhere, err := c.Client.CoreV1().ConfigMaps(other).Create(ctx, newConfigMap(other, uniqueName("elsewhere")), metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for ev := range w.ResultChan() {
				if ev.Type != watch.Bookmark {
					t.Fatalf("got %s %s before the bookmark; the write was in another namespace", ev.Type, eventName(ev))
				}
				cm, ok := ev.Object.(*corev1.ConfigMap)
				if !ok {
					t.Fatalf("bookmark object is a %T, want *ConfigMap", ev.Object)
				}
				rv, err := strconv.ParseUint(cm.ResourceVersion, 10, 64)
				if err != nil {
					t.Fatalf("bookmark resourceVersion %q: %v", cm.ResourceVersion, err)
				}
				if written, _ := strconv.ParseUint(elsewhere.ResourceVersion, 10, 64); rv < written {
					t.Fatalf("bookmark at rv %d, before the write at %d", rv, written)
				}
				if cm.Name != "" || len(cm.Data) != 0 {
					t.Fatalf("bookmark carries an object: %+v", cm)
				}
				w.Stop()
				return
			}
			w.Stop()
			t.Logf("watch %d ended without a bookmark", attempt)
		}
		t.Fatal("three watches ended without a bookmark")
	})
}

// TestAPIProtobuf drives pods and nodes with a protobuf client, as kube components do.
func TestAPIProtobuf(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	ctx := testContext(t)
	ns := createNamespace(t, c)
	client, err := kubernetes.NewForConfig(c.ProtobufConfig())
	if err != nil {
		t.Fatal(err)
	}

	pods, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	podWatch, err := client.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{ResourceVersion: pods.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer podWatch.Stop()
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nodeName := uniqueName("proto")
	nodeWatch, err := client.CoreV1().Nodes().Watch(ctx, metav1.ListOptions{ResourceVersion: nodes.ResourceVersion, FieldSelector: "metadata.name=" + nodeName})
	if err != nil {
		t.Fatal(err)
	}
	defer nodeWatch.Stop()

	pod := newPod(ns, "proto")
	pod.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "GREETING", Value: "hello"}}
	created, err := client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("protobuf create pod: %v", err)
	}
	if created.UID == "" || created.Spec.Containers[0].Env[0].Value != "hello" || created.Spec.RestartPolicy != corev1.RestartPolicyAlways {
		t.Fatalf("protobuf create pod returned %+v", created.Spec)
	}
	node := newNode(nodeName)
	node.Spec.PodCIDR = "10.244.3.0/24"
	if _, err := client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		t.Fatalf("protobuf create node: %v", err)
	}

	if ev := nextEvent(t, podWatch); ev.Type != watch.Added || eventName(ev) != "proto" {
		t.Fatalf("pod watch: %s %s", ev.Type, eventName(ev))
	}
	ev := nextEvent(t, nodeWatch)
	if n, ok := ev.Object.(*corev1.Node); ev.Type != watch.Added || !ok || n.Name != nodeName || len(n.Spec.PodCIDRs) != 1 {
		t.Fatalf("node watch: %s %v", ev.Type, ev.Object)
	}

	podList, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil || len(podList.Items) != 1 || podList.Items[0].UID != created.UID {
		t.Fatalf("protobuf list pods: %v %v", err, podList)
	}
	nodeList, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + nodeName})
	if err != nil || len(nodeList.Items) != 1 {
		t.Fatalf("protobuf list nodes: %v %v", err, nodeList)
	}

	// The server really answers in protobuf (the "k8s\x00" envelope), not JSON.
	raw, err := client.CoreV1().RESTClient().Get().Namespace(ns).Resource("pods").Name("proto").
		SetHeader("Accept", "application/vnd.kubernetes.protobuf").DoRaw(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, []byte("k8s\x00")) {
		t.Fatalf("protobuf get returned %q...", raw[:min(len(raw), 20)])
	}

	// And a JSON client sees what the protobuf client wrote.
	got, err := c.Client.CoreV1().Pods(ns).Get(ctx, "proto", metav1.GetOptions{})
	if err != nil || got.Spec.Containers[0].Env[0].Value != "hello" {
		t.Fatalf("json get of a protobuf-written pod: %v %v", err, got)
	}
	if err := client.CoreV1().Pods(ns).Delete(ctx, "proto", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	expectDeletedEvent(t, podWatch, "proto")
}

// expectDeletedEvent reads w until name is DELETED. Graceful deletion first records the
// deletionTimestamp (a MODIFIED event, as upstream) even when the grace period is 0.
func expectDeletedEvent(t testing.TB, w watch.Interface, name string) {
	t.Helper()
	for {
		ev := nextEvent(t, w)
		m, err := meta.Accessor(ev.Object)
		if err != nil || m.GetName() != name {
			t.Fatalf("watch: %s %s while waiting for the deletion of %s", ev.Type, eventName(ev), name)
		}
		switch {
		case ev.Type == watch.Deleted:
			return
		case ev.Type == watch.Modified && m.GetDeletionTimestamp() != nil:
			continue
		default:
			t.Fatalf("watch: %s %s while waiting for its deletion", ev.Type, name)
		}
	}
}
