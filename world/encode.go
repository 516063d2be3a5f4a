package world

import (
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Encode writes f as a world file in YAML, after comment (each line made a
// YAML comment). What it writes loads back as the same world.
func Encode(w io.Writer, f *File, comment string) error {
	var b strings.Builder
	for line := range strings.SplitSeq(strings.TrimRight(comment, "\n"), "\n") {
		if comment == "" {
			break
		}
		b.WriteString("# " + line + "\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("writing the world: %w", err)
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return fmt.Errorf("writing the world: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("writing the world: %w", err)
	}
	return nil
}
