// Package metrics holds the Job controller's Prometheus metrics, as upstream
// k8s.io/kubernetes/pkg/controller/job/metrics defines them (subsystem "job",
// registered once in component-base's legacy registry), so that dashboards
// built for kube-controller-manager read k1s unchanged.
package metrics
