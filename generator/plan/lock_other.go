//go:build !unix

package plan

import "os"

// Without flock the run directory is not locked.
func tryLock(*os.File) error { return nil }

func unlockFile(*os.File) error { return nil }
