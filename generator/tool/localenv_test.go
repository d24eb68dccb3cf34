package tool

import (
	"slices"
	"testing"
)

// TestLocalEnv: RCLONE_CONFIG when a config is given, GOGC=400 only when
// partsync's environment has no GOGC (an empty one counts as set).
func TestLocalEnv(t *testing.T) {
	env := func(vars map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	}
	for _, c := range []struct {
		config string
		vars   map[string]string
		want   []string
	}{
		{"", nil, []string{"GOGC=400"}},
		{"/etc/rclone.conf", nil, []string{"RCLONE_CONFIG=/etc/rclone.conf", "GOGC=400"}},
		{"", map[string]string{"GOGC": "100"}, nil},
		{"/c", map[string]string{"GOGC": ""}, []string{"RCLONE_CONFIG=/c"}},
		{"", map[string]string{"GOGCX": "1"}, []string{"GOGC=400"}},
	} {
		if got := LocalEnv(c.config, env(c.vars)); !slices.Equal(got, c.want) {
			t.Errorf("LocalEnv(%q, %v) = %q, want %q", c.config, c.vars, got, c.want)
		}
	}
}
