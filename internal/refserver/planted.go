package refserver

import (
	"fmt"
	"reflect"
	"strings"
	"unicode"

	"github.com/snaprepo/conform/internal/suggest"
)

// PlantedFault is one field of Faults as people name it.
type PlantedFault struct {
	// Name is the field's name in kebab case: string-versions.
	Name string
	// Breaks says what the fault gets wrong.
	Breaks string
	// Catches is the requirement that fails when it is planted; with
	// Only, it alone fails; with Exhaustive, it fails in conform run
	// --exhaustive (the fault shows only on pairs no fixed spec sends).
	Catches    string
	Only       bool
	Exhaustive bool
	field      int
}

// CaughtBy is Catches as conform serve --faults and README write it:
// "RULE-X", "RULE-X only" or "RULE-X with --exhaustive".
func (p PlantedFault) CaughtBy() string {
	switch {
	case p.Only:
		return p.Catches + " only"
	case p.Exhaustive:
		return p.Catches + " with --exhaustive"
	}
	return p.Catches
}

// Planted lists every planted fault, in the order Faults declares them: the
// one definition conform serve --faults prints and the tests that prove
// each caught read.
func Planted() []PlantedFault {
	t := reflect.TypeFor[Faults]()
	out := make([]PlantedFault, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		catches, only := strings.CutSuffix(f.Tag.Get("catches"), " only")
		catches, exhaustive := strings.CutSuffix(catches, " exhaustive")
		out = append(out, PlantedFault{Name: kebab(f.Name), Breaks: f.Tag.Get("fault"), Catches: catches, Only: only, Exhaustive: exhaustive, field: i})
	}
	return out
}

// Plant switches the fault called name on in f; an unknown name is an
// error naming the nearest one.
func (f *Faults) Plant(name string) error {
	var names []string
	for _, p := range Planted() {
		if p.Name == name {
			reflect.ValueOf(f).Elem().Field(p.field).SetBool(true)
			return nil
		}
		names = append(names, p.Name)
	}
	return fmt.Errorf("%q is not a planted fault%s (conform serve --faults lists them)", name, suggest.DidYouMean(name, names))
}

// With is f with the fault p switched on.
func (p PlantedFault) With() Faults {
	var f Faults
	reflect.ValueOf(&f).Elem().Field(p.field).SetBool(true)
	return f
}

// kebab writes a Go field name in kebab case: ROANonceUnchecked is
// roa-nonce-unchecked, HugeBody5xx huge-body-5xx.
func kebab(s string) string {
	var b strings.Builder
	r := []rune(s)
	for i, c := range r {
		if unicode.IsDigit(c) && i > 0 && unicode.IsLetter(r[i-1]) {
			b.WriteByte('-')
		}
		if unicode.IsUpper(c) {
			prevLower := i > 0 && (unicode.IsLower(r[i-1]) || unicode.IsDigit(r[i-1]))
			nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
			if i > 0 && (prevLower || (nextLower && unicode.IsUpper(r[i-1]))) {
				b.WriteByte('-')
			}
			b.WriteRune(unicode.ToLower(c))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}
