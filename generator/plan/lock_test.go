//go:build unix

package plan

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestLock: a second lock on a run directory fails at once with ErrLocked,
// naming the holder; released, the lock can be taken again.
func TestLock(t *testing.T) {
	dir, err := Create(t.TempDir(), "r")
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Lock(dir)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "partsync pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("second lock: %v; want ErrLocked naming pid %d", err, os.Getpid())
	}
	unlock()
	again, err := Lock(dir)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	again()
}
