package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/snaprepo/conform/apiclient"
)

const primarySecret = "conform-primary-secret-01"

// liveEnv is the environment of a `conform check --live` process: a
// temporary HOME and no Alibaba Cloud variables but those given.
func liveEnv(t *testing.T, home string, vars ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ALIBABA_CLOUD_") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	return append(append(env, "HOME="+home), vars...)
}

var envCreds = []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tConformPrimary01", "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + primarySecret}

// liveCheck runs the binary and returns exit code, stdout and stderr.
func liveCheck(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(conformBinary(t), append([]string{"check", "--live"}, args...)...)
	cmd.Env = env
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil && cmd.ProcessState == nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String()+errOut.String(), primarySecret) {
		t.Errorf("a secret was printed:\n%s%s", out.String(), errOut.String())
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

type liveVerdict struct {
	Compatible bool `json:"compatible"`
	APIError   *struct {
		Code string `json:"code"`
	} `json:"apiError"`
	Rules []struct {
		ID, Verdict string
	} `json:"rules"`
	Facts []struct {
		Instance, Field, Value, Source string
	} `json:"facts"`
	Notes []string `json:"notes"`
	Apply *struct {
		Action string `json:"action"`
	} `json:"apply"`
}

func decode(t *testing.T, s string) liveVerdict {
	t.Helper()
	var v liveVerdict
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return v
}

func (v liveVerdict) outcome(id string) string {
	for _, r := range v.Rules {
		if r.ID == id {
			return r.Verdict
		}
	}
	return "missing"
}

func TestLiveCheckAgainstServeProcesses(t *testing.T) {
	hz := startServe(t, "--log-level", "error")
	bj := startServe(t, "--log-level", "error", "--region", "cn-beijing")
	home := t.TempDir()
	env := liveEnv(t, home, envCreds...)
	at := []string{"--region", "cn-hangzhou", "--endpoint", hz.url, "--region-endpoint", "cn-beijing=" + bj.url, "--timeout", "5s", "-o", "json"}
	tests := []struct {
		name, dest, source string
		exit               int
		code               string // apiError code, "" for none
		failing            string // a rule that must fail
		note               string
	}{
		{"compatible pair", "es-cn-cf710dest0000001", "es-cn-cf79src00000001", 0, "", "", "visible to these credentials"},
		{"newer source", "es-cn-cf79src00000001", "es-cn-cf710dest0000001", 1, "SnapshotRepo.VersionNotSupport", "RULE-VERSION", ""},
		{"activating destination", "es-cn-cfactivating00001", "es-cn-cf74src00000001", 1, "InstanceActivating", "ERR-INSTANCE-ACTIVATING", ""},
		{"inactive destination", "es-cn-cfinactive0000001", "es-cn-cf74src00000001", 1, "InstanceStatusNotSupportCurrentAction", "ERR-INSTANCE-INACTIVE", ""},
		{"6.7.0 kernel", "es-cn-cf67k120a0000001", "es-cn-cf67k130a0000001", 1, "SnapshotRepo.KernelNotSupport", "RULE-KERNEL-6.7", ""},
		{"itself", "es-cn-cf710dest0000001", "es-cn-cf710dest0000001", 1, "SnapshotRepo.SameInstance", "RULE-DISTINCT", ""},
		{"unknown destination", "es-cn-nosuchdest000001", "es-cn-cf74src00000001", 1, "InstanceNotFound", "ERR-INSTANCE-NOT-FOUND", "destination es-cn-nosuchdest000001 is not visible"},
		{"source in another region", "es-cn-cf710dest0000001", "es-cn-cfbeijing0000001", 1, "SnapshotRepo.RegionMismatch", "RULE-SAME-REGION", "it exists in region cn-beijing"},
		{"source of another account", "es-cn-cf710dest0000001", "es-cn-cfneighbour000001", 1, "SnapshotRepo.SourceNotFound", "RULE-SOURCE-EXISTS", "not visible to this account in any region searched (cn-hangzhou, cn-beijing)"},
		{"6.7.0 kernel unknown", "es-cn-cf67k130a0000001", "es-cn-cf67nokernel00001", 3, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := liveCheck(t, env, append(at, "--dest", tt.dest, "--source", tt.source)...)
			if code != tt.exit {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.exit, out, errOut)
			}
			v := decode(t, out)
			switch {
			case tt.code == "" && v.APIError != nil:
				t.Errorf("apiError %s", v.APIError.Code)
			case tt.code != "" && (v.APIError == nil || v.APIError.Code != tt.code):
				t.Errorf("apiError %+v, want %s", v.APIError, tt.code)
			}
			if tt.failing != "" && v.outcome(tt.failing) != "fail" {
				t.Errorf("%s = %s, want fail", tt.failing, v.outcome(tt.failing))
			}
			if tt.note != "" && !slices.ContainsFunc(v.Notes, func(n string) bool { return strings.Contains(n, tt.note) }) {
				t.Errorf("notes %q lack %q", v.Notes, tt.note)
			}
		})
	}
	t.Run("facts name their source", func(t *testing.T) {
		_, out, _ := liveCheck(t, env, append(at, "--dest", "es-cn-cf67k130a0000001", "--source", "es-cn-cf67k120a0000001")...)
		v := decode(t, out)
		var kernel string
		for _, f := range v.Facts {
			if f.Instance == "es-cn-cf67k130a0000001" && f.Field == "kernel" {
				kernel = f.Value + " from " + f.Source
			}
		}
		if !strings.HasPrefix(kernel, "ali1.3.0 from DescribeInstance in cn-hangzhou") || !strings.Contains(kernel, "aliVersion") {
			t.Errorf("kernel fact %q", kernel)
		}
	})
}

func TestLiveCheckLookupFailuresExit4(t *testing.T) {
	hz := startServe(t, "--log-level", "error")
	stall := stallingServer(t)
	home := t.TempDir()
	pair := []string{"--region", "cn-hangzhou", "--dest", "es-cn-cf710dest0000001", "--source", "es-cn-cf79src00000001"}
	tests := []struct {
		name     string
		env      []string
		endpoint string
		says     string
	}{
		{"wrong secret", liveEnv(t, home, "ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tConformPrimary01", "ALIBABA_CLOUD_ACCESS_KEY_SECRET=wrong"), hz.url, "SignatureDoesNotMatch"},
		{"unknown key", liveEnv(t, home, "ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tNobodyAtAll00", "ALIBABA_CLOUD_ACCESS_KEY_SECRET=x"), hz.url, "InvalidAccessKeyId.NotFound"},
		{"stalled server", liveEnv(t, home, envCreds...), "http://" + stall.Addr().String(), "no answer within 1s"},
		{"nothing listening", liveEnv(t, home, envCreds...), "http://127.0.0.1:1", "network"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			code, out, errOut := liveCheck(t, tt.env, append(pair, "--endpoint", tt.endpoint, "--timeout", "1s")...)
			if code != 4 || !strings.Contains(errOut, tt.says) || !strings.Contains(errOut, "the lookup failed, no verdict") {
				t.Errorf("exit %d, want 4 saying %q\n%s%s", code, tt.says, out, errOut)
			}
			if took := time.Since(start); took > 15*time.Second {
				t.Errorf("took %s with a 1s timeout", took)
			}
		})
	}
	t.Run("no credentials at all", func(t *testing.T) {
		code, _, errOut := liveCheck(t, liveEnv(t, t.TempDir()), append(pair, "--endpoint", hz.url)...)
		if code != 2 || !strings.Contains(errOut, "no credentials found") {
			t.Errorf("exit %d: %s", code, errOut)
		}
	})
}

func TestLiveApplyCreatesOnceAndRefusesIncompatible(t *testing.T) {
	hz := startServe(t, "--log-level", "error")
	env := liveEnv(t, t.TempDir(), envCreds...)
	at := []string{"--region", "cn-hangzhou", "--endpoint", hz.url, "--apply", "-o", "json"}
	c := apiclient.New(hz.url, primaryCreds, apiclient.SignV3, 5*time.Second)
	listed := func(dest string) []string {
		resp, err := c.Do(context.Background(), apiclient.List(dest))
		if err != nil {
			t.Fatal(err)
		}
		repos, _ := resp.Repos()
		var out []string
		for _, r := range repos {
			out = append(out, r.RepoPath)
		}
		return out
	}
	for i, want := range []string{"created", "exists"} {
		code, out, errOut := liveCheck(t, env, append(at, "--dest", "es-cn-cf710dest0000001", "--source", "es-cn-cf74src00000001")...)
		v := decode(t, out)
		if code != 0 || v.Apply == nil || v.Apply.Action != want {
			t.Fatalf("apply %d: exit %d, %+v\n%s%s", i+1, code, v.Apply, out, errOut)
		}
	}
	if got := listed("es-cn-cf710dest0000001"); len(got) != 1 || got[0] != "es-cn-cf74src00000001" {
		t.Errorf("after two --apply: %v", got)
	}
	code, out, _ := liveCheck(t, env, append(at, "--dest", "es-cn-cf79src00000001", "--source", "es-cn-cf710dest0000001")...)
	if v := decode(t, out); code != 1 || v.Apply == nil || v.Apply.Action != "refused" {
		t.Errorf("incompatible --apply: exit %d %s", code, out)
	}
	if got := listed("es-cn-cf79src00000001"); len(got) != 0 {
		t.Errorf("an incompatible --apply created %v", got)
	}
}

func TestLiveAlternativesAgreeWithTheReferenceServer(t *testing.T) {
	hz := startServe(t, "--log-level", "error")
	env := liveEnv(t, t.TempDir(), envCreds...)
	code, out, errOut := liveCheck(t, env, "--region", "cn-hangzhou", "--endpoint", hz.url, "--dest", "es-cn-cf710dest0000001", "--alternatives", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	var got struct {
		Candidates []struct {
			Instance       string `json:"instance"`
			Verdict        string `json:"verdict"`
			PlatformOffers bool   `json:"platformOffers"`
		} `json:"candidates"`
		Disagreements int `json:"disagreements"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	c := apiclient.New(hz.url, primaryCreds, apiclient.SignV3, 5*time.Second)
	resp, err := c.Do(context.Background(), apiclient.Alternatives("es-cn-cf710dest0000001", true))
	if err != nil {
		t.Fatal(err)
	}
	offered, _ := resp.Repos()
	if got.Disagreements != 0 || len(got.Candidates) < len(offered) || len(offered) == 0 {
		t.Fatalf("%d disagreements, %d candidates, %d offered\n%s", got.Disagreements, len(got.Candidates), len(offered), out)
	}
	compatible := map[string]bool{}
	for _, cand := range got.Candidates {
		compatible[cand.Instance] = cand.Verdict == "compatible"
	}
	for _, r := range offered {
		if !compatible[r.RepoPath] {
			t.Errorf("the server offers %s, conform does not find it compatible", r.RepoPath)
		}
	}
}

func TestLiveCredentialsFromProfileFiles(t *testing.T) {
	hz := startServe(t, "--log-level", "error")
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".aliyun"), 0o700)
	os.WriteFile(filepath.Join(home, ".aliyun", "config.json"), []byte(`{"current":"default","profiles":[
		{"name":"default","mode":"AK","access_key_id":"LTAI5tNobodyAtAll00","access_key_secret":"x","region_id":"cn-hangzhou"},
		{"name":"ops","mode":"AK","access_key_id":"LTAI5tConformPrimary01","access_key_secret":"`+primarySecret+`","region_id":"cn-hangzhou"}]}`), 0o600)
	os.MkdirAll(filepath.Join(home, ".alibabacloud"), 0o700)
	os.WriteFile(filepath.Join(home, ".alibabacloud", "credentials"), []byte("[filed]\ntype = access_key\naccess_key_id = LTAI5tConformPrimary01\naccess_key_secret = "+primarySecret+"\n"), 0o600)
	pair := []string{"--region", "cn-hangzhou", "--endpoint", hz.url, "--dest", "es-cn-cf710dest0000001", "--source", "es-cn-cf79src00000001"}
	for _, tt := range []struct {
		profile, from string
	}{{"ops", "aliyun CLI profile ops"}, {"filed", "credentials file filed"}} {
		t.Run(tt.profile, func(t *testing.T) {
			// A named profile wins over credentials in the environment.
			env := liveEnv(t, home, "ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tNobodyAtAll00", "ALIBABA_CLOUD_ACCESS_KEY_SECRET=x")
			code, out, errOut := liveCheck(t, env, append(pair, "--profile", tt.profile)...)
			if code != 0 || !strings.Contains(out, "credentials: "+tt.from) {
				t.Errorf("exit %d\n%s%s", code, out, errOut)
			}
		})
	}
}

func TestLiveUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"check", "--live", "--dest", "a", "--source", "b"},
		{"check", "--live", "--region", "r", "--dest", "a"},
		{"check", "--live", "--region", "r", "--dest", "a", "--alternatives", "--apply"},
		{"check", "--live", "--region", "r", "--dest", "a", "--source", "b", "--world", "w.yaml"},
		{"check", "--dest", "a", "--source", "b", "--apply"},
		{"check", "--live", "--region", "r", "--dest", "a", "--source", "b", "--region-endpoint", "nourl"},
	} {
		if code, _, errOut := conform(t, args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, %q", args, code, errOut)
		}
	}
}

// With explicit endpoints, nothing else is contacted; once the source is not
// visible in the destination's region the verdict is decided, and a failed
// search of the other regions is a note, not a lookup failure.
func TestLiveSearchIsConfinedAndNeverUndoesAVerdict(t *testing.T) {
	hz := startServe(t, "--log-level", "error")
	stall := stallingServer(t)
	env := liveEnv(t, t.TempDir(), envCreds...)
	pair := []string{"--region", "cn-hangzhou", "--endpoint", hz.url, "--dest", "es-cn-cf710dest0000001", "--source", "es-cn-cfbeijing0000001", "--timeout", "1s", "-o", "json"}
	tests := []struct {
		name  string
		extra []string
		notes []string
	}{
		{"a region without an endpoint is not searched", nil,
			[]string{"regions not searched, having no endpoint: cn-beijing (add --region-endpoint REGION=URL to search them)", "it may be in a region not searched"}},
		{"a failed search of another region is a note", []string{"--region-endpoint", "cn-beijing=http://" + stall.Addr().String()},
			[]string{"region cn-beijing not searched:", "no answer within 1s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := liveCheck(t, env, append(pair, tt.extra...)...)
			if code != 1 {
				t.Fatalf("exit %d, want 1 (refused: the source is not visible in cn-hangzhou)\n%s%s", code, out, errOut)
			}
			v := decode(t, out)
			if v.outcome("RULE-SOURCE-EXISTS") != "fail" {
				t.Errorf("RULE-SOURCE-EXISTS = %s, want fail", v.outcome("RULE-SOURCE-EXISTS"))
			}
			all := strings.Join(v.Notes, "\n")
			for _, n := range tt.notes {
				if !strings.Contains(all, n) {
					t.Errorf("notes lack %q:\n%s", n, all)
				}
			}
			if strings.Contains(all, "aliyuncs.com") {
				t.Errorf("a platform endpoint was contacted though endpoints were given:\n%s", all)
			}
		})
	}
}

// stallingServer accepts connections and holds them open, answering
// nothing: an endpoint that never replies.
func stallingServer(t *testing.T) net.Listener {
	t.Helper()
	stall, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stall.Close() })
	go func() {
		for {
			c, err := stall.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold every connection open until the listener closes
		}
	}()
	return stall
}

// A platform that answers AddSnapshotRepo 200 with Result false has refused
// (the API reference: "false: creation failed"): --apply says declined and
// exits 1, not 4. Its statuses are written as the SDK model comments write
// them (Active), and are read case-blind.
func TestLiveApplyReadsResultFalseAsARefusal(t *testing.T) {
	platform := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		id := strings.TrimPrefix(r.URL.Path, "/openapi/instances/")
		switch {
		case r.Method == http.MethodPost:
			fmt.Fprint(w, `{"RequestId":"declined-1","Result":false}`)
		case strings.HasSuffix(id, "/snapshot-repos"):
			fmt.Fprint(w, `{"RequestId":"list-1","Result":[]}`)
		case !strings.Contains(id, "/"):
			fmt.Fprintf(w, `{"RequestId":"d-1","Result":{"instanceId":%q,"esVersion":"7.10.0_with_X-Pack","status":"Active","instanceCategory":"x-pack"}}`, id)
		default:
			w.WriteHeader(404)
			fmt.Fprint(w, `{"RequestId":"n-1","Code":"InvalidAction.NotFound","Message":"no"}`)
		}
	}))
	defer platform.Close()
	env := liveEnv(t, t.TempDir(), envCreds...)
	code, out, errOut := liveCheck(t, env, "--region", "cn-hangzhou", "--endpoint", platform.URL, "--apply", "-o", "json",
		"--dest", "es-cn-declinedest00001", "--source", "es-cn-declinesrc00001")
	v := decode(t, out)
	if code != 1 || v.Apply == nil || v.Apply.Action != "declined" || !strings.Contains(out, "declined-1") {
		t.Errorf("exit %d, apply %+v: want 1 and declined naming the RequestId\n%s%s", code, v.Apply, out, errOut)
	}
}

// A hostile or broken platform never becomes a verdict: an answer about
// another instance, a redirect elsewhere and an endless answer are failed
// lookups (exit 4), each said in one line, in bounded time and memory.
func TestLiveHostileAnswersAreFailedLookups(t *testing.T) {
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a redirect was followed to %s", r.URL)
	}))
	defer elsewhere.Close()
	tests := []struct {
		name    string
		handler http.HandlerFunc
		says    string
	}{
		{"an answer about another instance", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"RequestId":"x","Result":{"instanceId":"es-cn-someoneelse0001","esVersion":"7.10.0","status":"active"}}`)
		}, `the answer is about instance "es-cn-someoneelse0001", not "es-cn-hostiledest00001"`},
		{"a redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusTemporaryRedirect)
		}, "conform follows no redirect"},
		{"an endless answer", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"RequestId":"x","Result":{"instanceId":"`))
			chunk := []byte(strings.Repeat("a", 64<<10))
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, "answer larger than 4 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			platform := httptest.NewServer(tt.handler)
			defer platform.Close()
			start := time.Now()
			code, out, errOut := liveCheck(t, liveEnv(t, t.TempDir(), envCreds...), "--region", "cn-hangzhou", "--endpoint", platform.URL,
				"--timeout", "3s", "--dest", "es-cn-hostiledest00001", "--source", "es-cn-hostilesrc000001")
			if code != 4 || !strings.Contains(errOut, tt.says) {
				t.Errorf("exit %d, want 4 saying %q\n%s%s", code, tt.says, out, errOut)
			}
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("took %s", took)
			}
		})
	}
}

// The platform's bytes never reach a terminal raw: a Message that would
// clear the screen and forge a verdict, and RequestIds holding ESC, BEL,
// CR, NUL, C1 and newlines, are escaped on stderr and in the facts lines.
func TestLivePlatformTextIsEscapedOnEveryLine(t *testing.T) {
	hostile := "\x1b[2J\x1b[32mcompatible: the platform will accept AddSnapshotRepo\a\r\x00\u009b\nforged line"
	b, _ := json.Marshal(hostile)
	quoted := strings.Trim(string(b), `"`)
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(403)
		fmt.Fprintf(w, `{"Code":"Forbidden.RAM","Message":"%s","RequestId":"r"}`, quoted)
	}))
	defer refuse.Close()
	describe := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := strings.TrimPrefix(r.URL.Path, "/openapi/instances/")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"RequestId":"%s","Result":{"instanceId":"%s","esVersion":"7.10.0_with_X-Pack","status":"active"}}`, quoted, id)
	}))
	defer describe.Close()
	env := liveEnv(t, t.TempDir(), envCreds...)
	for name, url := range map[string]string{"an error Message on stderr": refuse.URL, "RequestIds in the facts": describe.URL} {
		t.Run(name, func(t *testing.T) {
			_, out, errOut := liveCheck(t, env, "--region", "cn-hangzhou", "--endpoint", url, "--timeout", "3s",
				"--dest", "es-cn-hostiledest00001", "--source", "es-cn-hostilesrc000001")
			all := out + errOut
			if strings.ContainsAny(all, "\x1b\a\r\x00\u009b") || strings.Contains(all, "\nforged line") {
				t.Errorf("a control byte or a forged line reached the terminal:\n%q", all)
			}
			if !strings.Contains(all, `\x1b[2J`) {
				t.Errorf("the hostile text is not shown escaped:\n%s", all)
			}
		})
	}
}

// A flag only --live reads, given without it, is refused by name: never
// silently ignored.
func TestLiveOnlyFlagsNeedLive(t *testing.T) {
	for _, flagArgs := range [][]string{{"--timeout", "3s"}, {"--regions", "a,b"}, {"--region-endpoint", "r=http://x"}, {"--region", "r"}, {"--endpoint", "http://x"}, {"--profile", "p"}, {"--apply"}, {"--alternatives"}} {
		args := append([]string{"check", "--dest", "es-cn-cf710dest0000001", "--source", "es-cn-cf74src00000001"}, flagArgs...)
		code, out, errOut := conform(t, args...)
		if code != exitUsage || out != "" || !strings.Contains(errOut, flagArgs[0]+" only means something with --live: add --live, or leave it out") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one line naming %s", flagArgs, code, out, errOut, flagArgs[0])
		}
	}
	code, _, errOut := conform(t, "check", "--dest", "es-cn-cf710dest0000001", "--source", "es-cn-cf74src00000001", "--timeout", "3s", "--profile", "p")
	if code != exitUsage || !strings.Contains(errOut, "--profile, --timeout only mean something with --live: add --live, or leave them out") {
		t.Errorf("two flags without --live: exit %d, %q; want both named in one line", code, errOut)
	}
	if code, out, _ := conform(t, "check", "--output", "json", "--dest", "es-cn-cf710dest0000001", "--source", "es-cn-cf74src00000001"); code != 0 || !json.Valid([]byte(out)) {
		t.Errorf("--output json: exit %d, %q", code, out)
	}
	if _, help, _ := conform(t, "check", "--help"); strings.Contains(help, "map[") {
		t.Errorf("help shows Go value syntax:\n%s", help)
	}
}
