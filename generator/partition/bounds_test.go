package partition

import (
	"errors"
	"strings"
	"testing"
)

// TestBounds: each bound out of range is refused with its flag's name and
// the fix, wrapping ErrLimits; values in range pass.
func TestBounds(t *testing.T) {
	cases := map[string]struct {
		err  error
		want []string
	}{
		"-n":               {CheckJobs(0), []string{"-n/--jobs 0: give at least 1"}},
		"-f and -s":        {CheckLimits(0, -1), []string{"-f/--files 0: give at least 1", "-s/--size -1: give at least 1 byte"}},
		"--max-partitions": {CheckMaxPartitions(0), []string{"--max-partitions 0: give at least 1 (default 2000)"}},
	}
	for name, c := range cases {
		if !errors.Is(c.err, ErrLimits) {
			t.Errorf("%s: %v, want ErrLimits", name, c.err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(c.err.Error(), w) {
				t.Errorf("%s: %q does not say %q", name, c.err, w)
			}
		}
	}
	if err := errors.Join(CheckJobs(1), CheckLimits(1, 1), CheckMaxPartitions(1)); err != nil {
		t.Errorf("bounds in range: %v", err)
	}
}
