package rbac

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/component-helpers/auth/rbac/reconciliation"
	"k8s.io/klog/v2"

	"github.com/k1s-dev/k1s/apiserver/auth/bootstrappolicy"
	"github.com/k1s-dev/k1s/apiserver/auth/rbac/aggregation"
)

// PostStartHookName is upstream's name for the hook; /readyz reports it until the
// bootstrap policy is in place.
const PostStartHookName = "rbac/bootstrap-roles"

// Policy is the set of objects reconciled on start.
type Policy struct {
	ClusterRoles        []rbacv1.ClusterRole
	ClusterRoleBindings []rbacv1.ClusterRoleBinding
}

// BootstrapPolicy is the policy of every k1s cluster.
func BootstrapPolicy() Policy {
	return Policy{
		ClusterRoles:        bootstrappolicy.AllClusterRoles(),
		ClusterRoleBindings: bootstrappolicy.AllClusterRoleBindings(),
	}
}

// reconcileWorkers bounds the concurrent reconciliations: each is a get and, on a first
// start, a create, so a few in flight cut start-up time without flooding etcd.
const reconcileWorkers = 16

// PostStartHook reconciles policy through client (the loopback client, a member of
// system:masters) before the apiserver reports ready, retrying until it succeeds or a
// minute passes, after which the apiserver fails to start: a cluster without its roles
// is unusable. It then fills the aggregated roles once, so they are usable at ready.
func PostStartHook(client kubernetes.Interface, policy Policy) genericapiserver.PostStartHookFunc {
	return func(hookCtx genericapiserver.PostStartHookContext) error {
		ctx := klog.NewContext(hookCtx, klog.FromContext(hookCtx).WithName("rbac-bootstrap"))
		var lastErr error
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			if lastErr = EnsurePolicy(ctx, client, policy); lastErr != nil {
				klog.FromContext(ctx).V(2).Info("Bootstrap RBAC policy not yet in place", "err", lastErr)
				return false, nil
			}
			return true, nil
		})
		if err != nil {
			return fmt.Errorf("unable to initialize roles: %w (last error: %v)", err, lastErr)
		}
		return nil
	}
}

// EnsurePolicy creates the missing objects of policy and adds missing rules, aggregation
// selectors, subjects, labels and annotations to the existing ones whose autoupdate
// annotation is not "false". It removes nothing, then aggregates the aggregated roles.
func EnsurePolicy(ctx context.Context, client kubernetes.Interface, policy Policy) error {
	logger := klog.FromContext(ctx)

	// One list of each kind answers the first lookup of every object, instead of a get
	// per object: on a restart nearly everything exists and nothing changes.
	roleList, err := client.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing clusterroles: %w", err)
	}
	bindingList, err := client.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing clusterrolebindings: %w", err)
	}
	existingRoles := map[string]*rbacv1.ClusterRole{}
	for i := range roleList.Items {
		existingRoles[roleList.Items[i].Name] = &roleList.Items[i]
	}
	existingBindings := map[string]*rbacv1.ClusterRoleBinding{}
	for i := range bindingList.Items {
		existingBindings[bindingList.Items[i].Name] = &bindingList.Items[i]
	}

	var tasks []func() error
	for i := range policy.ClusterRoles {
		role := &policy.ClusterRoles[i]
		tasks = append(tasks, func() error {
			opts := reconciliation.ReconcileRoleOptions{
				Role: reconciliation.ClusterRoleRuleOwner{ClusterRole: role.DeepCopy()},
				Client: &listedClusterRoles{
					ClusterRoleModifier: reconciliation.ClusterRoleModifier{Client: client.RbacV1().ClusterRoles()},
					listed:              existingRoles[role.Name],
				},
				Confirm: true,
			}
			return retryOnConflictOrUnavailable(func() error {
				result, err := opts.Run()
				if err != nil {
					return err
				}
				switch {
				case result.Protected && result.Operation != reconciliation.ReconcileNone:
					logger.Info("Skipped reconcile-protected ClusterRole with missing permissions", "clusterRole", role.Name, "missing", result.MissingRules)
				case result.Operation == reconciliation.ReconcileUpdate:
					logger.V(2).Info("Updated ClusterRole with additional permissions", "clusterRole", role.Name, "missing", result.MissingRules)
				case result.Operation == reconciliation.ReconcileCreate:
					logger.V(2).Info("Created ClusterRole", "clusterRole", role.Name)
				}
				return nil
			})
		})
	}
	for i := range policy.ClusterRoleBindings {
		binding := &policy.ClusterRoleBindings[i]
		tasks = append(tasks, func() error {
			opts := reconciliation.ReconcileRoleBindingOptions{
				RoleBinding: reconciliation.ClusterRoleBindingAdapter{ClusterRoleBinding: binding.DeepCopy()},
				Client: &listedClusterRoleBindings{
					ClusterRoleBindingClientAdapter: reconciliation.ClusterRoleBindingClientAdapter{Client: client.RbacV1().ClusterRoleBindings()},
					listed:                          existingBindings[binding.Name],
				},
				Confirm: true,
			}
			return retryOnConflictOrUnavailable(func() error {
				result, err := opts.Run()
				if err != nil {
					return err
				}
				switch {
				case result.Protected && result.Operation != reconciliation.ReconcileNone:
					logger.Info("Skipped reconcile-protected ClusterRoleBinding with missing subjects", "clusterRoleBinding", binding.Name, "missing", result.MissingSubjects)
				case result.Operation == reconciliation.ReconcileUpdate:
					logger.V(2).Info("Updated ClusterRoleBinding with additional subjects", "clusterRoleBinding", binding.Name, "missing", result.MissingSubjects)
				case result.Operation == reconciliation.ReconcileCreate:
					logger.V(2).Info("Created ClusterRoleBinding", "clusterRoleBinding", binding.Name)
				case result.Operation == reconciliation.ReconcileRecreate:
					logger.V(2).Info("Recreated ClusterRoleBinding", "clusterRoleBinding", binding.Name)
				}
				return nil
			})
		})
	}

	if err := runAll(ctx, tasks, reconcileWorkers); err != nil {
		return err
	}
	if err := aggregation.SyncAll(ctx, client.RbacV1()); err != nil {
		return fmt.Errorf("aggregating clusterroles: %w", err)
	}
	return nil
}

// runAll runs every task, at most workers at a time, and joins their errors: one failure
// does not stop the others, as upstream reconciles as much as it can.
func runAll(ctx context.Context, tasks []func() error, workers int) error {
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	sem := make(chan struct{}, workers)
	for _, task := range tasks {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return ctx.Err()
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := task(); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// listedClusterRoles answers the first Get of one ClusterRole from a list taken before
// reconciling (nil: it did not exist), later ones from the server: the reconciler gets
// again after a conflict or a lost race, and must then see the current object.
type listedClusterRoles struct {
	reconciliation.ClusterRoleModifier
	listed *rbacv1.ClusterRole
	used   bool
}

func (c *listedClusterRoles) Get(namespace, name string) (reconciliation.RuleOwner, error) {
	if c.used {
		return c.ClusterRoleModifier.Get(namespace, name)
	}
	c.used = true
	if c.listed == nil {
		return nil, apierrors.NewNotFound(rbacv1.Resource("clusterroles"), name)
	}
	return reconciliation.ClusterRoleRuleOwner{ClusterRole: c.listed.DeepCopy()}, nil
}

// listedClusterRoleBindings is listedClusterRoles for ClusterRoleBindings.
type listedClusterRoleBindings struct {
	reconciliation.ClusterRoleBindingClientAdapter
	listed *rbacv1.ClusterRoleBinding
	used   bool
}

func (c *listedClusterRoleBindings) Get(namespace, name string) (reconciliation.RoleBinding, error) {
	if c.used {
		return c.ClusterRoleBindingClientAdapter.Get(namespace, name)
	}
	c.used = true
	if c.listed == nil {
		return nil, apierrors.NewNotFound(rbacv1.Resource("clusterrolebindings"), name)
	}
	return reconciliation.ClusterRoleBindingAdapter{ClusterRoleBinding: c.listed.DeepCopy()}, nil
}

func retryOnConflictOrUnavailable(fn func() error) error {
	return retry.OnError(retry.DefaultBackoff, func(err error) bool {
		return apierrors.IsConflict(err) || apierrors.IsServiceUnavailable(err)
	}, fn)
}
