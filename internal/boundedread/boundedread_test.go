//go:build unix

package boundedread

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestDepthCountsBracketsOutsideStrings(t *testing.T) {
	cases := []struct {
		data string
		ok   bool
	}{
		{`{"a":[1,[2]]}`, true},
		{strings.Repeat("[", 3) + strings.Repeat("]", 3), true},
		{strings.Repeat("[", 4) + strings.Repeat("]", 4), false},
		{`{"a":{"b":{"c":{}}}}`, false},
		{`"[[[[[[[[[["`, true},                    // inside a string
		{`"\"[[[[[[" `, true},                     // an escaped quote does not end it
		{"\"[[[[\n[[[[", false},                   // a string ends at its line's end
		{"]]]]]]" + strings.Repeat("[", 3), true}, // closers never go below zero
	}
	for _, c := range cases {
		err := Depth([]byte(c.data), 3)
		if (err == nil) != c.ok {
			t.Errorf("Depth(%q, 3) = %v; want ok=%v", c.data, err, c.ok)
		}
		var de *DepthError
		if err != nil && (!errors.As(err, &de) || de.Max != 3) {
			t.Errorf("Depth(%q): %v is not a DepthError of 3", c.data, err)
		}
	}
	err := Depth([]byte("{\n\n[[[["), 3)
	var de *DepthError
	if !errors.As(err, &de) || de.Line != 3 || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("the error names the line: %v", err)
	}
}

func TestFileReadsRegularFilesWithinTheLimit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := File(path, 5); err != nil || string(b) != "12345" {
		t.Errorf("File at the limit: %q, %v", b, err)
	}
	_, err := File(path, 4)
	var se *SizeError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "larger than 4 bytes") {
		t.Errorf("File over the limit: %v", err)
	}
	if _, err := File(filepath.Join(dir, "none"), 5); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file: %v; want ErrNotExist", err)
	}
	if _, err := File(dir, 5); err == nil || !strings.Contains(err.Error(), "a directory") {
		t.Errorf("a directory: %v", err)
	}
}

func TestLinksAndDevicesAreRefusedUnopened(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	os.WriteFile(target, []byte("x"), 0o644)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Skip(err)
	}
	if b, err := File(link, 5); err != nil || string(b) != "x" {
		t.Errorf("File follows a link: %q, %v", b, err)
	}
	if _, err := FileNoFollow(link, 5); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("FileNoFollow of a link: %v", err)
	}
	zero := filepath.Join(dir, "zero")
	os.Symlink("/dev/zero", zero)
	if _, err := File(zero, 5); err == nil || !strings.Contains(err.Error(), "a device") {
		t.Errorf("a link to /dev/zero: %v", err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip(err)
	}
	if _, err := File(fifo, 5); err == nil || !strings.Contains(err.Error(), "named pipe") {
		t.Errorf("a FIFO: %v", err)
	}
}

func TestSizeSpeaksForPeople(t *testing.T) {
	for n, want := range map[int64]string{300: "300 bytes", 1024: "1 KiB", 4 << 20: "4 MiB", 1025: "1025 bytes"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q; want %q", n, got, want)
		}
	}
}
