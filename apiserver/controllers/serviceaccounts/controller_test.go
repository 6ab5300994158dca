package serviceaccounts

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/klog/v2/ktesting"
)

func namespace(name string, phase corev1.NamespacePhase) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NamespaceStatus{Phase: phase}}
}

func TestSyncNamespace(t *testing.T) {
	tests := []struct {
		name       string
		namespace  *corev1.Namespace
		existing   bool
		wantCreate bool
	}{
		{name: "new namespace", namespace: namespace("a", corev1.NamespaceActive), wantCreate: true},
		{name: "already there", namespace: namespace("a", corev1.NamespaceActive), existing: true},
		{name: "terminating namespace", namespace: namespace("a", corev1.NamespaceTerminating)},
		{name: "namespace gone"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ctx := ktesting.NewTestContext(t)
			client := fake.NewClientset()
			factory := informers.NewSharedInformerFactory(client, 0)
			c, err := New(factory.Core().V1().ServiceAccounts(), factory.Core().V1().Namespaces(), client)
			if err != nil {
				t.Fatal(err)
			}
			if tc.namespace != nil {
				_ = factory.Core().V1().Namespaces().Informer().GetIndexer().Add(tc.namespace)
			}
			if tc.existing {
				_ = factory.Core().V1().ServiceAccounts().Informer().GetIndexer().Add(&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "default"}})
			}
			if err := c.syncNamespace(ctx, "a"); err != nil {
				t.Fatal(err)
			}
			created := 0
			for _, a := range client.Actions() {
				if a.GetVerb() == "create" && a.GetResource().Resource == "serviceaccounts" && a.GetNamespace() == "a" {
					created++
				}
			}
			if want := map[bool]int{true: 1}[tc.wantCreate]; created != want {
				t.Errorf("%d creates, want %d", created, want)
			}
		})
	}
}

// TestRun: a running controller creates "default" in new namespaces and recreates it
// when deleted.
func TestRun(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	client := fake.NewClientset(namespace("a", corev1.NamespaceActive))
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := New(factory.Core().V1().ServiceAccounts(), factory.Core().V1().Namespaces(), client)
	if err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx, 1) }()
	defer func() { cancel(); <-done; factory.Shutdown() }()

	waitFor := func(ns string) {
		t.Helper()
		err := wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
			_, err := client.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
			return err == nil, nil
		})
		if err != nil {
			t.Fatalf("no default service account in %s: %v", ns, err)
		}
	}
	waitFor("a")
	if _, err := client.CoreV1().Namespaces().Create(ctx, namespace("b", corev1.NamespaceActive), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor("b")
	if err := client.CoreV1().ServiceAccounts("b").Delete(ctx, "default", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor("b")
	if _, err := client.CoreV1().ServiceAccounts("c").Get(ctx, "default", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("service account in a namespace that does not exist: %v", err)
	}
}
