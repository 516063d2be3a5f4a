package world

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"slices"
	"sync"

	"go.yaml.in/yaml/v3"
)

// yamlChunkLines is about how many lines of a long sequence are decoded at
// once: the YAML decoder builds a tree of nodes for what it decodes, some
// thirty times the bytes, so a world decoded whole costs thirty times its
// file; in chunks, the file's size plus what the world itself holds.
const yamlChunkLines = 20_000

// chunked are the top-level sequences decoded a chunk of items at a time,
// each with how its items are decoded and kept.
var chunked = map[string]func(f *File, dec *yaml.Decoder) error{
	"instances": func(f *File, dec *yaml.Decoder) error { return decodeInto(dec, &f.Instances) },
	"repos":     func(f *File, dec *yaml.Decoder) error { return decodeInto(dec, &f.Repos) },
	"accounts":  func(f *File, dec *yaml.Decoder) error { return decodeInto(dec, &f.Accounts) },
}

func decodeInto[T any](dec *yaml.Decoder, into *[]T) error {
	var items []T
	if err := dec.Decode(&items); err != nil {
		return err
	}
	*into = append(*into, items...)
	return nil
}

// decodeYAML decodes a YAML world into f as decoding it whole would, with
// the same errors and line numbers, but the long sequences (instances,
// repos, accounts) of a file in block style a chunk of items at a time. A
// file it cannot split safely — document markers or directives, anchors
// and aliases, a sequence whose items are not at one indentation — is
// decoded whole, and so is a file whose chunks do not decode.
func decodeYAML(data []byte, f *File, chunkLines int) error {
	plan, ok := planChunks(data, chunkLines)
	if !ok {
		return decodeWhole(data, f)
	}
	// The rest of the file, the chunked lines blanked so that every line
	// keeps its number.
	// A file with a mistake is decoded again whole, for the error and line
	// the whole decoding gives: mistakes are rare, their memory too.
	again := func() error {
		*f = File{}
		return decodeWhole(data, f)
	}
	if err := decodeWhole(plan.rest, f); err != nil && !(errors.Is(err, io.EOF) && len(plan.chunks) > 0) {
		return again()
	}
	// Chunks are independent: they are decoded on every core, then kept in
	// the file's order.
	parts := make([]File, len(plan.chunks))
	failed := make([]bool, len(plan.chunks))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(plan.chunks)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range next {
				c := plan.chunks[n]
				dec := yaml.NewDecoder(bytes.NewReader(data[c.start:c.end]))
				dec.KnownFields(true)
				failed[n] = chunked[c.key](&parts[n], dec) != nil
			}
		}()
	}
	for n := range plan.chunks {
		next <- n
	}
	close(next)
	wg.Wait()
	if slices.Contains(failed, true) {
		return again()
	}
	for _, p := range parts {
		f.Accounts = append(f.Accounts, p.Accounts...)
		f.Instances = append(f.Instances, p.Instances...)
		f.Repos = append(f.Repos, p.Repos...)
	}
	return nil
}

func decodeWhole(data []byte, f *File) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	return dec.Decode(f)
}

type chunk struct {
	key        string
	start, end int // byte offsets in the file
}

type chunkPlan struct {
	rest   []byte
	chunks []chunk
}

// planChunks splits data into the chunks of its long sequences and the
// rest, or says it cannot.
func planChunks(data []byte, chunkLines int) (chunkPlan, bool) {
	if bytes.ContainsAny(data, "&*") || bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		return chunkPlan{}, false // anchors or aliases may cross chunks; a BOM shifts columns
	}
	type line struct{ start, end int }
	var lines []line
	for i := 0; i < len(data); {
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 {
			lines = append(lines, line{i, len(data)})
			break
		}
		lines = append(lines, line{i, i + j + 1})
		i += j + 1
	}
	text := func(n int) []byte { return bytes.TrimRight(data[lines[n].start:lines[n].end], "\r\n") }
	topLevel := func(n int) bool {
		t := text(n)
		return len(t) > 0 && t[0] != ' ' && t[0] != '\t' && t[0] != '#'
	}
	var plan chunkPlan
	rest := make([]byte, 0, len(data))
	for n := 0; n < len(lines); {
		t := text(n)
		if len(t) > 0 && (t[0] == '-' || t[0] == '%' || bytes.HasPrefix(t, []byte("..."))) {
			return chunkPlan{}, false // a document marker, a directive, or a sequence at the top
		}
		key, isKey := sequenceKey(t)
		if !topLevel(n) || !isKey {
			rest = append(rest, data[lines[n].start:lines[n].end]...)
			n++
			continue
		}
		// A chunked section: its key line stays (a null value), its body
		// goes to chunks of whole items.
		rest = append(rest, data[lines[n].start:lines[n].end]...)
		end := n + 1
		for end < len(lines) && !topLevel(end) {
			end++
		}
		indent := -1
		var starts []int
		for m := n + 1; m < end; m++ {
			b := text(m)
			trimmed := bytes.TrimLeft(b, " ")
			if len(trimmed) == 0 || trimmed[0] == '#' {
				continue
			}
			// The first line sets the items' indentation; it must be an
			// item, as every line there must (a tab is no indentation, so a
			// line that starts with one is not an item).
			col := len(b) - len(trimmed)
			if indent < 0 {
				indent = col
			}
			if col < indent {
				return chunkPlan{}, false
			}
			if col == indent {
				if !isItem(trimmed) {
					return chunkPlan{}, false
				}
				starts = append(starts, m)
			}
		}
		// Lines before the first item (blank or comments) and the items,
		// in chunks of about chunkLines lines.
		for i := 0; i < len(starts); {
			j := i + 1
			for j < len(starts) && starts[j]-starts[i] < chunkLines {
				j++
			}
			last := end
			if j < len(starts) {
				last = starts[j]
			}
			plan.chunks = append(plan.chunks, chunk{key: key, start: lines[starts[i]].start, end: lines[last-1].end})
			i = j
		}
		for m := n + 1; m < end; m++ {
			rest = append(rest, '\n')
		}
		n = end
	}
	plan.rest = rest
	return plan, true
}

// sequenceKey is the key of a top-level line "key:" (a comment may
// follow) naming a chunked sequence.
func sequenceKey(t []byte) (string, bool) {
	if i := bytes.Index(t, []byte(" #")); i >= 0 {
		t = t[:i]
	}
	t = bytes.TrimRight(t, " \t")
	k, ok := bytes.CutSuffix(t, []byte(":"))
	if !ok {
		return "", false
	}
	if _, known := chunked[string(k)]; !known {
		return "", false
	}
	return string(k), true
}

func isItem(t []byte) bool { return t[0] == '-' && (len(t) == 1 || t[1] == ' ') }
