package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/partsync/partsync/generator/plan"
)

// writeOutput writes a document to --output-file. A regular file (new or
// existing) is replaced atomically; a symbolic link is followed and its
// target replaced, so the link stays; anything else that exists (/dev/null,
// /dev/stdout, a FIFO a pipeline reads) is written in place: renaming a
// temporary file over it would replace the device or pipe with a file.
func writeOutput(path string, doc []byte) error {
	info, err := os.Stat(path)
	switch {
	case err == nil && !info.Mode().IsRegular():
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return fmt.Errorf("--output-file %s: %w", path, err)
		}
		_, err = f.Write(doc)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("--output-file %s: %w", path, err)
		}
		return nil
	case err == nil:
		target, err := filepath.EvalSymlinks(path)
		if err != nil {
			return fmt.Errorf("--output-file %s: %w", path, err)
		}
		return plan.WriteFileAtomic(target, doc)
	}
	return plan.WriteFileAtomic(path, doc)
}
