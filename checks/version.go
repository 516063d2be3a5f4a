package checks

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Version is an Elasticsearch version as the platform reports it
// (DescribeInstance esVersion): a number and an optional packaging suffix.
// "7.10_with_X-Pack" is 7.10.0 with suffix "with_X-Pack"; the suffix is not a
// pre-release and never takes part in a comparison.
type Version struct {
	Raw    string
	Number *semver.Version
	Suffix string
	// Key is Number as integers, parsed once: comparisons on the hot path
	// compare it (Number holds no pre-release: parseNumber takes digits only).
	Key VersionKey
}

// VersionExample is a well-formed version, quoted in parse errors.
const VersionExample = "7.10.0_with_X-Pack"

// KernelExample is a well-formed kernel version, quoted in parse errors.
const KernelExample = "ali1.3.0"

// ParseVersion reads an esVersion such as 5.5.3_with_X-Pack, 6.7_with_X-Pack,
// 7.10.0_with_X-Pack, 8.13 or 6.7_with_A-Pack.
func ParseVersion(s string) (Version, error) {
	number, suffix, hasSuffix := strings.Cut(s, "_")
	if hasSuffix && !validSuffix(suffix) {
		return Version{}, fmt.Errorf("version %q has an unknown suffix %q (want e.g. %s)", s, suffix, VersionExample)
	}
	v, err := parseNumber(number)
	if err != nil {
		return Version{}, fmt.Errorf("version %q is not a version (want e.g. %s)", s, VersionExample)
	}
	return Version{Raw: s, Number: v, Suffix: suffix, Key: keyOf(v)}, nil
}

// Kernel is an AliES kernel version: a number only, parsed once into its
// integers (Key), which every comparison reads.
type Kernel struct {
	Number *semver.Version
	Key    VersionKey
}

// NewKernel is the kernel major.minor.patch.
func NewKernel(major, minor, patch uint64) *Kernel {
	return &Kernel{Number: semver.New(major, minor, patch, "", ""), Key: VersionKey{major, minor, patch}}
}

// Original is the kernel as it was written (e.g. 1.3 or 1.3.0).
func (k *Kernel) Original() string { return k.Number.Original() }

// String is the kernel as major.minor.patch.
func (k *Kernel) String() string { return k.Number.String() }

// Compare orders kernels numerically: -1, 0 or +1.
func (k *Kernel) Compare(o *Kernel) int { return k.Key.compare(o.Key) }

// Equal reports whether two kernels are the same number; nil equals only nil.
func (k *Kernel) Equal(o *Kernel) bool {
	if k == nil || o == nil {
		return k == o
	}
	return k.Key == o.Key
}

// ParseKernel reads a kernel (AliES) version: 1.3.0, V1.3.0 or ali1.3.0 (the
// aliVersion of DescribeInstance extendConfigs).
func ParseKernel(s string) (*Kernel, error) {
	number := s
	for _, prefix := range []string{"ali", "V", "v"} {
		if rest, ok := strings.CutPrefix(number, prefix); ok {
			number = rest
			break
		}
	}
	v, err := parseNumber(number)
	if err != nil {
		return nil, fmt.Errorf("kernel %q is not a kernel version (want e.g. %s or 1.3.0)", s, KernelExample)
	}
	return &Kernel{Number: v, Key: keyOf(v)}, nil
}

// parseNumber accepts one to three dot-separated decimal numbers and nothing
// else: semver's own parser would also take "v7", "7.10-rc1" or "7.10+x".
func parseNumber(s string) (*semver.Version, error) {
	parts := strings.Split(s, ".")
	if len(parts) > 3 {
		return nil, fmt.Errorf("%q has more than three numbers", s)
	}
	for _, p := range parts {
		if p == "" || strings.TrimLeft(p, "0123456789") != "" {
			return nil, fmt.Errorf("%q is not dot-separated numbers", s)
		}
	}
	return semver.NewVersion(s)
}

// validSuffix accepts the packaging markers the platform uses: with_X-Pack,
// with_A-Pack and the like.
func validSuffix(s string) bool {
	name, ok := strings.CutPrefix(s, "with_")
	if !ok || name == "" {
		return false
	}
	for _, r := range name {
		if !(r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// String is the version as the platform reported it.
func (v Version) String() string { return v.Raw }

// Compare is -1, 0 or +1 as v is older than, equal to or newer than o,
// numerically and ignoring the suffix.
func (v Version) Compare(o Version) int { return v.Key.compare(o.Key) }

// Is reports whether v is exactly major.minor.patch.
func (v Version) Is(major, minor, patch uint64) bool {
	return v.Key == VersionKey{major, minor, patch}
}

// keyOf is a numeric version's integers.
func keyOf(v *semver.Version) VersionKey { return VersionKey{v.Major(), v.Minor(), v.Patch()} }

// compare orders keys numerically, major first.
func (k VersionKey) compare(o VersionKey) int {
	switch {
	case k.Major != o.Major:
		return cmpUint(k.Major, o.Major)
	case k.Minor != o.Minor:
		return cmpUint(k.Minor, o.Minor)
	}
	return cmpUint(k.Patch, o.Patch)
}

func cmpUint(a, b uint64) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}
