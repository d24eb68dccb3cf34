package local

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/partsync/partsync/generator/tool"
)

// ErrDestination is wrapped when this process cannot create or write a
// local DST.
var ErrDestination = errors.New("destination not writable")

// CheckDestination reports, before the scan, whether this process can write
// in d, a local directory, or create it: the tools would otherwise fail in
// every partition after the scan. A remote DST is the remote's business: nil. It touches nothing: it asks the kernel
// (faccessat with AT_EACCESS, which honours the effective uid and groups,
// ACLs, read-only mounts and an NFS server's own verdict) about DST or, when
// DST does not exist yet, about the nearest directory above it that does,
// in which the run creates it.
func CheckDestination(d tool.Destination) error {
	dst := d.LocalPath
	if dst == "" {
		return nil
	}
	dir := dst
	for {
		st, err := os.Stat(dir)
		if err == nil {
			if !st.IsDir() {
				return fmt.Errorf("%w: DST %s: %s is not a directory; give a directory to copy into", ErrDestination, dst, dir)
			}
			break
		}
		parent := filepath.Dir(dir)
		missing := errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOTDIR) // ENOTDIR: a file above; said below
		if !missing || parent == dir {
			return fmt.Errorf("%w: DST %s: %v; give a DST %s can reach", ErrDestination, dst, err, user())
		}
		dir = parent
	}
	if err := unix.Faccessat(unix.AT_FDCWD, dir, unix.W_OK|unix.X_OK, unix.AT_EACCESS); err != nil {
		if dir == dst {
			return fmt.Errorf("%w: DST %s cannot be written by %s: %v; give a DST this user may write, or run as one who may write it", ErrDestination, dst, user(), err)
		}
		return fmt.Errorf("%w: DST %s cannot be created by %s: %s: %v; give a DST this user may write, or create it for this user first", ErrDestination, dst, user(), dir, err)
	}
	return nil
}

// user names the effective user, as the kernel judges it.
func user() string { return fmt.Sprintf("uid %d", os.Geteuid()) }
