package tool

import (
	"path/filepath"
	"strconv"
	"strings"

	"github.com/partsync/partsync/generator/scan"
)

// MaxObjectKey is the longest object name, in bytes, that S3, Google Cloud
// Storage, Azure Blob Storage and OCI Object Storage accept.
const MaxObjectKey = 1024

// ForDestination returns the tool as it copies to d: rclone then skips, with
// the reason, the files the destination cannot hold, which would otherwise
// fail their whole partition. To a local directory (a path, or a remote of
// type local) that is a path of PATH_MAX bytes or more there, or a name
// longer than the destination file system's NAME_MAX: rclone's local backend
// opens absolute paths. To any other remote it is an object key longer than
// MaxObjectKey with the destination's prefix. Other tools are returned
// unchanged.
func ForDestination(t Tool, d Destination) Tool {
	r, ok := t.(Rclone)
	if !ok {
		return t
	}
	_, path, _ := strings.Cut(d.Spec, ":")
	switch {
	case d.Remote == "":
		r.local = localRoomAt(d.LocalPath)
	case d.RemoteType == "local":
		if root, err := filepath.Abs(path); err == nil {
			r.local = localRoomAt(root)
		}
	default:
		// remote:bucket/prefix: the key is prefix/ + the path below SRC.
		_, prefix, _ := strings.Cut(strings.Trim(path, "/"), "/")
		if prefix != "" {
			prefix += "/"
		}
		r.keyRoom = MaxObjectKey - len(prefix)
	}
	return r
}

// keyTooLong is the verdict on a path whose object key would be too long,
// or nil.
func (r Rclone) keyTooLong(e scan.Entry) *Verdict {
	if r.keyRoom == 0 || len(e.Path) <= r.keyRoom {
		return nil
	}
	return &Verdict{Reason: "path is " + strconv.Itoa(len(e.Path)) + " bytes: with the destination's prefix the object key exceeds the " +
		strconv.Itoa(MaxObjectKey) + "-byte limit of object stores (S3, GCS, Azure, OCI); use -m rsync or shorten the path"}
}

// ListNamer is a Tool whose file lists name files in a form of the tool's
// own rather than by their raw bytes.
type ListNamer interface {
	// ListName is the path as the tool's list names it.
	ListName(path string) string
	// SourceName is the path in the source that a list line names: the
	// inverse of ListName for every path the tool lists.
	SourceName(line string) string
}

// rclone's standard (internal) names: a control character c becomes the
// Control Pictures character U+2400+c (DEL U+2421), and a name that holds
// one of those characters literally gets a quote before it. rclone compares
// the --files-from-raw lines with these names, so a raw control character in
// a list never matches and the file is left out without a word.
const (
	ctlPictures  = 0x2400
	ctlDel       = 0x2421
	rcloneQuote  = '‛' // U+201B
	ctlFirstCode = 0x20
)

// ListName implements ListNamer: control characters as rclone names them.
func (Rclone) ListName(path string) string {
	if strings.IndexFunc(path, isCtl) < 0 {
		return path
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == 0x7f:
			return ctlDel
		case r < ctlFirstCode:
			return ctlPictures + r
		}
		return r
	}, path)
}

// SourceName implements ListNamer: the control characters rclone's names
// stand for. Paths that hold these characters literally are never listed
// (holdsEncodingChars), so every one of them is an encoded control character.
func (Rclone) SourceName(line string) string {
	if strings.IndexFunc(line, isPicture) < 0 {
		return line
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == ctlDel:
			return 0x7f
		case isPicture(r):
			return r - ctlPictures
		}
		return r
	}, line)
}

func isPicture(r rune) bool { return r >= ctlPictures && r <= ctlDel }

func isCtl(r rune) bool { return r < ctlFirstCode || r == 0x7f }

// holdsEncodingChars reports whether a name holds the characters rclone
// uses to encode control characters, which it would read back differently.
func holdsEncodingChars(path string) bool {
	return strings.IndexFunc(path, func(r rune) bool { return r == rcloneQuote || isPicture(r) }) >= 0
}
