package v1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

var quantityComparer = cmp.Comparer(func(a, b resource.Quantity) bool { return a.Cmp(b) == 0 })

type defaultingCase struct {
	name string
	in   runtime.Object
	want runtime.Object
}

// runDefaultingCases goes through scheme.Default, so it also proves that
// RegisterDefaults wires each type up.
func runDefaultingCases(t *testing.T, cases []defaultingCase) {
	t.Helper()
	scheme := newTestScheme(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.DeepCopyObject()
			scheme.Default(got)
			if diff := cmp.Diff(tc.want, got, quantityComparer); diff != "" {
				t.Errorf("unexpected defaulting result (-want +got):\n%s", diff)
			}
		})
	}
}

// defaultedContainer is what SetDefaults_Container plus the generated walk
// make of a container that only has a name and an image.
func defaultedContainer(name, image string, pull corev1.PullPolicy) corev1.Container {
	return corev1.Container{
		Name:                     name,
		Image:                    image,
		ImagePullPolicy:          pull,
		TerminationMessagePath:   "/dev/termination-log",
		TerminationMessagePolicy: corev1.TerminationMessageReadFile,
	}
}

// defaultedPodSpec is SetDefaults_PodSpec's output for the given containers.
func defaultedPodSpec(containers ...corev1.Container) corev1.PodSpec {
	return corev1.PodSpec{
		Containers:                    containers,
		RestartPolicy:                 corev1.RestartPolicyAlways,
		TerminationGracePeriodSeconds: ptr.To[int64](30),
		DNSPolicy:                     corev1.DNSClusterFirst,
		SecurityContext:               &corev1.PodSecurityContext{},
		SchedulerName:                 "default-scheduler",
	}
}

func defaultedPod(spec corev1.PodSpec) *corev1.Pod {
	spec.EnableServiceLinks = ptr.To(true)
	return &corev1.Pod{Spec: spec}
}

func TestPodDefaulting(t *testing.T) {
	withSpec := func(mutate func(*corev1.PodSpec)) *corev1.Pod {
		p := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx:1.25"}}}}
		mutate(&p.Spec)
		return p
	}
	wantSpec := func(mutate func(*corev1.PodSpec)) *corev1.Pod {
		s := defaultedPodSpec(defaultedContainer("c", "nginx:1.25", corev1.PullIfNotPresent))
		mutate(&s)
		return defaultedPod(s)
	}
	limits := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("500m"),
		corev1.ResourceMemory: resource.MustParse("128Mi"),
	}

	runDefaultingCases(t, []defaultingCase{{
		name: "minimal pod",
		in:   &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}},
		want: defaultedPod(defaultedPodSpec(defaultedContainer("c", "nginx", corev1.PullAlways))),
	}, {
		name: "explicit values are kept",
		in: withSpec(func(s *corev1.PodSpec) {
			s.RestartPolicy = corev1.RestartPolicyNever
			s.DNSPolicy = corev1.DNSDefault
			s.SchedulerName = "other"
			s.TerminationGracePeriodSeconds = ptr.To[int64](5)
			s.EnableServiceLinks = ptr.To(false)
			s.SecurityContext = &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true)}
			s.Containers[0].ImagePullPolicy = corev1.PullNever
			s.Containers[0].TerminationMessagePath = "/tmp/x"
			s.Containers[0].TerminationMessagePolicy = corev1.TerminationMessageFallbackToLogsOnError
		}),
		want: &corev1.Pod{Spec: corev1.PodSpec{
			Containers: []corev1.Container{{
				Name: "c", Image: "nginx:1.25",
				ImagePullPolicy:          corev1.PullNever,
				TerminationMessagePath:   "/tmp/x",
				TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
			}},
			RestartPolicy:                 corev1.RestartPolicyNever,
			DNSPolicy:                     corev1.DNSDefault,
			SchedulerName:                 "other",
			TerminationGracePeriodSeconds: ptr.To[int64](5),
			EnableServiceLinks:            ptr.To(false),
			SecurityContext:               &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true)},
		}},
	}, {
		name: "negative terminationGracePeriodSeconds becomes 1",
		in:   withSpec(func(s *corev1.PodSpec) { s.TerminationGracePeriodSeconds = ptr.To[int64](-5) }),
		want: wantSpec(func(s *corev1.PodSpec) { s.TerminationGracePeriodSeconds = ptr.To[int64](1) }),
	}, {
		name: "requests default to limits for containers and init containers",
		in: withSpec(func(s *corev1.PodSpec) {
			s.Containers[0].Resources.Limits = limits.DeepCopy()
			s.InitContainers = []corev1.Container{{
				Name: "i", Image: "busybox:1",
				Resources: corev1.ResourceRequirements{
					Limits:   limits.DeepCopy(),
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")},
				},
			}}
		}),
		want: wantSpec(func(s *corev1.PodSpec) {
			s.Containers[0].Resources = corev1.ResourceRequirements{Limits: limits.DeepCopy(), Requests: limits.DeepCopy()}
			i := defaultedContainer("i", "busybox:1", corev1.PullIfNotPresent)
			i.Resources = corev1.ResourceRequirements{
				Limits: limits.DeepCopy(),
				Requests: corev1.ResourceList{
					corev1.ResourceCPU:    resource.MustParse("100m"),
					corev1.ResourceMemory: resource.MustParse("128Mi"),
				},
			}
			s.InitContainers = []corev1.Container{i}
		}),
	}, {
		name: "resource quantities are rounded up to milli scale",
		in: withSpec(func(s *corev1.PodSpec) {
			s.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("0.1m")}
		}),
		want: wantSpec(func(s *corev1.PodSpec) {
			s.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1m")}
		}),
	}, {
		name: "hostNetwork defaults hostPort to containerPort",
		in: withSpec(func(s *corev1.PodSpec) {
			s.HostNetwork = true
			s.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 8080}, {ContainerPort: 53, HostPort: 5353, Protocol: corev1.ProtocolUDP}}
		}),
		want: wantSpec(func(s *corev1.PodSpec) {
			s.HostNetwork = true
			s.Containers[0].Ports = []corev1.ContainerPort{
				{ContainerPort: 8080, HostPort: 8080, Protocol: corev1.ProtocolTCP},
				{ContainerPort: 53, HostPort: 5353, Protocol: corev1.ProtocolUDP},
			}
		}),
	}, {
		name: "deprecated serviceAccount populates serviceAccountName",
		in:   withSpec(func(s *corev1.PodSpec) { s.DeprecatedServiceAccount = "sa" }),
		want: wantSpec(func(s *corev1.PodSpec) { s.DeprecatedServiceAccount = "sa"; s.ServiceAccountName = "sa" }),
	}, {
		name: "serviceAccountName wins over deprecated serviceAccount",
		in:   withSpec(func(s *corev1.PodSpec) { s.DeprecatedServiceAccount = "old"; s.ServiceAccountName = "new" }),
		want: wantSpec(func(s *corev1.PodSpec) { s.DeprecatedServiceAccount = "new"; s.ServiceAccountName = "new" }),
	}, {
		name: "container ports, env fieldRef, fileKeyRef and probes",
		in: withSpec(func(s *corev1.PodSpec) {
			c := &s.Containers[0]
			c.Ports = []corev1.ContainerPort{{ContainerPort: 80}}
			c.Env = []corev1.EnvVar{
				{Name: "NODE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}},
				{Name: "FILE", ValueFrom: &corev1.EnvVarSource{FileKeyRef: &corev1.FileKeySelector{Key: "k"}}},
			}
			c.LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(8080)}}}
			c.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9090}}, PeriodSeconds: 3}
			c.StartupProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(1)}}}
			c.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/stop"}}}
		}),
		want: wantSpec(func(s *corev1.PodSpec) {
			c := &s.Containers[0]
			c.Ports = []corev1.ContainerPort{{ContainerPort: 80, Protocol: corev1.ProtocolTCP}}
			c.Env = []corev1.EnvVar{
				{Name: "NODE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "spec.nodeName"}}},
				{Name: "FILE", ValueFrom: &corev1.EnvVarSource{FileKeyRef: &corev1.FileKeySelector{Key: "k", Optional: ptr.To(false)}}},
			}
			c.LivenessProbe = &corev1.Probe{
				ProbeHandler:   corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Port: intstr.FromInt32(8080), Scheme: corev1.URISchemeHTTP}},
				TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3,
			}
			c.ReadinessProbe = &corev1.Probe{
				ProbeHandler:   corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9090, Service: ptr.To("")}},
				TimeoutSeconds: 1, PeriodSeconds: 3, SuccessThreshold: 1, FailureThreshold: 3,
			}
			c.StartupProbe = &corev1.Probe{
				ProbeHandler:   corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(1)}},
				TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3,
			}
			c.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/stop", Scheme: corev1.URISchemeHTTP}}}
		}),
	}, {
		name: "init and ephemeral containers",
		in: withSpec(func(s *corev1.PodSpec) {
			s.InitContainers = []corev1.Container{{Name: "i", Image: "busybox"}}
			s.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
				Name: "e", Image: "debug:v1", Ports: []corev1.ContainerPort{{ContainerPort: 1}},
			}}}
		}),
		want: wantSpec(func(s *corev1.PodSpec) {
			s.InitContainers = []corev1.Container{defaultedContainer("i", "busybox", corev1.PullAlways)}
			s.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
				Name: "e", Image: "debug:v1",
				Ports:                    []corev1.ContainerPort{{ContainerPort: 1, Protocol: corev1.ProtocolTCP}},
				ImagePullPolicy:          corev1.PullIfNotPresent,
				TerminationMessagePath:   "/dev/termination-log",
				TerminationMessagePolicy: corev1.TerminationMessageReadFile,
			}}}
		}),
	}, {
		name: "volumes",
		in: withSpec(func(s *corev1.PodSpec) {
			s.Volumes = []corev1.Volume{
				{Name: "none"},
				{Name: "secret", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s"}}},
				{Name: "cm", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "c"}}}},
				{Name: "cm-mode", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{DefaultMode: ptr.To[int32](0400)}}},
				{Name: "dapi", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{
					{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels"}},
				}}}},
				{Name: "proj", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
					{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}},
					{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "n", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}}},
				}}}},
				{Name: "hp", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var"}}},
				{Name: "img", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: "artifact:latest"}}},
				{Name: "img-tag", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: "artifact:v1"}}},
				{Name: "eph", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{}}}},
			}
		}),
		want: wantSpec(func(s *corev1.PodSpec) {
			s.Volumes = []corev1.Volume{
				{Name: "none", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
				{Name: "secret", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s", DefaultMode: ptr.To[int32](0644)}}},
				{Name: "cm", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "c"}, DefaultMode: ptr.To[int32](0644)}}},
				{Name: "cm-mode", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{DefaultMode: ptr.To[int32](0400)}}},
				{Name: "dapi", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{
					Items: []corev1.DownwardAPIVolumeFile{
						{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.labels"}},
					},
					DefaultMode: ptr.To[int32](0644),
				}}},
				{Name: "proj", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
					Sources: []corev1.VolumeProjection{
						{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: ptr.To[int64](3600)}},
						{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "n", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}}}}},
					},
					DefaultMode: ptr.To[int32](0644),
				}}},
				{Name: "hp", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var", Type: ptr.To(corev1.HostPathUnset)}}},
				{Name: "img", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: "artifact:latest", PullPolicy: corev1.PullAlways}}},
				{Name: "img-tag", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: "artifact:v1", PullPolicy: corev1.PullIfNotPresent}}},
				{Name: "eph", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{
					Spec: corev1.PersistentVolumeClaimSpec{VolumeMode: ptr.To(corev1.PersistentVolumeFilesystem)},
				}}}},
			}
		}),
	}, {
		name: "status podIP populates podIPs",
		in:   &corev1.Pod{Status: corev1.PodStatus{PodIP: "10.0.0.1"}},
		want: func() *corev1.Pod {
			p := defaultedPod(defaultedPodSpec())
			p.Status = corev1.PodStatus{PodIP: "10.0.0.1", PodIPs: []corev1.PodIP{{IP: "10.0.0.1"}}}
			return p
		}(),
	}, {
		name: "status podIPs populates podIP",
		in:   &corev1.Pod{Status: corev1.PodStatus{PodIPs: []corev1.PodIP{{IP: "fd00::1"}, {IP: "10.0.0.1"}}}},
		want: func() *corev1.Pod {
			p := defaultedPod(defaultedPodSpec())
			p.Status = corev1.PodStatus{PodIP: "fd00::1", PodIPs: []corev1.PodIP{{IP: "fd00::1"}, {IP: "10.0.0.1"}}}
			return p
		}(),
	}, {
		name: "status podIP is authoritative on mismatch",
		in:   &corev1.Pod{Status: corev1.PodStatus{PodIP: "10.0.0.2", PodIPs: []corev1.PodIP{{IP: "10.0.0.1"}, {IP: "fd00::1"}}}},
		want: func() *corev1.Pod {
			p := defaultedPod(defaultedPodSpec())
			p.Status = corev1.PodStatus{PodIP: "10.0.0.2", PodIPs: []corev1.PodIP{{IP: "10.0.0.2"}}}
			return p
		}(),
	}, {
		name: "pod list items are defaulted",
		in:   &corev1.PodList{Items: []corev1.Pod{{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}}}},
		want: &corev1.PodList{Items: []corev1.Pod{*defaultedPod(defaultedPodSpec(defaultedContainer("c", "nginx", corev1.PullAlways)))}},
	}})
}

func TestPodTemplateDefaulting(t *testing.T) {
	limits := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}
	in := &corev1.PodTemplate{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		Containers:                    []corev1.Container{{Name: "c", Image: "nginx", Resources: corev1.ResourceRequirements{Limits: limits}}},
		TerminationGracePeriodSeconds: ptr.To[int64](-1),
	}}}
	// Templates get SetDefaults_PodSpec but not SetDefaults_Pod: no
	// enableServiceLinks, no requests-from-limits, no grace period clamp.
	c := defaultedContainer("c", "nginx", corev1.PullAlways)
	c.Resources = corev1.ResourceRequirements{Limits: limits}
	spec := defaultedPodSpec(c)
	spec.TerminationGracePeriodSeconds = ptr.To[int64](-1)
	runDefaultingCases(t, []defaultingCase{{
		name: "pod template",
		in:   in,
		want: &corev1.PodTemplate{Template: corev1.PodTemplateSpec{Spec: spec}},
	}, {
		name: "pod template list",
		in:   &corev1.PodTemplateList{Items: []corev1.PodTemplate{*in}},
		want: &corev1.PodTemplateList{Items: []corev1.PodTemplate{{Template: corev1.PodTemplateSpec{Spec: spec}}}},
	}})
}

func TestReplicationControllerDefaulting(t *testing.T) {
	labels := map[string]string{"app": "x"}
	runDefaultingCases(t, []defaultingCase{{
		name: "replicas, selector and labels come from the template",
		in: &corev1.ReplicationController{Spec: corev1.ReplicationControllerSpec{Template: &corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx:1"}}},
		}}},
		want: &corev1.ReplicationController{
			ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.ReplicationControllerSpec{
				Replicas: ptr.To[int32](1),
				Selector: labels,
				Template: &corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec:       defaultedPodSpec(defaultedContainer("c", "nginx:1", corev1.PullIfNotPresent)),
				},
			},
		},
	}})
}

func TestImagePullPolicyDefaulting(t *testing.T) {
	const digest = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	for _, tc := range []struct {
		image string
		want  corev1.PullPolicy
	}{
		{"nginx", corev1.PullAlways},
		{"nginx:latest", corev1.PullAlways},
		{"library/nginx", corev1.PullAlways},
		{"docker.io/library/nginx:latest", corev1.PullAlways},
		{"localhost:5000/team/app", corev1.PullAlways},
		{"[fd00::1]:5000/app", corev1.PullAlways},
		{"nginx:latest@" + digest, corev1.PullAlways},
		{"nginx:1.25", corev1.PullIfNotPresent},
		{"registry.k8s.io/pause:3.10", corev1.PullIfNotPresent},
		{"nginx@" + digest, corev1.PullIfNotPresent},
		{"nginx:Latest", corev1.PullIfNotPresent},
		// References that do not parse fall back to IfNotPresent.
		{"", corev1.PullIfNotPresent},
		{"Nginx", corev1.PullIfNotPresent},
		{"nginx@sha256:abc", corev1.PullIfNotPresent},
		{"nginx@md5:d41d8cd98f00b204e9800998ecf8427e", corev1.PullIfNotPresent},
		{"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", corev1.PullIfNotPresent},
		{"nginx::1", corev1.PullIfNotPresent},
	} {
		t.Run(tc.image, func(t *testing.T) {
			c := &corev1.Container{Image: tc.image}
			SetDefaults_Container(c)
			if c.ImagePullPolicy != tc.want {
				t.Errorf("container image %q: got %q, want %q", tc.image, c.ImagePullPolicy, tc.want)
			}
			v := &corev1.Volume{VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: tc.image}}}
			SetDefaults_Volume(v)
			if v.Image.PullPolicy != tc.want {
				t.Errorf("image volume %q: got %q, want %q", tc.image, v.Image.PullPolicy, tc.want)
			}
		})
	}
}

func TestServiceDefaulting(t *testing.T) {
	cluster := corev1.ServiceInternalTrafficPolicyCluster
	vip := corev1.LoadBalancerIPModeVIP
	proxy := corev1.LoadBalancerIPModeProxy
	port := func(p int32) corev1.ServicePort {
		return corev1.ServicePort{Port: p, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(p)}
	}
	runDefaultingCases(t, []defaultingCase{{
		name: "minimal ClusterIP service",
		in:   &corev1.Service{Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}},
		want: &corev1.Service{Spec: corev1.ServiceSpec{
			Type:                  corev1.ServiceTypeClusterIP,
			Ports:                 []corev1.ServicePort{port(80)},
			SessionAffinity:       corev1.ServiceAffinityNone,
			InternalTrafficPolicy: &cluster,
		}},
	}, {
		name: "explicit targetPort and protocol are kept",
		in: &corev1.Service{Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{
			{Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromString("dns")},
			{Port: 80, TargetPort: intstr.FromInt32(8080)},
		}}},
		want: &corev1.Service{Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeClusterIP,
			Ports: []corev1.ServicePort{
				{Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromString("dns")},
				{Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(8080)},
			},
			SessionAffinity:       corev1.ServiceAffinityNone,
			InternalTrafficPolicy: &cluster,
		}},
	}, {
		name: "NodePort",
		in:   &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{{Port: 80}}}},
		want: &corev1.Service{Spec: corev1.ServiceSpec{
			Type:                  corev1.ServiceTypeNodePort,
			Ports:                 []corev1.ServicePort{port(80)},
			SessionAffinity:       corev1.ServiceAffinityNone,
			ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyCluster,
			InternalTrafficPolicy: &cluster,
		}},
	}, {
		name: "LoadBalancer with ingress status",
		in: &corev1.Service{
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: []corev1.ServicePort{{Port: 443}}},
			Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{
				{IP: "1.2.3.4"}, {Hostname: "lb.example.com"}, {IP: "1.2.3.5", IPMode: &proxy},
			}}},
		},
		want: &corev1.Service{
			Spec: corev1.ServiceSpec{
				Type:                          corev1.ServiceTypeLoadBalancer,
				Ports:                         []corev1.ServicePort{port(443)},
				SessionAffinity:               corev1.ServiceAffinityNone,
				ExternalTrafficPolicy:         corev1.ServiceExternalTrafficPolicyCluster,
				InternalTrafficPolicy:         &cluster,
				AllocateLoadBalancerNodePorts: ptr.To(true),
			},
			Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{
				{IP: "1.2.3.4", IPMode: &vip}, {Hostname: "lb.example.com"}, {IP: "1.2.3.5", IPMode: &proxy},
			}}},
		},
	}, {
		name: "ClusterIP with externalIPs gets externalTrafficPolicy",
		in:   &corev1.Service{Spec: corev1.ServiceSpec{ExternalIPs: []string{"1.2.3.4"}}},
		want: &corev1.Service{Spec: corev1.ServiceSpec{
			Type:                  corev1.ServiceTypeClusterIP,
			ExternalIPs:           []string{"1.2.3.4"},
			SessionAffinity:       corev1.ServiceAffinityNone,
			ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyCluster,
			InternalTrafficPolicy: &cluster,
		}},
	}, {
		name: "ExternalName gets no traffic policies",
		in:   &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "example.com"}},
		want: &corev1.Service{Spec: corev1.ServiceSpec{
			Type:            corev1.ServiceTypeExternalName,
			ExternalName:    "example.com",
			SessionAffinity: corev1.ServiceAffinityNone,
		}},
	}, {
		name: "ClientIP affinity gets a timeout",
		in:   &corev1.Service{Spec: corev1.ServiceSpec{SessionAffinity: corev1.ServiceAffinityClientIP}},
		want: &corev1.Service{Spec: corev1.ServiceSpec{
			Type:                  corev1.ServiceTypeClusterIP,
			SessionAffinity:       corev1.ServiceAffinityClientIP,
			SessionAffinityConfig: &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To[int32](10800)}},
			InternalTrafficPolicy: &cluster,
		}},
	}, {
		name: "affinity None drops sessionAffinityConfig",
		in: &corev1.Service{Spec: corev1.ServiceSpec{
			SessionAffinityConfig: &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To[int32](5)}},
		}},
		want: &corev1.Service{Spec: corev1.ServiceSpec{
			Type:                  corev1.ServiceTypeClusterIP,
			SessionAffinity:       corev1.ServiceAffinityNone,
			InternalTrafficPolicy: &cluster,
		}},
	}, {
		name: "ipFamilies and ipFamilyPolicy are left to the registry",
		in:   &corev1.Service{Spec: corev1.ServiceSpec{ClusterIP: "10.0.0.10"}},
		want: &corev1.Service{Spec: corev1.ServiceSpec{
			Type:                  corev1.ServiceTypeClusterIP,
			ClusterIP:             "10.0.0.10",
			SessionAffinity:       corev1.ServiceAffinityNone,
			InternalTrafficPolicy: &cluster,
		}},
	}, {
		name: "service list",
		in:   &corev1.ServiceList{Items: []corev1.Service{{}}},
		want: &corev1.ServiceList{Items: []corev1.Service{{Spec: corev1.ServiceSpec{
			Type:                  corev1.ServiceTypeClusterIP,
			SessionAffinity:       corev1.ServiceAffinityNone,
			InternalTrafficPolicy: &cluster,
		}}}},
	}})
}

func TestNodeDefaulting(t *testing.T) {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("4"),
		corev1.ResourceMemory: resource.MustParse("8Gi"),
	}
	runDefaultingCases(t, []defaultingCase{{
		name: "empty node",
		in:   &corev1.Node{},
		want: &corev1.Node{},
	}, {
		name: "allocatable defaults to capacity",
		in:   &corev1.Node{Status: corev1.NodeStatus{Capacity: capacity.DeepCopy()}},
		want: &corev1.Node{Status: corev1.NodeStatus{Capacity: capacity.DeepCopy(), Allocatable: capacity.DeepCopy()}},
	}, {
		name: "explicit allocatable is kept",
		in: &corev1.Node{Status: corev1.NodeStatus{
			Capacity:    capacity.DeepCopy(),
			Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("3")},
		}},
		want: &corev1.Node{Status: corev1.NodeStatus{
			Capacity:    capacity.DeepCopy(),
			Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("3")},
		}},
	}, {
		name: "node list",
		in:   &corev1.NodeList{Items: []corev1.Node{{Status: corev1.NodeStatus{Capacity: capacity.DeepCopy()}}}},
		want: &corev1.NodeList{Items: []corev1.Node{{Status: corev1.NodeStatus{Capacity: capacity.DeepCopy(), Allocatable: capacity.DeepCopy()}}}},
	}})

	t.Run("allocatable does not alias capacity", func(t *testing.T) {
		n := &corev1.Node{Status: corev1.NodeStatus{Capacity: capacity.DeepCopy()}}
		SetObjectDefaults_Node(n)
		n.Status.Capacity[corev1.ResourcePods] = resource.MustParse("110")
		if _, ok := n.Status.Allocatable[corev1.ResourcePods]; ok {
			t.Errorf("allocatable shares its map with capacity")
		}
	})
}

func TestNamespaceDefaulting(t *testing.T) {
	runDefaultingCases(t, []defaultingCase{{
		name: "named namespace",
		in:   &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns", Labels: map[string]string{"a": "b"}}},
		want: &corev1.Namespace{
			ObjectMeta: metav1.ObjectMeta{Name: "ns", Labels: map[string]string{"a": "b", "kubernetes.io/metadata.name": "ns"}},
			Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
		},
	}, {
		name: "generateName only gets no name label, and finalizers are not set",
		in:   &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "ns-"}},
		want: &corev1.Namespace{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "ns-"},
			Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
		},
	}, {
		name: "terminating phase is kept",
		in:   &corev1.NamespaceList{Items: []corev1.Namespace{{Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}}}},
		want: &corev1.NamespaceList{Items: []corev1.Namespace{{Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}}}},
	}})
}

func TestSimpleTypeDefaulting(t *testing.T) {
	runDefaultingCases(t, []defaultingCase{{
		name: "secret type Opaque",
		in:   &corev1.Secret{},
		want: &corev1.Secret{Type: corev1.SecretTypeOpaque},
	}, {
		name: "secret type kept",
		in:   &corev1.SecretList{Items: []corev1.Secret{{Type: corev1.SecretTypeTLS}, {}}},
		want: &corev1.SecretList{Items: []corev1.Secret{{Type: corev1.SecretTypeTLS}, {Type: corev1.SecretTypeOpaque}}},
	}, {
		name: "configmap data becomes an empty map",
		in:   &corev1.ConfigMap{},
		want: &corev1.ConfigMap{Data: map[string]string{}},
	}, {
		name: "endpoints port protocol",
		in: &corev1.Endpoints{Subsets: []corev1.EndpointSubset{{
			Ports: []corev1.EndpointPort{{Port: 80}, {Port: 53, Protocol: corev1.ProtocolUDP}},
		}}},
		want: &corev1.Endpoints{Subsets: []corev1.EndpointSubset{{
			Ports: []corev1.EndpointPort{{Port: 80, Protocol: corev1.ProtocolTCP}, {Port: 53, Protocol: corev1.ProtocolUDP}},
		}}},
	}, {
		name: "persistent volume",
		in:   &corev1.PersistentVolume{Spec: corev1.PersistentVolumeSpec{PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/d"}}}},
		want: &corev1.PersistentVolume{
			Spec: corev1.PersistentVolumeSpec{
				PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/d", Type: ptr.To(corev1.HostPathUnset)}},
				PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
				VolumeMode:                    ptr.To(corev1.PersistentVolumeFilesystem),
			},
			Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumePending},
		},
	}, {
		name: "persistent volume claim",
		in:   &corev1.PersistentVolumeClaim{},
		want: &corev1.PersistentVolumeClaim{
			Spec:   corev1.PersistentVolumeClaimSpec{VolumeMode: ptr.To(corev1.PersistentVolumeFilesystem)},
			Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending},
		},
	}, {
		name: "limit range container item",
		in: &corev1.LimitRange{Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
			Type: corev1.LimitTypeContainer,
			Max:  corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")},
			Min:  corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Mi")},
		}}}},
		want: &corev1.LimitRange{Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
			Type:    corev1.LimitTypeContainer,
			Max:     corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")},
			Min:     corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Mi")},
			Default: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")},
			DefaultRequest: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("2"),
				corev1.ResourceMemory: resource.MustParse("1Mi"),
			},
		}}}},
	}, {
		name: "resource quota values are rounded",
		in:   &corev1.ResourceQuota{Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1.0001")}}},
		want: &corev1.ResourceQuota{Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1001m")}}},
	}, {
		name: "events have no defaults",
		in:   &corev1.Event{Reason: "r"},
		want: &corev1.Event{Reason: "r"},
	}})
}
