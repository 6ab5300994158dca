package garbagecollector

// Port of pkg/controller/garbagecollector/graph.go.

import (
	"fmt"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// objectReference is an owner reference plus the namespace it lives in: an
// owner reference alone does not say where its object is.
type objectReference struct {
	metav1.OwnerReference
	Namespace string
}

func (s objectReference) String() string {
	return fmt.Sprintf("[%s/%s, namespace: %s, name: %s, uid: %s]", s.APIVersion, s.Kind, s.Namespace, s.Name, s.UID)
}

// MarshalLog (logr.Marshaler) keeps log lines short: the pointer fields of OwnerReference
// (controller, blockOwnerDeletion) say nothing about identity.
func (s objectReference) MarshalLog() any {
	return struct {
		Name       string    `json:"name"`
		Namespace  string    `json:"namespace"`
		APIVersion string    `json:"apiVersion"`
		Kind       string    `json:"kind"`
		UID        types.UID `json:"uid"`
	}{
		Namespace:  s.Namespace,
		Name:       s.Name,
		APIVersion: s.APIVersion,
		Kind:       s.Kind,
		UID:        s.UID,
	}
}

var _ fmt.Stringer = objectReference{}

// node is one object of the graph, keyed by uid. Only the graph builder's
// single goroutine writes the graph; workers read it concurrently, hence the
// locks around what they read.
type node struct {
	identity objectReference

	dependentsLock sync.RWMutex
	// dependents are the nodes that list identity among their ownerReferences.
	dependents map[*node]struct{}

	// deletingDependents is set when the object has a deletionTimestamp and
	// the foregroundDeletion finalizer.
	deletingDependents     bool
	deletingDependentsLock sync.RWMutex

	// beingDeleted records a non-nil deletionTimestamp.
	beingDeleted     bool
	beingDeletedLock sync.RWMutex

	// virtual nodes stand for owners named by some ownerReference but never
	// observed through an informer: they may not exist at all.
	virtual     bool
	virtualLock sync.RWMutex

	// owners are the ownerReferences last observed, compared against on
	// update events.
	owners     []metav1.OwnerReference
	ownersLock sync.RWMutex
}

// clone copies n so that a virtual node can be replaced by one with another
// identity without changing the node a worker may hold.
func (n *node) clone() *node {
	c := &node{
		identity:           n.identity,
		dependents:         make(map[*node]struct{}, len(n.dependents)),
		deletingDependents: n.deletingDependents,
		beingDeleted:       n.beingDeleted,
		virtual:            n.virtual,
		owners:             make([]metav1.OwnerReference, 0, len(n.owners)),
	}
	for dep := range n.dependents {
		c.dependents[dep] = struct{}{}
	}
	c.owners = append(c.owners, n.owners...)
	return c
}

func (n *node) markBeingDeleted() {
	n.beingDeletedLock.Lock()
	defer n.beingDeletedLock.Unlock()
	n.beingDeleted = true
}

func (n *node) isBeingDeleted() bool {
	n.beingDeletedLock.RLock()
	defer n.beingDeletedLock.RUnlock()
	return n.beingDeleted
}

func (n *node) markObserved() {
	n.virtualLock.Lock()
	defer n.virtualLock.Unlock()
	n.virtual = false
}

func (n *node) isObserved() bool {
	n.virtualLock.RLock()
	defer n.virtualLock.RUnlock()
	return !n.virtual
}

func (n *node) markDeletingDependents() {
	n.deletingDependentsLock.Lock()
	defer n.deletingDependentsLock.Unlock()
	n.deletingDependents = true
}

func (n *node) isDeletingDependents() bool {
	n.deletingDependentsLock.RLock()
	defer n.deletingDependentsLock.RUnlock()
	return n.deletingDependents
}

func (n *node) setOwners(owners []metav1.OwnerReference) {
	n.ownersLock.Lock()
	defer n.ownersLock.Unlock()
	n.owners = owners
}

func (n *node) getOwners() []metav1.OwnerReference {
	n.ownersLock.RLock()
	defer n.ownersLock.RUnlock()
	return n.owners
}

func (n *node) addDependent(dependent *node) {
	n.dependentsLock.Lock()
	defer n.dependentsLock.Unlock()
	n.dependents[dependent] = struct{}{}
}

func (n *node) deleteDependent(dependent *node) {
	n.dependentsLock.Lock()
	defer n.dependentsLock.Unlock()
	delete(n.dependents, dependent)
}

func (n *node) dependentsLength() int {
	n.dependentsLock.RLock()
	defer n.dependentsLock.RUnlock()
	return len(n.dependents)
}

// getDependents returns a snapshot of the dependents.
func (n *node) getDependents() []*node {
	n.dependentsLock.RLock()
	defer n.dependentsLock.RUnlock()
	ret := make([]*node, 0, len(n.dependents))
	for dep := range n.dependents {
		ret = append(ret, dep)
	}
	return ret
}

// blockingDependents returns the dependents whose reference to n has
// blockOwnerDeletion=true: those a foreground deletion of n waits for.
func (n *node) blockingDependents() []*node {
	var ret []*node
	for _, dep := range n.getDependents() {
		for _, owner := range dep.getOwners() {
			if owner.UID == n.identity.UID && owner.BlockOwnerDeletion != nil && *owner.BlockOwnerDeletion {
				ret = append(ret, dep)
			}
		}
	}
	return ret
}

// ownerReferenceCoordinates keeps only what identifies the owner, dropping
// controller and blockOwnerDeletion, so that references compare by identity.
func ownerReferenceCoordinates(ref metav1.OwnerReference) metav1.OwnerReference {
	return metav1.OwnerReference{
		UID:        ref.UID,
		Name:       ref.Name,
		Kind:       ref.Kind,
		APIVersion: ref.APIVersion,
	}
}

func ownerReferenceMatchesCoordinates(a, b metav1.OwnerReference) bool {
	return a.UID == b.UID && a.Name == b.Name && a.Kind == b.Kind && a.APIVersion == b.APIVersion
}

// String is for error messages; it takes the locks so that -race stays quiet.
func (n *node) String() string {
	n.beingDeletedLock.RLock()
	defer n.beingDeletedLock.RUnlock()
	n.virtualLock.RLock()
	defer n.virtualLock.RUnlock()
	n.dependentsLock.RLock()
	defer n.dependentsLock.RUnlock()
	n.ownersLock.RLock()
	defer n.ownersLock.RUnlock()
	return fmt.Sprintf("%s virtual=%t beingDeleted=%t dependents=%d owners=%d",
		n.identity, n.virtual, n.beingDeleted, len(n.dependents), len(n.owners))
}

// concurrentUIDToNode is the graph's index: written by the graph builder,
// read by the workers.
type concurrentUIDToNode struct {
	uidToNodeLock sync.RWMutex
	uidToNode     map[types.UID]*node
}

func (m *concurrentUIDToNode) Write(node *node) {
	m.uidToNodeLock.Lock()
	defer m.uidToNodeLock.Unlock()
	m.uidToNode[node.identity.UID] = node
}

func (m *concurrentUIDToNode) Read(uid types.UID) (*node, bool) {
	m.uidToNodeLock.RLock()
	defer m.uidToNodeLock.RUnlock()
	n, ok := m.uidToNode[uid]
	return n, ok
}

func (m *concurrentUIDToNode) Delete(uid types.UID) {
	m.uidToNodeLock.Lock()
	defer m.uidToNodeLock.Unlock()
	delete(m.uidToNode, uid)
}
