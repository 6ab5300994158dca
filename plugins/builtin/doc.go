// Package builtin serves the cloud providers built into the k1s binary. The
// host starts a built-in provider by re-executing its own binary as
// `<binary> plugin cloud NAME` (cloud.ResolveCommand with Builtins: Names), so
// a built-in provider runs in its own process behind the same go-plugin
// protocol as an external k1s-cloud-NAME binary.
//
// Every binary that may start a cluster with a built-in provider calls
// MaybeServe first thing in main (or TestMain, for a test binary): in the
// re-executed process it serves the provider and exits; otherwise it returns
// at once.
//
// This package wires providers to the plugin SDK and nothing else: it must
// not import cluster, the apiserver, controllers or kubelet-lite.
package builtin
