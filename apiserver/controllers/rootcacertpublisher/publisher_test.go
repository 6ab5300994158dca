package rootcacertpublisher

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/klog/v2/ktesting"
)

const rootCA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

func TestSyncNamespace(t *testing.T) {
	want := map[string]string{"ca.crt": rootCA}
	tests := []struct {
		name     string
		existing *corev1.ConfigMap
		wantVerb string
	}{
		{name: "missing", wantVerb: "create"},
		{
			name:     "up to date",
			existing: &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: RootCACertConfigMapName, Annotations: map[string]string{DescriptionAnnotation: Description}}, Data: want},
		},
		{
			name:     "stale CA",
			existing: &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: RootCACertConfigMapName, Annotations: map[string]string{DescriptionAnnotation: Description}}, Data: map[string]string{"ca.crt": "old"}},
			wantVerb: "update",
		},
		{
			name:     "description missing",
			existing: &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: RootCACertConfigMapName}, Data: want},
			wantVerb: "update",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ctx := ktesting.NewTestContext(t)
			client := fake.NewClientset()
			if tc.existing != nil {
				client = fake.NewClientset(tc.existing)
			}
			factory := informers.NewSharedInformerFactory(client, 0)
			p, err := New(factory.Core().V1().ConfigMaps(), factory.Core().V1().Namespaces(), client, []byte(rootCA))
			if err != nil {
				t.Fatal(err)
			}
			if tc.existing != nil {
				_ = factory.Core().V1().ConfigMaps().Informer().GetIndexer().Add(tc.existing)
			}
			var before *corev1.ConfigMap
			if tc.existing != nil {
				before = tc.existing.DeepCopy()
			}
			if err := p.syncNamespace(ctx, "a"); err != nil {
				t.Fatal(err)
			}
			if before != nil && !apiequality.Semantic.DeepEqual(before, tc.existing) {
				t.Error("the informer's copy was modified")
			}
			var verbs []string
			for _, a := range client.Actions() {
				verbs = append(verbs, a.GetVerb())
			}
			switch {
			case tc.wantVerb == "" && len(verbs) != 0:
				t.Errorf("wrote %v, want nothing", verbs)
			case tc.wantVerb != "" && (len(verbs) != 1 || verbs[0] != tc.wantVerb):
				t.Errorf("wrote %v, want %s", verbs, tc.wantVerb)
			}
			if tc.wantVerb == "" {
				return
			}
			cm, err := client.CoreV1().ConfigMaps("a").Get(ctx, RootCACertConfigMapName, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if cm.Data["ca.crt"] != rootCA || cm.Annotations[DescriptionAnnotation] != Description {
				t.Errorf("configmap %+v", cm)
			}
		})
	}
}

func TestRun(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	client := fake.NewClientset(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}})
	factory := informers.NewSharedInformerFactory(client, 0)
	cmFactory := ConfigMapInformerFactory(client, 0)
	p, err := New(cmFactory.Core().V1().ConfigMaps(), factory.Core().V1().Namespaces(), client, []byte(rootCA))
	if err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	cmFactory.Start(ctx.Done())
	done := make(chan struct{})
	go func() { defer close(done); p.Run(ctx, 1) }()
	defer func() { cancel(); <-done; factory.Shutdown(); cmFactory.Shutdown() }()

	published := func(ctx context.Context) (bool, error) {
		cm, err := client.CoreV1().ConfigMaps("a").Get(ctx, RootCACertConfigMapName, metav1.GetOptions{})
		return err == nil && cm.Data["ca.crt"] == rootCA, nil
	}
	if err := wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 10*time.Second, true, published); err != nil {
		t.Fatalf("not published: %v", err)
	}
	// A user overwriting it gets it back.
	cm, _ := client.CoreV1().ConfigMaps("a").Get(ctx, RootCACertConfigMapName, metav1.GetOptions{})
	cm.Data["ca.crt"] = "tampered"
	if _, err := client.CoreV1().ConfigMaps("a").Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 10*time.Second, false, published); err != nil {
		t.Fatalf("not restored: %v", err)
	}
}
