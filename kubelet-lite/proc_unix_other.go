//go:build unix && !linux

package kubeletlite

import "syscall"

// processAttributes puts a container's process in its own process group, so
// that it and its children are signalled together.
func processAttributes() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
