//go:build !unix

package plan

import (
	"errors"
	"os"
)

// errHeld: another process holds the lock (never, without flock).
var errHeld = errors.New("lock held")

// Without flock the run directory is not locked.
func tryLock(*os.File) error { return nil }

func unlockFile(*os.File) error { return nil }
