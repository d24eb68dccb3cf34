package plan

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// ErrLocked is wrapped when another process is running the run's
// partitions on this run directory.
var ErrLocked = errors.New("run directory in use")

// errHeld is tryLock's answer when another process holds the lock.
var errHeld = errors.New("lock held")

// Lock takes the run directory's lock, or fails at once with ErrLocked
// naming the process that holds it. unlock releases it.
func Lock(d Dir) (unlock func(), err error) {
	f, err := os.OpenFile(d.LockFile(), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock run directory: %w", err)
	}
	if err := tryLock(f); err != nil {
		holder, _ := io.ReadAll(io.LimitReader(f, 512))
		_ = f.Close()
		if errors.Is(err, errHeld) {
			return nil, fmt.Errorf("%w: %s is being run now by %s; wait for that run to end (or stop it), then resume",
				ErrLocked, string(d), strings.TrimSpace(string(holder)))
		}
		return nil, fmt.Errorf("lock run directory %s: %w", d, err)
	}
	host, _ := os.Hostname()
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(fmt.Sprintf("partsync pid %d on %s since %s\n", os.Getpid(), host, Stamp(time.Now()))), 0)
	return func() {
		_ = f.Truncate(0)
		_ = unlockFile(f)
		_ = f.Close()
	}, nil
}

// Held reports whether a process holds d's lock now, a local run running
// its partitions, and names it. It takes the lock for an instant when it is
// free; a `run --resume` starting in that instant is told the directory is
// in use and can be started again.
func Held(d Dir) (holder string, held bool) {
	f, err := os.Open(d.LockFile())
	if err != nil {
		return "", false
	}
	defer func() { _ = f.Close() }()
	switch err := tryLock(f); {
	case errors.Is(err, errHeld):
		h, _ := io.ReadAll(io.LimitReader(f, 512))
		return strings.TrimSpace(string(h)), true
	case err == nil:
		_ = unlockFile(f)
	}
	return "", false
}
