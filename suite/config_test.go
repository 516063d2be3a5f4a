package suite

import (
	"strings"
	"testing"
	"time"
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
	if c.Parallel < 1 || c.Stateful != 20 || c.Deadline != 10*time.Minute || c.Timeout != 10*time.Second {
		t.Errorf("defaults: %+v", c)
	}
	c = Config{Parallel: MaxParallel}
	if err := c.Validate(); err != nil {
		t.Errorf("parallel %d: %v", MaxParallel, err)
	}
}
