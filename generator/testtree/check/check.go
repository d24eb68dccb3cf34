// Package check compares a destination tree with its source, walking
// both itself: bytes (SHA-256), and optionally modes, mtimes and symbolic
// link targets. The demo and the tests use it to prove a copy, without
// trusting the tool that made it.
package check

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrMismatch is wrapped when the destination differs from the source.
var ErrMismatch = errors.New("destination differs from source")

// Options choose what must match besides the bytes of regular files.
type Options struct {
	Modes    bool // permission bits of files and directories
	Mtimes   bool // modification times of regular files, to the second
	Symlinks bool // symbolic links exist with the same target (else they are ignored)
	Dirs     bool // every directory exists (empty ones included)
	// Ignore, when set, leaves out source paths (relative, '/'-separated)
	// that are not expected at the destination: excluded or skipped ones.
	Ignore func(rel string) bool
}

// Report counts what matched and lists what did not.
type Report struct {
	Files       int64
	Bytes       int64
	Dirs        int64
	Symlinks    int64
	Problems    []string
	maxProblems int
}

func (r *Report) problem(format string, args ...any) {
	if len(r.Problems) < r.maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// Compare checks dst against src. The error wraps ErrMismatch when anything differs.
func Compare(src, dst string, o Options) (Report, error) {
	r := Report{maxProblems: 50}
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if o.Ignore != nil && o.Ignore(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		si, err := d.Info()
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case si.Mode().IsRegular():
			compareFile(&r, rel, path, target, si, o)
		case si.IsDir():
			compareDir(&r, rel, target, si, o)
		case si.Mode()&fs.ModeSymlink != 0 && o.Symlinks:
			compareLink(&r, rel, path, target)
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("compare %s with %s: %w", src, dst, err)
	}
	if len(r.Problems) > 0 {
		return r, fmt.Errorf("%w: %s", ErrMismatch, strings.Join(r.Problems, "; "))
	}
	return r, nil
}

func compareFile(r *Report, rel, src, dst string, si fs.FileInfo, o Options) {
	di, err := os.Lstat(dst)
	if err != nil {
		r.problem("%s: missing (%v)", rel, errors.Unwrap(err))
		return
	}
	if !di.Mode().IsRegular() || di.Size() != si.Size() {
		r.problem("%s: %v %d bytes, source %v %d bytes", rel, di.Mode().Type(), di.Size(), si.Mode().Type(), si.Size())
		return
	}
	a, aerr := digest(src)
	b, berr := digest(dst)
	if aerr != nil || berr != nil || a != b {
		r.problem("%s: content differs (%v %v)", rel, aerr, berr)
		return
	}
	if o.Modes && di.Mode().Perm() != si.Mode().Perm() {
		r.problem("%s: mode %v, source %v", rel, di.Mode().Perm(), si.Mode().Perm())
	}
	if o.Mtimes && di.ModTime().Unix() != si.ModTime().Unix() {
		r.problem("%s: mtime %v, source %v", rel, di.ModTime().UTC(), si.ModTime().UTC())
	}
	r.Files++
	r.Bytes += si.Size()
}

func compareDir(r *Report, rel, dst string, si fs.FileInfo, o Options) {
	if !o.Dirs {
		return
	}
	di, err := os.Lstat(dst)
	if err != nil || !di.IsDir() {
		r.problem("%s/: directory missing", rel)
		return
	}
	if o.Modes && di.Mode().Perm() != si.Mode().Perm() {
		r.problem("%s/: mode %v, source %v", rel, di.Mode().Perm(), si.Mode().Perm())
	}
	r.Dirs++
}

func compareLink(r *Report, rel, src, dst string) {
	want, err := os.Readlink(src)
	if err != nil {
		r.problem("%s: %v", rel, err)
		return
	}
	got, err := os.Readlink(dst)
	if err != nil || got != want {
		r.problem("%s: link to %q, source links to %q (%v)", rel, got, want, err)
		return
	}
	r.Symlinks++
}

// digest is the SHA-256 of a file.
func digest(path string) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	f, err := os.Open(path)
	if err != nil {
		return sum, err
	}
	defer func() { _ = f.Close() }()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return sum, err
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}
