package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/snaprepo/conform/checks"
	"github.com/snaprepo/conform/fixtures"
	"github.com/snaprepo/conform/world"
)

// exportLive runs conform world export --live and returns exit code,
// stdout and stderr.
func exportLive(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(conformBinary(t), append([]string{"world", "export", "--live"}, args...)...)
	cmd.Env = env
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil && cmd.ProcessState == nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String()+errOut.String(), primarySecret) {
		t.Errorf("a secret was written:\n%s%s", out.String(), errOut.String())
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// An export of two served regions is the served world as the caller sees
// it: every instance of its account there, with version, status, kernel,
// the edition of 6.7.0 instances, and every reference between them.
func TestAnExportIsTheServedWorld(t *testing.T) {
	path := worldWithRepos(t)
	hz := startServe(t, "--log-level", "error", "--world", path)
	bj := startServe(t, "--log-level", "error", "--world", path, "--region", "cn-beijing")
	env := liveEnv(t, t.TempDir(), envCreds...)
	code, out, errOut := exportLive(t, env, "--region", "cn-hangzhou", "--endpoint", hz.url, "--regions", "cn-beijing", "--region-endpoint", "cn-beijing="+bj.url, "--timeout", "30s")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	got, err := world.Parse("exported", []byte(out))
	if err != nil {
		t.Fatalf("the export is no world: %v\n%s", err, out)
	}
	served, err := world.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	account, _, _ := served.KeyOwner("LTAI5tConformPrimary01")
	mine := map[string]bool{}
	for _, in := range served.Instances {
		if in.Account != account || (in.Region != "cn-hangzhou" && in.Region != "cn-beijing") {
			if got.Instance(in.ID) != nil {
				t.Errorf("%s (account %s, %s) is exported: the caller cannot see it", in.ID, in.Account, in.Region)
			}
			continue
		}
		mine[in.ID] = true
		e := got.Instance(in.ID)
		if e == nil {
			t.Errorf("%s is not exported", in.ID)
			continue
		}
		if e.Version.Raw != in.Version.Raw || e.Status != in.Status || e.Region != in.Region {
			t.Errorf("%s exported as %s %s %s; served %s %s %s", in.ID, e.Version.Raw, e.Status, e.Region, in.Version.Raw, in.Status, in.Region)
		}
		if fmtKernel(e) != fmtKernel(&in) {
			t.Errorf("%s exported with kernel %q; served %q", in.ID, fmtKernel(e), fmtKernel(&in))
		}
		if in.UnderKernelRule() != e.UnderKernelRule() {
			t.Errorf("%s exported as edition %s; served %s", in.ID, e.Edition, in.Edition)
		}
	}
	var want, have []string
	for _, r := range served.Repos {
		if mine[r.Instance] && mine[r.RepoPath] {
			want = append(want, r.Instance+"←"+r.RepoPath)
		}
	}
	for _, r := range got.Repos {
		have = append(have, r.Instance+"←"+r.RepoPath)
	}
	slices.Sort(want)
	slices.Sort(have)
	if len(want) < 2 || !slices.Equal(have, want) {
		t.Errorf("exported references %v; served %v", have, want)
	}
	if strings.Contains(out, "LTAI5tConformPrimary01") || !strings.Contains(out, "LTAI5t…01") {
		t.Error("the AccessKey ID is not masked")
	}
	// The fleet is now a world the offline commands use.
	var planOut, planErr strings.Builder
	if c := run([]string{"plan", "--world", writeTemp(t, out)}, &planOut, &planErr); c != exitOK {
		t.Errorf("conform plan on the export: exit %d\n%s%s", c, planOut.String(), planErr.String())
	}

	code, out, errOut = exportLive(t, env, "--region", "cn-hangzhou", "--endpoint", hz.url, "--timeout", "30s", "--show-key-id")
	if code != 0 || !strings.Contains(out, "id: LTAI5tConformPrimary01") {
		t.Errorf("--show-key-id: exit %d, the key ID not written whole\n%s", code, errOut)
	}
}

func fmtKernel(in *checks.Instance) string {
	if in.Kernel == nil {
		return ""
	}
	return in.Kernel.String()
}

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "world.yaml")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A region that does not answer is a failed lookup: exit 4, one line,
// nothing on stdout.
func TestAFailedExportWritesNothing(t *testing.T) {
	hz := startServe(t, "--log-level", "error")
	env := liveEnv(t, t.TempDir(), envCreds...)
	code, out, errOut := exportLive(t, env, "--region", "cn-hangzhou", "--endpoint", hz.url, "--regions", "cn-beijing", "--region-endpoint", "cn-beijing=http://127.0.0.1:1", "--timeout", "2s")
	if code != exitLookup || out != "" || !strings.Contains(errOut, "the lookup failed, nothing written") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("exit %d, stdout %d bytes, stderr %q; want exit 4, nothing written, one line", code, len(out), errOut)
	}
	env = liveEnv(t, t.TempDir(), "ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tConformPrimary01", "ALIBABA_CLOUD_ACCESS_KEY_SECRET=wrong")
	if code, out, errOut := exportLive(t, env, "--region", "cn-hangzhou", "--endpoint", hz.url); code != exitLookup || out != "" || !strings.Contains(errOut, "SignatureDoesNotMatch") {
		t.Errorf("a wrong secret: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// No credentials at all is the caller's to fix, as for check --live.
	if code, out, errOut := exportLive(t, liveEnv(t, t.TempDir()), "--region", "cn-hangzhou", "--endpoint", hz.url); code != exitUsage || out != "" || !strings.Contains(errOut, "no credentials found") {
		t.Errorf("no credentials: exit %d, stdout %q, stderr %q; want exit 2", code, out, errOut)
	}
	for _, args := range [][]string{{"world", "export"}, {"world", "export", "--live"}, {"world", "export", "--live", "--region", "r", "--timeout", "0s"}} {
		var o, e strings.Builder
		if c := run(args, &o, &e); c != exitUsage || !strings.Contains(e.String(), "conform world export: ") {
			t.Errorf("%v: exit %d, %q", args, c, e.String())
		}
	}
}

// A reference to a source outside the export is left out, and said so.
func TestAnExportSaysWhatItLeftOut(t *testing.T) {
	path := writeTemp(t, string(bytesTrimmedWorld())+"\n  - instance: es-cn-cf710dest0000001\n    repoPath: es-cn-cfbeijing0000001\n")
	hz := startServe(t, "--log-level", "error", "--world", path)
	env := liveEnv(t, t.TempDir(), envCreds...)
	code, out, errOut := exportLive(t, env, "--region", "cn-hangzhou", "--endpoint", hz.url, "--timeout", "30s")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "note: es-cn-cf710dest0000001 references es-cn-cfbeijing0000001, which is not among the exported instances") {
		t.Errorf("stderr: %q", errOut)
	}
	if strings.Contains(out, "es-cn-cfbeijing0000001") {
		t.Error("the reference left out is in the world")
	}
}

func bytesTrimmedWorld() []byte { return bytes.TrimRight(fixtures.World, "\n") }
