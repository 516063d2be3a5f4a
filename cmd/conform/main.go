// Command conform checks, serves and tests the Alibaba Cloud Elasticsearch
// AddSnapshotRepo API: see README.md.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

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

// command is one subcommand, defined once: dispatch, the usage text,
// "did you mean", conform help NAME and completion all read this table.
type command struct {
	name string
	// args is what follows the name on the usage line.
	args  string
	short string
	run   func(args []string, stdout, stderr io.Writer) int
	// flags, for a command that takes flags, makes its flag set (bound to
	// options nobody reads): completion lists the flags from it. words are
	// the words a command takes after its name instead.
	flags func() *flag.FlagSet
	words []string
	// subcommands, for a command that is a group (world), are its
	// commands: run dispatches to them, completion and help read them.
	subcommands []command
}

// wordsAfter are the words completion offers after the command's name: its
// subcommands', its own words, or its flags.
func (c command) wordsAfter() []string {
	switch {
	case len(c.subcommands) > 0:
		var names []string
		for _, sub := range c.subcommands {
			names = append(names, sub.name)
		}
		return names
	case c.flags != nil:
		return flagsOf(c.flags())
	case c.name == "help":
		return commandNames()
	}
	return c.words
}

// subcommand is the subcommand of c named name, or nil.
func (c command) subcommand(name string) *command {
	for i := range c.subcommands {
		if c.subcommands[i].name == name {
			return &c.subcommands[i]
		}
	}
	return nil
}

// commandTable is every subcommand, in the order usage lists them.
func commandTable() []command {
	return []command{
		{name: "check", args: "[flags]", short: "is this (destination, source) pair compatible? (--help for flags)", run: runCheck, flags: func() *flag.FlagSet { return checkFlags(new(checkOptions)) }},
		{name: "serve", args: "[flags]", short: "run the reference implementation of the API", run: runServe, flags: func() *flag.FlagSet { return serveFlags(new(serveOptions)) }},
		{name: "run", args: "[flags]", short: "run the conformance suite against an implementation", run: runSuite, flags: func() *flag.FlagSet { return runFlags(new(runOptions)) }},
		{name: "record", args: "[flags]", short: "record a session with the platform (or any implementation) to a cassette", run: runRecord, flags: func() *flag.FlagSet { return recordFlags(new(recordOptions)) }},
		{name: "verify-oracle", args: "[flags]", short: "hold conform's decisions against a recorded cassette", run: runVerifyOracle, flags: func() *flag.FlagSet { return verifyOracleFlags(new(verifyOptions)) }},
		{name: "plan", args: "[flags]", short: "what planned upgrades do to the shared repositories that exist, and in which order (--help for flags)", run: runPlan, flags: func() *flag.FlagSet { return planFlags(new(planOptions)) }},
		{name: "world", args: "init|export", short: "print a commented world that exercises every requirement, or export a real fleet as one", run: runWorld, subcommands: []command{
			{name: "init", short: "print a commented world that exercises every requirement", run: runWorldInit},
			{name: "export", short: "write a world of a real fleet, read from the platform", run: runWorldExport, flags: func() *flag.FlagSet { return worldExportFlags(new(exportOptions)) }},
		}},
		{name: "requirements", short: "print the requirement catalogue (docs/requirements.md)", run: runRequirements},
		{name: "contract", short: "print the contract ledger: operations, answers, sources (docs/contract.md)", run: runContract},
		{name: "version", short: "print the tool's and the requirement catalogue's versions", run: runVersion},
		{name: "completion", args: "SHELL", short: "print a completion script for bash, zsh or fish", run: runCompletion, words: []string{"bash", "zsh", "fish"}},
		{name: "help", args: "[COMMAND]", short: "print this, or a command's help", run: runHelpCommand},
	}
}

// usageText is the top-level usage, from the command table.
func usageText() string {
	var b strings.Builder
	b.WriteString("conform — checks, serves and tests the AddSnapshotRepo API of Alibaba Cloud Elasticsearch.\n\nUsage:\n")
	// The first column as wide as its widest entry, and two spaces more.
	commands := commandTable()
	names := make([]string, len(commands))
	width := 0
	for i, c := range commands {
		names[i] = strings.TrimSpace("conform " + c.name + " " + c.args)
		width = max(width, len(names[i])+2)
	}
	for i, c := range commands {
		fmt.Fprintf(&b, "  %-*s%s\n", width, names[i], c.short)
	}
	b.WriteString(`
Examples:
  conform check --dest es-cn-cf710dest0000001 --source es-cn-cf79src00000001
  conform serve --addr 127.0.0.1:9280
  conform run
`)
	return b.String()
}

// rootCommand is conform itself: the table is its subcommands.
func rootCommand() command { return command{name: "conform", subcommands: commandTable()} }

// commandNamed is the command of the table named name, or nil.
func commandNamed(name string) *command { return rootCommand().subcommand(name) }

// commandNames are the subcommands' names, in table order.
func commandNames() []string { return rootCommand().wordsAfter() }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText())
		return exitUsage
	}
	for _, c := range commandTable() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	if isHelp(args[0]) {
		fmt.Fprint(stdout, usageText())
		return exitOK
	}
	names := commandNames()
	fmt.Fprintf(stderr, "conform: unknown command %q%s (want %s or %s; see conform help)\n", args[0], suggest.DidYouMean(args[0], names),
		strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
	return exitUsage
}

// runHelpCommand is conform help [COMMAND]: the usage, or that command's --help.
func runHelpCommand(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0, len(args) == 1 && isHelp(args[0]):
		fmt.Fprint(stdout, usageText())
		return exitOK
	case len(args) > 2:
		fmt.Fprintf(stderr, "conform help: name one command (and its subcommand), not %d words (see conform help)\n", len(args))
		return exitUsage
	}
	if c := commandNamed(args[0]); c != nil && c.name != "help" {
		if len(args) == 1 {
			return c.run([]string{"--help"}, stdout, stderr)
		}
		if sub := c.subcommand(args[1]); sub != nil {
			return sub.run([]string{"--help"}, stdout, stderr)
		}
		fmt.Fprintf(stderr, "conform help: %s has no subcommand %q%s (see conform help %s)\n", c.name, args[1], suggest.DidYouMean(args[1], c.wordsAfter()), c.name)
		return exitUsage
	}
	fmt.Fprintf(stderr, "conform help: unknown command %q%s (see conform help)\n", args[0], suggest.DidYouMean(args[0], commandNames()))
	return exitUsage
}
