package world

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
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
// square of its depth. It is one pass over the bytes that allocates only
// for the keys of an object and for an error; malformed JSON is left to
// encoding/json, which says where.
func strictJSON(data []byte) error {
	s := &strictScanner{data: data, fields: map[reflect.Type]map[string]reflect.Type{}}
	err := s.value(reflect.TypeOf(File{}), 0)
	if err == errMalformed {
		return nil
	}
	return err
}

// MaxDepth is how deeply the arrays and objects of a world file may nest;
// a world needs four levels.
const MaxDepth = 64

// errMalformed stops the check at JSON that is not well formed.
var errMalformed = errors.New("malformed JSON")

type strictScanner struct {
	data   []byte
	i      int
	fields map[reflect.Type]map[string]reflect.Type
	// path is where the scanner is: keys, or array indexes (key "").
	path []segment
}

type segment struct {
	key   string
	index int
}

// where is the scanner's place, as "instances[3].version".
func (s *strictScanner) where() string {
	var b strings.Builder
	for _, g := range s.path {
		if g.key == "" {
			fmt.Fprintf(&b, "[%d]", g.index)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(g.key)
	}
	return b.String()
}

func (s *strictScanner) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

func (s *strictScanner) fieldsOf(t reflect.Type) map[string]reflect.Type {
	f, ok := s.fields[t]
	if !ok {
		f = jsonFields(t)
		s.fields[t] = f
	}
	return f
}

// str reads a string at s.i and returns its content, unescaped only when
// it holds an escape.
func (s *strictScanner) str() (string, error) {
	start := s.i
	s.i++ // the opening quote
	escaped := false
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case '\\':
			escaped = true
			s.i += 2
			continue
		case '"':
			s.i++
			raw := s.data[start:s.i]
			if !escaped {
				return string(raw[1 : len(raw)-1]), nil
			}
			var out string
			if json.Unmarshal(raw, &out) != nil {
				return "", errMalformed
			}
			return out, nil
		}
		s.i++
	}
	return "", errMalformed
}

// value checks the value at s.i, of type t, depth levels down.
func (s *strictScanner) value(t reflect.Type, depth int) error {
	s.space()
	if s.i >= len(s.data) {
		return errMalformed
	}
	switch s.data[s.i] {
	case '"':
		_, err := s.str()
		return err
	case '[', '{':
		if depth >= MaxDepth {
			return fmt.Errorf("line %d: arrays and objects nested deeper than %d levels at %s (a world needs four; look for brackets that are never closed)", lineAt(s.data, int64(s.i)), MaxDepth, truncate(s.where(), 80))
		}
		if s.data[s.i] == '[' {
			return s.array(t, depth)
		}
		return s.object(t, depth)
	}
	for s.i < len(s.data) { // a number, true, false or null
		switch s.data[s.i] {
		case ',', ']', '}', ' ', '\t', '\r', '\n':
			return nil
		}
		s.i++
	}
	return nil
}

func (s *strictScanner) array(t reflect.Type, depth int) error {
	elem := t
	if t.Kind() == reflect.Slice {
		elem = t.Elem()
	}
	s.i++
	s.space()
	if s.i < len(s.data) && s.data[s.i] == ']' {
		s.i++
		return nil
	}
	for n := 0; ; n++ {
		s.path = append(s.path, segment{index: n})
		err := s.value(elem, depth+1)
		s.path = s.path[:len(s.path)-1]
		if err != nil {
			return err
		}
		if done, err := s.after(']'); done || err != nil {
			return err
		}
	}
}

func (s *strictScanner) object(t reflect.Type, depth int) error {
	fields := s.fieldsOf(t)
	var seen []string // an object of a world has a few keys
	s.i++
	for {
		s.space()
		if s.i >= len(s.data) {
			return errMalformed
		}
		if s.data[s.i] == '}' && len(seen) == 0 {
			s.i++
			return nil
		}
		if s.data[s.i] != '"' {
			return errMalformed
		}
		at := s.i
		key, err := s.str()
		if err != nil {
			return err
		}
		s.path = append(s.path, segment{key: key})
		if slices.Contains(seen, key) {
			return fmt.Errorf("line %d: %s is given twice (say it once)", lineAt(s.data, int64(at)), truncate(s.where(), 80))
		}
		seen = append(seen, key)
		field := t
		if t.Kind() == reflect.Struct {
			ft, known := fields[key]
			if !known {
				return fmt.Errorf("line %d: unknown field %q in %s%s", lineAt(s.data, int64(at)), truncate(key, 80), placeName(t), suggest.DidYouMean(key, fieldNames(fields)))
			}
			field = ft
		} else if t.Kind() == reflect.Map {
			field = t.Elem()
		}
		s.space()
		if s.i >= len(s.data) || s.data[s.i] != ':' {
			return errMalformed
		}
		s.i++
		if err := s.value(field, depth+1); err != nil {
			return err
		}
		s.path = s.path[:len(s.path)-1]
		if done, err := s.after('}'); done || err != nil {
			return err
		}
	}
}

// after reads what follows a member of an array or object: a comma (more
// follow) or its closing bracket (done).
func (s *strictScanner) after(closing byte) (done bool, err error) {
	s.space()
	if s.i >= len(s.data) {
		return false, errMalformed
	}
	switch s.data[s.i] {
	case ',':
		s.i++
		return false, nil
	case closing:
		s.i++
		return true, nil
	}
	return false, errMalformed
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
