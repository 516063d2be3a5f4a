package terminal

import (
	"os"
	"strings"
	"testing"
)

func TestEscapeNeutralisesTerminalControls(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text, ünïcode", "plain text, ünïcode"},
		{"two\nlines\tand a tab", "two\nlines\tand a tab"},
		{"\x1b[2J\x1b[31mred", `\x1b[2J\x1b[31mred`},
		{"bell\a", `bell\x07`},
		{"over\rwrite", `over\rwrite`},
		{"nul\x00", `nul\x00`},
		{"del\x7f", `del\x7f`},
		{"c1 \u009b31m", `c1 \u009b31m`},
		{"bad \xff\xfe utf8", `bad \xff\xfe utf8`},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestClipCutsAtACharacterAndEscapes(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"a longer text", 4, "a lo…"},
		{"ééé", 3, "é…"},
		{"\x1b\x1b\x1b\x1b", 2, `\x1b\x1b…`},
	}
	for _, tt := range tests {
		if got := Clip(tt.in, tt.n); got != tt.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestEscapeLeavesCleanTextUntouchedWithoutAllocating(t *testing.T) {
	s := "a clean line\nwith ünïcode"
	if n := testing.AllocsPerRun(100, func() { _ = Escape(s) }); n != 0 {
		t.Errorf("Escape of clean text allocates %v times", n)
	}
}

func TestColourNeverOffATerminalNorWithNoColor(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if Colour(f) || IsTerminal(f) {
		t.Error("a regular file counts as a terminal")
	}
	if Colour(&strings.Builder{}) {
		t.Error("a buffer counts as a terminal")
	}
	tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no terminal to test the positive case: %v", err)
	}
	defer tty.Close()
	if !IsTerminal(tty) {
		t.Error("/dev/tty is not a terminal")
	}
	t.Setenv("NO_COLOR", "")
	if Colour(tty) {
		t.Error("colour with NO_COLOR set (even empty)")
	}
}
