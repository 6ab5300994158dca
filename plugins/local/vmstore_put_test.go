package local

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestVMStorePutManyCreatesAndReplaces(t *testing.T) {
	s, err := OpenVMStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateMany([]VM{
		{Name: "kept", Addresses: internalIP("127.0.1.1")},
		{Name: "rebooted", Addresses: internalIP("127.0.1.2"), State: VMShutdown, Zone: "old"},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutMany([]VM{
		{Name: "rebooted", Addresses: internalIP("127.0.1.9"), Zone: "new"},
		{Name: "added", Addresses: internalIP("127.0.1.3")},
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	type brief struct{ Name, IP, Zone string }
	var briefs []brief
	for _, vm := range got {
		briefs = append(briefs, brief{vm.Name, vm.Addresses[0].Address, vm.Zone + "/" + string(vm.State)})
	}
	want := []brief{
		{"added", "127.0.1.3", DefaultZone + "/running"},
		{"kept", "127.0.1.1", DefaultZone + "/running"},
		{"rebooted", "127.0.1.9", "new/running"},
	}
	if diff := cmp.Diff(want, briefs); diff != "" {
		t.Errorf("VMs after PutMany (-want +got):\n%s", diff)
	}

	tests := []struct {
		name string
		vms  []VM
	}{
		{"a name twice", []VM{{Name: "x"}, {Name: "x"}}},
		{"an invalid name", []VM{{Name: "ok"}, {Name: "Not_A_Name"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.PutMany(tt.vms); err == nil {
				t.Fatal("PutMany succeeded")
			}
			after, err := s.List()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, after); diff != "" {
				t.Errorf("a failed PutMany changed the store (-before +after):\n%s", diff)
			}
		})
	}
}
