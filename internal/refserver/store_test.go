//go:build unix

package refserver

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/snaprepo/conform/world"
)

var storeSeed = []world.Repo{{Instance: "es-cn-d1", RepoPath: "es-cn-s1"}}

func knownIDs(ids ...string) func(string) bool {
	return func(id string) bool {
		for _, k := range ids {
			if k == id {
				return true
			}
		}
		return false
	}
}

var storeKnown = knownIDs("es-cn-d1", "es-cn-d2", "es-cn-s1", "es-cn-s2", "es-cn-s3")

func openStore(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := OpenStore(dir, storeSeed, storeKnown, &Faults{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openFails opens dir, which must be refused fast with an error naming
// want.
func openFails(t *testing.T, dir, want string) {
	t.Helper()
	start := time.Now()
	s, err := OpenStore(dir, storeSeed, storeKnown, &Faults{})
	if err == nil {
		s.Close()
		t.Fatalf("opened %s; want it refused (%s)", dir, want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q; want it to say %q", err, want)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("refusing took %v", d)
	}
}

func TestChangesSurviveARestartThroughTheJournal(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	for _, step := range []func() error{
		func() error { return s.Add("es-cn-d1", "es-cn-s2") },
		func() error { return s.Add("es-cn-d2", "es-cn-s3") },
		func() error { _, err := s.Delete("es-cn-d1", "es-cn-s1"); return err },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if lines := journalLines(t, dir); lines != 3 {
		t.Errorf("journal holds %d lines after three changes; want 3 (one per change, the state file untouched)", lines)
	}
	s.Close()
	again := openStore(t, dir)
	got := again.All()
	want := []world.Repo{{Instance: "es-cn-d1", RepoPath: "es-cn-s2"}, {Instance: "es-cn-d2", RepoPath: "es-cn-s3"}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("after a restart: %v; want %v", got, want)
	}
}

func TestATornLastJournalLineIsLeftOut(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	if err := s.Add("es-cn-d1", "es-cn-s2"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	f, err := os.OpenFile(filepath.Join(dir, JournalFile), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"instance":"es-cn-d1","sources":["es-cn-s3"`)
	f.Close()
	again := openStore(t, dir)
	if !again.Has("es-cn-d1", "es-cn-s2") || again.Has("es-cn-d1", "es-cn-s3") {
		t.Errorf("after a torn write: %v; want the whole line kept and the torn one left out", again.All())
	}
}

func TestTheJournalStaysBounded(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	for i := range 3000 {
		var err error
		if i%2 == 0 {
			err = s.Add("es-cn-d2", "es-cn-s3")
		} else {
			_, err = s.Delete("es-cn-d2", "es-cn-s3")
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if lines := journalLines(t, dir); lines > minCompaction+1 {
		t.Errorf("journal holds %d lines after 3,000 changes; want at most %d (compacted)", lines, minCompaction+1)
	}
	s.Close()
	if again := openStore(t, dir); len(again.All()) != 1 {
		t.Errorf("after compactions and a restart: %v; want the seed's one repository", again.All())
	}
}

func TestASecondServerCannotShareTheDirectory(t *testing.T) {
	dir := t.TempDir()
	first := openStore(t, dir)
	openFails(t, dir, "in use by another server")
	first.Close()
	openStore(t, dir) // released with Close
}

func TestAStateThatIsNotARegularFileIsRefusedFast(t *testing.T) {
	cases := map[string]struct {
		make func(t *testing.T, path string)
		want string
	}{
		"a FIFO": {func(t *testing.T, path string) {
			if err := syscall.Mkfifo(path, 0o644); err != nil {
				t.Skip(err)
			}
		}, "named pipe"},
		"a symbolic link to /dev/zero": {func(t *testing.T, path string) {
			if err := os.Symlink("/dev/zero", path); err != nil {
				t.Skip(err)
			}
		}, "symbolic link"},
		"a directory": {func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
		}, "directory"},
	}
	for name, c := range cases {
		for _, file := range []string{StateFile, JournalFile} {
			t.Run(name+" as "+file, func(t *testing.T) {
				dir := t.TempDir()
				c.make(t, filepath.Join(dir, file))
				openFails(t, dir, c.want)
			})
		}
	}
}

func TestAnOversizeStateIsRefusedUnread(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, StateFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxStateFile + 1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()
	openFails(t, dir, "larger than")
}

func TestADeeplyNestedStateIsRefused(t *testing.T) {
	dir := t.TempDir()
	deep := `{"format":"conform-repos/1","repos":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "}"
	if err := os.WriteFile(filepath.Join(dir, StateFile), []byte(deep), 0o644); err != nil {
		t.Fatal(err)
	}
	openFails(t, dir, "nested deeper")
}

func TestAStateNamingInstancesTheWorldLacksIsRefused(t *testing.T) {
	for name, line := range map[string]string{
		"a destination": `{"instance":"es-cn-nobody","sources":["es-cn-s1"]}`,
		"a source":      `{"instance":"es-cn-d1","sources":["es-cn-nobody"]}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, JournalFile), []byte(line+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			openFails(t, dir, `the first: "es-cn-nobody"`)
			data, _ := os.ReadFile(filepath.Join(dir, JournalFile))
			if string(data) != line+"\n" {
				t.Errorf("the journal was changed to %q; a refused state is left untouched", data)
			}
		})
	}
}

func TestACorruptStateIsLeftUntouched(t *testing.T) {
	dir := t.TempDir()
	bad := []byte(`{"format":"conform-repos/1","repos":[{"instance":`)
	path := filepath.Join(dir, StateFile)
	if err := os.WriteFile(path, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	openFails(t, dir, "is corrupt")
	if data, _ := os.ReadFile(path); !bytes.Equal(data, bad) {
		t.Errorf("the state file was changed to %q", data)
	}
}

func TestAChangeThatCannotBeWrittenIsNotVisible(t *testing.T) {
	s := openStore(t, t.TempDir())
	s.mu.Lock()
	s.journal.Close() // every write now fails
	s.mu.Unlock()
	err := s.Add("es-cn-d1", "es-cn-s2")
	if err == nil || !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Add with a journal that cannot be written: %v; want the write's error", err)
	}
	if s.Has("es-cn-d1", "es-cn-s2") {
		t.Error("a change that was not written is visible")
	}
	if _, err := s.Delete("es-cn-d1", "es-cn-s1"); err == nil || !s.Has("es-cn-d1", "es-cn-s1") {
		t.Errorf("Delete with a journal that cannot be written: %v, still listed %v; want an error and the repository kept", err, s.Has("es-cn-d1", "es-cn-s1"))
	}
	s.mu.Lock()
	s.journal = nil
	s.mu.Unlock()
}

func TestWithoutADirectoryNothingIsWritten(t *testing.T) {
	s, err := OpenStore("", storeSeed, nil, &Faults{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add("es-cn-d1", "es-cn-s2"); err != nil || !s.Has("es-cn-d1", "es-cn-s2") {
		t.Errorf("in memory: %v", err)
	}
}

func journalLines(t *testing.T, dir string) int {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		n++
	}
	return n
}

// A journal's bad line is named by its number, from 1; a line without an
// instance is as bad as one that is not JSON; of several IDs the world
// lacks, the first in order is named; a journal whose last line is whole
// is read to its end.
func TestAJournalsFaultsAreNamedExactly(t *testing.T) {
	good := `{"instance":"es-cn-d1","sources":["es-cn-s1"]}`
	for name, tt := range map[string]struct{ journal, want string }{
		"not JSON on line 2":       {good + "\n{nope\n", "line 2:"},
		"no instance on line 3":    {good + "\n" + good + "\n" + `{"sources":["es-cn-s1"]}` + "\n", "line 3:"},
		"too deep on line 2":       {good + "\n" + strings.Repeat("[", 200) + strings.Repeat("]", 200) + "\n", "(line 2: arrays and objects nested deeper than"},
		"the first unknown, named": {`{"instance":"es-cn-d1","sources":["es-cn-zz","es-cn-aa"]}` + "\n", `the first: "es-cn-aa"`},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, JournalFile), []byte(tt.journal), 0o644); err != nil {
				t.Fatal(err)
			}
			openFails(t, dir, tt.want)
		})
	}
	dir := t.TempDir()
	journal := good + "\n" + `{"instance":"es-cn-d2","sources":["es-cn-s2"]}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, JournalFile), []byte(journal), 0o644); err != nil {
		t.Fatal(err)
	}
	if s := openStore(t, dir); !s.Has("es-cn-d2", "es-cn-s2") || !s.Has("es-cn-d1", "es-cn-s1") {
		t.Errorf("a whole journal: %v, want both lines", s.All())
	}
}

// Reset puts the seed back in memory and on disk; closing a store, with a
// directory or without, succeeds.
func TestAResetStoreHoldsTheSeedAfterARestart(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	if err := s.Add("es-cn-d2", "es-cn-s3"); err != nil {
		t.Fatal(err)
	}
	if err := s.Reset(storeSeed); err != nil {
		t.Fatal(err)
	}
	if got := s.All(); len(got) != 1 || got[0] != storeSeed[0] {
		t.Errorf("after Reset: %v; want the seed %v", got, storeSeed)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if got := openStore(t, dir).All(); len(got) != 1 || got[0] != storeSeed[0] {
		t.Errorf("after Reset and a restart: %v; want the seed %v", got, storeSeed)
	}
	memory, err := OpenStore("", storeSeed, storeKnown, &Faults{})
	if err != nil {
		t.Fatal(err)
	}
	if err := memory.Close(); err != nil {
		t.Errorf("Close of a store without a directory: %v", err)
	}
}
