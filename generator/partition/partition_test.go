package partition

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/scan"
	"github.com/partsync/partsync/generator/tool"
)

func newDir(t *testing.T) plan.Dir {
	t.Helper()
	dir, err := plan.Create(t.TempDir(), "t")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func file(path string, size int64) scan.Entry {
	return scan.Entry{Path: path, Type: scan.File, Size: size}
}

// feed partitions entries and returns the part files' lines.
func feed(t *testing.T, dir plan.Dir, opts Options, entries []scan.Entry, skips []scan.Skip) ([]plan.Partition, plan.Totals, [][]string) {
	t.Helper()
	p, err := New(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := p.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range skips {
		if err := p.Skip(s); err != nil {
			t.Fatal(err)
		}
	}
	parts, totals, err := p.Close()
	if err != nil {
		t.Fatal(err)
	}
	var lists [][]string
	for i := range parts {
		data, err := os.ReadFile(dir.PartFile(strconv.Itoa(i)))
		if err != nil {
			t.Fatal(err)
		}
		sep := string(opts.Tool.Separator())
		if !strings.HasSuffix(string(data), sep) {
			t.Fatalf("part %d does not end with the separator %q: %q", i, sep, data)
		}
		lists = append(lists, strings.Split(strings.TrimSuffix(string(data), sep), sep))
	}
	return parts, totals, lists
}

func TestLimits(t *testing.T) {
	entries := []scan.Entry{
		{Path: "d", Type: scan.Dir, Children: 5},
		file("d/a", 40), file("d/b", 40), file("d/c", 40), // a+b fit 100 bytes with d, c does not
		file("d/huge", 500),                               // larger than -s: a partition of its own
		file("d/e", 10), file("d/f", 10), file("d/g", 10), // -f 3 closes after three entries
		{Path: "d/l", Type: scan.Symlink, Size: 7}, // links count as entries, not bytes
	}
	parts, totals, lists := feed(t, newDir(t), Options{MaxFiles: 3, MaxBytes: 100, Tool: tool.Rsync{}}, entries, nil)
	want := [][]string{{"d", "d/a", "d/b"}, {"d/c"}, {"d/huge"}, {"d/e", "d/f", "d/g"}, {"d/l"}}
	if !reflect.DeepEqual(lists, want) {
		t.Fatalf("partitions = %q; want %q", lists, want)
	}
	wantParts := []plan.Partition{{Entries: 3, Files: 2, Bytes: 80}, {Entries: 1, Files: 1, Bytes: 40}, {Entries: 1, Files: 1, Bytes: 500}, {Entries: 3, Files: 3, Bytes: 30}, {Entries: 1}}
	if !reflect.DeepEqual(parts, wantParts) {
		t.Errorf("partition stats = %+v; want %+v", parts, wantParts)
	}
	if totals.Listed != 9 || totals.ListedBytes != 650 || totals.Skipped != 0 {
		t.Errorf("totals = %+v", totals)
	}
	for i, p := range parts {
		if p.Entries > 3 || (p.Bytes > 100 && p.Files != 1) {
			t.Errorf("partition %d breaks the limits: %+v", i, p)
		}
	}
}

func TestEncodingAndSkips(t *testing.T) {
	entries := []scan.Entry{
		{Path: "dir", Type: scan.Dir, Children: 3},
		file("dir/new\nline", 1),
		file("dir/bad\xffname", 2),
		{Path: "dir/empty", Type: scan.Dir, Children: 0},
		{Path: "dir/link", Type: scan.Symlink},
		file("dir/plain file", 3),
	}
	skips := []scan.Skip{{Path: "dir/gone", Reason: "vanished during the scan"}}

	_, totals, lists := feed(t, newDir(t), Options{MaxFiles: 100, MaxBytes: 1 << 20, Tool: tool.Rsync{}}, entries, skips)
	if want := [][]string{{"dir", "dir/new\nline", "dir/bad\xffname", "dir/empty", "dir/link", "dir/plain file"}}; !reflect.DeepEqual(lists, want) {
		t.Errorf("rsync lists = %q; want %q", lists, want)
	}
	if totals.Skipped != 1 {
		t.Errorf("rsync skipped %d; want only the scanner's 1", totals.Skipped)
	}

	dir := newDir(t)
	_, totals, lists = feed(t, dir, Options{MaxFiles: 100, MaxBytes: 1 << 20, Tool: tool.Rclone{}}, entries, skips)
	if want := [][]string{{"dir/plain file"}}; !reflect.DeepEqual(lists, want) {
		t.Errorf("rclone lists = %q; want %q", lists, want)
	}
	if totals.Skipped != 5 || totals.Implied != 1 || totals.SkippedBytes != 3 || totals.Listed != 1 {
		t.Errorf("rclone totals = %+v; want 5 skipped (newline, utf-8, empty dir, link, vanished), 1 implied, 3 skipped bytes", totals)
	}
	skipped, err := os.ReadFile(dir.SkippedFile())
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(skipped), "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("skipped has %d lines; want 5:\n%s", len(lines), skipped)
	}
	for _, want := range []string{`"dir/new\nline"` + "\t", `"dir/bad\xffname"` + "\t", `"dir/empty"` + "\tempty directory", `"dir/link"` + "\tsymbolic link", `"dir/gone"` + "\tvanished"} {
		if !bytes.Contains(skipped, []byte(want)) {
			t.Errorf("skipped lacks %q:\n%s", want, skipped)
		}
	}
	for _, l := range lines {
		quoted, _, _ := strings.Cut(l, "\t")
		if _, err := strconv.Unquote(quoted); err != nil {
			t.Errorf("skipped line %q: path does not unquote: %v", l, err)
		}
	}
}

func TestRcloneDirWithNothingCopyableIsSkipped(t *testing.T) {
	entries := []scan.Entry{
		{Path: "a", Type: scan.Dir, Children: 1},
		{Path: "a/deep", Type: scan.Dir, Children: 1},
		file("a/deep/f", 1),                        // a and a/deep are created by this file
		{Path: "a-b", Type: scan.Dir, Children: 1}, // sorts after a/..., holds only an empty dir
		{Path: "a-b/empty", Type: scan.Dir, Children: 0},
		{Path: "c", Type: scan.Dir, Children: 1}, // holds only a link
		{Path: "c/l", Type: scan.Symlink},
		{Path: "u", Type: scan.Dir, Children: -1}, // unreadable: the scanner reports it
	}
	dir := newDir(t)
	_, totals, _ := feed(t, dir, Options{MaxFiles: 10, MaxBytes: 10, Tool: tool.Rclone{}}, entries, nil)
	skipped, _ := os.ReadFile(dir.SkippedFile())
	for _, want := range []string{`"a-b"` + "	directory holds no file", `"a-b/empty"`, `"c"` + "	directory holds no file", `"c/l"`} {
		if !bytes.Contains(skipped, []byte(want)) {
			t.Errorf("skipped lacks %q:\n%s", want, skipped)
		}
	}
	if totals.Implied != 3 || totals.Skipped != 4 || totals.Listed != 1 {
		t.Errorf("totals = %+v; want implied 3 (a, a/deep, u), skipped 4, listed 1", totals)
	}
	if bytes.Contains(skipped, []byte(`"a"`)) || bytes.Contains(skipped, []byte(`"u"`)) {
		t.Errorf("a created or u reported twice:\n%s", skipped)
	}
}

func TestEmptySourceHasNoPartitions(t *testing.T) {
	dir := newDir(t)
	parts, totals, _ := feed(t, dir, Options{MaxFiles: 10, MaxBytes: 10, Tool: tool.Rsync{}}, nil, nil)
	if len(parts) != 0 || totals.Listed != 0 {
		t.Errorf("empty source: %d partitions, %+v", len(parts), totals)
	}
	if ents, _ := os.ReadDir(dir.PartsDir()); len(ents) != 0 {
		t.Errorf("parts dir holds %d files; want none", len(ents))
	}
}

func TestBadLimits(t *testing.T) {
	for _, o := range []Options{{MaxFiles: 0, MaxBytes: 1}, {MaxFiles: 1, MaxBytes: 0}, {MaxFiles: -5, MaxBytes: -1}} {
		o.Tool = tool.Rsync{}
		if _, err := New(newDir(t), o); !errors.Is(err, ErrLimits) {
			t.Errorf("New(%+v) = %v; want ErrLimits", o, err)
		}
	}
}

func TestManyPartitionsStream(t *testing.T) {
	// 10,000 entries at 7 per partition: partition count and order are exact,
	// and no temporary files are left behind.
	dir := newDir(t)
	var entries []scan.Entry
	for i := range 10000 {
		entries = append(entries, file(fmt.Sprintf("f%05d", i), 1))
	}
	parts, _, lists := feed(t, dir, Options{MaxFiles: 7, MaxBytes: 1 << 30, Tool: tool.Rclone{}}, entries, nil)
	if len(parts) != (10000+6)/7 {
		t.Fatalf("%d partitions; want %d", len(parts), (10000+6)/7)
	}
	n := 0
	for _, l := range lists {
		for _, p := range l {
			if p != fmt.Sprintf("f%05d", n) {
				t.Fatalf("entry %d is %q", n, p)
			}
			n++
		}
	}
	ents, _ := os.ReadDir(dir.PartsDir())
	if len(ents) != len(parts) {
		t.Errorf("parts dir holds %d files; want %d (no temporary files)", len(ents), len(parts))
	}
}

// TestTickClosesAfterOpenFor: with OpenFor, Tick closes a partition that
// holds an entry once it has been open that long, and nothing else: not an
// empty one, not a young one, and never without OpenFor.
func TestTickClosesAfterOpenFor(t *testing.T) {
	now := time.Unix(1000, 0)
	var closed []int
	opts := Options{MaxFiles: 100, MaxBytes: 1 << 30, Tool: tool.Rsync{}, OpenFor: time.Second, Now: func() time.Time { return now },
		Closed: func(i int, _ plan.Partition) error { closed = append(closed, i); return nil }}
	p, err := New(newDir(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	tick := func() {
		t.Helper()
		if err := p.Tick(); err != nil {
			t.Fatal(err)
		}
	}
	tick() // nothing open
	now = now.Add(5 * time.Second)
	tick()
	for _, step := range []struct {
		path  string
		after time.Duration
	}{{"a", 0}, {"b", 900 * time.Millisecond}, {"c", 200 * time.Millisecond}, {"d", 0}} {
		now = now.Add(step.after)
		tick()
		if err := p.Add(file(step.path, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if len(closed) != 1 {
		t.Fatalf("closed %v after a and b (1.1 s), want [0]", closed)
	}
	parts, _, err := p.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 2 || parts[0].Entries != 2 || parts[1].Entries != 2 {
		t.Errorf("partitions %+v, want a,b then c,d", parts)
	}

	opts.OpenFor, closed = 0, nil
	p, err = New(newDir(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Add(file("a", 1)); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	tick()
	if len(closed) != 0 {
		t.Errorf("closed %v without OpenFor", closed)
	}
}
