package etcd

import (
	"context"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

func TestStartRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	for i := range 2 {
		s, err := Start(ctx, Config{DataDir: dir})
		if err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
		cli, err := clientv3.New(clientv3.Config{Endpoints: []string{s.Endpoint()}, DialTimeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if _, err := cli.Put(ctx, "/k", "v"); err != nil {
				t.Fatalf("put: %v", err)
			}
		} else {
			resp, err := cli.Get(ctx, "/k")
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "v" {
				t.Fatalf("after restart got %v, want /k=v", resp.Kvs)
			}
		}
		cli.Close()
		s.Close()
		s.Close() // idempotent
	}
}

func TestValidate(t *testing.T) {
	if err := (&Config{}).Validate(); err == nil {
		t.Fatal("empty data dir accepted")
	}
	if err := (&Config{DataDir: "x", ClientPort: 70000}).Validate(); err == nil {
		t.Fatal("port 70000 accepted")
	}
}
