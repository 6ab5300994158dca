package kubeletlite

import "syscall"

// processAttributes puts a container's process in its own process group, so
// that it and its children are signalled together, and has the kernel
// SIGKILL it if the kubelet's thread that started it dies (a safety net for
// a k1s that is killed: a graceful stop kills every group itself).
func processAttributes() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
