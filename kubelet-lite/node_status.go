package kubeletlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	goruntime "runtime"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/klog/v2"
)

// Upstream names used on the Node (k8s.io/api well_known_*.go,
// k8s.io/cloud-provider/api, pkg/volume/util).
const (
	annotationControllerManagedAttachDetach = "volumes.kubernetes.io/controller-managed-attach-detach"
	annotationProvidedNodeIP                = "alpha.kubernetes.io/provided-node-ip"
	taintExternalCloudProvider              = "node.cloudprovider.kubernetes.io/uninitialized"
)

// errNodeNotFound means our Node is gone from the apiserver.
var errNodeNotFound = errors.New("node not found")

// syncNodeStatus registers the Node when needed and posts its status if it
// changed or the report period expired (kubelet_node_status.go syncNodeStatus).
// It returns how long to wait before the next call.
func (k *Kubelet) syncNodeStatus(ctx context.Context) time.Duration {
	logger := klog.FromContext(ctx)
	if k.isPaused() {
		return k.jitter(k.cfg.NodeStatusUpdateFrequency)
	}
	// Two rounds: if the Node turns out to have been deleted, register again
	// right away rather than one period later.
	for round := 0; round < 2; round++ {
		if k.cfg.RegisterNode && !k.registrationCompleted {
			if !k.tryRegisterWithAPIServer(ctx) {
				// Upstream retries from 100 ms, doubling up to 7 s.
				k.registerBackoff = nextBackoff(k.registerBackoff)
				return k.registerBackoff
			}
			k.registerBackoff = 0
			k.registrationCompleted = true
		}
		err := k.updateNodeStatus(ctx)
		if errors.Is(err, errNodeNotFound) {
			if k.cfg.RegisterNode {
				logger.Info("Node no longer exists; registering it again")
				k.registrationCompleted = false
				continue
			}
			logger.V(2).Info("Node does not exist yet; waiting for it to be created (--register-node=false)")
			break
		}
		if err != nil {
			logger.Error(err, "Unable to update node status")
		}
		break
	}
	return k.jitter(k.cfg.NodeStatusUpdateFrequency)
}

func nextBackoff(cur time.Duration) time.Duration {
	if cur == 0 {
		return initialBackoff
	}
	if cur*2 > maxBackoff {
		return maxBackoff
	}
	return cur * 2
}

// tryRegisterWithAPIServer creates the Node, or reconciles an existing one as
// upstream does. It reports whether the node counts as registered.
func (k *Kubelet) tryRegisterWithAPIServer(ctx context.Context) bool {
	logger := klog.FromContext(ctx)
	node := k.initialNode(ctx)
	logger.Info("Attempting to register node")
	created, err := k.client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if err == nil {
		logger.Info("Successfully registered node")
		k.nodeLister.set(created)
		k.knownNodeUID = created.UID
		k.nodeRegistered()
		return true
	}
	switch {
	case apierrors.IsAlreadyExists(err):
	case apierrors.IsForbidden(err):
		// KubeletRegistrationGetOnExistsOnly is off by default: the Node may
		// still exist, so look for it.
	default:
		logger.Error(err, "Unable to register node with API server")
		return false
	}
	existing, err := k.client.CoreV1().Nodes().Get(ctx, k.nodeName, metav1.GetOptions{})
	if err != nil {
		logger.Error(err, "Unable to register node with API server, error getting existing node")
		return false
	}
	k.nodeLister.set(existing.DeepCopy())
	original := existing.DeepCopy()
	logger.Info("Node was previously registered")
	// Only what upstream reconciles: the attach-detach annotation, the default
	// labels and missing capacity. --register-with-taints and --node-labels are
	// deliberately not re-applied to an existing Node.
	requiresUpdate := reconcileCMADAnnotation(node, existing)
	requiresUpdate = updateDefaultLabels(node, existing) || requiresUpdate
	requiresUpdate = updateDefaultResources(node, existing) || requiresUpdate
	if requiresUpdate {
		if _, err := k.patchNodeStatus(ctx, original, existing); err != nil {
			logger.Error(err, "Unable to reconcile node with API server, error updating node")
			return false
		}
	}
	k.knownNodeUID = existing.UID
	k.nodeRegistered()
	return true
}

// nodeRegistered signals readiness and makes sure the lease follows at once,
// instead of one renew interval after a Node that did not exist yet.
func (k *Kubelet) nodeRegistered() {
	if k.latestLease == nil {
		k.nextLeaseSync = k.clock.Now()
	}
	k.markRegistered()
}

// initialNode is the Node the kubelet creates (kubelet_node_status.go initialNode).
func (k *Kubelet) initialNode(ctx context.Context) *corev1.Node {
	logger := klog.FromContext(ctx)
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: k.nodeName,
			Labels: map[string]string{
				corev1.LabelHostname:   k.hostname,
				corev1.LabelOSStable:   goruntime.GOOS,
				corev1.LabelArchStable: goruntime.GOARCH,
				labelBetaOS:            goruntime.GOOS,
				labelBetaArch:          goruntime.GOARCH,
			},
			Annotations: map[string]string{
				// enableControllerAttachDetach defaults to true.
				annotationControllerManagedAttachDetach: "true",
			},
		},
	}
	taints := append([]corev1.Taint(nil), k.cfg.RegisterWithTaints...)
	if k.cfg.CloudProvider == CloudProviderExternal {
		// The cloud node controller removes it once it has initialised the
		// Node (addresses, zone labels, providerID).
		taints = append(taints, corev1.Taint{Key: taintExternalCloudProvider, Value: "true", Effect: corev1.TaintEffectNoSchedule})
	}
	if len(taints) > 0 {
		node.Spec.Taints = taints
	}
	for _, key := range sortedKeys(k.cfg.NodeLabels) {
		v := k.cfg.NodeLabels[key]
		if cv, found := node.Labels[key]; found {
			logger.Info("The node label will overwrite default setting", "labelKey", key, "labelValue", v, "default", cv)
		}
		node.Labels[key] = v
	}
	k.setNodeStatus(ctx, node)
	return node
}

func reconcileCMADAnnotation(node, existing *corev1.Node) bool {
	want, wantSet := node.Annotations[annotationControllerManagedAttachDetach]
	if existing.Annotations[annotationControllerManagedAttachDetach] == want {
		return false
	}
	if !wantSet {
		delete(existing.Annotations, annotationControllerManagedAttachDetach)
		return true
	}
	if existing.Annotations == nil {
		existing.Annotations = map[string]string{}
	}
	existing.Annotations[annotationControllerManagedAttachDetach] = want
	return true
}

// defaultLabels are the labels the kubelet keeps in line on an existing Node.
var defaultLabels = []string{
	corev1.LabelHostname,
	corev1.LabelTopologyZone,
	corev1.LabelTopologyRegion,
	corev1.LabelFailureDomainBetaZone,
	corev1.LabelFailureDomainBetaRegion,
	corev1.LabelInstanceTypeStable,
	corev1.LabelInstanceType,
	corev1.LabelOSStable,
	corev1.LabelArchStable,
	corev1.LabelWindowsBuild,
	labelBetaOS,
	labelBetaArch,
}

func updateDefaultLabels(node, existing *corev1.Node) bool {
	needsUpdate := false
	if existing.Labels == nil {
		existing.Labels = map[string]string{}
	}
	for _, label := range defaultLabels {
		want, ok := node.Labels[label]
		if !ok {
			continue
		}
		if existing.Labels[label] != want {
			existing.Labels[label] = want
			needsUpdate = true
		}
		if existing.Labels[label] == "" {
			delete(existing.Labels, label)
		}
	}
	return needsUpdate
}

func updateDefaultResources(node, existing *corev1.Node) bool {
	requiresUpdate := false
	if existing.Status.Capacity == nil {
		existing.Status.Capacity = node.Status.Capacity.DeepCopy()
		requiresUpdate = true
	}
	if existing.Status.Allocatable == nil {
		existing.Status.Allocatable = node.Status.Allocatable.DeepCopy()
		requiresUpdate = true
	}
	return requiresUpdate
}

// updateNodeStatus tries up to nodeStatusUpdateRetry times. The first try
// reads the Node from the informer cache; later tries GET it, as upstream does
// to keep GETs of 1,000 nodes off the apiserver.
func (k *Kubelet) updateNodeStatus(ctx context.Context) error {
	logger := klog.FromContext(ctx)
	for i := 0; i < nodeStatusUpdateRetry; i++ {
		err := k.tryUpdateNodeStatus(ctx, i)
		if err == nil || errors.Is(err, errNodeNotFound) {
			return err
		}
		logger.Error(err, "Error updating node status, will retry")
	}
	return errors.New("update node status exceeds retry count")
}

func (k *Kubelet) tryUpdateNodeStatus(ctx context.Context, try int) error {
	var original *corev1.Node
	{
		// The first try reads the apiserver's watch cache (resourceVersion "0"), as
		// upstream's first try reads its informer: cheap, and it notices a deleted Node
		// or a newly assigned pod CIDR every period. Retries read from etcd.
		opts := metav1.GetOptions{}
		if try == 0 {
			opts.ResourceVersion = "0"
		}
		n, err := k.client.CoreV1().Nodes().Get(ctx, k.nodeName, opts)
		if apierrors.IsNotFound(err) {
			k.nodeLister.forget()
			return errNodeNotFound
		}
		if err != nil {
			return fmt.Errorf("error getting node %q: %w", k.nodeName, err)
		}
		k.nodeLister.set(n)
		original = n
	}
	k.knownNodeUID = original.UID

	node, changed := k.updateNode(ctx, original)
	if !changed && !k.isUpdateStatusPeriodExpired() {
		return nil
	}
	// A change, or the first report since start, draws a new random delay so
	// that the periodic reports of many nodes spread out; a plain periodic
	// report goes back to the fixed interval.
	if changed || k.lastStatusReportTime.IsZero() {
		k.delayAfterNodeStatusChange = k.calculateDelay()
	} else {
		k.delayAfterNodeStatusChange = 0
	}
	if _, err := k.patchNodeStatus(ctx, original, node); err != nil {
		if apierrors.IsNotFound(err) {
			k.nodeLister.forget()
			return errNodeNotFound
		}
		return err
	}
	k.lastStatusReportTime = k.clock.Now()
	if !k.isRegistered() {
		k.nodeRegistered()
	}
	return nil
}

func (k *Kubelet) isUpdateStatusPeriodExpired() bool {
	return k.clock.Since(k.lastStatusReportTime) >= k.cfg.NodeStatusReportFrequency+k.delayAfterNodeStatusChange
}

func (k *Kubelet) calculateDelay() time.Duration {
	return time.Duration(float64(k.cfg.NodeStatusReportFrequency) * (-0.5 + k.randFloat()))
}

// updateNode returns a copy of original with the current status and whether
// anything but heartbeat times changed.
func (k *Kubelet) updateNode(ctx context.Context, original *corev1.Node) (*corev1.Node, bool) {
	node := original.DeepCopy()
	podCIDRChanged := false
	if len(node.Spec.PodCIDRs) != 0 {
		if cidrs := strings.Join(node.Spec.PodCIDRs, ","); cidrs != k.podCIDRs {
			klog.FromContext(ctx).Info("Updating pod CIDR", "originalPodCIDR", k.podCIDRs, "newPodCIDR", cidrs)
			k.podCIDRs = cidrs
			podCIDRChanged = true
		}
	}
	// The kubelet re-adds the os/arch labels if someone removed them.
	labelsFixed := false
	for key, want := range map[string]string{corev1.LabelOSStable: goruntime.GOOS, corev1.LabelArchStable: goruntime.GOARCH} {
		if node.Labels[key] != want {
			if node.Labels == nil {
				node.Labels = map[string]string{}
			}
			node.Labels[key] = want
			labelsFixed = true
		}
	}
	k.setNodeStatus(ctx, node)
	changed := podCIDRChanged || labelsFixed || nodeStatusHasChanged(&original.Status, &node.Status)
	return node, changed
}

// setNodeStatus runs the setters in upstream's order; conditions therefore end
// up MemoryPressure, DiskPressure, PIDPressure, Ready (Ready last on purpose).
func (k *Kubelet) setNodeStatus(ctx context.Context, node *corev1.Node) {
	now := metav1.NewTime(k.clock.Now())
	k.setNodeAddress(node)
	k.setMachineInfo(node)
	k.setVersionInfo(node)
	node.Status.DaemonEndpoints = corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: k.cfg.KubeletPort}}
	node.Status.NodeInfo.OperatingSystem = goruntime.GOOS
	node.Status.NodeInfo.Architecture = goruntime.GOARCH

	k.mu.Lock()
	memory, disk, pid := k.pressure[corev1.NodeMemoryPressure], k.pressure[corev1.NodeDiskPressure], k.pressure[corev1.NodePIDPressure]
	readyOK, readyWhy, readyMsg := k.readyOK, k.readyWhy, k.readyMsg
	k.mu.Unlock()

	k.setPressureCondition(ctx, node, now, corev1.NodeMemoryPressure, memory,
		pressureText{"KubeletHasInsufficientMemory", "kubelet has insufficient memory available", "NodeHasInsufficientMemory"},
		pressureText{"KubeletHasSufficientMemory", "kubelet has sufficient memory available", "NodeHasSufficientMemory"})
	k.setPressureCondition(ctx, node, now, corev1.NodeDiskPressure, disk,
		pressureText{"KubeletHasDiskPressure", "kubelet has disk pressure", "NodeHasDiskPressure"},
		pressureText{"KubeletHasNoDiskPressure", "kubelet has no disk pressure", "NodeHasNoDiskPressure"})
	k.setPressureCondition(ctx, node, now, corev1.NodePIDPressure, pid,
		pressureText{"KubeletHasInsufficientPID", "kubelet has insufficient PID available", "NodeHasInsufficientPID"},
		pressureText{"KubeletHasSufficientPID", "kubelet has sufficient PID available", "NodeHasSufficientPID"})
	k.setReadyCondition(ctx, node, now, readyOK, readyWhy, readyMsg)
}

func (k *Kubelet) setNodeAddress(node *corev1.Node) {
	nodeIP := k.cfg.NodeIP
	specified := nodeIP != nil && !nodeIP.IsUnspecified()
	external := k.cfg.CloudProvider == CloudProviderExternal
	if external && specified {
		// Tells the external cloud provider which address the admin chose.
		if node.Annotations == nil {
			node.Annotations = map[string]string{}
		}
		node.Annotations[annotationProvidedNodeIP] = nodeIP.String()
	} else if node.Annotations != nil {
		delete(node.Annotations, annotationProvidedNodeIP)
	}
	if external {
		// Addresses set by the cloud provider win.
		if len(node.Status.Addresses) > 0 {
			return
		}
		if nodeIP == nil {
			node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: k.hostname}}
			return
		}
	}
	var ip net.IP
	switch {
	case specified:
		ip = nodeIP
	case net.ParseIP(k.hostname) != nil:
		ip = net.ParseIP(k.hostname)
	default:
		// Upstream would try DNS and then the default-route interface; k1s
		// nodes all live on loopback, and DNS for made-up node names only
		// slows down tests.
		ip = net.IPv4(127, 0, 0, 1)
	}
	node.Status.Addresses = []corev1.NodeAddress{
		{Type: corev1.NodeInternalIP, Address: ip.String()},
		{Type: corev1.NodeHostName, Address: k.hostname},
	}
}

func (k *Kubelet) setMachineInfo(node *corev1.Node) {
	if node.Status.Capacity == nil {
		node.Status.Capacity = corev1.ResourceList{}
	}
	ids := machineIDsFor(k.nodeName)
	node.Status.NodeInfo.MachineID = ids.machineID
	node.Status.NodeInfo.SystemUUID = ids.systemUUID
	node.Status.NodeInfo.BootID = ids.bootID
	// Set only our own entries: capacity others advertise (extended
	// resources) is kept, as upstream avoids blindly overwriting it.
	for name, q := range k.cfg.Capacity {
		node.Status.Capacity[name] = q.DeepCopy()
	}
	if node.Status.Allocatable == nil {
		node.Status.Allocatable = corev1.ResourceList{}
	}
	for name := range node.Status.Allocatable {
		if _, ok := node.Status.Capacity[name]; !ok && isExtendedResourceName(name) {
			delete(node.Status.Allocatable, name)
		}
	}
	for name, q := range node.Status.Capacity {
		value := q.DeepCopy()
		if r, ok := k.cfg.KubeReserved[name]; ok {
			value.Sub(r)
		}
		if r, ok := k.cfg.SystemReserved[name]; ok {
			value.Sub(r)
		}
		if value.Sign() < 0 {
			value.Set(0)
		}
		node.Status.Allocatable[name] = value
	}
	// Huge pages are carved out of memory.
	for name, q := range node.Status.Capacity {
		if strings.HasPrefix(string(name), corev1.ResourceHugePagesPrefix) {
			mem := node.Status.Allocatable[corev1.ResourceMemory]
			mem.Sub(q)
			if mem.Sign() < 0 {
				mem.Set(0)
			}
			node.Status.Allocatable[corev1.ResourceMemory] = mem
		}
	}
}

func isExtendedResourceName(name corev1.ResourceName) bool {
	s := string(name)
	return strings.Contains(s, "/") && !strings.Contains(s, corev1.ResourceDefaultNamespacePrefix) &&
		!strings.HasPrefix(s, corev1.DefaultResourceRequestsPrefix)
}

func (k *Kubelet) setVersionInfo(node *corev1.Node) {
	host := hostInfo()
	node.Status.NodeInfo.KernelVersion = host.kernelVersion
	node.Status.NodeInfo.OSImage = host.osImage
	node.Status.NodeInfo.ContainerRuntimeVersion = RuntimeType + "://" + k.cfg.RuntimeVersion
	node.Status.NodeInfo.KubeletVersion = k.cfg.KubeletVersion
	// DisableNodeKubeProxyVersion is locked on in v1.37.
	node.Status.NodeInfo.KubeProxyVersion = ""
}

type pressureText struct{ reason, message, event string }

// setPressureCondition ports nodestatus.{Memory,Disk,PID}PressureCondition: a
// new condition starts Unknown and is resolved in the same pass, so what is
// posted is always True or False.
func (k *Kubelet) setPressureCondition(ctx context.Context, node *corev1.Node, now metav1.Time, t corev1.NodeConditionType, pressure bool, onTrue, onFalse pressureText) {
	var cond *corev1.NodeCondition
	for i := range node.Status.Conditions {
		if node.Status.Conditions[i].Type == t {
			cond = &node.Status.Conditions[i]
		}
	}
	isNew := cond == nil
	if isNew {
		cond = &corev1.NodeCondition{Type: t, Status: corev1.ConditionUnknown}
	}
	cond.LastHeartbeatTime = now
	want, text := corev1.ConditionFalse, onFalse
	if pressure {
		want, text = corev1.ConditionTrue, onTrue
	}
	if cond.Status != want {
		cond.Status = want
		cond.Reason = text.reason
		cond.Message = text.message
		cond.LastTransitionTime = now
		k.recordNodeStatusEvent(ctx, text.event)
	}
	if isNew {
		node.Status.Conditions = append(node.Status.Conditions, *cond)
	}
}

func (k *Kubelet) setReadyCondition(ctx context.Context, node *corev1.Node, now metav1.Time, ready bool, reason, message string) {
	newCond := corev1.NodeCondition{
		Type:              corev1.NodeReady,
		Status:            corev1.ConditionTrue,
		Reason:            "KubeletReady",
		Message:           "kubelet is posting ready status",
		LastHeartbeatTime: now,
	}
	if !ready {
		if reason == "" {
			reason = "KubeletNotReady"
		}
		if message == "" {
			message = "container runtime is down"
		}
		newCond.Status, newCond.Reason, newCond.Message = corev1.ConditionFalse, reason, message
	}
	for i := range node.Status.Conditions {
		if node.Status.Conditions[i].Type != corev1.NodeReady {
			continue
		}
		if node.Status.Conditions[i].Status == newCond.Status {
			newCond.LastTransitionTime = node.Status.Conditions[i].LastTransitionTime
		} else {
			newCond.LastTransitionTime = now
			if newCond.Status == corev1.ConditionTrue {
				k.recordNodeStatusEvent(ctx, "NodeReady")
			} else {
				k.recordNodeStatusEvent(ctx, "NodeNotReady")
				klog.FromContext(ctx).Info("Node became not ready", "condition", newCond)
			}
		}
		node.Status.Conditions[i] = newCond
		return
	}
	newCond.LastTransitionTime = now
	node.Status.Conditions = append(node.Status.Conditions, newCond)
}

func (k *Kubelet) recordNodeStatusEvent(ctx context.Context, event string) {
	klog.FromContext(ctx).V(2).Info("Recording event message for node", "event", event)
	k.nodeEvent(corev1.EventTypeNormal, event, "Node %s status is now: %s", k.nodeName, event)
}

// nodeStatusHasChanged compares two statuses ignoring heartbeat times.
func nodeStatusHasChanged(original, status *corev1.NodeStatus) bool {
	if nodeConditionsHaveChanged(original.Conditions, status.Conditions) {
		return true
	}
	o, s := original.DeepCopy(), status.DeepCopy()
	o.Conditions, s.Conditions = nil, nil
	return !apiequality.Semantic.DeepEqual(o, s)
}

func nodeConditionsHaveChanged(original, conditions []corev1.NodeCondition) bool {
	if len(original) != len(conditions) {
		return true
	}
	o := append([]corev1.NodeCondition(nil), original...)
	c := append([]corev1.NodeCondition(nil), conditions...)
	sort.SliceStable(o, func(i, j int) bool { return o[i].Type < o[j].Type })
	sort.SliceStable(c, func(i, j int) bool { return c[i].Type < c[j].Type })
	for i := range c {
		o[i].LastHeartbeatTime, c[i].LastHeartbeatTime = metav1.Time{}, metav1.Time{}
		if !apiequality.Semantic.DeepEqual(&o[i], &c[i]) {
			return true
		}
	}
	return false
}

// patchNodeStatus sends a strategic-merge PATCH of nodes/<name>/status built
// like component-helpers' PatchNodeStatus (metadata rides along, spec never
// does, changed addresses are replaced wholesale), but with our ctx.
func (k *Kubelet) patchNodeStatus(ctx context.Context, oldNode, newNode *corev1.Node) (*corev1.Node, error) {
	patch, err := preparePatchBytesForNodeStatus(oldNode, newNode)
	if err != nil {
		return nil, fmt.Errorf("preparing status patch for node %q: %w", k.nodeName, err)
	}
	updated, err := k.client.CoreV1().Nodes().Patch(ctx, k.nodeName, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
	if err != nil {
		return nil, fmt.Errorf("patching status of node %q: %w", k.nodeName, err)
	}
	k.nodeLister.set(updated)
	return updated, nil
}

func preparePatchBytesForNodeStatus(oldNode, newNode *corev1.Node) ([]byte, error) {
	oldData, err := json.Marshal(oldNode)
	if err != nil {
		return nil, err
	}
	// NodeStatus.Addresses is (wrongly) annotated patchStrategy=merge, so a
	// changed address list must be replaced explicitly.
	replaceAddresses := len(oldNode.Status.Addresses) > 0 && !apiequality.Semantic.DeepEqual(oldNode.Status.Addresses, newNode.Status.Addresses)
	diffNode := newNode.DeepCopy()
	diffNode.Spec = oldNode.Spec
	if replaceAddresses {
		diffNode.Status.Addresses = oldNode.Status.Addresses
	}
	newData, err := json.Marshal(diffNode)
	if err != nil {
		return nil, err
	}
	patch, err := strategicpatch.CreateTwoWayMergePatch(oldData, newData, corev1.Node{})
	if err != nil {
		return nil, err
	}
	if !replaceAddresses {
		return patch, nil
	}
	var patchMap map[string]any
	if err := json.Unmarshal(patch, &patchMap); err != nil {
		return nil, err
	}
	addrBytes, err := json.Marshal(newNode.Status.Addresses)
	if err != nil {
		return nil, err
	}
	var addrs []any
	if err := json.Unmarshal(addrBytes, &addrs); err != nil {
		return nil, err
	}
	addrs = append(addrs, map[string]any{"$patch": "replace"})
	status, _ := patchMap["status"].(map[string]any)
	if status == nil {
		status = map[string]any{}
		patchMap["status"] = status
	}
	status["addresses"] = addrs
	return json.Marshal(patchMap)
}
