package refserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/snaprepo/conform/internal/boundedread"
	"github.com/snaprepo/conform/internal/terminal"
	"github.com/snaprepo/conform/world"
)

// StateFile is the name of the state file under --data-dir: every
// repository, as of the last compaction.
const StateFile = "repos.json"

// JournalFile is the name of the journal under --data-dir: one line per
// change since the state file was written, each the whole new list of one
// destination, so a change costs that destination's list, not the fleet's.
const JournalFile = "repos.journal"

// LockFile is the name of the lock under --data-dir: held by the one
// server using the directory, released when it stops.
const LockFile = "lock"

// MaxStateFile bounds the state file and the journal read at start: far
// beyond any fleet's repositories (a million take about 90 MiB).
const MaxStateFile = 256 << 20

// minCompaction is the fewest journal lines that make a compaction: the
// journal is folded into the state file once it holds more lines than
// this or than there are repositories, so each change costs a constant
// share of a rewrite.
const minCompaction = 1024

// stateFormat tags the state file so a future layout can be told apart.
const stateFormat = "conform-repos/1"

type stateDoc struct {
	Format string       `json:"format"`
	Repos  []world.Repo `json:"repos"`
}

// journalLine is one change: dest's whole list of sources after it.
type journalLine struct {
	Instance string   `json:"instance"`
	Sources  []string `json:"sources"`
}

// Store holds the shared repositories: for each destination, the sources it
// references, in the order they were added. With a directory, every change
// is on disk (a journal line, fsynced) before it is visible or answered.
type Store struct {
	mu     sync.Mutex
	repos  map[string][]string
	dir    string
	faults *Faults
	// added counts acknowledged adds, for the LoseEvery50th fault.
	added int
	// count is the number of repositories; journaled the lines since the
	// last compaction.
	count, journaled int
	journal          *os.File
	lock             *os.File
}

// OpenStore makes a store seeded with the world's repos, or, when dir holds a
// state file, with that file's repos and its journal's changes. known says
// whether an instance is the world's: a state naming another is refused, as
// is one that cannot be read whole, and neither is ever silently replaced.
// A directory another server holds is refused.
func OpenStore(dir string, seed []world.Repo, known func(id string) bool, faults *Faults) (*Store, error) {
	s := &Store{repos: map[string][]string{}, dir: dir, faults: faults}
	if dir == "" {
		s.load(seed)
		return s, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("data dir %s: %w (give a directory this server may create, or no data dir to keep repositories in memory)", dir, err)
	}
	if err := s.acquire(); err != nil {
		return nil, err
	}
	fail := func(err error) (*Store, error) {
		s.Close()
		return nil, err
	}
	// Temporary state files are left only by a crash between write and
	// rename: they never hold the state, so they go.
	leftovers, _ := filepath.Glob(filepath.Join(dir, StateFile+".*.tmp"))
	for _, f := range leftovers {
		if err := os.Remove(f); err != nil {
			return fail(fmt.Errorf("data dir %s: removing the leftover %s: %w", dir, filepath.Base(f), err))
		}
	}
	repos, err := readState(filepath.Join(dir, StateFile), seed)
	if err != nil {
		return fail(err)
	}
	s.load(repos)
	if err := s.replay(filepath.Join(dir, JournalFile)); err != nil {
		return fail(err)
	}
	if err := s.checkKnown(known); err != nil {
		return fail(err)
	}
	if err := s.compact(); err != nil {
		return fail(err)
	}
	return s, nil
}

// acquire takes the directory's lock, or says which server holds it.
func (s *Store) acquire() error {
	path := filepath.Join(s.dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|oNoFollow, 0o644)
	if err != nil {
		return fmt.Errorf("data dir %s cannot be used: %w (give a directory this server may write, or no data dir to keep repositories in memory)", s.dir, err)
	}
	if err := lockFile(f); err != nil {
		holder, _ := io.ReadAll(io.LimitReader(f, 32))
		f.Close()
		return fmt.Errorf("data dir %s is in use by another server (process %s, holding %s): stop it, or give each server its own data dir", s.dir, terminal.Line(strings.TrimSpace(string(holder))), path)
	}
	if f.Truncate(0) == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	s.lock = f
	return nil
}

// readState is the state file's repositories, or seed when there is none.
func readState(path string, seed []world.Repo) ([]world.Repo, error) {
	data, err := boundedread.FileNoFollow(path, MaxStateFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return seed, nil // a new data dir starts from the world's repos
	case err != nil:
		return nil, fmt.Errorf("state file: %w (it was left untouched; move it away to start from the world's repos)", err)
	}
	var doc stateDoc
	if err := boundedread.Depth(data, boundedread.MaxDepth); err != nil {
		return nil, corrupt(path, err.Error())
	}
	if err := json.Unmarshal(data, &doc); err != nil || doc.Format != stateFormat {
		return nil, corrupt(path, describeCorruption(err, doc.Format))
	}
	return doc.Repos, nil
}

func corrupt(path, why string) error {
	return fmt.Errorf("state file %s is corrupt (%s): it was left untouched; restore it from a backup, or move it away to start from the world's repos", path, why)
}

// replay applies the journal's lines. A last line without its newline is a
// change whose write was cut short, so never answered: it is left out.
func (s *Store) replay(path string) error {
	data, err := boundedread.FileNoFollow(path, MaxStateFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("journal: %w (it was left untouched; move it away to lose the changes since %s was written)", err, StateFile)
	}
	data = data[:bytes.LastIndexByte(data, '\n')+1]
	for n, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var j journalLine
		if err := boundedread.Depth(line, boundedread.MaxDepth); err != nil {
			// Depth counts the lines of what it is given: one, here.
			if deep, ok := errors.AsType[*boundedread.DepthError](err); ok {
				deep.Line = n + 1
			}
			return corrupt(path, err.Error())
		}
		if err := json.Unmarshal(line, &j); err != nil || j.Instance == "" {
			return corrupt(path, fmt.Sprintf("line %d: %s", n+1, describeCorruption(err, stateFormat)))
		}
		s.set(j.Instance, j.Sources)
	}
	return nil
}

// checkKnown refuses a state that names instances the world lacks: served,
// they would be repositories of nobody's clusters.
func (s *Store) checkKnown(known func(string) bool) error {
	if known == nil {
		return nil
	}
	unknown, first := 0, ""
	for dest, sources := range s.repos {
		for _, id := range append([]string{dest}, sources...) {
			if !known(id) {
				if unknown++; first == "" || id < first {
					first = id
				}
			}
		}
	}
	if unknown > 0 {
		return fmt.Errorf("data dir %s names %d instance(s) the world does not hold (the first: %q): it was left untouched; serve the world that wrote it, or give another data dir", s.dir, unknown, terminal.Line(first))
	}
	return nil
}

// load makes the store hold repos, each pair once.
func (s *Store) load(repos []world.Repo) {
	s.repos, s.count = map[string][]string{}, 0
	for _, r := range repos {
		if !slices.Contains(s.repos[r.Instance], r.RepoPath) {
			s.repos[r.Instance] = append(s.repos[r.Instance], r.RepoPath)
			s.count++
		}
	}
}

// set makes dest's list sources, in memory. Callers hold mu, or own s.
func (s *Store) set(dest string, sources []string) {
	s.count += len(sources) - len(s.repos[dest])
	if len(sources) == 0 {
		delete(s.repos, dest)
	} else {
		s.repos[dest] = sources
	}
}

// Close releases the data directory (its journal and lock); the store
// answers from memory afterwards and writes nothing.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	if s.journal != nil {
		errs = append(errs, s.journal.Close())
		s.journal = nil
	}
	if s.lock != nil {
		errs = append(errs, s.lock.Close())
		s.lock = nil
	}
	s.dir = ""
	return errors.Join(errs...)
}

func describeCorruption(err error, format string) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("format %q, want %q", format, stateFormat)
}

// List is the sources dest references.
func (s *Store) List(dest string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.repos[dest])
}

// All is every repository, by destination in name order, each
// destination's sources in the order added.
func (s *Store) All() []world.Repo {
	s.mu.Lock()
	defer s.mu.Unlock()
	dests := make([]string, 0, len(s.repos))
	for d := range s.repos {
		dests = append(dests, d)
	}
	slices.Sort(dests)
	out := []world.Repo{}
	for _, d := range dests {
		for _, src := range s.repos[d] {
			out = append(out, world.Repo{Instance: d, RepoPath: src})
		}
	}
	return out
}

// Reset replaces every repository with seed, persisted like any change.
func (s *Store) Reset(seed []world.Repo) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, count := s.repos, s.count
	s.load(seed)
	if s.dir != "" {
		if err := s.compact(); err != nil {
			s.repos, s.count = old, count
			return err
		}
	}
	return nil
}

// Has reports whether dest references src.
func (s *Store) Has(dest, src string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.repos[dest], src)
}

// Add makes dest reference src, once: adding what is there changes nothing.
func (s *Store) Add(dest, src string) error {
	if s.faults.RaceOnConcurrentAdd {
		return s.racyAdd(dest, src)
	}
	if s.faults.LostUpdate {
		return s.lostUpdateAdd(dest, src)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.Contains(s.repos[dest], src) && !s.faults.DuplicateOnRepeat {
		return nil
	}
	if s.faults.LoseFourthRepo && len(s.repos[dest]) == 3 {
		return nil
	}
	if s.added++; s.faults.LoseEvery50th && s.added%50 == 0 {
		return nil
	}
	return s.change(dest, append(slices.Clone(s.repos[dest]), src))
}

// lostUpdateAdd is the LostUpdate fault: the list is read, extended and
// written back with nothing held between, so a concurrent add of another
// source is overwritten.
func (s *Store) lostUpdateAdd(dest, src string) error {
	s.mu.Lock()
	list := slices.Clone(s.repos[dest])
	s.mu.Unlock()
	if slices.Contains(list, src) {
		return nil
	}
	time.Sleep(20 * time.Millisecond)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.change(dest, append(list, src))
}

// racyAdd is the planted fault: check and insert under separate locks.
func (s *Store) racyAdd(dest, src string) error {
	s.mu.Lock()
	exists := slices.Contains(s.repos[dest], src)
	s.mu.Unlock()
	if exists {
		return nil
	}
	time.Sleep(100 * time.Millisecond) // a slow store widens the window, as under load
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.change(dest, append(slices.Clone(s.repos[dest]), src))
}

// Delete removes src from dest; removed is false when it was not there.
func (s *Store) Delete(dest, src string) (removed bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.Index(s.repos[dest], src)
	if i < 0 {
		return false, nil
	}
	switch f := s.faults; {
	case f.DeleteFirstEntry:
		i = 0
	case f.DeletePrefix:
		prefix := src[:min(10, len(src))]
		return true, s.change(dest, slices.DeleteFunc(slices.Clone(s.repos[dest]), func(x string) bool { return strings.HasPrefix(x, prefix) }))
	case f.DeleteEverywhere:
		for other, list := range s.repos {
			if other != dest && slices.Contains(list, src) {
				if err := s.change(other, slices.DeleteFunc(slices.Clone(list), func(x string) bool { return x == src })); err != nil {
					return false, err
				}
			}
		}
	}
	return true, s.change(dest, slices.Delete(slices.Clone(s.repos[dest]), i, i+1))
}

// change writes the new list of dest to the journal, then makes it
// visible. Callers hold mu.
func (s *Store) change(dest string, sources []string) error {
	if s.dir != "" {
		line, err := json.Marshal(journalLine{Instance: dest, Sources: sources})
		if err != nil {
			return fmt.Errorf("encoding a change: %w", err)
		}
		if _, err := s.journal.Write(append(line, '\n')); err != nil {
			return fmt.Errorf("writing %s in %s: %w", JournalFile, s.dir, err)
		}
		if err := s.journal.Sync(); err != nil {
			return fmt.Errorf("syncing %s in %s: %w", JournalFile, s.dir, err)
		}
		s.journaled++
	}
	s.set(dest, sources)
	if s.dir != "" && s.journaled > max(minCompaction, s.count) {
		return s.compact()
	}
	return nil
}

// compact writes every repository to the state file (temp file, fsync,
// rename, fsync dir), then empties the journal. A crash in between replays
// journal lines the state file already holds: each sets a whole list, so
// replaying one twice changes nothing.
func (s *Store) compact() error {
	if err := s.persist(s.repos); err != nil {
		return err
	}
	if s.journal == nil {
		f, err := os.OpenFile(filepath.Join(s.dir, JournalFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND|oNoFollow, 0o644)
		if err != nil {
			return fmt.Errorf("opening %s in %s: %w", JournalFile, s.dir, err)
		}
		s.journal = f
	}
	if err := s.journal.Truncate(0); err != nil {
		return fmt.Errorf("emptying %s in %s: %w", JournalFile, s.dir, err)
	}
	if err := s.journal.Sync(); err != nil {
		return fmt.Errorf("syncing %s in %s: %w", JournalFile, s.dir, err)
	}
	s.journaled = 0
	return nil
}

// persist writes the state atomically: temp file, fsync, rename, fsync dir.
func (s *Store) persist(repos map[string][]string) error {
	doc := stateDoc{Format: stateFormat, Repos: []world.Repo{}}
	dests := make([]string, 0, len(repos))
	for d := range repos {
		dests = append(dests, d)
	}
	slices.Sort(dests)
	for _, d := range dests {
		for _, src := range repos[d] {
			doc.Repos = append(doc.Repos, world.Repo{Instance: d, RepoPath: src})
		}
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding state: %w", err)
	}
	tmp, err := os.CreateTemp(s.dir, StateFile+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing state in %s: %w", s.dir, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("writing state %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("syncing state %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("closing state %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(s.dir, StateFile)); err != nil {
		return fmt.Errorf("replacing state in %s: %w", s.dir, err)
	}
	if d, err := os.Open(s.dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
