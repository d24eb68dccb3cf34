package partition

import (
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/partsync/partsync/generator/scan"
	"github.com/partsync/partsync/generator/tool"
)

func dirEntry(path string, children, excluded int) scan.Entry {
	return scan.Entry{Path: path, Type: scan.Dir, Children: children, Excluded: excluded}
}

// TestWholeDirs: a directory whose entries are all in its partition, none
// a directory, none excluded or skipped, becomes one "DIR/" line; every
// other one stays line by line, and the counts are those of the entries.
func TestWholeDirs(t *testing.T) {
	for _, tc := range []struct {
		name     string
		maxFiles int64
		entries  []scan.Entry
		skipAt   int // a skip of "a/gone" is fed before entries[skipAt]; 0: none
		want     [][]string
		whole    [][]string // each partition's sidecar (part.N.whole), nil where it has none
	}{
		{"whole", 10, []scan.Entry{dirEntry("a", 2, 0), file("a/1", 1), file("a/2", 1), dirEntry("b", 1, 0), file("b/1", 1), file("c", 1)}, 0,
			[][]string{{"a/", "b/", "c"}}, [][]string{{"a/", "a/1", "a/2", "b/", "b/1"}}},
		{"excluded entry", 10, []scan.Entry{dirEntry("a", 2, 1), file("a/1", 1), file("a/2", 1)}, 0,
			[][]string{{"a", "a/1", "a/2"}}, [][]string{nil}},
		{"skipped entry", 10, []scan.Entry{dirEntry("a", 2, 0), file("a/1", 1), file("a/2", 1), file("c", 1)}, 2,
			[][]string{{"a", "a/1", "a/2", "c"}}, [][]string{nil}},
		{"subdirectory", 10, []scan.Entry{dirEntry("a", 2, 0), file("a/1", 1), dirEntry("a/d", 1, 0), file("a/d/x", 1)}, 0,
			[][]string{{"a", "a/1", "a/d/"}}, [][]string{{"a/d/", "a/d/x"}}},
		{"split by -f", 3, []scan.Entry{dirEntry("a", 3, 0), file("a/1", 1), file("a/2", 1), file("a/3", 1), dirEntry("b", 1, 0), file("b/1", 1)}, 0,
			[][]string{{"a", "a/1", "a/2"}, {"a/3", "b/"}}, [][]string{nil, {"b/", "b/1"}}},
		{"empty directory", 10, []scan.Entry{dirEntry("e", 0, 0), dirEntry("f", 1, 0), file("f/1", 1)}, 0,
			[][]string{{"e", "f/"}}, [][]string{{"f/", "f/1"}}},
		{"last entry", 10, []scan.Entry{file("0", 1), dirEntry("z", 1, 0), file("z/1", 1)}, 0,
			[][]string{{"0", "z/"}}, [][]string{{"z/", "z/1"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := newDir(t)
			p, err := New(dir, Options{MaxFiles: tc.maxFiles, MaxBytes: 1 << 20, Tool: tool.Rsync{}, WholeDirs: true})
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range tc.entries {
				if tc.skipAt > 0 && i == tc.skipAt {
					if err := p.Skip(scan.Skip{Path: "a/gone", Reason: "vanished"}); err != nil {
						t.Fatal(err)
					}
				}
				if err := p.Add(e); err != nil {
					t.Fatal(err)
				}
			}
			parts, totals, err := p.Close()
			if err != nil {
				t.Fatal(err)
			}
			var got, gotWhole [][]string
			var entries int64
			for i, part := range parts {
				data, err := os.ReadFile(dir.PartFile(strconv.Itoa(i)))
				if err != nil {
					t.Fatal(err)
				}
				lines := strings.Split(strings.TrimSuffix(string(data), "\x00"), "\x00")
				got = append(got, lines)
				entries += part.Entries
				var whole []string
				if data, err := os.ReadFile(dir.WholeFile(i)); err == nil {
					whole = strings.Split(strings.TrimSuffix(string(data), "\x00"), "\x00")
				} else if !os.IsNotExist(err) {
					t.Fatal(err)
				}
				gotWhole = append(gotWhole, whole)
				var wholeLines int64
				for _, l := range lines {
					if strings.HasSuffix(l, "/") {
						wholeLines++
					}
				}
				if part.WholeDirs != wholeLines {
					t.Errorf("part %d: WholeDirs %d, the part file has %d whole-directory lines", i, part.WholeDirs, wholeLines)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("part files %q, want %q", got, tc.want)
			}
			if !reflect.DeepEqual(gotWhole, tc.whole) {
				t.Errorf("sidecars %q, want %q", gotWhole, tc.whole)
			}
			if entries != int64(len(tc.entries)) || totals.Listed != int64(len(tc.entries)) {
				t.Errorf("partitions count %d entries, totals %d listed; %d were added", entries, totals.Listed, len(tc.entries))
			}
		})
	}
}

// TestLargestFirstMovesSidecars: renumbering moves each part file's
// whole-directory sidecar with it, and leaves none where a part file has
// no whole-directory line.
func TestLargestFirstMovesSidecars(t *testing.T) {
	dir := newDir(t)
	entries := []scan.Entry{dirEntry("a", 1, 0), file("a/1", 1), dirEntry("b", 1, 0), file("b/1", 100), file("c", 50)}
	parts, _, _ := feed(t, dir, Options{MaxFiles: 2, MaxBytes: 1 << 40, Tool: tool.Rsync{}, WholeDirs: true}, entries, nil)
	sorted, err := LargestFirst(dir, parts, Auto{FileCost: 1})
	if err != nil {
		t.Fatal(err)
	}
	wantParts := []string{"b/\x00", "c\x00", "a/\x00"}
	wantWhole := []string{"b/\x00b/1\x00", "", "a/\x00a/1\x00"}
	for i := range sorted {
		part, err := os.ReadFile(dir.PartFile(strconv.Itoa(i)))
		if err != nil {
			t.Fatal(err)
		}
		whole, err := os.ReadFile(dir.WholeFile(i))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if string(part) != wantParts[i] || string(whole) != wantWhole[i] || (sorted[i].WholeDirs > 0) != (wantWhole[i] != "") {
			t.Errorf("part %d: %q with sidecar %q (WholeDirs %d); want %q with %q", i, part, whole, sorted[i].WholeDirs, wantParts[i], wantWhole[i])
		}
	}
	left, err := os.ReadDir(dir.PartsDir())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	if want := []string{"dirs", "part.0", "part.0.whole", "part.1", "part.2", "part.2.whole"}; !reflect.DeepEqual(names, want) {
		t.Errorf("parts/ holds %q, want %q (no temporary left)", names, want)
	}
}
