// Package printers produces the server-side Table representation of served
// objects (what `kubectl get` renders) for k1s.
//
// It is a port of k8s.io/kubernetes pkg/printers (the table generator),
// pkg/printers/storage (the rest.TableConvertor) and the relevant parts of
// pkg/printers/internalversion (column definitions and print funcs), rewritten
// against the external k8s.io/api v1 types because k1s stores and serves those
// directly and has no internal API types. Column names, priorities and cell
// contents are kept identical to upstream so clients see the same tables they
// would get from a real kube-apiserver, and helper names follow upstream so the
// two can be diffed.
//
// This package must never import k8s.io/kubernetes: k1s deliberately avoids
// that module's dependency tree, so upstream helpers are re-implemented here
// instead of being imported.
package printers
