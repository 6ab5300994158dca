//go:build unix

package kubeletlite

import "syscall"

const (
	processRuntimeSupported = true
	sigTerm                 = syscall.SIGTERM
	sigKill                 = syscall.SIGKILL
)

// killGroup signals the process group led by pid (processes start with
// Setpgid, so their group id is their pid).
func killGroup(pid int, sig syscall.Signal) error {
	if pid <= 0 {
		return nil
	}
	return syscall.Kill(-pid, sig)
}
