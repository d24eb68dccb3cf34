package mirror

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// removeAt removes the entry at rel (a '/'-separated path below root):
// each directory on the way is opened below the previous one with
// O_NOFOLLOW, so a symbolic link put in the way (even after the listing)
// makes it fail instead of leading outside root. dir removes an empty
// directory; otherwise a file, link or other non-directory is unlinked.
func removeAt(root, rel string, dir bool) error {
	parts := strings.Split(rel, "/")
	for _, c := range parts {
		if c == "" || c == "." || c == ".." {
			return fmt.Errorf("remove %q: not a plain path below DST", rel)
		}
	}
	fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open DST %s: %w", root, err)
	}
	for _, c := range parts[:len(parts)-1] {
		next, err := unix.Openat(fd, c, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		_ = unix.Close(fd)
		if err != nil {
			return fmt.Errorf("open %s below DST: %w", c, err)
		}
		fd = next
	}
	defer func() { _ = unix.Close(fd) }()
	flags := 0
	if dir {
		flags = unix.AT_REMOVEDIR
	}
	return unix.Unlinkat(fd, parts[len(parts)-1], flags)
}
