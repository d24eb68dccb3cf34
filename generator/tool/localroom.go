package tool

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/partsync/partsync/generator/scan"
)

// PathMax is Linux's PATH_MAX: the longest path a system call takes,
// counting the terminating NUL.
const PathMax = 4096

// defaultNameMax is NAME_MAX of Linux's common file systems, used when the
// destination's own cannot be read.
const defaultNameMax = 255

// localRoom is what a local destination directory can hold: how long a
// path below it and a name in it may be. The zero value has no limits.
type localRoom struct {
	root    string // the destination directory, absolute
	pathMax int    // the longest path below root, relative, that a system call takes
	nameMax int    // the destination file system's NAME_MAX
}

// localRoomAt measures the directory root, which need not exist yet: its
// file system is the one of its nearest existing ancestor.
func localRoomAt(root string) localRoom {
	room := localRoom{root: root, pathMax: PathMax - 1 - len(withSlash(root)), nameMax: defaultNameMax}
	for dir := root; ; dir = filepath.Dir(dir) {
		var st unix.Statfs_t
		if err := unix.Statfs(dir, &st); err == nil {
			if st.Namelen > 0 {
				room.nameMax = int(st.Namelen)
			}
			break
		} else if !os.IsNotExist(err) || dir == filepath.Dir(dir) {
			break
		}
	}
	return room
}

// tooLong is the verdict on an entry the destination directory cannot
// hold, or nil.
func (l localRoom) tooLong(e scan.Entry) *Verdict {
	if l.root == "" {
		return nil
	}
	if n := len(withSlash(l.root)) + len(e.Path); n >= PathMax {
		return &Verdict{Reason: "path is " + strconv.Itoa(n) + " bytes at the destination (" + strconv.Itoa(len(e.Path)) +
			" below it): at least PATH_MAX (" + strconv.Itoa(PathMax) + "), which rclone's local backend cannot open; use -m rsync (relative paths), a shorter destination directory, or shorten the path"}
	}
	for _, name := range strings.Split(e.Path, "/") {
		if len(name) > l.nameMax {
			return &Verdict{Reason: "name is " + strconv.Itoa(len(name)) + " bytes: longer than the destination file system's NAME_MAX (" +
				strconv.Itoa(l.nameMax) + "); rename it or copy to another file system"}
		}
	}
	return nil
}
