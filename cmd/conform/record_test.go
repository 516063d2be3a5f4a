package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A session of conform check --live --apply (the official SDK core, ACS3,
// re-signed by the proxy for the upstream's host) through conform record in
// front of conform serve: the proxy prints its listening line, writes a
// cassette with no secret in it, and verify-oracle finds every decision
// agreeing (exit 0).
func TestRecordThenVerifyTheOracle(t *testing.T) {
	upstream := startServe(t, "--log-level", "error")
	file := filepath.Join(t.TempDir(), "session.yaml")
	env := liveEnv(t, t.TempDir(), envCreds...)
	rec := startListenerWithEnv(t, env, "record", "--upstream", upstream.url, "--cassette", file, "--addr", "127.0.0.1:0")
	at := []string{"--region", "cn-hangzhou", "--endpoint", rec.url, "--apply", "-o", "json"}
	for _, pair := range [][2]string{{"es-cn-cf710dest0000001", "es-cn-cf74src00000001"}, {"es-cn-cf79src00000001", "es-cn-cf710dest0000001"}} {
		if code, out, errOut := liveCheck(t, env, append(at, "--dest", pair[0], "--source", pair[1])...); code != 0 && code != 1 {
			t.Fatalf("check --live through the proxy: exit %d\n%s%s", code, out, errOut)
		}
	}
	rec.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- rec.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil || !strings.Contains(rec.log(), "exchanges written to") {
			t.Fatalf("record exited with %v:\n%s", err, rec.log())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("record did not stop on SIGTERM")
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"LTAI5tConformPrimary01", primarySecret} {
		if strings.Contains(string(data), secret) {
			t.Errorf("the cassette holds %s", secret)
		}
	}
	code, out, errOut := conform(t, "verify-oracle", "--cassette", file)
	if code != 0 || !strings.Contains(out, "decisions agree, 0 differ") {
		t.Errorf("verify-oracle: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = conform(t, "verify-oracle", "--cassette", file, "-o", "json")
	var res struct {
		Exchanges, Compared, Agreed int
		Findings                    []json.RawMessage
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || res.Compared < 4 || res.Agreed != res.Compared {
		t.Errorf("verify-oracle -o json: exit %d, %v, %+v\n%s", code, err, res, out)
	}
}

func TestRecordAndVerifyRefuseBadInputInOneLine(t *testing.T) {
	dir := t.TempDir()
	notACassette := filepath.Join(dir, "garbage.yaml")
	if err := os.WriteFile(notACassette, []byte("garbage\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		says string
	}{
		{[]string{"record", "--cassette", "x.yaml"}, "no --upstream"},
		{[]string{"record", "--upstream", "http://127.0.0.1:1"}, "no --cassette"},
		{[]string{"record", "--upstream", "ftp://example", "--cassette", "x.yaml"}, "is not an endpoint"},
		{[]string{"record", "--upstream", "http://127.0.0.1:1", "--cassette", filepath.Join(dir, "no", "such", "dir", "x.yaml")}, "writing the cassette"},
		{[]string{"verify-oracle"}, "no --cassette"},
		{[]string{"verify-oracle", "--cassette", filepath.Join(dir, "missing.yaml")}, "missing.yaml"},
		{[]string{"verify-oracle", "--cassette", dir}, "a directory"},
		{[]string{"verify-oracle", "--cassette", notACassette}, "want a go-vcr v4 cassette"},
		{[]string{"verify-oracle", "--cassette", "x", "-o", "xml"}, `invalid value "xml" for flag -o: not an output (want text or json)`},
	} {
		code, out, errOut := conform(t, tt.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, tt.says) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q, want one line with %q", tt.args, code, out, errOut, tt.says)
		}
	}
}
