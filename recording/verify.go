package recording

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"

	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"

	"github.com/snaprepo/conform/checks"
	"github.com/snaprepo/conform/contract"
	"github.com/snaprepo/conform/internal/boundedread"
	"github.com/snaprepo/conform/server"
	"github.com/snaprepo/conform/world"
)

// MaxCassette is the largest cassette file read.
const MaxCassette = 64 << 20

// readBounded reads a cassette: a regular file of at most MaxCassette
// bytes whose nesting stays within boundedread.MaxDepth.
func readBounded(name string) ([]byte, error) {
	data, err := boundedread.File(name, MaxCassette)
	if err != nil {
		return nil, err
	}
	if err := boundedread.Depth(data, boundedread.MaxDepth); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return data, nil
}

// fileFS reads one file whatever name go-vcr asks for (it adds ".yaml").
type fileFS struct{ path string }

func (f fileFS) ReadFile(string) ([]byte, error) { return readBounded(f.path) }
func (fileFS) WriteFile(string, []byte) error    { return errors.New("a cassette is only read here") }
func (f fileFS) IsFileExists(string) bool        { _, err := os.Stat(f.path); return err == nil }

// Load reads a cassette file written by conform record (or any go-vcr v4
// cassette), bounded in size and nesting.
func Load(path string) (*cassette.Cassette, error) {
	c, err := cassette.LoadWithFS(strings.TrimSuffix(path, ".yaml"), fileFS{path})
	if err != nil {
		return nil, fmt.Errorf("reading the cassette %s: %w (want a go-vcr v4 cassette, as conform record writes one)", path, err)
	}
	return c, nil
}

// Finding is one exchange where conform would have answered otherwise
// than what was recorded.
type Finding struct {
	// Exchange is the interaction's index in the cassette, from 0.
	Exchange    int    `json:"exchange"`
	Operation   string `json:"operation"`
	Destination string `json:"destination,omitempty"`
	Source      string `json:"source,omitempty"`
	// Recorded and Conform are the two answers: "accepted", or "refused"
	// with the status and code.
	Recorded string `json:"recorded"`
	Conform  string `json:"conform"`
	// Rule is the rule that decided conform's answer to an add (or
	// "every rule passes"), and Why its sentence.
	Rule string `json:"rule,omitempty"`
	Why  string `json:"why,omitempty"`
	// Decision is true when the decision differs (accepted against
	// refused, or a documented code differs); false for a difference in
	// undocumented codes, messages or list contents, which is information.
	Decision bool   `json:"decision"`
	Note     string `json:"note,omitempty"`
}

// Result is a cassette held against conform.
type Result struct {
	Exchanges int       `json:"exchanges"`
	Compared  int       `json:"compared"`
	Agreed    int       `json:"agreed"`
	Findings  []Finding `json:"findings"`
	// Skipped are exchanges that are not decisions of the API (a
	// signature refused, throttling, a 5xx, an unknown path), with why.
	Skipped []Finding `json:"skipped"`
}

// Disagrees reports whether any decision differs.
func (r *Result) Disagrees() bool {
	for _, f := range r.Findings {
		if f.Decision {
			return true
		}
	}
	return false
}

// notDecisions are the answers that say nothing of the API's rules: the
// gateway's refusals of a signature, a key, a permission or a rate, and a
// server's failure.
var notDecisions = map[string]bool{"MissingSignature": true, "IncompleteSignature": true, "UnknownAccessKey": true,
	"SignatureDoesNotMatch": true, "TimestampExpired": true, "NonceUsed": true, "Forbidden": true, "Throttled": true,
	"InternalError": true, "NonceTooLong": true, "AmbiguousRequest": true, "ContentHashMismatch": true, "ContentMD5Mismatch": true}

// Verify replays every recorded exchange, in order, against a reference
// server holding w (as account, or the world's first account), and
// compares each answer with the recorded one.
func Verify(c *cassette.Cassette, w *world.World, account string) (*Result, error) {
	ledger, err := contract.Builtin()
	if err != nil {
		return nil, err
	}
	if account == "" && len(w.Accounts) > 0 {
		account = w.Accounts[0].ID
	}
	known, key := false, ""
	for _, a := range w.Accounts {
		if a.ID == account {
			known = true
			if len(a.AccessKeys) > 0 {
				key = a.AccessKeys[0].ID
			}
		}
	}
	if !known {
		return nil, fmt.Errorf("account %q is not in the world %s: name one of its accounts", account, w.Name)
	}
	ref, err := server.New(server.Options{World: w, NoAuth: true})
	if err != nil {
		return nil, err
	}
	res := &Result{Exchanges: len(c.Interactions), Findings: []Finding{}, Skipped: []Finding{}}
	for n, i := range c.Interactions {
		f, skip := compare(ledger, w, ref, account, key, n, i)
		switch {
		case skip:
			res.Skipped = append(res.Skipped, f)
		case f.Recorded == f.Conform && f.Note == "":
			res.Compared++
			res.Agreed++
		default:
			res.Compared++
			if !f.Decision {
				res.Agreed++
			}
			res.Findings = append(res.Findings, f)
		}
	}
	return res, nil
}

// answer is one side of an exchange, reduced to what is compared.
type answer struct {
	status  int
	code    string
	message string
	result  json.RawMessage
}

func readAnswer(status int, body []byte) answer {
	var env struct {
		Code    string          `json:"Code"`
		Message string          `json:"Message"`
		Result  json.RawMessage `json:"Result"`
	}
	json.Unmarshal(body, &env)
	return answer{status: status, code: env.Code, message: env.Message, result: env.Result}
}

// decision is "accepted", or "refused STATUS CODE" (a 4xx envelope, or
// 200 with Result false), or "failed STATUS" for anything else.
func (a answer) decision() string {
	switch {
	case a.status >= 200 && a.status < 300 && string(a.result) == "false":
		return fmt.Sprintf("refused %d Result false", a.status)
	case a.status >= 200 && a.status < 300:
		return "accepted"
	case a.status >= 400 && a.status < 500:
		return fmt.Sprintf("refused %d %s", a.status, a.code)
	}
	return fmt.Sprintf("failed %d %s", a.status, a.code)
}

func (a answer) refused() bool { return strings.HasPrefix(a.decision(), "refused") }

// sourceOf is the repoPath a request names: in the JSON body, the form
// field body, or the query.
func sourceOf(req cassette.Request, q url.Values) string {
	if s := q.Get("repoPath"); s != "" {
		return s
	}
	body := req.Body
	if b := req.Form.Get("body"); b != "" {
		body = b
	} else if form, err := url.ParseQuery(body); err == nil && form.Get("body") != "" {
		body = form.Get("body")
	}
	var v struct {
		RepoPath string `json:"repoPath"`
	}
	json.Unmarshal([]byte(body), &v)
	return v.RepoPath
}

func compare(l *contract.Ledger, w *world.World, ref http.Handler, account, key string, n int, i *cassette.Interaction) (Finding, bool) {
	f := Finding{Exchange: n}
	u, err := url.Parse(i.Request.URL)
	if err != nil {
		f.Note = "the recorded URL does not parse"
		return f, true
	}
	op, id := l.Match(i.Request.Method, u.EscapedPath())
	if op == nil {
		f.Operation = i.Request.Method + " " + u.EscapedPath()
		f.Note = "not an operation of the contract ledger"
		return f, true
	}
	f.Operation, f.Destination = op.Name, id
	q := u.Query()
	if op.Name == "AddSnapshotRepo" || op.Name == "DeleteSnapshotRepo" {
		f.Source = sourceOf(i.Request, q)
	}
	recorded := readAnswer(i.Response.Code, []byte(i.Response.Body))
	f.Recorded = recorded.decision()
	if name := answerName(l, recorded.code); notDecisions[name] || recorded.status >= 500 {
		f.Note = "not a decision of the API: " + f.Recorded
		return f, true
	}

	replay := httptest.NewRequest(i.Request.Method, u.RequestURI(), strings.NewReader(i.Request.Body))
	if ct := i.Request.Headers.Get("Content-Type"); ct != "" {
		replay.Header.Set("Content-Type", ct)
	}
	if key != "" {
		// Unsigned: the reference server takes the caller to be this key's
		// account.
		replay.Header.Set("Authorization", "acs "+key+":unsigned")
	}
	rec := httptest.NewRecorder()
	ref.ServeHTTP(rec, replay)
	body, _ := io.ReadAll(io.LimitReader(rec.Result().Body, MaxAnswer))
	mine := readAnswer(rec.Code, body)
	f.Conform = mine.decision()

	if op.Name == "AddSnapshotRepo" {
		v := w.Policy.Evaluate(f.Destination, w.VisibleTo(account, f.Destination), f.Source, w.VisibleTo(account, f.Source))
		if i := v.Deciding(); i >= 0 {
			f.Rule, f.Why = checks.Rules()[i].ID, v.Message(i)
		} else {
			f.Rule = "every rule passes"
		}
	}
	switch {
	case recorded.refused() != mine.refused() || (recorded.decision() == "accepted") != (mine.decision() == "accepted"):
		f.Decision = true
	case recorded.refused() && recorded.code != mine.code && (op.Documented(answerName(l, recorded.code)) || op.Documented(answerName(l, mine.code))):
		f.Decision = true
		f.Note = "a documented code differs"
	case recorded.refused() && recorded.code != mine.code:
		f.Note = "the codes differ; neither is documented for " + op.Name
	case recorded.refused() && recorded.message != mine.message && recorded.code != "":
		f.Note = fmt.Sprintf("the messages differ: recorded %q, conform %q", clip(recorded.message), clip(mine.message))
	case !recorded.refused() && !jsonEqual(recorded.result, mine.result) && strings.HasPrefix(op.Name, "List"):
		f.Note = "the lists differ: recorded " + clip(string(recorded.result)) + ", conform " + clip(string(mine.result))
	}
	return f, false
}

// answerName is the ledger's name for an error code, or "".
func answerName(l *contract.Ledger, code string) string {
	for _, a := range l.Answers {
		if a.Code == code {
			return a.Name
		}
	}
	return ""
}

// jsonEqual compares two JSON values, ignoring formatting and key order.
func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	xs, _ := json.Marshal(x)
	ys, _ := json.Marshal(y)
	return bytes.Equal(xs, ys)
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
