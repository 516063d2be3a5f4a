package checks_test

import (
	"fmt"

	"github.com/snaprepo/conform/checks"
)

// Parse versions as the platform reports them; compare numbers, never strings.
func ExampleParseVersion() {
	older, _ := checks.ParseVersion("7.9_with_X-Pack")
	newer, _ := checks.ParseVersion("7.10_with_X-Pack")
	fmt.Println(newer.Number, newer.Suffix, older.Compare(newer))
	_, err := checks.ParseVersion("7.1O")
	fmt.Println(err)
	// Output:
	// 7.10.0 with_X-Pack -1
	// version "7.1O" is not a version (want e.g. 7.10.0_with_X-Pack)
}

// Evaluate one (destination, source) pair and explain the verdict.
func ExamplePolicy_Evaluate() {
	v79, _ := checks.ParseVersion("7.9_with_X-Pack")
	v710, _ := checks.ParseVersion("7.10.0_with_X-Pack")
	dest := &checks.Instance{ID: "es-cn-dst", Account: "1", Region: "cn-hangzhou", Version: v79, Edition: checks.EditionStandard, Status: checks.StatusActive}
	src := &checks.Instance{ID: "es-cn-src", Account: "1", Region: "cn-hangzhou", Version: v710, Edition: checks.EditionStandard, Status: checks.StatusActive}

	p := checks.DefaultPolicy()
	v := p.Evaluate(dest.ID, dest, src.ID, src)
	fmt.Println(v.Decision(), v.APIError().Code)
	fmt.Println(v.Message(v.Deciding()))
	// Output:
	// refused SnapshotRepo.VersionNotSupport
	// source es-cn-src runs 7.10.0_with_X-Pack, newer than destination es-cn-dst's 7.9_with_X-Pack: a cluster can use only the repository of a cluster of the same or an earlier version
}
