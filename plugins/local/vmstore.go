package local

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Names and defaults of the local cloud.
const (
	// ProviderName is the cloud provider's name and the scheme of its provider
	// IDs ("local://<vm name>").
	ProviderName = "local"
	// DefaultInstanceType is the instance type of a VM created without one.
	DefaultInstanceType = "k1s.small"
	// DefaultRegion is the region of a VM created without one.
	DefaultRegion = "local"
	// DefaultZone is the zone of a VM created without one. A real cloud always
	// places an instance in a zone, so the local cloud does too.
	DefaultZone = "local-a"

	vmsFile = "vms.json"
)

// VMState is the power state of a simulated VM.
type VMState string

// The states a VM can be in. A deleted VM is absent from the store.
const (
	VMRunning  VMState = "running"
	VMShutdown VMState = "shutdown"
)

// Errors of the VM store, to be tested with errors.Is.
var (
	ErrVMNotFound = errors.New("vm not found")
	ErrVMExists   = errors.New("vm already exists")
)

// VM is one simulated machine of the local cloud. It backs exactly one Node
// of the same name.
type VM struct {
	// Name is the VM's name, which is also its Node's name.
	Name string `json:"name"`
	// ProviderID is "local://<name>"; Create fills it in.
	ProviderID string `json:"providerID"`
	// InstanceType defaults to DefaultInstanceType.
	InstanceType string `json:"instanceType"`
	// Zone defaults to DefaultZone, Region to DefaultRegion.
	Zone   string `json:"zone"`
	Region string `json:"region"`
	// Addresses are what the cloud reports as the node's addresses: the
	// node's loopback InternalIP and its Hostname (Create adds Hostname=Name
	// when no Hostname is given).
	Addresses []corev1.NodeAddress `json:"addresses"`
	// State defaults to VMRunning.
	State VMState `json:"state"`
}

// ProviderIDFor returns the provider ID of the VM called name.
func ProviderIDFor(name string) string { return ProviderName + "://" + name }

// VMNameFromProviderID returns the VM name of a local provider ID.
func VMNameFromProviderID(providerID string) (string, error) {
	name, ok := strings.CutPrefix(providerID, ProviderName+"://")
	if !ok || name == "" {
		return "", fmt.Errorf("provider ID %q is not of the form %s://<name>", providerID, ProviderName)
	}
	return name, nil
}

// VMStore is the VM inventory in <dir>/vms.json. Every method reads or
// read-modify-writes the file, so several VMStores in several processes on
// the same dir see one inventory; a VMStore keeps no state of its own and is
// safe for concurrent use.
type VMStore struct {
	file jsonFile
}

type vmsDocument struct {
	VMs []VM `json:"vms"`
}

// OpenVMStore opens (creating the directory if needed) the VM store of the
// data dir and checks that the inventory, if present, can be read.
func OpenVMStore(dir string) (*VMStore, error) {
	if dir == "" {
		return nil, errors.New("local cloud: data dir must not be empty")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating local cloud data dir: %w", err)
	}
	s := &VMStore{file: jsonFile{path: filepath.Join(dir, vmsFile)}}
	if _, err := s.List(); err != nil {
		return nil, err
	}
	return s, nil
}

// Create adds a VM, filling in defaults, and returns it as stored. It fails
// with ErrVMExists if a VM of that name exists (whatever its state), so a
// restarted cluster keeps the VM's state instead of resetting it.
func (s *VMStore) Create(vm VM) (VM, error) {
	vms, err := s.CreateMany([]VM{vm})
	if err != nil {
		return VM{}, err
	}
	return vms[0], nil
}

// CreateMany adds several VMs in one write, all or none. Every write rewrites
// the whole inventory, so a cluster starting hundreds of nodes should create
// their VMs here rather than one Create each.
func (s *VMStore) CreateMany(vms []VM) ([]VM, error) {
	out := make([]VM, 0, len(vms))
	for _, vm := range vms {
		vm, err := withVMDefaults(vm)
		if err != nil {
			return nil, err
		}
		out = append(out, vm)
	}
	var doc vmsDocument
	err := s.file.update(&doc, func() error {
		names := make(map[string]bool, len(doc.VMs)+len(out))
		for _, vm := range doc.VMs {
			names[vm.Name] = true
		}
		for _, vm := range out {
			if names[vm.Name] {
				return fmt.Errorf("creating vm %q: %w", vm.Name, ErrVMExists)
			}
			names[vm.Name] = true
		}
		doc.VMs = append(doc.VMs, out...)
		slices.SortFunc(doc.VMs, func(a, b VM) int { return strings.Compare(a.Name, b.Name) })
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PutMany creates the VMs that do not exist and replaces those that do, in
// one write, all or none. A host that starts nodes again on a kept data dir
// uses it: the machines boot again (running) on the addresses the new process
// gave their nodes, where Create would refuse them.
func (s *VMStore) PutMany(vms []VM) ([]VM, error) {
	out := make([]VM, 0, len(vms))
	seen := make(map[string]bool, len(vms))
	for _, vm := range vms {
		vm, err := withVMDefaults(vm)
		if err != nil {
			return nil, err
		}
		if seen[vm.Name] {
			return nil, fmt.Errorf("putting vm %q: named twice", vm.Name)
		}
		seen[vm.Name] = true
		out = append(out, vm)
	}
	var doc vmsDocument
	err := s.file.update(&doc, func() error {
		doc.VMs = slices.DeleteFunc(doc.VMs, func(vm VM) bool { return seen[vm.Name] })
		doc.VMs = append(doc.VMs, out...)
		slices.SortFunc(doc.VMs, func(a, b VM) int { return strings.Compare(a.Name, b.Name) })
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Get returns the VM called name, or an error wrapping ErrVMNotFound.
func (s *VMStore) Get(name string) (VM, error) {
	var doc vmsDocument
	if err := s.file.read(&doc); err != nil {
		return VM{}, err
	}
	vm, i := find(doc.VMs, name)
	if i < 0 {
		return VM{}, fmt.Errorf("vm %q: %w", name, ErrVMNotFound)
	}
	return vm, nil
}

// List returns every VM, sorted by name.
func (s *VMStore) List() ([]VM, error) {
	var doc vmsDocument
	if err := s.file.read(&doc); err != nil {
		return nil, err
	}
	return doc.VMs, nil
}

// SetState powers a VM off (VMShutdown) or on (VMRunning).
func (s *VMStore) SetState(name string, state VMState) error {
	if state != VMRunning && state != VMShutdown {
		return fmt.Errorf("vm %q: unknown state %q (want %q or %q)", name, state, VMRunning, VMShutdown)
	}
	var doc vmsDocument
	return s.file.update(&doc, func() error {
		_, i := find(doc.VMs, name)
		if i < 0 {
			return fmt.Errorf("vm %q: %w", name, ErrVMNotFound)
		}
		doc.VMs[i].State = state
		return nil
	})
}

// Delete removes a VM; the cloud node lifecycle controller then deletes its
// Node. Deleting an unknown VM fails with ErrVMNotFound.
func (s *VMStore) Delete(name string) error {
	var doc vmsDocument
	return s.file.update(&doc, func() error {
		_, i := find(doc.VMs, name)
		if i < 0 {
			return fmt.Errorf("vm %q: %w", name, ErrVMNotFound)
		}
		doc.VMs = slices.Delete(doc.VMs, i, i+1)
		return nil
	})
}

func find(vms []VM, name string) (VM, int) {
	for i, vm := range vms {
		if vm.Name == name {
			return vm, i
		}
	}
	return VM{}, -1
}

func withVMDefaults(vm VM) (VM, error) {
	// VM names become Node names.
	if errs := validation.IsDNS1123Subdomain(vm.Name); len(errs) > 0 {
		return VM{}, fmt.Errorf("vm name %q: %s", vm.Name, strings.Join(errs, "; "))
	}
	if vm.ProviderID == "" {
		vm.ProviderID = ProviderIDFor(vm.Name)
	} else if vm.ProviderID != ProviderIDFor(vm.Name) {
		return VM{}, fmt.Errorf("vm %q: provider ID must be %q, got %q", vm.Name, ProviderIDFor(vm.Name), vm.ProviderID)
	}
	if vm.InstanceType == "" {
		vm.InstanceType = DefaultInstanceType
	}
	if vm.Zone == "" {
		vm.Zone = DefaultZone
	}
	if vm.Region == "" {
		vm.Region = DefaultRegion
	}
	if vm.State == "" {
		vm.State = VMRunning
	}
	if vm.State != VMRunning && vm.State != VMShutdown {
		return VM{}, fmt.Errorf("vm %q: unknown state %q", vm.Name, vm.State)
	}
	vm.Addresses = slices.Clone(vm.Addresses)
	hasHostname := false
	for _, a := range vm.Addresses {
		switch a.Type {
		case corev1.NodeInternalIP, corev1.NodeExternalIP:
			if _, err := netip.ParseAddr(a.Address); err != nil {
				return VM{}, fmt.Errorf("vm %q: %s %q is not an IP address", vm.Name, a.Type, a.Address)
			}
		case corev1.NodeHostName:
			hasHostname = true
		}
	}
	if !hasHostname {
		vm.Addresses = append(vm.Addresses, corev1.NodeAddress{Type: corev1.NodeHostName, Address: vm.Name})
	}
	return vm, nil
}
