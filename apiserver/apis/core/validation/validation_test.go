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

package validation

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// want describes one expected error: its field path, its type and,
// optionally, a substring of its detail.
type want struct {
	field  string
	typ    field.ErrorType
	detail string
}

func req(f string) want      { return want{field: f, typ: field.ErrorTypeRequired} }
func inv(f string) want      { return want{field: f, typ: field.ErrorTypeInvalid} }
func dup(f string) want      { return want{field: f, typ: field.ErrorTypeDuplicate} }
func unsup(f string) want    { return want{field: f, typ: field.ErrorTypeNotSupported} }
func forbid(f string) want   { return want{field: f, typ: field.ErrorTypeForbidden} }
func notFound(f string) want { return want{field: f, typ: field.ErrorTypeNotFound} }
func tooLong(f string) want  { return want{field: f, typ: field.ErrorTypeTooLong} }

func (w want) with(detail string) want {
	w.detail = detail
	return w
}

// expectErrs requires errs to be exactly wants, in order.
func expectErrs(t *testing.T, errs field.ErrorList, wants ...want) {
	t.Helper()
	if len(errs) != len(wants) {
		t.Fatalf("expected %d errors %v, got %d:\n%s", len(wants), wants, len(errs), dumpErrs(errs))
	}
	for i, w := range wants {
		e := errs[i]
		if e.Field != w.field || e.Type != w.typ {
			t.Errorf("error %d: expected %s %q, got %s %q (%s)\nall:\n%s", i, w.typ, w.field, e.Type, e.Field, e.Detail, dumpErrs(errs))
		}
		if w.detail != "" && !strings.Contains(e.Detail, w.detail) {
			t.Errorf("error %d: expected detail containing %q, got %q", i, w.detail, e.Detail)
		}
	}
}

func dumpErrs(errs field.ErrorList) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString("  " + e.Error() + "\n")
	}
	return b.String()
}

// ---- Pods ----

// validPod returns a pod as it looks after v1 defaulting.
func validPod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "pod1", Namespace: "ns", ResourceVersion: "1"},
		Spec: corev1.PodSpec{
			Containers:                    []corev1.Container{validContainer("ctr")},
			RestartPolicy:                 corev1.RestartPolicyAlways,
			DNSPolicy:                     corev1.DNSClusterFirst,
			TerminationGracePeriodSeconds: ptr.To[int64](30),
			SecurityContext:               &corev1.PodSecurityContext{},
			SchedulerName:                 corev1.DefaultSchedulerName,
			EnableServiceLinks:            ptr.To(true),
		},
	}
}

func validContainer(name string) corev1.Container {
	return corev1.Container{
		Name:                     name,
		Image:                    "registry.k8s.io/pause:3.10",
		ImagePullPolicy:          corev1.PullIfNotPresent,
		TerminationMessagePath:   corev1.TerminationMessagePathDefault,
		TerminationMessagePolicy: corev1.TerminationMessageReadFile,
	}
}

func httpProbe() *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
			Path:   "/healthz",
			Port:   intstr.FromInt32(8080),
			Scheme: corev1.URISchemeHTTP,
		}},
		TimeoutSeconds:   1,
		PeriodSeconds:    10,
		SuccessThreshold: 1,
		FailureThreshold: 3,
	}
}

// richPod exercises many optional fields at once, all valid.
func richPod() *corev1.Pod {
	pod := validPod()
	ctr := &pod.Spec.Containers[0]
	ctr.Ports = []corev1.ContainerPort{
		{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP},
		{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP},
	}
	ctr.Env = []corev1.EnvVar{
		{Name: "PLAIN", Value: "x"},
		{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}}},
		{Name: "APP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.labels['app']"}}},
		{Name: "MEM", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.memory", Divisor: resource.MustParse("1Mi")}}},
		{Name: "PASS", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}, Key: "password"}}},
	}
	ctr.EnvFrom = []corev1.EnvFromSource{{Prefix: "CM_", ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cm"}}}}
	ctr.Resources = corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
		Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("128Mi"), "example.com/gpu": resource.MustParse("1")},
	}
	ctr.VolumeMounts = []corev1.VolumeMount{
		{Name: "data", MountPath: "/data"},
		{Name: "cfg", MountPath: "/etc/cfg", ReadOnly: true},
		{Name: "tok", MountPath: "/var/run/tok"},
	}
	ctr.LivenessProbe = httpProbe()
	ctr.ReadinessProbe = httpProbe()
	ctr.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 5}}}
	ctr.SecurityContext = &corev1.SecurityContext{RunAsUser: ptr.To[int64](1000), AllowPrivilegeEscalation: ptr.To(false)}

	sidecar := validContainer("sidecar")
	sidecar.RestartPolicy = ptr.To(corev1.ContainerRestartPolicyAlways)
	sidecar.StartupProbe = httpProbe()
	pod.Spec.InitContainers = []corev1.Container{validContainer("init"), sidecar}

	pod.Spec.ServiceAccountName = "sa"
	pod.Spec.DeprecatedServiceAccount = "sa"
	pod.Spec.Volumes = []corev1.Volume{
		{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: "cm"},
			Items:                []corev1.KeyToPath{{Key: "a", Path: "a.conf"}},
			DefaultMode:          ptr.To[int32](0644),
		}}},
		{Name: "tok", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{
				{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: ptr.To[int64](3607)}},
				{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.labels"}}}}},
			},
			DefaultMode: ptr.To[int32](0644),
		}}},
		{Name: "claim", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "pvc"}}},
		{Name: "scratch", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{
			Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
			},
		}}}},
	}
	pod.Spec.NodeSelector = map[string]string{"kubernetes.io/os": "linux"}
	pod.Spec.Tolerations = []corev1.Toleration{
		{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)},
		{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "gpu", Effect: corev1.TaintEffectNoSchedule},
		{Operator: corev1.TolerationOpExists},
	}
	pod.Spec.Affinity = &corev1.Affinity{
		NodeAffinity: &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"a", "b"}}},
				MatchFields:      []corev1.NodeSelectorRequirement{{Key: "metadata.name", Operator: corev1.NodeSelectorOpIn, Values: []string{"node1"}}},
			}}},
			PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{{Weight: 10, Preference: corev1.NodeSelectorTerm{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "disk", Operator: corev1.NodeSelectorOpExists}},
			}}},
		},
		PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}},
			TopologyKey:   "kubernetes.io/hostname",
		}}},
	}
	pod.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{
		MaxSkew:           1,
		TopologyKey:       "topology.kubernetes.io/zone",
		WhenUnsatisfiable: corev1.DoNotSchedule,
		LabelSelector:     &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}},
	}}
	pod.Spec.DNSConfig = &corev1.PodDNSConfig{Nameservers: []string{"10.0.0.10"}, Searches: []string{"svc.cluster.local"}, Options: []corev1.PodDNSConfigOption{{Name: "ndots", Value: ptr.To("2")}}}
	pod.Spec.HostAliases = []corev1.HostAlias{{IP: "10.1.2.3", Hostnames: []string{"foo.local"}}}
	pod.Spec.Hostname = "web-0"
	pod.Spec.Subdomain = "web"
	pod.Spec.ActiveDeadlineSeconds = ptr.To[int64](3600)
	pod.Spec.PriorityClassName = "high"
	pod.Spec.PreemptionPolicy = ptr.To(corev1.PreemptLowerPriority)
	pod.Spec.SecurityContext = &corev1.PodSecurityContext{
		RunAsNonRoot:   ptr.To(true),
		FSGroup:        ptr.To[int64](2000),
		Sysctls:        []corev1.Sysctl{{Name: "net.ipv4.ip_local_port_range", Value: "1024 65535"}},
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	pod.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: "example.com/ready"}}
	pod.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "example.com/gate"}}
	pod.Spec.Resources = &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}}
	pod.Annotations = map[string]string{corev1.PodDeletionCost: "-10"}
	pod.Labels = map[string]string{"app": "x"}
	return pod
}

func TestValidatePodCreate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*corev1.Pod)
		want   []want
	}{
		{name: "minimal valid pod", mutate: func(*corev1.Pod) {}},
		{name: "missing name", mutate: func(p *corev1.Pod) { p.Name = "" }, want: []want{req("metadata.name")}},
		{name: "missing namespace", mutate: func(p *corev1.Pod) { p.Namespace = "" }, want: []want{req("metadata.namespace")}},
		{name: "unqualified finalizer", mutate: func(p *corev1.Pod) { p.Finalizers = []string{"custom"} },
			want: []want{inv("metadata.finalizers[0]").with("name is neither a standard finalizer name nor is it fully qualified")}},
		{name: "no containers", mutate: func(p *corev1.Pod) { p.Spec.Containers = nil }, want: []want{req("spec.containers")}},
		{name: "duplicate container names", mutate: func(p *corev1.Pod) {
			p.Spec.Containers = append(p.Spec.Containers, validContainer("ctr"))
		}, want: []want{dup("spec.containers[1].name")}},
		{name: "init container name clashes with container", mutate: func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{validContainer("ctr")}
		}, want: []want{dup("spec.initContainers[0].name")}},
		{name: "container name not a DNS label", mutate: func(p *corev1.Pod) { p.Spec.Containers[0].Name = "Bad_Name" },
			want: []want{inv("spec.containers[0].name")}},
		{name: "missing container name", mutate: func(p *corev1.Pod) { p.Spec.Containers[0].Name = "" },
			want: []want{req("spec.containers[0].name")}},
		{name: "missing image", mutate: func(p *corev1.Pod) { p.Spec.Containers[0].Image = "" },
			want: []want{req("spec.containers[0].image")}},
		{name: "image with whitespace", mutate: func(p *corev1.Pod) { p.Spec.Containers[0].Image = " nginx" },
			want: []want{inv("spec.containers[0].image").with("must not have leading or trailing whitespace")}},
		{name: "bad imagePullPolicy", mutate: func(p *corev1.Pod) { p.Spec.Containers[0].ImagePullPolicy = "Sometimes" },
			want: []want{unsup("spec.containers[0].imagePullPolicy")}},
		{name: "missing terminationMessagePolicy", mutate: func(p *corev1.Pod) { p.Spec.Containers[0].TerminationMessagePolicy = "" },
			want: []want{req("spec.containers[0].terminationMessagePolicy")}},
		{name: "containerPort zero", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 0, Protocol: corev1.ProtocolTCP}}
		}, want: []want{req("spec.containers[0].ports[0].containerPort")}},
		{name: "containerPort out of range", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 70000, Protocol: corev1.ProtocolTCP}}
		}, want: []want{inv("spec.containers[0].ports[0].containerPort").with("between 1 and 65535")}},
		{name: "container port protocol", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, Protocol: "HTTP"}}
		}, want: []want{unsup("spec.containers[0].ports[0].protocol")}},
		{name: "duplicate container port names", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{
				{Name: "http", ContainerPort: 80, Protocol: corev1.ProtocolTCP},
				{Name: "http", ContainerPort: 81, Protocol: corev1.ProtocolTCP},
			}
		}, want: []want{dup("spec.containers[0].ports[1].name")}},
		{name: "container port name not IANA_SVC_NAME", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "this-name-is-too-long", ContainerPort: 80, Protocol: corev1.ProtocolTCP}}
		}, want: []want{inv("spec.containers[0].ports[0].name")}},
		{name: "conflicting hostPorts", mutate: func(p *corev1.Pod) {
			c := validContainer("other")
			c.Ports = []corev1.ContainerPort{{ContainerPort: 81, HostPort: 8080, Protocol: corev1.ProtocolTCP}}
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, HostPort: 8080, Protocol: corev1.ProtocolTCP}}
			p.Spec.Containers = append(p.Spec.Containers, c)
		}, want: []want{dup("spec.containers[1].ports[0].hostPort")}},
		{name: "requests above limits", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources = corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")},
			}
		}, want: []want{inv("spec.containers[0].resources.requests").with("must be less than or equal to cpu limit of 1")}},
		{name: "negative quantity", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("-1")}
		}, want: []want{inv("spec.containers[0].resources.limits[memory]").with("must be greater than or equal to 0")}},
		{name: "non-standard unqualified resource", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{"gpu": resource.MustParse("1")}
		}, want: []want{
			inv("spec.containers[0].resources.requests[gpu]").with("must be a standard resource type or fully qualified"),
			inv("spec.containers[0].resources.requests[gpu]").with("must be a standard resource for containers"),
		}},
		{name: "fractional extended resource", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Limits = corev1.ResourceList{"example.com/gpu": resource.MustParse("500m")}
		}, want: []want{inv("spec.containers[0].resources.limits[example.com/gpu]").with("must be an integer")}},
		{name: "extended resource request without limit", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{"example.com/gpu": resource.MustParse("1")}
		}, want: []want{req("spec.containers[0].resources.limits").with("Limit must be set for non overcommitable resources")}},
		{name: "env var name with =", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "A=B", Value: "x"}}
		}, want: []want{inv("spec.containers[0].env[0].name")}},
		{name: "env var name missing", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].Env = []corev1.EnvVar{{Value: "x"}}
		}, want: []want{req("spec.containers[0].env[0].name")}},
		{name: "env value and valueFrom", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "A", Value: "x", ValueFrom: &corev1.EnvVarSource{
				SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}, Key: "k"}}}}
		}, want: []want{inv("spec.containers[0].env[0].valueFrom").with("may not be specified when `value` is not empty")}},
		{name: "env fieldRef path not allowed for env", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "A", ValueFrom: &corev1.EnvVarSource{
				FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "spec.restartPolicy"}}}}
		}, want: []want{unsup("spec.containers[0].env[0].valueFrom.fieldRef.fieldPath")}},
		{name: "env fieldRef unknown path", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "A", ValueFrom: &corev1.EnvVarSource{
				FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "spec.bogus"}}}}
		}, want: []want{inv("spec.containers[0].env[0].valueFrom.fieldRef.fieldPath").with("error converting fieldPath")}},
		{name: "envFrom without source", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{Prefix: "P_"}}
		}, want: []want{inv("spec.containers[0].envFrom")}},
		{name: "duplicate volume names", mutate: func(p *corev1.Pod) {
			v := corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}
			p.Spec.Volumes = []corev1.Volume{v, v}
		}, want: []want{dup("spec.volumes[1].name")}},
		{name: "volume without source", mutate: func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "v"}}
		}, want: []want{req("spec.volumes[0]").with("must specify a volume type")}},
		{name: "volume with two sources", mutate: func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{
				EmptyDir: &corev1.EmptyDirVolumeSource{}, HostPath: &corev1.HostPathVolumeSource{Path: "/tmp"}}}}
		}, want: []want{forbid("spec.volumes[0].hostPath").with("may not specify more than 1 volume type")}},
		{name: "volume name not a DNS label", mutate: func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "Vol", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
		}, want: []want{inv("spec.volumes[0].name")}},
		{name: "secret volume without secretName", mutate: func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{}}}}
		}, want: []want{req("spec.volumes[0].secret.secretName")}},
		{name: "configMap item path escapes", mutate: func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: "cm"},
				Items:                []corev1.KeyToPath{{Key: "k", Path: "../x"}}}}}}
		}, want: []want{inv("spec.volumes[0].configMap.items[0].path").with("must not contain '..'")}},
		{name: "hostPath with backsteps", mutate: func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/a/../b"}}}}
		}, want: []want{inv("spec.volumes[0].hostPath.path")}},
		{name: "volumeMount of unknown volume", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "nope", MountPath: "/x"}}
		}, want: []want{notFound("spec.containers[0].volumeMounts[0].name")}},
		{name: "volumeMount without mountPath", mutate: func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
			p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "v"}}
		}, want: []want{req("spec.containers[0].volumeMounts[0].mountPath")}},
		{name: "bidirectional propagation needs privileged", mutate: func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
			p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "v", MountPath: "/x", MountPropagation: ptr.To(corev1.MountPropagationBidirectional)}}
		}, want: []want{forbid("spec.containers[0].volumeMounts.mountPropagation")}},
		{name: "block device from emptyDir", mutate: func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
			p.Spec.Containers[0].VolumeDevices = []corev1.VolumeDevice{{Name: "v", DevicePath: "/dev/x"}}
		}, want: []want{inv("spec.containers[0].volumeDevices[0].name")}},
		{name: "ephemeral volume without claim template", mutate: func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{}}}}
		}, want: []want{req("spec.volumes[0].ephemeral.volumeClaimTemplate")}},
		{name: "ephemeral volume claim without access modes", mutate: func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{
				Spec: corev1.PersistentVolumeClaimSpec{Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}},
			}}}}}
		}, want: []want{req("spec.volumes[0].ephemeral.volumeClaimTemplate.spec.accessModes")}},
		{name: "projected token without service account", mutate: func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
				Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "t", ExpirationSeconds: ptr.To[int64](3600)}}}}}}}
		}, want: []want{forbid("spec.volumes[0].projected.sources[0].serviceAccountToken")}},
		{name: "bad restartPolicy", mutate: func(p *corev1.Pod) { p.Spec.RestartPolicy = "Sometimes" },
			want: []want{unsup("spec.restartPolicy")}},
		{name: "bad dnsPolicy", mutate: func(p *corev1.Pod) { p.Spec.DNSPolicy = "Bogus" },
			want: []want{unsup("spec.dnsPolicy")}},
		{name: "dnsPolicy None without dnsConfig", mutate: func(p *corev1.Pod) { p.Spec.DNSPolicy = corev1.DNSNone },
			want: []want{req("spec.dnsConfig")}},
		{name: "too many nameservers", mutate: func(p *corev1.Pod) {
			p.Spec.DNSConfig = &corev1.PodDNSConfig{Nameservers: []string{"1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4"}}
		}, want: []want{inv("spec.dnsConfig.nameservers")}},
		{name: "nodeSelector key invalid", mutate: func(p *corev1.Pod) {
			p.Spec.NodeSelector = map[string]string{"bad key": "x"}
		}, want: []want{inv("spec.nodeSelector")}},
		{name: "nodeSelector value invalid", mutate: func(p *corev1.Pod) {
			p.Spec.NodeSelector = map[string]string{"key": "bad value"}
		}, want: []want{inv("spec.nodeSelector")}},
		{name: "missing terminationGracePeriodSeconds", mutate: func(p *corev1.Pod) { p.Spec.TerminationGracePeriodSeconds = nil },
			want: []want{req("spec.terminationGracePeriodSeconds")}},
		{name: "negative terminationGracePeriodSeconds", mutate: func(p *corev1.Pod) { p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](-1) },
			want: []want{inv("spec.terminationGracePeriodSeconds")}},
		{name: "activeDeadlineSeconds zero", mutate: func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = ptr.To[int64](0) },
			want: []want{inv("spec.activeDeadlineSeconds")}},
		{name: "hostname not a DNS label", mutate: func(p *corev1.Pod) { p.Spec.Hostname = "a.b" },
			want: []want{inv("spec.hostname")}},
		{name: "subdomain not a DNS label", mutate: func(p *corev1.Pod) { p.Spec.Subdomain = "Sub" },
			want: []want{inv("spec.subdomain")}},
		{name: "priorityClassName invalid", mutate: func(p *corev1.Pod) { p.Spec.PriorityClassName = "Bad!" },
			want: []want{inv("spec.priorityClassName")}},
		{name: "preemptionPolicy invalid", mutate: func(p *corev1.Pod) { p.Spec.PreemptionPolicy = ptr.To(corev1.PreemptionPolicy("Sometimes")) },
			want: []want{unsup("spec.preemptionPolicy")}},
		{name: "serviceAccount fields out of sync", mutate: func(p *corev1.Pod) { p.Spec.ServiceAccountName = "sa" },
			want: []want{inv("spec.deprecatedServiceAccount")}},
		{name: "nodeName invalid", mutate: func(p *corev1.Pod) { p.Spec.NodeName = "Node_1" },
			want: []want{inv("spec.nodeName")}},
		{name: "ephemeral containers on create", mutate: func(p *corev1.Pod) {
			p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon(validContainer("debug"))}}
		}, want: []want{forbid("spec.ephemeralContainers").with("cannot be set on create")}},
		{name: "nodeName with scheduling gates", mutate: func(p *corev1.Pod) {
			p.Spec.NodeName = "node1"
			p.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "example.com/gate"}}
		}, want: []want{forbid("spec.nodeName")}},
		{name: "duplicate scheduling gates", mutate: func(p *corev1.Pod) {
			p.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "g"}, {Name: "g"}}
		}, want: []want{dup("spec.schedulingGates[1]")}},
		{name: "liveness probe on regular init container", mutate: func(p *corev1.Pod) {
			c := validContainer("init")
			c.LivenessProbe = httpProbe()
			p.Spec.InitContainers = []corev1.Container{c}
		}, want: []want{forbid("spec.initContainers[0].livenessProbe").with("may not be set for init containers without restartPolicy=Always")}},
		{name: "liveness probe successThreshold", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].LivenessProbe = httpProbe()
			p.Spec.Containers[0].LivenessProbe.SuccessThreshold = 2
		}, want: []want{inv("spec.containers[0].livenessProbe.successThreshold").with("must be 1")}},
		{name: "probe without handler", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].ReadinessProbe = &corev1.Probe{TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3}
		}, want: []want{req("spec.containers[0].readinessProbe").with("must specify a handler type")}},
		{name: "probe with two handlers", mutate: func(p *corev1.Pod) {
			pr := httpProbe()
			pr.TCPSocket = &corev1.TCPSocketAction{Port: intstr.FromInt32(80)}
			p.Spec.Containers[0].ReadinessProbe = pr
		}, want: []want{forbid("spec.containers[0].readinessProbe.tcpSocket")}},
		{name: "negative probe period", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].ReadinessProbe = httpProbe()
			p.Spec.Containers[0].ReadinessProbe.PeriodSeconds = -1
		}, want: []want{inv("spec.containers[0].readinessProbe.periodSeconds")}},
		{name: "httpGet port name invalid", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].ReadinessProbe = httpProbe()
			p.Spec.Containers[0].ReadinessProbe.HTTPGet.Port = intstr.FromString("Not_A_Port")
		}, want: []want{inv("spec.containers[0].readinessProbe.httpGet.port")}},
		{name: "preStop sleep beyond grace period", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 60}}}
		}, want: []want{inv("spec.containers[0].lifecycle.preStop.sleep").with("less than terminationGracePeriodSeconds (30)")}},
		{name: "container restartPolicy value", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].RestartPolicy = ptr.To(corev1.ContainerRestartPolicy("Sometimes"))
		}, want: []want{unsup("spec.containers[0].restartPolicy")}},
		{name: "restart rules without exit codes", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].RestartPolicy = ptr.To(corev1.ContainerRestartPolicyNever)
			p.Spec.Containers[0].RestartPolicyRules = []corev1.ContainerRestartRule{{Action: corev1.ContainerRestartRuleActionRestart}}
		}, want: []want{req("spec.containers[0].restartPolicyRules[0].exitCodes")}},
		{name: "hostNetwork requires hostPort == containerPort", mutate: func(p *corev1.Pod) {
			p.Spec.HostNetwork = true
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, HostPort: 8080, Protocol: corev1.ProtocolTCP}}
		}, want: []want{inv("spec.containers[0].ports[0].hostPort").with("must match `containerPort` when `hostNetwork` is true")}},
		{name: "net sysctl with hostNetwork", mutate: func(p *corev1.Pod) {
			p.Spec.HostNetwork = true
			p.Spec.SecurityContext.Sysctls = []corev1.Sysctl{{Name: "net.core.somaxconn", Value: "1024"}}
		}, want: []want{inv("spec.securityContext.sysctls[0].name").with("may not be specified when 'hostNetwork' is true")}},
		{name: "ipc sysctl (slash notation) with hostIPC", mutate: func(p *corev1.Pod) {
			p.Spec.HostIPC = true
			p.Spec.SecurityContext.Sysctls = []corev1.Sysctl{{Name: "kernel/shm_rmid_forced", Value: "1"}}
		}, want: []want{inv("spec.securityContext.sysctls[0].name").with("may not be specified when 'hostIPC' is true")}},
		{name: "invalid runAsUser", mutate: func(p *corev1.Pod) {
			p.Spec.SecurityContext.RunAsUser = ptr.To[int64](-1)
		}, want: []want{inv("spec.securityContext.runAsUser")}},
		{name: "localhost seccomp without profile", mutate: func(p *corev1.Pod) {
			p.Spec.SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost}
		}, want: []want{req("spec.securityContext.seccompProfile.localhostProfile")}},
		{name: "privileged and no privilege escalation", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: ptr.To(true), AllowPrivilegeEscalation: ptr.To(false)}
		}, want: []want{inv("spec.containers[0].securityContext")}},
		{name: "procMount Unmasked needs hostUsers false", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{ProcMount: ptr.To(corev1.UnmaskedProcMount)}
		}, want: []want{inv("spec.containers[0].securityContext.procMount")}},
		{name: "hostUsers false with hostPID", mutate: func(p *corev1.Pod) {
			p.Spec.HostUsers = ptr.To(false)
			p.Spec.HostPID = true
		}, want: []want{forbid("spec.HostPID")}},
		{name: "windows options on linux pod", mutate: func(p *corev1.Pod) {
			p.Spec.OS = &corev1.PodOS{Name: corev1.Linux}
			p.Spec.SecurityContext.WindowsOptions = &corev1.WindowsSecurityContextOptions{RunAsUserName: ptr.To("user")}
		}, want: []want{forbid("spec.securityContext.windowsOptions")}},
		{name: "unknown os", mutate: func(p *corev1.Pod) { p.Spec.OS = &corev1.PodOS{Name: "plan9"} },
			want: []want{unsup("spec.os")}},
		{name: "stop signal without os", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].Lifecycle = &corev1.Lifecycle{StopSignal: ptr.To(corev1.SIGTERM)}
		}, want: []want{forbid("spec.containers[0].lifecycle.stopSignal")}},
		{name: "imagePullSecrets only name", mutate: func(p *corev1.Pod) {
			p.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "s"}}
		}},
		{name: "toleration without key needs Exists", mutate: func(p *corev1.Pod) {
			p.Spec.Tolerations = []corev1.Toleration{{Operator: corev1.TolerationOpEqual, Value: "v"}}
		}, want: []want{inv("spec.tolerations[0].operator").with("operator must be Exists when `key` is empty")}},
		{name: "toleration Exists with value", mutate: func(p *corev1.Pod) {
			p.Spec.Tolerations = []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpExists, Value: "v"}}
		}, want: []want{inv("spec.tolerations[0].operator").with("value must be empty when `operator` is 'Exists'")}},
		{name: "tolerationSeconds needs NoExecute", mutate: func(p *corev1.Pod) {
			p.Spec.Tolerations = []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule, TolerationSeconds: ptr.To[int64](5)}}
		}, want: []want{inv("spec.tolerations[0].effect").with("effect must be 'NoExecute' when `tolerationSeconds` is set")}},
		{name: "toleration effect unknown", mutate: func(p *corev1.Pod) {
			p.Spec.Tolerations = []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpExists, Effect: "Sometimes"}}
		}, want: []want{unsup("spec.tolerations[0].effect")}},
		{name: "toleration key invalid", mutate: func(p *corev1.Pod) {
			p.Spec.Tolerations = []corev1.Toleration{{Key: "bad key", Operator: corev1.TolerationOpExists}}
		}, want: []want{inv("spec.tolerations[0].key")}},
		{name: "toleration value invalid", mutate: func(p *corev1.Pod) {
			p.Spec.Tolerations = []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpEqual, Value: "bad value"}}
		}, want: []want{inv("spec.tolerations[0].operator")}},
		{name: "toleration Lt is gated off", mutate: func(p *corev1.Pod) {
			p.Spec.Tolerations = []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpLt, Value: "5"}}
		}, want: []want{unsup("spec.tolerations[0].operator")}},
		{name: "toleration annotation invalid", mutate: func(p *corev1.Pod) {
			p.Annotations = map[string]string{corev1.TolerationsAnnotationKey: `[{"key":"","operator":"Equal"}]`}
		}, want: []want{inv("metadata.annotations.scheduler.alpha.kubernetes.io/tolerations[0].operator")}},
		{name: "pod deletion cost not an int32", mutate: func(p *corev1.Pod) {
			p.Annotations = map[string]string{corev1.PodDeletionCost: "+10"}
		}, want: []want{inv("metadata.annotations[controller.kubernetes.io/pod-deletion-cost]").with("must be a 32bit integer")}},
		{name: "mirror pod annotation without nodeName", mutate: func(p *corev1.Pod) {
			p.Annotations = map[string]string{corev1.MirrorPodAnnotationKey: "x"}
		}, want: []want{inv("metadata.annotations[kubernetes.io/config.mirror]")}},
		{name: "node affinity without terms", mutate: func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{}}}
		}, want: []want{req("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms")}},
		{name: "node affinity bad operator", mutate: func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "k", Operator: "Near", Values: []string{"x"}}}}}}}}
		}, want: []want{inv("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator")}},
		{name: "node affinity In without values", mutate: func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "k", Operator: corev1.NodeSelectorOpIn}}}}}}}
		}, want: []want{req("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values")}},
		{name: "node affinity field selector key", mutate: func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchFields: []corev1.NodeSelectorRequirement{{Key: "metadata.uid", Operator: corev1.NodeSelectorOpIn, Values: []string{"x"}}}}}}}}
		}, want: []want{inv("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].key")}},
		{name: "preferred node affinity weight", mutate: func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{{Weight: 0}}}}
		}, want: []want{inv("spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight")}},
		{name: "pod affinity without topologyKey", mutate: func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{PodAffinity: &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}}}}}}
		}, want: []want{
			req("spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey").with("can not be empty"),
			inv("spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey"),
			inv("spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey"),
		}},
		{name: "topology spread maxSkew", mutate: func(p *corev1.Pod) {
			p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{MaxSkew: 0, TopologyKey: "zone", WhenUnsatisfiable: corev1.ScheduleAnyway}}
		}, want: []want{inv("spec.topologySpreadConstraints[0].maxSkew")}},
		{name: "topology spread whenUnsatisfiable", mutate: func(p *corev1.Pod) {
			p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: "zone", WhenUnsatisfiable: "Maybe"}}
		}, want: []want{unsup("spec.topologySpreadConstraints[0].whenUnsatisfiable")}},
		{name: "hostAliases bad IP", mutate: func(p *corev1.Pod) {
			p.Spec.HostAliases = []corev1.HostAlias{{IP: "not-an-ip", Hostnames: []string{"a"}}}
		}, want: []want{inv("spec.hostAliases[0].ip")}},
		{name: "readiness gate condition type", mutate: func(p *corev1.Pod) {
			p.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: "bad type"}}
		}, want: []want{inv("spec.readinessGates[0].conditionType")}},
		{name: "pod-level requests below aggregate container requests", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}
			p.Spec.Resources = &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}}
		}, want: []want{inv("spec.resources.requests[cpu]").with("must be greater than or equal to aggregate container requests of 2")}},
		{name: "pod-level unsupported resource", mutate: func(p *corev1.Pod) {
			p.Spec.Resources = &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceEphemeralStorage: resource.MustParse("1Gi")}}
		}, want: []want{unsup("spec.resources.requests[ephemeral-storage]")}},
		{name: "runtimeClassName invalid", mutate: func(p *corev1.Pod) { p.Spec.RuntimeClassName = ptr.To("Bad!") },
			want: []want{inv("spec.runtimeClassName")}},
		{name: "overhead negative", mutate: func(p *corev1.Pod) {
			p.Spec.Overhead = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("-1")}
		}, want: []want{inv("spec.overhead.limits[cpu]")}},
		{name: "resource claim reference unknown", mutate: func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Claims = []corev1.ResourceClaim{{Name: "gpu"}}
		}, want: []want{notFound("spec.containers[0].resources.claims[0]")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pod := validPod()
			tc.mutate(pod)
			expectErrs(t, ValidatePodCreate(pod), tc.want...)
		})
	}
}

func TestValidatePodCreateRich(t *testing.T) {
	expectErrs(t, ValidatePodCreate(richPod()))
}

func TestValidatePodCreatePrivilegedPolicy(t *testing.T) {
	pod := validPod()
	pod.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: ptr.To(true)}
	expectErrs(t, ValidatePodCreate(pod))

	SetAllowPrivileged(false)
	defer SetAllowPrivileged(true)
	expectErrs(t, ValidatePodCreate(pod), forbid("spec.containers[0].securityContext.privileged").with("disallowed by cluster policy"))
}

func TestValidatePodUpdate(t *testing.T) {
	cases := []struct {
		name   string
		old    func(*corev1.Pod)
		mutate func(*corev1.Pod)
		want   []want
	}{
		{name: "no change", mutate: func(*corev1.Pod) {}},
		{name: "image change", mutate: func(p *corev1.Pod) { p.Spec.Containers[0].Image = "nginx:2" }},
		{name: "labels change", mutate: func(p *corev1.Pod) { p.Labels = map[string]string{"a": "b"} }},
		{name: "image cleared", mutate: func(p *corev1.Pod) { p.Spec.Containers[0].Image = "" },
			want: []want{req("spec.containers[0].image"), req("spec.containers[0].image")}},
		{name: "activeDeadlineSeconds set", mutate: func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = ptr.To[int64](30) }},
		{name: "activeDeadlineSeconds lowered",
			old:    func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = ptr.To[int64](60) },
			mutate: func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = ptr.To[int64](30) }},
		{name: "activeDeadlineSeconds raised",
			old:    func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = ptr.To[int64](30) },
			mutate: func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = ptr.To[int64](60) },
			want:   []want{inv("spec.activeDeadlineSeconds").with("must be less than or equal to previous value")}},
		{name: "activeDeadlineSeconds removed",
			old:    func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = ptr.To[int64](30) },
			mutate: func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = nil },
			want:   []want{inv("spec.activeDeadlineSeconds").with("must not update from a positive integer to nil value")}},
		{name: "toleration added", mutate: func(p *corev1.Pod) {
			p.Spec.Tolerations = append(p.Spec.Tolerations, corev1.Toleration{Key: "k", Operator: corev1.TolerationOpExists})
		}},
		{name: "tolerationSeconds changed",
			old: func(p *corev1.Pod) {
				p.Spec.Tolerations = []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](10)}}
			},
			mutate: func(p *corev1.Pod) { p.Spec.Tolerations[0].TolerationSeconds = ptr.To[int64](20) }},
		{name: "toleration modified",
			old: func(p *corev1.Pod) {
				p.Spec.Tolerations = []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpExists}}
			},
			mutate: func(p *corev1.Pod) { p.Spec.Tolerations[0].Key = "other" },
			want:   []want{forbid("spec.tolerations").with("existing toleration can not be modified except its tolerationSeconds")}},
		{name: "scheduling gate removed",
			old:    func(p *corev1.Pod) { p.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "a"}, {Name: "b"}} },
			mutate: func(p *corev1.Pod) { p.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "b"}} }},
		{name: "scheduling gate added", mutate: func(p *corev1.Pod) { p.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "a"}} },
			want: []want{forbid("spec.schedulingGates[0].name").with("only deletion is allowed, but found new scheduling gate 'a'")}},
		{name: "gated pod gets a node selector",
			old:    func(p *corev1.Pod) { p.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "a"}} },
			mutate: func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"zone": "a"} }},
		{name: "gated pod node selector mutated",
			old: func(p *corev1.Pod) {
				p.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "a"}}
				p.Spec.NodeSelector = map[string]string{"zone": "a"}
			},
			mutate: func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"zone": "b"} },
			want:   []want{inv("spec.nodeSelector").with("only additions to spec.nodeSelector are allowed")}},
		{name: "node selector on ungated pod", mutate: func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"zone": "a"} },
			want: []want{forbid("spec").with("pod updates may not change fields other than")}},
		{name: "negative grace period may become 1",
			old:    func(p *corev1.Pod) { p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](-1) },
			mutate: func(p *corev1.Pod) { p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](1) }},
		{name: "grace period change", mutate: func(p *corev1.Pod) { p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](5) },
			want: []want{forbid("spec").with("pod updates may not change fields other than `spec.containers[*].image`")}},
		{name: "restartPolicy change", mutate: func(p *corev1.Pod) { p.Spec.RestartPolicy = corev1.RestartPolicyNever },
			want: []want{forbid("spec").with("pod updates may not change fields other than")}},
		{name: "container added", mutate: func(p *corev1.Pod) { p.Spec.Containers = append(p.Spec.Containers, validContainer("two")) },
			want: []want{forbid("spec.containers").with("pod updates may not add or remove containers")}},
		{name: "name change", mutate: func(p *corev1.Pod) { p.Name = "other" },
			want: []want{inv("metadata.name").with("field is immutable")}},
		{name: "mirror pod annotation added", mutate: func(p *corev1.Pod) {
			p.Spec.NodeName = ""
			p.Annotations = map[string]string{corev1.MirrorPodAnnotationKey: "x"}
		}, want: []want{
			inv("metadata.annotations[kubernetes.io/config.mirror]"),
			forbid("metadata.annotations[kubernetes.io/config.mirror]").with("may not add mirror pod annotation"),
			inv("metadata.annotations[kubernetes.io/config.mirror]"),
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			oldPod := validPod()
			if tc.old != nil {
				tc.old(oldPod)
			}
			newPod := oldPod.DeepCopy()
			tc.mutate(newPod)
			expectErrs(t, ValidatePodUpdate(newPod, oldPod), tc.want...)
		})
	}
}

func TestValidatePodUpdateKeepsOldInvalidDeletionCost(t *testing.T) {
	oldPod := validPod()
	oldPod.Annotations = map[string]string{corev1.PodDeletionCost: "abc"}
	newPod := oldPod.DeepCopy()
	newPod.Labels = map[string]string{"a": "b"}
	expectErrs(t, ValidatePodUpdate(newPod, oldPod))
}

func TestValidatePodStatusUpdate(t *testing.T) {
	terminated := func(name string, code int32) corev1.ContainerStatus {
		return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code}}}
	}
	running := func(name string) corev1.ContainerStatus {
		return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}
	}
	cases := []struct {
		name   string
		old    func(*corev1.Pod)
		mutate func(*corev1.Pod)
		want   []want
	}{
		{name: "pod IPs and phase", mutate: func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodRunning
			p.Status.PodIP = "10.0.0.1"
			p.Status.PodIPs = []corev1.PodIP{{IP: "10.0.0.1"}, {IP: "fd00::1"}}
			p.Status.HostIP = "192.168.0.1"
			p.Status.HostIPs = []corev1.HostIP{{IP: "192.168.0.1"}}
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}, {Type: "example.com/custom", Status: corev1.ConditionTrue}}
		}},
		{name: "podIP differs from podIPs[0]", mutate: func(p *corev1.Pod) {
			p.Status.PodIP = "10.0.0.1"
			p.Status.PodIPs = []corev1.PodIP{{IP: "10.0.0.2"}}
		}, want: []want{inv("status.podIPs[0].ip").with("must be equal to `podIP`")}},
		{name: "two IPv4 pod IPs", mutate: func(p *corev1.Pod) {
			p.Status.PodIP = "10.0.0.1"
			p.Status.PodIPs = []corev1.PodIP{{IP: "10.0.0.1"}, {IP: "10.0.0.2"}}
		}, want: []want{inv("status.podIPs").with("may specify no more than one IP for each IP family")}},
		{name: "invalid pod IP", mutate: func(p *corev1.Pod) {
			p.Status.PodIP = "010.0.0.1"
			p.Status.PodIPs = []corev1.PodIP{{IP: "010.0.0.1"}}
		}, want: []want{inv("status.podIPs[0]")}},
		{name: "hostIP differs from hostIPs[0]", mutate: func(p *corev1.Pod) {
			p.Status.HostIP = "192.168.0.1"
			p.Status.HostIPs = []corev1.HostIP{{IP: "192.168.0.2"}}
		}, want: []want{inv("status.hostIPs[0].ip")}},
		{name: "nodeName changed", mutate: func(p *corev1.Pod) { p.Spec.NodeName = "node2" },
			want: []want{forbid("status.nodeName").with("may not be changed directly")}},
		{name: "nominatedNodeName on bound pod",
			old:    func(p *corev1.Pod) { p.Spec.NodeName = "node1" },
			mutate: func(p *corev1.Pod) { p.Status.NominatedNodeName = "node2" },
			want:   []want{forbid("status.nominatedNodeName")}},
		{name: "qosClass changed",
			old:    func(p *corev1.Pod) { p.Status.QOSClass = corev1.PodQOSBestEffort },
			mutate: func(p *corev1.Pod) { p.Status.QOSClass = corev1.PodQOSBurstable },
			want:   []want{inv("status.qosClass").with("field is immutable")}},
		{name: "condition type invalid", mutate: func(p *corev1.Pod) {
			p.Status.Conditions = []corev1.PodCondition{{Type: "bad type", Status: corev1.ConditionTrue}}
		}, want: []want{inv("status.conditions[0].Type")}},
		{name: "negative observedGeneration", mutate: func(p *corev1.Pod) { p.Status.ObservedGeneration = -1 },
			want: []want{inv("status.observedGeneration")}},
		{name: "restartPolicy Always allows restarting",
			old:    func(p *corev1.Pod) { p.Status.ContainerStatuses = []corev1.ContainerStatus{terminated("ctr", 0)} },
			mutate: func(p *corev1.Pod) { p.Status.ContainerStatuses = []corev1.ContainerStatus{running("ctr")} }},
		{name: "restartPolicy Never forbids leaving terminated",
			old: func(p *corev1.Pod) {
				p.Spec.RestartPolicy = corev1.RestartPolicyNever
				p.Status.ContainerStatuses = []corev1.ContainerStatus{terminated("ctr", 1)}
			},
			mutate: func(p *corev1.Pod) { p.Status.ContainerStatuses = []corev1.ContainerStatus{running("ctr")} },
			want:   []want{forbid("status.containerStatuses[0].state").with("may not be transitioned to non-terminated state")}},
		{name: "restartPolicy OnFailure allows restarting a failed container",
			old: func(p *corev1.Pod) {
				p.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
				p.Status.ContainerStatuses = []corev1.ContainerStatus{terminated("ctr", 1)}
			},
			mutate: func(p *corev1.Pod) { p.Status.ContainerStatuses = []corev1.ContainerStatus{running("ctr")} }},
		{name: "container restart rule allows restarting",
			old: func(p *corev1.Pod) {
				p.Spec.RestartPolicy = corev1.RestartPolicyNever
				p.Spec.Containers[0].RestartPolicy = ptr.To(corev1.ContainerRestartPolicyNever)
				p.Spec.Containers[0].RestartPolicyRules = []corev1.ContainerRestartRule{{
					Action:    corev1.ContainerRestartRuleActionRestart,
					ExitCodes: &corev1.ContainerRestartRuleOnExitCodes{Operator: corev1.ContainerRestartRuleOnExitCodesOpIn, Values: []int32{42}},
				}}
				p.Status.ContainerStatuses = []corev1.ContainerStatus{terminated("ctr", 42)}
			},
			mutate: func(p *corev1.Pod) { p.Status.ContainerStatuses = []corev1.ContainerStatus{running("ctr")} }},
		{name: "terminated ephemeral container cannot run again",
			old: func(p *corev1.Pod) {
				p.Status.EphemeralContainerStatuses = []corev1.ContainerStatus{terminated("debug", 0)}
			},
			mutate: func(p *corev1.Pod) { p.Status.EphemeralContainerStatuses = []corev1.ContainerStatus{running("debug")} },
			want:   []want{forbid("status.ephemeralContainerStatuses[0].state")}},
		{name: "resource claim status for unknown claim", mutate: func(p *corev1.Pod) {
			p.Status.ResourceClaimStatuses = []corev1.PodResourceClaimStatus{{Name: "nope"}}
		}, want: []want{inv("status.resourceClaimStatuses[0].name")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			oldPod := validPod()
			if tc.old != nil {
				tc.old(oldPod)
			}
			newPod := oldPod.DeepCopy()
			tc.mutate(newPod)
			expectErrs(t, ValidatePodStatusUpdate(newPod, oldPod), tc.want...)
		})
	}
}

func TestValidatePodEphemeralContainersUpdate(t *testing.T) {
	debug := func() corev1.EphemeralContainer {
		return corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon(validContainer("debug")), TargetContainerName: "ctr"}
	}
	cases := []struct {
		name   string
		old    func(*corev1.Pod)
		mutate func(*corev1.Pod)
		want   []want
	}{
		{name: "add ephemeral container", mutate: func(p *corev1.Pod) { p.Spec.EphemeralContainers = []corev1.EphemeralContainer{debug()} }},
		{name: "ephemeral container with ports", mutate: func(p *corev1.Pod) {
			ec := debug()
			ec.Ports = []corev1.ContainerPort{{ContainerPort: 80, Protocol: corev1.ProtocolTCP}}
			p.Spec.EphemeralContainers = []corev1.EphemeralContainer{ec}
		}, want: []want{forbid("spec.ephemeralContainers[0].ports").with("cannot be set for an Ephemeral Container")}},
		{name: "unknown target container", mutate: func(p *corev1.Pod) {
			ec := debug()
			ec.TargetContainerName = "nope"
			p.Spec.EphemeralContainers = []corev1.EphemeralContainer{ec}
		}, want: []want{notFound("spec.ephemeralContainers[0].targetContainerName")}},
		{name: "name clashes with a container", mutate: func(p *corev1.Pod) {
			ec := debug()
			ec.Name = "ctr"
			p.Spec.EphemeralContainers = []corev1.EphemeralContainer{ec}
		}, want: []want{dup("spec.ephemeralContainers[0].name")}},
		{name: "existing ephemeral container changed",
			old:    func(p *corev1.Pod) { p.Spec.EphemeralContainers = []corev1.EphemeralContainer{debug()} },
			mutate: func(p *corev1.Pod) { p.Spec.EphemeralContainers[0].Image = "busybox" },
			want:   []want{forbid("spec.ephemeralContainers").with(`existing ephemeral containers "debug" may not be changed`)}},
		{name: "existing ephemeral container removed",
			old:    func(p *corev1.Pod) { p.Spec.EphemeralContainers = []corev1.EphemeralContainer{debug()} },
			mutate: func(p *corev1.Pod) { p.Spec.EphemeralContainers = nil },
			want:   []want{forbid("spec.ephemeralContainers").with(`existing ephemeral containers "debug" may not be removed`)}},
		{name: "static pods refuse ephemeral containers",
			old: func(p *corev1.Pod) {
				p.Spec.NodeName = "node1"
				p.Annotations = map[string]string{corev1.MirrorPodAnnotationKey: "x"}
			},
			mutate: func(p *corev1.Pod) { p.Spec.EphemeralContainers = []corev1.EphemeralContainer{debug()} },
			// field.NewPath("") renders as "[]"; upstream reports it that way.
			want: []want{forbid("[]").with("static pods do not support ephemeral containers")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			oldPod := validPod()
			if tc.old != nil {
				tc.old(oldPod)
			}
			newPod := oldPod.DeepCopy()
			tc.mutate(newPod)
			expectErrs(t, ValidatePodEphemeralContainersUpdate(newPod, oldPod), tc.want...)
		})
	}
}

func TestValidatePodBinding(t *testing.T) {
	cases := []struct {
		name   string
		target corev1.ObjectReference
		want   []want
	}{
		{name: "node", target: corev1.ObjectReference{Kind: "Node", Name: "node1"}},
		{name: "empty kind", target: corev1.ObjectReference{Name: "node1"}},
		{name: "wrong kind", target: corev1.ObjectReference{Kind: "Pod", Name: "p"}, want: []want{unsup("target.kind")}},
		{name: "no name", target: corev1.ObjectReference{Kind: "Node"}, want: []want{req("target.name")}},
		{name: "bad name", target: corev1.ObjectReference{Kind: "Node", Name: "Node_1"}, want: []want{inv("target.name")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}, Target: tc.target}
			expectErrs(t, ValidatePodBinding(b), tc.want...)
		})
	}
}

// ---- Nodes ----

func validNode() *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "node1", ResourceVersion: "1"},
		Spec: corev1.NodeSpec{
			Taints: []corev1.Taint{{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectNoSchedule}},
		},
		Status: corev1.NodeStatus{
			Capacity:    corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("8Gi"), corev1.ResourcePods: resource.MustParse("110")},
			Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("3500m"), corev1.ResourceMemory: resource.MustParse("7Gi")},
			Addresses:   []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "192.168.0.10"}, {Type: corev1.NodeHostName, Address: "node1"}},
		},
	}
}

func TestValidateNode(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*corev1.Node)
		want   []want
	}{
		{name: "valid", mutate: func(*corev1.Node) {}},
		{name: "dual-stack podCIDRs", mutate: func(n *corev1.Node) {
			n.Spec.PodCIDR = "10.244.0.0/24"
			n.Spec.PodCIDRs = []string{"10.244.0.0/24", "fd00:10:244::/64"}
		}},
		{name: "namespace set", mutate: func(n *corev1.Node) { n.Namespace = "ns" }, want: []want{forbid("metadata.namespace")}},
		{name: "invalid name", mutate: func(n *corev1.Node) { n.Name = "Node_1" }, want: []want{inv("metadata.name")}},
		// Upstream reports node taints under metadata.taints; kept for parity.
		{name: "duplicate taint key and effect", mutate: func(n *corev1.Node) {
			n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: "dedicated", Value: "other", Effect: corev1.TaintEffectNoSchedule})
		}, want: []want{dup("metadata.taints[1]").with("taints must be unique by key and effect pair")}},
		{name: "same taint key, other effect", mutate: func(n *corev1.Node) {
			n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectNoExecute})
		}},
		{name: "taint without effect", mutate: func(n *corev1.Node) { n.Spec.Taints[0].Effect = "" },
			want: []want{req("metadata.taints[0].effect")}},
		{name: "taint effect unknown", mutate: func(n *corev1.Node) { n.Spec.Taints[0].Effect = "NoAdmit" },
			want: []want{unsup("metadata.taints[0].effect")}},
		{name: "taint key invalid", mutate: func(n *corev1.Node) { n.Spec.Taints[0].Key = "bad key" },
			want: []want{inv("metadata.taints[0].key")}},
		{name: "taint value invalid", mutate: func(n *corev1.Node) { n.Spec.Taints[0].Value = "bad value" },
			want: []want{inv("metadata.taints[0].value")}},
		{name: "taints annotation invalid", mutate: func(n *corev1.Node) {
			n.Annotations = map[string]string{corev1.TaintsAnnotationKey: `[{"key":"k","effect":"Bogus"}]`}
		}, want: []want{unsup("metadata.annotations.scheduler.alpha.kubernetes.io/taints[0].effect")}},
		{name: "negative capacity", mutate: func(n *corev1.Node) { n.Status.Capacity[corev1.ResourceCPU] = resource.MustParse("-1") },
			want: []want{inv("status.capacity.cpu")}},
		{name: "fractional pods allocatable", mutate: func(n *corev1.Node) { n.Status.Allocatable[corev1.ResourcePods] = resource.MustParse("1500m") },
			want: []want{inv("status.allocatable.pods").with("must be an integer")}},
		{name: "invalid podCIDR", mutate: func(n *corev1.Node) { n.Spec.PodCIDRs = []string{"10.244.0.0"} },
			want: []want{inv("spec.podCIDRs[0]")}},
		{name: "podCIDR (v1 singular field) invalid", mutate: func(n *corev1.Node) { n.Spec.PodCIDR = "10.244.0.1/24" },
			want: []want{inv("spec.podCIDRs[0]")}},
		{name: "two IPv4 podCIDRs", mutate: func(n *corev1.Node) { n.Spec.PodCIDRs = []string{"10.244.0.0/24", "10.245.0.0/24"} },
			want: []want{inv("spec.podCIDRs").with("may specify no more than one CIDR for each IP family")}},
		{name: "unsorted declared features", mutate: func(n *corev1.Node) { n.Status.DeclaredFeatures = []string{"B", "A"} },
			want: []want{inv("status.declaredFeatures[1]").with("list must be sorted alphabetically")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := validNode()
			tc.mutate(n)
			expectErrs(t, ValidateNode(n), tc.want...)
		})
	}
}

func TestValidateNodeUpdate(t *testing.T) {
	cases := []struct {
		name   string
		old    func(*corev1.Node)
		mutate func(*corev1.Node)
		want   []want
	}{
		{name: "unschedulable and taints may change", mutate: func(n *corev1.Node) {
			n.Spec.Unschedulable = true
			n.Spec.Taints = nil
		}},
		{name: "podCIDR assigned", mutate: func(n *corev1.Node) {
			n.Spec.PodCIDR = "10.244.1.0/24"
			n.Spec.PodCIDRs = []string{"10.244.1.0/24"}
		}},
		{name: "podCIDR changed",
			old: func(n *corev1.Node) {
				n.Spec.PodCIDR = "10.244.1.0/24"
				n.Spec.PodCIDRs = []string{"10.244.1.0/24"}
			},
			mutate: func(n *corev1.Node) {
				n.Spec.PodCIDR = "10.244.2.0/24"
				n.Spec.PodCIDRs = []string{"10.244.2.0/24"}
			},
			want: []want{forbid("spec.podCIDRs").with(`node updates may not change podCIDR except from "" to valid`)}},
		{name: "podCIDR removed",
			old:    func(n *corev1.Node) { n.Spec.PodCIDRs = []string{"10.244.1.0/24"} },
			mutate: func(n *corev1.Node) { n.Spec.PodCIDRs = nil },
			want:   []want{forbid("spec.podCIDRs")}},
		{name: "providerID set", mutate: func(n *corev1.Node) { n.Spec.ProviderID = "aws:///i-1" }},
		{name: "providerID changed",
			old:    func(n *corev1.Node) { n.Spec.ProviderID = "aws:///i-1" },
			mutate: func(n *corev1.Node) { n.Spec.ProviderID = "aws:///i-2" },
			want:   []want{inv("spec.providerID").with("field cannot be modified once set")}},
		{name: "providerID cleared",
			old:    func(n *corev1.Node) { n.Spec.ProviderID = "aws:///i-1" },
			mutate: func(n *corev1.Node) { n.Spec.ProviderID = "" },
			want:   []want{inv("spec.providerID").with("field cannot be cleared once set")}},
		{name: "externalID changed", mutate: func(n *corev1.Node) { n.Spec.DoNotUseExternalID = "x" },
			want: []want{forbid("spec.externalID")}},
		{name: "duplicate addresses", mutate: func(n *corev1.Node) {
			n.Status.Addresses = append(n.Status.Addresses, n.Status.Addresses[0])
		}, want: []want{dup("status.addresses[2]")}},
		{name: "configSource without reference", mutate: func(n *corev1.Node) { n.Spec.ConfigSource = &corev1.NodeConfigSource{} },
			want: []want{inv("spec.configSource").with("exactly one reference subfield must be non-nil")}},
		{name: "configSource configMap with uid", mutate: func(n *corev1.Node) {
			n.Spec.ConfigSource = &corev1.NodeConfigSource{ConfigMap: &corev1.ConfigMapNodeConfigSource{
				Namespace: "kube-system", Name: "cfg", KubeletConfigKey: "kubelet", UID: "123"}}
		}, want: []want{forbid("spec.configSource.configMap.uid")}},
		{name: "negative allocatable", mutate: func(n *corev1.Node) { n.Status.Allocatable[corev1.ResourceMemory] = resource.MustParse("-1Gi") },
			want: []want{inv("status.allocatable.memory")}},
		{name: "name change", mutate: func(n *corev1.Node) { n.Name = "node2" },
			want: []want{inv("metadata.name")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			oldNode := validNode()
			if tc.old != nil {
				tc.old(oldNode)
			}
			newNode := oldNode.DeepCopy()
			tc.mutate(newNode)
			expectErrs(t, ValidateNodeUpdate(newNode, oldNode), tc.want...)
		})
	}
}

// ---- Services ----

// validService returns a ClusterIP service as it looks after defaulting and
// IP allocation.
func validService() *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "svc", Namespace: "ns", ResourceVersion: "1"},
		Spec: corev1.ServiceSpec{
			Type:                  corev1.ServiceTypeClusterIP,
			Selector:              map[string]string{"app": "x"},
			Ports:                 []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP}},
			ClusterIP:             "10.96.0.10",
			ClusterIPs:            []string{"10.96.0.10"},
			IPFamilies:            []corev1.IPFamily{corev1.IPv4Protocol},
			IPFamilyPolicy:        ptr.To(corev1.IPFamilyPolicySingleStack),
			SessionAffinity:       corev1.ServiceAffinityNone,
			InternalTrafficPolicy: ptr.To(corev1.ServiceInternalTrafficPolicyCluster),
		},
	}
}

func nodePortService() *corev1.Service {
	svc := validService()
	svc.Spec.Type = corev1.ServiceTypeNodePort
	svc.Spec.Ports[0].NodePort = 30080
	svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	return svc
}

func loadBalancerService() *corev1.Service {
	svc := nodePortService()
	svc.Spec.Type = corev1.ServiceTypeLoadBalancer
	svc.Spec.AllocateLoadBalancerNodePorts = ptr.To(true)
	return svc
}

func externalNameService() *corev1.Service {
	svc := validService()
	svc.Spec.Type = corev1.ServiceTypeExternalName
	svc.Spec.ExternalName = "db.example.com."
	svc.Spec.ClusterIP = ""
	svc.Spec.ClusterIPs = nil
	svc.Spec.IPFamilies = nil
	svc.Spec.IPFamilyPolicy = nil
	svc.Spec.InternalTrafficPolicy = nil
	return svc
}

func TestValidateServiceCreate(t *testing.T) {
	cases := []struct {
		name string
		svc  func() *corev1.Service
		want []want
	}{
		{name: "clusterIP", svc: validService},
		{name: "nodePort", svc: nodePortService},
		{name: "loadBalancer", svc: loadBalancerService},
		{name: "externalName", svc: externalNameService},
		{name: "headless without ports", svc: func() *corev1.Service {
			s := validService()
			s.Spec.ClusterIP, s.Spec.ClusterIPs, s.Spec.Ports = corev1.ClusterIPNone, []string{corev1.ClusterIPNone}, nil
			return s
		}},
		{name: "dual-stack", svc: func() *corev1.Service {
			s := validService()
			s.Spec.ClusterIPs = []string{"10.96.0.10", "fd00::10"}
			s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}
			s.Spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicyRequireDualStack)
			return s
		}},
		{name: "name may start with a digit (RelaxedServiceNameValidation)", svc: func() *corev1.Service {
			s := validService()
			s.Name = "1svc"
			return s
		}},
		{name: "name not a DNS label", svc: func() *corev1.Service {
			s := validService()
			s.Name = "Svc"
			return s
		}, want: []want{inv("metadata.name")}},
		{name: "no ports", svc: func() *corev1.Service {
			s := validService()
			s.Spec.Ports = nil
			return s
		}, want: []want{req("spec.ports")}},
		{name: "port zero", svc: func() *corev1.Service {
			s := validService()
			s.Spec.Ports[0].Port = 0
			return s
		}, want: []want{inv("spec.ports[0].port")}},
		{name: "port out of range", svc: func() *corev1.Service {
			s := validService()
			s.Spec.Ports[0].Port = 65536
			return s
		}, want: []want{inv("spec.ports[0].port")}},
		{name: "port names required when more than one port", svc: func() *corev1.Service {
			s := validService()
			s.Spec.Ports = []corev1.ServicePort{
				{Port: 80, TargetPort: intstr.FromInt32(80), Protocol: corev1.ProtocolTCP},
				{Port: 443, TargetPort: intstr.FromInt32(443), Protocol: corev1.ProtocolTCP},
			}
			return s
		}, want: []want{req("spec.ports[0].name"), req("spec.ports[1].name")}},
		{name: "duplicate port names", svc: func() *corev1.Service {
			s := validService()
			s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: "http", Port: 81, TargetPort: intstr.FromInt32(81), Protocol: corev1.ProtocolTCP})
			return s
		}, want: []want{dup("spec.ports[1].name")}},
		{name: "duplicate port/protocol", svc: func() *corev1.Service {
			s := validService()
			s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: "other", Port: 80, TargetPort: intstr.FromInt32(81), Protocol: corev1.ProtocolTCP})
			return s
		}, want: []want{dup("spec.ports[1]")}},
		{name: "same port, other protocol", svc: func() *corev1.Service {
			s := validService()
			s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: "udp", Port: 80, TargetPort: intstr.FromInt32(80), Protocol: corev1.ProtocolUDP})
			return s
		}},
		{name: "port protocol unsupported", svc: func() *corev1.Service {
			s := validService()
			s.Spec.Ports[0].Protocol = "ICMP"
			return s
		}, want: []want{unsup("spec.ports[0].protocol")}},
		{name: "named targetPort", svc: func() *corev1.Service {
			s := validService()
			s.Spec.Ports[0].TargetPort = intstr.FromString("web")
			return s
		}},
		{name: "targetPort name invalid", svc: func() *corev1.Service {
			s := validService()
			s.Spec.Ports[0].TargetPort = intstr.FromString("Web_Port")
			return s
		}, want: []want{inv("spec.ports[0].targetPort")}},
		{name: "appProtocol invalid", svc: func() *corev1.Service {
			s := validService()
			s.Spec.Ports[0].AppProtocol = ptr.To("bad protocol")
			return s
		}, want: []want{inv("spec.ports[0].appProtocol")}},
		{name: "nodePort on ClusterIP", svc: func() *corev1.Service {
			s := validService()
			s.Spec.Ports[0].NodePort = 30080
			return s
		}, want: []want{forbid("spec.ports[0].nodePort")}},
		{name: "duplicate nodePort", svc: func() *corev1.Service {
			s := nodePortService()
			s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: "other", Port: 81, TargetPort: intstr.FromInt32(81), Protocol: corev1.ProtocolTCP, NodePort: 30080})
			return s
		}, want: []want{dup("spec.ports[1].nodePort")}},
		{name: "bad type", svc: func() *corev1.Service {
			s := validService()
			s.Spec.Type = "Internal"
			return s
		}, want: []want{unsup("spec.type")}},
		{name: "missing type", svc: func() *corev1.Service {
			s := validService()
			s.Spec.Type = ""
			return s
		}, want: []want{req("spec.type")}},
		{name: "externalTrafficPolicy on ClusterIP", svc: func() *corev1.Service {
			s := validService()
			s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
			return s
		}, want: []want{inv("spec.externalTrafficPolicy").with("may only be set for externally-accessible services")}},
		{name: "externalTrafficPolicy missing on NodePort", svc: func() *corev1.Service {
			s := nodePortService()
			s.Spec.ExternalTrafficPolicy = ""
			return s
		}, want: []want{req("spec.externalTrafficPolicy")}},
		{name: "externalTrafficPolicy unknown", svc: func() *corev1.Service {
			s := nodePortService()
			s.Spec.ExternalTrafficPolicy = "Global"
			return s
		}, want: []want{unsup("spec.externalTrafficPolicy")}},
		{name: "LB Local requires healthCheckNodePort", svc: func() *corev1.Service {
			s := loadBalancerService()
			s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
			return s
		}, want: []want{req("spec.healthCheckNodePort")}},
		{name: "healthCheckNodePort without LB Local", svc: func() *corev1.Service {
			s := nodePortService()
			s.Spec.HealthCheckNodePort = 30100
			return s
		}, want: []want{inv("spec.healthCheckNodePort")}},
		{name: "clusterIP invalid", svc: func() *corev1.Service {
			s := validService()
			s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.96.0", []string{"10.96.0"}
			return s
		}, want: []want{inv("spec.clusterIPs[0]")}},
		{name: "clusterIP and clusterIPs disagree", svc: func() *corev1.Service {
			s := validService()
			s.Spec.ClusterIPs = []string{"10.96.0.11"}
			return s
		}, want: []want{inv("spec.clusterIPs").with("first value must match `clusterIP`")}},
		{name: "None not alone", svc: func() *corev1.Service {
			s := validService()
			s.Spec.ClusterIP, s.Spec.ClusterIPs = corev1.ClusterIPNone, []string{corev1.ClusterIPNone, "10.96.0.10"}
			return s
		}, want: []want{inv("spec.clusterIPs").with("'None' must be the first and only value")}},
		{name: "two IPv4 clusterIPs", svc: func() *corev1.Service {
			s := validService()
			s.Spec.ClusterIPs = []string{"10.96.0.10", "10.96.0.11"}
			return s
		}, want: []want{inv("spec.clusterIPs").with("may specify no more than one IP for each IP family")}},
		{name: "clusterIP family mismatch", svc: func() *corev1.Service {
			s := validService()
			s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv6Protocol}
			return s
		}, want: []want{inv("spec.clusterIPs[0]").with("expected an IPv6 value as indicated by `ipFamilies[0]`")}},
		{name: "duplicate ipFamilies", svc: func() *corev1.Service {
			s := validService()
			s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv4Protocol}
			return s
		}, want: []want{dup("spec.ipFamilies[1]")}},
		{name: "unknown ipFamily", svc: func() *corev1.Service {
			s := validService()
			s.Spec.IPFamilies = []corev1.IPFamily{"IPv5"}
			return s
		}, want: []want{unsup("spec.ipFamilies[0]")}},
		{name: "unknown ipFamilyPolicy", svc: func() *corev1.Service {
			s := validService()
			s.Spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicy("MaybeDualStack"))
			return s
		}, want: []want{unsup("spec.ipFamilyPolicy")}},
		{name: "ClientIP affinity", svc: func() *corev1.Service {
			s := validService()
			s.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
			s.Spec.SessionAffinityConfig = &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To[int32](10800)}}
			return s
		}},
		{name: "ClientIP affinity timeout zero", svc: func() *corev1.Service {
			s := validService()
			s.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
			s.Spec.SessionAffinityConfig = &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To[int32](0)}}
			return s
		}, want: []want{inv("spec.sessionAffinityConfig.clientIP.timeoutSeconds").with("must be greater than 0 and less than 86400")}},
		{name: "ClientIP affinity without config", svc: func() *corev1.Service {
			s := validService()
			s.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
			return s
		}, want: []want{req("spec.sessionAffinityConfig")}},
		{name: "affinity config with None", svc: func() *corev1.Service {
			s := validService()
			s.Spec.SessionAffinityConfig = &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To[int32](10)}}
			return s
		}, want: []want{forbid("spec.sessionAffinityConfig")}},
		{name: "unknown sessionAffinity", svc: func() *corev1.Service {
			s := validService()
			s.Spec.SessionAffinity = "Cookie"
			return s
		}, want: []want{unsup("spec.sessionAffinity")}},
		{name: "ExternalName with clusterIPs", svc: func() *corev1.Service {
			s := externalNameService()
			s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.96.0.10", []string{"10.96.0.10"}
			return s
		}, want: []want{forbid("spec.clusterIPs")}},
		{name: "ExternalName without externalName", svc: func() *corev1.Service {
			s := externalNameService()
			s.Spec.ExternalName = ""
			return s
		}, want: []want{req("spec.externalName")}},
		{name: "ExternalName invalid", svc: func() *corev1.Service {
			s := externalNameService()
			s.Spec.ExternalName = "not_a_host"
			return s
		}, want: []want{inv("spec.externalName")}},
		{name: "headless NodePort", svc: func() *corev1.Service {
			s := nodePortService()
			s.Spec.ClusterIP, s.Spec.ClusterIPs = corev1.ClusterIPNone, []string{corev1.ClusterIPNone}
			return s
		}, want: []want{inv("spec.clusterIPs[0]").with("may not be set to 'None' for NodePort services")}},
		// Upstream reports this one without the "spec." prefix.
		{name: "LoadBalancer without allocateLoadBalancerNodePorts", svc: func() *corev1.Service {
			s := loadBalancerService()
			s.Spec.AllocateLoadBalancerNodePorts = nil
			return s
		}, want: []want{req("allocateLoadBalancerNodePorts")}},
		{name: "allocateLoadBalancerNodePorts on NodePort", svc: func() *corev1.Service {
			s := nodePortService()
			s.Spec.AllocateLoadBalancerNodePorts = ptr.To(true)
			return s
		}, want: []want{forbid("spec.allocateLoadBalancerNodePorts")}},
		{name: "source ranges on ClusterIP", svc: func() *corev1.Service {
			s := validService()
			s.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/8"}
			return s
		}, want: []want{forbid("spec.LoadBalancerSourceRanges")}},
		{name: "source range invalid", svc: func() *corev1.Service {
			s := loadBalancerService()
			s.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0"}
			return s
		}, want: []want{inv("spec.LoadBalancerSourceRanges[0]")}},
		{name: "loadBalancerClass on ClusterIP", svc: func() *corev1.Service {
			s := validService()
			s.Spec.LoadBalancerClass = ptr.To("example.com/lb")
			return s
		}, want: []want{forbid("spec.loadBalancerClass")}},
		// k1s allows loopback addresses (see ValidateEndpointIP).
		{name: "externalIPs loopback allowed", svc: func() *corev1.Service {
			s := validService()
			s.Spec.ExternalIPs = []string{"127.0.0.1"}
			s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
			return s
		}, want: nil},
		{name: "internalTrafficPolicy missing", svc: func() *corev1.Service {
			s := validService()
			s.Spec.InternalTrafficPolicy = nil
			return s
		}, want: []want{req("spec.internalTrafficPolicy")}},
		{name: "trafficDistribution", svc: func() *corev1.Service {
			s := validService()
			s.Spec.TrafficDistribution = ptr.To(corev1.ServiceTrafficDistributionPreferSameNode)
			return s
		}},
		{name: "trafficDistribution unknown", svc: func() *corev1.Service {
			s := validService()
			s.Spec.TrafficDistribution = ptr.To("Anywhere")
			return s
		}, want: []want{unsup("spec.trafficDistribution")}},
		{name: "selector value invalid", svc: func() *corev1.Service {
			s := validService()
			s.Spec.Selector = map[string]string{"app": "bad value"}
			return s
		}, want: []want{inv("spec.selector")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc := tc.svc()
			expectErrs(t, ValidateServiceCreate(svc), tc.want...)
			// ValidateService is the create check, for callers that expect that name.
			expectErrs(t, ValidateService(svc), tc.want...)
		})
	}
}

func TestValidateServiceUpdate(t *testing.T) {
	cases := []struct {
		name   string
		old    func() *corev1.Service
		mutate func(*corev1.Service)
		want   []want
	}{
		{name: "ports change", old: validService, mutate: func(s *corev1.Service) { s.Spec.Ports[0].Port = 8080 }},
		{name: "clusterIP change", old: validService, mutate: func(s *corev1.Service) {
			s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.96.0.11", []string{"10.96.0.11"}
		}, want: []want{inv("spec.clusterIPs[0]").with("may not change once set")}},
		{name: "ClusterIP to NodePort", old: validService, mutate: func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeNodePort
			s.Spec.Ports[0].NodePort = 30080
			s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
		}},
		{name: "ClusterIP to ExternalName drops the IP", old: validService, mutate: func(s *corev1.Service) {
			*s = *externalNameService()
		}},
		{name: "ExternalName to ClusterIP gets an IP", old: externalNameService, mutate: func(s *corev1.Service) {
			*s = *validService()
		}},
		{name: "upgrade to dual-stack", old: validService, mutate: func(s *corev1.Service) {
			s.Spec.ClusterIPs = append(s.Spec.ClusterIPs, "fd00::10")
			s.Spec.IPFamilies = append(s.Spec.IPFamilies, corev1.IPv6Protocol)
			s.Spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicyPreferDualStack)
		}},
		{name: "downgrade without SingleStack",
			old: func() *corev1.Service {
				s := validService()
				s.Spec.ClusterIPs = []string{"10.96.0.10", "fd00::10"}
				s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}
				s.Spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicyPreferDualStack)
				return s
			},
			mutate: func(s *corev1.Service) {
				s.Spec.ClusterIPs = s.Spec.ClusterIPs[:1]
				s.Spec.IPFamilies = s.Spec.IPFamilies[:1]
			},
			want: []want{
				inv("spec.ipFamilyPolicy").with("must be set to 'SingleStack' when releasing the secondary clusterIP"),
				inv("spec.ipFamilyPolicy").with("must be set to 'SingleStack' when releasing the secondary ipFamily"),
			}},
		{name: "ipFamilies change", old: validService, mutate: func(s *corev1.Service) {
			s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv6Protocol}
		}, want: []want{
			inv("spec.ipFamilies[0]").with("may not change once set"),
			inv("spec.clusterIPs[0]").with("expected an IPv6 value"),
		}},
		{name: "loadBalancerClass change",
			old: func() *corev1.Service {
				s := loadBalancerService()
				s.Spec.LoadBalancerClass = ptr.To("example.com/a")
				return s
			},
			mutate: func(s *corev1.Service) { s.Spec.LoadBalancerClass = ptr.To("example.com/b") },
			want:   []want{inv("spec.loadBalancerClass").with("may not change once set")}},
		{name: "healthCheckNodePort change",
			old: func() *corev1.Service {
				s := loadBalancerService()
				s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
				s.Spec.HealthCheckNodePort = 30100
				return s
			},
			mutate: func(s *corev1.Service) { s.Spec.HealthCheckNodePort = 30101 },
			want:   []want{forbid("spec.healthCheckNodePort").with("field is immutable")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			oldSvc := tc.old()
			newSvc := oldSvc.DeepCopy()
			tc.mutate(newSvc)
			newSvc.ObjectMeta = oldSvc.ObjectMeta
			expectErrs(t, ValidateServiceUpdate(newSvc, oldSvc), tc.want...)
		})
	}
}

func TestValidateServiceStatusUpdate(t *testing.T) {
	vip := ptr.To(corev1.LoadBalancerIPModeVIP)
	cases := []struct {
		name    string
		svc     func() *corev1.Service
		ingress []corev1.LoadBalancerIngress
		want    []want
	}{
		{name: "ip and hostname", svc: loadBalancerService, ingress: []corev1.LoadBalancerIngress{{IP: "203.0.113.10", IPMode: vip}, {Hostname: "lb.example.com"}}},
		{name: "ingress on ClusterIP", svc: validService, ingress: []corev1.LoadBalancerIngress{{IP: "203.0.113.10", IPMode: vip}},
			want: []want{forbid("status.loadBalancer.ingress").with("may only be used when `spec.type` is 'LoadBalancer'")}},
		{name: "invalid ip", svc: loadBalancerService, ingress: []corev1.LoadBalancerIngress{{IP: "203.0.113", IPMode: vip}},
			want: []want{inv("status.loadBalancer.ingress[0].ip")}},
		{name: "ip without ipMode", svc: loadBalancerService, ingress: []corev1.LoadBalancerIngress{{IP: "203.0.113.10"}},
			want: []want{req("status.loadBalancer.ingress[0].ipMode")}},
		{name: "ipMode without ip", svc: loadBalancerService, ingress: []corev1.LoadBalancerIngress{{Hostname: "lb.example.com", IPMode: vip}},
			want: []want{forbid("status.loadBalancer.ingress[0].ipMode")}},
		{name: "hostname is an IP", svc: loadBalancerService, ingress: []corev1.LoadBalancerIngress{{Hostname: "203.0.113.10"}},
			want: []want{inv("status.loadBalancer.ingress[0].hostname").with("must be a DNS name, not an IP address")}},
		{name: "hostname invalid", svc: loadBalancerService, ingress: []corev1.LoadBalancerIngress{{Hostname: "lb_1.example.com"}},
			want: []want{inv("status.loadBalancer.ingress[0].hostname")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			oldSvc := tc.svc()
			newSvc := oldSvc.DeepCopy()
			newSvc.Status.LoadBalancer.Ingress = tc.ingress
			expectErrs(t, ValidateServiceStatusUpdate(newSvc, oldSvc), tc.want...)
		})
	}
}

// ---- Namespaces ----

func TestValidateNamespace(t *testing.T) {
	cases := []struct {
		name string
		ns   corev1.Namespace
		want []want
	}{
		{name: "valid", ns: corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}, Spec: corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes}}}},
		{name: "qualified finalizer", ns: corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}, Spec: corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{"example.com/cleanup"}}}},
		{name: "name not a DNS label", ns: corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team.a"}}, want: []want{inv("metadata.name")}},
		{name: "name too long", ns: corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: strings.Repeat("a", 64)}}, want: []want{inv("metadata.name")}},
		{name: "namespaced namespace", ns: corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "b"}}, want: []want{forbid("metadata.namespace")}},
		// Upstream does not index spec finalizers on create.
		{name: "unqualified finalizer", ns: corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Spec: corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{"cleanup"}}},
			want: []want{inv("spec.finalizers").with("name is neither a standard finalizer name nor is it fully qualified")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expectErrs(t, ValidateNamespace(&tc.ns), tc.want...)
		})
	}
}

func TestValidateNamespaceUpdates(t *testing.T) {
	old := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a", ResourceVersion: "1"}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}}

	labelled := old.DeepCopy()
	labelled.Labels = map[string]string{"team": "a"}
	expectErrs(t, ValidateNamespaceUpdate(labelled, old))

	renamed := old.DeepCopy()
	renamed.Name = "b"
	expectErrs(t, ValidateNamespaceUpdate(renamed, old), inv("metadata.name").with("field is immutable"))

	terminating := old.DeepCopy()
	terminating.Status.Phase = corev1.NamespaceTerminating
	expectErrs(t, ValidateNamespaceStatusUpdate(terminating, old), inv("status.Phase").with("may only be 'Active' if `deletionTimestamp` is empty"))

	deleting := old.DeepCopy()
	now := metav1.Now()
	deleting.DeletionTimestamp = &now
	deleting.Status.Phase = corev1.NamespaceTerminating
	oldDeleting := old.DeepCopy()
	oldDeleting.DeletionTimestamp = &now
	expectErrs(t, ValidateNamespaceStatusUpdate(deleting, oldDeleting))

	finalized := old.DeepCopy()
	finalized.Spec.Finalizers = []corev1.FinalizerName{corev1.FinalizerKubernetes, "example.com/x"}
	expectErrs(t, ValidateNamespaceFinalizeUpdate(finalized, old))

	badFinalizer := old.DeepCopy()
	badFinalizer.Spec.Finalizers = []corev1.FinalizerName{"example.com/x", "bad"}
	expectErrs(t, ValidateNamespaceFinalizeUpdate(badFinalizer, old), inv("spec.finalizers[1]"))
}

// ---- ConfigMaps, Secrets, ServiceAccounts ----

func TestValidateConfigMap(t *testing.T) {
	meta := metav1.ObjectMeta{Name: "cm", Namespace: "ns"}
	cases := []struct {
		name string
		cm   corev1.ConfigMap
		want []want
	}{
		{name: "valid", cm: corev1.ConfigMap{ObjectMeta: meta, Data: map[string]string{"app.conf": "x", "KEY_1": "y"}, BinaryData: map[string][]byte{"blob.bin": {1}}}},
		{name: "bad data key", cm: corev1.ConfigMap{ObjectMeta: meta, Data: map[string]string{"a b": "x"}}, want: []want{inv("data[a b]")}},
		{name: "bad binaryData key", cm: corev1.ConfigMap{ObjectMeta: meta, BinaryData: map[string][]byte{"../x": nil}},
			want: []want{inv("binaryData[../x]"), inv("binaryData[../x]").with("must not start with '..'")}},
		{name: "key in both maps", cm: corev1.ConfigMap{ObjectMeta: meta, Data: map[string]string{"k": "x"}, BinaryData: map[string][]byte{"k": {1}}},
			want: []want{inv("data[k]").with("duplicate of key present in binaryData")}},
		{name: "too large", cm: corev1.ConfigMap{ObjectMeta: meta, Data: map[string]string{"a": strings.Repeat("x", corev1.MaxSecretSize), "b": "y"}},
			want: []want{tooLong("[]").with("may not be more than 1048576 bytes")}},
		{name: "missing namespace", cm: corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm"}}, want: []want{req("metadata.namespace")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expectErrs(t, ValidateConfigMap(&tc.cm), tc.want...)
		})
	}
}

func TestValidateConfigMapUpdate(t *testing.T) {
	mk := func(immutable *bool, data map[string]string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm", Namespace: "ns", ResourceVersion: "1"}, Immutable: immutable, Data: data}
	}
	cases := []struct {
		name     string
		old, new *corev1.ConfigMap
		want     []want
	}{
		{name: "mutable data change", old: mk(nil, map[string]string{"a": "1"}), new: mk(nil, map[string]string{"a": "2"})},
		{name: "becomes immutable", old: mk(nil, map[string]string{"a": "1"}), new: mk(ptr.To(true), map[string]string{"a": "1"})},
		{name: "immutable data change", old: mk(ptr.To(true), map[string]string{"a": "1"}), new: mk(ptr.To(true), map[string]string{"a": "2"}),
			want: []want{forbid("data").with("field is immutable when `immutable` is set")}},
		{name: "immutable unset", old: mk(ptr.To(true), map[string]string{"a": "1"}), new: mk(nil, map[string]string{"a": "1"}),
			want: []want{forbid("immutable").with("field is immutable when `immutable` is set")}},
		{name: "immutable binaryData change", old: mk(ptr.To(true), nil), new: func() *corev1.ConfigMap {
			c := mk(ptr.To(true), nil)
			c.BinaryData = map[string][]byte{"b": {1}}
			return c
		}(), want: []want{forbid("binaryData").with("field is immutable when `immutable` is set")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expectErrs(t, ValidateConfigMapUpdate(tc.new, tc.old), tc.want...)
		})
	}
}

func TestValidateSecret(t *testing.T) {
	meta := metav1.ObjectMeta{Name: "s", Namespace: "ns"}
	secret := func(typ corev1.SecretType, data map[string][]byte) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: meta, Type: typ, Data: data}
	}
	cases := []struct {
		name   string
		secret *corev1.Secret
		want   []want
	}{
		{name: "opaque", secret: secret(corev1.SecretTypeOpaque, map[string][]byte{"password": []byte("x")})},
		{name: "unknown type is free-form", secret: secret("example.com/custom", nil)},
		{name: "bootstrap token type has no core checks", secret: secret(corev1.SecretTypeBootstrapToken, nil)},
		{name: "bad key", secret: secret(corev1.SecretTypeOpaque, map[string][]byte{"a/b": nil}), want: []want{inv("data[a/b]")}},
		{name: "too large", secret: secret(corev1.SecretTypeOpaque, map[string][]byte{"a": make([]byte, corev1.MaxSecretSize+1)}),
			want: []want{tooLong("data").with("may not be more than 1048576 bytes")}},
		{name: "service account token", secret: func() *corev1.Secret {
			s := secret(corev1.SecretTypeServiceAccountToken, nil)
			s.Annotations = map[string]string{corev1.ServiceAccountNameKey: "default"}
			return s
		}()},
		{name: "service account token without SA name", secret: secret(corev1.SecretTypeServiceAccountToken, nil),
			want: []want{req("metadata.annotations[kubernetes.io/service-account.name]")}},
		{name: "dockercfg", secret: secret(corev1.SecretTypeDockercfg, map[string][]byte{corev1.DockerConfigKey: []byte(`{}`)})},
		{name: "dockercfg missing key", secret: secret(corev1.SecretTypeDockercfg, nil), want: []want{req("data[.dockercfg]")}},
		{name: "dockercfg not json", secret: secret(corev1.SecretTypeDockercfg, map[string][]byte{corev1.DockerConfigKey: []byte(`{`)}),
			want: []want{inv("data[.dockercfg]")}},
		{name: "dockerconfigjson", secret: secret(corev1.SecretTypeDockerConfigJson, map[string][]byte{corev1.DockerConfigJsonKey: []byte(`{"auths":{}}`)})},
		{name: "dockerconfigjson missing key", secret: secret(corev1.SecretTypeDockerConfigJson, nil), want: []want{req("data[.dockerconfigjson]")}},
		{name: "dockerconfigjson not json", secret: secret(corev1.SecretTypeDockerConfigJson, map[string][]byte{corev1.DockerConfigJsonKey: []byte(`x`)}),
			want: []want{inv("data[.dockerconfigjson]")}},
		{name: "basic-auth with only username", secret: secret(corev1.SecretTypeBasicAuth, map[string][]byte{corev1.BasicAuthUsernameKey: []byte("u")})},
		{name: "basic-auth empty", secret: secret(corev1.SecretTypeBasicAuth, nil), want: []want{req("data[username]"), req("data[password]")}},
		{name: "ssh-auth", secret: secret(corev1.SecretTypeSSHAuth, map[string][]byte{corev1.SSHAuthPrivateKey: []byte("k")})},
		{name: "ssh-auth empty key", secret: secret(corev1.SecretTypeSSHAuth, map[string][]byte{corev1.SSHAuthPrivateKey: nil}), want: []want{req("data[ssh-privatekey]")}},
		{name: "tls", secret: secret(corev1.SecretTypeTLS, map[string][]byte{corev1.TLSCertKey: nil, corev1.TLSPrivateKeyKey: nil})},
		{name: "tls missing key", secret: secret(corev1.SecretTypeTLS, map[string][]byte{corev1.TLSCertKey: nil}), want: []want{req("data[tls.key]")}},
		{name: "tls missing both", secret: secret(corev1.SecretTypeTLS, nil), want: []want{req("data[tls.crt]"), req("data[tls.key]")}},
		{name: "stringData satisfies required keys", secret: func() *corev1.Secret {
			s := secret(corev1.SecretTypeBasicAuth, nil)
			s.StringData = map[string]string{corev1.BasicAuthPasswordKey: "p"}
			return s
		}()},
		{name: "stringData keys are checked as data", secret: func() *corev1.Secret {
			s := secret(corev1.SecretTypeOpaque, nil)
			s.StringData = map[string]string{"a b": "x"}
			return s
		}(), want: []want{inv("data[a b]")}},
		{name: "invalid name", secret: func() *corev1.Secret {
			s := secret(corev1.SecretTypeOpaque, nil)
			s.Name = "S!"
			return s
		}(), want: []want{inv("metadata.name")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expectErrs(t, ValidateSecret(tc.secret), tc.want...)
		})
	}
}

func TestValidateSecretUpdate(t *testing.T) {
	mk := func(typ corev1.SecretType, immutable *bool, data map[string][]byte) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "ns", ResourceVersion: "1"}, Type: typ, Immutable: immutable, Data: data}
	}
	cases := []struct {
		name     string
		old, new *corev1.Secret
		want     []want
	}{
		{name: "data change", old: mk(corev1.SecretTypeOpaque, nil, map[string][]byte{"a": []byte("1")}), new: mk(corev1.SecretTypeOpaque, nil, map[string][]byte{"a": []byte("2")})},
		{name: "type change", old: mk(corev1.SecretTypeOpaque, nil, nil), new: mk("example.com/other", nil, nil),
			want: []want{inv("type").with("field is immutable")}},
		{name: "immutable data change", old: mk(corev1.SecretTypeOpaque, ptr.To(true), map[string][]byte{"a": []byte("1")}), new: mk(corev1.SecretTypeOpaque, ptr.To(true), map[string][]byte{"a": []byte("2")}),
			want: []want{forbid("data").with("field is immutable when `immutable` is set")}},
		{name: "immutable change through stringData", old: mk(corev1.SecretTypeOpaque, ptr.To(true), map[string][]byte{"a": []byte("1")}), new: func() *corev1.Secret {
			s := mk(corev1.SecretTypeOpaque, ptr.To(true), map[string][]byte{"a": []byte("1")})
			s.StringData = map[string]string{"a": "2"}
			return s
		}(), want: []want{forbid("data")}},
		{name: "immutable flag cleared", old: mk(corev1.SecretTypeOpaque, ptr.To(true), nil), new: mk(corev1.SecretTypeOpaque, ptr.To(false), nil),
			want: []want{forbid("immutable")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expectErrs(t, ValidateSecretUpdate(tc.new, tc.old), tc.want...)
		})
	}
}

func TestValidateServiceAccount(t *testing.T) {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "builder", Namespace: "ns", ResourceVersion: "1"}}
	expectErrs(t, ValidateServiceAccount(sa))

	bad := sa.DeepCopy()
	bad.Name = "Builder"
	expectErrs(t, ValidateServiceAccount(bad), inv("metadata.name"))

	updated := sa.DeepCopy()
	updated.Secrets = []corev1.ObjectReference{{Name: "tok"}}
	expectErrs(t, ValidateServiceAccountUpdate(updated, sa))

	moved := sa.DeepCopy()
	moved.Namespace = "other"
	expectErrs(t, ValidateServiceAccountUpdate(moved, sa), inv("metadata.namespace").with("field is immutable"))
}

// ---- Endpoints ----

func validEndpoints() *corev1.Endpoints {
	return &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Name: "svc", Namespace: "ns", ResourceVersion: "1"},
		Subsets: []corev1.EndpointSubset{{
			Addresses:         []corev1.EndpointAddress{{IP: "10.244.0.5", Hostname: "web-0", NodeName: ptr.To("node1")}},
			NotReadyAddresses: []corev1.EndpointAddress{{IP: "fd00::5"}},
			Ports:             []corev1.EndpointPort{{Name: "http", Port: 8080, Protocol: corev1.ProtocolTCP}, {Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP}},
		}},
	}
}

func TestValidateEndpoints(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*corev1.Endpoints)
		want   []want
	}{
		{name: "valid", mutate: func(*corev1.Endpoints) {}},
		{name: "headless endpoints without ports", mutate: func(e *corev1.Endpoints) { e.Subsets[0].Ports = nil }},
		{name: "subset without addresses", mutate: func(e *corev1.Endpoints) {
			e.Subsets[0].Addresses, e.Subsets[0].NotReadyAddresses = nil, nil
		}, want: []want{req("subsets[0]").with("must specify `addresses` or `notReadyAddresses`")}},
		{name: "invalid IP", mutate: func(e *corev1.Endpoints) { e.Subsets[0].Addresses[0].IP = "10.244.0" },
			want: []want{inv("subsets[0].addresses[0].ip"), inv("subsets[0].addresses[0].ip")}},
		{name: "loopback IP allowed in k1s", mutate: func(e *corev1.Endpoints) { e.Subsets[0].Addresses[0].IP = "127.0.0.1" },
			want: nil},
		{name: "link-local IP", mutate: func(e *corev1.Endpoints) { e.Subsets[0].NotReadyAddresses[0].IP = "169.254.1.1" },
			want: []want{inv("subsets[0].notReadyAddresses[0].ip").with("may not be in the link-local range")}},
		{name: "hostname not a label", mutate: func(e *corev1.Endpoints) { e.Subsets[0].Addresses[0].Hostname = "web.0" },
			want: []want{inv("subsets[0].addresses[0].hostname")}},
		{name: "nodeName invalid", mutate: func(e *corev1.Endpoints) { e.Subsets[0].Addresses[0].NodeName = ptr.To("Node_1") },
			want: []want{inv("subsets[0].addresses[0].nodeName")}},
		{name: "port name required when several", mutate: func(e *corev1.Endpoints) { e.Subsets[0].Ports[1].Name = "" },
			want: []want{req("subsets[0].ports[1].name")}},
		{name: "port out of range", mutate: func(e *corev1.Endpoints) { e.Subsets[0].Ports[0].Port = 0 },
			want: []want{inv("subsets[0].ports[0].port")}},
		{name: "port protocol", mutate: func(e *corev1.Endpoints) { e.Subsets[0].Ports[0].Protocol = "HTTP" },
			want: []want{unsup("subsets[0].ports[0].protocol")}},
		{name: "missing protocol", mutate: func(e *corev1.Endpoints) { e.Subsets[0].Ports[0].Protocol = "" },
			want: []want{req("subsets[0].ports[0].protocol")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := validEndpoints()
			tc.mutate(e)
			expectErrs(t, ValidateEndpointsCreate(e), tc.want...)
		})
	}
}

func TestValidateEndpointsUpdateToleratesUnchangedSubsets(t *testing.T) {
	old := validEndpoints()
	old.Subsets[0].Addresses[0].IP = "169.254.0.1" // link-local: invalid today
	updated := old.DeepCopy()
	updated.Labels = map[string]string{"a": "b"}
	expectErrs(t, ValidateEndpointsUpdate(updated, old))

	updated.Subsets[0].Ports[0].Port = 9090
	expectErrs(t, ValidateEndpointsUpdate(updated, old), inv("subsets[0].addresses[0].ip"))
}

// ---- Events ----

func TestValidateEvent(t *testing.T) {
	legacy := func() *corev1.Event {
		return &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Name: "pod1.17a", Namespace: "ns"},
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "ns", Name: "pod1"},
			Reason:         "Started",
			Type:           corev1.EventTypeNormal,
		}
	}
	modern := func() *corev1.Event {
		e := legacy()
		e.EventTime = metav1.NewMicroTime(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
		e.ReportingController = "example.com/controller"
		e.ReportingInstance = "controller-1"
		e.Action = "Start"
		return e
	}
	cases := []struct {
		name  string
		event *corev1.Event
		want  []want
	}{
		{name: "legacy event", event: legacy()},
		{name: "legacy event in default namespace about a cluster object", event: func() *corev1.Event {
			e := legacy()
			e.Namespace = metav1.NamespaceDefault
			e.InvolvedObject = corev1.ObjectReference{Kind: "Node", Name: "node1"}
			return e
		}()},
		{name: "legacy event namespace mismatch", event: func() *corev1.Event {
			e := legacy()
			e.InvolvedObject.Namespace = "other"
			return e
		}(), want: []want{inv("involvedObject.namespace").with("does not match event.namespace")}},
		{name: "legacy cluster object event outside default", event: func() *corev1.Event {
			e := legacy()
			e.InvolvedObject.Namespace = ""
			return e
		}(), want: []want{inv("involvedObject.namespace")}},
		{name: "event with eventTime", event: modern()},
		{name: "eventTime event for cluster object in kube-system", event: func() *corev1.Event {
			e := modern()
			e.Namespace = metav1.NamespaceSystem
			e.InvolvedObject = corev1.ObjectReference{Kind: "Node", Name: "node1"}
			return e
		}()},
		// The v1 API calls reportingController "reportingComponent".
		{name: "eventTime event without reporting controller", event: func() *corev1.Event {
			e := modern()
			e.ReportingController = ""
			return e
		}(), want: []want{req("reportingComponent"), inv("reportingComponent"), inv("reportingComponent")}},
		{name: "eventTime event reporting controller not a qualified name", event: func() *corev1.Event {
			e := modern()
			e.ReportingController = "bad controller"
			return e
		}(), want: []want{inv("reportingComponent")}},
		{name: "eventTime event without instance and action", event: func() *corev1.Event {
			e := modern()
			e.ReportingInstance, e.Action = "", ""
			return e
		}(), want: []want{req("reportingInstance"), req("action")}},
		{name: "eventTime event reason too long", event: func() *corev1.Event {
			e := modern()
			e.Reason = strings.Repeat("r", ReasonLengthLimit+1)
			return e
		}(), want: []want{inv("reason").with("can have at most 128 characters")}},
		{name: "eventTime event message too long", event: func() *corev1.Event {
			e := modern()
			e.Message = strings.Repeat("m", NoteLengthLimit+1)
			return e
		}(), want: []want{inv("message")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expectErrs(t, ValidateEvent(tc.event), tc.want...)
		})
	}
}

func TestValidateEventStrictVersions(t *testing.T) {
	e := &corev1.Event{
		ObjectMeta:          metav1.ObjectMeta{Name: "e", Namespace: "ns"},
		InvolvedObject:      corev1.ObjectReference{Kind: "Pod", Namespace: "ns", Name: "p"},
		Reason:              "Started",
		Type:                "Informational",
		EventTime:           metav1.NewMicroTime(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)),
		ReportingController: "example.com/c",
		ReportingInstance:   "c-1",
		Action:              "Start",
	}
	// core/v1 does not check the type; events.k8s.io/v1 does.
	expectErrs(t, ValidateEventCreate(e, corev1.SchemeGroupVersion))
	expectErrs(t, ValidateEventCreate(e, eventsv1.SchemeGroupVersion), inv("type").with("has invalid value: Informational"))

	e.Type = corev1.EventTypeWarning
	expectErrs(t, ValidateEventCreate(e, eventsv1.SchemeGroupVersion))

	e.ResourceVersion = "1"
	updated := e.DeepCopy()
	updated.Series = &corev1.EventSeries{Count: 2, LastObservedTime: metav1.NewMicroTime(time.Date(2025, 1, 2, 3, 5, 0, 0, time.UTC))}
	expectErrs(t, ValidateEventUpdate(updated, e, eventsv1.SchemeGroupVersion))

	updated.Reason = "Other"
	expectErrs(t, ValidateEventUpdate(updated, e, eventsv1.SchemeGroupVersion), inv("reason"), inv("reason"))
}

// ---- helpers ----

func TestSysctlNamespaceOf(t *testing.T) {
	cases := map[string]sysctlNamespace{
		"net.ipv4.ip_forward":                sysctlNetNamespace,
		"net/ipv4/conf/eno2.100/rp_filter":   sysctlNetNamespace,
		"kernel.shmmax":                      sysctlIPCNamespace,
		"kernel/msgmax":                      sysctlIPCNamespace,
		"fs.mqueue.msg_max":                  sysctlIPCNamespace,
		"kernel.pid_max":                     sysctlUnknownNamespace,
		"vm.overcommit_memory":               sysctlUnknownNamespace,
		"network.is.not.net":                 sysctlUnknownNamespace,
		"net.ipv4.conf.eno2/100.rp_filter":   sysctlNetNamespace,
		"kernel.shm_rmid_forced":             sysctlIPCNamespace,
		"kernel.sem":                         sysctlIPCNamespace,
		"fs/mqueue/queues_max":               sysctlIPCNamespace,
		"kernel.shmall.not-a-known-sysctl":   sysctlUnknownNamespace,
		"net":                                sysctlUnknownNamespace,
		"kernel.msgmnb":                      sysctlIPCNamespace,
		"kernel.msgmni":                      sysctlIPCNamespace,
		"kernel.shmmni":                      sysctlIPCNamespace,
		"net.core.somaxconn":                 sysctlNetNamespace,
		"net.ipv6.conf.all.disable_ipv6":     sysctlNetNamespace,
		"net/ipv6/conf/all/disable_ipv6":     sysctlNetNamespace,
		"kernel/shm_rmid_forced":             sysctlIPCNamespace,
		"fs.mqueue":                          sysctlUnknownNamespace,
		"kernel.domainname":                  sysctlUnknownNamespace,
		"user.max_user_namespaces":           sysctlUnknownNamespace,
		"net.netfilter.nf_conntrack_max":     sysctlNetNamespace,
		"net/netfilter/nf_conntrack_max":     sysctlNetNamespace,
		"abi.vsyscall32":                     sysctlUnknownNamespace,
		"fs.file-max":                        sysctlUnknownNamespace,
		"kernel.msgmax":                      sysctlIPCNamespace,
		"net.unix.max_dgram_qlen":            sysctlNetNamespace,
		"net.bridge.bridge-nf-call-iptables": sysctlNetNamespace,
	}
	for name, ns := range cases {
		if got := sysctlNamespaceOf(name); got != ns {
			t.Errorf("%s: expected namespace %q, got %q", name, ns, got)
		}
	}
}

func TestAggregateContainerRequests(t *testing.T) {
	cpu := func(v string) corev1.ResourceRequirements {
		return corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(v)}}
	}
	spec := &corev1.PodSpec{
		Containers: []corev1.Container{{Name: "a", Resources: cpu("1")}, {Name: "b", Resources: cpu("1")}},
		InitContainers: []corev1.Container{
			{Name: "sidecar", Resources: cpu("500m"), RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways)},
			{Name: "big-init", Resources: cpu("3")},
		},
	}
	// Peak is the classic init container next to the sidecar started before it.
	got := aggregateContainerRequests(spec)[corev1.ResourceCPU]
	if want := resource.MustParse("3500m"); got.Cmp(want) != 0 {
		t.Errorf("expected %s, got %s", want.String(), got.String())
	}
	spec.InitContainers[1].Resources = cpu("1")
	got = aggregateContainerRequests(spec)[corev1.ResourceCPU]
	if want := resource.MustParse("2500m"); got.Cmp(want) != 0 {
		t.Errorf("expected %s, got %s", want.String(), got.String())
	}
}
