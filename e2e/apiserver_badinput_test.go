package e2e

import (
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
)

// warningRecorder collects the Warning headers a client receives.
type warningRecorder struct {
	mu       sync.Mutex
	warnings []string
}

func (w *warningRecorder) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.warnings = append(w.warnings, text)
}

func (w *warningRecorder) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.warnings
	w.warnings = nil
	return out
}

// TestAPIBadInput sends malformed, invalid, unknown-field, oversized and misaddressed
// requests, checks each gets the right error, and that none of them changed anything.
func TestAPIBadInput(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	ctx := testContext(t)
	ns := createNamespace(t, c)
	core := c.Client.CoreV1()

	victim, err := core.ConfigMaps(ns).Create(ctx, newConfigMap(ns, "victim"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	victimPod, err := core.Pods(ns).Create(ctx, newPod(ns, "victim"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rc := core.RESTClient()

	// raw sends body to the configmaps collection (name == "") or to one configmap.
	raw := func(verb, name, contentType string, body []byte, params ...string) error {
		req := rc.Verb(verb).Namespace(ns).Resource("configmaps").Body(body).SetHeader("Content-Type", contentType)
		if name != "" {
			req = req.Name(name)
		}
		for i := 0; i+1 < len(params); i += 2 {
			req = req.Param(params[i], params[i+1])
		}
		return req.Do(ctx).Error()
	}

	t.Run("malformed bodies", func(t *testing.T) {
		for _, tc := range []struct {
			name, contentType string
			body              []byte
		}{
			{"truncated JSON", "application/json", []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"bad"`)},
			{"JSON of the wrong shape", "application/json", []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"bad"},"data":["not","a","map"]}`)},
			{"not JSON at all", "application/json", []byte(`<xml>nope</xml>`)},
			{"malformed YAML", "application/yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [bad\n")},
			{"YAML with tabs", "application/yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: bad\n")},
			{"garbage protobuf", "application/vnd.kubernetes.protobuf", []byte("k8s\x00\x0a\x02v1\xff\xff\xff\xff\x0f")},
			{"protobuf without envelope", "application/vnd.kubernetes.protobuf", []byte{0x0a, 0x05, 0x01, 0x02}},
		} {
			for _, verb := range []string{"POST", "PUT"} {
				name := ""
				if verb == "PUT" {
					name = "victim"
				}
				err := raw(verb, name, tc.contentType, tc.body)
				if err == nil {
					t.Fatalf("%s %s: accepted", verb, tc.name)
				}
				expectStatus(t, err, 400, metav1.StatusReasonBadRequest)
			}
		}
		// An unsupported media type is 415, not a decode attempt.
		err := raw("POST", "", "text/plain", []byte("hello"))
		expectStatus(t, err, 415, metav1.StatusReasonUnsupportedMediaType)
		// Patches that do not parse are 400 too (bodies of the wrong kind for the patch
		// type as well).
		for pt, body := range map[string]string{
			"application/merge-patch+json":           `{"data":`,
			"application/strategic-merge-patch+json": `[1,2`,
			"application/json-patch+json":            `{"op":"add"}`,
			"application/apply-patch+yaml":           "metadata: [bad\n",
		} {
			err := rc.Patch("").Namespace(ns).Resource("configmaps").Name("victim").Body([]byte(body)).
				SetHeader("Content-Type", pt).Param("fieldManager", "e2e").Do(ctx).Error()
			if err == nil {
				t.Fatalf("malformed %s patch accepted", pt)
			}
			code := err.(interface{ Status() metav1.Status }).Status().Code
			if code != 400 && code != 422 {
				t.Fatalf("malformed %s patch: %v, want 400 (or 422)", pt, err)
			}
		}
	})

	t.Run("invalid objects", func(t *testing.T) {
		noContainers := newPod(ns, "no-containers")
		noContainers.Spec.Containers = nil
		_, err := core.Pods(ns).Create(ctx, noContainers, metav1.CreateOptions{})
		expectInvalidField(t, err, "spec.containers")

		badImage := newPod(ns, "bad-container")
		badImage.Spec.Containers[0].Name = "Not_A_DNS_Label"
		_, err = core.Pods(ns).Create(ctx, badImage, metav1.CreateOptions{})
		expectInvalidField(t, err, "spec.containers[0].name")

		badKey := newConfigMap(ns, "bad-key")
		badKey.Data = map[string]string{"bad key!": "v"}
		_, err = core.ConfigMaps(ns).Create(ctx, badKey, metav1.CreateOptions{})
		expectInvalidField(t, err, "data[bad key!]")

		_, err = core.ConfigMaps(ns).Create(ctx, newConfigMap(ns, "UpperCase"), metav1.CreateOptions{})
		expectInvalidField(t, err, "metadata.name")

		_, err = core.Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "Bad_Namespace"}}, metav1.CreateOptions{})
		expectInvalidField(t, err, "metadata.name")

		badLabel := newConfigMap(ns, "bad-label")
		badLabel.Labels = map[string]string{"app": "has spaces"}
		_, err = core.ConfigMaps(ns).Create(ctx, badLabel, metav1.CreateOptions{})
		expectInvalidField(t, err, "metadata.labels")

		badPort := newService(ns, "bad-port")
		badPort.Spec.Ports[0].Port = 70000
		_, err = core.Services(ns).Create(ctx, badPort, metav1.CreateOptions{})
		expectInvalidField(t, err, "spec.ports[0].port")

		// Invalid updates of existing objects are refused the same way.
		pod := victimPod.DeepCopy()
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: "added", Image: pauseImage})
		_, err = core.Pods(ns).Update(ctx, pod, metav1.UpdateOptions{})
		expectInvalidField(t, err, "spec.containers")
		cm := victim.DeepCopy()
		cm.Data["bad key!"] = "v"
		_, err = core.ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{})
		expectInvalidField(t, err, "data[bad key!]")

		// Data over the 1 MiB configmap limit, in a body under the request limit.
		big := newConfigMap(ns, "too-much-data")
		big.Data = map[string]string{"blob": strings.Repeat("x", 1<<20+1)}
		_, err = core.ConfigMaps(ns).Create(ctx, big, metav1.CreateOptions{})
		if se := expectStatus(t, err, 422, metav1.StatusReasonInvalid); !strings.Contains(se.ErrStatus.Message, "Too long") {
			t.Fatalf("oversized data: %v", err)
		}
	})

	t.Run("field validation", func(t *testing.T) {
		warnings := &warningRecorder{}
		cfg := c.RESTConfig()
		cfg.WarningHandler = warnings
		dyn := dynamic.NewForConfigOrDie(cfg).Resource(corev1.SchemeGroupVersion.WithResource("configmaps")).Namespace(ns)
		withUnknown := func(name string) *unstructured.Unstructured {
			u := toUnstructured(t, newConfigMap(ns, name), corev1.SchemeGroupVersion.WithResource("configmaps"))
			u.Object["bogusField"] = "x"
			u.Object["metadata"].(map[string]any)["bogusMeta"] = "y"
			return u
		}

		_, err := dyn.Create(ctx, withUnknown("strict"), metav1.CreateOptions{FieldValidation: metav1.FieldValidationStrict})
		se := expectStatus(t, err, 400, metav1.StatusReasonBadRequest)
		if msg := se.ErrStatus.Message; !strings.Contains(msg, "strict decoding error") || !strings.Contains(msg, `unknown field "bogusField"`) || !strings.Contains(msg, `unknown field "metadata.bogusMeta"`) {
			t.Fatalf("strict: message %q does not name the unknown fields", msg)
		}
		_, err = core.ConfigMaps(ns).Get(ctx, "strict", metav1.GetOptions{})
		expectNotFound(t, err)
		warnings.take()

		// Strict also refuses duplicate fields.
		err = raw("POST", "", "application/json", []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup","name":"dup2"}}`), "fieldValidation", "Strict")
		se = expectStatus(t, err, 400, metav1.StatusReasonBadRequest)
		if !strings.Contains(se.ErrStatus.Message, `duplicate field "metadata.name"`) {
			t.Fatalf("strict duplicate: %q", se.ErrStatus.Message)
		}

		created, err := dyn.Create(ctx, withUnknown("warn"), metav1.CreateOptions{FieldValidation: metav1.FieldValidationWarn})
		if err != nil {
			t.Fatalf("warn: %v", err)
		}
		got := warnings.take()
		if !warningsContain(got, `unknown field "bogusField"`, `unknown field "metadata.bogusMeta"`) {
			t.Fatalf("warn: warnings %q", got)
		}
		if _, ok := created.Object["bogusField"]; ok {
			t.Fatalf("warn: the unknown field was stored")
		}

		if _, err := dyn.Create(ctx, withUnknown("ignore"), metav1.CreateOptions{FieldValidation: metav1.FieldValidationIgnore}); err != nil {
			t.Fatalf("ignore: %v", err)
		}
		if got := warnings.take(); len(got) != 0 {
			t.Fatalf("ignore: warnings %q", got)
		}

		// The default (no fieldValidation) is Warn, as upstream.
		if _, err := dyn.Create(ctx, withUnknown("default"), metav1.CreateOptions{}); err != nil {
			t.Fatalf("default: %v", err)
		}
		if got := warnings.take(); !warningsContain(got, `unknown field "bogusField"`) {
			t.Fatalf("default: warnings %q", got)
		}

		// Strict on update refuses and keeps the object.
		u := withUnknown("victim")
		u.SetResourceVersion(victim.ResourceVersion)
		_, err = dyn.Update(ctx, u, metav1.UpdateOptions{FieldValidation: metav1.FieldValidationStrict})
		expectStatus(t, err, 400, metav1.StatusReasonBadRequest)
		// And on patch, where upstream reports it as an invalid patch (422).
		err = rc.Patch("application/merge-patch+json").Namespace(ns).Resource("configmaps").Name("victim").
			Body([]byte(`{"data":{"key":"patched"},"bogusField":1}`)).Param("fieldValidation", "Strict").Do(ctx).Error()
		se = expectStatus(t, err, 422, metav1.StatusReasonInvalid)
		if !strings.Contains(se.ErrStatus.Message, `strict decoding error: unknown field "bogusField"`) {
			t.Fatalf("strict patch: %q", se.ErrStatus.Message)
		}
	})

	t.Run("request too large", func(t *testing.T) {
		huge := newConfigMap(ns, "huge")
		huge.Data = map[string]string{"blob": strings.Repeat("x", 3<<20+1024)}
		body, err := runtime.Encode(unstructured.UnstructuredJSONScheme, toUnstructured(t, huge, corev1.SchemeGroupVersion.WithResource("configmaps")))
		if err != nil {
			t.Fatal(err)
		}
		err = raw("POST", "", "application/json", body)
		expectStatus(t, err, 413, metav1.StatusReasonRequestEntityTooLarge)
		err = raw("PUT", "victim", "application/json", body)
		expectStatus(t, err, 413, metav1.StatusReasonRequestEntityTooLarge)
		// A typed client gets the same.
		_, err = core.ConfigMaps(ns).Create(ctx, huge, metav1.CreateOptions{})
		expectStatus(t, err, 413, metav1.StatusReasonRequestEntityTooLarge)
	})

	t.Run("unserved resources", func(t *testing.T) {
		for _, path := range []string{
			"/apis/apps/v1/daemonsets",
			"/apis/apps/v1/namespaces/default/statefulsets",
			"/api/v1/persistentvolumeclaims",
			"/api/v1/namespaces/default/persistentvolumeclaims",
			"/api/v1/namespaces/default/replicationcontrollers",
			"/apis/no.such.group/v1/things",
			"/api/v2/pods",
		} {
			_, err := rc.Get().AbsPath(path).DoRaw(ctx)
			expectStatus(t, err, 404, metav1.StatusReasonNotFound)
		}
		err := rc.Post().AbsPath("/apis/apps/v1/namespaces/" + ns + "/daemonsets").
			Body([]byte(`{"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"d"}}`)).Do(ctx).Error()
		expectStatus(t, err, 404, metav1.StatusReasonNotFound)

		// Discovery agrees: unserved groups are not offered.
		groups, err := c.Client.Discovery().ServerGroups()
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range groups.Groups {
			if g.Name == "autoscaling" || g.Name == "networking.k8s.io" {
				t.Fatalf("discovery lists the unserved group %s", g.Name)
			}
		}
		resources, err := c.Client.Discovery().ServerResourcesForGroupVersion("v1")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range resources.APIResources {
			if r.Name == "persistentvolumeclaims" {
				t.Fatal("discovery lists persistentvolumeclaims")
			}
		}
	})

	t.Run("nothing changed", func(t *testing.T) {
		cm, err := core.ConfigMaps(ns).Get(ctx, "victim", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if cm.ResourceVersion != victim.ResourceVersion || cm.UID != victim.UID || len(cm.Data) != 1 || cm.Data["key"] != "value" {
			t.Fatalf("the configmap changed: rv %s (was %s), data %v", cm.ResourceVersion, victim.ResourceVersion, cm.Data)
		}
		pod, err := core.Pods(ns).Get(ctx, "victim", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if pod.ResourceVersion != victimPod.ResourceVersion || len(pod.Spec.Containers) != 2 {
			t.Fatalf("the pod changed: rv %s (was %s)", pod.ResourceVersion, victimPod.ResourceVersion)
		}
		list, err := core.ConfigMaps(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, item := range list.Items {
			names = append(names, item.Name)
		}
		// Only the requests that were meant to succeed created something.
		want := []string{"default", "ignore", "kube-root-ca.crt", "victim", "warn"}
		if strings.Join(names, ",") != strings.Join(want, ",") {
			t.Fatalf("configmaps %v, want %v", names, want)
		}
		pods, err := core.Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(pods.Items) != 1 {
			t.Fatalf("%d pods, want only the victim", len(pods.Items))
		}
	})
}

func warningsContain(warnings []string, wants ...string) bool {
	all := strings.Join(warnings, "\n")
	for _, w := range wants {
		if !strings.Contains(all, w) {
			return false
		}
	}
	return true
}
