package scan

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Matcher decides which entries an exclude list removes. The zero value and
// a nil *Matcher exclude nothing. A Matcher is safe for concurrent use.
type Matcher struct {
	any matchSet // patterns for entries of any type
	dir matchSet // patterns for directories only (written with a trailing '/')
}

// matchSet holds patterns split by what they are matched against.
type matchSet struct {
	base []string // matched against the entry's name, at any depth
	path []string // matched against the whole relative path
}

// NewMatcher validates the patterns and returns a matcher for them.
//
// The syntax is github.com/bmatcuk/doublestar/v4's: '*', '?', '[...]', '{a,b}'
// and '**' (any number of directories). As in rsync and .gitignore:
//   - a pattern without '/' matches the entry's name at any depth ("*.tmp");
//   - a pattern with a '/' matches the whole path relative to the root
//     ("src/*/build", "**/cache"); a leading '/' anchors it at the root and
//     is otherwise ignored ("/tmp" is the root's tmp only);
//   - a trailing '/' matches directories only ("build/").
//
// Every bad pattern is reported, each in one line of an errors.Join that wraps
// ErrBadPattern and names the pattern and the fix.
func NewMatcher(patterns []string) (*Matcher, error) {
	m := &Matcher{}
	var errs []error
	for _, p := range patterns {
		if err := m.add(p); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return m, nil
}

// add validates one pattern and files it in m.
func (m *Matcher) add(pattern string) error {
	p := pattern
	set := &m.any
	if strings.HasSuffix(p, "/") {
		set = &m.dir
		p = strings.TrimRight(p, "/")
	}
	anchored := strings.HasPrefix(p, "/")
	p = strings.TrimLeft(p, "/")
	switch {
	case p == "":
		return fmt.Errorf("%w %s: it matches no name; remove it or give a glob such as '*.tmp'",
			ErrBadPattern, strconv.Quote(pattern))
	case !doublestar.ValidatePattern(p):
		return fmt.Errorf("%w %s: unclosed '[' or '{', empty '[]', stray '}' or trailing '\\'; "+
			"escape a literal one with '\\', as in '\\['", ErrBadPattern, strconv.Quote(pattern))
	case anchored || strings.Contains(p, "/"):
		set.path = append(set.path, p)
	default:
		set.base = append(set.base, p)
	}
	return nil
}

// Match reports whether the entry at relPath ('/'-separated, relative to the
// root, no leading '/') is excluded.
func (m *Matcher) Match(relPath string, isDir bool) bool {
	name := relPath[strings.LastIndexByte(relPath, '/')+1:]
	return m.matchAny(relPath, name) || isDir && m.matchDir(relPath, name)
}

// matchAny reports whether a pattern for entries of any type matches, which
// needs no lstat.
func (m *Matcher) matchAny(rel, name string) bool {
	return m != nil && m.any.match(rel, name)
}

// matchDir reports whether a directories-only pattern matches.
func (m *Matcher) matchDir(rel, name string) bool {
	return m != nil && m.dir.match(rel, name)
}

func (s *matchSet) match(rel, name string) bool {
	for _, p := range s.base {
		if doublestar.MatchUnvalidated(p, name) {
			return true
		}
	}
	for _, p := range s.path {
		if doublestar.MatchUnvalidated(p, rel) {
			return true
		}
	}
	return false
}
