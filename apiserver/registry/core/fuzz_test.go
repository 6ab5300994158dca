package core

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"

	"github.com/k1s-dev/k1s/apiserver/registry"
	"github.com/k1s-dev/k1s/apiserver/scheme"
)

// FuzzDecodeValidate feeds arbitrary bytes through the path a request body takes:
// decoding (JSON, YAML or protobuf, with defaulting), then the create and update
// strategies of the core resources. Whatever the input, nothing may panic.
func FuzzDecodeValidate(f *testing.F) {
	seeds := []string{
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i","ports":[{"containerPort":80}]}]}}`,
		`{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":30001}]}}`,
		`{"apiVersion":"v1","kind":"Node","metadata":{"name":"n"},"spec":{"taints":[{"key":"k","effect":"NoSchedule"}]}}`,
		`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ns"}}`,
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"b"}}`,
		`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"type":"kubernetes.io/tls","stringData":{"tls.crt":"x"}}`,
		`{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"e"},"subsets":[{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"port":1}]}]}`,
		`{"apiVersion":"v1","kind":"Event","metadata":{"name":"e"},"involvedObject":{"kind":"Pod","name":"p"}}`,
		"apiVersion: v1\nkind: Pod\nmetadata:\n  name: y\nspec:\n  containers: [{name: c, image: i}]\n",
		"k8s\x00\n\x02v1\x12\x03Pod",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	decoder := scheme.Codecs.UniversalDecoder()
	ctx := genericapirequest.WithNamespace(genericapirequest.NewContext(), "default")
	f.Fuzz(func(t *testing.T, data []byte) {
		obj, _, err := decoder.Decode(data, nil, nil)
		if err != nil {
			return
		}
		switch o := obj.(type) {
		case *corev1.Pod:
			exercise(ctx, podStrategy, o)
		case *corev1.Namespace:
			exercise(ctx, namespaceStrategy, o)
		case *corev1.Node:
			exercise(ctx, nodeStrategy, o)
		case *corev1.Service:
			exercise(ctx, serviceStrategy, o)
		case *corev1.Event:
			exercise(ctx, EventStrategy, o)
		case *corev1.ConfigMap:
			exercise(ctx, configMapStrategy, o)
		case *corev1.Secret:
			exercise(ctx, secretStrategy, o)
		case *corev1.Endpoints:
			exercise(ctx, endpointsStrategy, o)
		}
	})
}

// exercise runs create preparation and validation, then an update of the object against
// a copy of itself, as the registry would.
func exercise[T runtime.Object](ctx context.Context, s *registry.Strategy[T], obj T) {
	a := s.Adapt()
	a.PrepareForCreate(ctx, obj)
	a.Validate(ctx, obj)
	a.Canonicalize(obj)
	updated := obj.DeepCopyObject()
	a.PrepareForUpdate(ctx, updated, obj)
	a.ValidateUpdate(ctx, updated, obj)
}
