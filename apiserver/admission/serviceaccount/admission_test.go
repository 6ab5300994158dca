package serviceaccount

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/klog/v2/ktesting"
	"k8s.io/utils/ptr"
)

const ns = "team"

func sa(name string, mutate ...func(*corev1.ServiceAccount)) *corev1.ServiceAccount {
	s := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	for _, m := range mutate {
		m(s)
	}
	return s
}

func pod(mutate ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "p"},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "init", Image: "busybox"}},
			Containers:     []corev1.Container{{Name: "c", Image: "busybox"}, {Name: "d", Image: "busybox"}},
		},
	}
	for _, m := range mutate {
		m(p)
	}
	return p
}

func mirror(p *corev1.Pod) {
	p.Annotations = map[string]string{corev1.MirrorPodAnnotationKey: "hash"}
	p.Spec.NodeName = "node-1"
}

var tokenMount = corev1.VolumeMount{Name: "kube-api-access-abcde", ReadOnly: true, MountPath: DefaultAPITokenMountPath}

// withTokenVolume is what admission adds to pod() for service account name.
func withTokenVolume(name string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Spec.ServiceAccountName = name
		p.Spec.DeprecatedServiceAccount = name
		p.Spec.ImagePullSecrets = []corev1.LocalObjectReference{}
		for i := range p.Spec.InitContainers {
			p.Spec.InitContainers[i].VolumeMounts = append(p.Spec.InitContainers[i].VolumeMounts, tokenMount)
		}
		for i := range p.Spec.Containers {
			p.Spec.Containers[i].VolumeMounts = append(p.Spec.Containers[i].VolumeMounts, tokenMount)
		}
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: tokenMount.Name, VolumeSource: corev1.VolumeSource{Projected: TokenVolumeSource()}})
	}
}

func TestAdmit(t *testing.T) {
	tests := []struct {
		name string
		// cached are in the informer, live only in the API.
		cached, live []*corev1.ServiceAccount
		pod          *corev1.Pod
		operation    admission.Operation
		subresource  string
		want         *corev1.Pod
		wantErr      string
		wantLookups  int
	}{
		{
			name:   "default service account and token volume",
			cached: []*corev1.ServiceAccount{sa("default")},
			pod:    pod(),
			want:   pod(withTokenVolume("default")),
		},
		{
			name:   "named service account",
			cached: []*corev1.ServiceAccount{sa("robot")},
			pod:    pod(func(p *corev1.Pod) { p.Spec.ServiceAccountName, p.Spec.DeprecatedServiceAccount = "robot", "robot" }),
			want:   pod(withTokenVolume("robot")),
		},
		{
			name: "service account found live when the informer misses it",
			live: []*corev1.ServiceAccount{sa("robot")},
			pod:  pod(func(p *corev1.Pod) { p.Spec.ServiceAccountName, p.Spec.DeprecatedServiceAccount = "robot", "robot" }),
			want: pod(withTokenVolume("robot")),
			// Admit, the Validate it ends with, and the chain's Validate each look.
			wantLookups: 3,
		},
		{
			name:        "missing service account",
			pod:         pod(func(p *corev1.Pod) { p.Spec.ServiceAccountName, p.Spec.DeprecatedServiceAccount = "robot", "robot" }),
			wantErr:     `pods "p" is forbidden: error looking up service account team/robot: serviceaccount "robot" not found`,
			wantLookups: 1,
		},
		{
			name:        "missing default service account is looked up ten times",
			pod:         pod(),
			wantErr:     `pods "p" is forbidden: error looking up service account team/default: serviceaccount "default" not found`,
			wantLookups: 10,
		},
		{
			name:   "pod opts out of the token",
			cached: []*corev1.ServiceAccount{sa("default")},
			pod:    pod(func(p *corev1.Pod) { p.Spec.AutomountServiceAccountToken = ptr.To(false) }),
			want: pod(func(p *corev1.Pod) {
				p.Spec.AutomountServiceAccountToken = ptr.To(false)
				p.Spec.ServiceAccountName, p.Spec.DeprecatedServiceAccount = "default", "default"
				p.Spec.ImagePullSecrets = []corev1.LocalObjectReference{}
			}),
		},
		{
			name:   "service account opts out of the token",
			cached: []*corev1.ServiceAccount{sa("default", func(s *corev1.ServiceAccount) { s.AutomountServiceAccountToken = ptr.To(false) })},
			pod:    pod(),
			want: pod(func(p *corev1.Pod) {
				p.Spec.ServiceAccountName, p.Spec.DeprecatedServiceAccount = "default", "default"
				p.Spec.ImagePullSecrets = []corev1.LocalObjectReference{}
			}),
		},
		{
			name:   "pod preference wins over the service account",
			cached: []*corev1.ServiceAccount{sa("default", func(s *corev1.ServiceAccount) { s.AutomountServiceAccountToken = ptr.To(false) })},
			pod:    pod(func(p *corev1.Pod) { p.Spec.AutomountServiceAccountToken = ptr.To(true) }),
			want: pod(withTokenVolume("default"), func(p *corev1.Pod) {
				p.Spec.AutomountServiceAccountToken = ptr.To(true)
			}),
		},
		{
			name:   "container with its own mount at the token path keeps it",
			cached: []*corev1.ServiceAccount{sa("default")},
			pod: pod(func(p *corev1.Pod) {
				p.Spec.Containers[1].VolumeMounts = []corev1.VolumeMount{{Name: "mine", MountPath: DefaultAPITokenMountPath}}
			}),
			want: pod(func(p *corev1.Pod) {
				p.Spec.Containers[1].VolumeMounts = []corev1.VolumeMount{{Name: "mine", MountPath: DefaultAPITokenMountPath}}
			}, func(p *corev1.Pod) {
				withTokenVolume("default")(p)
				p.Spec.Containers[1].VolumeMounts = p.Spec.Containers[1].VolumeMounts[:1]
			}),
		},
		{
			name:   "existing kube-api-access volume is reused",
			cached: []*corev1.ServiceAccount{sa("default")},
			pod: pod(func(p *corev1.Pod) {
				p.Spec.Volumes = []corev1.Volume{{Name: "kube-api-access-xyz12", VolumeSource: corev1.VolumeSource{Projected: TokenVolumeSource()}}}
			}),
			want: pod(func(p *corev1.Pod) {
				p.Spec.ServiceAccountName, p.Spec.DeprecatedServiceAccount = "default", "default"
				p.Spec.ImagePullSecrets = []corev1.LocalObjectReference{}
				m := corev1.VolumeMount{Name: "kube-api-access-xyz12", ReadOnly: true, MountPath: DefaultAPITokenMountPath}
				p.Spec.InitContainers[0].VolumeMounts = []corev1.VolumeMount{m}
				p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{m}
				p.Spec.Containers[1].VolumeMounts = []corev1.VolumeMount{m}
				p.Spec.Volumes = []corev1.Volume{{Name: "kube-api-access-xyz12", VolumeSource: corev1.VolumeSource{Projected: TokenVolumeSource()}}}
			}),
		},
		{
			name: "image pull secrets come from the service account",
			cached: []*corev1.ServiceAccount{sa("default", func(s *corev1.ServiceAccount) {
				s.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "registry"}}
			})},
			pod: pod(),
			want: pod(withTokenVolume("default"), func(p *corev1.Pod) {
				p.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "registry"}}
			}),
		},
		{
			name: "mountable secrets enforced",
			cached: []*corev1.ServiceAccount{sa("default", func(s *corev1.ServiceAccount) {
				s.Annotations = map[string]string{EnforceMountableSecretsAnnotation: "true"}
				s.Secrets = []corev1.ObjectReference{{Name: "allowed"}}
			})},
			pod: pod(func(p *corev1.Pod) {
				p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "X", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: "other"}, Key: "k",
				}}}}
			}),
			wantErr: `pods "p" is forbidden: container c with envVar X referencing secret.secretName="other" is not allowed because service account default does not reference that secret`,
		},
		{
			name: "mountable secrets allowed",
			cached: []*corev1.ServiceAccount{sa("default", func(s *corev1.ServiceAccount) {
				s.Annotations = map[string]string{EnforceMountableSecretsAnnotation: "true"}
				s.Secrets = []corev1.ObjectReference{{Name: "allowed"}}
			})},
			pod: pod(func(p *corev1.Pod) {
				p.Spec.Volumes = []corev1.Volume{{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "allowed"}}}}
			}),
			want: pod(func(p *corev1.Pod) {
				p.Spec.Volumes = []corev1.Volume{{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "allowed"}}}}
			}, withTokenVolume("default")),
		},
		{
			name: "mirror pod is left alone",
			pod:  pod(mirror),
			want: pod(mirror),
		},
		{
			name:    "mirror pod may not name a service account",
			cached:  []*corev1.ServiceAccount{sa("robot")},
			pod:     pod(mirror, func(p *corev1.Pod) { p.Spec.ServiceAccountName, p.Spec.DeprecatedServiceAccount = "robot", "robot" }),
			wantErr: `pods "p" is forbidden: a mirror pod may not reference service accounts`,
		},
		{
			name: "mirror pod may not reference secrets",
			pod: pod(mirror, func(p *corev1.Pod) {
				p.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}}}}
			}),
			wantErr: `pods "p" is forbidden: a mirror pod may not reference secrets`,
		},
		{
			name: "mirror pod may not project tokens",
			pod: pod(mirror, func(p *corev1.Pod) {
				p.Spec.Volumes = []corev1.Volume{{Name: "t", VolumeSource: corev1.VolumeSource{Projected: TokenVolumeSource()}}}
			}),
			wantErr: `pods "p" is forbidden: a mirror pod may not use ServiceAccountToken volume projections`,
		},
		{
			name:      "updates are not touched",
			pod:       pod(),
			operation: admission.Update,
			want:      pod(),
		},
		{
			name:        "subresources are not touched",
			pod:         pod(),
			subresource: "status",
			want:        pod(),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ctx := ktesting.NewTestContext(t)
			var objects []runtime.Object
			for _, s := range append(append([]*corev1.ServiceAccount{}, tc.cached...), tc.live...) {
				objects = append(objects, s)
			}
			client := fake.NewClientset(objects...)
			factory := informers.NewSharedInformerFactory(client, 0)
			for _, s := range tc.cached {
				if err := factory.Core().V1().ServiceAccounts().Informer().GetIndexer().Add(s); err != nil {
					t.Fatal(err)
				}
			}
			p := New(client, factory)
			p.generateName = func(prefix string) string { return prefix + "abcde" }
			p.sleep = func(time.Duration) {}

			operation := tc.operation
			if operation == "" {
				operation = admission.Create
			}
			obj := tc.pod.DeepCopy()
			var old runtime.Object
			if operation == admission.Update {
				old = tc.pod.DeepCopy()
			}
			attrs := admission.NewAttributesRecord(obj, old, corev1.SchemeGroupVersion.WithKind("Pod"), ns, obj.Name,
				corev1.SchemeGroupVersion.WithResource("pods"), tc.subresource, operation, &metav1.CreateOptions{}, false, &user.DefaultInfo{Name: "alice"})
			err := p.Admit(ctx, attrs, nil)
			if err == nil {
				err = p.Validate(ctx, attrs, nil)
			}
			lookups := 0
			for _, action := range client.Actions() {
				if action.GetVerb() == "get" {
					lookups++
				}
			}
			if lookups != tc.wantLookups {
				t.Errorf("%d live lookups, want %d", lookups, tc.wantLookups)
			}
			if tc.wantErr != "" {
				if !apierrors.IsForbidden(err) || err.Error() != tc.wantErr {
					t.Fatalf("got error %v, want Forbidden %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, obj); diff != "" {
				t.Errorf("pod (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTokenVolumeSource(t *testing.T) {
	v := TokenVolumeSource()
	if *v.DefaultMode != 0o644 || len(v.Sources) != 3 {
		t.Fatalf("unexpected volume %+v", v)
	}
	if tok := v.Sources[0].ServiceAccountToken; tok == nil || tok.Path != "token" || *tok.ExpirationSeconds != 3607 || tok.Audience != "" {
		t.Errorf("token projection %+v", tok)
	}
	if cm := v.Sources[1].ConfigMap; cm == nil || cm.Name != "kube-root-ca.crt" || cm.Items[0].Key != "ca.crt" {
		t.Errorf("configmap projection %+v", cm)
	}
	if d := v.Sources[2].DownwardAPI; d == nil || d.Items[0].Path != "namespace" || d.Items[0].FieldRef.FieldPath != "metadata.namespace" {
		t.Errorf("downward API projection %+v", d)
	}
}

func TestGeneratedVolumeName(t *testing.T) {
	client := fake.NewClientset()
	p := New(client, informers.NewSharedInformerFactory(client, 0))
	name := p.generateName(ServiceAccountVolumeName + "-")
	if !strings.HasPrefix(name, "kube-api-access-") || len(name) != len("kube-api-access-")+5 {
		t.Errorf("volume name %q, want kube-api-access-<5 random>", name)
	}
}
