package core

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/util/dryrun"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/k1s-dev/k1s/apiserver/apis/core/validation"
	"github.com/k1s-dev/k1s/apiserver/registry"
	"github.com/k1s-dev/k1s/apiserver/registry/core/allocator"
)

// Allocators are the service IP and node port ranges of the cluster.
type Allocators struct {
	ClusterIPs *allocator.IPRange
	NodePorts  *allocator.PortRange
}

func newServices(optsGetter generic.RESTOptionsGetter, alloc *Allocators) (map[string]rest.Storage, error) {
	store, err := registry.NewStore(optsGetter, registry.StoreSpec[*corev1.Service]{
		Resource:   corev1.Resource("services"),
		ShortNames: []string{"svc"},
		Categories: []string{"all"},
		Singular:   "service",
		New:        func() *corev1.Service { return &corev1.Service{} },
		NewList:    func() runtime.Object { return &corev1.ServiceList{} },
		Strategy:   serviceStrategy,
		SelectableFields: func(svc *corev1.Service) fields.Set {
			return fields.Set{"spec.clusterIP": svc.Spec.ClusterIP, "spec.type": string(svc.Spec.Type)}
		},
	})
	if err != nil {
		return nil, err
	}
	store.BeginCreate = alloc.beginCreate
	store.BeginUpdate = alloc.beginUpdate
	store.AfterDelete = alloc.afterDelete

	status := registry.NewStatusREST(store, &registry.Strategy[*corev1.Service]{
		Namespaced: true,
		PrepareForUpdate: func(_ context.Context, svc, old *corev1.Service) {
			svc.Spec = old.Spec
		},
		ValidateUpdate: func(_ context.Context, svc, old *corev1.Service) field.ErrorList {
			return validation.ValidateServiceStatusUpdate(svc, old)
		},
		ResetFields: resetFields("spec"),
	})
	return map[string]rest.Storage{"services": store, "services/status": status}, nil
}

// dropTypeDependentFields is upstream's: when an update changes the type, fields the new
// type does not use are wiped if the client left them as they were (they were defaulted or
// allocated for the old type). Without it, `kubectl patch svc -p '{"spec":{"type":"ClusterIP"}}'`
// of a NodePort service fails validation on the kept externalTrafficPolicy, and a switch
// to ExternalName on the kept clusterIPs. It runs before validation; the allocator then
// frees what was dropped.
func dropTypeDependentFields(svc, old *corev1.Service) {
	if old.Spec.Type != corev1.ServiceTypeExternalName && svc.Spec.Type == corev1.ServiceTypeExternalName {
		if svc.Spec.ClusterIP == old.Spec.ClusterIP && slices.Equal(svc.Spec.ClusterIPs, old.Spec.ClusterIPs) {
			svc.Spec.ClusterIP, svc.Spec.ClusterIPs = "", nil
		}
		if slices.Equal(svc.Spec.IPFamilies, old.Spec.IPFamilies) {
			svc.Spec.IPFamilies = nil
		}
		if ptr.Equal(svc.Spec.IPFamilyPolicy, old.Spec.IPFamilyPolicy) {
			svc.Spec.IPFamilyPolicy = nil
		}
	}
	usesNodePorts := func(s *corev1.Service) bool {
		return s.Spec.Type == corev1.ServiceTypeNodePort || s.Spec.Type == corev1.ServiceTypeLoadBalancer
	}
	if usesNodePorts(old) && !usesNodePorts(svc) && sameNodePorts(svc, old) {
		for i := range svc.Spec.Ports {
			svc.Spec.Ports[i].NodePort = 0
		}
	}
	if needsHealthCheckNodePort(old) && !needsHealthCheckNodePort(svc) && svc.Spec.HealthCheckNodePort == old.Spec.HealthCheckNodePort {
		svc.Spec.HealthCheckNodePort = 0
	}
	if old.Spec.Type == corev1.ServiceTypeLoadBalancer && svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		if svc.Spec.AllocateLoadBalancerNodePorts != nil && old.Spec.AllocateLoadBalancerNodePorts != nil &&
			*svc.Spec.AllocateLoadBalancerNodePorts == *old.Spec.AllocateLoadBalancerNodePorts {
			svc.Spec.AllocateLoadBalancerNodePorts = nil
		}
		if ptr.Equal(svc.Spec.LoadBalancerClass, old.Spec.LoadBalancerClass) {
			svc.Spec.LoadBalancerClass = nil
		}
		svc.Status.LoadBalancer = corev1.LoadBalancerStatus{}
	}
	if externallyAccessible(old) && !externallyAccessible(svc) && svc.Spec.ExternalTrafficPolicy == old.Spec.ExternalTrafficPolicy {
		svc.Spec.ExternalTrafficPolicy = ""
	}
}

// sameNodePorts reports whether svc kept old's node port for every port they share.
func sameNodePorts(svc, old *corev1.Service) bool {
	for _, p := range svc.Spec.Ports {
		for _, op := range old.Spec.Ports {
			if p.Name == op.Name && p.NodePort != op.NodePort {
				return false
			}
		}
	}
	return true
}

// externallyAccessible is upstream's pkg/api/service ExternallyAccessible.
func externallyAccessible(svc *corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeLoadBalancer || svc.Spec.Type == corev1.ServiceTypeNodePort ||
		(svc.Spec.Type == corev1.ServiceTypeClusterIP && len(svc.Spec.ExternalIPs) > 0)
}

// txn records what one request allocated, so a failed request gives it all back, and
// what it made free, which is released only once the request succeeded.
type txn struct {
	a               *Allocators
	allocatedIPs    []netip.Addr
	allocatedPorts  []int
	releaseIPs      []netip.Addr
	releasePorts    []int
	dryRun          bool
	allocationError field.ErrorList
}

func (a *Allocators) finish(t *txn) genericregistry.FinishFunc {
	return func(ctx context.Context, success bool) {
		if t.dryRun {
			return
		}
		ips, ports := t.allocatedIPs, t.allocatedPorts
		if success {
			ips, ports = t.releaseIPs, t.releasePorts
		}
		for _, ip := range ips {
			if err := a.ClusterIPs.Release(ctx, ip); err != nil {
				klog.FromContext(ctx).Error(err, "Releasing service IP", "ip", ip)
			}
		}
		for _, p := range ports {
			if err := a.NodePorts.Release(ctx, p); err != nil {
				klog.FromContext(ctx).Error(err, "Releasing node port", "port", p)
			}
		}
	}
}

func (a *Allocators) beginCreate(ctx context.Context, obj runtime.Object, options *metav1.CreateOptions) (genericregistry.FinishFunc, error) {
	svc := obj.(*corev1.Service)
	t := &txn{a: a, dryRun: dryrun.IsDryRun(options.DryRun)}
	finish := a.finish(t)
	if err := t.allocate(ctx, svc, nil); err != nil {
		finish(ctx, false)
		return nil, err
	}
	return finish, nil
}

func (a *Allocators) beginUpdate(ctx context.Context, obj, oldObj runtime.Object, options *metav1.UpdateOptions) (genericregistry.FinishFunc, error) {
	svc, old := obj.(*corev1.Service), oldObj.(*corev1.Service)
	t := &txn{a: a, dryRun: dryrun.IsDryRun(options.DryRun)}
	finish := a.finish(t)
	if err := t.allocate(ctx, svc, old); err != nil {
		finish(ctx, false)
		return nil, err
	}
	return finish, nil
}

func (a *Allocators) afterDelete(obj runtime.Object, options *metav1.DeleteOptions) {
	svc := obj.(*corev1.Service)
	if dryrun.IsDryRun(options.DryRun) {
		return
	}
	t := &txn{a: a}
	t.releaseIPs = serviceIPs(svc)
	t.releasePorts = serviceNodePorts(svc)
	a.finish(t)(context.Background(), true)
}

// allocate gives svc (old is nil on create) the cluster IPs and node ports its type needs,
// keeping what old already had, as upstream's service REST does.
func (t *txn) allocate(ctx context.Context, svc, old *corev1.Service) error {
	if old != nil {
		keepAllocatedValues(svc, old)
	}
	if err := t.allocateClusterIP(ctx, svc, old); err != nil {
		return err
	}
	if err := t.allocateNodePorts(ctx, svc, old); err != nil {
		return err
	}
	if len(t.allocationError) > 0 {
		return apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Service").GroupKind(), svc.Name, t.allocationError)
	}
	return nil
}

// keepAllocatedValues carries allocated values from old into an update that left them
// empty (kubectl replace of a manifest without clusterIP or nodePort must not change them).
func keepAllocatedValues(svc, old *corev1.Service) {
	if svc.Spec.Type != corev1.ServiceTypeExternalName && old.Spec.Type != corev1.ServiceTypeExternalName {
		if svc.Spec.ClusterIP == "" && len(svc.Spec.ClusterIPs) == 0 {
			svc.Spec.ClusterIP = old.Spec.ClusterIP
			svc.Spec.ClusterIPs = old.Spec.ClusterIPs
		}
		if len(svc.Spec.IPFamilies) == 0 {
			svc.Spec.IPFamilies = old.Spec.IPFamilies
		}
		if svc.Spec.IPFamilyPolicy == nil {
			svc.Spec.IPFamilyPolicy = old.Spec.IPFamilyPolicy
		}
	}
	if needsNodePorts(svc) && needsNodePorts(old) {
		for i := range svc.Spec.Ports {
			p := &svc.Spec.Ports[i]
			if p.NodePort != 0 {
				continue
			}
			for _, op := range old.Spec.Ports {
				if op.Port == p.Port && op.Protocol == p.Protocol {
					p.NodePort = op.NodePort
					break
				}
			}
		}
	}
	if needsHealthCheckNodePort(svc) && svc.Spec.HealthCheckNodePort == 0 {
		svc.Spec.HealthCheckNodePort = old.Spec.HealthCheckNodePort
	}
}

func (t *txn) allocateClusterIP(ctx context.Context, svc, old *corev1.Service) error {
	oldIPs := []netip.Addr{}
	if old != nil {
		oldIPs = serviceIPs(old)
	}
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		// Leaving ExternalName behind no IPs; moving to it frees them (upstream clears
		// clusterIP when the type becomes ExternalName and the client kept the old value).
		if old != nil && svc.Spec.ClusterIP == old.Spec.ClusterIP {
			svc.Spec.ClusterIP, svc.Spec.ClusterIPs = "", nil
			svc.Spec.IPFamilies, svc.Spec.IPFamilyPolicy = nil, nil
		}
		t.releaseIPs = append(t.releaseIPs, oldIPs...)
		return nil
	}
	family := corev1.IPv4Protocol
	if t.a.ClusterIPs.CIDR().Addr().Is6() {
		family = corev1.IPv6Protocol
	}
	if len(svc.Spec.IPFamilies) == 0 {
		svc.Spec.IPFamilies = []corev1.IPFamily{family}
	}
	if svc.Spec.IPFamilyPolicy == nil {
		single := corev1.IPFamilyPolicySingleStack
		svc.Spec.IPFamilyPolicy = &single
	}
	if svc.Spec.ClusterIP == "" && len(svc.Spec.ClusterIPs) > 0 {
		svc.Spec.ClusterIP = svc.Spec.ClusterIPs[0]
	}
	if svc.Spec.ClusterIP == corev1.ClusterIPNone {
		svc.Spec.ClusterIPs = []string{corev1.ClusterIPNone}
		return nil
	}
	if len(svc.Spec.ClusterIPs) == 0 && svc.Spec.ClusterIP != "" {
		svc.Spec.ClusterIPs = []string{svc.Spec.ClusterIP}
	}
	if old != nil && svc.Spec.ClusterIP == old.Spec.ClusterIP && svc.Spec.ClusterIP != "" {
		return nil // unchanged; validation rejects any other change of an allocated IP
	}
	t.releaseIPs = append(t.releaseIPs, oldIPs...)
	if svc.Spec.ClusterIP == "" {
		if t.dryRun {
			return nil
		}
		ip, err := t.a.ClusterIPs.AllocateNext(ctx)
		if err != nil {
			if errors.Is(err, allocator.ErrFull) {
				return apierrors.NewInternalError(fmt.Errorf("failed to allocate a serviceIP: %w", err))
			}
			return fmt.Errorf("allocating a service IP: %w", err)
		}
		t.allocatedIPs = append(t.allocatedIPs, ip)
		svc.Spec.ClusterIP = ip.String()
		svc.Spec.ClusterIPs = []string{ip.String()}
		return nil
	}
	ip, err := netip.ParseAddr(svc.Spec.ClusterIP)
	if err != nil {
		return nil // validation reports the malformed IP with its field path
	}
	fld := field.NewPath("spec", "clusterIPs").Index(0)
	if t.dryRun {
		if has, err := t.a.ClusterIPs.Has(ctx, ip); err == nil && has {
			t.allocationError = append(t.allocationError, field.Invalid(fld, svc.Spec.ClusterIP, "failed to allocate IP "+svc.Spec.ClusterIP+": provided IP is already allocated"))
		}
		return nil
	}
	switch err := t.a.ClusterIPs.Allocate(ctx, ip); {
	case err == nil:
		t.allocatedIPs = append(t.allocatedIPs, ip)
	case errors.Is(err, allocator.ErrAllocated):
		t.allocationError = append(t.allocationError, field.Invalid(fld, svc.Spec.ClusterIP,
			fmt.Sprintf("failed to allocate IP %s: provided IP is already allocated", svc.Spec.ClusterIP)))
	case errors.Is(err, allocator.ErrOutOfRange):
		t.allocationError = append(t.allocationError, field.Invalid(fld, svc.Spec.ClusterIP,
			fmt.Sprintf("failed to allocate IP %s: the provided IP (%s) is not in the valid range. The range of valid IPs is %s", svc.Spec.ClusterIP, svc.Spec.ClusterIP, t.a.ClusterIPs.CIDR())))
	default:
		return fmt.Errorf("allocating service IP %s: %w", ip, err)
	}
	return nil
}

func (t *txn) allocateNodePorts(ctx context.Context, svc, old *corev1.Service) error {
	oldPorts := map[int]bool{}
	if old != nil {
		for _, p := range serviceNodePorts(old) {
			oldPorts[p] = true
		}
	}
	keep := map[int]bool{}
	claim := func(port *int32, fld *field.Path) error {
		if *port != 0 {
			p := int(*port)
			if oldPorts[p] || keep[p] {
				keep[p] = true
				return nil
			}
			if t.dryRun {
				return nil
			}
			switch err := t.a.NodePorts.Allocate(ctx, p); {
			case err == nil:
				t.allocatedPorts = append(t.allocatedPorts, p)
				keep[p] = true
			case errors.Is(err, allocator.ErrAllocated):
				t.allocationError = append(t.allocationError, field.Invalid(fld, *port, "provided port is already allocated"))
			case errors.Is(err, allocator.ErrOutOfRange):
				t.allocationError = append(t.allocationError, field.Invalid(fld, *port,
					fmt.Sprintf("provided port is not in the valid range. The range of valid ports is %s", t.a.NodePorts.Range().String())))
			default:
				return fmt.Errorf("allocating node port %d: %w", p, err)
			}
			return nil
		}
		if t.dryRun {
			return nil
		}
		p, err := t.a.NodePorts.AllocateNext(ctx)
		if err != nil {
			if errors.Is(err, allocator.ErrFull) {
				return apierrors.NewInternalError(fmt.Errorf("failed to allocate a nodePort: %w", err))
			}
			return fmt.Errorf("allocating a node port: %w", err)
		}
		t.allocatedPorts = append(t.allocatedPorts, p)
		keep[p] = true
		*port = int32(p)
		return nil
	}
	if needsNodePorts(svc) {
		for i := range svc.Spec.Ports {
			if err := claim(&svc.Spec.Ports[i].NodePort, field.NewPath("spec", "ports").Index(i).Child("nodePort")); err != nil {
				return err
			}
		}
	} else if svc.Spec.Type == corev1.ServiceTypeClusterIP || svc.Spec.Type == corev1.ServiceTypeExternalName {
		// Upstream drops node ports when the type no longer uses them.
		for i := range svc.Spec.Ports {
			svc.Spec.Ports[i].NodePort = 0
		}
	}
	if needsHealthCheckNodePort(svc) {
		if err := claim(&svc.Spec.HealthCheckNodePort, field.NewPath("spec", "healthCheckNodePort")); err != nil {
			return err
		}
	} else {
		svc.Spec.HealthCheckNodePort = 0
	}
	for p := range oldPorts {
		if !keep[p] {
			t.releasePorts = append(t.releasePorts, p)
		}
	}
	return nil
}

func needsNodePorts(svc *corev1.Service) bool {
	switch svc.Spec.Type {
	case corev1.ServiceTypeNodePort:
		return true
	case corev1.ServiceTypeLoadBalancer:
		return svc.Spec.AllocateLoadBalancerNodePorts == nil || *svc.Spec.AllocateLoadBalancerNodePorts
	}
	return false
}

func needsHealthCheckNodePort(svc *corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeLoadBalancer && svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
}

func serviceIPs(svc *corev1.Service) []netip.Addr {
	var ips []netip.Addr
	seen := map[string]bool{}
	for _, s := range append([]string{svc.Spec.ClusterIP}, svc.Spec.ClusterIPs...) {
		if seen[s] {
			continue
		}
		seen[s] = true
		if ip, err := netip.ParseAddr(s); err == nil {
			ips = append(ips, ip)
		}
	}
	return ips
}

func serviceNodePorts(svc *corev1.Service) []int {
	var ports []int
	for _, p := range svc.Spec.Ports {
		if p.NodePort != 0 {
			ports = append(ports, int(p.NodePort))
		}
	}
	if svc.Spec.HealthCheckNodePort != 0 {
		ports = append(ports, int(svc.Spec.HealthCheckNodePort))
	}
	return ports
}

var serviceStrategy = &registry.Strategy[*corev1.Service]{
	Namespaced: true,
	PrepareForCreate: func(_ context.Context, svc *corev1.Service) {
		svc.Status = corev1.ServiceStatus{}
	},
	PrepareForUpdate: func(_ context.Context, svc, old *corev1.Service) {
		svc.Status = old.Status
		dropTypeDependentFields(svc, old)
	},
	Validate: func(_ context.Context, svc *corev1.Service) field.ErrorList {
		return validation.ValidateServiceCreate(svc)
	},
	ValidateUpdate: func(_ context.Context, svc, old *corev1.Service) field.ErrorList {
		return validation.ValidateServiceUpdate(svc, old)
	},
	AllowUnconditionalUpdate: true,
	ResetFields:              resetFields("status"),
}
