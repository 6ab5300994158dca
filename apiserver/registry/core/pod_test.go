package core

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/apiserver/pkg/storage/storagebackend/factory"
	"k8s.io/client-go/tools/cache"

	"github.com/k1s-dev/k1s/apiserver/registry"
)

// TestPodPredicateIndexesNodeName: a spec.nodeName field selector (a kubelet's watch)
// must name the watch cache's spec.nodeName index, or the cache offers every pod event
// to every kubelet's watch.
func TestPodPredicateIndexesNodeName(t *testing.T) {
	opts := generic.RESTOptions{
		StorageConfig:  &storagebackend.ConfigForResource{},
		ResourcePrefix: "pods",
		Decorator: func(*storagebackend.ConfigForResource, string, func(runtime.Object) (string, error), func() runtime.Object, func() runtime.Object, storage.AttrFunc, storage.IndexerFuncs, *cache.Indexers) (storage.Interface, factory.DestroyFunc, error) {
			return nil, func() {}, nil
		},
	}
	storages, err := newPods(opts)
	if err != nil {
		t.Fatal(err)
	}
	store := storages["pods"].(*registry.Store)
	pred := store.PredicateFunc(labels.Everything(), fields.OneTermEqualSelector("spec.nodeName", "node-1"))
	got := pred.MatcherIndex(context.Background())
	want := storage.MatchValue{IndexName: storage.FieldIndex("spec.nodeName"), Value: "node-1"}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("MatcherIndex = %v, want [%v]", got, want)
	}
	all := store.PredicateFunc(labels.Everything(), fields.Everything())
	if got := all.MatcherIndex(context.Background()); len(got) != 0 {
		t.Errorf("MatcherIndex without a field selector = %v, want none", got)
	}
}
