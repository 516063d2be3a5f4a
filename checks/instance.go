package checks

import (
	"fmt"
	"strings"
)

// Status is an instance's lifecycle state as DescribeInstance reports it.
type Status string

// The statuses the platform reports.
const (
	StatusActive     Status = "active"
	StatusActivating Status = "activating"
	StatusInactive   Status = "inactive"
	StatusInvalid    Status = "invalid"
)

// Statuses lists every valid Status, for error messages and validation.
func Statuses() []Status {
	return []Status{StatusActive, StatusActivating, StatusInactive, StatusInvalid}
}

// ParseStatus reads a status; anything but the four platform values is an error.
//
// Case is ignored: the SDKs' model comments write Inactive as well as
// active, so a platform may too.
func ParseStatus(s string) (Status, error) {
	for _, st := range Statuses() {
		if strings.EqualFold(s, string(st)) {
			return st, nil
		}
	}
	return "", fmt.Errorf("status %q is not a status (want one of active, activating, inactive, invalid)", s)
}

// Edition is the commercial edition of an instance. Only Standard matters to
// the rules (the 6.7.0 kernel rule).
type Edition string

// EditionStandard is the Standard Edition; DescribeInstance reports it as
// instanceCategory "x-pack".
const EditionStandard Edition = "standard"

// ParseEdition reads a world's edition field or DescribeInstance's
// instanceCategory. Empty means standard, the world format's default.
func ParseEdition(s string) (Edition, error) {
	switch strings.ToLower(s) {
	case "", "standard", "x-pack":
		return EditionStandard, nil
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return "", fmt.Errorf("edition %q is not an edition (want e.g. standard or advanced)", s)
		}
	}
	return Edition(strings.ToLower(s)), nil
}

// Instance is what the rules know of one Elasticsearch instance.
type Instance struct {
	ID      string
	Account string
	Region  string
	Version Version
	Edition Edition
	// Kernel is the AliES kernel version, nil when not known.
	Kernel *Kernel
	Status Status
}

// VersionKey names an exact Elasticsearch version, e.g. {6, 7, 0}.
type VersionKey struct{ Major, Minor, Patch uint64 }

// String is the version as major.minor.patch.
func (k VersionKey) String() string { return fmt.Sprintf("%d.%d.%d", k.Major, k.Minor, k.Patch) }

// ParseVersionKey reads an exact version such as "6.7.0" or "6.7".
func ParseVersionKey(s string) (VersionKey, error) {
	v, err := parseNumber(s)
	if err != nil {
		return VersionKey{}, fmt.Errorf("version %q is not a version (want e.g. 6.7.0)", s)
	}
	return VersionKey{v.Major(), v.Minor(), v.Patch()}, nil
}

// Policy holds the facts the rules need beyond the two instances.
type Policy struct {
	// LatestKernels is the newest kernel for each Elasticsearch version, for
	// the 6.7.0 kernel rule.
	LatestKernels map[VersionKey]*Kernel
}

// DefaultLatestKernel67 is the newest kernel of 6.7.0 that AliES release notes
// list; a world's latestKernels overrides it.
const DefaultLatestKernel67 = "1.3.0"

// DefaultPolicy is the policy used when a world says nothing else.
func DefaultPolicy() Policy {
	latest, err := ParseKernel(DefaultLatestKernel67)
	if err != nil {
		panic(err) // a constant that parses: every test of the kernel rule uses it
	}
	return Policy{LatestKernels: map[VersionKey]*Kernel{version670: latest}}
}
