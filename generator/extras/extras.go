// Package extras lists what a run's destination holds that its source does
// not: the mirror's deletion list (run --delete), and the extra entries
// `partsync verify` reports.
//
// An extra is an entry at DST that
//   - the run's scan did not see: neither an entry nor a skip of its
//     manifest (plan.Dir.ManifestFile), so a file the scan could see but a
//     tool could not copy is never an extra;
//   - was not added to the source after the scan (the recheck's added file);
//   - no exclude pattern (-x) matches, nor one of its parent directories:
//     as with rsync --delete without --delete-excluded, what the run
//     excludes is left alone at DST;
//   - is not in the source now (an lstat of SRC/path finds nothing), the
//     last guard against deleting what the source holds.
//
// How DST is listed follows the destination, not the tool:
//   - a local directory (rsync, or rclone to a path) is walked with package
//     scan, in parallel, names only, never following a symbolic link; the
//     walk comes in the manifest's order, so the comparison is a merge of
//     two streams (manifest.Cursor);
//   - an rclone remote is listed with `rclone lsf -R --files-only`
//     (tool.RcloneListArgv, with -o's options of the remote) in the environment given (RCLONE_CONFIG=… names
//     the config file; no credential is in argv), the listing sorted in walk
//     order and merged the same way. Object storage has no directories.
//
// List returns the extras in walk order (a directory before its contents).
package extras

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/partsync/partsync/generator/manifest"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/scan"
	"github.com/partsync/partsync/generator/tool"
)

// Entry is one extra at DST.
type Entry struct {
	Path string `json:"path"` // relative to DST, '/'-separated
	Dir  bool   `json:"dir,omitempty"`
}

// Options tune a listing.
type Options struct {
	// Workers is the number of directories of a local DST read at once
	// (0: the scan's default).
	Workers int
	// Env is added to rclone's environment (RCLONE_CONFIG=…).
	Env []string
}

// Listing is what List found at DST.
type Listing struct {
	Extras []Entry `json:"extras"`
	// Listed counts the entries listed at DST (excluded ones aside).
	Listed int64 `json:"listed"`
	// InSource counts the entries the scan did not see that are in the
	// source now (added after the scan): not extras.
	InSource int64 `json:"in_source"`
	// Unreadable names the entries of a local DST the walk could not read
	// (their contents are not listed, so not extras either).
	Unreadable []string `json:"unreadable,omitempty"`
	// Remote is true when DST was listed with rclone.
	Remote bool `json:"remote,omitempty"`
}

// Target is how p's destination is reached: a local directory, or else an
// rclone remote.
func Target(p *plan.Plan) (localDir string, err error) {
	t, err := tool.Lookup(p.Tool)
	if err != nil {
		return "", err
	}
	d, err := t.CheckDestination(p.Destination)
	if err != nil {
		return "", err
	}
	return d.LocalPath, nil
}

// List compares DST with the run p and returns its extras. The run's
// directory must hold its manifest (every scan writes one).
func List(ctx context.Context, p *plan.Plan, o Options) (*Listing, error) {
	localDir, err := Target(p)
	if err != nil {
		return nil, err
	}
	added, err := readAdded(p.Dir().AddedFile())
	if err != nil {
		return nil, fmt.Errorf("extras of run %s: %w", p.RunID, err)
	}
	if _, err := os.Stat(p.Dir().ManifestFile()); err != nil {
		return nil, fmt.Errorf("extras of run %s: no manifest to compare DST with: %w", p.RunID, err)
	}
	c := &comparer{p: p, added: added, seen: manifest.NewCursor(ctx, p.Dir().ManifestFile()), l: &Listing{Extras: []Entry{}}}
	if localDir != "" {
		err = c.walk(ctx, localDir, o.Workers)
	} else {
		c.l.Remote = true
		err = c.remote(ctx, o.Env)
	}
	if cerr := c.seen.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("extras of run %s at %s: %w", p.RunID, p.Destination, err)
	}
	return c.l, nil
}

// comparer merges DST's entries, in walk order, with the manifest.
type comparer struct {
	p     *plan.Plan
	added map[string]bool
	seen  *manifest.Cursor
	l     *Listing
}

// entry judges one entry of DST.
func (c *comparer) entry(path string, dir bool) error {
	c.l.Listed++
	if ok, err := c.seen.Has(path); ok || err != nil {
		return err
	}
	if c.added[path] {
		return nil
	}
	switch _, err := os.Lstat(filepath.Join(c.p.Source, filepath.FromSlash(path))); {
	case err == nil:
		c.l.InSource++
		return nil
	case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("source entry %s: %w", path, err) // cannot tell: delete nothing
	}
	c.l.Extras = append(c.l.Extras, Entry{Path: path, Dir: dir})
	return nil
}

// walk lists a local DST.
func (c *comparer) walk(ctx context.Context, dst string, workers int) error {
	if _, err := os.Stat(dst); errors.Is(err, fs.ErrNotExist) {
		return nil // nothing there yet (a dry run before the first copy)
	}
	last := ""
	_, err := scan.Walk(ctx, dst, scan.Options{Workers: workers, Exclude: c.p.Excludes, NamesOnly: true},
		func(e scan.Entry) error {
			last = e.Path
			return c.entry(e.Path, e.Type == scan.Dir)
		},
		func(s scan.Skip) error {
			c.l.Unreadable = append(c.l.Unreadable, s.Path)
			if s.Path == last { // an unreadable directory: its entry came first
				return nil
			}
			return c.entry(s.Path, false)
		})
	return err
}

// remote lists an rclone DST.
func (c *comparer) remote(ctx context.Context, env []string) error {
	argv := tool.RcloneListArgv(c.p.Destination, c.p.ToolOptions)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errOut.String())
		if strings.Contains(msg, "directory not found") {
			return nil // nothing there yet
		}
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		return fmt.Errorf("%s: %w: %s", strings.Join(argv[:2], " "), err, msg)
	}
	var paths []string
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			paths = append(paths, line)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read the listing of %s: %w", c.p.Destination, err)
	}
	slices.SortFunc(paths, scan.ComparePaths)
	m, err := scan.NewMatcher(c.p.Excludes)
	if err != nil {
		return err
	}
	for _, path := range paths {
		if Excluded(m, path, false) {
			continue
		}
		if err := c.entry(path, false); err != nil {
			return err
		}
	}
	return nil
}

// Excluded reports whether an exclude pattern matches the entry at path
// (a directory when dir) or one of the directories above it (a walk would
// not have entered them).
func Excluded(m *scan.Matcher, path string, dir bool) bool {
	for i := 0; i < len(path); i++ {
		if path[i] == '/' && m.Match(path[:i], true) {
			return true
		}
	}
	return m.Match(path, dir)
}

// readAdded reads the recheck's added file (NUL-separated paths); a run
// whose recheck has not run has none.
func readAdded(file string) (map[string]bool, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	added := map[string]bool{}
	for p := range bytes.SplitSeq(data, []byte{0}) {
		if len(p) > 0 {
			added[string(p)] = true
		}
	}
	return added, nil
}
