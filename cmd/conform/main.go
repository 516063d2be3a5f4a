// Command conform checks, serves and tests the Alibaba Cloud Elasticsearch
// AddSnapshotRepo API: see README.md.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/snaprepo/conform/internal/suggest"
)

// Exit codes, stable for scripts (README, "Exit codes").
const (
	exitOK        = 0 // compatible / nothing failed
	exitFailed    = 1 // not compatible / a requirement failed
	exitUsage     = 2 // bad input, usage or harness error
	exitUndecided = 3 // a needed fact is missing
	exitLookup    = 4 // a live lookup failed
)

const usage = `conform — checks, serves and tests the AddSnapshotRepo API of Alibaba Cloud Elasticsearch.

Usage:
  conform check   [flags]   is this (destination, source) pair compatible? (--help for flags)
  conform serve   [flags]   run the reference implementation of the API
  conform run     [flags]   run the conformance suite against an implementation
  conform world init        print a commented world that exercises every requirement
  conform requirements      print the requirement catalogue (docs/requirements.md)
  conform version           print the tool's and the requirement catalogue's versions
  conform completion SHELL  print a completion script for bash, zsh or fish

Examples:
  conform check --dest es-cn-cf710dest0000001 --source es-cn-cf79src00000001
  conform serve --addr 127.0.0.1:9280
  conform run
`

// commands are the subcommands, for "did you mean".
var commands = []string{"check", "serve", "run", "world", "requirements", "version", "completion"}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "check":
		return runCheck(args[1:], stdout, stderr)
	case "serve":
		return runServe(args[1:], stdout, stderr)
	case "run":
		return runSuite(args[1:], stdout, stderr)
	case "version":
		return runVersion(args[1:], stdout, stderr)
	case "world":
		return runWorld(args[1:], stdout, stderr)
	case "requirements":
		return runRequirements(args[1:], stdout, stderr)
	case "completion":
		return runCompletion(args[1:], stdout, stderr)
	}
	if isHelp(args[0]) {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "conform: unknown command %q%s (want check, serve, run, world, requirements, version or completion)\n\n%s", args[0], suggest.DidYouMean(args[0], commands), usage)
	return exitUsage
}
