package local

import (
	"context"
	"errors"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	cloudprovider "k8s.io/cloud-provider"
)

// vmFor finds the VM behind a Node: by spec.providerID when the node has one
// (the name it encodes is authoritative), else by node name, as a kubelet
// started with --cloud-provider=external registers without a provider ID.
// An unknown VM is reported as cloudprovider.InstanceNotFound.
func (c *Cloud) vmFor(node *corev1.Node) (VM, error) {
	if node == nil {
		return VM{}, errors.New("local cloud: nil node")
	}
	name := node.Name
	if node.Spec.ProviderID != "" {
		n, err := VMNameFromProviderID(node.Spec.ProviderID)
		if err != nil {
			return VM{}, fmt.Errorf("node %q: %w", node.Name, err)
		}
		name = n
	}
	vm, err := c.vms.Get(name)
	if errors.Is(err, ErrVMNotFound) {
		return VM{}, fmt.Errorf("node %q: vm %q: %w", node.Name, name, cloudprovider.InstanceNotFound)
	}
	if err != nil {
		return VM{}, fmt.Errorf("node %q: %w", node.Name, err)
	}
	return vm, nil
}

// InstanceExists implements cloudprovider.InstancesV2: a VM exists until it
// is deleted, whatever its power state.
func (c *Cloud) InstanceExists(_ context.Context, node *corev1.Node) (bool, error) {
	_, err := c.vmFor(node)
	if errors.Is(err, cloudprovider.InstanceNotFound) {
		return false, nil
	}
	return err == nil, err
}

// InstanceShutdown implements cloudprovider.InstancesV2.
func (c *Cloud) InstanceShutdown(_ context.Context, node *corev1.Node) (bool, error) {
	vm, err := c.vmFor(node)
	if err != nil {
		return false, err
	}
	return vm.State == VMShutdown, nil
}

// InstanceMetadata implements cloudprovider.InstancesV2.
func (c *Cloud) InstanceMetadata(_ context.Context, node *corev1.Node) (*cloudprovider.InstanceMetadata, error) {
	vm, err := c.vmFor(node)
	if err != nil {
		return nil, err
	}
	return &cloudprovider.InstanceMetadata{
		ProviderID:    vm.ProviderID,
		InstanceType:  vm.InstanceType,
		NodeAddresses: slices.Clone(vm.Addresses),
		Zone:          vm.Zone,
		Region:        vm.Region,
	}, nil
}
