package tool

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// What `partsync verify` runs for a partition: the tool compares DST with
// the partition's entries and names each one missing at DST or differing.
//
//   - rsync: the partition's argv with --dry-run --itemize-changes (and
//     --checksum): each itemized line is an entry rsync would change, by
//     its default test, size and mtime; "+++++++++" in its flags means it is
//     missing at DST.
//   - rclone takes the remote's options of -o (RcloneRemoteOptions), not
//     the copy's (--size-only would make rclone check compare sizes only).
//   - rclone, by default: `rclone lsjson` of the partition's files at SRC
//     and at DST (--files-from-raw, so rclone reads each listed object and
//     no other): an entry is missing when DST does not list it, and differs
//     when its size or mtime does, which is the test rclone copy makes.
//     rclone check has no mtime mode (it compares size and hash).
//   - rclone with Checksum: rclone check --one-way over the part file with
//     the hashes both sides have (local files are read; S3 keeps the MD5),
//     writing the missing and differing paths to the files VerifyJob
//     names; when SRC and DST share no hash the partition is not compared
//     (ErrNoCommonHash), rather than compared by size alone.

// ErrNoCommonHash is wrapped when rclone found no hash that both SRC and
// DST keep, so --checksum cannot compare content.
var ErrNoCommonHash = errors.New("SRC and DST have no hash in common")

// VerifyJob is a partition to compare with DST.
type VerifyJob struct {
	Job
	Checksum bool   // compare content, not only size and mtime
	Missing  string // rclone check: the file that receives the paths missing at DST
	Differ   string // rclone check: the file that receives the paths that differ
}

// VerifyCommands are the commands comparing the partition of j with DST,
// run one after the other; VerifyFindings reads their standard outputs.
func VerifyCommands(name string, j VerifyJob) [][]string {
	if name != "rclone" {
		job := j.Job
		job.DryRun = true
		job.Options = append(append([]string{}, job.Options...), "--itemize-changes")
		if j.Checksum {
			job.Options = append(job.Options, "--checksum")
		}
		return [][]string{Rsync{}.Argv(job)}
	}
	remote := RcloneRemoteOptions(j.Options)
	if j.Checksum {
		return [][]string{append(append([]string{"rclone", "check"}, remote...), "--one-way", "--files-from-raw", j.PartFile,
			"--missing-on-dst", j.Missing, "--differ", j.Differ, j.Source, j.Destination)}
	}
	list := func(root string) []string {
		return append(append([]string{"rclone", "lsjson"}, remote...), "-R", "--files-only", "--no-mimetype", "--files-from-raw", j.PartFile, root)
	}
	return [][]string{list(j.Source), list(j.Destination)}
}

// VerifyExitOK reports whether exit code code of command k of
// VerifyCommands is an answer rather than a failure: rclone check exits 1
// when it found differences.
func VerifyExitOK(name string, j VerifyJob, code int) bool {
	return code == 0 || name == "rclone" && j.Checksum && code == 1
}

// rsyncItem matches an itemized line of rsync: YXcstpoguax and the path.
var rsyncItem = regexp.MustCompile(`^[<>ch.*][fdLDS][.+ ?a-zA-Z]{9,10} (.*)$`)

// VerifyFindings reads what the tool named, from the standard outputs of
// VerifyCommands (one per command, in order) and, for rclone check, its
// files and standard error: paths missing at DST and paths that differ.
func VerifyFindings(name string, j VerifyJob, outs []io.Reader, stderr string) (missing, differing []string, err error) {
	switch {
	case name == "rclone" && j.Checksum:
		if strings.Contains(stderr, "No common hash found") {
			return nil, nil, fmt.Errorf("%w: content not compared (rclone check --download reads both sides' bytes)", ErrNoCommonHash)
		}
		if missing, err = readLines(j.Missing); err != nil {
			return nil, nil, err
		}
		differing, err = readLines(j.Differ)
		return missing, differing, err
	case name == "rclone":
		window, err := RcloneModifyWindow(j.Options)
		if err != nil {
			return nil, nil, err
		}
		return compareListings(outs[0], outs[1], window)
	}
	sc := bufio.NewScanner(outs[0])
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		m := rsyncItem.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		path := strings.TrimSuffix(m[1], "/")
		if path == "." || path == "" {
			continue
		}
		if strings.Contains(line[2:12], "+++++++++") {
			missing = append(missing, path)
		} else {
			differing = append(differing, path)
		}
	}
	return missing, differing, sc.Err()
}

// listed is an object of `rclone lsjson`.
type listed struct {
	Path    string
	Size    int64
	ModTime time.Time
}

// compareListings names the entries of the SRC listing src that the DST
// listing dst lacks, or holds with another size or with an mtime more than
// window away (rclone copy's test). An entry gone from SRC since the copy
// is not compared.
func compareListings(src, dst io.Reader, window time.Duration) (missing, differing []string, err error) {
	at := map[string]listed{}
	if err := eachListed(dst, func(l listed) { at[l.Path] = l }); err != nil {
		return nil, nil, fmt.Errorf("DST listing: %w", err)
	}
	err = eachListed(src, func(l listed) {
		d, ok := at[l.Path]
		switch {
		case !ok:
			missing = append(missing, l.Path)
		case d.Size != l.Size || !withinWindow(d.ModTime, l.ModTime, window):
			differing = append(differing, l.Path)
		}
	})
	if err != nil {
		return nil, nil, fmt.Errorf("SRC listing: %w", err)
	}
	return missing, differing, nil
}

// withinWindow reports whether a and b are at most window apart.
func withinWindow(a, b time.Time, window time.Duration) bool {
	d := a.Sub(b)
	return d <= window && -d <= window
}

// RcloneModifyWindow is the --modify-window of rclone options opts, the
// last one given (0 without one): mtimes at most this far apart are equal
// to rclone copy, and so to verify. opts that -o refuses are an error.
func RcloneModifyWindow(opts []string) (time.Duration, error) {
	read, err := rcloneOptions.check(opts)
	if err != nil {
		return 0, err
	}
	v, given := read.last("--modify-window")
	if !given {
		return 0, nil
	}
	return parseRcloneDuration(v) // checked already, by its parse
}

// rcloneDurationUnits are the suffixes rclone takes on a duration besides
// Go's (a number alone is seconds).
var rcloneDurationUnits = map[string]time.Duration{
	"": time.Second, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour, "M": 30 * 24 * time.Hour, "y": 365 * 24 * time.Hour,
}

// parseRcloneDuration reads a duration as rclone's options take it: Go's
// form (2s, 1h30m), a number of seconds, or a number with d, w, M or y;
// "off" is the longest duration.
func parseRcloneDuration(v string) (time.Duration, error) {
	if v == "off" {
		return time.Duration(math.MaxInt64), nil
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return d, nil
	}
	number := strings.TrimRight(v, "dwMy")
	unit, ok := rcloneDurationUnits[v[len(number):]]
	f, err := strconv.ParseFloat(number, 64)
	if !ok || err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) || f*float64(unit) > math.MaxInt64 {
		return 0, errors.New("give a duration as rclone reads it: 2s, 1h30m, 1.5d or off")
	}
	return time.Duration(f * float64(unit)), nil
}

// eachListed decodes the JSON array of `rclone lsjson` one object at a time.
func eachListed(r io.Reader, f func(listed)) error {
	dec := json.NewDecoder(bufio.NewReader(r))
	if _, err := dec.Token(); err != nil { // [
		return err
	}
	for dec.More() {
		var l listed
		if err := dec.Decode(&l); err != nil {
			return err
		}
		f(l)
	}
	_, err := dec.Token() // ]
	return err
}

func readLines(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out, nil
}
