package checks

import (
	"strings"
	"testing"
)

func TestParseVersionAcceptsEveryPlatformForm(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		suffix string
	}{
		{"5.5.3_with_X-Pack", "5.5.3", "with_X-Pack"},
		{"6.7_with_X-Pack", "6.7.0", "with_X-Pack"},
		{"7.10.0_with_X-Pack", "7.10.0", "with_X-Pack"},
		{"8.13", "8.13.0", ""},
		{"8.5.1_with_X-Pack", "8.5.1", "with_X-Pack"},
		{"6.7_with_A-Pack", "6.7.0", "with_A-Pack"},
		{"8", "8.0.0", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v, err := ParseVersion(tt.in)
			if err != nil {
				t.Fatalf("ParseVersion(%q): %v", tt.in, err)
			}
			if got := v.Number.String(); got != tt.want {
				t.Errorf("number = %s, want %s", got, tt.want)
			}
			if v.Suffix != tt.suffix {
				t.Errorf("suffix = %q, want %q", v.Suffix, tt.suffix)
			}
			if v.Number.Prerelease() != "" {
				t.Errorf("suffix leaked into the pre-release: %q", v.Number.Prerelease())
			}
			if v.String() != tt.in {
				t.Errorf("String() = %q, want the raw %q", v.String(), tt.in)
			}
		})
	}
}

func TestParseVersionRefusesWhatIsNotAVersion(t *testing.T) {
	for _, in := range []string{"", "7.1O", "v7.10", "7.10-rc1", "7.10+build", "7.10.0.1", "7..10", "7.10_", "7.10_X-Pack", "7.10_with_", "7.10_with_X Pack", "latest"} {
		t.Run(in, func(t *testing.T) {
			_, err := ParseVersion(in)
			if err == nil {
				t.Fatalf("ParseVersion(%q) accepted a non-version", in)
			}
			if !strings.Contains(err.Error(), VersionExample) || !strings.Contains(err.Error(), `"`+in+`"`) {
				t.Errorf("error %q should quote the value and the example %s", err, VersionExample)
			}
		})
	}
}

func TestVersionsCompareNumericallyIgnoringTheSuffix(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want int
	}{
		{"7.9 is older than 7.10", "7.9_with_X-Pack", "7.10_with_X-Pack", -1},
		{"7.10 with suffix equals 7.10.0 without", "7.10_with_X-Pack", "7.10.0", 0},
		{"A-Pack and X-Pack of one version are equal", "6.7_with_A-Pack", "6.7.0_with_X-Pack", 0},
		{"8.13 is newer than 8.5.1", "8.13", "8.5.1_with_X-Pack", 1},
		{"5.5.3 is older than 6.3", "5.5.3_with_X-Pack", "6.3_with_X-Pack", -1},
		{"7.10.1 is newer than 7.10.0 by patch", "7.10.1_with_X-Pack", "7.10.0_with_X-Pack", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustVersion(t, tt.a).Compare(mustVersion(t, tt.b)); got != tt.want {
				t.Errorf("Compare(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestParseKernelAcceptsThePlatformForms(t *testing.T) {
	for _, in := range []string{"1.3.0", "V1.3.0", "v1.3.0", "ali1.3.0"} {
		k, err := ParseKernel(in)
		if err != nil {
			t.Fatalf("ParseKernel(%q): %v", in, err)
		}
		if k.String() != "1.3.0" {
			t.Errorf("ParseKernel(%q) = %s, want 1.3.0", in, k)
		}
	}
	for _, in := range []string{"", "ali", "1.3.x", "kernel-1.3", "ali1.3.0-beta"} {
		if _, err := ParseKernel(in); err == nil || !strings.Contains(err.Error(), KernelExample) {
			t.Errorf("ParseKernel(%q) = %v, want an error naming the example %s", in, err, KernelExample)
		}
	}
}

// Kernels compare by their numbers, whatever form they were written in;
// a nil kernel (not known) equals only another nil.
func TestKernelsCompareNumerically(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{{"1.3.0", "ali1.3", 0}, {"1.2.9", "1.3.0", -1}, {"1.10.0", "1.9.0", 1}, {"2.0.0", "1.99.99", 1}, {"1.3.1", "V1.3.0", 1}} {
		a, b := mustKernel(c.a), mustKernel(c.b)
		if got := a.Compare(b); got != c.want {
			t.Errorf("%s compared with %s: %d, want %d", c.a, c.b, got, c.want)
		}
		if got := b.Compare(a); got != -c.want {
			t.Errorf("%s compared with %s: %d, want %d", c.b, c.a, got, -c.want)
		}
		if a.Equal(b) != (c.want == 0) {
			t.Errorf("%s equal to %s: %v", c.a, c.b, a.Equal(b))
		}
	}
	k := NewKernel(1, 3, 0)
	if k.String() != "1.3.0" || k.Key != (VersionKey{1, 3, 0}) || !k.Equal(mustKernel("ali1.3.0")) {
		t.Errorf("NewKernel(1, 3, 0) = %s %v", k, k.Key)
	}
	var unknown *Kernel
	if !unknown.Equal(nil) || unknown.Equal(k) || k.Equal(nil) {
		t.Errorf("nil kernels: nil.Equal(nil) %v, nil.Equal(1.3.0) %v, 1.3.0.Equal(nil) %v", unknown.Equal(nil), unknown.Equal(k), k.Equal(nil))
	}
	if got := mustKernel("1.3").Original(); got != "1.3" {
		t.Errorf("Original of 1.3: %q", got)
	}
}

func mustVersion(t testing.TB, s string) Version {
	t.Helper()
	v, err := ParseVersion(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestIsNamesOneExactVersion(t *testing.T) {
	v, err := ParseVersion("7.10_with_X-Pack")
	if err != nil {
		t.Fatal(err)
	}
	if !v.Is(7, 10, 0) || v.Is(7, 10, 1) || v.Is(7, 1, 0) {
		t.Errorf("%s: Is(7,10,0) %v, Is(7,10,1) %v, Is(7,1,0) %v", v, v.Is(7, 10, 0), v.Is(7, 10, 1), v.Is(7, 1, 0))
	}
}
