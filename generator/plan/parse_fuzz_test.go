package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"path"
	"reflect"
	"strings"
	"testing"
)

// FuzzParsePart feeds arbitrary part files, NUL- or newline-separated: an
// accepted file gives paths that, written back with the separator, are the
// file again, each clean and relative; a rejected one wraps ErrCorrupt.
func FuzzParsePart(f *testing.F) {
	for _, s := range []string{"a\x00a/b\x00", "a\nb c/d\n", "", "a", "/abs\n", "../up\x00", "a//b\n", "a\n\nb\n", "./a\n", "odd\xffname\x00"} {
		f.Add([]byte(s), s != "" && bytes.ContainsRune([]byte(s), 0))
	}
	f.Fuzz(func(t *testing.T, data []byte, nul bool) {
		sep := byte('\n')
		if nul {
			sep = 0
		}
		paths, err := ParsePart(data, sep)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("ParsePart(%q): %v does not wrap ErrCorrupt", data, err)
			}
			return
		}
		var again []byte
		for _, p := range paths {
			if err := checkRelative(strings.TrimSuffix(p, "/")); err != nil || bytes.IndexByte([]byte(p), sep) >= 0 {
				t.Fatalf("ParsePart(%q) accepted %q: %v", data, p, err)
			}
			again = append(append(again, p...), sep)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("ParsePart(%q) = %q; written back: %q", data, paths, again)
		}
	})
}

// FuzzParseStatus feeds arbitrary status files: an accepted one is about
// the partition asked for and consistent, and survives a round trip; a
// rejected one wraps ErrCorrupt.
func FuzzParseStatus(f *testing.F) {
	for _, s := range []string{
		`{"part":0,"ok":true,"exit_code":0,"attempts":1}`,
		`{"part":2,"ok":false,"exit_code":23,"attempts":3,"error":"rsync: x"}`,
		`{"part":1,"ok":true,"exit_code":24,"attempts":1,"warning":"1 vanished","vanished":["a"]}`,
		`{"part":1,"ok":true,"exit_code":0,"attempts":1,"warning":"2 added","added":["a/x"],"not_copied":["a/y"]}`,
		`{"part":1,"ok":true,"exit_code":0,"attempts":1,"added":[],"not_copied":[]}`,
		`{"part":1,"ok":true,"exit_code":5,"attempts":1}`, `{"part":-1}`, `[]`, `{`, `null`,
	} {
		f.Add([]byte(s), 1, 3)
	}
	f.Fuzz(func(t *testing.T, data []byte, index, count int) {
		s, err := ParseStatus(data, index, count)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("ParseStatus(%q): %v does not wrap ErrCorrupt", data, err)
			}
			return
		}
		if s.Part != index || index < 0 || index >= count || s.Attempts < 0 || s.OK && s.ExitCode != 0 && s.Warning == "" || !s.OK && s.ExitCode == 0 {
			t.Fatalf("ParseStatus(%q, %d, %d) accepted %+v", data, index, count, s)
		}
		out, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseStatus(out, index, count)
		if err != nil || !reflect.DeepEqual(back, s) {
			t.Fatalf("round trip of %+v: %+v, %v", s, back, err)
		}
	})
}

// FuzzParseWhole feeds arbitrary whole-directory sidecars: an accepted one
// is groups of a "DIR/" line and at least one entry directly in DIR, which
// written back are the file again; a rejected one wraps ErrCorrupt.
func FuzzParseWhole(f *testing.F) {
	for _, s := range []string{"a/\x00a/1\x00a/2\x00b/c/\x00b/c/x\x00", "a/\x00", "a/1\x00", "a/\x00b/1\x00", "a/\x00a/b/c\x00", "a/\x00a/1\x00b/\x00", "", "a/\na/1\n"} {
		f.Add([]byte(s), !strings.Contains(s, "\n"))
	}
	f.Fuzz(func(t *testing.T, data []byte, nul bool) {
		sep := byte('\n')
		if nul {
			sep = 0
		}
		groups, err := ParseWhole(data, sep)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("ParseWhole(%q): %v does not wrap ErrCorrupt", data, err)
			}
			return
		}
		var again []byte
		for _, g := range groups {
			if len(g.Entries) == 0 || checkRelative(g.Path) != nil {
				t.Fatalf("ParseWhole(%q) accepted %+v", data, g)
			}
			again = append(append(again, g.Path+"/"...), sep)
			for _, e := range g.Entries {
				if path.Dir(e) != g.Path || checkRelative(e) != nil {
					t.Fatalf("ParseWhole(%q) accepted %q in %q", data, e, g.Path)
				}
				again = append(append(again, e...), sep)
			}
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("ParseWhole(%q) = %+v; written back: %q", data, groups, again)
		}
	})
}
