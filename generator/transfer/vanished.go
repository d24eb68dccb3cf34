package transfer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/partsync/partsync/generator/lines"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/plural"
	"github.com/partsync/partsync/generator/tool"
)

// onlyVanished watches the tool's error output and remembers whether every
// line in it was about a missing source entry.
type onlyVanished struct {
	tool  string
	seen  int // non-blank lines
	other bool
	w     lines.Writer
}

// maxVanishedLine is longer than any message about a missing entry.
const maxVanishedLine = 64 << 10

func (o *onlyVanished) Write(p []byte) (int, error) {
	if o.w.Line == nil {
		o.w = lines.Writer{Line: o.line, Max: maxVanishedLine}
	}
	return o.w.Write(p)
}

func (o *onlyVanished) line(b []byte) {
	l := strings.TrimRight(string(b), "\r\n")
	if strings.TrimSpace(l) == "" {
		return
	}
	o.seen++
	if len(l) > maxVanishedLine || !tool.VanishedLine(o.tool, l) { // a longer piece is not a vanished message
		o.other = true
	}
}

// done reports whether the output held vanished lines and nothing else.
func (o *onlyVanished) done() bool {
	o.w.Flush()
	return o.seen > 0 && !o.other
}

// checkVanished turns an attempt into a success with a warning when the
// only thing missing at the destination is what no longer exists in the
// source: rsync failed with exit 23/24 and only messages about missing
// entries, or rclone succeeded (it skips missing entries silently). It
// lists the entries of the part file that are gone from the source. After
// an attempt that succeeds, a partition with whole-directory lines is
// compared with the source as well (whole.go): the entries deleted from
// those directories are listed with the others, those added to them are
// named in the warning.
func checkVanished(p *plan.Plan, part int, st *plan.Status, out *onlyVanished) error {
	listed := st.OK && tool.SkipsMissingSilently(p.Tool) ||
		!st.OK && tool.VanishedExit(p.Tool, st.ExitCode) && out.done()
	whole := (st.OK || listed) && part >= 0 && part < p.Count() && p.Partitions[part].WholeDirs > 0
	if !listed && !whole {
		return nil
	}
	t, err := tool.Lookup(p.Tool)
	if err != nil {
		return err
	}
	var gone []string
	if listed {
		if gone, err = goneListed(p, part, t); err != nil {
			return err
		}
	}
	var w wholeCheck
	if whole {
		if w, err = checkWhole(p, part, t.Separator()); err != nil {
			return fmt.Errorf("part %d: %w", part, err)
		}
		gone = append(gone, w.gone...)
	}
	slices.Sort(gone)
	gone = slices.Compact(gone) // a vanished whole directory is found by both
	if !st.OK && len(gone) == 0 {
		return nil // rsync's complaint is not explained by the source: a real failure
	}
	var warnings []string
	if len(gone) > 0 {
		st.OK, st.Error, st.Vanished = true, "", gone
		warnings = append(warnings, fmt.Sprintf("%s vanished from the source after the scan and %s not copied: %s",
			plural.Count(len(gone), "listed entry"), plural.Form(len(gone), "was", "were"), shortList(gone, part)))
	}
	if len(w.added) > 0 {
		st.Added = w.added
		warnings = append(warnings, fmt.Sprintf("%s added after the scan to directories copied whole %s copied with them (in no count of the plan): %s",
			plural.Count(len(w.added), "entry"), plural.Form(len(w.added), "was", "were"), shortList(w.added, part)))
	}
	if len(w.notCopied) > 0 {
		st.NotCopied = w.notCopied
		warnings = append(warnings, fmt.Sprintf("%s added after the scan to directories copied whole %s not copied (added after the tool read the directory; a later run copies them): %s",
			plural.Count(len(w.notCopied), "entry"), plural.Form(len(w.notCopied), "was", "were"), shortList(w.notCopied, part)))
	}
	warnings = append(warnings, w.problems...)
	st.Warning = strings.Join(warnings, "; ")
	return nil
}

// goneListed lists the entries of the part file that are gone from the
// source, by their source paths; a whole-directory line counts as its
// directory, and a line in the tool's own naming (ListNamer) is looked up
// under the name it stands for.
func goneListed(p *plan.Plan, part int, t tool.Tool) ([]string, error) {
	partFile := p.Dir().PartFile(strconv.Itoa(part))
	if part == plan.DirsPart { // the directory step's list: a directory may vanish too
		partFile = p.Dir().DirsFile()
	}
	data, err := os.ReadFile(partFile)
	if err != nil {
		return nil, fmt.Errorf("part %d: %w", part, err)
	}
	paths, err := plan.ParsePart(data, t.Separator())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", partFile, err)
	}
	namer, _ := t.(tool.ListNamer)
	var gone []string
	for _, rel := range paths {
		if namer != nil {
			rel = namer.SourceName(rel)
		}
		if _, err := os.Lstat(filepath.Join(p.Source, rel)); errors.Is(err, fs.ErrNotExist) {
			gone = append(gone, strings.TrimSuffix(rel, "/"))
		}
	}
	return gone, nil
}

// shortList quotes the first paths of a list, saying how many more the
// status file of part holds.
func shortList(paths []string, part int) string {
	return plan.ShortList(paths, int64(len(paths)), fmt.Sprintf("status/%d.json", part))
}
