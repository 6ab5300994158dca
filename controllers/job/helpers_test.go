package job

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/ktesting"
	testingclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/k1s-dev/k1s/controllers/internal/controllertest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// harness drives syncJob by hand against a fake clientset. refresh copies the
// clientset's objects into the informer stores (the factory is not started)
// and calls the controller's event handlers for what changed, as the
// informers would, so that expectations are observed.
type harness struct {
	t      *testing.T
	ctx    context.Context
	logger klog.Logger
	clock  *testingclock.FakeClock
	client *fake.Clientset
	jm     *Controller
	rec    *controllertest.Recorder
	jobs   cache.Indexer
	pods   cache.Indexer
	rv     int
	n      int
}

func newHarness(t *testing.T, cfg Config, objs ...runtime.Object) *harness {
	t.Helper()
	logger, ctx := ktesting.NewTestContext(t)
	clk := testingclock.NewFakeClock(t0)
	cfg.Clock = clk
	client := fake.NewClientset(objs...)
	h := &harness{t: t, ctx: ctx, logger: logger, clock: clk, client: client, rec: &controllertest.Recorder{}}
	// The apiserver names pods from generateName and gives them a uid and a
	// creationTimestamp; the fake clientset does none of it.
	client.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		pod := a.(k8stesting.CreateAction).GetObject().(*corev1.Pod)
		h.n++
		pod.Namespace = a.GetNamespace()
		if pod.Name == "" {
			pod.Name = fmt.Sprintf("%s%05d", pod.GenerateName, h.n)
		}
		pod.UID = types.UID(pod.Name + "-uid")
		pod.CreationTimestamp = metav1.NewTime(clk.Now())
		return false, nil, nil
	})
	factory := informers.NewSharedInformerFactory(client, 0)
	jm, err := New(cfg, client, factory, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	jm.recorder = h.rec
	jm.podControl.Recorder = h.rec
	h.jm = jm
	h.jobs = factory.Batch().V1().Jobs().Informer().GetIndexer()
	h.pods = factory.Core().V1().Pods().Informer().GetIndexer()
	h.refresh()
	return h
}

// refresh makes the informer stores hold what the clientset holds, with
// synthetic resourceVersions, and calls the event handlers.
func (h *harness) refresh() {
	h.t.Helper()
	jl, _ := h.client.BatchV1().Jobs("").List(h.ctx, metav1.ListOptions{})
	for i := range jl.Items {
		cur := &jl.Items[i]
		old, ok, _ := h.jobs.Get(cur)
		if ok {
			o := old.(*batchv1.Job)
			cur.ResourceVersion = o.ResourceVersion
			if apiequality.Semantic.DeepEqual(o, cur) {
				continue
			}
			h.rv++
			cur.ResourceVersion = strconv.Itoa(h.rv)
			_ = h.jobs.Update(cur)
			h.jm.updateJob(h.logger, o, cur)
			continue
		}
		h.rv++
		cur.ResourceVersion = strconv.Itoa(h.rv)
		_ = h.jobs.Add(cur)
		h.jm.addJob(h.logger, cur)
	}
	pl, _ := h.client.CoreV1().Pods("").List(h.ctx, metav1.ListOptions{})
	seen := map[string]bool{}
	for i := range pl.Items {
		cur := &pl.Items[i]
		seen[cur.Namespace+"/"+cur.Name] = true
		old, ok, _ := h.pods.Get(cur)
		if ok {
			o := old.(*corev1.Pod)
			cur.ResourceVersion = o.ResourceVersion
			if apiequality.Semantic.DeepEqual(o, cur) {
				continue
			}
			h.rv++
			cur.ResourceVersion = strconv.Itoa(h.rv)
			_ = h.pods.Update(cur)
			h.jm.updatePod(h.logger, o, cur)
			continue
		}
		h.rv++
		cur.ResourceVersion = strconv.Itoa(h.rv)
		_ = h.pods.Add(cur)
		h.jm.addPod(h.logger, cur)
	}
	for _, o := range h.pods.List() {
		p := o.(*corev1.Pod)
		if !seen[p.Namespace+"/"+p.Name] {
			_ = h.pods.Delete(p)
			h.jm.deletePod(h.logger, p, true)
		}
	}
}

func (h *harness) sync(name string) {
	h.t.Helper()
	if err := h.jm.syncJob(h.ctx, "ns/"+name); err != nil {
		h.t.Fatalf("sync: %v", err)
	}
	h.refresh()
}

func (h *harness) job(name string) *batchv1.Job {
	h.t.Helper()
	j, err := h.client.BatchV1().Jobs("ns").Get(h.ctx, name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return j
}

// listPods returns the pods, by name.
func (h *harness) listPods() []corev1.Pod {
	pl, _ := h.client.CoreV1().Pods("ns").List(h.ctx, metav1.ListOptions{})
	slices.SortFunc(pl.Items, func(a, b corev1.Pod) int {
		if a.Name < b.Name {
			return -1
		}
		return 1
	})
	return pl.Items
}

func (h *harness) activePods() []corev1.Pod {
	var out []corev1.Pod
	for _, p := range h.listPods() {
		if p.DeletionTimestamp == nil && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			out = append(out, p)
		}
	}
	return out
}

// finish makes a pod terminate as the kubelet would report it.
func (h *harness) finish(pod corev1.Pod, phase corev1.PodPhase, exitCode int32) {
	h.t.Helper()
	pod.Status.Phase = phase
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "c", State: corev1.ContainerState{
		Terminated: &corev1.ContainerStateTerminated{ExitCode: exitCode, FinishedAt: metav1.NewTime(h.clock.Now())}}}}
	if _, err := h.client.CoreV1().Pods("ns").UpdateStatus(h.ctx, &pod, metav1.UpdateOptions{}); err != nil {
		h.t.Fatal(err)
	}
	h.refresh()
}

// gone removes pods whose deletion was requested and that lost their
// finalizers, as the apiserver would once the kubelet is done.
func (h *harness) reap() {
	for _, p := range h.listPods() {
		if p.DeletionTimestamp != nil && len(p.Finalizers) == 0 {
			_ = h.client.Tracker().Delete(corev1.SchemeGroupVersion.WithResource("pods"), p.Namespace, p.Name)
		}
	}
	h.refresh()
}

// newJob returns a Job as the apiserver defaults it, job-name and
// controller-uid labels included.
func newJob(name string, completions, parallelism int32) *batchv1.Job {
	uid := types.UID(name + "-uid")
	labels := map[string]string{
		batchv1.ControllerUidLabel: string(uid), batchv1.JobNameLabel: name,
		"controller-uid": string(uid), "job-name": name,
	}
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: uid},
		Spec: batchv1.JobSpec{
			Completions:    ptr.To(completions),
			Parallelism:    ptr.To(parallelism),
			BackoffLimit:   ptr.To[int32](6),
			CompletionMode: ptr.To(batchv1.NonIndexedCompletion),
			Selector:       &metav1.LabelSelector{MatchLabels: map[string]string{batchv1.ControllerUidLabel: string(uid)}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					Containers:    []corev1.Container{{Name: "c", Image: "busybox"}},
				},
			},
			PodReplacementPolicy: ptr.To(batchv1.TerminatingOrFailed),
		},
	}
}

func conditionTypes(j *batchv1.Job) []string {
	var out []string
	for _, c := range j.Status.Conditions {
		if c.Status == corev1.ConditionTrue {
			out = append(out, string(c.Type))
		}
	}
	return out
}

func findCondition(j *batchv1.Job, t batchv1.JobConditionType) *batchv1.JobCondition {
	for i := range j.Status.Conditions {
		if j.Status.Conditions[i].Type == t {
			return &j.Status.Conditions[i]
		}
	}
	return nil
}
