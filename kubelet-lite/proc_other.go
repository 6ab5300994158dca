//go:build !unix

package kubeletlite

import (
	"errors"
	"syscall"
)

// The process runtime needs process groups and signals; Config.Validate
// refuses it elsewhere.
const (
	processRuntimeSupported = false
	sigTerm                 = syscall.Signal(15)
	sigKill                 = syscall.Signal(9)
)

func killGroup(int, syscall.Signal) error { return errors.New("process groups are not supported") }

func processAttributes() *syscall.SysProcAttr { return nil }
