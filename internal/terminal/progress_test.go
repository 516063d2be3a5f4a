package terminal

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestLineSaysCountTotalAndTimeLeft(t *testing.T) {
	if got := ProgressLine("checked", 250, 1000, 3*time.Second); !strings.HasPrefix(got, "checked 250/1000 (25%), about 9s left") {
		t.Errorf("got %q", got)
	}
	if got := ProgressLine("specs", 10, 10, 1500*time.Millisecond); !strings.HasPrefix(got, "specs 10/10 (100%), done in 1.5s") {
		t.Errorf("got %q", got)
	}
}

func TestMeterThrottlesAndEndsWithANewline(t *testing.T) {
	var b strings.Builder
	at := time.Unix(0, 0)
	m := NewMeter(&b, "x", func() time.Time { return at })
	m.Update(1, 3) // within 100 ms of the start: skipped
	at = at.Add(time.Second)
	m.Update(2, 3)
	m.Update(3, 3) // the last is always written
	out := b.String()
	if strings.Count(out, "\r") != 2 || !strings.HasSuffix(out, "\n") || !strings.Contains(out, "x 2/3") {
		t.Errorf("got %q", out)
	}
}

func TestNothingWhenNotATerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := MeterOnTerminal(f, "x")
	m.Update(1, 1) // a nil meter does nothing
	if m != nil {
		t.Error("a file is not a terminal")
	}
	if st, _ := f.Stat(); st.Size() != 0 {
		t.Error("wrote to a file")
	}
}
