package sandbox

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// capNames maps Kubernetes capability names (no CAP_ prefix) to numbers.
func capNames() map[string]uintptr {
	return map[string]uintptr{
		"CHOWN": unix.CAP_CHOWN, "DAC_OVERRIDE": unix.CAP_DAC_OVERRIDE, "DAC_READ_SEARCH": unix.CAP_DAC_READ_SEARCH,
		"FOWNER": unix.CAP_FOWNER, "FSETID": unix.CAP_FSETID, "KILL": unix.CAP_KILL, "SETGID": unix.CAP_SETGID,
		"SETUID": unix.CAP_SETUID, "SETPCAP": unix.CAP_SETPCAP, "LINUX_IMMUTABLE": unix.CAP_LINUX_IMMUTABLE,
		"NET_BIND_SERVICE": unix.CAP_NET_BIND_SERVICE, "NET_BROADCAST": unix.CAP_NET_BROADCAST, "NET_ADMIN": unix.CAP_NET_ADMIN,
		"NET_RAW": unix.CAP_NET_RAW, "IPC_LOCK": unix.CAP_IPC_LOCK, "IPC_OWNER": unix.CAP_IPC_OWNER,
		"SYS_MODULE": unix.CAP_SYS_MODULE, "SYS_RAWIO": unix.CAP_SYS_RAWIO, "SYS_CHROOT": unix.CAP_SYS_CHROOT,
		"SYS_PTRACE": unix.CAP_SYS_PTRACE, "SYS_PACCT": unix.CAP_SYS_PACCT, "SYS_ADMIN": unix.CAP_SYS_ADMIN,
		"SYS_BOOT": unix.CAP_SYS_BOOT, "SYS_NICE": unix.CAP_SYS_NICE, "SYS_RESOURCE": unix.CAP_SYS_RESOURCE,
		"SYS_TIME": unix.CAP_SYS_TIME, "SYS_TTY_CONFIG": unix.CAP_SYS_TTY_CONFIG, "MKNOD": unix.CAP_MKNOD,
		"LEASE": unix.CAP_LEASE, "AUDIT_WRITE": unix.CAP_AUDIT_WRITE, "AUDIT_CONTROL": unix.CAP_AUDIT_CONTROL,
		"SETFCAP": unix.CAP_SETFCAP, "MAC_OVERRIDE": unix.CAP_MAC_OVERRIDE, "MAC_ADMIN": unix.CAP_MAC_ADMIN,
		"SYSLOG": unix.CAP_SYSLOG, "WAKE_ALARM": unix.CAP_WAKE_ALARM, "BLOCK_SUSPEND": unix.CAP_BLOCK_SUSPEND,
		"AUDIT_READ": unix.CAP_AUDIT_READ, "PERFMON": unix.CAP_PERFMON, "BPF": unix.CAP_BPF,
		"CHECKPOINT_RESTORE": unix.CAP_CHECKPOINT_RESTORE,
	}
}

// defaultCapabilities is the set a container runtime (containerd, CRI-O,
// Docker) gives a container that asks for nothing.
func defaultCapabilities() []string {
	return []string{
		"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
		"SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
	}
}

// Capabilities computes a container's capability set as a runtime does:
// the default set, minus drop ("ALL" drops everything), plus add ("ALL"
// adds everything); privileged containers get everything.
func Capabilities(add, drop []string, privileged bool) []string {
	all := make([]string, 0, len(capNames()))
	for n := range capNames() {
		all = append(all, n)
	}
	slices.Sort(all)
	if privileged {
		return all
	}
	norm := func(in []string) []string {
		out := make([]string, 0, len(in))
		for _, c := range in {
			out = append(out, strings.TrimPrefix(strings.ToUpper(c), "CAP_"))
		}
		return out
	}
	add, drop = norm(add), norm(drop)
	set := map[string]bool{}
	if !slices.Contains(drop, "ALL") {
		for _, c := range defaultCapabilities() {
			if !slices.Contains(drop, c) {
				set[c] = true
			}
		}
	}
	for _, c := range add {
		if c == "ALL" {
			for _, a := range all {
				set[a] = true
			}
			continue
		}
		set[c] = true
	}
	out := make([]string, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// limitCapabilities drops every capability not in keep from the bounding
// set (root's capabilities after exec are that set), the last step before
// exec; noNewPrivs also sets no_new_privs (allowPrivilegeEscalation: false).
func limitCapabilities(keep []string, noNewPrivs bool) error {
	names := capNames()
	want := map[uintptr]bool{}
	for _, k := range keep {
		c, ok := names[k]
		if !ok {
			return fmt.Errorf("unknown capability %q", k)
		}
		want[c] = true
	}
	for c := uintptr(0); c <= unix.CAP_LAST_CAP; c++ {
		if want[c] || c == unix.CAP_SETPCAP {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, c, 0, 0, 0); err != nil {
			return fmt.Errorf("drop capability %d: %w", c, err)
		}
	}
	if noNewPrivs {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("no_new_privs: %w", err)
		}
	}
	if !want[unix.CAP_SETPCAP] {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, unix.CAP_SETPCAP, 0, 0, 0); err != nil {
			return fmt.Errorf("drop CAP_SETPCAP: %w", err)
		}
	}
	return nil
}
