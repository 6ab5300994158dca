package apiserver

import (
	"fmt"
	"os"

	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/informers"
	"k8s.io/klog/v2"

	"github.com/k1s-dev/k1s/apiserver/controllers/rootcacertpublisher"
	"github.com/k1s-dev/k1s/apiserver/controllers/serviceaccounts"
)

// Post-start hooks of the controllers without which no pod is admitted: upstream runs
// them in kube-controller-manager ("serviceaccount-controller", "root-ca-cert-publisher").
// They belong with k1s's controllers; the apiserver hosts them until k1s has a
// controller manager, which is why their packages know the apiserver only as a client.
const (
	serviceAccountsHookName     = "start-serviceaccounts-controller"
	rootCACertPublisherHookName = "start-root-ca-cert-publisher"
)

// addServiceAccountHooks starts the serviceaccounts controller (a "default" service
// account in every namespace) and the root CA publisher (kube-root-ca.crt in every
// namespace) on the loopback client.
func (s *Server) addServiceAccountHooks(cfg Config, factory informers.SharedInformerFactory) error {
	saController, err := serviceaccounts.New(factory.Core().V1().ServiceAccounts(), factory.Core().V1().Namespaces(), s.loopback)
	if err != nil {
		return fmt.Errorf("creating the serviceaccounts controller: %w", err)
	}
	rootCAFile := cfg.RootCAFile
	if rootCAFile == "" {
		rootCAFile = cfg.ClientCAFile
	}
	rootCA, err := os.ReadFile(rootCAFile)
	if err != nil {
		return fmt.Errorf("reading the root CA to publish: %w", err)
	}
	cmFactory := rootcacertpublisher.ConfigMapInformerFactory(s.loopback, 0)
	publisher, err := rootcacertpublisher.New(cmFactory.Core().V1().ConfigMaps(), factory.Core().V1().Namespaces(), s.loopback, rootCA)
	if err != nil {
		return fmt.Errorf("creating the root CA publisher: %w", err)
	}
	if err := s.generic.AddPostStartHook(serviceAccountsHookName, func(ctx genericapiserver.PostStartHookContext) error {
		go saController.Run(klog.NewContext(ctx, klog.FromContext(ctx).WithName("serviceaccounts")), 1)
		return nil
	}); err != nil {
		return err
	}
	return s.generic.AddPostStartHook(rootCACertPublisherHookName, func(ctx genericapiserver.PostStartHookContext) error {
		cmFactory.Start(ctx.Done())
		go publisher.Run(klog.NewContext(ctx, klog.FromContext(ctx).WithName("root-ca-cert-publisher")), 1)
		return nil
	})
}
