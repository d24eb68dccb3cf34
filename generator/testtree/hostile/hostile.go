// Package hostile builds a source tree of the names and entries that
// break copy tools: spaces (leading, trailing, only), tabs, newlines,
// carriage returns, quotes, backslashes, glob characters, a leading '-' or
// '#', ';' and '$()', bytes that are not UTF-8, 255-byte names, a path close
// to PATH_MAX, symbolic links (dangling ones too), empty directories, FIFOs,
// a sparse file, unusual modes (setuid, setgid, sticky, 0000, 0555, 0700)
// and old mtimes (before 1970 too), and groups of hard links spread over
// directories. Build returns what it made, so that a test can check every
// entry at the destination without trusting the tool that copied it.
// Linux (and other Unix) only: it makes FIFOs and hard links.
package hostile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Kind is the type of an entry.
type Kind byte

// The kinds of entries Build makes.
const (
	File    Kind = 'f'
	Dir     Kind = 'd'
	Symlink Kind = 'l'
	FIFO    Kind = 'p'
)

// Entry is one thing Build made below the root.
type Entry struct {
	Path    string      // relative, '/'-separated, the name's raw bytes
	Kind    Kind        //
	Mode    fs.FileMode // permission bits with setuid, setgid and sticky (not for symlinks)
	ModTime time.Time
	Data    []byte // a regular file's bytes (a sparse file's too, holes as zeros)
	Sparse  bool   // written with a hole: fewer blocks allocated than its size
	Target  string // a symlink's target
	// LinkGroup, for a regular file with hard links, names its group: every
	// entry with the same LinkGroup is the same inode.
	LinkGroup string
}

// Tree is what Build made.
type Tree struct {
	Root    string
	Entries []Entry // parents before children
}

// PathMax is Linux's PATH_MAX: the longest path a system call takes,
// counting the terminating NUL.
const PathMax = 4096

// DeepMargin is how many bytes the deep path leaves below PathMax: a
// destination whose root path is at most DeepMargin-1 bytes longer than the
// source's still takes the deep path as an absolute path.
const DeepMargin = 64

// Count returns how many entries of each kind the tree holds.
func (t Tree) Count() map[Kind]int {
	n := map[Kind]int{}
	for _, e := range t.Entries {
		n[e.Kind]++
	}
	return n
}

// Find returns the entry at rel.
func (t Tree) Find(rel string) (Entry, bool) {
	for _, e := range t.Entries {
		if e.Path == rel {
			return e, true
		}
	}
	return Entry{}, false
}

// epoch is the mtime of ordinary entries: old, so that a tool that touches
// an entry cannot leave the same mtime by accident.
func epoch() time.Time { return time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC) }

// hostileNames are file names, each alone in the "names" directory.
func hostileNames() []string {
	return []string{
		" leading space", "trailing space ", "   ", "two  spaces",
		"tab\there", "\tleading tab", "new\nline", "\n", "carriage\rreturn",
		`double"quote`, "single'quote", `back\slash`, `\`,
		"star*", "question?", "[brackets]", "{braces,comma}", "*?[]{}",
		"-leading-dash", "--long-option-like", "-", "#leading-hash", "#",
		"semi;colon", ";", "$(echo pwned)", "`backtick`", "$HOME", "a|b&c>d<e",
		"latin1-caf\xe9", "\xff\xfe", "broken-utf8-\xc3(",
		"utf8-ünïcödé-日本語", "emoji-🙂", "ctrl-\x1b[31mred", "del-\x7f", "bell-\a-vt-\v-ff-\f",
		"control-pictures-\u2409-\u241b", "rclone-quote-\u201b",
		".hidden", "..double-dot", "trailing.dot.", "percent%20encoded", "plus+sign",
		strings.Repeat("n", 255),
		strings.Repeat("é", 127) + "x", // 255 bytes of two-byte UTF-8
	}
}

// Build writes the tree into root, which must be absent or empty. It sets
// modes and mtimes last, deepest first, so that making an entry does not
// change the mtime of a directory already set.
func Build(root string) (Tree, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return Tree{}, fmt.Errorf("hostile tree: %w", err)
	}
	b := &builder{tree: Tree{Root: abs}}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return Tree{}, fmt.Errorf("hostile tree: %w", err)
	}
	b.dir("names", 0o755, epoch())
	for i, n := range hostileNames() {
		b.file("names/"+n, 0o644, epoch().Add(time.Duration(i)*time.Minute), []byte("name "+fmt.Sprintf("%q", n)+"\n"))
	}
	// A directory with a hostile name, holding a file with another.
	b.dir("names/dir with spaces; $(x) *", 0o755, epoch())
	b.file("names/dir with spaces; $(x) */-rf \"*\"", 0o644, epoch(), []byte("inside\n"))
	b.dir("names/dir\nwith newline", 0o755, epoch())
	b.file("names/dir\nwith newline/plain.txt", 0o644, epoch(), []byte("below a newline\n"))
	long := strings.Repeat("d", 255)
	b.dir("names/"+long, 0o755, epoch())
	b.file("names/"+long+"/"+strings.Repeat("f", 255), 0o644, epoch(), []byte("255/255\n"))

	b.deep(PathMax - len(abs) - DeepMargin)

	// Links: to a file, to a directory, dangling, absolute, with odd targets.
	b.dir("links", 0o755, epoch())
	b.file("links/target file.txt", 0o644, epoch(), []byte("link target\n"))
	b.symlink("links/to-file", "target file.txt")
	b.symlink("links/to-dir", "../names")
	b.symlink("links/dangling", "does/not/exist")
	b.symlink("links/absolute-dangling", "/nonexistent/partsync/target")
	b.symlink("links/odd target", "sp ace/new\nline/$(x)/\xff")
	b.symlink("links/self-loop", "self-loop")

	// Empty directories, nested, with modes.
	b.dir("empty", 0o755, epoch())
	b.dir("empty/nested", 0o700, time.Date(1995, 5, 5, 5, 5, 5, 0, time.UTC))
	b.dir("empty/nested/deeper", 0o555, time.Date(1985, 1, 1, 0, 0, 0, 0, time.UTC))
	b.dir("empty/ sp ace ", 0o755, epoch())

	// Special files.
	b.dir("special", 0o755, epoch())
	b.fifo("special/fifo", 0o640)
	b.fifo("special/fifo with\nnewline", 0o600)
	b.sparse("special/sparse.img", 0o644, 4<<20)

	// Modes and mtimes.
	b.dir("modes", 0o755, epoch())
	for _, m := range []struct {
		name string
		mode fs.FileMode
		when time.Time
	}{
		{"none-0000", 0, epoch()},
		{"all-0777", 0o777, epoch()},
		{"setuid-4755", 0o755 | fs.ModeSetuid, epoch()},
		{"setgid-2755", 0o755 | fs.ModeSetgid, epoch()},
		{"readonly-0444", 0o444, epoch()},
		{"old-1975", 0o644, time.Date(1975, 6, 7, 8, 9, 10, 0, time.UTC)},
		{"before-1970", 0o644, time.Date(1969, 7, 20, 20, 17, 40, 0, time.UTC)},
		{"epoch-zero", 0o644, time.Unix(0, 0)},
		{"nanoseconds", 0o644, time.Date(2010, 1, 1, 0, 0, 0, 123456789, time.UTC)},
	} {
		b.file("modes/"+m.name, m.mode, m.when, []byte(m.name+"\n"))
	}
	b.dir("modes/sticky-1777", 0o777|fs.ModeSticky, epoch())
	b.file("modes/sticky-1777/inside", 0o644, epoch(), []byte("sticky\n"))
	b.dir("modes/setgid-dir-2775", 0o775|fs.ModeSetgid, epoch())
	b.file("modes/setgid-dir-2775/inside", 0o644, epoch(), []byte("setgid dir\n"))
	b.dir("modes/private-0700", 0o700, time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC))
	b.file("modes/private-0700/secret", 0o600, epoch(), []byte("private\n"))
	b.dir("modes/readonly-0555", 0o555, time.Date(1999, 9, 9, 9, 9, 9, 0, time.UTC))
	b.file("modes/readonly-0555/inside", 0o444, epoch(), []byte("read-only dir\n"))

	// Hard links spread over directories, far apart in scan order.
	b.dir("hardlinks", 0o755, epoch())
	b.dir("hardlinks/a", 0o755, epoch())
	b.dir("hardlinks/m", 0o755, epoch())
	b.dir("hardlinks/z", 0o755, epoch())
	b.file("hardlinks/a/pair-1", 0o640, epoch(), []byte("a pair of links\n"))
	b.link("hardlinks/a/pair-1", "hardlinks/z/pair-2")
	b.file("hardlinks/a/trio 1", 0o644, epoch(), []byte("three links\n"))
	b.link("hardlinks/a/trio 1", "hardlinks/m/trio 2")
	b.link("hardlinks/a/trio 1", "names/trio 3 in another tree branch")
	b.file("hardlinks/m/odd\nname", 0o600, epoch(), []byte("a link with a newline in its name\n"))
	b.link("hardlinks/m/odd\nname", "hardlinks/z/plain twin")

	if b.err != nil {
		return Tree{}, b.err
	}
	return b.tree, b.finish()
}

// builder collects the first error; after one, it makes nothing more.
type builder struct {
	tree Tree
	err  error
}

func (b *builder) path(rel string) string { return filepath.Join(b.tree.Root, filepath.FromSlash(rel)) }

func (b *builder) fail(rel string, err error) {
	if b.err == nil && err != nil {
		b.err = fmt.Errorf("hostile tree: %q: %w", rel, err)
	}
}

func (b *builder) dir(rel string, mode fs.FileMode, mtime time.Time) {
	if b.err != nil {
		return
	}
	b.fail(rel, os.Mkdir(b.path(rel), 0o755))
	b.tree.Entries = append(b.tree.Entries, Entry{Path: rel, Kind: Dir, Mode: mode, ModTime: mtime})
}

func (b *builder) file(rel string, mode fs.FileMode, mtime time.Time, data []byte) {
	if b.err != nil {
		return
	}
	b.fail(rel, os.WriteFile(b.path(rel), data, 0o644))
	b.tree.Entries = append(b.tree.Entries, Entry{Path: rel, Kind: File, Mode: mode, ModTime: mtime, Data: data})
}

func (b *builder) symlink(rel, target string) {
	if b.err != nil {
		return
	}
	b.fail(rel, os.Symlink(target, b.path(rel)))
	b.tree.Entries = append(b.tree.Entries, Entry{Path: rel, Kind: Symlink, ModTime: epoch(), Target: target})
}

func (b *builder) fifo(rel string, mode fs.FileMode) {
	if b.err != nil {
		return
	}
	b.fail(rel, unix.Mkfifo(b.path(rel), 0o600))
	b.tree.Entries = append(b.tree.Entries, Entry{Path: rel, Kind: FIFO, Mode: mode, ModTime: epoch()})
}

// sparse writes a file of size bytes that is a hole but for one byte in the
// middle and one at the end.
func (b *builder) sparse(rel string, mode fs.FileMode, size int64) {
	if b.err != nil {
		return
	}
	data := make([]byte, size)
	data[size/2], data[size-1] = 's', '\n'
	f, err := os.Create(b.path(rel))
	if err == nil {
		_, err = f.WriteAt(data[size/2:size/2+1], size/2)
		if err == nil {
			_, err = f.WriteAt(data[size-1:], size-1)
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	b.fail(rel, err)
	b.tree.Entries = append(b.tree.Entries, Entry{Path: rel, Kind: File, Mode: mode, ModTime: epoch(), Data: data, Sparse: true})
}

// link makes rel another name of the regular file existing.
func (b *builder) link(existing, rel string) {
	if b.err != nil {
		return
	}
	b.fail(rel, os.Link(b.path(existing), b.path(rel)))
	for i := range b.tree.Entries {
		e := &b.tree.Entries[i]
		if e.Path == existing {
			e.LinkGroup = existing
			b.tree.Entries = append(b.tree.Entries, Entry{Path: rel, Kind: File, Mode: e.Mode, ModTime: e.ModTime, Data: e.Data, LinkGroup: existing})
			return
		}
	}
	b.fail(rel, fmt.Errorf("no file %q to link to", existing))
}

// deep makes a chain of directories whose last file's path, relative to
// the root, is exactly length bytes long (each name at most 255 bytes).
func (b *builder) deep(length int) {
	if length < 300 {
		b.fail("deep", fmt.Errorf("the root %s is too long for a path near PATH_MAX", b.tree.Root))
		return
	}
	rel := "deep"
	b.dir(rel, 0o755, epoch())
	for level := 0; len(rel)+1+255+1+255 < length; level++ {
		rel += "/" + fmt.Sprintf("%03d-", level) + strings.Repeat("p", 250)
		b.dir(rel, 0o755, epoch())
	}
	rest := length - len(rel) - 1
	if rest > 255 { // one more directory, then the file's name fills the rest
		dir := max(1, rest-1-255)
		rel += "/" + strings.Repeat("q", dir)
		b.dir(rel, 0o755, epoch())
		rest = length - len(rel) - 1
	}
	b.file(rel+"/"+strings.Repeat("z", rest), 0o644, epoch(), []byte("near PATH_MAX\n"))
}

// finish sets modes and mtimes, deepest entries first, directories after
// everything inside them.
func (b *builder) finish() error {
	order := make([]Entry, len(b.tree.Entries))
	copy(order, b.tree.Entries)
	sort.SliceStable(order, func(i, j int) bool {
		return strings.Count(order[i].Path, "/") > strings.Count(order[j].Path, "/")
	})
	for _, e := range order {
		p := b.path(e.Path)
		var err error
		switch e.Kind {
		case Symlink:
			tv := []unix.Timeval{unix.NsecToTimeval(e.ModTime.UnixNano()), unix.NsecToTimeval(e.ModTime.UnixNano())}
			err = unix.Lutimes(p, tv)
		default:
			if err = os.Chmod(p, e.Mode); err == nil {
				err = os.Chtimes(p, e.ModTime, e.ModTime)
			}
		}
		if err != nil {
			return fmt.Errorf("hostile tree: %q: %w", e.Path, err)
		}
	}
	return nil
}
