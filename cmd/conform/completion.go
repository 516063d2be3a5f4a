package main

import (
	"flag"
	"fmt"
	"io"
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

// flagsOf are the flags of fs as users type them (-o, --name).
func flagsOf(fs *flag.FlagSet) []string {
	var flags []string
	fs.VisitAll(func(f *flag.Flag) { flags = append(flags, flagName(f.Name)) })
	return flags
}

// fishFlags writes fish's completions of c's flags, offered when cond holds.
func fishFlags(b *strings.Builder, cond string, c command) {
	if c.flags == nil {
		return
	}
	for _, f := range flagsOf(c.flags()) {
		kind := "-l"
		if !strings.HasPrefix(f, "--") {
			kind = "-s"
		}
		fmt.Fprintf(b, "complete -c conform -n '%s' %s %s\n", cond, kind, strings.TrimLeft(f, "-"))
	}
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
	table := commandTable()
	var b strings.Builder
	switch args[0] {
	case "bash", "zsh":
		if args[0] == "zsh" {
			b.WriteString("#compdef conform\nautoload -U +X bashcompinit && bashcompinit\n")
		}
		b.WriteString("_conform() {\n  local cur=\"${COMP_WORDS[COMP_CWORD]}\" cmd=\"${COMP_WORDS[1]}\"\n")
		fmt.Fprintf(&b, "  if [ \"$COMP_CWORD\" -eq 1 ]; then COMPREPLY=($(compgen -W %q -- \"$cur\")); return; fi\n", strings.Join(commandNames(), " "))
		b.WriteString("  case \"$cmd\" in\n")
		for _, c := range table {
			words := c.wordsAfter()
			if len(words) == 0 {
				continue
			}
			if len(c.subcommands) == 0 {
				fmt.Fprintf(&b, "    %s) COMPREPLY=($(compgen -W %q -- \"$cur\")) ;;\n", c.name, strings.Join(words, " "))
				continue
			}
			// A group: its subcommands, then the chosen one's words.
			fmt.Fprintf(&b, "    %s) if [ \"$COMP_CWORD\" -eq 2 ]; then COMPREPLY=($(compgen -W %q -- \"$cur\")); else case \"${COMP_WORDS[2]}\" in\n", c.name, strings.Join(words, " "))
			for _, sub := range c.subcommands {
				if w := sub.wordsAfter(); len(w) > 0 {
					fmt.Fprintf(&b, "      %s) COMPREPLY=($(compgen -W %q -- \"$cur\")) ;;\n", sub.name, strings.Join(w, " "))
				}
			}
			b.WriteString("    esac; fi ;;\n")
		}
		b.WriteString("  esac\n}\ncomplete -o default -F _conform conform\n")
	case "fish":
		for _, c := range table {
			fmt.Fprintf(&b, "complete -c conform -n __fish_use_subcommand -f -a %s -d %q\n", c.name, c.short)
		}
		for _, c := range table {
			fishFlags(&b, "__fish_seen_subcommand_from "+c.name, c)
			if len(c.subcommands) > 0 {
				names := strings.Join(c.wordsAfter(), " ")
				for _, sub := range c.subcommands {
					fmt.Fprintf(&b, "complete -c conform -n '__fish_seen_subcommand_from %s; and not __fish_seen_subcommand_from %s' -f -a %s -d %q\n", c.name, names, sub.name, sub.short)
				}
				for _, sub := range c.subcommands {
					fishFlags(&b, "__fish_seen_subcommand_from "+c.name+"; and __fish_seen_subcommand_from "+sub.name, sub)
				}
				continue
			}
			if words := c.wordsAfter(); c.flags == nil && len(words) > 0 {
				fmt.Fprintf(&b, "complete -c conform -n '__fish_seen_subcommand_from %s' -f -a '%s'\n", c.name, strings.Join(words, " "))
			}
		}
	default:
		fmt.Fprintf(stderr, "conform completion: %q is not a shell this prints for (want bash, zsh or fish)\n", args[0])
		return exitUsage
	}
	io.WriteString(stdout, b.String())
	return exitOK
}
