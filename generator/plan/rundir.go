package plan

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
)

// ErrRunExists is wrapped when the run directory to create exists already.
var ErrRunExists = errors.New("run already exists")

// ErrSharedDir is wrapped when the shared directory cannot hold a new run.
var ErrSharedDir = errors.New("shared directory unusable")

// ErrRunID is wrapped when a run id is not a valid name.
var ErrRunID = errors.New("bad run id")

// runIDPattern keeps run ids usable as a Kubernetes name suffix and a directory name.
var runIDPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$`)

// CheckRunID reports whether id can name a run.
func CheckRunID(id string) error {
	if !runIDPattern.MatchString(id) {
		return fmt.Errorf("%w %q: use 1 to 40 lower-case letters, digits and '-', starting and ending with a letter or digit", ErrRunID, id)
	}
	return nil
}

// Dir is the path of a run directory.
type Dir string

// PlanFile is the path of plan.json.
func (d Dir) PlanFile() string { return filepath.Join(string(d), "plan.json") }

// PartsDir holds the part files.
func (d Dir) PartsDir() string { return filepath.Join(string(d), "parts") }

// PartFile is the path of the part file with the given index. The index is a
// string so that the workflow can pass an Argo expression such as
// "{{inputs.parameters.part}}" and the local executor a number: one function
// builds both paths.
func (d Dir) PartFile(index string) string { return filepath.Join(d.PartsDir(), "part."+index) }

// SkippedFile lists the entries in no partition.
func (d Dir) SkippedFile() string { return filepath.Join(string(d), "skipped") }

// StatusDir holds one status file per finished partition.
func (d Dir) StatusDir() string { return filepath.Join(string(d), "status") }

// StatusFile is the status file of partition index, or status/dirs.json
// for DirsPart.
func (d Dir) StatusFile(index int) string {
	if index == DirsPart {
		return filepath.Join(d.StatusDir(), "dirs.json")
	}
	return filepath.Join(d.StatusDir(), strconv.Itoa(index)+".json")
}

// LogsDir holds the tool output written by the local executor.
func (d Dir) LogsDir() string { return filepath.Join(string(d), "logs") }

// LogFile is the log of partition index, or logs/dirs.log for DirsPart.
func (d Dir) LogFile(index int) string {
	if index == DirsPart {
		return filepath.Join(d.LogsDir(), "dirs.log")
	}
	return filepath.Join(d.LogsDir(), "part."+strconv.Itoa(index)+".log")
}

// OutcomeFile is written by the workflow's exit handler.
func (d Dir) OutcomeFile() string { return filepath.Join(string(d), "outcome.json") }

// VerifyFile is verify.json, DST compared with the run (verify.go).
func (d Dir) VerifyFile() string { return filepath.Join(string(d), "verify.json") }

// DryRunFile is dryrun.json, what a --dry-run run would send (dryrun.go).
func (d Dir) DryRunFile() string { return filepath.Join(string(d), "dryrun.json") }

// WorkflowFile keeps a copy of the emitted workflow.
func (d Dir) WorkflowFile() string { return filepath.Join(string(d), "workflow.yaml") }

// DirsFile lists every directory of the run, parents before children, in
// the encoding of the part files: the directory step's file list. It exists
// only for tools with a directory step.
func (d Dir) DirsFile() string { return filepath.Join(d.PartsDir(), "dirs") }

// LockFile is <run dir>/lock. The local executor holds an exclusive lock on
// it (flock) while it runs partitions, so that a second `run --resume` of
// the same run, from another terminal or a cron job, cannot run the same
// partitions at once into the same destination. It names the holder.
// The lock goes with the process: a killed run leaves no stale lock.
func (d Dir) LockFile() string { return filepath.Join(string(d), "lock") }

// HeaderFile is plan.json's header (source, destination, tool, options,
// limits; no partitions), written before the scan: what a run stopped
// during its scan needs to be scanned again (run --resume).
func (d Dir) HeaderFile() string { return filepath.Join(string(d), "header.json") }

// RecheckFile is recheck.json, written by the check at the end of a run.
func (d Dir) RecheckFile() string { return filepath.Join(string(d), "recheck.json") }

// AddedFile lists the entries the check at the end of a run found in the
// source that the scan did not see and no partition copied or reported,
// each path relative to the source and ended by a NUL byte, in scan order.
func (d Dir) AddedFile() string { return filepath.Join(string(d), "added") }

// DeletedSinceFile lists the entries of the base run's manifest that the
// scan of an incremental run no longer found, in the base's scan order
// (parents before children): each path relative to the source, a
// directory's with a trailing '/', each ended by a NUL byte. Only entries
// the tool copied are listed (rclone: files, not the directories it
// implies). Read it with ReadDeletedSince.
func (d Dir) DeletedSinceFile() string { return filepath.Join(string(d), "deleted-since") }

// ChildWorkflowFile keeps the first child of a run split into a workflow of
// workflows, as its parent creates it (every child differs only in its range).
func (d Dir) ChildWorkflowFile() string { return filepath.Join(string(d), "workflow-child.yaml") }

// ManifestFile is the compact list of everything the scan visited or
// skipped, in scan order (package manifest): --auto replays it into the
// partitioner, and the check at the end of a run compares the source with it.
func (d Dir) ManifestFile() string { return filepath.Join(string(d), "manifest") }

// VerifyDir holds the verify/<N>.json files.
func (d Dir) VerifyDir() string { return filepath.Join(string(d), "verify") }

// VerifyPartFile is verify/<index>.json.
func (d Dir) VerifyPartFile(index int) string {
	return filepath.Join(d.VerifyDir(), strconv.Itoa(index)+".json")
}

// WholeFile is parts/part.<index>.whole, the sidecar of a part file that
// holds whole-directory lines (rsync's "DIR/": the directory and every
// entry directly in it). It lists, in the part file's encoding, each such
// directory as its "DIR/" line followed by the entries the scan saw
// directly in it, one path (relative to the source) per line. The transfer
// compares it with the source after the tool ran: rsync reads such a
// directory at transfer time, so an entry deleted from it after the scan
// would be missed without a word and one added to it copied without one.
// It exists only for partitions with whole-directory lines
// (Partition.WholeDirs > 0), and is renamed with its part file.
func (d Dir) WholeFile(index int) string {
	return filepath.Join(d.PartsDir(), "part."+strconv.Itoa(index)+".whole")
}

// VerifyLogFile is logs/verify.<index>.log, the tool output of verify's
// comparison of partition index on this machine.
func (d Dir) VerifyLogFile(index string) string {
	return filepath.Join(d.LogsDir(), "verify."+index+".log")
}

// DeleteFile is delete.json, written by the mirror's delete pass (run
// --delete): what it found at DST, what it deleted or why it refused.
func (d Dir) DeleteFile() string { return filepath.Join(string(d), "delete.json") }

// ExtrasFile lists the extras the delete pass found at DST (what a dry run
// would delete), each path relative to DST and ended by a NUL byte, in walk
// order.
func (d Dir) ExtrasFile() string { return filepath.Join(string(d), "extras") }

// DeletedFile lists the entries the delete pass deleted at DST, each path
// relative to DST and ended by a NUL byte, in walk order.
func (d Dir) DeletedFile() string { return filepath.Join(string(d), "deleted") }

// DeleteDir holds the delete pass's partitions: list.<N>, the entries
// partition N deletes (NUL-separated at a local DST, one a line for
// rclone --files-from-raw).
func (d Dir) DeleteDir() string { return filepath.Join(string(d), "delete") }

// DeleteListFile is the list of the delete pass's partition i.
func (d Dir) DeleteListFile(i int) string {
	return filepath.Join(d.DeleteDir(), "list."+strconv.Itoa(i))
}

// DeleteLogFile is the tool output of the delete pass's partition i
// (rclone delete).
func (d Dir) DeleteLogFile(i int) string {
	return filepath.Join(d.LogsDir(), "delete."+strconv.Itoa(i)+".log")
}

// Create makes a new, empty run directory <sharedDir>/<runID> with its
// sub-directories. It fails with ErrRunExists when the run directory exists
// and with ErrSharedDir when the shared directory is missing or not writable.
// The caller removes the directory with Discard when it cannot finish the run.
func Create(sharedDir, runID string) (Dir, error) {
	if err := CheckRunID(runID); err != nil {
		return "", err
	}
	abs, err := filepath.Abs(sharedDir)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrSharedDir, sharedDir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return "", fmt.Errorf("%w: cannot create shared dir %s: %v; choose a writable -d/--shared-dir", ErrSharedDir, abs, unwrapPath(err))
	}
	dir := Dir(filepath.Join(abs, runID))
	if err := os.Mkdir(string(dir), 0o755); err != nil {
		if errors.Is(err, os.ErrExist) {
			if _, perr := os.Stat(dir.PlanFile()); errors.Is(perr, os.ErrNotExist) {
				return "", fmt.Errorf("%w: %s", ErrRunExists, Unscanned(dir))
			}
			return "", fmt.Errorf("%w: %s exists; choose another --run-id or remove it", ErrRunExists, dir)
		}
		return "", fmt.Errorf("%w: cannot create %s: %v; choose a writable -d/--shared-dir", ErrSharedDir, dir, unwrapPath(err))
	}
	for _, sub := range []string{dir.PartsDir(), dir.StatusDir(), dir.LogsDir()} {
		if err := os.Mkdir(sub, 0o755); err != nil {
			_ = os.RemoveAll(string(dir))
			return "", fmt.Errorf("%w: cannot create %s: %v", ErrSharedDir, sub, unwrapPath(err))
		}
	}
	if err := probeWritable(dir); err != nil {
		_ = os.RemoveAll(string(dir))
		return "", err
	}
	return dir, nil
}

// probeWritable checks that files can be created in dir: a directory can be
// creatable while files are not (root squash, read-only bind mounts).
func probeWritable(dir Dir) error {
	probe := filepath.Join(string(dir), ".probe")
	if err := os.WriteFile(probe, nil, 0o644); err != nil {
		return fmt.Errorf("%w: cannot write in %s: %v; choose a writable -d/--shared-dir", ErrSharedDir, dir, unwrapPath(err))
	}
	return os.Remove(probe)
}

// Discard removes a run directory that could not be completed.
func Discard(dir Dir) error {
	if err := os.RemoveAll(string(dir)); err != nil {
		return fmt.Errorf("remove incomplete run %s: %w", dir, err)
	}
	return nil
}

// Find resolves a run given as a directory path or as a run id under sharedDir.
func Find(sharedDir, runOrDir string) (Dir, error) {
	if st, err := os.Stat(runOrDir); err == nil && st.IsDir() {
		abs, err := filepath.Abs(runOrDir)
		if err != nil {
			return "", fmt.Errorf("run %s: %w", runOrDir, err)
		}
		return Dir(abs), nil
	}
	if err := CheckRunID(runOrDir); err != nil {
		return "", fmt.Errorf("run %q is neither a directory nor a run id: %w", runOrDir, err)
	}
	abs, err := filepath.Abs(filepath.Join(sharedDir, runOrDir))
	if err != nil {
		return "", fmt.Errorf("run %s: %w", runOrDir, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return "", fmt.Errorf("%w: run %s: no directory %s; check --run-id and -d/--shared-dir", ErrIncomplete, runOrDir, abs)
	}
	return Dir(abs), nil
}

// unwrapPath drops the operation and path of a *PathError: the caller's message names them.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// GiveTo makes uid:gid the owner of the run directory and everything in it,
// so that pods running as that user can write their status files and the
// outcome (generate run as root for non-root pods).
func GiveTo(dir Dir, uid, gid int) error {
	err := filepath.WalkDir(string(dir), func(path string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	})
	if err != nil {
		return fmt.Errorf("give run %s to the pods' user %d:%d: %w; name a user who may write there with --run-as-user UID[:GID]", dir, uid, gid, err)
	}
	return nil
}
