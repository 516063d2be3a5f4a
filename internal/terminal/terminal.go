// Package terminal is what conform may send to a terminal: text that came
// from outside — an implementation's answer, a world file — made safe to print
// (no byte of it can move the cursor, change colours or ring the bell), and
// colour only where a person reads it.
package terminal

import (
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// Colour reports whether w is a terminal and NO_COLOR (no-color.org) is
// unset: the only case in which conform writes colour.
func Colour(w io.Writer) bool {
	if _, set := os.LookupEnv("NO_COLOR"); set {
		return false
	}
	return IsTerminal(w)
}

// IsTerminal reports whether w is a file that is a character device.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Escape returns s with every C0 and C1 control character (ESC, BEL, CR,
// NUL, DEL, U+0080–U+009F) written as a Go escape (\x1b, \r, \u0085) and
// every byte of invalid UTF-8 as \xNN. Tab and newline are kept: messages are
// multi-line on purpose.
func Escape(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r <= 0x9f:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// clean reports whether s needs no escaping, without allocating.
func clean(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || (r >= 0x80 && r <= 0x9f) {
			return false
		}
		i += size
	}
	return true
}

// Clip is Escape of at most the first n bytes of s, with "…" when cut; the
// cut never splits a character.
func Clip(s string, n int) string {
	if len(s) <= n {
		return Escape(s)
	}
	cut := n
	for cut > 0 && cut > n-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return Escape(s[:cut]) + "…"
}

// Line is Escape for text that must stay on one line — a field inside a
// sentence, a value in a rule line: newlines and tabs are escaped too (\n,
// \t), so outside text cannot start a line that looks like conform's own.
func Line(s string) string {
	e := Escape(s)
	if !strings.ContainsAny(e, "\n\t") {
		return e
	}
	return strings.NewReplacer("\n", `\n`, "\t", `\t`).Replace(e)
}
