package scan

import (
	"errors"
	"strings"
	"testing"
)

// FuzzMatcher feeds exclude patterns (one per line, as PARTSYNC_EXCLUDE and
// the Argo form give them) and a path to NewMatcher and Match: a bad
// pattern is an ErrBadPattern error, never a panic; a good matcher answers
// for any path; a pattern that is a plain name matches that name at any depth.
func FuzzMatcher(f *testing.F) {
	for _, s := range [][2]string{
		{"*.tmp", "a/b.tmp"}, {"cache/", "x/cache"}, {"/top\n**/z", "a/z"}, {"[", "["}, {"{a,b", "a"},
		{"a\\", "a"}, {"*.{jpg,png}", "p.png"}, {"/", "x"}, {"a/**/z", "a/b/c/z"}, {"\\[x]", "[x]"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, patterns, rel string) {
		list := strings.Split(patterns, "\n")
		m, err := NewMatcher(list)
		if err != nil {
			if !errors.Is(err, ErrBadPattern) {
				t.Fatalf("NewMatcher(%q): %v does not wrap ErrBadPattern", list, err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.Contains(line, "bad exclude pattern") {
					t.Fatalf("NewMatcher(%q): error line %q does not name the problem", list, line)
				}
			}
			return
		}
		asFile, asDir := m.Match(rel, false), m.Match(rel, true)
		if asFile && !asDir {
			t.Fatalf("%q matches %q as a file but not as a directory", list, rel)
		}
		if m.Match(rel, false) != asFile || m.Match(rel, true) != asDir {
			t.Fatalf("%q: Match(%q) is not deterministic", list, rel)
		}
		name := rel[strings.LastIndexByte(rel, '/')+1:]
		for _, p := range list {
			if p != "" && p == name && !strings.ContainsAny(p, `*?[]{}\/`) && !asFile {
				t.Fatalf("the plain name pattern %q does not match %q", p, rel)
			}
		}
		var none *Matcher
		if none.Match(rel, true) {
			t.Fatalf("a nil matcher excluded %q", rel)
		}
	})
}
