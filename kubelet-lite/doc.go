// Package kubeletlite is k1s's lightweight kubelet: one Kubelet value per
// node, with a simulated container runtime (the default) or a process runtime
// instead of a CRI.
//
// A Kubelet does, against the apiserver and with the node's own client, what a
// v1.37 kubelet does on the node-to-control-plane path (SPEC.md section 1):
//
//   - registers its Node (labels, taints, addresses, capacity and allocatable,
//     nodeInfo, conditions), reconciles an existing one as upstream does, waits
//     for an admin-created Node with RegisterNode=false, and registers again if
//     the Node is deleted while it runs;
//   - renews its Lease in kube-node-lease every 0.25 x leaseDurationSeconds
//     (10 s, jittered), owned by the Node;
//   - computes NodeStatus every NodeStatusUpdateFrequency and PATCHes
//     nodes/<name>/status only when it changed or NodeStatusReportFrequency has
//     passed since the last report;
//   - watches only the pods with spec.nodeName=<node>, admits them against
//     allocatable (rejections end Failed with OutOfcpu, OutOfmemory,
//     OutOfpods, ...), runs them in the simulated runtime, reports their status
//     (phase, container states, conditions, IPs), and finishes graceful
//     deletions with a DELETE of grace period 0 and a UID precondition.
//
// Everything runs on one goroutine per Kubelet plus its two informers; every
// timer is on the injected clock (k8s.io/utils/clock), so a process can hold
// 1,000 kubelets and tests drive time with a fake clock. Test and demo hooks:
// SetReady, SetPressure, PauseHeartbeats / ResumeHeartbeats.
//
// # Simulated containers
//
// Containers do not run anything; pod annotations say what they do. Each key
// also exists per container as "<key>.<container>", which wins over the pod-wide
// key:
//
//	k1s.dev/run-duration   Go duration a container runs, then exits. Unset:
//	                       regular containers and sidecars run until stopped,
//	                       regular init containers complete immediately.
//	k1s.dev/exit-code      exit code (0-255, default 0). Alone, without a run
//	                       duration, the container exits as soon as it starts.
//	k1s.dev/ready-delay    time from start until the container is ready (a
//	                       readiness probe that passes late). Default 0.
//	k1s.dev/stop-duration  time a container needs to stop once asked. Within
//	                       the grace period it exits 0 (Completed); otherwise it
//	                       is killed at the end of the grace period with 137
//	                       (Error). Default 0: it stops at once.
//
// The pod-wide run-duration and exit-code apply to regular containers only;
// init containers and sidecars (init containers with restartPolicy Always) take
// only the per-container keys. Example: a Job pod that fails after 5 s has
// k1s.dev/run-duration: 5s and k1s.dev/exit-code: "1".
//
// Init containers run first, in order; exits follow the restart policy
// (Always/OnFailure restart with restartCount+1 and lastState, the crash-loop
// back-off of 10 s doubling to 5 min applies from the second restart on; Never
// ends the pod Succeeded if all exited 0, else Failed).
//
// Containers log what k1s.dev/log (lines printed at start) and
// k1s.dev/log-interval ("tick <n>" every interval while running) say; the log
// of each run is computed from its start and end times, never stored, and the
// run before the current one is kept for --previous.
//
// # Process runtime
//
// With Config.Runtime "process" (k1s up --runtime process) every container is
// a host process in its own process group, started from its command and args
// (the image is only recorded: a container without a command waits with
// CreateContainerError), with its env (envFrom, $(VAR) expansion, downward API
// fieldRefs, configMap/secret keys; KUBERNETES_SERVICE_HOST/PORT name the
// apiserver the kubelet's own client talks to), in
// <RootDirectory>/<ns>_<pod>_<uid>/<container>/ unless its workingDir is an
// existing absolute path. stdout and stderr go to
// <pod dir>/_logs/<container>/<restartCount>.log in the CRI log format, rotated
// at ContainerLogMaxSize (one rotated file kept). Projected volumes (the
// service account token bound to the pod, ca.crt, namespace) are written to
// <pod dir>/_volumes/<volume>/ and the token renewed at 80% of its lifetime;
// processes cannot see /var/run/secrets, so $K1S_SERVICEACCOUNT_DIR names the
// volume mounted there. A pod's IP is its node's address (each node has its
// own loopback IP), so port-forward and Services dial podIP:port.
//
// Exits drive the same state machine as simulated containers (Completed or
// Error with the exit code, 128+signal when killed, 128/StartError when the
// binary cannot start; restart policies with the crash-loop back-off of
// CrashLoopBackOffInitial/Max). Deletion sends SIGTERM to the process group
// and SIGKILL at the end of the grace period; a process group is killed when
// its main process exits, when its pod is forgotten, and when Run returns
// (SIGTERM, then SIGKILL after 2 s); on Linux Pdeathsig SIGKILL covers a
// kubelet that dies without stopping. It is NOT isolated: no namespaces,
// cgroups, resource limits, probes or image file system.
//
// # Kubelet API
//
// With a ServingCertificate the kubelet serves HTTPS on NodeIP:KubeletPort (or
// KubeletListener): /healthz, /pods, /containerLogs/{ns}/{pod}/{container}
// (follow, tailLines, sinceSeconds, sinceTime, timestamps, previous,
// limitBytes), /stats/summary and /configz. With the process runtime, /exec
// (SPDY remotecommand v2-v4; the apiserver translates WebSocket clients; no
// pty, so a TTY gets plain pipes), /attach (the process's output from then on,
// and its stdin with stdin: true), /portForward (podIP:port) and /run work;
// with the sim runtime they answer 501 "... is not supported by the sim
// runtime". Every request is
// authenticated (client certificates against ClientCA, bearer tokens through
// TokenReview; anonymous gets 401) and authorized through SubjectAccessReview
// with upstream's attributes (nodes/proxy, nodes/pods, nodes/healthz,
// nodes/stats, ...; 403 "Forbidden (user=..., verb=..., resource=nodes,
// subresource(s)=[...])"), both sent with the kubelet's own client and cached
// as the kubelet caches them. Idle, the API costs one listener, one goroutine
// and about 3 KiB of heap per kubelet (the handler is shared); the
// authenticator and authorizer are built on the first request.
//
// # What this package must never do
//
// It knows the control plane only through the kubernetes.Interface it is given:
// it never imports k1s's apiserver, cluster or controllers packages (nor
// k8s.io/kubernetes), never reads etcd, and never writes objects other than its
// own Node, Lease, Events and the pods bound to its node, so that it behaves the
// same in-process and across a network with NodeRestriction enforced.
package kubeletlite
