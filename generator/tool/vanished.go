package tool

import "regexp"

// What the tools do when an entry of a part file no longer exists in the
// source (deleted between the scan and the transfer):
//
//   - rsync reports it (`link_stat "…" failed: No such file or directory`,
//     or `file has vanished: "…"` when it went during the copy) and exits
//     23 or 24 after copying everything else;
//   - rclone (--files-from-raw) passes over it without a word and exits 0.
//
// partsync treats both the same: the partition succeeds with a warning
// naming the entries that vanished, found by checking the source itself.

// rsyncVanished matches rsync's messages about a missing source entry and
// its closing summary of such errors.
var rsyncVanished = regexp.MustCompile(`^(rsync: (\[sender\] )?link_stat ".*" failed: No such file or directory \(2\)` +
	`|file has vanished: ".*"` +
	`|rsync error: some files/attrs were not transferred \(see previous errors\) \(code 23\).*` +
	`|rsync warning: some files vanished before they could be transferred \(code 24\).*)$`)

// VanishedExit reports whether the tool's exit code can mean that only
// source entries were missing (rsync's 23 and 24).
func VanishedExit(name string, code int) bool {
	return name == "rsync" && (code == 23 || code == 24)
}

// VanishedLine reports whether a line of the tool's error output is about a
// missing source entry, or the tool's summary of such errors.
func VanishedLine(name, line string) bool {
	return name == "rsync" && rsyncVanished.MatchString(line)
}

// SkipsMissingSilently reports whether the tool succeeds without a word when
// an entry of its file list is missing (rclone), so that partsync must check
// the source after it ran.
func SkipsMissingSilently(name string) bool { return name == "rclone" }
