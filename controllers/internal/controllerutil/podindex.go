package controllerutil

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"
)

// PodNodeNameIndex is the name of the pod informer index by spec.nodeName, the
// same name upstream's controller.PodNodeNameKeyIndex uses, so that an index
// added by one controller serves every other controller sharing the informer.
const PodNodeNameIndex = "spec.nodeName"

// AddPodNodeNameIndexer adds the spec.nodeName index to a pod informer unless it
// is already there. It must be called before the informer starts.
func AddPodNodeNameIndexer(informer cache.SharedIndexInformer) error {
	if _, ok := informer.GetIndexer().GetIndexers()[PodNodeNameIndex]; ok {
		return nil
	}
	err := informer.AddIndexers(cache.Indexers{PodNodeNameIndex: podNodeName})
	if err != nil {
		// Another controller may have added it between our check and our add.
		if _, ok := informer.GetIndexer().GetIndexers()[PodNodeNameIndex]; ok {
			return nil
		}
		return fmt.Errorf("adding pod index %q: %w", PodNodeNameIndex, err)
	}
	return nil
}

func podNodeName(obj any) ([]string, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok || pod.Spec.NodeName == "" {
		return []string{}, nil
	}
	return []string{pod.Spec.NodeName}, nil
}

// PodsAssignedToNode returns the pods the indexer holds for nodeName. The pods
// are the informer's: callers must deep-copy before mutating.
func PodsAssignedToNode(indexer cache.Indexer, nodeName string) ([]*corev1.Pod, error) {
	objs, err := indexer.ByIndex(PodNodeNameIndex, nodeName)
	if err != nil {
		return nil, err
	}
	pods := make([]*corev1.Pod, 0, len(objs))
	for _, obj := range objs {
		if pod, ok := obj.(*corev1.Pod); ok {
			pods = append(pods, pod)
		}
	}
	return pods, nil
}
