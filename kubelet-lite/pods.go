package kubeletlite

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	resourcehelper "k8s.io/component-helpers/resource"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

// Admission rejection reasons (pkg/kubelet/lifecycle/predicate.go).
const (
	reasonOutOfPrefix = "OutOf"
	// podStatusRetryPeriod is how soon a failed pod status write is retried
	// (the status manager's syncPeriod).
	podStatusRetryPeriod = 10 * time.Second
	// defaultTerminationGracePeriod is the API default for
	// terminationGracePeriodSeconds.
	defaultTerminationGracePeriod = 30 * time.Second
)

// podManager is the kubelet's view of the pods bound to its node. It is used
// only from the Run goroutine.
type podManager struct {
	k       *Kubelet
	workers map[string]*podWorker // by namespace/name
	ips     *podIPAllocator
	// ctx is the context of the current sync pass (the process runtime makes
	// API calls while it starts containers).
	ctx context.Context
}

// podWorker is one pod: the latest API object and its simulated containers.
type podWorker struct {
	m   *podManager
	key string
	uid types.UID
	pod *corev1.Pod // latest informer copy; never mutated

	admitted      bool
	rejected      bool
	rejectReason  string
	rejectMessage string
	requests      corev1.ResourceList

	startTime    time.Time
	hostIPs      []string
	podIPs       []string
	ownIPs       []string // from our allocator, to release
	sandboxReady bool
	sandboxEver  bool

	inits       []*simContainer
	containers  []*simContainer
	nextInit    int
	initialized bool

	terminating bool
	terminal    bool
	phase       corev1.PodPhase
	finishedAt  time.Time

	// conditionSince remembers when each kubelet condition took its status.
	conditionSince map[corev1.PodConditionType]condMemo

	needsSync   bool
	retryAt     time.Time
	posted      *postRecord
	apiTerminal bool
	deleteSent  bool
	// adopted: the pod was already terminal when we first saw it.
	adopted bool

	// Process runtime: where the projected volumes were written, when they
	// must be written again (token refresh or retry), and why they could
	// not be.
	volumeDirs      map[string]string
	volumeRefreshAt time.Time
	volumeErr       string
}

type condMemo struct {
	status corev1.ConditionStatus
	since  metav1.Time
}

func newPodManager(k *Kubelet) podManager {
	return podManager{k: k, workers: map[string]*podWorker{}, ips: newPodIPAllocator()}
}

func (w *podWorker) all() []*simContainer {
	out := make([]*simContainer, 0, len(w.inits)+len(w.containers))
	return append(append(out, w.inits...), w.containers...)
}

func (m *podManager) markAllForSync() {
	for _, w := range m.workers {
		w.needsSync = true
	}
}

// nextEvent is the earliest instant any pod needs the loop again. Write
// retries do not count while paused: nothing may be written then.
func (m *podManager) nextEvent(paused bool) time.Time {
	var next time.Time
	earlier := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for _, w := range m.workers {
		if !paused {
			earlier(w.retryAt)
		}
		for _, c := range w.all() {
			earlier(c.nextAt())
		}
		if !w.terminal && !w.terminating {
			earlier(w.volumeRefreshAt)
		}
	}
	return next
}

// sync takes in pod changes, admits new pods, replays due container
// transitions and writes statuses and deletions.
func (m *podManager) sync(ctx context.Context) {
	k := m.k
	if k.podIndexer == nil {
		return
	}
	logger := klog.FromContext(ctx)
	m.ctx = ctx
	now := k.clock.Now()
	var added []*corev1.Pod
	for key := range k.takeDirtyPods() {
		w := m.workers[key]
		obj, exists, err := k.podIndexer.GetByKey(key)
		pod, _ := obj.(*corev1.Pod)
		if err != nil || !exists || pod == nil || pod.Spec.NodeName != k.nodeName {
			if w != nil {
				m.forget(w)
			}
			continue
		}
		if w != nil && w.uid != pod.UID {
			// Deleted and recreated under the same name.
			m.forget(w)
			w = nil
		}
		if w == nil {
			added = append(added, pod)
			continue
		}
		w.pod = pod
		w.needsSync = true
		m.observe(ctx, w, now)
	}
	// Upstream admits new pods oldest first, so that a burst is admitted in a
	// stable order.
	sort.Slice(added, func(i, j int) bool {
		a, b := added[i], added[j]
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.CreationTimestamp.Before(&b.CreationTimestamp)
		}
		return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
	})
	for _, pod := range added {
		m.add(ctx, pod, now)
	}

	for _, w := range m.workers {
		if k.processRuntime() {
			if !w.volumeRefreshAt.IsZero() && !now.Before(w.volumeRefreshAt) && !w.terminal && !w.terminating {
				w.prepareVolumes(now)
			}
			w.pollProcesses()
		}
		steps := 0
		for steps < maxTransitionsPerPass && w.step(now) {
			steps++
		}
		if steps == maxTransitionsPerPass {
			logger.Info("Pod has too many container transitions in one pass; continuing next pass", "pod", klog.KObj(w.pod))
		}
		if steps > 0 {
			w.needsSync = true
		}
	}

	if k.isPaused() {
		return
	}
	for _, w := range m.workers {
		if !w.retryAt.IsZero() && now.Before(w.retryAt) {
			continue // backing off after a failed write
		}
		if !w.needsSync && w.retryAt.IsZero() {
			continue
		}
		w.retryAt = time.Time{}
		if err := m.syncStatus(ctx, w, now); err != nil {
			logger.Error(err, "Failed to update pod status, will retry", "pod", klog.KObj(w.pod), "podUID", w.uid)
			w.retryAt = now.Add(podStatusRetryPeriod)
			continue
		}
		w.needsSync = false
		if err := m.maybeDelete(ctx, w); err != nil {
			logger.Error(err, "Failed to delete terminated pod, will retry", "pod", klog.KObj(w.pod), "podUID", w.uid)
			w.retryAt = now.Add(podStatusRetryPeriod)
		}
	}
}

// observe reacts to a new version of a known pod: a deletion request or a
// terminal phase set by someone else stops its containers.
func (m *podManager) observe(ctx context.Context, w *podWorker, now time.Time) {
	pod := w.pod
	switch {
	case w.terminal || w.terminating:
	case pod.DeletionTimestamp != nil:
		grace := effectiveGracePeriod(pod)
		klog.FromContext(ctx).V(2).Info("Pod is being deleted; stopping its containers", "pod", klog.KObj(pod), "gracePeriod", grace)
		w.beginTermination(now, grace)
	case isTerminalPhase(pod.Status.Phase):
		w.beginTermination(now, effectiveGracePeriod(pod))
	}
}

// effectiveGracePeriod mirrors calculateEffectiveGracePeriod: the deletion's
// grace period, else the pod's, never below one second.
func effectiveGracePeriod(pod *corev1.Pod) time.Duration {
	grace := defaultTerminationGracePeriod
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*pod.Spec.TerminationGracePeriodSeconds) * time.Second
	}
	if pod.DeletionGracePeriodSeconds != nil {
		grace = time.Duration(*pod.DeletionGracePeriodSeconds) * time.Second
	}
	if grace < time.Second {
		grace = time.Second
	}
	return grace
}

func (m *podManager) forget(w *podWorker) {
	m.releaseIPs(w)
	m.k.logs.forget(w.key, w.uid)
	delete(m.workers, w.key)
	if m.k.processRuntime() {
		// Gone from the API (or recreated): its processes and its directory
		// go with it, as a runtime removes a deleted pod's containers.
		w.stopProcesses()
		for _, c := range w.all() {
			m.k.procs.set(w.uid, c.name, nil)
		}
		dir := w.podDir()
		go func() {
			w.waitProcesses(processStopWait)
			_ = os.RemoveAll(dir)
		}()
	}
}

func (m *podManager) releaseIPs(w *podWorker) {
	m.ips.release(w.ownIPs)
	w.ownIPs = nil
}

// add starts tracking a pod: terminal pods are only remembered, others go
// through admission and, if admitted, start.
func (m *podManager) add(ctx context.Context, pod *corev1.Pod, now time.Time) {
	logger := klog.FromContext(ctx)
	w := &podWorker{
		m:              m,
		key:            pod.Namespace + "/" + pod.Name,
		uid:            pod.UID,
		pod:            pod,
		conditionSince: map[corev1.PodConditionType]condMemo{},
		needsSync:      true,
	}
	m.workers[w.key] = w
	if pod.Status.StartTime != nil {
		w.startTime = pod.Status.StartTime.Time
	} else {
		w.startTime = now
	}
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		kind := kindInit
		if isRestartableInit(c) {
			kind = kindSidecar
		}
		w.inits = append(w.inits, m.newContainer(ctx, pod, c, kind))
	}
	for i := range pod.Spec.Containers {
		w.containers = append(w.containers, m.newContainer(ctx, pod, &pod.Spec.Containers[i], kindRegular))
	}

	if isTerminalPhase(pod.Status.Phase) {
		// Finished before we saw it (e.g. kubelet restart): never rerun, only
		// finish a pending deletion.
		w.terminal, w.phase = true, pod.Status.Phase
		w.adopted, w.apiTerminal = true, true
		return
	}
	if pod.DeletionTimestamp != nil {
		// Deleted before it ever started: nothing to run, just report it
		// terminated.
		w.beginTermination(now, effectiveGracePeriod(pod))
		return
	}
	if reason, message, ok := m.admit(pod); !ok {
		logger.Info("Pod was rejected", "pod", klog.KObj(pod), "reason", reason, "message", message)
		w.rejected, w.rejectReason, w.rejectMessage = true, reason, message
		w.terminal, w.phase = true, corev1.PodFailed
		m.k.event(pod, corev1.EventTypeWarning, reason, "%s", message)
		return
	}
	w.admitted = true
	w.requests = podRequests(pod)
	m.startPod(ctx, w, now)
	logger.V(2).Info("Pod admitted and started", "pod", klog.KObj(pod), "podIPs", w.podIPs)
}

func (m *podManager) newContainer(ctx context.Context, pod *corev1.Pod, c *corev1.Container, kind containerKind) *simContainer {
	b, errs := containerBehaviour(pod, c.Name, kind)
	for _, err := range errs {
		klog.FromContext(ctx).Info("Ignoring invalid simulation annotation", "pod", klog.KObj(pod), "err", err.Error())
	}
	if m.k.processRuntime() {
		// Processes do what their command says; the simulation annotations
		// do not apply.
		b = behaviour{runsForever: true}
	}
	waiting := reasonContainerCreating
	if len(pod.Spec.InitContainers) > 0 {
		waiting = reasonPodInitializing
	}
	return &simContainer{name: c.Name, image: c.Image, kind: kind, behaviour: b, state: stateWaiting, waitingReason: waiting}
}

// startPod creates the sandbox (IPs) and starts the init sequence.
func (m *podManager) startPod(ctx context.Context, w *podWorker, now time.Time) {
	pod := w.pod
	w.sandboxReady, w.sandboxEver = true, true
	w.hostIPs = m.hostIPs()
	switch {
	case pod.Spec.HostNetwork, m.k.processRuntime():
		// Processes listen on the host: the node's own (loopback) address is
		// where port-forward and Services reach them.
		w.podIPs = w.hostIPs
	case len(pod.Status.PodIPs) > 0:
		// Keep what the API already shows (kubelet restart).
		for _, ip := range pod.Status.PodIPs {
			w.podIPs = append(w.podIPs, ip.IP)
		}
		m.ips.reserve(w.podIPs)
		w.ownIPs = w.podIPs
	default:
		node, err := m.k.nodeLister.Get(m.k.nodeName)
		if err != nil || len(node.Spec.PodCIDRs) == 0 {
			// No pod CIDR known yet: ask the apiserver once more, so a CIDR assigned
			// since the last status sync is used from the first pod on.
			if live, err := m.k.client.CoreV1().Nodes().Get(ctx, m.k.nodeName, metav1.GetOptions{ResourceVersion: "0"}); err == nil {
				m.k.nodeLister.set(live)
				node = live
			}
		}
		if node != nil {
			m.ips.setCIDRs(node.Spec.PodCIDRs)
		}
		if ips := m.ips.allocate(); ips != nil {
			w.podIPs, w.ownIPs = ips, ips
		} else {
			// No pod CIDR (yet): use the node's address, as a host-network
			// pod would have.
			w.podIPs = w.hostIPs
		}
	}
	if m.k.processRuntime() {
		w.prepareVolumes(now)
	}
	w.startInits(now)
}

// hostIPs are the node's InternalIPs as the Node reports them (a cloud
// provider may have set them), else the configured node IP.
func (m *podManager) hostIPs() []string {
	var ips []string
	if node, err := m.k.nodeLister.Get(m.k.nodeName); err == nil {
		for _, a := range node.Status.Addresses {
			if a.Type == corev1.NodeInternalIP && len(ips) < 2 {
				ips = append(ips, a.Address)
			}
		}
	}
	if len(ips) == 0 {
		if ip := m.k.cfg.NodeIP; ip != nil && !ip.IsUnspecified() {
			ips = []string{ip.String()}
		} else {
			ips = []string{"127.0.0.1"}
		}
	}
	return ips
}

func podRequests(pod *corev1.Pod) corev1.ResourceList {
	return resourcehelper.PodRequests(pod, resourcehelper.PodResourcesOptions{})
}

// admit is the resource part of the kubelet's GeneralPredicates: pod count,
// then cpu, memory, ephemeral-storage and extended resources, against
// allocatable minus what the admitted, still-active pods request. Resources
// the node does not advertise at all are ignored, as upstream drops missing
// extended resources before the check.
func (m *podManager) admit(pod *corev1.Pod) (reason, message string, ok bool) {
	allocatable := m.allocatable()
	used := corev1.ResourceList{}
	active := 0
	for _, w := range m.workers {
		if !w.admitted || w.terminal {
			continue
		}
		active++
		for name, q := range w.requests {
			u := used[name]
			u.Add(q)
			used[name] = u
		}
	}
	type shortage struct {
		name                       corev1.ResourceName
		requested, usedV, capacity int64
	}
	var short []shortage
	maxPods := allocatable.Pods().Value()
	if int64(active)+1 > maxPods {
		short = append(short, shortage{corev1.ResourcePods, 1, int64(active), maxPods})
	}
	req := podRequests(pod)
	value := func(l corev1.ResourceList, name corev1.ResourceName) int64 {
		q, ok := l[name]
		if !ok {
			return 0
		}
		if name == corev1.ResourceCPU {
			return q.MilliValue()
		}
		return q.Value()
	}
	names := []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage}
	for _, name := range sortedResourceNames(req) {
		if name == corev1.ResourceCPU || name == corev1.ResourceMemory || name == corev1.ResourceEphemeralStorage || name == corev1.ResourcePods {
			continue
		}
		if _, advertised := allocatable[name]; advertised {
			names = append(names, name)
		}
	}
	for _, name := range names {
		r := value(req, name)
		if r <= 0 {
			continue
		}
		if r > value(allocatable, name)-value(used, name) {
			short = append(short, shortage{name, r, value(used, name), value(allocatable, name)})
		}
	}
	if len(short) == 0 {
		return "", "", true
	}
	// Upstream reports only the first failure.
	s := short[0]
	return reasonOutOfPrefix + string(s.name),
		fmt.Sprintf("Node didn't have enough resource: %s, requested: %d, used: %d, capacity: %d", s.name, s.requested, s.usedV, s.capacity),
		false
}

// allocatable is what the Node reports, or what we would report if the cache
// does not have it yet.
func (m *podManager) allocatable() corev1.ResourceList {
	if node, err := m.k.nodeLister.Get(m.k.nodeName); err == nil && node.Status.Allocatable != nil {
		return node.Status.Allocatable
	}
	n := &corev1.Node{}
	m.k.setMachineInfo(n)
	return n.Status.Allocatable
}

func (w *podWorker) initStatuses() []corev1.ContainerStatus {
	out := make([]corev1.ContainerStatus, 0, len(w.inits))
	for _, c := range w.inits {
		out = append(out, c.apiStatus())
	}
	return out
}

// containerStatuses are sorted by name, as upstream reports them.
func (w *podWorker) containerStatuses() []corev1.ContainerStatus {
	out := make([]corev1.ContainerStatus, 0, len(w.containers))
	for _, c := range w.containers {
		out = append(out, c.apiStatus())
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// generateStatus is the full pod status the kubelet wants the API to show.
func (w *podWorker) generateStatus(now time.Time) corev1.PodStatus {
	api := &w.pod.Status
	s := corev1.PodStatus{
		ObservedGeneration: w.pod.Generation,
		QOSClass:           podQOS(w.pod),
	}
	if !w.startTime.IsZero() {
		t := apiTime(w.startTime)
		s.StartTime = &t
	}
	if w.rejected {
		s.Phase = corev1.PodFailed
		s.Reason = w.rejectReason
		s.Message = "Pod was rejected: " + w.rejectMessage
		s.Conditions = append([]corev1.PodCondition(nil), api.Conditions...)
		return s
	}
	if len(w.hostIPs) > 0 {
		s.HostIP = w.hostIPs[0]
		for _, ip := range w.hostIPs {
			s.HostIPs = append(s.HostIPs, corev1.HostIP{IP: ip})
		}
	}
	if len(w.podIPs) > 0 {
		s.PodIP = w.podIPs[0]
		for _, ip := range w.podIPs {
			s.PodIPs = append(s.PodIPs, corev1.PodIP{IP: ip})
		}
	}
	s.InitContainerStatuses = w.initStatuses()
	s.ContainerStatuses = w.containerStatuses()
	if len(s.InitContainerStatuses) == 0 {
		s.InitContainerStatuses = nil
	}
	if w.terminal {
		s.Phase = w.phase
	} else {
		s.Phase = computePhase(w.pod, s.InitContainerStatuses, s.ContainerStatuses, false)
	}
	if isTerminalPhase(api.Phase) {
		// Pods never leave a terminal phase.
		s.Phase = api.Phase
	}
	if s.Phase == api.Phase {
		s.Reason, s.Message = api.Reason, api.Message
	}

	for _, c := range podConditions(w.pod, s.InitContainerStatuses, s.ContainerStatuses, s.Phase, w.sandboxReady, w.sandboxEver) {
		c.ObservedGeneration = w.pod.Generation
		c.LastTransitionTime = w.transitionTime(c, now)
		s.Conditions = append(s.Conditions, c)
	}
	for _, c := range api.Conditions {
		if !kubeletConditions[c.Type] {
			s.Conditions = append(s.Conditions, c)
		}
	}
	return s
}

// transitionTime keeps a condition's lastTransitionTime while its status
// stays the same (ours, else the API's, e.g. the scheduler's PodScheduled).
func (w *podWorker) transitionTime(c corev1.PodCondition, now time.Time) metav1.Time {
	if memo, ok := w.conditionSince[c.Type]; ok && memo.status == c.Status {
		return memo.since
	}
	since := apiTime(now)
	if _, ok := w.conditionSince[c.Type]; !ok {
		for _, ac := range w.pod.Status.Conditions {
			if ac.Type == c.Type && ac.Status == c.Status && !ac.LastTransitionTime.IsZero() {
				since = ac.LastTransitionTime.Rfc3339Copy()
			}
		}
	}
	w.conditionSince[c.Type] = condMemo{status: c.Status, since: since}
	return since
}

// postRecord remembers our last status write, so that the informer echoing it
// (or still showing the copy before it) is not mistaken for someone else's
// change.
type postRecord struct {
	from, sent, result *corev1.PodStatus
	fromRV, resultRV   string
}

func sameVersion(pod *corev1.Pod, rv string) bool {
	return rv != "" && pod.ResourceVersion == rv
}

// syncStatus PATCHes pods/<name>/status when what we want differs from what
// the API shows.
func (m *podManager) syncStatus(ctx context.Context, w *podWorker, now time.Time) error {
	if w.adopted {
		// We never ran it: the API's status is the only truth there is.
		return nil
	}
	desired := w.generateStatus(now)
	api := w.pod
	old := &api.Status
	if p := w.posted; p != nil {
		ours := sameVersion(api, p.resultRV) || podStatusEqual(&api.Status, p.result) || podStatusEqual(&api.Status, p.sent)
		behind := sameVersion(api, p.fromRV) || podStatusEqual(&api.Status, p.from)
		if ours || behind {
			// The cache shows our last write, or has not caught up with it:
			// judge by what we sent and diff against what the server made of
			// it. Otherwise a slow informer makes us resend, and a server-side
			// normalisation we do not reproduce makes us loop.
			if podStatusEqual(&desired, p.sent) {
				return nil
			}
			old = p.result
		}
	}
	if old == &api.Status && podStatusEqual(&desired, old) {
		w.posted = &postRecord{from: old.DeepCopy(), sent: desired.DeepCopy(), result: old.DeepCopy(), fromRV: api.ResourceVersion, resultRV: api.ResourceVersion}
		w.apiTerminal = isTerminalPhase(api.Status.Phase)
		return nil
	}
	patch, err := preparePatchBytesForPodStatus(w.uid, old, &desired)
	if err != nil {
		return fmt.Errorf("preparing status patch for pod %s: %w", w.key, err)
	}
	updated, err := m.k.client.CoreV1().Pods(api.Namespace).Patch(ctx, api.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
	if apierrors.IsNotFound(err) {
		// Gone; the informer will tell us.
		return nil
	}
	if err != nil {
		return fmt.Errorf("patching status of pod %s: %w", w.key, err)
	}
	klog.FromContext(ctx).V(3).Info("Patched pod status", "pod", klog.KObj(api), "phase", desired.Phase)
	w.posted = &postRecord{from: old.DeepCopy(), sent: desired.DeepCopy(), result: updated.Status.DeepCopy(), fromRV: api.ResourceVersion, resultRV: updated.ResourceVersion}
	w.apiTerminal = isTerminalPhase(updated.Status.Phase)
	return nil
}

// preparePatchBytesForPodStatus follows statusutil.PatchPodStatus: the UID in
// the patch acts as a precondition, so a recreated pod of the same name is not
// patched with our status.
func preparePatchBytesForPodStatus(uid types.UID, oldStatus, newStatus *corev1.PodStatus) ([]byte, error) {
	oldData, err := json.Marshal(corev1.Pod{Status: *oldStatus})
	if err != nil {
		return nil, err
	}
	newData, err := json.Marshal(corev1.Pod{ObjectMeta: metav1.ObjectMeta{UID: uid}, Status: *newStatus})
	if err != nil {
		return nil, err
	}
	return strategicpatch.CreateTwoWayMergePatch(oldData, newData, corev1.Pod{})
}

// maybeDelete finishes a graceful deletion once the containers are stopped
// and the API shows the terminal phase: DELETE with grace period 0 and a UID
// precondition, as the status manager does.
func (m *podManager) maybeDelete(ctx context.Context, w *podWorker) error {
	if w.deleteSent || w.pod.DeletionTimestamp == nil || !w.terminal || !w.apiTerminal {
		return nil
	}
	if _, mirror := w.pod.Annotations[corev1.MirrorPodAnnotationKey]; mirror {
		return nil
	}
	err := m.k.client.CoreV1().Pods(w.pod.Namespace).Delete(ctx, w.pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: ptr.To[int64](0),
		Preconditions:      metav1.NewUIDPreconditions(string(w.uid)),
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("deleting pod %s: %w", w.key, err)
	}
	klog.FromContext(ctx).V(2).Info("Pod fully terminated and removed from the API", "pod", klog.KObj(w.pod), "podUID", w.uid)
	w.deleteSent = true
	return nil
}
