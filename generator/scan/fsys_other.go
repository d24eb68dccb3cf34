//go:build !linux

package scan

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// openRoot opens the root of a walk: it follows a link at the root itself.
// This portable version uses package os and full paths; Linux has a faster one.
func openRoot(root string) (sysFS, error) {
	fi, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: root, Err: syscall.ENOTDIR}
	}
	return portableFS(root), nil
}

// portableFS is the root's path.
type portableFS string

func (f portableFS) openDir(rel string) (dirHandle, error) {
	path := filepath.Join(string(f), filepath.FromSlash(rel))
	if rel != "" {
		// Not race-free like Linux's openat2, but a link found here is not followed.
		fi, err := os.Lstat(path)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			return nil, &fs.PathError{Op: "open", Path: path, Err: syscall.ENOTDIR}
		}
	}
	d, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &portableDir{f: d, path: path}, nil
}

func (f portableFS) close() error { return nil }

type portableDir struct {
	f    *os.File
	path string
}

func (d *portableDir) names([]byte) ([]string, []fs.FileMode, error) {
	names, err := d.f.Readdirnames(-1)
	return names, nil, err
}

func (d *portableDir) lstat(name string) (stat, error) {
	fi, err := os.Lstat(filepath.Join(d.path, name))
	if err != nil {
		return stat{}, err
	}
	st := stat{mode: fi.Mode(), size: fi.Size(), mtime: fi.ModTime()}
	st.dev, st.ino, st.nlink = sysIDs(fi)
	return st, nil
}

func (d *portableDir) close() error { return d.f.Close() }
