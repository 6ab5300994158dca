package nodeipam

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
	netutils "k8s.io/utils/net"
)

// updateCIDRsAllocation writes allocated to the node's spec.podCIDR and
// spec.podCIDRs (ported from upstream's range allocator), or gives allocated
// back if the node meanwhile has CIDRs.
//
// Unlike upstream, which reads the node from the informer cache, it GETs the
// live node: the cache may not yet show CIDRs this controller patched a moment
// ago, and pod CIDRs are immutable once set.
func (c *Controller) updateCIDRsAllocation(ctx context.Context, nodeName string, allocated []*net.IPNet) error {
	logger := klog.FromContext(ctx)
	cidrs := make([]string, len(allocated))
	for i, cidr := range allocated {
		cidrs[i] = cidr.String()
	}
	node, err := c.client.CoreV1().Nodes().Get(ctx, nodeName, metav1.GetOptions{})
	if err != nil {
		c.releaseAllocated(ctx, allocated)
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("getting node %s to set its pod CIDRs: %w", nodeName, err)
	}
	// We possibly updated this node and just failed to see the success.
	if slices.Equal(node.Spec.PodCIDRs, cidrs) {
		logger.V(4).Info("Node already has allocated CIDR. It matches the proposed one", "node", klog.KObj(node), "podCIDRs", cidrs)
		return nil
	}
	if len(node.Spec.PodCIDRs) != 0 {
		logger.Info("Node already has a CIDR allocated. Releasing the new one", "node", klog.KObj(node), "podCIDRs", node.Spec.PodCIDRs)
		c.releaseAllocated(ctx, allocated)
		c.occupyNode(ctx, node)
		return nil
	}

	for range cidrUpdateRetries {
		if err = patchNodeCIDRs(ctx, c.client, nodeName, cidrs); err == nil {
			logger.Info("Set node PodCIDR", "node", klog.KObj(node), "podCIDRs", cidrs)
			return nil
		}
	}
	logger.Error(err, "Failed to update node PodCIDR after multiple attempts", "node", klog.KObj(node), "podCIDRs", cidrs)
	recordNodeStatusChange(ctx, c.recorder, node, EventCIDRAssignmentFailed)
	// On a server timeout the PATCH may have gone through: keeping the CIDRs
	// (a leak until restart) is safer than handing them out twice.
	if !apierrors.IsServerTimeout(err) {
		logger.Error(err, "CIDR assignment for node failed. Releasing allocated CIDR", "node", klog.KObj(node))
		c.releaseAllocated(ctx, allocated)
	}
	return err
}

// patchNodeCIDRs is component-helpers' PatchNodeCIDRs: a strategic-merge PATCH
// of the Node (not its status), spec.podCIDR = cidrs[0].
func patchNodeCIDRs(ctx context.Context, client kubernetes.Interface, nodeName string, cidrs []string) error {
	patch, err := json.Marshal(map[string]any{
		"spec": map[string]any{"podCIDR": cidrs[0], "podCIDRs": cidrs},
	})
	if err != nil {
		return fmt.Errorf("failed to json.Marshal CIDR: %w", err)
	}
	if _, err := client.CoreV1().Nodes().Patch(ctx, nodeName, types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("failed to patch node CIDR: %w", err)
	}
	return nil
}

// recordNodeStatusChange is upstream's controller/util/node.RecordNodeStatusChange.
func recordNodeStatusChange(ctx context.Context, recorder record.EventRecorder, node *corev1.Node, newStatus string) {
	ref := &corev1.ObjectReference{APIVersion: "v1", Kind: "Node", Name: node.Name, UID: node.UID}
	klog.FromContext(ctx).V(2).Info("Recording status change event message for node", "status", newStatus, "node", node.Name)
	recorder.Eventf(ref, corev1.EventTypeNormal, newStatus, "Node %s status is now: %s", node.Name, newStatus)
}

func parseCIDR(s string) (*net.IPNet, error) {
	_, cidr, err := netutils.ParseCIDRSloppy(s)
	return cidr, err
}
