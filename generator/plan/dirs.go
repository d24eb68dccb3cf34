package plan

import "path/filepath"

// DirsPart is the partition index of the directory step in status files and
// transfer specs. The step runs after every partition has finished and
// re-applies the directories' metadata from the source (rsync only); its
// status is status/dirs.json (StatusFile(DirsPart)).
const DirsPart = -1

// DirsFile lists every directory of the run, parents before children, in
// the encoding of the part files: the directory step's file list. It exists
// only for tools with a directory step.
func (d Dir) DirsFile() string { return filepath.Join(d.PartsDir(), "dirs") }
