package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/snaprepo/conform/fixtures"
	"github.com/snaprepo/conform/internal/suggest"
)

const worldHelp = `Usage: conform world init > world.yaml
       conform world export --live --region R [flags] > fleet.yaml

Prints a commented world file (format: docs/world.md) that exercises every
requirement of the catalogue: the starting point for a vendor's own world.
Keep each instance's part (the comment beside it says which), change IDs and
keys to those your implementation holds, then check it without sending
anything:

  conform run --dry-run --world world.yaml

conform world export writes a world of a real fleet, read from the platform
(conform world export --help).

Exit codes:
  0  printed     2  usage error
`

// worldInitHeader replaces the built-in world's own opening comment.
const worldInitHeader = `# A world for conform run (format: docs/world.md), written by conform world init.
# It exercises every requirement of the catalogue: each instance plays the part
# its comment names. Replace the IDs and AccessKeys with those your
# implementation holds, keep the parts, then:
#   conform run --dry-run --world world.yaml     # what each requirement gets, nothing sent
#   conform run --endpoint URL --world world.yaml
# Secrets may be left out here and passed in ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET.
`

// runWorld dispatches to the subcommands of world in the command table.
func runWorld(args []string, stdout, stderr io.Writer) int {
	world := commandNamed("world")
	if len(args) > 0 {
		if sub := world.subcommand(args[0]); sub != nil {
			return sub.run(args[1:], stdout, stderr)
		}
		if isHelp(args[0]) {
			fmt.Fprint(stdout, worldHelp)
			return exitOK
		}
		fmt.Fprintf(stderr, "conform world: unknown subcommand %q%s (want %s)\n\n%s", args[0], suggest.DidYouMean(args[0], world.wordsAfter()), strings.Join(world.wordsAfter(), " or "), worldHelp)
		return exitUsage
	}
	fmt.Fprintf(stderr, "conform world: want a subcommand: %s\n\n%s", strings.Join(world.wordsAfter(), " or "), worldHelp)
	return exitUsage
}

func runWorldInit(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("world init")
	if code, stop := parseFlags(fs, worldHelp, args, stdout, stderr); stop {
		return code
	}
	if _, err := io.WriteString(stdout, worldInitHeader+string(worldBody(fixtures.World))); err != nil {
		fmt.Fprintf(stderr, "conform world init: writing: %v\n", err)
		return exitUsage
	}
	return exitOK
}

// worldBody is a world file without its opening comment block.
func worldBody(b []byte) []byte {
	for len(b) > 0 && b[0] == '#' {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return nil
		}
		b = b[i+1:]
	}
	return b
}

func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}
