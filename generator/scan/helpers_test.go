package scan

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// result is everything one walk reported.
type result struct {
	entries []Entry
	skips   []Skip
	calls   []string // visits and skips interleaved, as they came
	stats   Stats
	err     error
}

// walkWith runs a walk over root and records every callback. open nil means
// the real file system.
func walkWith(t testing.TB, root string, opts Options, open opener) result {
	t.Helper()
	if open == nil {
		open = openRoot
	}
	var r result
	r.stats, r.err = walk(context.Background(), root, opts, open,
		func(e Entry) error {
			r.entries = append(r.entries, e)
			r.calls = append(r.calls, fmt.Sprintf("visit %q %s size=%d children=%d", e.Path, e.Type, sizeOf(e), e.Children))
			return nil
		},
		func(s Skip) error {
			r.skips = append(r.skips, s)
			r.calls = append(r.calls, fmt.Sprintf("skip %q %s", s.Path, s.Reason))
			return nil
		})
	return r
}

// sizeOf is the entry's size, 0 for a directory (whose st_size depends on the file system).
func sizeOf(e Entry) int64 {
	if e.Type == Dir {
		return 0
	}
	return e.Size
}

// mustWalk is walkWith that fails the test on an error.
func mustWalk(t testing.TB, root string, opts Options, open opener) result {
	t.Helper()
	r := walkWith(t, root, opts, open)
	if r.err != nil {
		t.Fatalf("Walk(%s): %v", root, r.err)
	}
	return r
}

// referenceWalk lists root with filepath.WalkDir, which is lexical and does
// not follow links: the calls a walk without excludes or errors must make.
func referenceWalk(t testing.TB, root string) []string {
	t.Helper()
	var calls []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == root {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		e := Entry{Path: filepath.ToSlash(path[len(root)+1:]), Type: typeOf(info.Mode()), Size: info.Size()}
		if d.IsDir() {
			kids, err := os.ReadDir(path)
			if err != nil {
				return err
			}
			e.Children = len(kids)
		}
		calls = append(calls, fmt.Sprintf("visit %q %s size=%d children=%d", e.Path, e.Type, sizeOf(e), e.Children))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return calls
}

// diffCalls fails the test at the first difference of two call sequences.
func diffCalls(t testing.TB, name string, got, want []string) {
	t.Helper()
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Fatalf("%s: call %d differs:\n got %s\nwant %s", name, i, got[i], want[i])
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d calls, want %d", name, len(got), len(want))
	}
}

// writeFile creates a file of size bytes (sparse), making its directory.
func writeFile(t testing.TB, path string, size int64) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func mkdir(t testing.TB, path string) {
	t.Helper()
	if err := os.MkdirAll(path, 0o755); err != nil {
		t.Fatal(err)
	}
}

func symlink(t testing.TB, target, path string) {
	t.Helper()
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

// buildGenerated makes a tree of a few thousand entries under root, the same
// for the same seed: a wide directory (big enough to share its lstat calls
// among workers), a deep chain, and a random part with awkward names.
// It returns the number of entries.
func buildGenerated(t testing.TB, root string, seed uint64) int {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed))
	n := 0
	file := func(path string) {
		writeFile(t, path, rng.Int64N(3000))
		n++
	}
	dir := func(path string) {
		mkdir(t, path)
		n++
	}

	dir(filepath.Join(root, "wide"))
	for i := range 2500 {
		file(filepath.Join(root, "wide", fmt.Sprintf("f%05d", i)))
	}
	for i := range 40 {
		d := filepath.Join(root, "wide", fmt.Sprintf("f%05d.d", i*60))
		dir(d)
		for j := range 3 {
			file(filepath.Join(d, fmt.Sprint(j)))
		}
	}

	d := root
	for i := range 100 {
		d = filepath.Join(d, fmt.Sprintf("deep%d", i%10))
		dir(d)
		file(filepath.Join(d, "a"))
		file(filepath.Join(d, "z"))
		symlink(t, "..", filepath.Join(d, "up"))
		n++
	}

	alphabet := []string{"a", "b", "B", "-", ".", " ", "é", "\xff", "0", "_"}
	name := func() string {
		var b strings.Builder
		for range 1 + rng.IntN(4) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	var grow func(dir string, depth int)
	grow = func(parent string, depth int) {
		for range rng.IntN(12) {
			nm := name()
			p := filepath.Join(parent, nm)
			if _, err := os.Lstat(p); err == nil || nm == "." || nm == ".." {
				continue // taken, or not a name
			}
			if depth < 5 && rng.IntN(3) == 0 {
				dir(p)
				grow(p, depth+1)
			} else {
				file(p)
			}
		}
	}
	dir(filepath.Join(root, "rand"))
	grow(filepath.Join(root, "rand"), 0)
	return n
}

// checkNoLeak fails the test if goroutines started during it are still running.
func checkNoLeak(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				t.Errorf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(),
					buf[:runtime.Stack(buf, true)])
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// faultFS wraps the real file system to inject errors and delays for chosen
// paths (relative to the root; "" is the root) and to record what was opened.
type faultFS struct {
	sysFS
	openErr  map[string]error
	lstatErr map[string]error
	onOpen   func(rel string) error // called before each open; an error is returned by the open

	mu     sync.Mutex
	opened []string
	lstats atomic.Int64 // lstat calls made
}

// opener returns an opener that wraps the real root in f.
func (f *faultFS) opener() opener {
	return func(root string) (sysFS, error) {
		inner, err := openRoot(root)
		if err != nil {
			return nil, err
		}
		f.sysFS = inner
		return f, nil
	}
}

func (f *faultFS) openDir(rel string) (dirHandle, error) {
	f.mu.Lock()
	f.opened = append(f.opened, rel)
	f.mu.Unlock()
	if f.onOpen != nil {
		if err := f.onOpen(rel); err != nil {
			return nil, err
		}
	}
	if err, ok := f.openErr[rel]; ok {
		return nil, err
	}
	d, err := f.sysFS.openDir(rel)
	if err != nil {
		return nil, err
	}
	return &faultDir{dirHandle: d, rel: rel, fs: f}, nil
}

// openedDirs returns the directories opened so far.
func (f *faultFS) openedDirs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.opened...)
}

type faultDir struct {
	dirHandle
	rel string
	fs  *faultFS
}

func (d *faultDir) lstat(name string) (stat, error) {
	d.fs.lstats.Add(1)
	if err, ok := d.fs.lstatErr[joinRel(d.rel, name)]; ok {
		return stat{}, err
	}
	return d.dirHandle.lstat(name)
}
