package cloud

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // "" means valid
	}{
		{name: "zero value", cfg: Config{}},
		{name: "defaults", cfg: DefaultConfig()},
		{name: "dual stack", cfg: Config{ClusterCIDRs: []string{"10.244.0.0/16", "fd00:10:244::/56"}}},
		{name: "disable one", cfg: Config{Controllers: []string{"*", "-node-route-controller"}}},
		{name: "unknown controller", cfg: Config{Controllers: []string{"route"}}, wantErr: "--controllers"},
		{name: "negative period", cfg: Config{NodeMonitorPeriod: -time.Second}, wantErr: "--node-monitor-period"},
		{name: "negative frequency", cfg: Config{NodeStatusUpdateFrequency: -time.Second}, wantErr: "--node-status-update-frequency"},
		{name: "negative syncs", cfg: Config{ConcurrentServiceSyncs: -1}, wantErr: "--concurrent-service-syncs"},
		{name: "bad CIDR", cfg: Config{ClusterCIDRs: []string{"10.244.0.0"}}, wantErr: "--cluster-cidr"},
		{name: "two IPv4 CIDRs", cfg: Config{ClusterCIDRs: []string{"10.244.0.0/16", "10.245.0.0/16"}}, wantErr: "--cluster-cidr"},
		{name: "three CIDRs", cfg: Config{ClusterCIDRs: []string{"10.244.0.0/16", "fd00::/56", "10.245.0.0/16"}}, wantErr: "--cluster-cidr"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("Validate() = %v, want an error naming %s", err, tc.wantErr)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	got := Config{ConcurrentNodeSyncs: 3}.withDefaults()
	if got.ClusterName != "kubernetes" || got.NodeMonitorPeriod != 5*time.Second ||
		got.NodeStatusUpdateFrequency != 5*time.Minute || got.RouteReconciliationPeriod != 10*time.Second ||
		got.ConcurrentServiceSyncs != 1 || got.ConcurrentNodeLifecycleSyncs != 1 {
		t.Errorf("defaults not applied: %+v", got)
	}
	if got.ConcurrentNodeStatusUpdates != 3 {
		t.Errorf("--concurrent-node-status-updates 0 should follow --concurrent-node-syncs (3), got %d", got.ConcurrentNodeStatusUpdates)
	}
	if !DefaultConfig().ConfigureCloudRoutes {
		t.Error("DefaultConfig should configure cloud routes, as upstream does")
	}
}

func TestEnabled(t *testing.T) {
	tests := []struct {
		controllers []string
		name        string
		want        bool
	}{
		{[]string{"*"}, ServiceLBController, true},
		{[]string{"*", "-" + ServiceLBController}, ServiceLBController, false},
		{[]string{"-" + ServiceLBController, "*"}, ServiceLBController, false},
		{[]string{CloudNodeController}, CloudNodeController, true},
		{[]string{CloudNodeController}, ServiceLBController, false},
	}
	for _, tc := range tests {
		if got := (Config{Controllers: tc.controllers}).enabled(tc.name); got != tc.want {
			t.Errorf("Controllers %v: enabled(%s) = %v, want %v", tc.controllers, tc.name, got, tc.want)
		}
	}
}
