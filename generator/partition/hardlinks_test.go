package partition

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/partsync/partsync/generator/scan"
	"github.com/partsync/partsync/generator/tool"
)

func link(path string, size int64, ino, nlink uint64) scan.Entry {
	return scan.Entry{Path: path, Type: scan.File, Size: size, Dev: 7, Inode: ino, Nlink: nlink}
}

// TestHardLinkGroupsStayTogether: the links of one inode, far apart in scan
// order, land in one partition for rsync; no group is split even when it
// does not fit the open partition or exceeds -f; every entry is listed once.
func TestHardLinkGroupsStayTogether(t *testing.T) {
	entries := []scan.Entry{
		{Path: "a", Type: scan.Dir, Children: 4},
		link("a/x1", 10, 100, 3), file("a/f1", 1), link("a/y1", 20, 200, 2), file("a/f2", 1),
		{Path: "b", Type: scan.Dir, Children: 3},
		file("b/f3", 1), link("b/x2", 10, 100, 3), link("b/z1", 5, 300, 5),
		{Path: "c", Type: scan.Dir, Children: 5},
		link("c/y2", 20, 200, 2), link("c/x3", 10, 100, 3), link("c/z2", 5, 300, 5), link("c/z3", 5, 300, 5), link("c/z4", 5, 300, 5),
		{Path: "d", Type: scan.Dir, Children: 1},
		link("d/z5", 5, 300, 5),
		// Same inode number on another device: another file.
		{Path: "e", Type: scan.Dir, Children: 1},
		{Path: "e/other", Type: scan.File, Size: 3, Dev: 8, Inode: 100, Nlink: 2},
	}
	dir := newDir(t)
	parts, totals, lists := feed(t, dir, Options{MaxFiles: 3, MaxBytes: 1 << 20, Tool: tool.Rsync{}}, entries, nil)
	where := map[string]int{}
	var all []string
	for i, l := range lists {
		for _, p := range l {
			where[p] = i
			all = append(all, p)
		}
	}
	for _, g := range [][]string{{"a/x1", "b/x2", "c/x3"}, {"a/y1", "c/y2"}, {"b/z1", "c/z2", "c/z3", "c/z4", "d/z5"}} {
		for _, p := range g[1:] {
			if where[p] != where[g[0]] {
				t.Errorf("%s in part %d, %s in part %d: hard links split (parts %q)", g[0], where[g[0]], p, where[p], lists)
			}
		}
	}
	if where["b/z1"] == where["a/x1"] {
		t.Errorf("a group of 5 shares a partition with another group under -f 3: %q", lists)
	}
	want := []string{}
	for _, e := range entries {
		want = append(want, e.Path)
	}
	slices.Sort(want)
	slices.Sort(all)
	if !reflect.DeepEqual(all, want) {
		t.Errorf("listed %q; want every entry once: %q", all, want)
	}
	var bytes int64
	for _, p := range parts {
		bytes += p.Bytes
	}
	if totals.Listed != int64(len(entries)) || totals.ListedBytes != bytes || bytes != 1+1+1+3*10+2*20+5*5+3 {
		t.Errorf("totals %+v, partitions hold %d bytes", totals, bytes)
	}
	for i, p := range parts {
		if p.Entries > 3 && !(len(lists[i]) == 5 && strings.HasPrefix(lists[i][0], "b/z1")) {
			t.Errorf("part %d: %d entries %q over -f 3, and not the oversize group alone", i, p.Entries, lists[i])
		}
	}
	// The same entries give the same partitions.
	_, _, again := feed(t, newDir(t), Options{MaxFiles: 3, MaxBytes: 1 << 20, Tool: tool.Rsync{}}, entries, nil)
	if !reflect.DeepEqual(again, lists) {
		t.Errorf("not deterministic: %q then %q", lists, again)
	}

	// rclone copies each link as its own object: scan order, no grouping.
	_, _, rl := feed(t, newDir(t), Options{MaxFiles: 100, MaxBytes: 1 << 20, Tool: tool.Rclone{}}, entries, nil)
	var files []string
	for _, e := range entries {
		if e.Type == scan.File {
			files = append(files, e.Path)
		}
	}
	if len(rl) != 1 || !reflect.DeepEqual(rl[0], files) {
		t.Errorf("rclone parts %q; want the files in scan order %q", rl, files)
	}
}

// TestDirList: rsync runs get parts/dirs, every directory in scan order
// (parents first), NUL-separated; rclone runs and trees without
// directories get none.
func TestDirList(t *testing.T) {
	entries := []scan.Entry{
		{Path: "a", Type: scan.Dir, Children: 2}, {Path: "a/sp ace\nnl", Type: scan.Dir, Children: 0}, file("a/f", 1),
		{Path: "b", Type: scan.Dir, Children: 1}, {Path: "b/l", Type: scan.Symlink},
	}
	dir := newDir(t)
	feed(t, dir, Options{MaxFiles: 1, MaxBytes: 10, Tool: tool.Rsync{}}, entries, nil)
	data, err := os.ReadFile(dir.DirsFile())
	if err != nil || string(data) != "a\x00a/sp ace\nnl\x00b\x00" {
		t.Errorf("dirs list %q, %v; want a, a/sp ace\\nnl, b NUL-terminated", data, err)
	}
	dir = newDir(t)
	feed(t, dir, Options{MaxFiles: 1, MaxBytes: 10, Tool: tool.Rclone{}}, entries, nil)
	if _, err := os.Stat(dir.DirsFile()); !os.IsNotExist(err) {
		t.Errorf("rclone run has a directory list: %v", err)
	}
	dir = newDir(t)
	feed(t, dir, Options{MaxFiles: 1, MaxBytes: 10, Tool: tool.Rsync{}}, []scan.Entry{file("f", 1)}, nil)
	if _, err := os.Stat(dir.DirsFile()); !os.IsNotExist(err) {
		t.Errorf("a tree without directories has a directory list: %v", err)
	}
}
