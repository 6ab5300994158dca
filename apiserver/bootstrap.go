package apiserver

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

// SystemNamespaces are created on start and recreated if deleted, as kube-apiserver's
// system namespaces controller does.
var SystemNamespaces = []string{metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic, corev1.NamespaceNodeLease}

// reconcileInterval is how often the bootstrap objects are checked again (upstream's
// kubernetes service controller uses 10 s).
const reconcileInterval = 10 * time.Second

// bootstrap creates the system namespaces and the kubernetes Service, its Endpoints and
// EndpointSlice, before /readyz reports ready, then keeps them in place.
func (s *Server) bootstrap(hookCtx genericapiserver.PostStartHookContext) error {
	ctx := klog.NewContext(hookCtx, klog.FromContext(hookCtx).WithName("bootstrap"))
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		if err := s.reconcileBootstrap(ctx); err != nil {
			klog.FromContext(ctx).V(2).Info("Bootstrap objects not yet in place", "err", err)
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("creating the system namespaces and the kubernetes service: %w", err)
	}
	go wait.UntilWithContext(ctx, func(ctx context.Context) {
		if err := s.reconcileBootstrap(ctx); err != nil && ctx.Err() == nil {
			klog.FromContext(ctx).Error(err, "Reconciling bootstrap objects")
		}
	}, reconcileInterval)
	return nil
}

func (s *Server) reconcileBootstrap(ctx context.Context) error {
	for _, name := range SystemNamespaces {
		_, err := s.loopback.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating namespace %s: %w", name, err)
		}
	}
	if err := s.reconcileKubernetesService(ctx); err != nil {
		return err
	}
	return s.reconcileKubernetesEndpoints(ctx)
}

const kubernetesServiceName = "kubernetes"

func (s *Server) reconcileKubernetesService(ctx context.Context) error {
	ports := []corev1.ServicePort{{
		Name: "https", Protocol: corev1.ProtocolTCP, Port: 443, TargetPort: intstr.FromInt32(int32(s.port)),
	}}
	services := s.loopback.CoreV1().Services(metav1.NamespaceDefault)
	existing, err := services.Get(ctx, kubernetesServiceName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		svc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{
				Name:   kubernetesServiceName,
				Labels: map[string]string{"provider": "kubernetes", "component": "apiserver"},
			},
			Spec: corev1.ServiceSpec{
				Type:            corev1.ServiceTypeClusterIP,
				ClusterIP:       s.allocator.ClusterIPs.Nth(1).String(),
				Ports:           ports,
				SessionAffinity: corev1.ServiceAffinityNone,
			},
		}
		_, err = services.Create(ctx, svc, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	}
	if err != nil {
		return err
	}
	if apiequality.Semantic.DeepEqual(existing.Spec.Ports, ports) {
		return nil
	}
	// The secure port changed since the last start: point the service at the new one.
	updated := existing.DeepCopy()
	updated.Spec.Ports = ports
	_, err = services.Update(ctx, updated, metav1.UpdateOptions{})
	return err
}

func (s *Server) reconcileKubernetesEndpoints(ctx context.Context) error {
	port := int32(s.port)
	ep := &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{
			Name:   kubernetesServiceName,
			Labels: map[string]string{discoveryv1.LabelSkipMirror: "true"},
		},
		Subsets: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{{IP: s.advertise.String()}},
			Ports:     []corev1.EndpointPort{{Name: "https", Port: port, Protocol: corev1.ProtocolTCP}},
		}},
	}
	if err := apply(ctx, s.loopback.CoreV1().Endpoints(metav1.NamespaceDefault), ep, func(existing, want *corev1.Endpoints) bool {
		return apiequality.Semantic.DeepEqual(existing.Subsets, want.Subsets)
	}); err != nil {
		return fmt.Errorf("reconciling the kubernetes endpoints: %w", err)
	}
	addressType := discoveryv1.AddressTypeIPv4
	if s.advertise.To4() == nil {
		addressType = discoveryv1.AddressTypeIPv6
	}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name:   kubernetesServiceName,
			Labels: map[string]string{discoveryv1.LabelServiceName: kubernetesServiceName},
		},
		AddressType: addressType,
		Endpoints: []discoveryv1.Endpoint{{
			Addresses:  []string{s.advertise.String()},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
		}},
		Ports: []discoveryv1.EndpointPort{{Name: ptr.To("https"), Port: &port, Protocol: ptr.To(corev1.ProtocolTCP)}},
	}
	if err := apply(ctx, s.loopback.DiscoveryV1().EndpointSlices(metav1.NamespaceDefault), slice, func(existing, want *discoveryv1.EndpointSlice) bool {
		return existing.AddressType == want.AddressType &&
			apiequality.Semantic.DeepEqual(existing.Endpoints, want.Endpoints) &&
			apiequality.Semantic.DeepEqual(existing.Ports, want.Ports)
	}); err != nil {
		return fmt.Errorf("reconciling the kubernetes endpointslice: %w", err)
	}
	return nil
}

type object[T any] interface {
	*T
	metav1.Object
}

type createGetUpdater[P any] interface {
	Create(context.Context, P, metav1.CreateOptions) (P, error)
	Get(context.Context, string, metav1.GetOptions) (P, error)
	Update(context.Context, P, metav1.UpdateOptions) (P, error)
}

// apply creates want, or replaces the existing object's content when same reports a
// difference, keeping its metadata.
func apply[T any, P object[T]](ctx context.Context, client createGetUpdater[P], want P, same func(existing, want P) bool) error {
	existing, err := client.Get(ctx, want.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = client.Create(ctx, want, metav1.CreateOptions{})
		return err
	}
	if err != nil || same(existing, want) {
		return err
	}
	want.SetResourceVersion(existing.GetResourceVersion())
	want.SetUID(existing.GetUID())
	want.SetCreationTimestamp(existing.GetCreationTimestamp())
	_, err = client.Update(ctx, want, metav1.UpdateOptions{})
	return err
}
