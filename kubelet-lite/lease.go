package kubeletlite

import (
	"context"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

// The node lease follows component-helpers/apimachinery/lease/controller.go,
// rewritten rather than imported because that controller sleeps on the wall
// clock (wait.JitterUntil, time.After) in a goroutine of its own: here renewals
// run on the injected clock, inside the kubelet's one loop, so 1,000 nodes do
// not mean 1,000 more goroutines and tests can step time.

// syncLease creates or renews the Lease and returns the delay until the next
// sync.
func (k *Kubelet) syncLease(ctx context.Context) time.Duration {
	logger := klog.FromContext(ctx)
	if k.isPaused() {
		return k.jitter(k.renewInterval)
	}
	if k.latestLease != nil {
		// Renew from the copy we wrote last, without a GET: only this kubelet
		// writes its lease, so the copy is almost always current.
		err := k.retryUpdateLease(ctx, k.latestLease)
		if err == nil {
			return k.jitter(k.renewInterval)
		}
		logger.Info("Failed to update lease using latest lease, fallback to ensure lease", "err", err)
	}
	lease, created, err := k.ensureLease(ctx)
	if err != nil {
		// Upstream blocks in a backoff loop here; we schedule the retry so the
		// loop keeps serving node status and pods meanwhile.
		k.leaseBackoff = nextBackoff(k.leaseBackoff)
		logger.Error(err, "Failed to ensure lease exists, will retry", "interval", k.leaseBackoff)
		k.latestLease = nil
		return k.leaseBackoff
	}
	k.leaseBackoff = 0
	k.latestLease = lease
	if lease != nil && !created {
		if err := k.retryUpdateLease(ctx, lease); err != nil {
			logger.Error(err, "Will retry updating lease", "interval", k.renewInterval)
		}
	}
	return k.jitter(k.renewInterval)
}

// ensureLease returns the existing Lease or creates it. A Lease is only
// created once the Node can be found, so that it always carries its owner
// reference (and is garbage collected with the Node).
func (k *Kubelet) ensureLease(ctx context.Context) (*coordinationv1.Lease, bool, error) {
	leases := k.client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	lease, err := leases.Get(ctx, k.nodeName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		toCreate, err := k.newLease(ctx, nil)
		if err != nil {
			// No Node yet: not an error worth a backoff, try next interval.
			klog.FromContext(ctx).V(2).Info("Not creating the node lease yet", "reason", err.Error())
			return nil, false, nil
		}
		created, err := leases.Create(ctx, toCreate, metav1.CreateOptions{})
		if err != nil {
			return nil, false, fmt.Errorf("creating lease %s/%s: %w", corev1.NamespaceNodeLease, k.nodeName, err)
		}
		return created, true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("getting lease %s/%s: %w", corev1.NamespaceNodeLease, k.nodeName, err)
	}
	return lease, false, nil
}

// retryUpdateLease renews base, re-reading it after a conflict.
func (k *Kubelet) retryUpdateLease(ctx context.Context, base *coordinationv1.Lease) error {
	leases := k.client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	for i := 0; i < maxLeaseUpdateRetries; i++ {
		toUpdate, err := k.newLease(ctx, base)
		if err != nil {
			// Upstream's comment: a missing owner must not block renewal.
			klog.FromContext(ctx).V(2).Info("Renewing lease without owner reference", "reason", err.Error())
		}
		updated, err := leases.Update(ctx, toUpdate, metav1.UpdateOptions{})
		if err == nil {
			k.latestLease = updated
			return nil
		}
		switch {
		case apierrors.IsNotFound(err):
			// Deleted (e.g. garbage collected with a deleted Node): let the
			// caller recreate it.
			return fmt.Errorf("updating lease: %w", err)
		case apierrors.IsConflict(err):
			fresh, _, gerr := k.ensureLease(ctx)
			if gerr != nil || fresh == nil {
				return fmt.Errorf("re-reading lease after conflict: %w", err)
			}
			base = fresh
		default:
			klog.FromContext(ctx).Error(err, "Failed to update lease")
		}
	}
	return fmt.Errorf("failed %d attempts to update lease", maxLeaseUpdateRetries)
}

// newLease returns a new Lease (base nil) or a renewed copy of base. The error
// reports a missing owner reference; the returned lease is usable for updates
// regardless.
func (k *Kubelet) newLease(ctx context.Context, base *coordinationv1.Lease) (*coordinationv1.Lease, error) {
	var lease *coordinationv1.Lease
	if base == nil {
		lease = &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: k.nodeName, Namespace: corev1.NamespaceNodeLease},
			Spec:       coordinationv1.LeaseSpec{HolderIdentity: ptr.To(k.nodeName)},
		}
	} else {
		lease = base.DeepCopy()
	}
	// The configured duration wins over whatever the object had.
	lease.Spec.LeaseDurationSeconds = ptr.To(k.cfg.NodeLeaseDurationSeconds)
	lease.Spec.RenewTime = &metav1.MicroTime{Time: k.clock.Now()}
	if len(lease.OwnerReferences) == 0 {
		node, err := k.currentNode(ctx)
		if err != nil {
			return lease, fmt.Errorf("owner reference needs the node: %w", err)
		}
		lease.OwnerReferences = []metav1.OwnerReference{{
			APIVersion: corev1.SchemeGroupVersion.Version,
			Kind:       "Node",
			Name:       k.nodeName,
			UID:        node.UID,
		}}
	}
	return lease, nil
}

// currentNode reads our Node from the informer cache, else from the apiserver.
func (k *Kubelet) currentNode(ctx context.Context) (*corev1.Node, error) {
	if k.nodeLister != nil {
		if n, err := k.nodeLister.Get(k.nodeName); err == nil {
			return n, nil
		}
	}
	n, err := k.client.CoreV1().Nodes().Get(ctx, k.nodeName, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("getting node %q: %w", k.nodeName, err)
	}
	k.nodeLister.set(n)
	return n, nil
}
