package kubeletlite

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/clock"
)

func TestValidate(t *testing.T) {
	client := fake.NewClientset()
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr []string // substrings; none means valid
	}{
		{name: "minimal"},
		{name: "no name", mutate: func(c *Config) { c.NodeName = " " }, wantErr: []string{"--hostname-override"}},
		{name: "invalid name", mutate: func(c *Config) { c.NodeName = "a_b" }, wantErr: []string{"--hostname-override", "a_b"}},
		{name: "upper case is normalised", mutate: func(c *Config) { c.NodeName = " Node-A " }},
		{name: "no client", mutate: func(c *Config) { c.Client = nil }, wantErr: []string{"--kubeconfig"}},
		{name: "external cloud", mutate: func(c *Config) { c.CloudProvider = "external" }},
		{name: "in-tree cloud", mutate: func(c *Config) { c.CloudProvider = "aws" },
			wantErr: []string{`--cloud-provider: cloud provider "aws" was specified, but built-in cloud providers are disabled. Please set --cloud-provider=external and migrate to an external cloud provider`}},
		{name: "allowed kubelet labels", mutate: func(c *Config) {
			c.NodeLabels = map[string]string{"node.kubernetes.io/instance-type": "m5", "x.kubelet.kubernetes.io/a": "b", "topology.kubernetes.io/zone": "z1", "example.com/team": "blue"}
		}},
		{name: "forbidden kubernetes.io label", mutate: func(c *Config) { c.NodeLabels = map[string]string{"node-role.kubernetes.io/control-plane": ""} },
			wantErr: []string{"--node-labels: unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: [node-role.kubernetes.io/control-plane]"}},
		{name: "invalid label value", mutate: func(c *Config) { c.NodeLabels = map[string]string{"example.com/x": "a b"} }, wantErr: []string{"--node-labels", "a b"}},
		{name: "bad taint effect", mutate: func(c *Config) { c.RegisterWithTaints = []corev1.Taint{{Key: "k", Effect: "Sometimes"}} },
			wantErr: []string{"--register-with-taints[0]: invalid effect"}},
		{name: "negative update frequency", mutate: func(c *Config) { c.NodeStatusUpdateFrequency = -time.Second }, wantErr: []string{"--node-status-update-frequency"}},
		{name: "negative report frequency", mutate: func(c *Config) { c.NodeStatusReportFrequency = -time.Second }, wantErr: []string{"nodeStatusReportFrequency"}},
		{name: "negative lease duration", mutate: func(c *Config) { c.NodeLeaseDurationSeconds = -1 }, wantErr: []string{"nodeLeaseDurationSeconds"}},
		{name: "negative reservation", mutate: func(c *Config) { c.KubeReserved = corev1.ResourceList{"cpu": resource.MustParse("-1")} }, wantErr: []string{"--kube-reserved"}},
		{name: "several errors at once", mutate: func(c *Config) { c.NodeName = ""; c.Client = nil }, wantErr: []string{"--hostname-override", "--kubeconfig"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := NewConfig("node-a", client)
			if tc.mutate != nil {
				tc.mutate(&cfg)
			}
			err := cfg.Validate()
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				if _, err := New(cfg); err != nil {
					t.Fatalf("New() = %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want error with %q", tc.wantErr)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if _, err := New(cfg); err == nil {
				t.Errorf("New accepted an invalid config")
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	tests := []struct {
		name                   string
		update, report         time.Duration
		wantUpdate, wantReport time.Duration
	}{
		{name: "both unset", wantUpdate: 10 * time.Second, wantReport: 5 * time.Minute},
		{name: "only update set", update: 20 * time.Second, wantUpdate: 20 * time.Second, wantReport: 20 * time.Second},
		{name: "only report set", report: time.Minute, wantUpdate: 10 * time.Second, wantReport: time.Minute},
		{name: "both set", update: 20 * time.Second, report: time.Minute, wantUpdate: 20 * time.Second, wantReport: time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := NewConfig(" Node-A", fake.NewClientset())
			cfg.NodeStatusUpdateFrequency, cfg.NodeStatusReportFrequency = tc.update, tc.report
			k, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			got := k.cfg
			if got.NodeStatusUpdateFrequency != tc.wantUpdate || got.NodeStatusReportFrequency != tc.wantReport {
				t.Errorf("frequencies = %v/%v, want %v/%v", got.NodeStatusUpdateFrequency, got.NodeStatusReportFrequency, tc.wantUpdate, tc.wantReport)
			}
			if got.NodeName != "node-a" || k.NodeName() != "node-a" {
				t.Errorf("node name = %q", got.NodeName)
			}
			if got.NodeLeaseDurationSeconds != 40 || k.renewInterval != 10*time.Second || got.KubeletPort != 10250 || got.KubeletVersion != "v1.37.2" {
				t.Errorf("defaults = %+v renew %v", got, k.renewInterval)
			}
			if _, ok := got.Clock.(clock.RealClock); !ok {
				t.Errorf("clock = %T", got.Clock)
			}
			if got.Capacity.Pods().Value() != 110 || got.Capacity.Cpu().IsZero() || got.Capacity.Memory().IsZero() || got.Capacity.StorageEphemeral().IsZero() {
				t.Errorf("capacity = %v", got.Capacity)
			}
		})
	}
	if got := ReportFrequencyDefault(0); got != 5*time.Minute {
		t.Errorf("ReportFrequencyDefault(0) = %v", got)
	}
	if got := ReportFrequencyDefault(4 * time.Second); got != 4*time.Second {
		t.Errorf("ReportFrequencyDefault(4s) = %v", got)
	}
}

func TestNewCopiesCallerMaps(t *testing.T) {
	cfg := NewConfig("node-a", fake.NewClientset())
	cfg.NodeLabels = map[string]string{"example.com/a": "1"}
	cfg.Capacity = corev1.ResourceList{"cpu": resource.MustParse("2")}
	k, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.NodeLabels["example.com/a"] = "2"
	cfg.Capacity["cpu"] = resource.MustParse("8")
	if k.cfg.NodeLabels["example.com/a"] != "1" || k.cfg.Capacity.Cpu().String() != "2" {
		t.Errorf("New must not share the caller's maps: %v %v", k.cfg.NodeLabels, k.cfg.Capacity)
	}
}
