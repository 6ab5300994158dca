package kubectlcmd

import (
	"fmt"
	_ "unsafe" // for go:linkname

	"k8s.io/component-base/version"
)

// ClientVersion is the version `kubectl version` reports when the build did not set one:
// the Kubernetes release of the k8s.io/kubectl module in go.mod (v0.37.2 is v1.37.2),
// marked as k1s's build of it exactly as the Makefile's -ldflags mark it. Keep both in
// step with go.mod; TestClientVersionMatchesGoMod checks this one.
const ClientVersion = "v1.37.2+k1s"

// kubectl's own version comes from k8s.io/component-base/version, which only -ldflags set
// (the Makefile's build does). Any other build (go build, go install, go test, and so the
// e2e tests) keeps the placeholder "v0.0.0-master+$Format:%H$", which is not semver:
// `kubectl version` then prints and exits 1 with "client version error", where upstream's
// kubectl exits 0. The variables are unexported, hence the linknames.

//go:linkname gitVersion k8s.io/component-base/version.gitVersion
var gitVersion string

//go:linkname gitMajor k8s.io/component-base/version.gitMajor
var gitMajor string

//go:linkname gitMinor k8s.io/component-base/version.gitMinor
var gitMinor string

const unsetGitVersion = "v0.0.0-master+$Format:%H$"

func init() {
	if version.Get().GitVersion != unsetGitVersion {
		return // set at link time
	}
	var major, minor int
	if _, err := fmt.Sscanf(ClientVersion, "v%d.%d.", &major, &minor); err != nil {
		panic(fmt.Sprintf("ClientVersion %q: %v", ClientVersion, err))
	}
	gitVersion, gitMajor, gitMinor = ClientVersion, fmt.Sprint(major), fmt.Sprint(minor)
	// The dynamic version was initialized from the placeholder; equal to gitVersion now, so valid.
	if err := version.SetDynamicVersion(gitVersion); err != nil {
		panic(err)
	}
}
