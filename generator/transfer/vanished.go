package transfer

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/tool"
)

// vanishedShown is how many vanished entries a warning names.
const vanishedShown = 5

// onlyVanished watches the tool's error output and remembers whether every
// line in it was about a missing source entry.
type onlyVanished struct {
	tool    string
	lines   int
	other   bool
	partial []byte
}

func (o *onlyVanished) Write(p []byte) (int, error) {
	o.partial = append(o.partial, p...)
	for {
		i := bytes.IndexByte(o.partial, '\n')
		if i < 0 {
			break
		}
		o.line(string(o.partial[:i]))
		o.partial = o.partial[i+1:]
	}
	if len(o.partial) > 64<<10 { // no line is that long: not a vanished message
		o.other, o.partial = true, o.partial[:0]
	}
	return len(p), nil
}

func (o *onlyVanished) line(l string) {
	l = strings.TrimRight(l, "\r")
	if strings.TrimSpace(l) == "" {
		return
	}
	o.lines++
	if !tool.VanishedLine(o.tool, l) {
		o.other = true
	}
}

// done reports whether the output held vanished lines and nothing else.
func (o *onlyVanished) done() bool {
	if len(bytes.TrimSpace(o.partial)) > 0 {
		o.line(string(o.partial))
	}
	return o.lines > 0 && !o.other
}

// checkVanished turns an attempt into a success with a warning when the
// only thing missing at the destination is what no longer exists in the
// source: rsync failed with exit 23/24 and only messages about missing
// entries, or rclone succeeded (it skips missing entries silently). It
// lists the entries of the part file that are gone from the source.
func checkVanished(p *plan.Plan, part int, st *plan.Status, out *onlyVanished) error {
	switch {
	case st.OK && tool.SkipsMissingSilently(p.Tool):
	case !st.OK && tool.VanishedExit(p.Tool, st.ExitCode) && out.done():
	default:
		return nil
	}
	t, err := tool.Lookup(p.Tool)
	if err != nil {
		return err
	}
	partFile := p.Dir().PartFile(strconv.Itoa(part))
	if part == plan.DirsPart { // the directory step's list: a directory may vanish too
		partFile = p.Dir().DirsFile()
	}
	data, err := os.ReadFile(partFile)
	if err != nil {
		return fmt.Errorf("part %d: %w", part, err)
	}
	paths, err := plan.ParsePart(data, t.Separator())
	if err != nil {
		return fmt.Errorf("%s: %w", partFile, err)
	}
	var gone []string
	for _, rel := range paths {
		if _, err := os.Lstat(filepath.Join(p.Source, rel)); errors.Is(err, fs.ErrNotExist) {
			gone = append(gone, rel)
		}
	}
	if len(gone) == 0 {
		return nil // rsync's complaint is not explained by the source: a real failure
	}
	shown := make([]string, 0, vanishedShown)
	for _, g := range gone[:min(len(gone), vanishedShown)] {
		shown = append(shown, strconv.Quote(g))
	}
	more := ""
	if len(gone) > vanishedShown {
		more = fmt.Sprintf(" and %d more (all in status/%d.json)", len(gone)-vanishedShown, part)
	}
	st.OK, st.Error, st.Vanished = true, "", gone
	st.Warning = fmt.Sprintf("%d listed entries vanished from the source after the scan and were not copied: %s%s",
		len(gone), strings.Join(shown, ", "), more)
	return nil
}
