package main

import (
	"fmt"
	"io"

	"github.com/snaprepo/conform/catalogue"
	"github.com/snaprepo/conform/version"
)

// runVersion prints the tool's version and the requirement catalogue's,
// each on its own line: vendors pin the catalogue they conform to.
func runVersion(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "conform version: unexpected argument %q (it takes none)\n", args[0])
		return exitUsage
	}
	cat, err := catalogue.Builtin()
	if err != nil {
		fmt.Fprintf(stderr, "conform version: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "conform %s\nrequirement catalogue %s\n", version.Tool, cat.Version)
	return exitOK
}
