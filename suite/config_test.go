package suite

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/snaprepo/conform/apiclient"
)

// Each setting out of bounds is refused, naming the setting, the value and
// a value that works; zero takes the default.
func TestValidateRefusesSettingsOutOfBounds(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		says string
	}{
		{"negative parallel", func(c *Config) { c.Parallel = -3 }, "parallel -3 is negative (want e.g."},
		{"a flood", func(c *Config) { c.Parallel = MaxParallel + 1 }, "parallel 257 is more pairs in flight than conform sends at once (at most 256; want e.g."},
		{"negative stateful", func(c *Config) { c.Stateful = -5 }, "stateful -5 is negative (want e.g. 20)"},
		{"negative deadline", func(c *Config) { c.Deadline = -time.Second }, "deadline -1s is negative (want e.g. 10m)"},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, "timeout -1s is negative (want e.g. 10s)"},
		{"unknown signature", func(c *Config) { c.Signature = "v2" }, `signature "v2" is not a way of signing`},
		{"a label nobody carries", func(c *Config) { c.LabelFilter = "MUSTT" }, "no spec is labelled MUSTT"},
	}
	for _, tt := range tests {
		var c Config
		tt.edit(&c)
		err := c.Validate()
		if err == nil || !IsHarness(err) || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%s: %v, want a harness error saying %q", tt.name, err, tt.says)
		}
	}
	var c Config
	if err := c.Validate(); err != nil {
		t.Fatalf("the zero Config: %v", err)
	}
	if !reflect.DeepEqual(c, Config{}) {
		t.Errorf("Validate changed what it checked: %+v", c)
	}
	d := DefaultConfig()
	if err := d.Validate(); err != nil {
		t.Fatalf("DefaultConfig: %v", err)
	}
	want := d
	want.Settle = 0 // zero is a setting of its own: read-after-write
	if got := c.withDefaults(); !reflect.DeepEqual(got, want) {
		t.Errorf("the zero Config with defaults is %+v, want DefaultConfig but Settle %+v", got, want)
	}
	if d.Parallel < 1 || d.Stateful != 20 || d.Deadline != 10*time.Minute || d.Timeout != 10*time.Second || d.Settle != DefaultSettle || d.Signature != apiclient.SignV3 {
		t.Errorf("defaults: %+v", d)
	}
	// A set value is kept, and Settle's zero stays zero (read-after-write).
	kept := Config{Timeout: time.Second, Stateful: 3, Deadline: time.Minute, Parallel: 2, Signature: apiclient.SignV1}.withDefaults()
	if kept.Timeout != time.Second || kept.Stateful != 3 || kept.Deadline != time.Minute || kept.Parallel != 2 || kept.Signature != apiclient.SignV1 || kept.Settle != 0 {
		t.Errorf("withDefaults changed a set value: %+v", kept)
	}
	c = Config{Parallel: MaxParallel}
	if err := c.Validate(); err != nil {
		t.Errorf("parallel %d: %v", MaxParallel, err)
	}
}

// A harness error keeps the error it comes from: errors.Is and errors.As
// reach it.
func TestHarnessErrorsWrap(t *testing.T) {
	c := Config{Signature: "v2"}
	err := c.Validate()
	if err == nil || errors.Unwrap(err) == nil {
		t.Fatalf("Validate of signature v2: %v, want an error that wraps apiclient's", err)
	}
	cause := errors.New("the cause")
	if err := harness("wrapped: %w", cause); !errors.Is(err, cause) || !IsHarness(err) || err.Error() != "wrapped: the cause" {
		t.Errorf("harness(%%w): %v (Is %v)", err, errors.Is(err, cause))
	}
}
