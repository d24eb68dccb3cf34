package tool

import (
	"bufio"
	"io"
	"os"
	"regexp"
	"strings"
)

// What `partsync verify` runs for a partition: the tool compares DST with
// the partition's entries and names each one missing at DST or differing.
//
//   - rsync: the partition's argv with --dry-run --itemize-changes (and
//     --checksum): each itemized line is an entry rsync would change;
//     "+++++++++" in its flags means it is missing at DST.
//   - rclone: rclone check --one-way over the part file, --size-only
//     (--download with --checksum: both sides' bytes are compared), writing
//     the missing and differing paths to the files VerifyJob names.

// VerifyJob is a partition to compare with DST.
type VerifyJob struct {
	Job
	Checksum bool   // compare content, not only size and mtime
	Missing  string // rclone: the file that receives the paths missing at DST
	Differ   string // rclone: the file that receives the paths that differ
}

// VerifyArgv is the command comparing the partition of j with DST.
func VerifyArgv(name string, j VerifyJob) []string {
	if name == "rclone" {
		argv := []string{"rclone", "check", "--one-way", "--files-from-raw", j.PartFile,
			"--missing-on-dst", j.Missing, "--differ", j.Differ}
		if j.Checksum {
			argv = append(argv, "--download")
		} else {
			argv = append(argv, "--size-only")
		}
		return append(argv, j.Source, j.Destination)
	}
	job := j.Job
	job.DryRun = true
	job.Options = append(append([]string{}, job.Options...), "--itemize-changes")
	if j.Checksum {
		job.Options = append(job.Options, "--checksum")
	}
	return Rsync{}.Argv(job)
}

// rsyncItem matches an itemized line of rsync: YXcstpoguax and the path.
var rsyncItem = regexp.MustCompile(`^[<>ch.*][fdLDS][.+ ?a-zA-Z]{9,10} (.*)$`)

// VerifyFindings reads what the tool named: paths missing at DST and paths
// that differ. out is rsync's standard output; rclone's are in its files.
func VerifyFindings(name string, j VerifyJob, out io.Reader) (missing, differing []string, err error) {
	if name == "rclone" {
		if missing, err = readLines(j.Missing); err != nil {
			return nil, nil, err
		}
		differing, err = readLines(j.Differ)
		return missing, differing, err
	}
	sc := bufio.NewScanner(out)
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
