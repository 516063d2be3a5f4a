package main

import (
	"fmt"
	"io"

	"github.com/snaprepo/conform/catalogue"
	"github.com/snaprepo/conform/contract"
	"github.com/snaprepo/conform/version"
)

// runVersion prints the tool's version and the requirement catalogue's,
// each on its own line: vendors pin the catalogue they conform to.
func runVersion(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && isHelp(args[0]) {
		fmt.Fprintln(stdout, "Usage: conform version\n\nPrints conform's version and the requirement catalogue's, each on a line.\n\nExit codes:\n  0  printed     2  usage error")
		return exitOK
	}
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

// runRequirements prints the requirement catalogue as Markdown: the source
// of docs/requirements.md.
func runRequirements(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && isHelp(args[0]) {
		fmt.Fprintln(stdout, "Usage: conform requirements > docs/requirements.md\n\nPrints the requirement catalogue (fixtures/requirements.yaml) as Markdown: every\nrequirement with its level, the catalogue version that introduced it, its source\nand what the documentation leaves open.\n\nExit codes:\n  0  printed     2  usage error")
		return exitOK
	}
	if len(args) > 0 {
		fmt.Fprintf(stderr, "conform requirements: unexpected argument %q (it takes none)\n", args[0])
		return exitUsage
	}
	cat, err := catalogue.Builtin()
	if err != nil {
		fmt.Fprintf(stderr, "conform requirements: %v\n", err)
		return exitUsage
	}
	fmt.Fprint(stdout, cat.Markdown())
	return exitOK
}

// runContract prints the contract ledger as Markdown: the source of
// docs/contract.md.
func runContract(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && isHelp(args[0]) {
		fmt.Fprintln(stdout, "Usage: conform contract > docs/contract.md\n\nPrints the contract ledger (fixtures/contract.yaml) as Markdown: every operation\nwith its method, path and parameters (defaults and limits), every answer conform\ngives with its status, code and message, and the public source of each — or that\nit is conform's own choice where no source documents one.\n\nExit codes:\n  0  printed     2  usage error")
		return exitOK
	}
	if len(args) > 0 {
		fmt.Fprintf(stderr, "conform contract: unexpected argument %q (it takes none)\n", args[0])
		return exitUsage
	}
	l, err := contract.Builtin()
	if err != nil {
		fmt.Fprintf(stderr, "conform contract: %v\n", err)
		return exitUsage
	}
	fmt.Fprint(stdout, l.Markdown())
	return exitOK
}
