package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/snaprepo/conform/internal/suggest"
)

// newFlags makes a subcommand's flag set. --help prints help, then the flags
// as users type them (--name, as the docs write them; -o and -v short).
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are ours to word (parseFlags)
	fs.Usage = func() {}
	return fs
}

// printHelp writes the subcommand's help and its flags.
func printHelp(w io.Writer, fs *flag.FlagSet, help string) {
	var b strings.Builder
	b.WriteString(help)
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		dashes := "--"
		if len(f.Name) == 1 {
			dashes = "-" // -o, -v: the short forms users know
		}
		fmt.Fprintf(&b, "  %s%s", dashes, f.Name)
		if name != "" {
			fmt.Fprintf(&b, " %s", name)
		}
		fmt.Fprintf(&b, "\n        %s", strings.ReplaceAll(usage, "\n", "\n        "))
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			fmt.Fprintf(&b, " (default %s)", f.DefValue)
		}
		b.WriteString("\n")
	})
	io.WriteString(w, b.String())
}

// parseFlags parses args. stop is true when the command ends here, with
// code: after --help (0, the help on stdout), a bad flag or a stray
// argument (2, one sentence on stderr that says what to type instead).
func parseFlags(fs *flag.FlagSet, help string, args []string, stdout, stderr io.Writer) (code int, stop bool) {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printHelp(stdout, fs, help)
		return exitOK, true
	case err != nil:
		fmt.Fprintf(stderr, "conform %s: %s (see conform %s --help)\n", fs.Name(), explainFlagError(fs, err), fs.Name())
		return exitUsage, true
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "conform %s: unexpected argument %q (flags go before values; see conform %s --help)\n", fs.Name(), fs.Arg(0), fs.Name())
		return exitUsage, true
	}
	return exitOK, false
}

// explainFlagError words the flag package's errors with --names, and
// suggests the flag an unknown one was meant to be.
func explainFlagError(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		name = strings.TrimLeft(name, "-")
		var known []string
		fs.VisitAll(func(f *flag.Flag) { known = append(known, f.Name) })
		if c := suggest.Closest(name, known); c != "" {
			return fmt.Sprintf("unknown flag --%s (did you mean --%s?)", name, c)
		}
		return fmt.Sprintf("unknown flag --%s", name)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		return "flag --" + strings.TrimLeft(name, "-") + " needs a value"
	}
	return strings.Replace(msg, "for flag -", "for flag --", 1)
}
