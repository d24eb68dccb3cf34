package plan

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestCreateIsExclusive(t *testing.T) {
	shared := filepath.Join(t.TempDir(), "runs")
	dir, err := Create(shared, "r-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{dir.PartsDir(), dir.StatusDir(), dir.LogsDir()} {
		if st, err := os.Stat(sub); err != nil || !st.IsDir() {
			t.Errorf("%s not created: %v", sub, err)
		}
	}
	if _, err := Create(shared, "r-1"); !errors.Is(err, ErrRunExists) {
		t.Errorf("second Create = %v; want ErrRunExists", err)
	}
	if _, err := Load(dir); !errors.Is(err, ErrIncomplete) {
		t.Errorf("Load before Save = %v; want ErrIncomplete", err)
	}
}

func TestCreateRejects(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Create(filepath.Join(file, "sub"), "r1"); !errors.Is(err, ErrSharedDir) {
		t.Errorf("shared dir under a file: %v; want ErrSharedDir", err)
	}
	for _, id := range []string{"", "UPPER", "-lead", "trail-", "a/b", "has space", "x_y", "..", "a123456789012345678901234567890123456789z"} {
		if _, err := Create(t.TempDir(), id); !errors.Is(err, ErrRunID) {
			t.Errorf("Create(run id %q) = %v; want ErrRunID", id, err)
		}
	}
}

func TestSaveLoadAndProgress(t *testing.T) {
	dir, err := Create(t.TempDir(), "r2")
	if err != nil {
		t.Fatal(err)
	}
	p := &Plan{FormatVersion: FormatVersion, RunID: "r2", RunDir: string(dir), Tool: "rsync",
		ToolOptions: []string{"-a"}, Partitions: []Partition{{Entries: 1}, {Entries: 2}, {Entries: 3}}}
	if err := Save(p); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("Load = %+v, %v; want %+v", got, err, p)
	}
	if err := SaveStatus(dir, &Status{Part: 0, OK: true}); err != nil {
		t.Fatal(err)
	}
	if err := SaveStatus(dir, &Status{Part: 2, OK: false, ExitCode: 23}); err != nil {
		t.Fatal(err)
	}
	pr, err := ReadProgress(dir, p.Count())
	if err != nil {
		t.Fatal(err)
	}
	want := Progress{Partitions: 3, Succeeded: []int{0}, Failed: []int{2}, Missing: []int{1}}
	if !reflect.DeepEqual(pr, want) {
		t.Errorf("progress = %+v; want %+v", pr, want)
	}
	if found, err := Find(filepath.Dir(string(dir)), "r2"); err != nil || found != dir {
		t.Errorf("Find(id) = %s, %v", found, err)
	}
	if found, err := Find("/nonexistent", string(dir)); err != nil || found != dir {
		t.Errorf("Find(dir) = %s, %v", found, err)
	}
	if _, err := Find(t.TempDir(), "r3"); !errors.Is(err, ErrIncomplete) {
		t.Errorf("Find(absent) = %v; want ErrIncomplete", err)
	}
}

func TestWriteAtomicKeepsOldFileOnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := WriteFileAtomic(path, []byte("old")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := WriteAtomic(path, func(w io.Writer) error {
		_, _ = w.Write([]byte("half"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("WriteAtomic = %v; want boom", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "old" {
		t.Errorf("file = %q after a failed write; want old", data)
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("%d files left; want 1 (no temporary file)", len(ents))
	}
}
