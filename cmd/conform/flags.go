package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// newFlags makes a subcommand's flag set: --help prints help, then the flags.
func newFlags(name, help string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, help); fs.PrintDefaults() }
	return fs
}

// parseFlags parses args. stop is true when the command ends here, with
// code: after --help (0), a bad flag or a stray argument (2, said on stderr).
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (code int, stop bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, true
		}
		return exitUsage, true
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "conform %s: unexpected argument %q (flags go before values; see conform %s --help)\n", fs.Name(), fs.Arg(0), fs.Name())
		return exitUsage, true
	}
	return exitOK, false
}
