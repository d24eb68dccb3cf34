package tool

import (
	"slices"
	"testing"
)

func TestCPUShareEnv(t *testing.T) {
	for _, c := range []struct {
		name       string
		tool       string
		cpus, jobs int
		environ    []string
		want       []string
	}{
		{"two rclones on two cores", "rclone", 2, 2, []string{"PATH=/usr/bin"}, []string{"GOMAXPROCS=1"}},
		{"one rclone keeps every core", "rclone", 2, 1, nil, []string{"GOMAXPROCS=2"}},
		{"more jobs than cores", "rclone", 2, 8, nil, []string{"GOMAXPROCS=1"}},
		{"cores shared evenly", "rclone", 16, 3, nil, []string{"GOMAXPROCS=5"}},
		{"the user's GOMAXPROCS stands", "rclone", 2, 2, []string{"GOMAXPROCS=4"}, nil},
		{"rsync is not a Go program", "rsync", 2, 2, nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := CPUShareEnv(c.tool, c.cpus, c.jobs, c.environ); !slices.Equal(got, c.want) {
				t.Errorf("CPUShareEnv(%q, %d, %d, %q) = %q, want %q", c.tool, c.cpus, c.jobs, c.environ, got, c.want)
			}
		})
	}
}
