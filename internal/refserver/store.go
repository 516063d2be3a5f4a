package refserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/snaprepo/conform/world"
)

// StateFile is the name of the state file under --data-dir.
const StateFile = "repos.json"

// stateFormat tags the state file so a future layout can be told apart.
const stateFormat = "conform-repos/1"

type stateDoc struct {
	Format string       `json:"format"`
	Repos  []world.Repo `json:"repos"`
}

// Store holds the shared repositories: for each destination, the sources it
// references, in the order they were added. With a directory, every change
// is on disk (temp file, fsync, rename) before it is visible or answered.
type Store struct {
	mu     sync.Mutex
	repos  map[string][]string
	dir    string
	faults *Faults
	// added counts acknowledged adds, for the LoseEvery50th fault.
	added int
}

// OpenStore makes a store seeded with the world's repos, or, when dir holds a
// state file, with that file's repos. A state file that cannot be read whole
// is an error: it is never silently replaced.
func OpenStore(dir string, seed []world.Repo, faults *Faults) (*Store, error) {
	s := &Store{repos: map[string][]string{}, dir: dir, faults: faults}
	repos := seed
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("data dir %s: %w", dir, err)
		}
		// Temporary state files are left only by a crash between write and
		// rename: they never hold the state, so they go.
		leftovers, _ := filepath.Glob(filepath.Join(dir, StateFile+".*.tmp"))
		for _, f := range leftovers {
			if err := os.Remove(f); err != nil {
				return nil, fmt.Errorf("data dir %s: removing the leftover %s: %w", dir, filepath.Base(f), err)
			}
		}
		path := filepath.Join(dir, StateFile)
		data, err := os.ReadFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// A new data dir starts from the world's repos.
		case err != nil:
			return nil, fmt.Errorf("state file %s: %w", path, err)
		default:
			var doc stateDoc
			if err := json.Unmarshal(data, &doc); err != nil || doc.Format != stateFormat {
				return nil, fmt.Errorf("state file %s is corrupt (%v): it was left untouched; restore it from a backup, or move it away to start from the world's repos", path, describeCorruption(err, doc.Format))
			}
			repos = doc.Repos
		}
	}
	for _, r := range repos {
		if !slices.Contains(s.repos[r.Instance], r.RepoPath) {
			s.repos[r.Instance] = append(s.repos[r.Instance], r.RepoPath)
		}
	}
	if dir != "" {
		if err := s.persist(s.repos); err != nil {
			return nil, err
		}
	}
	return s, nil
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
	next := map[string][]string{}
	for _, r := range seed {
		if !slices.Contains(next[r.Instance], r.RepoPath) {
			next[r.Instance] = append(next[r.Instance], r.RepoPath)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir != "" {
		if err := s.persist(next); err != nil {
			return err
		}
	}
	s.repos = next
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

// change persists the new list of dest, then makes it visible. Callers hold mu.
func (s *Store) change(dest string, sources []string) error {
	next := make(map[string][]string, len(s.repos)+1)
	for k, v := range s.repos {
		next[k] = v
	}
	if len(sources) == 0 {
		delete(next, dest)
	} else {
		next[dest] = sources
	}
	if s.dir != "" {
		if err := s.persist(next); err != nil {
			return err
		}
	}
	s.repos = next
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
