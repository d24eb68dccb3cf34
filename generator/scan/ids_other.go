//go:build !unix

package scan

import "io/fs"

// sysIDs returns zeros: this system has no portable device and inode numbers.
func sysIDs(fs.FileInfo) (dev, ino, nlink uint64) { return 0, 0, 0 }
