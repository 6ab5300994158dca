package local

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

func internalIP(ip string) []corev1.NodeAddress {
	return []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}}
}

func TestVMStoreCreateFillsDefaults(t *testing.T) {
	tests := []struct {
		name string
		in   VM
		want VM
	}{
		{
			name: "defaults",
			in:   VM{Name: "n1", Addresses: internalIP("127.0.1.1")},
			want: VM{
				Name: "n1", ProviderID: "local://n1", InstanceType: DefaultInstanceType,
				Zone: DefaultZone, Region: DefaultRegion, State: VMRunning,
				Addresses: []corev1.NodeAddress{
					{Type: corev1.NodeInternalIP, Address: "127.0.1.1"},
					{Type: corev1.NodeHostName, Address: "n1"},
				},
			},
		},
		{
			name: "everything given",
			in: VM{
				Name: "n2", ProviderID: "local://n2", InstanceType: "k1s.large", Zone: "z", Region: "r",
				State: VMShutdown,
				Addresses: []corev1.NodeAddress{
					{Type: corev1.NodeInternalIP, Address: "127.0.1.2"},
					{Type: corev1.NodeHostName, Address: "host-2"},
				},
			},
			want: VM{
				Name: "n2", ProviderID: "local://n2", InstanceType: "k1s.large", Zone: "z", Region: "r",
				State: VMShutdown,
				Addresses: []corev1.NodeAddress{
					{Type: corev1.NodeInternalIP, Address: "127.0.1.2"},
					{Type: corev1.NodeHostName, Address: "host-2"},
				},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := OpenVMStore(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Create(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Create (-want +got):\n%s", diff)
			}
			stored, err := s.Get(tc.in.Name)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, stored); diff != "" {
				t.Errorf("Get (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVMStoreErrors(t *testing.T) {
	s, err := OpenVMStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(VM{Name: "n1"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		op     func() error
		target error // nil: any error
	}{
		{"create existing", func() error { _, err := s.Create(VM{Name: "n1"}); return err }, ErrVMExists},
		{"get missing", func() error { _, err := s.Get("nope"); return err }, ErrVMNotFound},
		{"set state of missing", func() error { return s.SetState("nope", VMShutdown) }, ErrVMNotFound},
		{"delete missing", func() error { return s.Delete("nope") }, ErrVMNotFound},
		{"unknown state", func() error { return s.SetState("n1", "paused") }, nil},
		{"invalid name", func() error { _, err := s.Create(VM{Name: "Not_A_Node"}); return err }, nil},
		{"foreign provider ID", func() error { _, err := s.Create(VM{Name: "n2", ProviderID: "aws://n2"}); return err }, nil},
		{"bad internal IP", func() error { _, err := s.Create(VM{Name: "n3", Addresses: internalIP("nope")}); return err }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.op()
			if err == nil {
				t.Fatal("want an error, got nil")
			}
			if tc.target != nil && !errors.Is(err, tc.target) {
				t.Errorf("error %v is not %v", err, tc.target)
			}
		})
	}
	if _, err := OpenVMStore(""); err == nil {
		t.Error("OpenVMStore(\"\"): want an error")
	}
}

func TestVMStorePersistsAcrossOpens(t *testing.T) {
	dir := t.TempDir()
	s1, err := OpenVMStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"c", "a", "b"} {
		if _, err := s1.Create(VM{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s1.SetState("b", VMShutdown); err != nil {
		t.Fatal(err)
	}
	if err := s1.Delete("c"); err != nil {
		t.Fatal(err)
	}

	s2, err := OpenVMStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	vms, err := s2.List()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, vm := range vms {
		got = append(got, vm.Name+"="+string(vm.State))
	}
	if want := []string{"a=running", "b=shutdown"}; !slices.Equal(got, want) {
		t.Errorf("List after reopening = %v, want %v", got, want)
	}
}

// Every goroutine opens its own store, hence its own lock file descriptor:
// flock excludes descriptors, not processes, so this exercises the lock as
// two processes would. Without it some Creates would be lost.
func TestVMStoreConcurrentWritersLoseNothing(t *testing.T) {
	dir := t.TempDir()
	const writers, perWriter = 4, 10
	var wg sync.WaitGroup
	errc := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := OpenVMStore(dir)
			if err != nil {
				errc <- err
				return
			}
			for i := range perWriter {
				name := fmt.Sprintf("w%d-vm%d", w, i)
				if _, err := s.Create(VM{Name: name}); err != nil {
					errc <- err
					return
				}
				if i%2 == 0 {
					if err := s.SetState(name, VMShutdown); err != nil {
						errc <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	s, _ := OpenVMStore(dir)
	vms, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(vms) != writers*perWriter {
		t.Fatalf("got %d VMs, want %d", len(vms), writers*perWriter)
	}
	shutdown := 0
	for _, vm := range vms {
		if vm.State == VMShutdown {
			shutdown++
		}
	}
	if want := writers * ((perWriter + 1) / 2); shutdown != want {
		t.Errorf("got %d shut-down VMs, want %d", shutdown, want)
	}
}

// helperEnv makes the test binary act as a second process writing VMs.
const helperEnv = "K1S_LOCAL_CLOUD_TEST_WRITER"

func TestHelperProcessWriter(t *testing.T) {
	spec := os.Getenv(helperEnv)
	if spec == "" {
		t.Skip("helper process for TestVMStoreConcurrentProcesses")
	}
	dir, prefix, n := filepath.Dir(spec), filepath.Base(spec), 10
	s, err := OpenVMStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := s.Create(VM{Name: prefix + "-" + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestVMStoreConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for _, prefix := range []string{"p1", "p2", "p3"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcessWriter$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperEnv+"="+filepath.Join(dir, prefix))
		out := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("writer process %d: %v\n%s", i, err, outs[i])
		}
	}
	s, err := OpenVMStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	vms, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(vms) != 30 {
		t.Fatalf("three processes created 10 VMs each; the store holds %d", len(vms))
	}
}

// A reader never sees a partly written inventory, and a failed update leaves
// the file as it was, with no temporary file behind.
func TestVMStoreWritesAreAtomic(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenVMStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	readerErr := make(chan error, 1)
	go func() {
		r, _ := OpenVMStore(dir)
		reads := 0
		for {
			select {
			case <-done:
				if reads == 0 {
					readerErr <- errors.New("reader never ran")
				}
				close(readerErr)
				return
			default:
			}
			if _, err := r.List(); err != nil {
				readerErr <- err
				close(readerErr)
				return
			}
			reads++
		}
	}()
	for i := range 30 {
		if _, err := s.Create(VM{Name: fmt.Sprintf("vm%d", i), Addresses: internalIP("127.0.1.1")}); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	for err := range readerErr {
		t.Fatalf("reader saw a broken inventory: %v", err)
	}

	before, err := os.ReadFile(filepath.Join(dir, vmsFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(VM{Name: "vm1"}); !errors.Is(err, ErrVMExists) {
		t.Fatalf("Create of an existing VM: got %v, want ErrVMExists", err)
	}
	after, err := os.ReadFile(filepath.Join(dir, vmsFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("a failed update changed vms.json")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{vmsFile, vmsFile + ".lock"}; !slices.Equal(names, want) {
		t.Errorf("data dir holds %v, want %v (no temporary files)", names, want)
	}
}

func TestVMStoreCreateManyIsAllOrNothing(t *testing.T) {
	s, err := OpenVMStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.CreateMany([]VM{{Name: "a"}, {Name: "b", InstanceType: "k1s.large"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ProviderID != "local://a" || got[1].InstanceType != "k1s.large" {
		t.Errorf("CreateMany returned %+v", got)
	}
	for _, batch := range [][]VM{
		{{Name: "c"}, {Name: "a"}}, // a exists
		{{Name: "d"}, {Name: "d"}}, // duplicate inside the batch
	} {
		if _, err := s.CreateMany(batch); !errors.Is(err, ErrVMExists) {
			t.Errorf("CreateMany(%v): got %v, want ErrVMExists", batch, err)
		}
	}
	vms, _ := s.List()
	if len(vms) != 2 {
		t.Errorf("a failed batch left VMs behind: %+v", vms)
	}
}
