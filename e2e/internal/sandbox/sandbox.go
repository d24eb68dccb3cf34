// Package sandbox runs a command the way a container runtime would present
// its volumes, without images: in a private mount namespace, each volume's
// local directory is bind-mounted onto the container's mount path (read-only
// where asked), then the command is executed with the container's
// environment and working directory.
//
// The parent side (Command) starts the node-agent binary again with the
// "sandbox" subcommand in a new mount namespace; the child side (Exec) sets
// up the mounts and replaces itself with the command, so the exit code seen
// by the parent is the command's own.
package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Mount is one bind mount: Source (a local directory or file) appears at
// Target inside the namespace.
type Mount struct {
	Source   string `json:"source"`
	Target   string `json:"target"`
	ReadOnly bool   `json:"readOnly,omitempty"`
}

// Spec is what the child needs: the mounts, the argv, the environment and
// the working directory. ScratchDir holds overlay layers used to create
// missing mount points without touching the host's directories.
type Spec struct {
	Mounts     []Mount  `json:"mounts"`
	Argv       []string `json:"argv"`
	Env        []string `json:"env"`
	WorkingDir string   `json:"workingDir,omitempty"`
	ScratchDir string   `json:"scratchDir"`
	// ReadOnlyRoot makes everything but the volumes read-only, like a
	// container's readOnlyRootFilesystem.
	ReadOnlyRoot bool `json:"readOnlyRoot,omitempty"`
	// LimitCapabilities makes Capabilities the process's whole capability
	// set (see the Capabilities function); otherwise it keeps the caller's.
	LimitCapabilities bool     `json:"limitCapabilities,omitempty"`
	Capabilities      []string `json:"capabilities,omitempty"`
	// NoNewPrivs sets no_new_privs (allowPrivilegeEscalation: false).
	NoNewPrivs bool `json:"noNewPrivs,omitempty"`
	// UID, GID and Groups, when UID or GID is not nil, are the identity the
	// command runs as (runAsUser, runAsGroup, supplementalGroups, fsGroup).
	UID    *int64  `json:"uid,omitempty"`
	GID    *int64  `json:"gid,omitempty"`
	Groups []int64 `json:"groups,omitempty"`
}

// WriteSpec stores spec as JSON at path.
func WriteSpec(path string, spec Spec) error {
	data, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return fmt.Errorf("encode sandbox spec: %w", err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("write sandbox spec: %w", err)
	}
	return nil
}

// ReadSpec loads a spec written by WriteSpec.
func ReadSpec(path string) (Spec, error) {
	var spec Spec
	data, err := os.ReadFile(path)
	if err != nil {
		return spec, fmt.Errorf("read sandbox spec: %w", err)
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		return spec, fmt.Errorf("decode sandbox spec %s: %w", path, err)
	}
	return spec, nil
}

// Command returns the parent-side command: self (the node-agent binary)
// run as "self sandbox SPECFILE" in a new mount namespace and its own
// process group (so the whole tree can be signalled).
func Command(self, specPath string) *exec.Cmd {
	cmd := exec.Command(self, "sandbox", specPath)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: unix.CLONE_NEWNS,
		Setpgid:    true,
	}
	return cmd
}

// Exec is the child side: it must run in a fresh mount namespace. It makes
// every mount private (nothing propagates back to the host), then mounts
// the volumes shallowest target first (as container runtimes do, so that a
// volume at /tmp does not hide one at /tmp/x), creating missing mount points
// on the way, then execs the argv. Sources are opened before anything is
// mounted, so a mount cannot hide another's source. It returns only on
// error.
func Exec(spec Spec) error {
	if len(spec.Argv) == 0 {
		return errors.New("sandbox: empty argv")
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	mounts := slices.Clone(spec.Mounts)
	for i := range mounts {
		mounts[i].Target = filepath.Clean(mounts[i].Target)
	}
	slices.SortStableFunc(mounts, func(a, b Mount) int {
		return strings.Count(a.Target, "/") - strings.Count(b.Target, "/")
	})
	srcs := make([]source, len(mounts))
	for i, m := range mounts {
		s, err := openSource(m.Source)
		if err != nil {
			return err
		}
		srcs[i] = s
	}
	ov := overlays{scratch: spec.ScratchDir}
	for i, m := range mounts {
		if err := ov.ensure(m.Target, srcs[i].dir); err != nil {
			return err
		}
		if err := bind(srcs[i].path(), m); err != nil {
			return err
		}
		// Mount points below a volume are made inside it, as runtimes do.
		ov.roots = append(ov.roots, m.Target)
	}
	if spec.ReadOnlyRoot {
		if err := readOnlyRoot(ov.overlaid); err != nil {
			return err
		}
	}
	path, err := lookPath(spec.Argv[0], spec.Env)
	if err != nil {
		return err
	}
	if spec.WorkingDir != "" {
		if err := os.Chdir(spec.WorkingDir); err != nil {
			return fmt.Errorf("working directory: %w", err)
		}
	}
	if spec.LimitCapabilities {
		if err := limitCapabilities(spec.Capabilities, spec.NoNewPrivs); err != nil {
			return err
		}
	}
	if err := setIdentity(spec); err != nil {
		return err
	}
	if err := unix.Exec(path, spec.Argv, spec.Env); err != nil {
		return fmt.Errorf("exec %s: %w", path, err)
	}
	return nil
}

// setIdentity switches to the spec's user and groups (the kernel then
// clears the capabilities of a non-root user, as in a container).
func setIdentity(spec Spec) error {
	if spec.UID == nil && spec.GID == nil {
		return nil
	}
	groups := make([]int, 0, len(spec.Groups))
	for _, g := range spec.Groups {
		groups = append(groups, int(g))
	}
	if err := unix.Setgroups(groups); err != nil {
		return fmt.Errorf("setgroups: %w", err)
	}
	if spec.GID != nil {
		if err := unix.Setgid(int(*spec.GID)); err != nil {
			return fmt.Errorf("setgid %d: %w", *spec.GID, err)
		}
	}
	if spec.UID != nil {
		if err := unix.Setuid(int(*spec.UID)); err != nil {
			return fmt.Errorf("setuid %d: %w", *spec.UID, err)
		}
	}
	return nil
}

// source is a volume source held open (O_PATH) until it is bound.
type source struct {
	fd  int
	dir bool
}

func (s source) path() string { return fmt.Sprintf("/proc/self/fd/%d", s.fd) }

func openSource(p string) (source, error) {
	fd, err := unix.Open(p, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return source{}, fmt.Errorf("volume source %s: %w", p, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return source{}, fmt.Errorf("volume source %s: %w", p, err)
	}
	return source{fd: fd, dir: st.Mode&unix.S_IFMT == unix.S_IFDIR}, nil
}

func bind(src string, m Mount) error {
	if err := unix.Mount(src, m.Target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind %s on %s: %w", m.Source, m.Target, err)
	}
	if m.ReadOnly {
		flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY)
		if err := unix.Mount("", m.Target, "", flags, ""); err != nil {
			return fmt.Errorf("remount %s read-only: %w", m.Target, err)
		}
	}
	return nil
}

// overlays creates mount points that do not exist. Below a volume already
// mounted they are made in it; elsewhere the deepest existing ancestor gets
// a writable overlay whose upper layer lives in the scratch directory, so
// mkdir inside the namespace leaves the host as it was.
type overlays struct {
	scratch  string
	roots    []string // overlays and volumes: mount points below are made in them
	overlaid []string // overlays only
}

func (o *overlays) ensure(target string, dir bool) error {
	if _, err := os.Stat(target); err == nil {
		return nil
	}
	if !o.covered(target) {
		anc := filepath.Dir(target)
		for {
			if _, err := os.Stat(anc); err == nil {
				break
			}
			anc = filepath.Dir(anc)
		}
		if anc == "/" {
			return fmt.Errorf("mount point %s: no ancestor below / exists to overlay", target)
		}
		if err := o.overlay(anc); err != nil {
			return err
		}
	}
	if dir {
		if err := os.MkdirAll(target, 0o755); err != nil {
			return fmt.Errorf("mount point %s: %w", target, err)
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return fmt.Errorf("mount point %s: %w", target, err)
	}
	f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("mount point %s: %w", target, err)
	}
	return f.Close()
}

func (o *overlays) covered(p string) bool {
	for _, r := range o.roots {
		if p == r || strings.HasPrefix(p, r+"/") {
			return true
		}
	}
	return false
}

func (o *overlays) overlay(dir string) error {
	n := len(o.roots)
	upper := filepath.Join(o.scratch, fmt.Sprintf("overlay-%d", n), "upper")
	work := filepath.Join(o.scratch, fmt.Sprintf("overlay-%d", n), "work")
	for _, d := range []string{upper, work} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("overlay scratch: %w", err)
		}
	}
	// The overlay's root takes the upper directory's owner and mode: make
	// them the lower one's, so /tmp stays 1777 and /usr/local root's 0755.
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return fmt.Errorf("overlay %s: %w", dir, err)
	}
	if err := unix.Chown(upper, int(st.Uid), int(st.Gid)); err != nil {
		return fmt.Errorf("overlay %s: %w", dir, err)
	}
	if err := unix.Chmod(upper, st.Mode&0o7777); err != nil {
		return fmt.Errorf("overlay %s: %w", dir, err)
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", dir, upper, work)
	if err := unix.Mount("overlay", dir, "overlay", 0, opts); err != nil {
		return fmt.Errorf("overlay on %s: %w", dir, err)
	}
	o.roots = append(o.roots, dir)
	o.overlaid = append(o.overlaid, dir)
	return nil
}

// readOnlyRoot remounts the root, and the overlays made for mount points,
// read-only in this namespace only; the volumes, /proc, /dev and the
// other mounts keep their flags.
func readOnlyRoot(overlaid []string) error {
	flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY)
	for _, d := range append([]string{"/"}, overlaid...) {
		if err := unix.Mount("", d, "", flags, ""); err != nil {
			return fmt.Errorf("remount %s read-only: %w", d, err)
		}
	}
	return nil
}

// lookPath resolves name against the PATH in env (the container's), not the
// agent's own.
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	pathVar := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			pathVar = v
		}
	}
	for _, dir := range filepath.SplitList(pathVar) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("executable %q not found in PATH %q", name, pathVar)
}
