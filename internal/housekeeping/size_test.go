package housekeeping

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// No tracked file is over 1 MB: a built binary or a dump committed by
// mistake makes every clone pay for it.
func TestNoTrackedFileIsOver1MB(t *testing.T) {
	out, err := exec.Command("git", "-C", root, "ls-files", "-z").Output()
	if err != nil {
		t.Skipf("skipped: not a git checkout, or no git (%v)", err)
	}
	files := strings.Split(strings.TrimRight(string(out), "\x00"), "\x00")
	if len(files) < 10 {
		t.Fatalf("git ls-files lists %d files", len(files))
	}
	for _, f := range files {
		st, err := os.Stat(filepath.Join(root, f))
		if err != nil {
			continue // deleted in the work tree, not yet committed
		}
		if st.Size() > 1<<20 {
			t.Errorf("%s is tracked and %d bytes: keep files over 1 MB out of the repository (.gitignore)", f, st.Size())
		}
	}
}
