package main

import (
	"context"
	"errors"
	"syscall"

	"github.com/partsync/partsync/generator/bytesize"
	"github.com/partsync/partsync/generator/local"
	"github.com/partsync/partsync/generator/mirror"
	"github.com/partsync/partsync/generator/partition"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/prepare"
	"github.com/partsync/partsync/generator/resume"
	"github.com/partsync/partsync/generator/scan"
	"github.com/partsync/partsync/generator/since"
	"github.com/partsync/partsync/generator/tool"
	"github.com/partsync/partsync/generator/transfer"
	"github.com/partsync/partsync/generator/verify"
	"github.com/partsync/partsync/generator/workflow"
)

// Exit codes, documented in README.md. Only main exits; this is the one
// place that maps errors to codes.
const (
	ExitOK          = 0                    // success
	ExitError       = 1                    // any other error (I/O, internal)
	ExitUsage       = 2                    // a bad flag, argument or value: the message names it and the fix
	ExitSource      = 3                    // SRC is missing, not a directory or unreadable
	ExitRunDir      = 4                    // the shared dir or a local DST is not writable, the shared dir is full, the run id exists, the run is incomplete or in use
	ExitFailed      = 5                    // run: one or more partitions failed after their retries, or --delete failed
	ExitInvalid     = 6                    // lint: a document failed Argo's validation
	ExitUnreadable  = 8                    // run: every partition ok, but the scan could not read some entries (7 is status's ExitPending)
	ExitRefused     = workflow.ExitRefused // run, dirs: --delete refused to delete (safety); the workflow does not retry it
	ExitInterrupted = 130                  // interrupted by SIGINT or SIGTERM
)

// ErrUsage is wrapped for command-line mistakes found by the CLI itself.
var ErrUsage = errors.New("usage")

// toolExit carries the tool's own exit code out of `partsync transfer`, so
// that Argo shows the code rsync or rclone returned.
type toolExit struct {
	code int
	err  error
}

func (e *toolExit) Error() string { return e.err.Error() }
func (e *toolExit) Unwrap() error { return e.err }

// exitCode maps an error to the documented exit code.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var te *toolExit
	if errors.As(err, &te) {
		return te.code
	}
	codes := []struct {
		code int
		errs []error
	}{
		{ExitInterrupted, []error{context.Canceled}},
		{ExitInvalid, []error{workflow.ErrInvalid}},
		{ExitFailed, []error{local.ErrPartitionsFailed, verify.ErrMismatch, mirror.ErrDelete}},
		{ExitRefused, []error{mirror.ErrRefused}},
		{ExitUnreadable, []error{ErrUnreadable}},
		{ExitSource, []error{scan.ErrSource}},
		// A full device or quota is the shared dir's: the tools' own write
		// errors at DST are partition failures (ErrPartitionsFailed) above.
		{ExitRunDir, []error{local.ErrDestination, plan.ErrSharedDir, plan.ErrRunExists, plan.ErrIncomplete, plan.ErrLocked, syscall.ENOSPC, syscall.EDQUOT}},
		{ExitUsage, []error{
			ErrUsage, bytesize.ErrSize, tool.ErrTool, tool.ErrNotInstalled, resume.ErrRefused, tool.ErrOptions, tool.ErrDestination, tool.ErrRemote,
			partition.ErrLimits, scan.ErrBadPattern, scan.ErrWorkers, transfer.ErrArgv, plan.ErrRunID, workflow.ErrCluster, prepare.ErrPaths, prepare.ErrBwLimit, since.ErrBase,
		}},
	}
	for _, c := range codes {
		for _, target := range c.errs {
			if errors.Is(err, target) {
				return c.code
			}
		}
	}
	if errors.Is(err, transfer.ErrTransfer) {
		return ExitFailed
	}
	return ExitError
}

// withToolCode makes a failed tool's exit code the pod's, so Argo shows the
// code rsync or rclone returned; other errors keep their own codes.
func withToolCode(st *plan.Status, err error) error {
	if st == nil || !errors.Is(err, transfer.ErrTransfer) {
		return err
	}
	code := st.ExitCode
	if code <= 0 {
		code = ExitFailed
	}
	return &toolExit{code: code, err: err}
}
