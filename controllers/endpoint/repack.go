package endpoint

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"hash"
	"hash/fnv"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/dump"
)

// This file ports k8s.io/kubernetes/pkg/api/v1/endpoints (util.go), which is
// not importable. The canonical form must match upstream's bit for bit: the
// controller compares it with what is stored to skip no-op writes, and an
// Endpoints object written by upstream's controller must compare equal.

// repackSubsets expands subsets to one (address, port) pair each and packs
// them into the canonical layout: one subset per distinct set of addresses
// with all the ports they share, addresses and ports sorted, and an address
// that is not ready on some port not ready on all. The result is newly
// allocated.
func repackSubsets(subsets []corev1.EndpointSubset) []corev1.EndpointSubset {
	// Map each port to the set of addresses offering it.
	allAddrs := map[addressKey]*corev1.EndpointAddress{}
	portToAddrReadyMap := map[corev1.EndpointPort]addressSet{}
	for i := range subsets {
		if len(subsets[i].Ports) == 0 {
			// Keep addresses without ports, under a sentinel port.
			mapAddressesByPort(&subsets[i], corev1.EndpointPort{Port: -1}, allAddrs, portToAddrReadyMap)
		} else {
			for _, port := range subsets[i].Ports {
				mapAddressesByPort(&subsets[i], port, allAddrs, portToAddrReadyMap)
			}
		}
	}

	// Then each set of addresses to the ports it offers; sets are not map
	// keys, so key them by their hash.
	type keyString string
	keyToAddrReadyMap := map[keyString]addressSet{}
	addrReadyMapKeyToPorts := map[keyString][]corev1.EndpointPort{}
	for port, addrs := range portToAddrReadyMap {
		key := keyString(hashAddresses(addrs))
		keyToAddrReadyMap[key] = addrs
		if port.Port > 0 {
			addrReadyMapKeyToPorts[key] = append(addrReadyMapKeyToPorts[key], port)
		} else if _, found := addrReadyMapKeyToPorts[key]; !found {
			addrReadyMapKeyToPorts[key] = nil
		}
	}

	final := []corev1.EndpointSubset{}
	for key, ports := range addrReadyMapKeyToPorts {
		var readyAddrs, notReadyAddrs []corev1.EndpointAddress
		for addr, ready := range keyToAddrReadyMap[key] {
			if ready {
				readyAddrs = append(readyAddrs, *addr)
			} else {
				notReadyAddrs = append(notReadyAddrs, *addr)
			}
		}
		final = append(final, corev1.EndpointSubset{Addresses: readyAddrs, NotReadyAddresses: notReadyAddrs, Ports: ports})
	}
	return sortSubsets(final)
}

// addressKey de-duplicates addresses by IP and target UID: two pods may share
// an IP (host network) and must both be listed.
type addressKey struct {
	ip  string
	uid types.UID
}

func mapAddressesByPort(subset *corev1.EndpointSubset, port corev1.EndpointPort, allAddrs map[addressKey]*corev1.EndpointAddress, portToAddrReadyMap map[corev1.EndpointPort]addressSet) {
	for k := range subset.Addresses {
		mapAddressByPort(&subset.Addresses[k], port, true, allAddrs, portToAddrReadyMap)
	}
	for k := range subset.NotReadyAddresses {
		mapAddressByPort(&subset.NotReadyAddresses[k], port, false, allAddrs, portToAddrReadyMap)
	}
}

func mapAddressByPort(addr *corev1.EndpointAddress, port corev1.EndpointPort, ready bool, allAddrs map[addressKey]*corev1.EndpointAddress, portToAddrReadyMap map[corev1.EndpointPort]addressSet) {
	key := addressKey{ip: addr.IP}
	if addr.TargetRef != nil {
		key.uid = addr.TargetRef.UID
	}
	existing := allAddrs[key]
	if existing == nil {
		// A copy, so that the caller's subsets are not written to.
		existing = &corev1.EndpointAddress{}
		*existing = *addr
		allAddrs[key] = existing
	}
	if _, found := portToAddrReadyMap[port]; !found {
		portToAddrReadyMap[port] = addressSet{}
	}
	// Not ready trumps ready.
	if wasReady, found := portToAddrReadyMap[port][existing]; !found || wasReady {
		portToAddrReadyMap[port][existing] = ready
	}
}

type addressSet map[*corev1.EndpointAddress]bool

type addrReady struct {
	addr  *corev1.EndpointAddress
	ready bool
}

func hashAddresses(addrs addressSet) string {
	// The dump library does not handle pointer map keys well: flatten and
	// sort first.
	slice := make([]addrReady, 0, len(addrs))
	for k, ready := range addrs {
		slice = append(slice, addrReady{k, ready})
	}
	sort.Slice(slice, func(i, j int) bool { return lessEndpointAddress(slice[i].addr, slice[j].addr) })
	hasher := fnv.New128a()
	deepHashObject(hasher, slice)
	return hex.EncodeToString(hasher.Sum(nil))
}

// deepHashObject is k8s.io/kubernetes/pkg/util/hash.DeepHashObject.
func deepHashObject(hasher hash.Hash, obj any) {
	hasher.Reset()
	fmt.Fprintf(hasher, "%v", dump.ForHash(obj))
}

func hashObject(hasher hash.Hash, obj any) []byte {
	deepHashObject(hasher, obj)
	return hasher.Sum(nil)
}

// lessEndpointAddress orders addresses by IP bytes, then target UID.
func lessEndpointAddress(a, b *corev1.EndpointAddress) bool {
	if c := bytes.Compare([]byte(a.IP), []byte(b.IP)); c != 0 {
		return c < 0
	}
	if b.TargetRef == nil {
		return false
	}
	if a.TargetRef == nil {
		return true
	}
	return a.TargetRef.UID < b.TargetRef.UID
}

// sortSubsets sorts addresses and ports within each subset, and the subsets,
// in place, and returns subsets.
func sortSubsets(subsets []corev1.EndpointSubset) []corev1.EndpointSubset {
	for i := range subsets {
		ss := &subsets[i]
		sort.Sort(addrsByIPAndUID(ss.Addresses))
		sort.Sort(addrsByIPAndUID(ss.NotReadyAddresses))
		sort.Sort(portsByHash(ss.Ports))
	}
	sort.Sort(subsetsByHash(subsets))
	return subsets
}

type subsetsByHash []corev1.EndpointSubset

func (sl subsetsByHash) Len() int      { return len(sl) }
func (sl subsetsByHash) Swap(i, j int) { sl[i], sl[j] = sl[j], sl[i] }
func (sl subsetsByHash) Less(i, j int) bool {
	hasher := fnv.New128a()
	return bytes.Compare(hashObject(hasher, sl[i]), hashObject(hasher, sl[j])) < 0
}

type addrsByIPAndUID []corev1.EndpointAddress

func (sl addrsByIPAndUID) Len() int      { return len(sl) }
func (sl addrsByIPAndUID) Swap(i, j int) { sl[i], sl[j] = sl[j], sl[i] }
func (sl addrsByIPAndUID) Less(i, j int) bool {
	return lessEndpointAddress(&sl[i], &sl[j])
}

type portsByHash []corev1.EndpointPort

func (sl portsByHash) Len() int      { return len(sl) }
func (sl portsByHash) Swap(i, j int) { sl[i], sl[j] = sl[j], sl[i] }
func (sl portsByHash) Less(i, j int) bool {
	hasher := fnv.New128a()
	return bytes.Compare(hashObject(hasher, sl[i]), hashObject(hasher, sl[j])) < 0
}
