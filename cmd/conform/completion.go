package main

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
)

const completionHelp = `Usage: conform completion bash|zsh|fish

Prints a shell completion script for conform's commands and flags.

Examples:
  source <(conform completion bash)
  conform completion zsh > "${fpath[1]}/_conform"
  conform completion fish > ~/.config/fish/completions/conform.fish

Exit codes:
  0  printed     2  usage error
`

// flagLine is how printHelp writes a flag, below "Flags:".
var flagLine = regexp.MustCompile(`(?m)^  (--?[a-z][a-z0-9-]*)`)

// flagsOf are a subcommand's flags, read from its own --help: the flag sets
// stay the one definition.
func flagsOf(command string) []string {
	var out bytes.Buffer
	run([]string{command, "--help"}, &out, io.Discard)
	_, list, _ := strings.Cut(out.String(), "\nFlags:\n")
	var flags []string
	for _, m := range flagLine.FindAllStringSubmatch(list, -1) {
		flags = append(flags, m[1])
	}
	return flags
}

func runCompletion(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && isHelp(args[0]) {
		fmt.Fprint(stdout, completionHelp)
		return exitOK
	}
	if len(args) != 1 {
		fmt.Fprint(stderr, "conform completion: name one shell: bash, zsh or fish\n\n"+completionHelp)
		return exitUsage
	}
	withFlags := []string{"check", "serve", "run"}
	var b strings.Builder
	switch args[0] {
	case "bash", "zsh":
		if args[0] == "zsh" {
			b.WriteString("#compdef conform\nautoload -U +X bashcompinit && bashcompinit\n")
		}
		b.WriteString("_conform() {\n  local cur=\"${COMP_WORDS[COMP_CWORD]}\" cmd=\"${COMP_WORDS[1]}\"\n")
		fmt.Fprintf(&b, "  if [ \"$COMP_CWORD\" -eq 1 ]; then COMPREPLY=($(compgen -W %q -- \"$cur\")); return; fi\n", strings.Join(commands, " "))
		b.WriteString("  case \"$cmd\" in\n")
		for _, c := range withFlags {
			fmt.Fprintf(&b, "    %s) COMPREPLY=($(compgen -W %q -- \"$cur\")) ;;\n", c, strings.Join(flagsOf(c), " "))
		}
		b.WriteString("    world) COMPREPLY=($(compgen -W \"init\" -- \"$cur\")) ;;\n")
		b.WriteString("    completion) COMPREPLY=($(compgen -W \"bash zsh fish\" -- \"$cur\")) ;;\n  esac\n}\ncomplete -o default -F _conform conform\n")
	case "fish":
		for _, c := range commands {
			fmt.Fprintf(&b, "complete -c conform -n __fish_use_subcommand -f -a %s\n", c)
		}
		for _, c := range withFlags {
			for _, f := range flagsOf(c) {
				kind := "-l"
				if !strings.HasPrefix(f, "--") {
					kind = "-s"
				}
				fmt.Fprintf(&b, "complete -c conform -n '__fish_seen_subcommand_from %s' %s %s\n", c, kind, strings.TrimLeft(f, "-"))
			}
		}
		b.WriteString("complete -c conform -n '__fish_seen_subcommand_from world' -f -a init\n")
		b.WriteString("complete -c conform -n '__fish_seen_subcommand_from completion' -f -a 'bash zsh fish'\n")
	default:
		fmt.Fprintf(stderr, "conform completion: %q is not a shell this prints for (want bash, zsh or fish)\n", args[0])
		return exitUsage
	}
	io.WriteString(stdout, b.String())
	return exitOK
}
