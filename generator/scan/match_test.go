package scan

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestMatcherMatch(t *testing.T) {
	tests := []struct {
		pattern string
		rel     string
		isDir   bool
		want    bool
	}{
		{"*.tmp", "a.tmp", false, true},
		{"*.tmp", "x/y/a.tmp", false, true}, // a name pattern matches at any depth
		{"*.tmp", "a.tmp/b", false, false},  // only the last element
		{"a?c", "x/abc", false, true},
		{"a?c", "x/abbc", false, false},
		{"[ab]*", "x/b1", false, true},
		{"[!ab]*", "x/b1", false, false},
		{"*.{jpg,png}", "p.png", false, true},
		{"*.{jpg,png}", "p.gif", false, false},
		{"src/*.go", "src/m.go", false, true},
		{"src/*.go", "x/src/m.go", false, false}, // a path pattern is anchored
		{"src/*.go", "src/a/m.go", false, false}, // '*' stops at '/'
		{"/top", "top", false, true},
		{"/top", "x/top", false, false},
		{"**/cache", "cache", false, true},
		{"**/cache", "a/b/cache", false, true},
		{"a/**/z", "a/z", false, true},
		{"a/**/z", "a/b/c/z", false, true},
		{"build/", "build", true, true},
		{"build/", "build", false, false}, // directories only
		{"build/", "x/build", true, true},
		{"x/build/", "x/build", true, true},
		{"x/build/", "x/build", false, false},
		{"**", "any/thing", false, true},
		{"\\*", "*", false, true}, // an escaped meta character is literal
		{"\\*", "a", false, false},
		{"*", "\xff\xfe", false, true}, // names need not be UTF-8
		{"?", "\xff", false, true},
	}
	for _, tt := range tests {
		m, err := NewMatcher([]string{tt.pattern})
		if err != nil {
			t.Fatalf("NewMatcher(%q): %v", tt.pattern, err)
		}
		if got := m.Match(tt.rel, tt.isDir); got != tt.want {
			t.Errorf("pattern %q: Match(%q, dir=%v) = %v, want %v", tt.pattern, tt.rel, tt.isDir, got, tt.want)
		}
	}
	var none *Matcher
	if none.Match("a", true) {
		t.Error("a nil Matcher matched")
	}
}

// TestNewMatcherErrors checks that every bad pattern is reported, each on a
// line of its own that names it, and that good ones are not mentioned.
func TestNewMatcherErrors(t *testing.T) {
	bad := []string{"[a", "{x,y", "x}", "", "/", "a\\", "[]"}
	_, err := NewMatcher(append([]string{"ok*", "fine/"}, bad...))
	if !errors.Is(err, ErrBadPattern) {
		t.Fatalf("err = %v, want ErrBadPattern", err)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(bad) {
		t.Fatalf("%d lines, want %d:\n%v", len(lines), len(bad), err)
	}
	for i, p := range bad {
		if !strings.HasPrefix(lines[i], "bad exclude pattern "+quoteGo(p)+": ") {
			t.Errorf("line %d = %q, want it to name %q", i, lines[i], p)
		}
		if !strings.Contains(lines[i], "; ") {
			t.Errorf("line %d = %q gives no fix", i, lines[i])
		}
	}
	if strings.Contains(err.Error(), "ok*") || strings.Contains(err.Error(), "fine/") {
		t.Errorf("good patterns reported: %v", err)
	}

	called := false
	_, err = Walk(context.Background(), t.TempDir(), Options{Exclude: []string{"[a"}},
		func(Entry) error { called = true; return nil }, func(Skip) error { called = true; return nil })
	if !errors.Is(err, ErrBadPattern) || called {
		t.Errorf("Walk with a bad pattern: err = %v, callbacks called = %v", err, called)
	}
}

func quoteGo(s string) string { return `"` + strings.ReplaceAll(s, `\`, `\\`) + `"` }

// excludeTree is the walk order of the tree TestWalkExcludes builds.
var excludeTree = []string{
	"a.tmp", "build", "build/sub", "build/sub/y.o", "build/x.o",
	"docs", "docs/img", "docs/img/p.png", "docs/readme.md", "keep.txt",
	"src", "src/build", "src/cache", "src/cache/c.bin", "src/keep.txt", "src/main.go",
	"src/vendor", "src/vendor/lib", "src/vendor/lib/z.go",
}

var excludeDirs = []string{"build", "build/sub", "docs", "docs/img", "src", "src/cache", "src/vendor", "src/vendor/lib"}

// TestWalkExcludes checks which entries each pattern removes, that an
// excluded directory is pruned (never opened, nothing below it visited), and
// that Excluded counts what the patterns matched.
func TestWalkExcludes(t *testing.T) {
	root := t.TempDir()
	for _, p := range excludeTree {
		if slices.Contains(excludeDirs, p) {
			mkdir(t, filepath.Join(root, p))
		} else {
			writeFile(t, filepath.Join(root, p), 1)
		}
	}
	tests := []struct {
		patterns []string
		excluded []string // the entries the patterns match; what is below them goes too
	}{
		{nil, nil},
		{[]string{"*.tmp"}, []string{"a.tmp"}},
		{[]string{"build/"}, []string{"build"}}, // the file src/build stays
		{[]string{"build"}, []string{"build", "src/build"}},
		{[]string{"/keep.txt"}, []string{"keep.txt"}},
		{[]string{"keep.txt"}, []string{"keep.txt", "src/keep.txt"}},
		{[]string{"src/vendor"}, []string{"src/vendor"}},
		{[]string{"/src/vendor/"}, []string{"src/vendor"}},
		{[]string{"**/*.go"}, []string{"src/main.go", "src/vendor/lib/z.go"}},
		{[]string{"*.{png,md}"}, []string{"docs/img/p.png", "docs/readme.md"}},
		{[]string{"s?c/c[a-z]che/"}, []string{"src/cache"}},
		{[]string{"src/*/"}, []string{"src/cache", "src/vendor"}},
		{[]string{"docs/**"}, []string{"docs"}},
		{[]string{"docs/*"}, []string{"docs/img", "docs/readme.md"}},
		{[]string{"*.o", "img"}, []string{"build/sub/y.o", "build/x.o", "docs/img"}},
		{[]string{"**"}, []string{"a.tmp", "build", "docs", "keep.txt", "src"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.patterns, ","), func(t *testing.T) {
			var want []string
			for _, p := range excludeTree {
				if !slices.ContainsFunc(tt.excluded, func(x string) bool { return p == x || strings.HasPrefix(p, x+"/") }) {
					want = append(want, p)
				}
			}
			faults := &faultFS{}
			r := mustWalk(t, root, Options{Workers: 4, Exclude: tt.patterns}, faults.opener())
			var got []string
			for _, e := range r.entries {
				got = append(got, e.Path)
			}
			if !slices.Equal(got, want) {
				t.Errorf("visited %q\nwant    %q", got, want)
			}
			if r.stats.Excluded != int64(len(tt.excluded)) {
				t.Errorf("Excluded = %d, want %d", r.stats.Excluded, len(tt.excluded))
			}
			for _, d := range faults.openedDirs() {
				if d != "" && !slices.Contains(want, d) {
					t.Errorf("excluded directory %q was opened", d)
				}
			}
		})
	}
}
