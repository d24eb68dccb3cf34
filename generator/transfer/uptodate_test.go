package transfer

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/partsync/partsync/generator/plan"
)

// upToDateRun is a run of one rsync partition over a whole-directory line
// (a/, standing for a/1 and a/2), a directory and a file in it, an empty
// directory and a symbolic link, copied once by rsync.
func upToDateRun(t *testing.T) *plan.Plan {
	t.Helper()
	if _, err := exec.LookPath("rsync"); err != nil {
		t.Skip("rsync is not installed")
	}
	base := t.TempDir()
	dir, err := plan.Create(filepath.Join(base, "runs"), "t")
	if err != nil {
		t.Fatal(err)
	}
	p := &plan.Plan{
		RunDir: string(dir), Source: filepath.Join(base, "src"), Destination: filepath.Join(base, "dst"),
		Tool: "rsync", ToolOptions: []string{"-a", "--numeric-ids", "-H"},
		Partitions: []plan.Partition{{Entries: 7, Files: 3, WholeDirs: 1}},
	}
	for _, f := range []struct{ path, data string }{
		{dir.PartFile("0"), "a/\x00b\x00b/x\x00c\x00l\x00"}, {dir.WholeFile(0), "a/\x00a/1\x00a/2\x00"},
		{filepath.Join(p.Source, "a/1"), "1"}, {filepath.Join(p.Source, "a/2"), "22"}, {filepath.Join(p.Source, "b/x"), "xxx"},
	} {
		if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f.path, []byte(f.data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(p.Source, "c"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a/1", filepath.Join(p.Source, "l")); err != nil {
		t.Fatal(err)
	}
	argv, err := Command(p, "0")
	if err != nil {
		t.Fatal(err)
	}
	st, err := Run(context.Background(), p, Spec{Dir: dir, Argv: argv, Executor: "local", Output: io.Discard})
	if err != nil || st.UpToDate {
		t.Fatalf("first copy: %+v, %v; want rsync run", st, err)
	}
	return p
}

// runFalse runs partition 0 with a tool that always fails: the attempt
// succeeds only when partsync finds the partition up to date and does not
// start the tool.
func runFalse(p *plan.Plan) (*plan.Status, error) {
	return Run(context.Background(), p, Spec{Dir: p.Dir(), Argv: []string{"false"}, Executor: "local", Output: io.Discard})
}

// TestUpToDateSkipsTheTool: a partition rsync has copied is found up to
// date, and the tool is not started: a tool that always fails does not fail
// it.
func TestUpToDateSkipsTheTool(t *testing.T) {
	p := upToDateRun(t)
	st, err := runFalse(p)
	if err != nil || !st.OK || !st.UpToDate || st.ExitCode != 0 {
		t.Fatalf("re-run of a copied partition: %+v, %v; want up to date, the tool not run", st, err)
	}
	saved, ok, err := plan.LoadStatus(p.Dir(), 0)
	if err != nil || !ok || !saved.UpToDate || !saved.OK {
		t.Errorf("status file %+v, %v, %v", saved, ok, err)
	}
}

// TestNotUpToDate: every difference rsync would act on, and every case
// partsync does not judge, sends the partition to the tool (here one that
// fails, so the attempt fails).
func TestNotUpToDate(t *testing.T) {
	old := time.Date(2001, 2, 3, 4, 5, 6, 7, time.UTC)
	for name, change := range map[string]func(t *testing.T, p *plan.Plan){
		"file missing at the destination": func(t *testing.T, p *plan.Plan) { must(t, os.Remove(filepath.Join(p.Destination, "b/x"))) },
		"entry of a whole directory missing at the destination": func(t *testing.T, p *plan.Plan) {
			must(t, os.Remove(filepath.Join(p.Destination, "a/2")))
		},
		"size differs": func(t *testing.T, p *plan.Plan) {
			must(t, os.WriteFile(filepath.Join(p.Source, "b/x"), []byte("longer"), 0o644))
		},
		"mtime differs": func(t *testing.T, p *plan.Plan) { must(t, os.Chtimes(filepath.Join(p.Destination, "a/1"), old, old)) },
		"mtime differs by a nanosecond": func(t *testing.T, p *plan.Plan) {
			fi, err := os.Stat(filepath.Join(p.Source, "b/x"))
			must(t, err)
			m := fi.ModTime().Add(time.Nanosecond)
			must(t, os.Chtimes(filepath.Join(p.Source, "b/x"), m, m))
		},
		"group differs": func(t *testing.T, p *plan.Plan) {
			if os.Geteuid() != 0 {
				t.Skip("chown needs root")
			}
			must(t, os.Lchown(filepath.Join(p.Destination, "l"), -1, 4321))
		},
		"owner differs (as root)": func(t *testing.T, p *plan.Plan) {
			if os.Geteuid() != 0 {
				t.Skip("chown needs root")
			}
			must(t, os.Chown(filepath.Join(p.Destination, "b/x"), 1234, -1))
		},
		"permissions differ":  func(t *testing.T, p *plan.Plan) { must(t, os.Chmod(filepath.Join(p.Destination, "b/x"), 0o600)) },
		"link target differs": func(t *testing.T, p *plan.Plan) { relink(t, filepath.Join(p.Destination, "l"), "a/2") },
		"directory is a file": func(t *testing.T, p *plan.Plan) { replaceWithFile(t, filepath.Join(p.Destination, "c")) },
		"entry added to a whole directory": func(t *testing.T, p *plan.Plan) {
			must(t, os.WriteFile(filepath.Join(p.Source, "a/new"), nil, 0o644))
		},
		"entry vanished from a whole directory": func(t *testing.T, p *plan.Plan) { must(t, os.Remove(filepath.Join(p.Source, "a/2"))) },
		"listed entry vanished":                 func(t *testing.T, p *plan.Plan) { must(t, os.Remove(filepath.Join(p.Source, "b/x"))) },
		"file has a second hard link": func(t *testing.T, p *plan.Plan) {
			must(t, os.Link(filepath.Join(p.Source, "b/x"), filepath.Join(p.Source, "b/x-link")))
		},
		"a FIFO is listed": func(t *testing.T, p *plan.Plan) {
			must(t, syscall.Mkfifo(filepath.Join(p.Source, "f"), 0o600))
			must(t, syscall.Mkfifo(filepath.Join(p.Destination, "f"), 0o600))
			must(t, os.WriteFile(p.Dir().PartFile("0"), []byte("a/\x00b\x00b/x\x00c\x00f\x00l\x00"), 0o644))
		},
		"options rsync compares more with (-c)": func(t *testing.T, p *plan.Plan) { p.ToolOptions = []string{"-a", "-c"} },
		"options without archive mode":          func(t *testing.T, p *plan.Plan) { p.ToolOptions = []string{"-v"} },
		"sidecar missing":                       func(t *testing.T, p *plan.Plan) { must(t, os.Remove(p.Dir().WholeFile(0))) },
	} {
		t.Run(name, func(t *testing.T) {
			p := upToDateRun(t)
			change(t, p)
			if st, err := runFalse(p); err == nil || st.OK || st.UpToDate {
				t.Errorf("%s: %+v, %v; want the tool run (and fail)", name, st, err)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func relink(t *testing.T, link, target string) {
	t.Helper()
	must(t, os.Remove(link))
	must(t, os.Symlink(target, link))
}

func replaceWithFile(t *testing.T, path string) {
	t.Helper()
	must(t, os.RemoveAll(path))
	must(t, os.WriteFile(path, nil, 0o700))
}
