// Package framework is the shared harness of k1s's end-to-end tests: it starts isolated
// in-process clusters, hands out clients, runs real kubectl commands in-process, and
// waits for conditions. Scenario helpers used by more than one test belong here.
package framework

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/k1s-dev/k1s/cluster"
	"github.com/k1s-dev/k1s/kubectlcmd"
)

// Cluster is a running test cluster with clients for it.
type Cluster struct {
	*cluster.Cluster
	Client  kubernetes.Interface
	Dynamic dynamic.Interface
}

// Start starts a cluster with cfg (free ports and a temp dir when zero) and stops it when
// the test ends.
func Start(t testing.TB, cfg cluster.Config) *Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := cluster.Start(ctx, cfg)
	if err != nil {
		t.Fatalf("starting cluster: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("stopping cluster: %v", err)
		}
	})
	return &Cluster{
		Cluster: c,
		Client:  kubernetes.NewForConfigOrDie(c.RESTConfig()),
		Dynamic: dynamic.NewForConfigOrDie(c.RESTConfig()),
	}
}

// ProtobufConfig returns a client config that speaks protobuf, as kube components do.
func (c *Cluster) ProtobufConfig() *rest.Config {
	cfg := c.RESTConfig()
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	cfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	return cfg
}

// KubectlResult is what a kubectl command printed.
type KubectlResult struct {
	Stdout, Stderr string
	Err            error
}

// Kubectl runs a real kubectl command in-process against the cluster, with stdin.
func (c *Cluster) KubectlIn(t testing.TB, stdin string, args ...string) KubectlResult {
	t.Helper()
	var out, errOut bytes.Buffer
	err := kubectlcmd.Run(c.Kubeconfig(), args, strings.NewReader(stdin), &out, &errOut)
	return KubectlResult{Stdout: out.String(), Stderr: errOut.String(), Err: err}
}

// Kubectl runs a kubectl command and fails the test if it fails.
func (c *Cluster) Kubectl(t testing.TB, args ...string) string {
	t.Helper()
	r := c.KubectlIn(t, "", args...)
	if r.Err != nil {
		t.Fatalf("kubectl %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.Err, r.Stdout, r.Stderr)
	}
	return r.Stdout
}

// Eventually polls cond every 20ms until it returns true, fails on error or after timeout.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var lastErr error
	err := wait.PollUntilContextCancel(ctx, 20*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		ok, err := cond(ctx)
		if err != nil {
			lastErr = err
			return false, nil
		}
		return ok, nil
	})
	if err != nil {
		t.Fatalf("waiting for %s: %v (last error: %v)", what, err, lastErr)
	}
}
