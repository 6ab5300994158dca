/*
Copyright The k1s Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package openapi

import (
	"encoding/json"
	"testing"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

func refCallback(name string) spec.Ref {
	return spec.MustCreateRef("#/definitions/" + name)
}

func TestDefinitionsPresent(t *testing.T) {
	defs := GetOpenAPIDefinitions(refCallback)

	for _, name := range []string{
		"io.k8s.api.core.v1.Pod",
		"io.k8s.api.core.v1.Node",
		"io.k8s.api.coordination.v1.Lease",
		"io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
		// The same names, as the apiserver's namer derives them.
		corev1.Pod{}.OpenAPIModelName(),
		corev1.Node{}.OpenAPIModelName(),
		coordinationv1.Lease{}.OpenAPIModelName(),
		metav1.ObjectMeta{}.OpenAPIModelName(),
	} {
		if _, ok := defs[name]; !ok {
			t.Errorf("no OpenAPI definition for %q", name)
		}
	}

	// openapi-gen does not emit x-kubernetes-group-version-kind (the
	// apiserver adds it at runtime from the scheme), so check the shape.
	pod := defs[corev1.Pod{}.OpenAPIModelName()].Schema
	for prop, want := range map[string]string{
		"metadata": "#/definitions/" + metav1.ObjectMeta{}.OpenAPIModelName(),
		"spec":     "#/definitions/" + corev1.PodSpec{}.OpenAPIModelName(),
		"status":   "#/definitions/" + corev1.PodStatus{}.OpenAPIModelName(),
	} {
		s, ok := pod.Properties[prop]
		if !ok {
			t.Errorf("Pod schema has no property %q", prop)
			continue
		}
		if got := s.Ref.String(); got != want {
			t.Errorf("Pod property %q: ref %q, want %q", prop, got, want)
		}
	}
}

// TestDependenciesClosed checks that every type referenced by a definition is
// itself defined; otherwise the apiserver's OpenAPI builder fails at startup.
// A failure means an input package is missing from hack/update-openapi.sh.
func TestDependenciesClosed(t *testing.T) {
	defs := GetOpenAPIDefinitions(refCallback)
	for name, def := range defs {
		for _, dep := range def.Dependencies {
			if _, ok := defs[dep]; !ok {
				t.Errorf("%s depends on %s, which has no definition", name, dep)
			}
		}
		if _, err := json.Marshal(def.Schema); err != nil {
			t.Errorf("%s: marshalling schema: %v", name, err)
		}
	}
}
