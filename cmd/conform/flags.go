package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/snaprepo/conform/internal/suggest"
	"github.com/snaprepo/conform/world"
)

// newFlags makes a subcommand's flag set. --help prints help, then the flags
// as users type them (--name, as the docs write them; -o and -v short).
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are ours to word (parseArgs)
	fs.Usage = func() {}
	return fs
}

// flagName is a flag as users type it: -o and -v short, every other --name.
func flagName(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// printHelp writes the subcommand's help and its flags.
func printHelp(w io.Writer, fs *flag.FlagSet, help string) {
	var b strings.Builder
	b.WriteString(help)
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		b.WriteString("  " + flagName(f.Name))
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
	rest, err := parseArgs(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printHelp(stdout, fs, help)
		return exitOK, true
	case err != nil:
		fmt.Fprintf(stderr, "conform %s: %v (see conform %s --help)\n", fs.Name(), err, fs.Name())
		return exitUsage, true
	case len(rest) > 0:
		fmt.Fprintf(stderr, "conform %s: unexpected argument %q (flags go before values; see conform %s --help)\n", fs.Name(), rest[0], fs.Name())
		return exitUsage, true
	}
	return exitOK, false
}

// parseArgs sets fs's flags from args as the flag package's rules do (-x or
// --x, a value after = or as the next argument, flags before other
// arguments, -- ends them), wording every error itself: flags named as
// users type them, the nearest known flag for an unknown one. It returns
// the arguments after the flags; -h and --help are flag.ErrHelp.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	for len(args) > 0 {
		arg := args[0]
		if len(arg) < 2 || arg[0] != '-' {
			break
		}
		args = args[1:]
		if arg == "--" {
			break
		}
		name := strings.TrimPrefix(arg[1:], "-")
		if name == "" || name[0] == '-' || name[0] == '=' {
			return nil, fmt.Errorf("%q is not a flag (flags are -x or --name)", arg)
		}
		name, value, hasValue := strings.Cut(name, "=")
		f := fs.Lookup(name)
		if f == nil {
			if name == "help" || name == "h" {
				return nil, flag.ErrHelp
			}
			return nil, unknownFlag(fs, name)
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			if !hasValue {
				value = "true"
			}
		} else if !hasValue {
			if len(args) == 0 {
				return nil, fmt.Errorf("flag %s needs a value", flagName(name))
			}
			value, args = args[0], args[1:]
		}
		if err := fs.Set(name, value); err != nil {
			return nil, fmt.Errorf("invalid value %q for flag %s: %w", value, flagName(name), err)
		}
	}
	return args, nil
}

// unknownFlag says a flag is not one of fs's, with the one it was likely
// meant to be.
func unknownFlag(fs *flag.FlagSet, name string) error {
	var known []string
	fs.VisitAll(func(f *flag.Flag) { known = append(known, f.Name) })
	if c := suggest.Closest(name, known); c != "" {
		return fmt.Errorf("unknown flag --%s (did you mean %s?)", name, flagName(c))
	}
	return fmt.Errorf("unknown flag --%s", name)
}

// bindOutput binds -o and its long form --output into output, text by
// default; any other value than text or json is refused as the flags are
// parsed, so no command checks it again.
func bindOutput(fs *flag.FlagSet, output *string) {
	*output = "text"
	fs.Var(outputValue{output}, "o", "output `format`: text or json")
	fs.Var(outputValue{output}, "output", "output `format`: text or json (the long form of -o)")
}

// outputValue is -o's value: text or json, nothing else.
type outputValue struct{ p *string }

func (v outputValue) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

func (v outputValue) Set(s string) error {
	if s != "text" && s != "json" {
		return errors.New("not an output (want text or json)")
	}
	*v.p = s
	return nil
}

// loadWorld is world.LoadOrBuiltin(path), its error saying what to give
// --world when the file cannot be read.
func loadWorld(path string) (*world.World, error) {
	w, err := world.LoadOrBuiltin(path)
	if errors.As(err, new(*fs.PathError)) {
		return nil, fmt.Errorf("%w (give --world a readable world file, or leave it out for the built-in world)", err)
	}
	return w, err
}
