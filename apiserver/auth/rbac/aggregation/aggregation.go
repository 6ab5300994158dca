package aggregation

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	rbacv1ac "k8s.io/client-go/applyconfigurations/rbac/v1"
	rbacinformers "k8s.io/client-go/informers/rbac/v1"
	rbacclient "k8s.io/client-go/kubernetes/typed/rbac/v1"
	rbaclisters "k8s.io/client-go/listers/rbac/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// FieldManager owns the rules of aggregated ClusterRoles.
const FieldManager = "clusterrole-aggregation-controller"

// Controller keeps aggregated ClusterRoles' rules equal to the union of the rules of the
// ClusterRoles their selectors match.
type Controller struct {
	client rbacclient.ClusterRolesGetter
	lister rbaclisters.ClusterRoleLister
	synced cache.InformerSynced
	queue  workqueue.TypedRateLimitingInterface[string]
}

// New returns a controller reading ClusterRoles through informer and writing them with
// client. Call it before the informer's factory starts, or start the factory again.
func New(informer rbacinformers.ClusterRoleInformer, client rbacclient.ClusterRolesGetter) (*Controller, error) {
	c := &Controller{
		client: client,
		lister: informer.Lister(),
		synced: informer.Informer().HasSynced,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "ClusterRoleAggregator"},
		),
	}
	// Any change may matter to any aggregated role (labels decide membership), and there
	// are few ClusterRoles, so every event requeues every aggregated role.
	_, err := informer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { c.enqueueAll() },
		UpdateFunc: func(any, any) { c.enqueueAll() },
		DeleteFunc: func(any) { c.enqueueAll() },
	})
	if err != nil {
		return nil, fmt.Errorf("watching clusterroles: %w", err)
	}
	return c, nil
}

// Run aggregates with workers goroutines until ctx is cancelled.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrashWithContext(ctx)
	logger := klog.FromContext(ctx)
	logger.Info("Starting ClusterRole aggregation controller")

	var wg sync.WaitGroup
	defer func() {
		logger.Info("Shutting down ClusterRole aggregation controller")
		c.queue.ShutDown()
		wg.Wait()
	}()

	if !cache.WaitForNamedCacheSyncWithContext(ctx, c.synced) {
		return
	}
	for range workers {
		wg.Go(func() { wait.UntilWithContext(ctx, c.runWorker, time.Second) })
	}
	<-ctx.Done()
}

func (c *Controller) runWorker(ctx context.Context) {
	for c.processNextWorkItem(ctx) {
	}
}

func (c *Controller) processNextWorkItem(ctx context.Context) bool {
	name, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(name)

	if err := c.sync(ctx, name); err != nil {
		if ctx.Err() != nil {
			return false // shutting down: the failure is the cancellation
		}
		utilruntime.HandleErrorWithContext(ctx, err, "Aggregating ClusterRole", "clusterRole", name)
		c.queue.AddRateLimited(name)
		return true
	}
	c.queue.Forget(name)
	return true
}

func (c *Controller) enqueueAll() {
	all, err := c.lister.List(labels.Everything())
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("listing clusterroles: %w", err))
		return
	}
	for _, role := range all {
		if role.AggregationRule != nil {
			c.queue.Add(role.Name)
		}
	}
}

func (c *Controller) sync(ctx context.Context, name string) error {
	role, err := c.lister.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	all, err := c.lister.List(labels.Everything())
	if err != nil {
		return err
	}
	return apply(ctx, c.client, role, all)
}

// SyncAll aggregates every aggregated ClusterRole once, reading through client. The
// bootstrap hook calls it so that admin, edit and view are usable as soon as the
// apiserver reports ready, without waiting for the controller's first pass.
func SyncAll(ctx context.Context, client rbacclient.ClusterRolesGetter) error {
	list, err := client.ClusterRoles().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	all := make([]*rbacv1.ClusterRole, len(list.Items))
	for i := range list.Items {
		all[i] = &list.Items[i]
	}
	for _, role := range all {
		if role.AggregationRule == nil {
			continue
		}
		if err := apply(ctx, client, role, all); err != nil {
			return fmt.Errorf("aggregating clusterrole %s: %w", role.Name, err)
		}
	}
	return nil
}

func apply(ctx context.Context, client rbacclient.ClusterRolesGetter, role *rbacv1.ClusterRole, all []*rbacv1.ClusterRole) error {
	if role.AggregationRule == nil {
		return nil
	}
	rules, err := AggregatedRules(role, all)
	if err != nil {
		return err
	}
	if equality.Semantic.DeepEqual(rules, role.Rules) {
		return nil
	}
	klog.FromContext(ctx).V(2).Info("Updating aggregated ClusterRole", "clusterRole", role.Name, "rules", len(rules))
	applyConfig := rbacv1ac.ClusterRole(role.Name).WithRules(toApplyPolicyRules(rules)...)
	_, err = client.ClusterRoles().Apply(ctx, applyConfig, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	return err
}

// AggregatedRules is the rules role aggregates from all: the rules of every ClusterRole
// (but role itself) matched by one of its selectors, selector by selector and role by
// role in name order, each rule once.
func AggregatedRules(role *rbacv1.ClusterRole, all []*rbacv1.ClusterRole) ([]rbacv1.PolicyRule, error) {
	rules := []rbacv1.PolicyRule{}
	if role.AggregationRule == nil {
		return rules, nil
	}
	sorted := slices.Clone(all)
	slices.SortFunc(sorted, func(a, b *rbacv1.ClusterRole) int { return strings.Compare(a.Name, b.Name) })
	for i := range role.AggregationRule.ClusterRoleSelectors {
		selector, err := metav1.LabelSelectorAsSelector(&role.AggregationRule.ClusterRoleSelectors[i])
		if err != nil {
			return nil, err
		}
		for _, candidate := range sorted {
			if candidate.Name == role.Name || !selector.Matches(labels.Set(candidate.Labels)) {
				continue
			}
			for _, rule := range candidate.Rules {
				if !slices.ContainsFunc(rules, func(r rbacv1.PolicyRule) bool { return equality.Semantic.DeepEqual(r, rule) }) {
					rules = append(rules, rule)
				}
			}
		}
	}
	return rules, nil
}

func toApplyPolicyRules(rules []rbacv1.PolicyRule) []*rbacv1ac.PolicyRuleApplyConfiguration {
	result := make([]*rbacv1ac.PolicyRuleApplyConfiguration, 0, len(rules))
	for _, rule := range rules {
		r := rbacv1ac.PolicyRule()
		r.Resources = rule.Resources
		r.ResourceNames = rule.ResourceNames
		r.APIGroups = rule.APIGroups
		r.NonResourceURLs = rule.NonResourceURLs
		r.Verbs = rule.Verbs
		result = append(result, r)
	}
	return result
}
