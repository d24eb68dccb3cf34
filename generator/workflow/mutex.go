package workflow

import (
	"crypto/sha256"
	"encoding/hex"
	"path"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
)

// One run per destination: every partsync workflow holds an Argo mutex,
// for its whole run, named after the destination and the shared directory,
// so that a second workflow copying to the same DST from the same shared
// directory waits until the first has finished (Argo queues it, Pending,
// with the mutex in its status). In a split run only the parent holds it.
// Argo's mutexes are per namespace.
//
// The name is MutexPrefix and the first 16 hex digits of
// sha256(hex(sha256(shared dir)) + " " + DST). In a WorkflowTemplate the
// destination is a form parameter: the name is an Argo expression that
// computes the same hash when the workflow starts (Argo substitutes the
// workflow's parameters in spec.synchronization before it takes the lock),
// so a run from the form and a run from generate to the same DST and shared
// directory wait for each other.

// MutexPrefix starts the name of every partsync mutex.
const MutexPrefix = "partsync-dst-"

// MutexName is the name of the mutex of the runs from sharedDir to destination.
func MutexName(sharedDir, destination string) string {
	sum := sha256.Sum256([]byte(sharedKey(sharedDir) + " " + destination))
	return MutexPrefix + hex.EncodeToString(sum[:8])
}

// sharedKey is the hex sha256 of the shared directory: a fixed-length,
// quote-free literal for the template's expression.
func sharedKey(sharedDir string) string {
	sum := sha256.Sum256([]byte(path.Clean(sharedDir)))
	return hex.EncodeToString(sum[:])
}

// destinationMutex is the synchronization of a Workflow copying to destination.
func destinationMutex(sharedDir, destination string) *wfv1.Synchronization {
	return &wfv1.Synchronization{Mutexes: []*wfv1.Mutex{{Name: MutexName(sharedDir, destination)}}}
}

// formMutex is the synchronization of a WorkflowTemplate whose destination
// is the form parameter: MutexName computed by Argo when the workflow starts.
func formMutex(sharedDir string) *wfv1.Synchronization {
	name := MutexPrefix + "{{=sprig.substr(0, 16, sprig.sha256sum('" + sharedKey(sharedDir) + " ' + workflow.parameters." + ParamDestination + "))}}"
	return &wfv1.Synchronization{Mutexes: []*wfv1.Mutex{{Name: name}}}
}
