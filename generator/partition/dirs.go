package partition

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"

	"github.com/partsync/partsync/generator/scan"
	"github.com/partsync/partsync/generator/tool"
)

// dirList is a list file being written: the directory step's list, or a
// partition's whole-directory sidecar (wholedir.go).
//
// The directory step's file list, parts/dirs, holds every listed
// directory in scan order (parents before children), in the part files'
// encoding. It is written for tools with a directory step only
// (tool.DirFinisher) and renamed into place at Close; a tree without
// directories below the root has none, and the step has nothing to do.
type dirList struct {
	tmp *os.File
	w   *bufio.Writer
}

// noteDir adds a listed directory to the directory step's list.
func (p *Partitioner) noteDir(e scan.Entry) error {
	if e.Type != scan.Dir {
		return nil
	}
	if _, ok := p.opts.Tool.(tool.DirFinisher); !ok {
		return nil
	}
	if err := p.openDirs(); err != nil {
		return err
	}
	if _, err := p.dirs.w.WriteString(e.Path); err != nil {
		return fmt.Errorf("write directory list: %w", err)
	}
	if err := p.dirs.w.WriteByte(p.opts.Tool.Separator()); err != nil {
		return fmt.Errorf("write directory list: %w", err)
	}
	return nil
}

func (p *Partitioner) openDirs() error {
	if p.dirs != nil {
		return nil
	}
	list, err := newTempList(p.dir.DirsFile())
	if err != nil {
		return fmt.Errorf("create directory list: %w", err)
	}
	p.dirs = list
	return nil
}

// newTempList starts a list file that commit renames to final.
func newTempList(final string) (*dirList, error) {
	tmp, err := os.CreateTemp(filepath.Dir(final), "."+filepath.Base(final)+".tmp-*")
	if err != nil {
		return nil, err
	}
	return &dirList{tmp: tmp, w: bufio.NewWriterSize(tmp, 64*1024)}, nil
}

// closeDirs renames the directory list into place.
func (p *Partitioner) closeDirs() error {
	if p.dirs == nil {
		return nil
	}
	if err := commit(p.dirs.tmp, p.dirs.w, p.dir.DirsFile()); err != nil {
		return fmt.Errorf("write directory list: %w", err)
	}
	return nil
}

// commit flushes w into tmp, closes it and renames it to final; on error
// the temporary file is removed.
func commit(tmp *os.File, w *bufio.Writer, final string) error {
	err := w.Flush()
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), final)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
	return err
}

// abort removes an unfinished directory list.
func (d *dirList) abort() {
	if d != nil {
		_ = d.tmp.Close()
		_ = os.Remove(d.tmp.Name())
	}
}
