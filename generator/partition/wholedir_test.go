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
	}{
		{"whole", 10, []scan.Entry{dirEntry("a", 2, 0), file("a/1", 1), file("a/2", 1), dirEntry("b", 1, 0), file("b/1", 1), file("c", 1)}, 0,
			[][]string{{"a/", "b/", "c"}}},
		{"excluded entry", 10, []scan.Entry{dirEntry("a", 2, 1), file("a/1", 1), file("a/2", 1)}, 0,
			[][]string{{"a", "a/1", "a/2"}}},
		{"skipped entry", 10, []scan.Entry{dirEntry("a", 2, 0), file("a/1", 1), file("a/2", 1), file("c", 1)}, 2,
			[][]string{{"a", "a/1", "a/2", "c"}}},
		{"subdirectory", 10, []scan.Entry{dirEntry("a", 2, 0), file("a/1", 1), dirEntry("a/d", 1, 0), file("a/d/x", 1)}, 0,
			[][]string{{"a", "a/1", "a/d/"}}},
		{"split by -f", 3, []scan.Entry{dirEntry("a", 3, 0), file("a/1", 1), file("a/2", 1), file("a/3", 1), dirEntry("b", 1, 0), file("b/1", 1)}, 0,
			[][]string{{"a", "a/1", "a/2"}, {"a/3", "b/"}}},
		{"empty directory", 10, []scan.Entry{dirEntry("e", 0, 0), dirEntry("f", 1, 0), file("f/1", 1)}, 0,
			[][]string{{"e", "f/"}}},
		{"last entry", 10, []scan.Entry{file("0", 1), dirEntry("z", 1, 0), file("z/1", 1)}, 0,
			[][]string{{"0", "z/"}}},
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
			var got [][]string
			var entries int64
			for i, part := range parts {
				data, err := os.ReadFile(dir.PartFile(strconv.Itoa(i)))
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, strings.Split(strings.TrimSuffix(string(data), "\x00"), "\x00"))
				entries += part.Entries
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("part files %q, want %q", got, tc.want)
			}
			if entries != int64(len(tc.entries)) || totals.Listed != int64(len(tc.entries)) {
				t.Errorf("partitions count %d entries, totals %d listed; %d were added", entries, totals.Listed, len(tc.entries))
			}
		})
	}
}
