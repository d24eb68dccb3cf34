package scan

import (
	"io/fs"
	"time"
)

// sysFS is the walker's view of the file system below one root. The real one
// (openRoot) calls the kernel; tests wrap it to inject errors for chosen paths.
// Its methods are called from many goroutines at once.
type sysFS interface {
	// openDir opens the directory at rel ("" is the root) for reading,
	// without following a symbolic link below the root.
	openDir(rel string) (dirHandle, error)
	// close releases the root.
	close() error
}

// dirHandle is one open directory. names is called once, then lstat from
// several goroutines at once, then close.
type dirHandle interface {
	// names returns the names in the directory, "." and ".." left out, in no
	// particular order, and when the file system says, the type of each
	// (types[i] is the type bits of names[i], or unknownType); types is nil
	// when the handle never knows. buf is scratch space the handle may use.
	names(buf []byte) (names []string, types []fs.FileMode, err error)
	// lstat returns the metadata of the entry name; a link is not followed.
	lstat(name string) (stat, error)
	close() error
}

// unknownType marks an entry whose type the directory listing did not give
// (DT_UNKNOWN): only an lstat tells.
const unknownType = fs.ModeIrregular | fs.ModeTemporary

// opener opens the root of a walk.
type opener func(root string) (sysFS, error)

// stat is what the walker keeps of an lstat.
type stat struct {
	mode  fs.FileMode
	size  int64
	mtime time.Time
	ino   uint64
	dev   uint64
	nlink uint64
}

// scratchSize is the size of each worker's directory-reading buffer.
const scratchSize = 64 << 10
