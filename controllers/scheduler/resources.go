package scheduler

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	resourcehelper "k8s.io/component-helpers/resource"
)

// Requests the scheduler assumes for a container that sets none, when it
// scores (pkg/scheduler/util/pod_resources.go): without them a node full of
// best-effort pods would look empty.
const (
	defaultMilliCPURequest int64 = 100               // 0.1 core
	defaultMemoryRequest   int64 = 200 * 1024 * 1024 // 200 MiB
)

// resources is upstream's framework.Resource: quantities in the units the
// filters compare (millicores, bytes, counts).
type resources struct {
	milliCPU         int64
	memory           int64
	ephemeralStorage int64
	allowedPods      int64
	// scalar holds extended resources, hugepages and attachable volumes;
	// nil until one is set, which keeps the common case allocation-free.
	scalar map[corev1.ResourceName]int64
}

// addList adds a ResourceList as upstream's Resource.Add does: unknown native
// names (e.g. "storage") are ignored.
func (r *resources) addList(rl corev1.ResourceList) {
	for name, q := range rl {
		switch name {
		case corev1.ResourceCPU:
			r.milliCPU += q.MilliValue()
		case corev1.ResourceMemory:
			r.memory += q.Value()
		case corev1.ResourcePods:
			r.allowedPods += q.Value()
		case corev1.ResourceEphemeralStorage:
			r.ephemeralStorage += q.Value()
		default:
			if isScalarResourceName(name) {
				if r.scalar == nil {
					r.scalar = map[corev1.ResourceName]int64{}
				}
				r.scalar[name] += q.Value()
			}
		}
	}
}

func (r *resources) add(o *resources, sign int64) {
	r.milliCPU += sign * o.milliCPU
	r.memory += sign * o.memory
	r.ephemeralStorage += sign * o.ephemeralStorage
	r.allowedPods += sign * o.allowedPods
	for name, v := range o.scalar {
		if r.scalar == nil {
			r.scalar = map[corev1.ResourceName]int64{}
		}
		r.scalar[name] += sign * v
	}
}

func (r *resources) isZero() bool {
	return r.milliCPU == 0 && r.memory == 0 && r.ephemeralStorage == 0 && len(r.scalar) == 0
}

// podRequestOptions are those of v1.37's defaults: PodLevelResources (Beta, on)
// and InPlacePodVerticalScaling (GA) are enabled.
func podRequestOptions() resourcehelper.PodResourcesOptions {
	return resourcehelper.PodResourcesOptions{UseStatusResources: true}
}

// podRequests returns the effective requests of a pod (the max of the init
// containers' and the sum of the app containers' and sidecars', plus pod
// overhead, or the pod-level requests), as the NodeResourcesFit PreFilter
// and NodeInfo.AddPod compute them.
func podRequests(pod *corev1.Pod) resources {
	var r resources
	r.addList(resourcehelper.PodRequests(pod, podRequestOptions()))
	return r
}

// podNonZeroRequests returns the cpu and memory requests used for scoring:
// containers that leave them unset count as 100m and 200Mi.
func podNonZeroRequests(pod *corev1.Pod) (milliCPU, memory int64) {
	opts := podRequestOptions()
	opts.NonMissingContainerRequests = corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewMilliQuantity(defaultMilliCPURequest, resource.DecimalSI),
		corev1.ResourceMemory: *resource.NewQuantity(defaultMemoryRequest, resource.DecimalSI),
	}
	reqs := resourcehelper.PodRequests(pod, opts)
	return reqs.Cpu().MilliValue(), reqs.Memory().Value()
}

// The resource name helpers of k8s.io/kubernetes/pkg/apis/core/v1/helper.

func isNativeResource(name corev1.ResourceName) bool {
	return !strings.Contains(string(name), "/") || strings.Contains(string(name), corev1.ResourceDefaultNamespacePrefix)
}

func isExtendedResourceName(name corev1.ResourceName) bool {
	if isNativeResource(name) || strings.HasPrefix(string(name), corev1.DefaultResourceRequestsPrefix) {
		return false
	}
	// Ensure it satisfies the rules in IsQualifiedName() after converted into quota resource name
	return len(validation.IsQualifiedName(corev1.DefaultResourceRequestsPrefix+string(name))) == 0
}

func isScalarResourceName(name corev1.ResourceName) bool {
	return isExtendedResourceName(name) ||
		strings.HasPrefix(string(name), corev1.ResourceHugePagesPrefix) ||
		strings.Contains(string(name), corev1.ResourceDefaultNamespacePrefix) ||
		strings.HasPrefix(string(name), corev1.ResourceAttachableVolumesPrefix)
}

// hostPorts returns the host ports a pod uses: those of its containers and of
// its sidecars (restartable init containers), as
// pkg/scheduler/util.GetHostPorts does.
func hostPorts(pod *corev1.Pod) []corev1.ContainerPort {
	var ports []corev1.ContainerPort
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		if c.RestartPolicy == nil || *c.RestartPolicy != corev1.ContainerRestartPolicyAlways {
			continue
		}
		for _, p := range c.Ports {
			if p.HostPort > 0 {
				ports = append(ports, p)
			}
		}
	}
	for i := range pod.Spec.Containers {
		for _, p := range pod.Spec.Containers[i].Ports {
			if p.HostPort > 0 {
				ports = append(ports, p)
			}
		}
	}
	return ports
}

// defaultBindAllHostIP is the host IP a port without one binds to.
const defaultBindAllHostIP = "0.0.0.0"

type protocolPort struct {
	protocol string
	port     int32
}

// hostPortInfo is upstream's HostPortInfo: host IP -> (protocol, port) in use,
// counted so that two pods that share a port (which the filter prevents, but
// a kubelet may still report) are removed correctly.
type hostPortInfo map[string]map[protocolPort]int

func sanitizePort(ip, protocol string) (string, string) {
	if ip == "" {
		ip = defaultBindAllHostIP
	}
	if protocol == "" {
		protocol = string(corev1.ProtocolTCP)
	}
	return ip, protocol
}

func (h hostPortInfo) add(p corev1.ContainerPort, delta int) {
	if p.HostPort <= 0 {
		return
	}
	ip, proto := sanitizePort(p.HostIP, string(p.Protocol))
	pp := protocolPort{proto, p.HostPort}
	m := h[ip]
	if m == nil {
		m = map[protocolPort]int{}
		h[ip] = m
	}
	m[pp] += delta
	if m[pp] <= 0 {
		delete(m, pp)
		if len(m) == 0 {
			delete(h, ip)
		}
	}
}

// conflicts reports whether a wanted port clashes with one in use: 0.0.0.0
// clashes with the same protocol/port on any IP, and any IP with 0.0.0.0.
func (h hostPortInfo) conflicts(p corev1.ContainerPort) bool {
	if p.HostPort <= 0 {
		return false
	}
	ip, proto := sanitizePort(p.HostIP, string(p.Protocol))
	pp := protocolPort{proto, p.HostPort}
	if ip == defaultBindAllHostIP {
		for _, m := range h {
			if _, ok := m[pp]; ok {
				return true
			}
		}
		return false
	}
	for _, key := range [2]string{defaultBindAllHostIP, ip} {
		if _, ok := h[key][pp]; ok {
			return true
		}
	}
	return false
}
