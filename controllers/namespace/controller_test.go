package namespace

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/k1s-dev/k1s/controllers/internal/controllertest"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "zero value", cfg: Config{}},
		{name: "defaults", cfg: DefaultConfig()},
		{name: "negative syncs", cfg: Config{ConcurrentNamespaceSyncs: -1}, wantErr: "--concurrent-namespace-syncs"},
		{name: "negative period", cfg: Config{NamespaceSyncPeriod: -time.Second}, wantErr: "--namespace-sync-period"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("Validate() = %v, want error containing %q", err, tc.wantErr)
			}
		})
	}
	if d := DefaultConfig(); d.ConcurrentNamespaceSyncs != 10 || d.NamespaceSyncPeriod != 5*time.Minute {
		t.Errorf("DefaultConfig() = %+v, want upstream's 10 and 5m", d)
	}
}

// TestRun drives the whole controller: a deleted namespace is left alone for
// the 5 s grace period, its content is deleted, it is requeued while content
// held by a finalizer remains, and finalized once that is gone.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(testContext(t))
	api := newFakeAPI(t, []runtime.Object{terminatingNamespace("ns"), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "live"}}},
		[]runtime.Object{
			object(configmapsGVR, "ConfigMap", "ns", "free"),
			object(configmapsGVR, "ConfigMap", "ns", "held", "example.com/hold"),
			object(configmapsGVR, "ConfigMap", "live", "keep"),
		})
	c, factory := newTestController(t, api, func() ([]*metav1.APIResourceList, error) { return testResources(), nil })
	hook := &syncHook{}
	c.onSynced = hook.record
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

	// Nothing happens before the grace period; then one pass deletes the free
	// content and reports the held one.
	controllertest.Eventually(t, func() bool {
		api.clock.Step(time.Second)
		return len(hook.get("ns")) > 0
	}, "first sync of ns")
	if waited := api.clock.Since(t0); waited < namespaceDeletionGracePeriod {
		t.Errorf("namespace synced after %v, before the %v grace period", waited, namespaceDeletionGracePeriod)
	}
	var remaining *ResourcesRemainingError
	if errs := hook.get("ns"); !errors.As(errs[0], &remaining) || remaining.Estimate != finalizerEstimateSeconds {
		t.Fatalf("first sync = %v, want content remaining for %d s", errs[0], finalizerEstimateSeconds)
	}
	if got := api.contentNames(t, configmapsGVR, "ns"); len(got) != 1 || got[0] != "held" {
		t.Errorf("config maps left = %v, want [held]", got)
	}
	ns := api.namespace(t, "ns")
	if c := getCondition(ns.Status.Conditions, corev1.NamespaceFinalizersRemaining); c == nil || c.Status != corev1.ConditionTrue {
		t.Errorf("NamespaceFinalizersRemaining = %+v, want True", c)
	}

	// The finalizer's owner finishes; the requeue after 15/2+1 s finalizes.
	api.removeContent(t, configmapsGVR, "ns", "held")
	api.clock.Step(8 * time.Second)
	// The hook runs after the sync returns, so wait for it rather than for
	// the namespace to go.
	controllertest.Eventually(t, func() bool {
		errs := hook.get("ns")
		return errs[len(errs)-1] == nil
	}, "a successful sync of ns")
	if ns := api.namespace(t, "ns"); ns != nil {
		t.Errorf("namespace ns still exists with finalizers %v", ns.Spec.Finalizers)
	}
	if api.namespace(t, "live") == nil || len(api.contentNames(t, configmapsGVR, "live")) != 1 {
		t.Error("a live namespace or its content was touched")
	}
	if n := len(hook.get("live")); n != 0 {
		t.Errorf("live namespace synced %d times", n)
	}
}

func TestRunFailsWithoutDiscovery(t *testing.T) {
	ctx := testContext(t)
	api := newFakeAPI(t, nil, nil)
	c, _ := newTestController(t, api, func() ([]*metav1.APIResourceList, error) { return nil, errors.New("connection refused") })
	if err := c.Run(ctx); err == nil || !strings.Contains(err.Error(), "unable to get any supported resources") {
		t.Errorf("Run() = %v, want a discovery error", err)
	}
	if err := c.Run(ctx); err == nil {
		t.Error("second Run() succeeded")
	}
}
