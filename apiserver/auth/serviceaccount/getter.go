package serviceaccount

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
)

// ServiceAccountTokenGetter looks up the objects a token names.
type ServiceAccountTokenGetter interface {
	GetServiceAccount(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error)
	GetPod(ctx context.Context, namespace, name string) (*corev1.Pod, error)
	GetSecret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
	GetNode(ctx context.Context, name string) (*corev1.Node, error)
}

// NewGetterFromInformers returns a getter that reads from the informers of factory and,
// when an informer does not have the object (yet), from client: a token minted for an
// object created a moment ago must work at once, and a deleted object must not be
// mistaken for a live one. client must not authenticate with a service account token,
// or lookups would recurse. Call it before factory starts, so the informers are
// registered.
func NewGetterFromInformers(client kubernetes.Interface, factory informers.SharedInformerFactory) ServiceAccountTokenGetter {
	core := factory.Core().V1()
	return &clientGetter{
		client:          client,
		serviceAccounts: core.ServiceAccounts().Lister(),
		pods:            core.Pods().Lister(),
		secrets:         core.Secrets().Lister(),
		nodes:           core.Nodes().Lister(),
	}
}

type clientGetter struct {
	client          kubernetes.Interface
	serviceAccounts corelisters.ServiceAccountLister
	pods            corelisters.PodLister
	secrets         corelisters.SecretLister
	nodes           corelisters.NodeLister
}

func (c *clientGetter) GetServiceAccount(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error) {
	if sa, err := c.serviceAccounts.ServiceAccounts(namespace).Get(name); err == nil {
		return sa, nil
	}
	return c.client.CoreV1().ServiceAccounts(namespace).Get(ctx, name, metav1.GetOptions{})
}

func (c *clientGetter) GetPod(ctx context.Context, namespace, name string) (*corev1.Pod, error) {
	if pod, err := c.pods.Pods(namespace).Get(name); err == nil {
		return pod, nil
	}
	return c.client.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
}

func (c *clientGetter) GetSecret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	if secret, err := c.secrets.Secrets(namespace).Get(name); err == nil {
		return secret, nil
	}
	return c.client.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
}

func (c *clientGetter) GetNode(ctx context.Context, name string) (*corev1.Node, error) {
	if node, err := c.nodes.Get(name); err == nil {
		return node, nil
	}
	return c.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
}
