package serviceaccount

import (
	"context"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
)

// TestGetterFallsBackToLiveReads: an object the informer has not seen yet (created a
// moment ago) is read live, and one neither has is not found.
func TestGetterFallsBackToLiveReads(t *testing.T) {
	ctx := context.Background()
	client := fake.NewClientset(testSA, testPod, testSecret, testNode)
	factory := informers.NewSharedInformerFactory(client, 0)
	getter := NewGetterFromInformers(client, factory) // informers never started: always a miss

	if sa, err := getter.GetServiceAccount(ctx, "ns", "robot"); err != nil || sa.UID != testSA.UID {
		t.Errorf("service account: %v %v", sa, err)
	}
	if pod, err := getter.GetPod(ctx, "ns", "web"); err != nil || pod.UID != testPod.UID {
		t.Errorf("pod: %v %v", pod, err)
	}
	if secret, err := getter.GetSecret(ctx, "ns", "s"); err != nil || secret.UID != testSecret.UID {
		t.Errorf("secret: %v %v", secret, err)
	}
	if node, err := getter.GetNode(ctx, "node-1"); err != nil || node.UID != testNode.UID {
		t.Errorf("node: %v %v", node, err)
	}
	if _, err := getter.GetPod(ctx, "ns", "gone"); !apierrors.IsNotFound(err) {
		t.Errorf("missing pod: %v", err)
	}

	// The informer's copy wins when it has one.
	cached := testSA.DeepCopy()
	cached.UID = "cached"
	if err := factory.Core().V1().ServiceAccounts().Informer().GetIndexer().Add(cached); err != nil {
		t.Fatal(err)
	}
	if sa, err := getter.GetServiceAccount(ctx, "ns", "robot"); err != nil || sa.UID != "cached" {
		t.Errorf("service account from the informer: %v %v", sa, err)
	}
}
