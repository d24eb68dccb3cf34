package mirror_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/partsync/partsync/generator/mirror"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/prepare"
	"github.com/partsync/partsync/generator/scan"
	"github.com/partsync/partsync/generator/testtree/copytest"
)

// tree maps every path below root to its content ("dir", "-> target" for
// a link).
func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == root {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		switch {
		case d.IsDir():
			m[rel] = "dir"
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			m[rel] = "-> " + target
			return err
		default:
			data, err := os.ReadFile(path)
			m[rel] = string(data)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// mirrored copies src to dst with the real tool, as a mirror run whose
// scan goes through walk when not nil.
func mirrored(t *testing.T, toolName, src, dst string, env []string, maxDelete int64, walk prepare.WalkFunc, excludes ...string) *plan.Plan {
	t.Helper()
	return copytest.Copied(t, prepare.Request{Source: src, Destination: dst, Tool: toolName, Excludes: excludes,
		Delete: true, MaxDelete: maxDelete, Walk: walk}, env)
}

// extraTree copies src with rsync as a mirror and adds extras at DST: a
// file, a directory tree, a link to a file outside DST, an excluded file
// and a directory holding only an excluded file. It returns the plan and
// the file outside DST.
func extraTree(t *testing.T, maxDelete int64, walk prepare.WalkFunc) (p *plan.Plan, src, dst, outside string) {
	t.Helper()
	if _, err := exec.LookPath("rsync"); err != nil {
		t.Skip("rsync is not installed")
	}
	base := t.TempDir()
	src, dst, outside = filepath.Join(base, "src"), filepath.Join(base, "dst"), filepath.Join(base, "outside")
	copytest.Write(t, src, "a/1", "a/2", "a/b/3", "c/4", "s.tmp")
	copytest.Write(t, base, "outside")
	p = mirrored(t, "rsync", src, dst, nil, maxDelete, walk, "*.tmp")
	copytest.Write(t, dst, "a/extra", "old/gone/5", "old/6", "keep.tmp", "held/x.tmp")
	if err := os.Symlink(outside, filepath.Join(dst, "link")); err != nil {
		t.Fatal(err)
	}
	return p, src, dst, outside
}

// TestDeleteLocal, with the real rsync: the extras at DST are deleted
// (files, then their directories), a link is deleted and not followed, and
// everything else is intact: DST holds the source's tree byte for byte plus
// the excluded entries it held. deleted, delete.json and the partitions'
// lists say what went.
func TestDeleteLocal(t *testing.T) {
	p, src, dst, outside := extraTree(t, 0, nil)
	d, err := mirror.Run(context.Background(), p, mirror.Options{Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := tree(t, src)
	delete(want, "s.tmp") // excluded: not copied
	want["keep.tmp"], want["held"], want["held/x.tmp"] = "keep.tmp", "dir", "held/x.tmp"
	if got := tree(t, dst); !mapsEqual(got, want) {
		t.Errorf("DST after the delete pass:\n%v\nwant\n%v", got, want)
	}
	if data, err := os.ReadFile(outside); err != nil || string(data) != "outside" {
		t.Errorf("the link's target outside DST: %q, %v", data, err)
	}
	gone := []string{"a/extra", "link", "old", "old/6", "old/gone", "old/gone/5"}
	if got := readList(t, p.Dir().DeletedFile()); !slices.Equal(got, gone) {
		t.Errorf("deleted file %q, want %q", got, gone)
	}
	if d.Extras != 7 || d.Deleted != 6 || d.Kept != 1 || d.Failed != 0 || d.Partitions != 2 {
		t.Errorf("deletion %+v, want 7 extras (held too), 6 deleted, 1 kept (held: not empty), 2 partitions", d)
	}
	saved, ok, err := plan.LoadDeletion(p.Dir())
	if err != nil || !ok || saved.Deleted != 6 {
		t.Errorf("delete.json: %+v %v %v", saved, ok, err)
	}
	var listed []string
	for i := range d.Partitions {
		listed = append(listed, readList(t, p.Dir().DeleteListFile(i))...)
	}
	if want := []string{"a/extra", "link", "old/6", "old/gone/5"}; !slices.Equal(listed, want) {
		t.Errorf("partition lists %q, want the files %q", listed, want)
	}
}

// TestDeleteDryRun: a dry run lists the extras and deletes nothing.
func TestDeleteDryRun(t *testing.T) {
	p, _, dst, _ := extraTree(t, 0, nil)
	before := tree(t, dst)
	d, err := mirror.Run(context.Background(), p, mirror.Options{Jobs: 2, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if !mapsEqual(tree(t, dst), before) {
		t.Error("a dry run changed DST")
	}
	if !d.DryRun || d.Deleted != 0 || d.Extras != 7 || len(d.First) != 5 {
		t.Errorf("dry run %+v, want 7 extras, 5 named, none deleted", d)
	}
	if got := readList(t, p.Dir().ExtrasFile()); len(got) != 7 {
		t.Errorf("extras file %q, want 7 entries", got)
	}
}

// TestDeleteRefused: past --max-delete, after an unreadable entry in the
// scan, or before every partition succeeded, nothing is deleted and the
// error says why.
func TestDeleteRefused(t *testing.T) {
	unreadable := func(ctx context.Context, root string, o scan.Options, visit func(scan.Entry) error, skip func(scan.Skip) error) (scan.Stats, error) {
		st, err := scan.Walk(ctx, root, o, visit, skip)
		if err == nil {
			err = skip(scan.Skip{Path: "zz", Reason: "cannot read directory: permission denied; its contents are not copied"})
		}
		return st, err
	}
	for _, c := range []struct {
		name      string
		maxDelete int64
		walk      prepare.WalkFunc
		failPart  bool
		want      string
	}{
		{name: "max-delete", maxDelete: 6, want: "7 entries to delete at DST, more than --max-delete 6"},
		{name: "unreadable", walk: unreadable, want: "the scan could not read 1 entry"},
		{name: "partition not ok", failPart: true, want: "1 of 4 partitions have not succeeded"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, _, dst, _ := extraTree(t, c.maxDelete, c.walk)
			if c.failPart {
				if err := os.Remove(p.Dir().StatusFile(1)); err != nil {
					t.Fatal(err)
				}
			}
			before := tree(t, dst)
			d, err := mirror.Run(context.Background(), p, mirror.Options{Jobs: 2})
			if !errors.Is(err, mirror.ErrRefused) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want ErrRefused saying %q", err, c.want)
			}
			if d == nil || d.Deleted != 0 || !strings.Contains(d.Refused, c.want) {
				t.Errorf("deletion %+v", d)
			}
			if !mapsEqual(tree(t, dst), before) {
				t.Error("a refused pass changed DST")
			}
		})
	}
}

// TestDeleteRemote, with the real rclone: the extras of a remote DST (a
// local-type remote defined in the environment) are deleted by rclone
// delete --files-from-raw, the excluded object stays, the copy is intact.
func TestDeleteRemote(t *testing.T) {
	src, dst, env := copytest.LocalRemote(t)
	copytest.Write(t, src, "a/1", "a/2", "a/b/3", "c/4")
	p := mirrored(t, "rclone", src, "loc:"+dst, env, 0, nil, "*.tmp")
	copytest.Write(t, dst, "a/b/extra", "z/9", "old.tmp")
	d, err := mirror.Run(context.Background(), p, mirror.Options{Jobs: 2, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	want := tree(t, src)
	want["old.tmp"], want["z"] = "old.tmp", "dir" // rclone delete leaves the empty directory
	if got := tree(t, dst); !mapsEqual(got, want) {
		t.Errorf("DST after the delete pass:\n%v\nwant\n%v", got, want)
	}
	if d.Deleted != 2 || d.Partitions != 2 {
		t.Errorf("deletion %+v, want 2 deleted in 2 partitions", d)
	}
	if got := readList(t, p.Dir().DeletedFile()); !slices.Equal(got, []string{"a/b/extra", "z/9"}) {
		t.Errorf("deleted %q", got)
	}
}

func readList(t *testing.T, file string) []string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return strings.FieldsFunc(string(data), func(r rune) bool { return r == 0 || r == '\n' })
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
