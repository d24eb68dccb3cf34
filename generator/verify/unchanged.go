package verify

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/partsync/partsync/generator/fanout"
	"github.com/partsync/partsync/generator/manifest"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/tool"
)

// unchangedChunk is how many entries one list of unchanged entries holds
// (lists are compared -n at once).
const unchangedChunk = 20000

// compareUnchanged compares with DST what an incremental run did not list:
// the entries of its manifest (the whole source as its scan saw it) that no
// partition holds. Their copies at DST come from the base run, or earlier;
// a run that compared only its partitions would not see one deleted or
// changed at DST since. The entries the tool lists (tool.Classify) are
// written in lists of unchangedChunk to verify/unchanged.K and compared as
// partitions are, -n at once.
func compareUnchanged(ctx context.Context, p *plan.Plan, o Options) (checked int64, missing, differing []string, failed []plan.VerifyFailure, err error) {
	lists, checked, err := writeUnchanged(p)
	if err != nil {
		return 0, nil, nil, nil, fmt.Errorf("verify %s: the unchanged entries: %w", p.RunID, err)
	}
	var mu sync.Mutex
	fanout.Each(ctx, len(lists), max(o.Jobs, 1), func(k int) {
		index := "unchanged." + strconv.Itoa(k)
		m, d, fail := compare(ctx, p, -1, index, lists[k], o)
		mu.Lock()
		defer mu.Unlock()
		missing, differing = append(missing, m...), append(differing, d...)
		if fail != nil {
			fail.Error = index + " (" + lists[k] + "): " + fail.Error
			failed = append(failed, *fail)
		}
	})
	if err := ctx.Err(); err != nil {
		return 0, nil, nil, nil, fmt.Errorf("verify %s interrupted: %w", p.RunID, err)
	}
	return checked, missing, differing, failed, nil
}

// writeUnchanged writes the lists of compareUnchanged and returns their
// files and the number of entries listed.
func writeUnchanged(p *plan.Plan) (lists []string, n int64, err error) {
	t, err := tool.Lookup(p.Tool)
	if err != nil {
		return nil, 0, err
	}
	inParts, err := partitioned(p, t)
	if err != nil {
		return nil, 0, err
	}
	r, err := manifest.Open(p.Dir().ManifestFile())
	if err != nil {
		return nil, 0, err
	}
	defer func() { _ = r.Close() }()
	if err := os.MkdirAll(p.Dir().VerifyDir(), 0o755); err != nil {
		return nil, 0, err
	}
	namer, _ := t.(tool.ListNamer)
	sep := t.Separator()
	var w *bufio.Writer
	var f *os.File
	closeList := func() error {
		if f == nil {
			return nil
		}
		err := w.Flush()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		f = nil
		return err
	}
	var inList int
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			_ = closeList()
			return nil, 0, err
		}
		if rec.Skipped || rec.Entry.Path == "" || rec.Entry.Path == "." || !t.Classify(rec.Entry).List {
			continue
		}
		name := rec.Entry.Path
		if namer != nil {
			name = namer.ListName(name)
		}
		if inParts[name] {
			continue
		}
		if f == nil || inList == unchangedChunk {
			if err := closeList(); err != nil {
				return nil, 0, err
			}
			file := filepath.Join(p.Dir().VerifyDir(), "unchanged."+strconv.Itoa(len(lists)))
			if f, err = os.Create(file); err != nil {
				return nil, 0, err
			}
			w, inList = bufio.NewWriter(f), 0
			lists = append(lists, file)
		}
		_, _ = w.WriteString(name)
		_ = w.WriteByte(sep)
		inList++
		n++
	}
	return lists, n, closeList()
}

// partitioned is the set of the lines of the run's part files: what its
// partitions compare already.
func partitioned(p *plan.Plan, t tool.Tool) (map[string]bool, error) {
	set := map[string]bool{}
	for i := range p.Count() {
		data, err := os.ReadFile(p.Dir().PartFile(strconv.Itoa(i)))
		if err != nil {
			return nil, err
		}
		for _, line := range splitList(data, t.Separator()) {
			set[line] = true
		}
	}
	return set, nil
}

// splitList splits a part file at sep, dropping empty lines.
func splitList(data []byte, sep byte) []string {
	var out []string
	for line := range bytes.SplitSeq(data, []byte{sep}) {
		if len(line) > 0 {
			out = append(out, string(line))
		}
	}
	return out
}
