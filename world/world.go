// Package world loads the fixture world: the accounts, AccessKeys and
// Elasticsearch instances an implementation under test holds (docs/world.md). The
// reference server serves it, the suite reads it to know which instance plays
// which part, and the checker reads its instances as an inventory.
package world

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/snaprepo/conform/checks"
	"github.com/snaprepo/conform/fixtures"
)

// File is the pinned on-disk format of docs/world.md. Field names are a public
// interface: never rename one.
type File struct {
	Region        string            `yaml:"region" json:"region"`
	Accounts      []Account         `yaml:"accounts" json:"accounts"`
	Instances     []InstanceRecord  `yaml:"instances" json:"instances"`
	LatestKernels map[string]string `yaml:"latestKernels,omitempty" json:"latestKernels,omitempty"`
	Repos         []Repo            `yaml:"repos,omitempty" json:"repos,omitempty"`
}

// Account is an Alibaba Cloud account and the AccessKeys that act for it.
type Account struct {
	ID         string      `yaml:"id" json:"id"`
	Name       string      `yaml:"name,omitempty" json:"name,omitempty"`
	AccessKeys []AccessKey `yaml:"accessKeys,omitempty" json:"accessKeys,omitempty"`
}

// AccessKey is an AccessKey pair. Secret may be left out of a world and
// passed by environment instead.
type AccessKey struct {
	ID     string `yaml:"id" json:"id"`
	Secret string `yaml:"secret,omitempty" json:"secret,omitempty"`
}

// InstanceRecord is one instance as the world file writes it.
type InstanceRecord struct {
	ID      string `yaml:"id" json:"id"`
	Account string `yaml:"account" json:"account"`
	Region  string `yaml:"region" json:"region"`
	Version string `yaml:"version" json:"version"`
	Edition string `yaml:"edition,omitempty" json:"edition,omitempty"`
	Kernel  string `yaml:"kernel,omitempty" json:"kernel,omitempty"`
	Status  string `yaml:"status,omitempty" json:"status,omitempty"`
}

// Repo is a shared repository that already exists: Instance references the
// repository of RepoPath.
type Repo struct {
	Instance string `yaml:"instance" json:"instance"`
	RepoPath string `yaml:"repoPath" json:"repoPath"`
	// Status is the repository's status as ListSnapshotReposByInstanceId
	// reports it: available (the default) or unavailable.
	Status string `yaml:"status,omitempty" json:"status,omitempty"`
}

// The statuses of a repository, as ListSnapshotReposByInstanceId reports
// them (API reference: "available" or "unavailable").
const (
	RepoAvailable   = "available"
	RepoUnavailable = "unavailable"
)

// World is a loaded, validated world.
type World struct {
	// Name is where the world came from, for messages.
	Name      string
	Region    string
	Accounts  []Account
	Instances []checks.Instance
	Repos     []Repo
	Policy    checks.Policy
	// latestKernels is the file's latestKernels, as written.
	latestKernels map[string]string
	digest        string
	byID          map[string]int
	keys          map[string]keyOwner
}

type keyOwner struct {
	account string
	secret  string
}

// BuiltinName names the embedded world in messages.
const BuiltinName = "built-in world (fixtures/world.yaml)"

// Builtin loads the world embedded in the binary.
func Builtin() (*World, error) {
	return Parse(BuiltinName, fixtures.World)
}

// MaxFileSize bounds what Load reads: a world of a million instances is
// about 130 MB of JSON, and a path that is no world (a log, /dev/zero) must
// not be read until memory runs out.
const MaxFileSize = 512 << 20

// Load reads and validates a world file, YAML or JSON.
func Load(path string) (*World, error) { return loadAtMost(path, MaxFileSize) }

// sizeText is a size for people: MiB when whole, else bytes.
func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// loadAtMost is Load reading at most max bytes.
func loadAtMost(path string, max int64) (*World, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("world: %w", err)
	}
	defer f.Close()
	tooLarge := fmt.Errorf("world: %s is larger than %s, more than a world of a million instances (about 130 MB): is it a world file? (see docs/world.md)", path, sizeText(max))
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("world: %w", err)
	}
	if fi.Mode().IsRegular() && fi.Size() > max {
		return nil, tooLarge
	}
	// Not every file says its size (a pipe, a device): the read is bounded.
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("world: reading %s: %w", path, err)
	}
	if int64(len(data)) > max {
		return nil, tooLarge
	}
	return Parse(path, data)
}

// LoadOrBuiltin loads path, or the built-in world when path is empty.
func LoadOrBuiltin(path string) (*World, error) {
	if path == "" {
		return Builtin()
	}
	return Load(path)
}

// Problem is one thing wrong in a world file.
type Problem struct {
	Where string // e.g. "instance es-cn-x" or "accounts[2]"
	Field string // e.g. "version"
	Msg   string
}

// MaxProblems is how many problems of a world are kept and reported; the
// rest are counted.
const MaxProblems = 100

// InvalidError lists the problems of a world file, not only the first: up
// to MaxProblems of them, and how many more there are.
type InvalidError struct {
	Name     string
	Problems []Problem
	// More is how many problems were found beyond Problems.
	More int
}

// Error lists the problems, one a line, each with the file, the place and
// the field, then how many more there are. A single problem is one line.
func (e *InvalidError) Error() string {
	var b strings.Builder
	if len(e.Problems) == 1 && e.More == 0 {
		e.writeProblem(&b, e.Problems[0])
		return b.String()
	}
	fmt.Fprintf(&b, "%s: %d problem(s):", e.Name, len(e.Problems)+e.More)
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		e.writeProblem(&b, p)
	}
	if e.More > 0 {
		fmt.Fprintf(&b, "\n  … and %d more problem(s); fix these and run again to see them", e.More)
	}
	return b.String()
}

// writeProblem writes one problem: the file, the place, the field, the message.
func (e *InvalidError) writeProblem(b *strings.Builder, p Problem) {
	b.WriteString(e.Name)
	b.WriteString(": ")
	if p.Where != "" {
		b.WriteString(p.Where + ": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Msg)
}

// Parse decodes and validates a world. JSON (a document starting with "{")
// goes through encoding/json, which is much faster on large inventories.
func Parse(name string, data []byte) (*World, error) {
	var f File
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		if err := strictJSON(data); err != nil {
			return nil, fmt.Errorf("%s: not a world file: %w (see docs/world.md for the format)", name, err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("%s: not a world file: %w (see docs/world.md for the format)", name, err)
		}
	} else {
		if err := decodeYAML(data, &f, yamlChunkLines); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%s: the file is empty (want a world: region, accounts, instances; see docs/world.md)", name)
			}
			return nil, fmt.Errorf("%s: not a world file: %s (see docs/world.md for the format)", name, explainYAML(err))
		}
	}
	w, err := FromFile(name, &f)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	w.digest = "sha256:" + hex.EncodeToString(sum[:])
	return w, nil
}

// FromFile validates a decoded world file whole and builds the World.
func FromFile(name string, f *File) (*World, error) {
	var probs []Problem
	more := 0
	keep := func(ps ...Problem) {
		n := min(len(ps), MaxProblems-len(probs))
		probs = append(probs, ps[:n]...)
		more += len(ps) - n
	}
	add := func(where, field, format string, args ...any) {
		if len(probs) >= MaxProblems {
			more++
			return
		}
		keep(Problem{Where: where, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	w := &World{
		Name:          name,
		Region:        f.Region,
		Accounts:      f.Accounts,
		Repos:         f.Repos,
		Policy:        checks.DefaultPolicy(),
		latestKernels: f.LatestKernels,
		byID:          make(map[string]int, len(f.Instances)),
		keys:          map[string]keyOwner{},
	}
	if f.Region == "" {
		add("", "region", "missing (want the region the endpoint serves, e.g. cn-hangzhou)")
	} else if err := ValidRegion(f.Region); err != nil {
		add("", "region", "%v", err)
	}
	accounts := map[string]bool{}
	for i, a := range f.Accounts {
		where := fmt.Sprintf("accounts[%d]", i)
		if a.ID == "" {
			add(where, "id", "missing (want the account UID as a string, e.g. \"1638000000000001\")")
			continue
		}
		if err := ValidText("account id", a.ID); err != nil {
			add(where, "id", "%v", err)
		}
		if err := ValidText("account name", a.Name); err != nil {
			add(where, "name", "%v", err)
		}
		where = "account " + a.ID
		if accounts[a.ID] {
			add(where, "id", "duplicate account id %q (ids must be unique)", a.ID)
		}
		accounts[a.ID] = true
		for j, k := range a.AccessKeys {
			if k.ID == "" {
				add(where, fmt.Sprintf("accessKeys[%d].id", j), "missing (want an AccessKeyId, e.g. LTAI5tConformPrimary01)")
				continue
			}
			if _, dup := w.keys[k.ID]; dup {
				add(where, fmt.Sprintf("accessKeys[%d].id", j), "duplicate AccessKeyId %q (an AccessKey belongs to one account)", k.ID)
			}
			w.keys[k.ID] = keyOwner{account: a.ID, secret: k.Secret}
		}
	}
	w.Instances = make([]checks.Instance, 0, len(f.Instances))
	for i, rec := range f.Instances {
		inst, ps := instanceFromRecord(i, rec, accounts)
		keep(ps...)
		if rec.ID == "" {
			continue
		}
		if _, dup := w.byID[rec.ID]; dup {
			add("instance "+rec.ID, "id", "duplicate instance id %q (ids must be unique)", rec.ID)
			continue
		}
		w.byID[rec.ID] = len(w.Instances)
		w.Instances = append(w.Instances, inst)
	}
	for ver, k := range f.LatestKernels {
		key, err := checks.ParseVersionKey(ver)
		if err != nil {
			add("latestKernels", ver, "%v", err)
			continue
		}
		kv, err := checks.ParseKernel(k)
		if err != nil {
			add("latestKernels", ver, "%v", err)
			continue
		}
		w.Policy.LatestKernels[key] = kv
	}
	for i, r := range f.Repos {
		where := fmt.Sprintf("repos[%d]", i)
		if _, ok := w.byID[r.Instance]; !ok {
			add(where, "instance", "%q is not an instance of this world (name one listed under instances)", r.Instance)
		}
		if _, ok := w.byID[r.RepoPath]; !ok {
			add(where, "repoPath", "%q is not an instance of this world (name one listed under instances)", r.RepoPath)
		}
		if r.Status != "" && r.Status != RepoAvailable && r.Status != RepoUnavailable {
			add(where, "status", "%q is not a repository status (want %s or %s)", r.Status, RepoAvailable, RepoUnavailable)
		}
	}
	if len(probs) > 0 {
		return nil, &InvalidError{Name: name, Problems: probs, More: more}
	}
	return w, nil
}

func instanceFromRecord(i int, rec InstanceRecord, accounts map[string]bool) (checks.Instance, []Problem) {
	var probs []Problem
	where := fmt.Sprintf("instances[%d]", i)
	if rec.ID != "" {
		where = "instance " + rec.ID
	}
	add := func(field, format string, args ...any) {
		probs = append(probs, Problem{Where: where, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	inst := checks.Instance{ID: rec.ID, Account: rec.Account, Region: rec.Region}
	if rec.ID == "" {
		add("id", "missing (want an instance ID, e.g. es-cn-n6w1o1x0w001c)")
	} else if err := ValidID(rec.ID); err != nil {
		add("id", "%v", err)
	}
	switch {
	case rec.Account == "":
		add("account", "missing (want the id of an account of this world)")
	case !accounts[rec.Account]:
		add("account", "%q is not an account of this world (add it under accounts, or name one that is there)", rec.Account)
	}
	if rec.Region == "" {
		add("region", "missing (want a region ID, e.g. cn-hangzhou)")
	} else if err := ValidRegion(rec.Region); err != nil {
		add("region", "%v", err)
	}
	var err error
	if inst.Version, err = checks.ParseVersion(rec.Version); err != nil {
		add("version", "%v", err)
	}
	if inst.Edition, err = checks.ParseEdition(rec.Edition); err != nil {
		add("edition", "%v", err)
	}
	if rec.Kernel != "" {
		if inst.Kernel, err = checks.ParseKernel(rec.Kernel); err != nil {
			add("kernel", "%v", err)
		}
	}
	status := rec.Status
	if status == "" {
		status = string(checks.StatusActive)
	}
	if inst.Status, err = checks.ParseStatus(status); err != nil {
		add("status", "%v", err)
	}
	return inst, probs
}

// ValidRegion reports whether r can be a region ID: 1 to 64 letters,
// digits, '-', '_' and '.' (the platform's are like cn-hangzhou). A region
// is printed in verdicts and pages: no other byte may reach them.
func ValidRegion(r string) error {
	if r == "" || len(r) > 64 {
		return fmt.Errorf("region %q must be 1 to 64 characters (e.g. cn-hangzhou)", truncate(r, 80))
	}
	for _, c := range r {
		if !(c == '-' || c == '_' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return fmt.Errorf("region %q may hold only letters, digits, '-', '_' and '.' (e.g. cn-hangzhou)", truncate(r, 80))
		}
	}
	return nil
}

// ValidText reports whether s, the field what, is printable text of at
// most 128 bytes: valid UTF-8, no control character (an account's id or
// name is printed in verdicts, on terminals and in pages).
func ValidText(what, s string) error {
	if len(s) > 128 {
		return fmt.Errorf("%s %q is longer than 128 bytes", what, truncate(s, 80))
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s %q is not valid UTF-8", what, truncate(s, 80))
	}
	for _, c := range s {
		if !unicode.IsPrint(c) {
			return fmt.Errorf("%s %q holds a control character (write it without)", what, truncate(s, 80))
		}
	}
	return nil
}

// ValidID reports whether id can be an instance ID: 1 to 64 characters of
// letters, digits, '-' and '_'. It is the one check the reference server
// applies to IDs in paths and bodies too.
func ValidID(id string) error {
	if id == "" || len(id) > 64 {
		return fmt.Errorf("instance ID %q must be 1 to 64 characters (e.g. es-cn-n6w1o1x0w001c)", truncate(id, 80))
	}
	for _, r := range id {
		if !(r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return fmt.Errorf("instance ID %q may hold only letters, digits, '-' and '_' (e.g. es-cn-n6w1o1x0w001c)", truncate(id, 80))
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// File is the world in its file format: what FromFile makes it from
// again. Every slice is a copy.
func (w *World) File() File {
	f := File{Region: w.Region, Accounts: slices.Clone(w.Accounts), Repos: slices.Clone(w.Repos)}
	if len(w.latestKernels) > 0 {
		f.LatestKernels = maps.Clone(w.latestKernels)
	}
	f.Instances = make([]InstanceRecord, 0, len(w.Instances))
	for _, in := range w.Instances {
		f.Instances = append(f.Instances, Record(in))
	}
	return f
}

// Record is an instance as the world file writes it.
func Record(in checks.Instance) InstanceRecord {
	rec := InstanceRecord{ID: in.ID, Account: in.Account, Region: in.Region, Version: in.Version.Raw,
		Edition: string(in.Edition), Status: string(in.Status)}
	if in.Kernel != nil {
		rec.Kernel = in.Kernel.String()
	}
	return rec
}

// Instance is the instance with that ID, or nil.
func (w *World) Instance(id string) *checks.Instance {
	if i, ok := w.byID[id]; ok {
		return &w.Instances[i]
	}
	return nil
}

// InstanceIDs are the IDs of every instance, in the file's order.
func (w *World) InstanceIDs() []string {
	ids := make([]string, len(w.Instances))
	for i := range w.Instances {
		ids[i] = w.Instances[i].ID
	}
	return ids
}

// VisibleTo is the instance with that ID if account may see it, else nil:
// to a caller, another account's instance does not exist.
func (w *World) VisibleTo(account, id string) *checks.Instance {
	inst := w.Instance(id)
	if inst == nil || inst.Account != account {
		return nil
	}
	return inst
}

// KeyOwner is the account an AccessKeyId acts for, and its secret as the
// world holds it ("" when the world leaves it out).
func (w *World) KeyOwner(accessKeyID string) (account, secret string, ok bool) {
	k, ok := w.keys[accessKeyID]
	return k.account, k.secret, ok
}

// Digest is the SHA-256 of the world's bytes, for reports.
func (w *World) Digest() string { return w.digest }
