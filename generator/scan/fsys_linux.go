//go:build linux

package scan

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// openRoot opens the root of a walk: it follows a link at the root itself.
func openRoot(root string) (sysFS, error) {
	var fd int
	err := retry(func() (err error) {
		fd, err = unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		return err
	})
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: root, Err: err}
	}
	return &linuxFS{root: fd}, nil
}

// linuxFS opens directories relative to a descriptor of the root, so that
// the root's own path is resolved once.
type linuxFS struct {
	root      int
	noOpenat2 atomic.Bool // the kernel has no openat2 (before 5.6)
}

const openDirFlags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC

func (f *linuxFS) openDir(rel string) (dirHandle, error) {
	if rel == "" {
		rel = "."
	}
	var fd int
	var err error
	if !f.noOpenat2.Load() {
		// RESOLVE_NO_SYMLINKS: no component below the root may be a link, even
		// one that replaced a directory after it was listed.
		how := unix.OpenHow{Flags: openDirFlags, Resolve: unix.RESOLVE_NO_SYMLINKS}
		err = retry(func() (err error) {
			fd, err = unix.Openat2(f.root, rel, &how)
			return err
		})
		switch {
		case err == nil:
			return &linuxDir{fd: fd}, nil
		case errors.Is(err, unix.ENOSYS):
			f.noOpenat2.Store(true)
		case !errors.Is(err, unix.EPERM): // EPERM: a seccomp filter may refuse openat2
			return nil, err
		}
	}
	// O_NOFOLLOW guards the last component only.
	err = retry(func() (err error) {
		fd, err = unix.Openat(f.root, rel, openDirFlags, 0)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &linuxDir{fd: fd}, nil
}

func (f *linuxFS) close() error { return unix.Close(f.root) }

// linuxDir reads a directory with getdents and lstats its entries with
// fstatat relative to the directory's descriptor.
type linuxDir struct{ fd int }

func (d *linuxDir) names(buf []byte) ([]string, []fs.FileMode, error) {
	var names []string
	var types []fs.FileMode
	for {
		var n int
		err := retry(func() (err error) {
			n, err = unix.Getdents(d.fd, buf)
			return err
		})
		if err != nil {
			return nil, nil, err
		}
		if n <= 0 {
			return names, types, nil
		}
		names, types = parseDirents(buf[:n], names, types)
	}
}

// parseDirents appends the names and types of the linux_dirent64 records in
// buf (ino u64, off s64, reclen u16, type u8, NUL-terminated name).
func parseDirents(buf []byte, names []string, types []fs.FileMode) ([]string, []fs.FileMode) {
	const nameOff = 19
	for len(buf) >= nameOff {
		reclen := int(binary.NativeEndian.Uint16(buf[16:18]))
		if reclen < nameOff || reclen > len(buf) {
			break
		}
		rec := buf[nameOff:reclen]
		typ := buf[18]
		buf = buf[reclen:]
		if i := bytes.IndexByte(rec, 0); i >= 0 {
			rec = rec[:i]
		}
		name := string(rec)
		if name == "." || name == ".." {
			continue
		}
		names = append(names, name)
		types = append(types, direntType(typ))
	}
	return names, types
}

// direntType is the file mode type bits of a d_type.
func direntType(t byte) fs.FileMode {
	switch t {
	case unix.DT_REG:
		return 0
	case unix.DT_DIR:
		return fs.ModeDir
	case unix.DT_LNK:
		return fs.ModeSymlink
	case unix.DT_FIFO:
		return fs.ModeNamedPipe
	case unix.DT_SOCK:
		return fs.ModeSocket
	case unix.DT_BLK:
		return fs.ModeDevice
	case unix.DT_CHR:
		return fs.ModeDevice | fs.ModeCharDevice
	}
	return unknownType
}

func (d *linuxDir) lstat(name string) (stat, error) {
	var st unix.Stat_t
	err := retry(func() error {
		return unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	})
	if err != nil {
		return stat{}, err
	}
	sec, nsec := st.Mtim.Unix()
	return stat{
		mode:  fileMode(st.Mode),
		size:  st.Size,
		mtime: time.Unix(sec, nsec),
		ino:   st.Ino,
		dev:   uint64(st.Dev),   // the widths of Dev and Nlink
		nlink: uint64(st.Nlink), // differ between architectures
	}, nil
}

func (d *linuxDir) close() error { return unix.Close(d.fd) }

// fileMode converts st_mode to a Go file mode, as package os does.
func fileMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFREG:
	case unix.S_IFDIR:
		mode |= fs.ModeDir
	case unix.S_IFLNK:
		mode |= fs.ModeSymlink
	case unix.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case unix.S_IFSOCK:
		mode |= fs.ModeSocket
	case unix.S_IFBLK:
		mode |= fs.ModeDevice
	case unix.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	default:
		mode |= fs.ModeIrregular
	}
	if m&unix.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if m&unix.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if m&unix.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

// retry calls f again while it fails with EINTR (NFS mounted with intr, signals).
func retry(f func() error) error {
	for {
		if err := f(); !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}
