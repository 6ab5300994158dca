// Package util holds the Deployment helpers upstream keeps in
// k8s.io/kubernetes/pkg/controller/deployment/util (and the label helpers of
// pkg/util/labels): revision and replica annotations, conditions, fenceposts
// for maxSurge and maxUnavailable, finding the new and old ReplicaSets, and
// proportional scaling. Names, annotation keys, reasons and messages are
// upstream's, because kubectl and other clients read them.
//
// It must never import another k1s package except controllers/internal ones,
// nor k8s.io/kubernetes.
package util
