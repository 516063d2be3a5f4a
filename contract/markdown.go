package contract

import (
	"fmt"
	"strings"
)

// Markdown is docs/contract.md: the ledger for people, generated from the
// data (conform contract prints it).
func (l *Ledger) Markdown() string {
	var b strings.Builder
	cell := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }
	fmt.Fprintf(&b, "# The contract, and where each part of it comes from\n\n")
	fmt.Fprintf(&b, "Generated from `fixtures/contract.yaml` (ledger version %s) by `conform contract`; a test keeps\n", l.Version)
	b.WriteString("it current. The reference server, the suite and the checker read the same data.\n\n")
	b.WriteString("A fact whose source is **conform** is conform's own choice: no public source documents it, and\n")
	b.WriteString("the suite accepts every reasonable answer there (README, \"Documented and open\").\n\n")
	b.WriteString("## Operations\n\n")
	for _, o := range l.Operations {
		fmt.Fprintf(&b, "### %s\n\n`%s %s` — source: %s\n\n", o.Name, o.Method, o.Path, l.cite(o.Source))
		if len(o.Parameters) > 0 {
			b.WriteString("| parameter | in | type | required | default | limit | source | note |\n|---|---|---|---|---|---|---|---|\n")
			for _, p := range o.Parameters {
				limit := ""
				switch {
				case p.MaxLength > 0 && p.ASCII:
					limit = fmt.Sprintf("at most %d ASCII characters", p.MaxLength)
				case p.MaxLength > 0:
					limit = fmt.Sprintf("at most %d characters", p.MaxLength)
				case p.Max > 0:
					limit = fmt.Sprintf("at most %d", p.Max)
				}
				req := "no"
				if p.Required {
					req = "yes"
				}
				fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s | %s |\n", p.Name, p.In, p.Type, req, orDash(p.Default), orDash(limit), l.kindOf(p.Source), cell(p.Note))
			}
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "Result: %s (%s)", o.Result.Type, l.kindOf(o.Result.Source))
		if o.Result.Note != "" {
			fmt.Fprintf(&b, " — %s", o.Result.Note)
		}
		b.WriteString(".\n\n")
		if len(o.Documents) > 0 {
			b.WriteString("Documented errors: ")
			for i, name := range o.Documents {
				a, _ := l.Answer(name)
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "%d `%s`", a.Status, a.Code)
			}
			b.WriteString(".\n\n")
		}
	}
	b.WriteString("## Answers\n\nEvery error answer conform gives, in the error envelope (`Code`, `Message`, `RequestId`, `HostId`,\n`Recommend`).\n\n")
	b.WriteString("| name | status | Code | Message | source | documented for |\n|---|---|---|---|---|---|\n")
	for _, a := range l.Answers {
		fmt.Fprintf(&b, "| %s | %d | `%s` | %s | %s | %s |\n", a.Name, a.Status, a.Code, cell(a.Message), l.kindOf(a.Source), orDash(strings.Join(l.DocumentedBy(a.Name), ", ")))
	}
	b.WriteString("\n## Sample exchanges\n\nThe reference pages' own examples (IDs masked as the pages mask them); a test replays each\nagainst conform serve and reads each answer with the suite's readers.\n\n")
	for _, e := range l.Examples {
		fmt.Fprintf(&b, "- %s (%s): `%s %s` → %d\n", e.Name, l.kindOf(e.Source), l.Operation(e.Operation).Method, e.Request.Path, e.Answer.Status)
	}
	b.WriteString("\n## Sources\n\n| source | kind | title | where |\n|---|---|---|---|\n")
	for _, s := range l.Sources {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", s.ID, s.Kind, cell(s.Title), orDash(cell(s.Where)))
	}
	return b.String()
}

// cite is a source for a heading line: its title, and its address if any.
func (l *Ledger) cite(id string) string {
	s := l.Source(id)
	if !strings.HasPrefix(s.Where, "https://") {
		return s.Cite()
	}
	return "[" + s.Title + "](" + s.Where + ")"
}

// kindOf is a source's name and kind for a table cell.
func (l *Ledger) kindOf(id string) string {
	s := l.Source(id)
	if s.Kind == KindConform {
		return "**conform**"
	}
	return "`" + id + "` (" + s.Kind + ")"
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
