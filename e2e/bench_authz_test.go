package e2e

import (
	"context"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/k1s-dev/k1s/cluster"
	"github.com/k1s-dev/k1s/e2e/framework"
	"github.com/k1s-dev/k1s/pki"
)

// BenchmarkGetLatencyAuthz compares the median latency of a GET by system:masters (the
// privileged-group authorizer answers) with the same GET by a user whose access comes
// from a RoleBinding (the Node authorizer, then RBAC, decide). Target: RBAC adds at most
// 10%.
func BenchmarkGetLatencyAuthz(b *testing.B) {
	c := framework.Start(b, cluster.Config{})
	ctx := context.Background()
	if _, err := c.Client.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "target"}}, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	if _, err := c.Client.RbacV1().RoleBindings("default").Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "alice-view"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "alice"}},
	}, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	kp, err := c.CA().EnsureClient(b.TempDir(), "alice", pki.ClientSpec{CommonName: "alice"})
	if err != nil {
		b.Fatal(err)
	}
	certPEM, keyPEM, _ := kp.Load()
	alice := kubernetes.NewForConfigOrDie(&rest.Config{Host: c.RESTConfig().Host, QPS: -1, Burst: -1,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.CA().CertPEM(), CertData: certPEM, KeyData: keyPEM}})
	admin := c.Client
	framework.Eventually(b, 30*time.Second, "alice's RoleBinding to reach the RBAC informer", func(ctx context.Context) (bool, error) {
		_, err := alice.CoreV1().ConfigMaps("default").Get(ctx, "target", metav1.GetOptions{})
		return err == nil, nil
	})

	get := func(client kubernetes.Interface) time.Duration {
		start := time.Now()
		if _, err := client.CoreV1().ConfigMaps("default").Get(ctx, "target", metav1.GetOptions{}); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	var adminTimes, aliceTimes []time.Duration
	for b.Loop() {
		// Interleaved, so both see the same machine load.
		for range 200 {
			adminTimes = append(adminTimes, get(admin))
			aliceTimes = append(aliceTimes, get(alice))
		}
	}
	median := func(d []time.Duration) time.Duration { slices.Sort(d); return d[len(d)/2] }
	m, a := median(adminTimes), median(aliceTimes)
	b.ReportMetric(float64(m.Microseconds()), "µs-median-masters")
	b.ReportMetric(float64(a.Microseconds()), "µs-median-rbac")
	b.ReportMetric(100*(float64(a)/float64(m)-1), "%-rbac-overhead")
}
