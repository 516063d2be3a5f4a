package world

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/snaprepo/conform/internal/suggest"
)

// strictJSON checks a JSON world's keys as the YAML decoder checks a YAML
// one: every key is a field of its place, spelled exactly (encoding/json
// would match "REGION" to region), and no object names a key twice
// (encoding/json would keep the last). The fields come from File's own tags.
//
// Nesting is bounded by MaxDepth, far beyond any real world: without a
// bound, a file of nested arrays costs time and memory that grow with the
// square of its depth.
func strictJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	return walkJSON(dec, data, reflect.TypeOf(File{}), "", 0)
}

// MaxDepth is how deeply the arrays and objects of a world file may nest;
// a world needs four levels.
const MaxDepth = 64

func walkJSON(dec *json.Decoder, data []byte, t reflect.Type, where string, depth int) error {
	at := dec.InputOffset()
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return nil // a scalar: its type is encoding/json's to check
	}
	if depth >= MaxDepth {
		return fmt.Errorf("line %d: arrays and objects nested deeper than %d levels at %s (a world needs four; look for brackets that are never closed)", lineAt(data, at), MaxDepth, clipPlace(where))
	}
	switch delim {
	case '[':
		elem := t
		if t.Kind() == reflect.Slice {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if err := walkJSON(dec, data, elem, fmt.Sprintf("%s[%d]", where, i), depth+1); err != nil {
				return err
			}
		}
	case '{':
		fields := jsonFields(t)
		seen := map[string]bool{}
		for dec.More() {
			at := dec.InputOffset()
			k, err := dec.Token()
			if err != nil {
				return err
			}
			key := k.(string)
			place := strings.TrimPrefix(where+"."+key, ".")
			if seen[key] {
				return fmt.Errorf("line %d: %s is given twice (say it once)", lineAt(data, at), place)
			}
			seen[key] = true
			field := t
			if t.Kind() == reflect.Struct {
				ft, known := fields[key]
				if !known {
					return fmt.Errorf("line %d: unknown field %q in %s%s", lineAt(data, at), key, placeName(t), suggest.DidYouMean(key, fieldNames(fields)))
				}
				field = ft
			} else if t.Kind() == reflect.Map {
				field = t.Elem()
			}
			if err := walkJSON(dec, data, field, place, depth+1); err != nil {
				return err
			}
		}
	}
	_, err = dec.Token() // the closing delimiter
	return err
}

// clipPlace is a place in a world short enough for one line.
func clipPlace(where string) string {
	if len(where) > 80 {
		return where[:80] + "…"
	}
	return strings.TrimPrefix(where, ".")
}

// jsonFields maps each JSON field name of struct t to its type.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	if t.Kind() != reflect.Struct {
		return out
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out[name] = f.Type
		}
	}
	return out
}

func fieldNames(fields map[string]reflect.Type) []string {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	return names
}

// placeName says in words which part of a world a struct type is.
func placeName(t reflect.Type) string {
	switch t {
	case reflect.TypeOf(File{}):
		return "the world (the top level)"
	case reflect.TypeOf(Account{}):
		return "an account"
	case reflect.TypeOf(AccessKey{}):
		return "an AccessKey"
	case reflect.TypeOf(InstanceRecord{}):
		return "an instance"
	case reflect.TypeOf(Repo{}):
		return "a repo"
	}
	return t.Name()
}

func lineAt(data []byte, offset int64) int {
	return bytes.Count(data[:min(int(offset), len(data))], []byte("\n")) + 1
}

// yamlUnknownField is how yaml.v3 reports an unknown field.
var yamlUnknownField = regexp.MustCompile(`line (\d+): field (\S+) not found in type world\.(\w+)`)

// explainYAML rewrites yaml.v3's errors in the world's words: the field,
// its line, the part of the world, and the nearest known field — never a Go
// type name.
func explainYAML(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: unmarshal errors:\n  ")
	msg = strings.TrimPrefix(msg, "yaml: ")
	return yamlUnknownField.ReplaceAllStringFunc(msg, func(m string) string {
		p := yamlUnknownField.FindStringSubmatch(m)
		line, _ := strconv.Atoi(p[1])
		var t reflect.Type
		for _, c := range []any{File{}, Account{}, AccessKey{}, InstanceRecord{}, Repo{}} {
			if reflect.TypeOf(c).Name() == p[3] {
				t = reflect.TypeOf(c)
			}
		}
		if t == nil {
			return m
		}
		return fmt.Sprintf("line %d: unknown field %q in %s%s", line, p[2], placeName(t), suggest.DidYouMean(p[2], fieldNames(jsonFields(t))))
	})
}
