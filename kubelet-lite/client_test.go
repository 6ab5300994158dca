package kubeletlite

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/pem"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/net/http2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// TestClientConnectionSettings checks what a kubelet's client asks of the
// apiserver when it opens its HTTP/2 connection: no HPACK dynamic table either
// way, and 16 KiB frames.
func TestClientConnectionSettings(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	srv.StartTLS()
	serverCert, caPEM := srv.TLS.Certificates, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	srv.Close()

	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: serverCert, NextProtos: []string{http2.NextProtoTLS}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	client, err := NewClient(&rest.Config{
		Host:            "https://" + ln.Addr().String(),
		TLSClientConfig: rest.TLSClientConfig{CAData: caPEM},
		Timeout:         10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Fails once the test hangs up; only its connection preface matters.
		_, _ = client.CoreV1().Nodes().Get(ctx, testNode, metav1.GetOptions{})
	}()
	defer func() { <-done }()
	defer cancel()

	raw, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	conn := raw.(*tls.Conn)
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := conn.HandshakeContext(ctx); err != nil {
		t.Fatal(err)
	}
	if got := conn.ConnectionState().NegotiatedProtocol; got != http2.NextProtoTLS {
		t.Fatalf("negotiated protocol %q, want %q", got, http2.NextProtoTLS)
	}
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(conn, preface); err != nil || !bytes.Equal(preface, []byte(http2.ClientPreface)) {
		t.Fatalf("client preface %q, %v", preface, err)
	}
	frame, err := http2.NewFramer(io.Discard, conn).ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	settings, ok := frame.(*http2.SettingsFrame)
	if !ok {
		t.Fatalf("first frame is %T, want SETTINGS", frame)
	}
	for id, want := range map[http2.SettingID]uint32{
		http2.SettingHeaderTableSize: hpackTableSize,
		http2.SettingMaxFrameSize:    16 << 10,
	} {
		if got, ok := settings.Value(id); !ok || got != want {
			t.Errorf("setting %v = %d (sent: %v), want %d", id, got, ok, want)
		}
	}
}
