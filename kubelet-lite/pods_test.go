package kubeletlite

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"
)

func TestPodAdmission(t *testing.T) {
	tests := []struct {
		name        string
		existing    []*corev1.Pod
		pod         *corev1.Pod
		wantReason  string
		wantMessage string
	}{
		{
			name:        "cpu",
			pod:         withRequests(newPod("big", nil), "2", "1Mi"),
			wantReason:  "OutOfcpu",
			wantMessage: "Pod was rejected: Node didn't have enough resource: cpu, requested: 2000, used: 0, capacity: 1000",
		},
		{
			name:        "cpu used by admitted pods",
			existing:    []*corev1.Pod{withRequests(newPod("first", nil), "600m", "1Mi")},
			pod:         withRequests(newPod("second", nil), "500m", "1Mi"),
			wantReason:  "OutOfcpu",
			wantMessage: "Pod was rejected: Node didn't have enough resource: cpu, requested: 500, used: 600, capacity: 1000",
		},
		{
			name:        "memory",
			pod:         withRequests(newPod("fat", nil), "100m", "3Gi"),
			wantReason:  "OutOfmemory",
			wantMessage: "Pod was rejected: Node didn't have enough resource: memory, requested: 3221225472, used: 0, capacity: 2147483648",
		},
		{
			name:        "pods",
			existing:    []*corev1.Pod{newPod("p1", nil), newPod("p2", nil)},
			pod:         newPod("p3", nil),
			wantReason:  "OutOfpods",
			wantMessage: "Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: 2, capacity: 2",
		},
		{
			name: "fits",
			pod:  withRequests(newPod("small", nil), "1", "2Gi"),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(c *Config) {
				c.Capacity = corev1.ResourceList{"cpu": resource.MustParse("1"), "memory": resource.MustParse("2Gi"), "pods": resource.MustParse("2")}
			})
			h.start()
			for _, p := range tc.existing {
				h.createPod(p)
				h.settle()
				if got := h.pod(p.Namespace, p.Name).Status.Phase; got != corev1.PodRunning {
					t.Fatalf("existing pod %s phase %q", p.Name, got)
				}
			}
			h.createPod(tc.pod)
			h.settle()
			got := h.pod(tc.pod.Namespace, tc.pod.Name)
			if tc.wantReason == "" {
				if got.Status.Phase != corev1.PodRunning {
					t.Fatalf("phase = %q, want Running (%s)", got.Status.Phase, got.Status.Message)
				}
				return
			}
			if got.Status.Phase != corev1.PodFailed || got.Status.Reason != tc.wantReason || got.Status.Message != tc.wantMessage {
				t.Errorf("status = %q %q %q, want Failed %q %q", got.Status.Phase, got.Status.Reason, got.Status.Message, tc.wantReason, tc.wantMessage)
			}
			if got.Status.QOSClass == "" || got.Status.StartTime == nil {
				t.Errorf("qosClass/startTime missing: %+v", got.Status)
			}
			if len(got.Status.ContainerStatuses) != 0 || got.Status.PodIP != "" {
				t.Errorf("rejected pod must not run: %+v", got.Status)
			}
		})
	}
}

func TestRunningPodStatus(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	p := newPod("web", map[string]string{AnnotationReadyDelay + ".b": "5s"}, "b", "a")
	p.Status.QOSClass = corev1.PodQOSBestEffort
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(testStart.Add(-time.Minute))}}
	h.createPod(p)
	h.settle()

	got := h.pod("default", "web")
	s := got.Status
	if s.Phase != corev1.PodRunning || s.HostIP != "127.0.1.7" || s.PodIP != "127.0.1.7" || !s.StartTime.Time.Equal(testStart) || s.QOSClass != corev1.PodQOSBestEffort {
		t.Fatalf("status = %+v", s)
	}
	if diff := cmp.Diff([]corev1.HostIP{{IP: "127.0.1.7"}}, s.HostIPs); diff != "" {
		t.Errorf("hostIPs (-want +got):\n%s", diff)
	}
	if len(s.ContainerStatuses) != 2 || s.ContainerStatuses[0].Name != "a" || s.ContainerStatuses[1].Name != "b" {
		t.Fatalf("container statuses must be sorted by name: %+v", s.ContainerStatuses)
	}
	a := s.ContainerStatuses[0]
	if !a.Ready || !*a.Started || a.State.Running == nil || !a.State.Running.StartedAt.Time.Equal(testStart) ||
		!strings.HasPrefix(a.ContainerID, "k1s://") || !strings.HasPrefix(a.ImageID, "k1s://sha256:") || a.Image != "registry.k8s.io/pause:3.10" {
		t.Errorf("container a = %+v", a)
	}
	if b := s.ContainerStatuses[1]; b.Ready || !*b.Started {
		t.Errorf("container b must be started but not ready yet: %+v", b)
	}
	wantConds := map[corev1.PodConditionType][3]string{
		corev1.PodReadyToStartContainers: {"True", "", ""},
		corev1.PodInitialized:            {"True", "", ""},
		corev1.ContainersReady:           {"False", "ContainersNotReady", "containers with unready status: [b]"},
		corev1.PodReady:                  {"False", "ContainersNotReady", "containers with unready status: [b]"},
		corev1.PodScheduled:              {"True", "", ""},
	}
	for ct, w := range wantConds {
		c := podCondition(got, ct)
		if c == nil {
			t.Errorf("condition %s missing", ct)
			continue
		}
		if g := [3]string{string(c.Status), c.Reason, c.Message}; g != w {
			t.Errorf("%s = %v, want %v", ct, g, w)
		}
	}
	if c := podCondition(got, corev1.PodScheduled); !c.LastTransitionTime.Time.Equal(testStart.Add(-time.Minute)) {
		t.Errorf("PodScheduled transition time must be kept: %v", c.LastTransitionTime)
	}

	h.step(5 * time.Second)
	got = h.pod("default", "web")
	if c := podCondition(got, corev1.PodReady); c.Status != corev1.ConditionTrue || !c.LastTransitionTime.Time.Equal(testStart.Add(5*time.Second)) {
		t.Errorf("Ready after delay = %+v", c)
	}
	if c := podCondition(got, corev1.PodInitialized); !c.LastTransitionTime.Time.Equal(testStart) {
		t.Errorf("unchanged condition kept its transition time: %+v", c)
	}
	// Nothing changes any more: no further writes.
	patches := h.count("patch", "pods", "status")
	h.advance(time.Minute, 10*time.Second)
	if got := h.count("patch", "pods", "status"); got != patches {
		t.Errorf("%d status patches for an unchanged pod", got-patches)
	}
}

func TestPodPhases(t *testing.T) {
	tests := []struct {
		name        string
		policy      corev1.RestartPolicy
		annotations map[string]string
		after       time.Duration
		wantPhase   corev1.PodPhase
		wantState   string // running, waiting, terminated
		wantCode    int32
		wantReason  string
		wantRestart int32
		wantLast    bool
	}{
		{name: "never, exit 0", policy: corev1.RestartPolicyNever, annotations: map[string]string{AnnotationRunDuration: "30s"},
			after: 30 * time.Second, wantPhase: corev1.PodSucceeded, wantState: "terminated", wantReason: "Completed"},
		{name: "never, exit 3", policy: corev1.RestartPolicyNever, annotations: map[string]string{AnnotationRunDuration: "30s", AnnotationExitCode: "3"},
			after: 30 * time.Second, wantPhase: corev1.PodFailed, wantState: "terminated", wantCode: 3, wantReason: "Error"},
		{name: "still running before the duration", policy: corev1.RestartPolicyNever, annotations: map[string]string{AnnotationRunDuration: "30s"},
			after: 29 * time.Second, wantPhase: corev1.PodRunning, wantState: "running"},
		{name: "onfailure, exit 0 completes", policy: corev1.RestartPolicyOnFailure, annotations: map[string]string{AnnotationRunDuration: "10s"},
			after: 10 * time.Second, wantPhase: corev1.PodSucceeded, wantState: "terminated", wantReason: "Completed"},
		{name: "onfailure, exit 1 restarts at once the first time", policy: corev1.RestartPolicyOnFailure, annotations: map[string]string{AnnotationRunDuration: "10s", AnnotationExitCode: "1"},
			after: 10 * time.Second, wantPhase: corev1.PodRunning, wantState: "running", wantRestart: 1, wantLast: true},
		{name: "always, second exit backs off", policy: corev1.RestartPolicyAlways, annotations: map[string]string{AnnotationRunDuration: "10s"},
			after: 20 * time.Second, wantPhase: corev1.PodRunning, wantState: "waiting", wantReason: "CrashLoopBackOff", wantRestart: 1, wantLast: true},
		{name: "always, restarted after 10s back-off", policy: corev1.RestartPolicyAlways, annotations: map[string]string{AnnotationRunDuration: "10s"},
			after: 30 * time.Second, wantPhase: corev1.PodRunning, wantState: "running", wantRestart: 2, wantLast: true},
		{name: "always, back-off doubles", policy: corev1.RestartPolicyAlways, annotations: map[string]string{AnnotationExitCode: "1"},
			after: 60 * time.Second, wantPhase: corev1.PodRunning, wantState: "waiting", wantReason: "CrashLoopBackOff", wantRestart: 3, wantLast: true},
		{name: "per-container exit code wins", policy: corev1.RestartPolicyNever, annotations: map[string]string{AnnotationRunDuration: "5s", AnnotationExitCode: "0", AnnotationExitCode + ".app": "7"},
			after: 5 * time.Second, wantPhase: corev1.PodFailed, wantState: "terminated", wantCode: 7, wantReason: "Error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.start()
			p := newPod("job", tc.annotations)
			p.Spec.RestartPolicy = tc.policy
			h.createPod(p)
			h.settle()
			// One big step: the runtime replays every transition in between.
			h.step(tc.after)
			got := h.pod("default", "job")
			if got.Status.Phase != tc.wantPhase {
				t.Fatalf("phase = %q, want %q; status %+v", got.Status.Phase, tc.wantPhase, got.Status)
			}
			cs := got.Status.ContainerStatuses[0]
			state := "running"
			reason := ""
			var code int32
			switch {
			case cs.State.Waiting != nil:
				state, reason = "waiting", cs.State.Waiting.Reason
			case cs.State.Terminated != nil:
				state, reason, code = "terminated", cs.State.Terminated.Reason, cs.State.Terminated.ExitCode
			}
			if state != tc.wantState || reason != tc.wantReason || code != tc.wantCode || cs.RestartCount != tc.wantRestart {
				t.Errorf("container = %s/%s/%d restarts %d, want %s/%s/%d restarts %d: %+v", state, reason, code, cs.RestartCount,
					tc.wantState, tc.wantReason, tc.wantCode, tc.wantRestart, cs)
			}
			if (cs.LastTerminationState.Terminated != nil) != tc.wantLast {
				t.Errorf("lastState = %+v", cs.LastTerminationState)
			}
			if tc.wantReason == "CrashLoopBackOff" && !strings.HasPrefix(cs.State.Waiting.Message, "back-off ") {
				t.Errorf("back-off message = %q", cs.State.Waiting.Message)
			}
			if tc.wantPhase == corev1.PodSucceeded {
				if c := podCondition(got, corev1.PodReady); c.Status != corev1.ConditionFalse || c.Reason != "PodCompleted" {
					t.Errorf("Ready = %+v", c)
				}
				if c := podCondition(got, corev1.PodReadyToStartContainers); c.Status != corev1.ConditionFalse {
					t.Errorf("sandbox must be gone: %+v", c)
				}
			}
			if tc.wantPhase == corev1.PodFailed {
				if c := podCondition(got, corev1.PodReady); c.Status != corev1.ConditionFalse || c.Reason != "PodFailed" {
					t.Errorf("Ready = %+v", c)
				}
			}
		})
	}
}

func TestCrashLoopBackOffMessage(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	h.createPod(newPod("crash", map[string]string{AnnotationExitCode: "1"}))
	h.settle()
	cs := h.pod("default", "crash").Status.ContainerStatuses[0]
	want := "back-off 10s restarting failed container=app pod=crash_default(uid-crash)"
	if cs.State.Waiting == nil || cs.State.Waiting.Message != want || cs.RestartCount != 1 {
		t.Fatalf("status = %+v, want waiting %q", cs, want)
	}
	if last := cs.LastTerminationState.Terminated; last == nil || last.ExitCode != 1 || last.Reason != "Error" {
		t.Errorf("lastState = %+v", cs.LastTerminationState)
	}
}

func TestInitContainersRunInOrder(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	p := newPod("init", map[string]string{
		AnnotationRunDuration + ".first":  "5s",
		AnnotationRunDuration + ".second": "5s",
		AnnotationRunDuration:             "1h", // pod-wide: regular containers only
	})
	p.Spec.InitContainers = []corev1.Container{{Name: "first", Image: "busybox"}, {Name: "second", Image: "busybox"}}
	h.createPod(p)
	h.settle()

	got := h.pod("default", "init")
	if got.Status.Phase != corev1.PodPending {
		t.Fatalf("phase = %q", got.Status.Phase)
	}
	ics := got.Status.InitContainerStatuses
	if ics[0].State.Running == nil || ics[1].State.Waiting == nil || ics[1].State.Waiting.Reason != "PodInitializing" {
		t.Fatalf("init statuses = %+v", ics)
	}
	if w := got.Status.ContainerStatuses[0].State.Waiting; w == nil || w.Reason != "PodInitializing" {
		t.Errorf("app must wait for init: %+v", got.Status.ContainerStatuses[0])
	}
	if c := podCondition(got, corev1.PodInitialized); c.Status != corev1.ConditionFalse || c.Reason != "ContainersNotInitialized" ||
		c.Message != "containers with incomplete status: [first second]" {
		t.Errorf("Initialized = %+v", c)
	}

	h.step(5 * time.Second)
	ics = h.pod("default", "init").Status.InitContainerStatuses
	if ics[0].State.Terminated == nil || !ics[0].Ready || ics[1].State.Running == nil {
		t.Fatalf("after 5s init statuses = %+v", ics)
	}
	h.step(5 * time.Second)
	got = h.pod("default", "init")
	if got.Status.Phase != corev1.PodRunning || got.Status.ContainerStatuses[0].State.Running == nil {
		t.Fatalf("after 10s status = %+v", got.Status)
	}
	if start := got.Status.ContainerStatuses[0].State.Running.StartedAt.Time; !start.Equal(testStart.Add(10 * time.Second)) {
		t.Errorf("app started at %v", start)
	}
	if c := podCondition(got, corev1.PodInitialized); c.Status != corev1.ConditionTrue {
		t.Errorf("Initialized = %+v", c)
	}
}

func TestInitContainerFailureWithNeverFailsPod(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	p := newPod("initfail", map[string]string{AnnotationExitCode + ".setup": "2"})
	p.Spec.RestartPolicy = corev1.RestartPolicyNever
	p.Spec.InitContainers = []corev1.Container{{Name: "setup", Image: "busybox"}}
	h.createPod(p)
	h.settle()
	got := h.pod("default", "initfail")
	if got.Status.Phase != corev1.PodFailed {
		t.Fatalf("phase = %q: %+v", got.Status.Phase, got.Status)
	}
	if st := got.Status.InitContainerStatuses[0].State.Terminated; st == nil || st.ExitCode != 2 {
		t.Errorf("init status = %+v", got.Status.InitContainerStatuses[0])
	}
	if st := got.Status.ContainerStatuses[0].State.Waiting; st == nil {
		t.Errorf("app must never have started: %+v", got.Status.ContainerStatuses[0])
	}
}

func TestGracefulDeletion(t *testing.T) {
	tests := []struct {
		name        string
		annotations map[string]string
		grace       int64
		stopAfter   time.Duration // when the pod should be deleted
		wantCode    int32
		wantReason  string
		wantPhase   corev1.PodPhase
	}{
		{name: "stops at once", grace: 30, wantCode: 0, wantReason: "Completed", wantPhase: corev1.PodSucceeded},
		{name: "slow stop within grace", annotations: map[string]string{AnnotationStopDuration: "5s"}, grace: 30,
			stopAfter: 5 * time.Second, wantCode: 0, wantReason: "Completed", wantPhase: corev1.PodSucceeded},
		{name: "killed at the end of the grace period", annotations: map[string]string{AnnotationStopDuration: "1m"}, grace: 10,
			stopAfter: 10 * time.Second, wantCode: 137, wantReason: "Error", wantPhase: corev1.PodFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			// Observe the final status as it is written, before the delete.
			var final *corev1.Pod
			h.client.PrependReactor("delete", "pods", func(action clienttesting.Action) (bool, runtime.Object, error) {
				p, err := h.client.Tracker().Get(corev1.SchemeGroupVersion.WithResource("pods"), "default", "web")
				if err == nil {
					final = p.(*corev1.Pod).DeepCopy()
				}
				return false, nil, nil
			})
			h.start()
			h.createPod(newPod("web", tc.annotations))
			h.settle()

			// What the apiserver does on a graceful DELETE.
			p := h.pod("default", "web")
			p.DeletionTimestamp = ptr.To(metav1.NewTime(h.clock.Now().Add(time.Duration(tc.grace) * time.Second)))
			p.DeletionGracePeriodSeconds = ptr.To(tc.grace)
			if _, err := h.client.CoreV1().Pods("default").Update(context.Background(), p, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			h.settle()
			if tc.stopAfter > 0 {
				if h.count("delete", "pods", "") != 0 {
					t.Fatalf("deleted before the containers stopped")
				}
				h.step(tc.stopAfter)
			}
			var del clienttesting.DeleteActionImpl
			n := 0
			for _, a := range h.client.Actions() {
				if d, ok := a.(clienttesting.DeleteActionImpl); ok && d.GetResource().Resource == "pods" {
					del, n = d, n+1
				}
			}
			if n != 1 {
				t.Fatalf("pod deletes = %d, want 1", n)
			}
			if del.DeleteOptions.GracePeriodSeconds == nil || *del.DeleteOptions.GracePeriodSeconds != 0 ||
				del.DeleteOptions.Preconditions == nil || *del.DeleteOptions.Preconditions.UID != "uid-web" {
				t.Errorf("delete options = %+v", del.DeleteOptions)
			}
			if final == nil {
				t.Fatal("pod gone before the delete")
			}
			term := final.Status.ContainerStatuses[0].State.Terminated
			if final.Status.Phase != tc.wantPhase || term == nil || term.ExitCode != tc.wantCode || term.Reason != tc.wantReason {
				t.Errorf("final status = %q %+v", final.Status.Phase, final.Status.ContainerStatuses[0])
			}
			if term != nil && !term.FinishedAt.Time.Equal(testStart.Add(tc.stopAfter)) {
				t.Errorf("finishedAt = %v, want %v", term.FinishedAt, testStart.Add(tc.stopAfter))
			}
		})
	}
}

func TestPodIPsFromPodCIDR(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	n := h.node()
	n.Spec.PodCIDR = "10.244.3.0/24"
	n.Spec.PodCIDRs = []string{"10.244.3.0/24", "fd00:10:244:3::/64"}
	if _, err := h.client.CoreV1().Nodes().Update(context.Background(), n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.settle()
	for _, name := range []string{"p1", "p2"} {
		p := newPod(name, nil)
		p.CreationTimestamp = metav1.NewTime(testStart.Add(time.Duration(len(name)) * time.Second))
		h.createPod(p)
		h.settle()
	}
	hostNet := newPod("hostnet", nil)
	hostNet.Spec.HostNetwork = true
	h.createPod(hostNet)
	h.settle()

	want := map[string][]corev1.PodIP{
		"p1":      {{IP: "10.244.3.2"}, {IP: "fd00:10:244:3::2"}},
		"p2":      {{IP: "10.244.3.3"}, {IP: "fd00:10:244:3::3"}},
		"hostnet": {{IP: "127.0.1.7"}},
	}
	for name, ips := range want {
		got := h.pod("default", name).Status
		if diff := cmp.Diff(ips, got.PodIPs); diff != "" || got.PodIP != ips[0].IP {
			t.Errorf("%s podIPs (-want +got):\n%s", name, diff)
		}
	}
}

func TestPodStatusResyncAfterForeignChange(t *testing.T) {
	// The node lifecycle controller marks pods not ready when the node is
	// unreachable; a kubelet that is back restores its view.
	h := newHarness(t, nil)
	h.start()
	h.createPod(newPod("web", nil))
	h.settle()
	p := h.pod("default", "web")
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == corev1.PodReady {
			p.Status.Conditions[i].Status = corev1.ConditionFalse
		}
	}
	if _, err := h.client.CoreV1().Pods("default").UpdateStatus(context.Background(), p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.settle()
	if c := podCondition(h.pod("default", "web"), corev1.PodReady); c.Status != corev1.ConditionTrue {
		t.Errorf("Ready = %+v", c)
	}
}

func TestSidecarStartsBeforeAppAndStopsWithIt(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	p := newPod("job", map[string]string{AnnotationRunDuration: "20s", AnnotationReadyDelay + ".proxy": "2s"})
	p.Spec.RestartPolicy = corev1.RestartPolicyNever
	p.Spec.InitContainers = []corev1.Container{
		{Name: "proxy", Image: "envoy", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways)},
		{Name: "migrate", Image: "busybox"},
	}
	h.createPod(p)
	h.settle()
	got := h.pod("default", "job")
	ics := got.Status.InitContainerStatuses
	if ics[0].State.Running == nil || ics[1].State.Terminated == nil || got.Status.ContainerStatuses[0].State.Running == nil {
		t.Fatalf("sidecar must run, init complete, app run: %+v", got.Status)
	}
	if c := podCondition(got, corev1.ContainersReady); c.Message != "containers with unready status: [proxy]" {
		t.Errorf("ContainersReady = %+v", c)
	}
	h.step(2 * time.Second)
	if c := podCondition(h.pod("default", "job"), corev1.PodReady); c.Status != corev1.ConditionTrue {
		t.Errorf("Ready = %+v", c)
	}
	h.step(18 * time.Second)
	got = h.pod("default", "job")
	if got.Status.Phase != corev1.PodSucceeded {
		t.Fatalf("phase = %q", got.Status.Phase)
	}
	if st := got.Status.InitContainerStatuses[0].State.Terminated; st == nil || st.ExitCode != 0 {
		t.Errorf("sidecar must be stopped with the pod: %+v", got.Status.InitContainerStatuses[0])
	}
}

func TestDeletedWhileCrashLooping(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	h.createPod(newPod("crash", map[string]string{AnnotationExitCode: "1"}))
	h.settle()
	p := h.pod("default", "crash")
	p.DeletionTimestamp = ptr.To(metav1.NewTime(h.clock.Now().Add(30 * time.Second)))
	p.DeletionGracePeriodSeconds = ptr.To[int64](30)
	if _, err := h.client.CoreV1().Pods("default").Update(context.Background(), p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.settle()
	if got := h.count("delete", "pods", ""); got != 1 {
		t.Fatalf("deletes = %d", got)
	}
	for _, a := range h.client.Actions() {
		if pa, ok := a.(clienttesting.PatchActionImpl); ok && a.GetResource().Resource == "pods" && strings.Contains(string(pa.GetPatch()), "ContainerStatusUnknown") {
			return
		}
	}
	t.Errorf("final status must report the waiting container as ContainerStatusUnknown")
}

func TestPauseDefersPodWrites(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	h.k.PauseHeartbeats()
	h.createPod(newPod("web", map[string]string{AnnotationRunDuration: "5s"}))
	h.settle()
	h.step(10 * time.Second)
	if got := h.count("patch", "pods", "status"); got != 0 {
		t.Fatalf("pod status written while paused: %d patches", got)
	}
	h.k.ResumeHeartbeats()
	h.settle()
	got := h.pod("default", "web")
	cs := got.Status.ContainerStatuses
	if got.Status.Phase != corev1.PodRunning || len(cs) != 1 || cs[0].State.Waiting == nil || cs[0].RestartCount != 1 {
		t.Errorf("status after resume = %+v", got.Status)
	}
}
