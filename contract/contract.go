// Package contract is the ledger of the API's contract (fixtures/contract.yaml)
// as data: each operation's method, path and parameters with their defaults,
// every error answer's code, status and message, the public source of each
// fact, and the reference pages' own sample exchanges. It is the one
// definition the reference server, the suite, the checker and
// docs/contract.md read.
package contract

import (
	"bytes"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/snaprepo/conform/fixtures"
)

// Kinds of source.
const (
	// KindReference is an API reference page (or the user guide).
	KindReference = "reference"
	// KindModel is the official SDKs' generated models.
	KindModel = "model"
	// KindGateway is the platform's API gateway, for every operation.
	KindGateway = "gateway"
	// KindPlatform is a code the platform answers elsewhere for the same
	// condition, not documented for these operations.
	KindPlatform = "platform"
	// KindConform is conform's own choice where no public source speaks.
	KindConform = "conform"
)

var kinds = []string{KindReference, KindModel, KindGateway, KindPlatform, KindConform}

// Source is one public source the ledger cites.
type Source struct {
	ID    string `yaml:"id"`
	Kind  string `yaml:"kind"`
	Title string `yaml:"title"`
	Where string `yaml:"where"`
}

// Cite is the source in one line: its title and, if any, where it is.
func (s Source) Cite() string {
	if s.Where == "" {
		return s.Title
	}
	return s.Title + " — " + s.Where
}

// Parameter is one input of an operation.
type Parameter struct {
	Name     string `yaml:"name"`
	In       string `yaml:"in"`
	Type     string `yaml:"type"`
	Required bool   `yaml:"required"`
	// Default is the value the platform assumes when the parameter is
	// absent, as text ("true", "10"); empty when there is none.
	Default   string `yaml:"default"`
	MaxLength int    `yaml:"maxLength"`
	Max       int    `yaml:"max"`
	ASCII     bool   `yaml:"ascii"`
	Source    string `yaml:"source"`
	Note      string `yaml:"note"`
}

// Allows reports whether value is within the parameter's length limit and,
// if it must be ASCII, printable ASCII (an absent value always is).
func (p Parameter) Allows(value string) bool {
	if p.MaxLength > 0 && len(value) > p.MaxLength {
		return false
	}
	for i := 0; p.ASCII && i < len(value); i++ {
		if value[i] < 0x20 || value[i] > 0x7e {
			return false
		}
	}
	return true
}

// Result describes an operation's Result field.
type Result struct {
	Type   string `yaml:"type"`
	Source string `yaml:"source"`
	Note   string `yaml:"note"`
}

// Operation is one operation of the API.
type Operation struct {
	Name       string      `yaml:"name"`
	Method     string      `yaml:"method"`
	Path       string      `yaml:"path"`
	Source     string      `yaml:"source"`
	Parameters []Parameter `yaml:"parameters"`
	Result     Result      `yaml:"result"`
	// Documents names the answers (Answer.Name) the operation's reference
	// page lists under "Error codes".
	Documents []string `yaml:"documents"`
}

// Param is the parameter called name, or nil.
func (o *Operation) Param(name string) *Parameter {
	for i := range o.Parameters {
		if o.Parameters[i].Name == name {
			return &o.Parameters[i]
		}
	}
	return nil
}

// PathFor is the operation's path with {InstanceId} replaced by escaped.
func (o *Operation) PathFor(escapedID string) string {
	return strings.Replace(o.Path, "{InstanceId}", escapedID, 1)
}

// Documented reports whether the operation's reference lists the answer
// called name among its error codes.
func (o *Operation) Documented(name string) bool { return slices.Contains(o.Documents, name) }

// Answer is one error answer: the error envelope's Code and Message and the
// HTTP status, with the source that gives them.
type Answer struct {
	Name    string `yaml:"name"`
	Code    string `yaml:"code"`
	Status  int    `yaml:"status"`
	Message string `yaml:"message"`
	Source  string `yaml:"source"`
}

// Example is one sample exchange of a reference page (or a gateway envelope).
type Example struct {
	Name      string         `yaml:"name"`
	Operation string         `yaml:"operation"`
	Source    string         `yaml:"source"`
	Signed    string         `yaml:"signed"`
	Request   ExampleRequest `yaml:"request"`
	Answer    ExampleAnswer  `yaml:"answer"`
}

// ExampleRequest is an example's request; the method is the operation's.
type ExampleRequest struct {
	Path  string            `yaml:"path"`
	Query map[string]string `yaml:"query"`
	Body  string            `yaml:"body"`
}

// ExampleAnswer is an example's answer: status and JSON body.
type ExampleAnswer struct {
	Status int    `yaml:"status"`
	Body   string `yaml:"body"`
}

// Ledger is the whole contract.
type Ledger struct {
	Version    string      `yaml:"version"`
	Sources    []Source    `yaml:"sources"`
	Operations []Operation `yaml:"operations"`
	Answers    []Answer    `yaml:"answers"`
	Examples   []Example   `yaml:"examples"`
}

// Operation is the operation called name, or nil.
func (l *Ledger) Operation(name string) *Operation {
	for i := range l.Operations {
		if l.Operations[i].Name == name {
			return &l.Operations[i]
		}
	}
	return nil
}

// Match is the operation that answers method on escapedPath, and the
// instance ID the path names (unescaped; empty when it names none), or nil.
func (l *Ledger) Match(method, escapedPath string) (*Operation, string) {
	for i := range l.Operations {
		op := &l.Operations[i]
		if op.Method != method {
			continue
		}
		prefix, suffix, templated := strings.Cut(op.Path, "{InstanceId}")
		if !templated {
			if escapedPath == op.Path {
				return op, ""
			}
			continue
		}
		if rest, ok := strings.CutPrefix(escapedPath, prefix); ok {
			if id, ok := strings.CutSuffix(rest, suffix); ok && id != "" && !strings.Contains(id, "/") {
				if unescaped, err := url.PathUnescape(id); err == nil {
					id = unescaped
				}
				return op, id
			}
		}
	}
	return nil, ""
}

// Source is the source called id; the zero Source when there is none.
func (l *Ledger) Source(id string) Source {
	for _, s := range l.Sources {
		if s.ID == id {
			return s
		}
	}
	return Source{}
}

// Answer is the answer called name.
func (l *Ledger) Answer(name string) (Answer, bool) {
	for _, a := range l.Answers {
		if a.Name == name {
			return a, true
		}
	}
	return Answer{}, false
}

// DocumentedBy lists the operations whose reference documents the answer
// called name.
func (l *Ledger) DocumentedBy(name string) []string {
	var ops []string
	for _, o := range l.Operations {
		if o.Documented(name) {
			ops = append(ops, o.Name)
		}
	}
	return ops
}

// builtin parses the embedded ledger once; it never changes afterwards.
var builtin = sync.OnceValues(func() (*Ledger, error) { return Parse(fixtures.Contract) })

// Builtin is the embedded ledger, fixtures/contract.yaml.
func Builtin() (*Ledger, error) { return builtin() }

// MustBuiltin is Builtin for package initialisation: the embedded ledger is
// checked by this package's tests, so a failure here is a build defect.
func MustBuiltin() *Ledger {
	l, err := builtin()
	if err != nil {
		panic(err)
	}
	return l
}

// Parse reads and checks a ledger: every field known, every source cited
// defined, every name once, every answer an operation documents defined.
func Parse(data []byte) (*Ledger, error) {
	var l Ledger
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("contract.yaml: %w", err)
	}
	if err := l.check(); err != nil {
		return nil, fmt.Errorf("contract.yaml: %w", err)
	}
	return &l, nil
}

func (l *Ledger) check() error {
	if l.Version == "" {
		return fmt.Errorf("version: missing (want e.g. \"1.0.0\")")
	}
	sources := map[string]bool{}
	for _, s := range l.Sources {
		if s.ID == "" || sources[s.ID] {
			return fmt.Errorf("sources: id %q is empty or given twice", s.ID)
		}
		if !slices.Contains(kinds, s.Kind) {
			return fmt.Errorf("source %s: kind %q is none of %s", s.ID, s.Kind, strings.Join(kinds, ", "))
		}
		sources[s.ID] = true
	}
	cited := func(where, id string) error {
		if !sources[id] {
			return fmt.Errorf("%s: source %q is not among sources", where, id)
		}
		return nil
	}
	answers := map[string]bool{}
	for _, a := range l.Answers {
		if a.Name == "" || answers[a.Name] {
			return fmt.Errorf("answers: name %q is empty or given twice", a.Name)
		}
		if a.Code == "" || a.Message == "" || a.Status < 200 || a.Status > 599 {
			return fmt.Errorf("answer %s: needs a code, a message and an HTTP status", a.Name)
		}
		if err := cited("answer "+a.Name, a.Source); err != nil {
			return err
		}
		answers[a.Name] = true
	}
	ops := map[string]bool{}
	for _, o := range l.Operations {
		if o.Name == "" || ops[o.Name] {
			return fmt.Errorf("operations: name %q is empty or given twice", o.Name)
		}
		ops[o.Name] = true
		if o.Method == "" || !strings.HasPrefix(o.Path, "/") {
			return fmt.Errorf("operation %s: needs a method and a path from /", o.Name)
		}
		if err := cited("operation "+o.Name, o.Source); err != nil {
			return err
		}
		for _, p := range o.Parameters {
			if err := cited("operation "+o.Name+" parameter "+p.Name, p.Source); err != nil {
				return err
			}
		}
		for _, name := range o.Documents {
			if !answers[name] {
				return fmt.Errorf("operation %s documents %q, which is not among answers", o.Name, name)
			}
		}
	}
	for _, e := range l.Examples {
		if !ops[e.Operation] {
			return fmt.Errorf("example %q: operation %q is not among operations", e.Name, e.Operation)
		}
		if err := cited("example "+e.Name, e.Source); err != nil {
			return err
		}
	}
	return nil
}
