package namespace

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	k8stesting "k8s.io/client-go/testing"
)

// conditionSummary is "Type=Status Reason: Message" for each owned condition.
func conditionSummary(ns *corev1.Namespace) []string {
	var out []string
	for _, c := range ns.Status.Conditions {
		out = append(out, fmt.Sprintf("%s=%s %s: %s", c.Type, c.Status, c.Reason, c.Message))
	}
	return out
}

var allOK = []string{
	"NamespaceDeletionDiscoveryFailure=False ResourcesDiscovered: All resources successfully discovered",
	"NamespaceDeletionGroupVersionParsingFailure=False ParsedGroupVersions: All legacy kube types successfully parsed",
	"NamespaceDeletionContentFailure=False ContentDeleted: All content successfully deleted, may be waiting on finalization",
	"NamespaceContentRemaining=False ContentRemoved: All content successfully removed",
	"NamespaceFinalizersRemaining=False ContentHasNoFinalizers: All content-preserving finalizers finished",
}

// lastStatusUpdate returns the namespace of the last UpdateStatus call on it.
func lastStatusUpdate(api *fakeAPI, name string) *corev1.Namespace {
	var last *corev1.Namespace
	for _, a := range api.client.Actions() {
		if u, ok := a.(k8stesting.UpdateAction); ok && a.GetSubresource() == "status" && a.GetResource() == namespacesGVR {
			if ns := u.GetObject().(*corev1.Namespace); ns.Name == name {
				last = ns
			}
		}
	}
	return last
}

func TestDelete(t *testing.T) {
	podA, podAMeta := pod("ns", "a", 30)
	discoveryErr := &discovery.ErrGroupDiscoveryFailed{Groups: map[schema.GroupVersion]error{
		{Group: "metrics.k8s.io", Version: "v1beta1"}: errors.New("boom"),
	}}
	active := terminatingNamespace("ns")
	active.DeletionTimestamp = nil

	tests := []struct {
		name         string
		ns           *corev1.Namespace
		typed        []runtime.Object
		content      []runtime.Object
		now          time.Time
		discoveryErr error

		wantErr            string
		wantEstimate       int64 // for a ResourcesRemainingError
		wantGone           bool  // the namespace was finalized and removed
		wantFinalizers     []corev1.FinalizerName
		wantLeft           map[schema.GroupVersionResource][]string
		wantConditions     []string
		wantNoMetadataCall bool
	}{
		{
			name:           "empty namespace is finalized",
			ns:             terminatingNamespace("ns"),
			wantGone:       true,
			wantConditions: allOK,
		},
		{
			name: "content is deleted",
			ns:   terminatingNamespace("ns"),
			content: []runtime.Object{
				object(configmapsGVR, "ConfigMap", "ns", "cm1"),
				object(configmapsGVR, "ConfigMap", "ns", "cm2"),
				object(deploymentsGVR, "Deployment", "ns", "web"),
				object(widgetsGVR, "Widget", "ns", "w1"),
				object(widgetsGVR, "Widget", "ns", "w2"),
			},
			wantGone:       true,
			wantLeft:       map[schema.GroupVersionResource][]string{configmapsGVR: nil, deploymentsGVR: nil, widgetsGVR: nil},
			wantConditions: allOK,
		},
		{
			name:           "other finalizers are kept",
			ns:             terminatingNamespace("ns", "example.com/hold"),
			content:        []runtime.Object{object(configmapsGVR, "ConfigMap", "ns", "cm1")},
			wantFinalizers: []corev1.FinalizerName{"example.com/hold"},
			wantLeft:       map[schema.GroupVersionResource][]string{configmapsGVR: nil},
			wantConditions: allOK,
		},
		{
			name:         "terminating pods are waited for before other content",
			ns:           terminatingNamespace("ns"),
			typed:        []runtime.Object{podA},
			content:      []runtime.Object{podAMeta, object(configmapsGVR, "ConfigMap", "ns", "cm1")},
			now:          t0.Add(10 * time.Second),
			wantEstimate: 30,
			wantLeft: map[schema.GroupVersionResource][]string{
				podsGVR:       {"a"},
				configmapsGVR: {"cm1"},
			},
			wantFinalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes},
			// Upstream does not count pods in ContentRemaining.
			wantConditions: allOK,
		},
		{
			name:    "pods past their grace period without finalizers are an error",
			ns:      terminatingNamespace("ns"),
			typed:   []runtime.Object{podA},
			content: []runtime.Object{podAMeta},
			now:     t0.Add(30 * time.Second),
			wantErr: "failed to delete pods for namespace: ns, err: unexpected items still remain in namespace: ns for gvr: /v1, Resource=pods",
			wantLeft: map[schema.GroupVersionResource][]string{
				podsGVR: {"a"},
			},
			wantFinalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes},
			wantConditions: []string{
				allOK[0], allOK[1],
				"NamespaceDeletionContentFailure=True ContentDeletionFailed: Failed to delete all resource types, 1 remaining: unexpected items still remain in namespace: ns for gvr: /v1, Resource=pods",
				allOK[3], allOK[4],
			},
		},
		{
			name: "content held by finalizers is reported",
			ns:   terminatingNamespace("ns"),
			content: []runtime.Object{
				object(configmapsGVR, "ConfigMap", "ns", "held", "example.com/hold"),
				object(deploymentsGVR, "Deployment", "ns", "web", "example.com/hold", "foregroundDeletion"),
				object(configmapsGVR, "ConfigMap", "ns", "free"),
			},
			wantEstimate: finalizerEstimateSeconds,
			wantLeft: map[schema.GroupVersionResource][]string{
				configmapsGVR:  {"held"},
				deploymentsGVR: {"web"},
			},
			wantFinalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes},
			wantConditions: []string{
				allOK[0], allOK[1], allOK[2],
				"NamespaceContentRemaining=True SomeResourcesRemain: Some resources are remaining: configmaps. has 1 resource instances, deployments.apps has 1 resource instances",
				"NamespaceFinalizersRemaining=True SomeFinalizersRemain: Some content in the namespace has finalizers remaining: example.com/hold in 2 resource instances, foregroundDeletion in 1 resource instances",
			},
		},
		{
			name:         "partial discovery deletes what it can and reports the failure",
			ns:           terminatingNamespace("ns"),
			content:      []runtime.Object{object(configmapsGVR, "ConfigMap", "ns", "cm1")},
			discoveryErr: discoveryErr,
			wantErr:      "unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1: boom",
			wantLeft:     map[schema.GroupVersionResource][]string{configmapsGVR: nil},
			wantFinalizers: []corev1.FinalizerName{
				corev1.FinalizerKubernetes,
			},
			wantConditions: []string{
				"NamespaceDeletionDiscoveryFailure=True DiscoveryFailed: Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1: boom",
				allOK[1], allOK[2], allOK[3], allOK[4],
			},
		},
		{
			name:               "a namespace that is not being deleted is left alone",
			ns:                 active,
			content:            []runtime.Object{object(configmapsGVR, "ConfigMap", "ns", "cm1")},
			wantFinalizers:     []corev1.FinalizerName{corev1.FinalizerKubernetes},
			wantLeft:           map[schema.GroupVersionResource][]string{configmapsGVR: {"cm1"}},
			wantNoMetadataCall: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			api := newFakeAPI(t, append([]runtime.Object{tc.ns}, tc.typed...), tc.content)
			if !tc.now.IsZero() {
				api.clock.SetTime(tc.now)
			}
			c, _ := newTestController(t, api, func() ([]*metav1.APIResourceList, error) {
				return testResources(), tc.discoveryErr
			})
			if err := c.deleter.initOpCache(ctx); err != nil {
				t.Fatalf("initOpCache: %v", err)
			}

			err := c.deleter.Delete(ctx, "ns")

			var remaining *ResourcesRemainingError
			switch {
			case tc.wantEstimate != 0:
				if !errors.As(err, &remaining) || remaining.Estimate != tc.wantEstimate {
					t.Errorf("Delete() = %v, want a ResourcesRemainingError of %d s", err, tc.wantEstimate)
				}
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("Delete() = %v, want an error containing %q", err, tc.wantErr)
				}
			case err != nil:
				t.Errorf("Delete() = %v, want nil", err)
			}

			ns := api.namespace(t, "ns")
			switch {
			case tc.wantGone && ns != nil:
				t.Errorf("namespace still exists with finalizers %v", ns.Spec.Finalizers)
			case !tc.wantGone && ns == nil:
				t.Errorf("namespace was removed")
			case ns != nil:
				if diff := cmp.Diff(tc.wantFinalizers, ns.Spec.Finalizers); diff != "" {
					t.Errorf("spec.finalizers (-want +got):\n%s", diff)
				}
				if ns.DeletionTimestamp != nil && ns.Status.Phase != corev1.NamespaceTerminating {
					t.Errorf("phase = %q, want Terminating", ns.Status.Phase)
				}
			}
			for gvr, want := range tc.wantLeft {
				if diff := cmp.Diff(want, api.contentNames(t, gvr, "ns")); diff != "" {
					t.Errorf("%v left in ns (-want +got):\n%s", gvr, diff)
				}
			}
			if tc.wantConditions != nil {
				updated := lastStatusUpdate(api, "ns")
				if updated == nil {
					t.Fatal("no status update of the namespace")
				}
				if diff := cmp.Diff(tc.wantConditions, conditionSummary(updated)); diff != "" {
					t.Errorf("conditions (-want +got):\n%s", diff)
				}
			}
			if tc.wantNoMetadataCall && len(api.metadata.Actions()) != 0 {
				t.Errorf("metadata calls on a live namespace: %v", api.metadata.Actions())
			}
		})
	}
}

// Content in other namespaces must survive, and resources without
// deletecollection are deleted one by one.
func TestDeleteScopeAndFallback(t *testing.T) {
	ctx := testContext(t)
	api := newFakeAPI(t, []runtime.Object{terminatingNamespace("ns")}, []runtime.Object{
		object(widgetsGVR, "Widget", "ns", "w1"),
		object(widgetsGVR, "Widget", "ns", "w2"),
		object(configmapsGVR, "ConfigMap", "ns", "cm"),
		object(configmapsGVR, "ConfigMap", "other", "keep"),
		object(widgetsGVR, "Widget", "other", "keep"),
	})
	c, _ := newTestController(t, api, func() ([]*metav1.APIResourceList, error) { return testResources(), nil })
	if err := c.deleter.initOpCache(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.deleter.Delete(ctx, "ns"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	var got []string
	for _, a := range api.metadata.Actions() {
		if a.GetResource() == widgetsGVR && (a.GetVerb() == "delete" || a.GetVerb() == "delete-collection") {
			name := ""
			if d, ok := a.(k8stesting.DeleteAction); ok {
				name = d.GetName()
				if p := d.GetDeleteOptions().PropagationPolicy; p == nil || *p != metav1.DeletePropagationBackground {
					t.Errorf("delete of %s without background propagation", name)
				}
			}
			got = append(got, a.GetVerb()+" "+a.GetNamespace()+"/"+name)
		}
	}
	if diff := cmp.Diff([]string{"delete ns/w1", "delete ns/w2"}, got); diff != "" {
		t.Errorf("widget deletions (-want +got):\n%s", diff)
	}
	for gvr, want := range map[schema.GroupVersionResource][]string{configmapsGVR: {"keep"}, widgetsGVR: {"keep"}} {
		if diff := cmp.Diff(want, api.contentNames(t, gvr, "other")); diff != "" {
			t.Errorf("%v in namespace other (-want +got):\n%s", gvr, diff)
		}
	}
	if ns := api.namespace(t, "ns"); ns != nil {
		t.Errorf("namespace not finalized: %v", ns.Spec.Finalizers)
	}
}

func TestInitOpCacheWithoutResources(t *testing.T) {
	ctx := testContext(t)
	api := newFakeAPI(t, nil, nil)
	c, _ := newTestController(t, api, func() ([]*metav1.APIResourceList, error) { return nil, errors.New("connection refused") })
	err := c.deleter.initOpCache(ctx)
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("initOpCache() = %v, want the discovery error", err)
	}
}
