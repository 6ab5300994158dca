// Package util holds the Job helpers upstream keeps in
// k8s.io/kubernetes/pkg/controller/job/util: whether a Job is finished, and
// which condition finished it. Other controllers (a TTL-after-finished or a
// CronJob controller) may use it; it imports only k8s.io/api.
package util
