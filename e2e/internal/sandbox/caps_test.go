package sandbox

import (
	"slices"
	"testing"
)

func TestCapabilities(t *testing.T) {
	for _, tc := range []struct {
		name       string
		add, drop  []string
		privileged bool
		want       []string
	}{
		{"runtime default", nil, nil, false, []string{"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}},
		{"drop all", nil, []string{"ALL"}, false, []string{}},
		{"drop all add some", []string{"CAP_DAC_READ_SEARCH", "chown"}, []string{"ALL"}, false, []string{"CHOWN", "DAC_READ_SEARCH"}},
		{"drop one", nil, []string{"NET_RAW", "MKNOD"}, false, []string{"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Capabilities(tc.add, tc.drop, tc.privileged); !slices.Equal(got, tc.want) {
				t.Errorf("Capabilities(%v, %v) = %v, want %v", tc.add, tc.drop, got, tc.want)
			}
		})
	}
	if got := Capabilities(nil, []string{"ALL"}, true); len(got) != len(capNames()) {
		t.Errorf("privileged: %d capabilities, want all %d", len(got), len(capNames()))
	}
}
