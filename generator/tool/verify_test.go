package tool

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestRcloneModifyWindow reads --modify-window as rclone does (Go
// durations, seconds, d/w/M/y, off; the last one given), and -o refuses a
// value verify could not read, naming it.
func TestRcloneModifyWindow(t *testing.T) {
	for _, c := range []struct {
		opts []string
		want time.Duration
	}{
		{nil, 0},
		{[]string{"--transfers=4"}, 0},
		{[]string{"--modify-window=2s"}, 2 * time.Second},
		{[]string{"--modify-window", "1h30m"}, 90 * time.Minute},
		{[]string{"--modify-window=3"}, 3 * time.Second},
		{[]string{"--modify-window=1.5d"}, 36 * time.Hour},
		{[]string{"--modify-window=1w"}, 7 * 24 * time.Hour},
		{[]string{"--modify-window=off"}, time.Duration(math.MaxInt64)},
		{[]string{"--modify-window=1s", "--checkers=4", "--modify-window=500ms"}, 500 * time.Millisecond},
	} {
		got, err := RcloneModifyWindow(c.opts)
		if err != nil || got != c.want {
			t.Errorf("RcloneModifyWindow(%q) = %v, %v; want %v", c.opts, got, err, c.want)
		}
		if err := (Rclone{}).CheckOptions(c.opts); err != nil {
			t.Errorf("CheckOptions(%q): %v", c.opts, err)
		}
	}
	for _, bad := range []string{"soon", "-1s", "2dd", "1e400d", "", "NaN"} {
		opts := []string{"--modify-window=" + bad}
		if _, err := RcloneModifyWindow(opts); !errors.Is(err, ErrOptions) {
			t.Errorf("RcloneModifyWindow(%q): %v, want ErrOptions", opts, err)
		}
		err := (Rclone{}).CheckOptions(opts)
		if !errors.Is(err, ErrOptions) || !strings.Contains(err.Error(), "--modify-window \""+bad+"\"") || !strings.Contains(err.Error(), "1h30m") {
			t.Errorf("CheckOptions(%q): %v; want the value named and the form to give", opts, err)
		}
	}
}

// TestCompareListingsWindow: an mtime off by no more than the window is the
// same (in either direction), one further off differs, as rclone copy
// decides.
func TestCompareListingsWindow(t *testing.T) {
	src := `[{"Path":"a","Size":1,"ModTime":"2026-01-01T00:00:00.5Z"},{"Path":"b","Size":1,"ModTime":"2026-01-01T00:00:00Z"},{"Path":"c","Size":1,"ModTime":"2026-01-01T00:00:03Z"}]`
	dst := `[{"Path":"a","Size":1,"ModTime":"2026-01-01T00:00:02.5Z"},{"Path":"b","Size":1,"ModTime":"2026-01-01T00:00:02.000000001Z"},{"Path":"c","Size":1,"ModTime":"2026-01-01T00:00:01Z"}]`
	for _, c := range []struct {
		window time.Duration
		want   []string
	}{
		{0, []string{"a", "b", "c"}},
		{2 * time.Second, []string{"b"}},
		{3 * time.Second, nil},
	} {
		missing, differing, err := compareListings(strings.NewReader(src), strings.NewReader(dst), c.window)
		if err != nil || len(missing) != 0 || !slices.Equal(differing, c.want) {
			t.Errorf("window %v: missing %q, differing %q, %v; want differing %q", c.window, missing, differing, err, c.want)
		}
	}
}
