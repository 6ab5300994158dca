package kubeletlite

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	goruntime "runtime"
	"strings"
	"sync"
)

// host facts are the same for every simulated node in the process: read them
// once, not 1,000 times.
type hostFacts struct {
	kernelVersion string
	osImage       string
}

var hostInfo = sync.OnceValue(func() hostFacts {
	h := hostFacts{kernelVersion: "unknown", osImage: goruntime.GOOS}
	// Equivalent of `uname -r` on Linux, without cgo or syscall differences.
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		if v := strings.TrimSpace(string(b)); v != "" {
			h.kernelVersion = v
		}
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "PRETTY_NAME="); ok {
				if v = strings.Trim(v, `"'`); v != "" {
					h.osImage = v
				}
			}
		}
	}
	return h
})

type machineIDs struct {
	machineID, systemUUID, bootID string
}

// machineIDsFor derives the IDs a real node reads from /etc/machine-id, DMI and
// /proc: stable per node name, so restarting a kubelet-lite does not look like
// a reboot (a changed bootID makes upstream emit a Rebooted event) or like a
// different machine.
func machineIDsFor(nodeName string) machineIDs {
	sum := func(kind string) []byte {
		s := sha256.Sum256([]byte("k1s/" + kind + "/" + nodeName))
		return s[:16]
	}
	return machineIDs{
		machineID:  hex.EncodeToString(sum("machine-id")),
		systemUUID: uuidString(sum("system-uuid")),
		bootID:     uuidString(sum("boot-id")),
	}
}

// uuidString formats 16 bytes as an RFC 4122 version 4 style UUID.
func uuidString(b []byte) string {
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
