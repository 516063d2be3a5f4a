// Package boundedread reads outside data within bounds: a file only if it
// is a regular file of bounded size, and JSON or YAML only if its brackets
// nest within a bounded depth, checked in one linear pass before any
// decoder sees the data. Every reader of outside data uses it: world
// files, API bodies, implementations' and the platform's answers,
// cassettes, the reference server's state file.
package boundedread

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// MaxDepth is how deeply arrays and objects may nest: far beyond any world,
// body, answer or cassette (they need at most eight).
const MaxDepth = 64

// DepthError is data nested deeper than allowed.
type DepthError struct {
	Max  int
	Line int
}

// Error names the line and the limit.
func (e *DepthError) Error() string {
	return fmt.Sprintf("line %d: arrays and objects nested deeper than %d levels (look for brackets that are never closed)", e.Line, e.Max)
}

// Depth checks that the brackets ([ and {) of data nest at most max deep,
// outside double-quoted strings. It is exact for JSON. For YAML it counts
// flow collections, and errs on the safe side: a bracket inside a plain or
// single-quoted scalar counts too, and a double-quoted string is taken to
// end at its line's end (block nesting needs a line per level, so it
// costs the decoder no more than the file's size).
func Depth(data []byte, max int) error {
	depth, line := 0, 1
	inString, escaped := false, false
	for _, c := range data {
		if c == '\n' {
			line++
			inString, escaped = false, false
			continue
		}
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			depth++
			if depth > max {
				return &DepthError{Max: max, Line: line}
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return nil
}

// SizeError is a file larger than allowed.
type SizeError struct {
	Path string
	Max  int64
}

// Error names the file and the limit.
func (e *SizeError) Error() string {
	return fmt.Sprintf("%s is larger than %s, the most read", e.Path, Size(e.Max))
}

// NotRegularError is a path that is not a regular file.
type NotRegularError struct {
	Path string
	Mode os.FileMode
}

// Error names the file and what it is instead.
func (e *NotRegularError) Error() string {
	what := "not a regular file"
	switch {
	case e.Mode&os.ModeSymlink != 0:
		what = "a symbolic link, which is not followed here"
	case e.Mode&os.ModeNamedPipe != 0:
		what = "a named pipe (FIFO), not a regular file"
	case e.Mode&os.ModeDevice != 0:
		what = "a device, not a regular file"
	case e.Mode.IsDir():
		what = "a directory, not a file"
	}
	return fmt.Sprintf("%s is %s", e.Path, what)
}

// File reads path, following symbolic links, if it is a regular file of at
// most max bytes; a device, FIFO or directory is refused before it is
// opened for reading, so it cannot hang or stream forever.
func File(path string, max int64) ([]byte, error) { return read(path, max, false) }

// FileNoFollow is File, but a symbolic link is refused too.
func FileNoFollow(path string, max int64) ([]byte, error) { return read(path, max, true) }

func read(path string, max int64, noFollow bool) ([]byte, error) {
	stat := os.Stat
	if noFollow {
		stat = os.Lstat
	}
	st, err := stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &NotRegularError{Path: path, Mode: st.Mode()}
	}
	if st.Size() > max {
		return nil, &SizeError{Path: path, Max: max}
	}
	f, err := os.OpenFile(path, os.O_RDONLY|oNonblock, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Checked again on the open file: the path may have been swapped.
	if st2, err := f.Stat(); err != nil || !st2.Mode().IsRegular() || (noFollow && !os.SameFile(st, st2)) {
		return nil, errors.Join(&NotRegularError{Path: path, Mode: st.Mode()}, err)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, &SizeError{Path: path, Max: max}
	}
	return data, nil
}

// Size writes a byte count for people: 64 MiB, 1 KiB, 300 bytes.
func Size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
