package scan

import (
	"io/fs"
	"strconv"
	"strings"
	"time"
)

// Type is the kind of an entry.
type Type uint8

// The kinds of entry. The zero Type is not used.
const (
	File    Type = iota + 1 // regular file
	Dir                     // directory
	Symlink                 // symbolic link, never followed
	Other                   // named pipe, socket, device, or anything else
)

// String returns "file", "dir", "symlink" or "other".
func (t Type) String() string {
	switch t {
	case File:
		return "file"
	case Dir:
		return "dir"
	case Symlink:
		return "symlink"
	case Other:
		return "other"
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// typeOf returns the Type of a Go file mode.
func typeOf(m fs.FileMode) Type {
	switch {
	case m.IsRegular():
		return File
	case m.IsDir():
		return Dir
	case m&fs.ModeSymlink != 0:
		return Symlink
	}
	return Other
}

// Entry is one thing found under the root.
type Entry struct {
	// Path is relative to the root, '/'-separated, never "" (the root itself is
	// not emitted). It holds the name's raw bytes, which need not be UTF-8.
	Path    string
	Type    Type
	Mode    fs.FileMode // type bits and permission bits, as in io/fs
	Size    int64       // st_size; for a symlink, the length of its target
	ModTime time.Time
	Inode   uint64
	Dev     uint64
	Nlink   uint64
	// Children is set for a Dir only: the number of entries directly inside it
	// that are passed to visit (not excluded, not skipped), or -1 when the
	// directory could not be read (a Skip for it follows).
	Children int
	// Excluded is set for a Dir only: the entries directly inside it that
	// matched an exclude pattern. Children + Excluded + the skipped ones
	// is what the directory holds.
	Excluded int
}

// Skip is an entry that is in no partition, with the reason (permission
// denied, vanished during the scan, ...). The reason is one line of text for a
// person.
type Skip struct {
	Path   string
	Reason string
}

// Options tune a Walk. The zero value is ready to use.
type Options struct {
	// Workers is the number of directories read at once. <= 0 means 32; more
	// than 1024 means 1024. On a network file system more workers hide more
	// latency; on a local disk with a warm cache a few are enough.
	Workers int
	// Exclude holds glob patterns (see NewMatcher). An excluded entry is not
	// visited, and an excluded directory is not read.
	Exclude []string
	// NamesOnly skips the lstat of every entry whose type the directory
	// listing gives (d_type; an lstat where the file system does not):
	// entries then carry Path and Type, Mode holds the type bits only, and
	// Size, ModTime, Inode, Dev and Nlink are zero. A walk that needs only
	// the tree's shape (the recheck at the end of a run) costs one readdir
	// per directory instead of a stat per entry.
	NamesOnly bool
}

// Stats counts what a Walk did.
type Stats struct {
	Entries  int64 // entries visited: Files + Dirs + Symlinks + Others
	Files    int64 // regular files visited
	Dirs     int64 // directories visited, the unreadable ones included
	Symlinks int64
	Others   int64
	Bytes    int64 // sum of the sizes of the regular files visited
	Excluded int64 // entries matched by an exclude pattern (a pruned directory counts once)
	Skipped  int64 // calls of skip
}

// add counts a visited entry.
func (s *Stats) add(e *Entry) {
	s.Entries++
	switch e.Type {
	case File:
		s.Files++
		s.Bytes += e.Size
	case Dir:
		s.Dirs++
	case Symlink:
		s.Symlinks++
	default:
		s.Others++
	}
}

// ComparePaths orders two paths as Walk emits them: depth first, a
// directory before its contents, the entries of a directory by name as raw
// bytes. It compares component by component, so "a/z" comes before "a b"
// (the contents of a come before its next sibling) although '/' > ' '.
// The result is -1, 0 or +1.
func ComparePaths(a, b string) int {
	for {
		ca, restA, moreA := strings.Cut(a, "/")
		cb, restB, moreB := strings.Cut(b, "/")
		if c := strings.Compare(ca, cb); c != 0 {
			return c
		}
		switch {
		case !moreA && !moreB:
			return 0
		case !moreA:
			return -1 // a is a directory holding b
		case !moreB:
			return 1
		}
		a, b = restA, restB
	}
}
