package tokenfile

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"k8s.io/klog/v2/ktesting"
	testingclock "k8s.io/utils/clock/testing"
)

func writeTokens(t *testing.T, path, content string) {
	t.Helper()
	// As the cluster writes it: a new file renamed over the old one.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// expectUser fails unless token authenticates as name in groups (ok=true), or
// does not authenticate when name is "".
func expectUser(t *testing.T, a *Authenticator, token, name string, groups ...string) {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	resp, ok, err := a.AuthenticateToken(ctx, token)
	if err != nil {
		t.Fatalf("token %q: %v", token, err)
	}
	if name == "" {
		if ok {
			t.Fatalf("token %q authenticated as %v, want refused", token, resp.User)
		}
		return
	}
	if !ok || resp.User.GetName() != name || !slices.Equal(resp.User.GetGroups(), groups) {
		t.Fatalf("token %q: ok=%v resp=%+v, want %s in %v", token, ok, resp, name, groups)
	}
}

// newTestAuthenticator is an Authenticator on a fake clock over a file that
// holds tok-a for system:node:a.
func newTestAuthenticator(t *testing.T) (string, *testingclock.FakePassiveClock, *Authenticator) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tokens.csv")
	writeTokens(t, path, "tok-a,system:node:a,,system:nodes\n")
	clk := testingclock.NewFakePassiveClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	a, err := New(path, clk)
	if err != nil {
		t.Fatal(err)
	}
	return path, clk, a
}

func TestAuthenticatorFollowsTheFile(t *testing.T) {
	path, clk, a := newTestAuthenticator(t)
	expectUser(t, a, "tok-a", "system:node:a", "system:nodes")
	expectUser(t, a, "tok-b", "")

	// A token added a moment ago works at once: a miss looks at the file again.
	writeTokens(t, path, "tok-a,system:node:a,,system:nodes\ntok-b,system:node:b,,\"system:nodes,extra\"\n")
	expectUser(t, a, "tok-b", "system:node:b", "system:nodes", "extra")

	// A removed token keeps working until the known file is RecheckInterval old.
	writeTokens(t, path, "tok-b,system:node:b,,system:nodes\n")
	expectUser(t, a, "tok-a", "system:node:a", "system:nodes")
	clk.SetTime(clk.Now().Add(RecheckInterval))
	expectUser(t, a, "tok-a", "")
	expectUser(t, a, "tok-b", "system:node:b", "system:nodes")
}

func TestAuthenticatorKeepsTheLastGoodFile(t *testing.T) {
	path, clk, a := newTestAuthenticator(t)

	// Fewer than 3 columns is an error to upstream's parser.
	writeTokens(t, path, "tok-c,only-two\n")
	clk.SetTime(clk.Now().Add(RecheckInterval))
	expectUser(t, a, "tok-a", "system:node:a", "system:nodes")
	expectUser(t, a, "tok-c", "")

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	clk.SetTime(clk.Now().Add(RecheckInterval))
	expectUser(t, a, "tok-a", "system:node:a", "system:nodes")

	// Fixed: taken at once.
	writeTokens(t, path, "tok-d,system:node:d,,system:nodes\n")
	expectUser(t, a, "tok-d", "system:node:d", "system:nodes")
	clk.SetTime(clk.Now().Add(RecheckInterval))
	expectUser(t, a, "tok-a", "")
}

func TestNewRefusesAMissingOrBadFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := New(filepath.Join(dir, "missing.csv"), nil); err == nil {
		t.Error("New accepted a missing file")
	}
	bad := filepath.Join(dir, "bad.csv")
	writeTokens(t, bad, "tok,user\n")
	if _, err := New(bad, nil); err == nil {
		t.Error("New accepted a file with two columns")
	}
}

// TestReloadWithAStaleViewStillParses: a caller that saw an old state finds the
// file changed while another caller only noted, just before the change, that it
// was unchanged; the new file must still be parsed.
func TestReloadWithAStaleViewStillParses(t *testing.T) {
	path, clk, a := newTestAuthenticator(t)
	_, ctx := ktesting.NewTestContext(t)
	stale := a.state.Load()
	clk.SetTime(clk.Now().Add(RecheckInterval))
	if a.reload(ctx, a.state.Load()) == stale {
		t.Fatal("an unchanged file after RecheckInterval did not note the check")
	}
	writeTokens(t, path, "tok-a,system:node:a,,system:nodes\ntok-b,system:node:b,,system:nodes\n")
	if _, ok, _ := a.reload(ctx, stale).tokens.AuthenticateToken(ctx, "tok-b"); !ok {
		t.Fatal("the rewritten file was not parsed")
	}
}
