package partition

import (
	"errors"
	"fmt"
)

// The bounds a user gives a run: -n, -f, -s and --max-partitions. Each is
// checked here, once, with its flag's name and the fix; the commands,
// prepare, the local executor and the workflow call these checks and do
// not spell the messages again.

// BoundError is a bound out of range. It wraps ErrLimits.
type BoundError struct {
	Flag  string // as the user writes it: "-n/--jobs"
	Value string
	Fix   string // "give at least 1"
}

func (e *BoundError) Error() string { return e.Flag + " " + e.Value + ": " + e.Fix }

// Unwrap makes a BoundError match ErrLimits.
func (e *BoundError) Unwrap() error { return ErrLimits }

// CheckJobs checks -n, the transfers at once.
func CheckJobs(n int) error {
	if n < 1 {
		return &BoundError{Flag: "-n/--jobs", Value: fmt.Sprint(n), Fix: "give at least 1"}
	}
	return nil
}

// CheckLimits checks -f and -s, the bounds of each partition, reporting
// both at once.
func CheckLimits(maxFiles, maxBytes int64) error {
	var errs []error
	if maxFiles < 1 {
		errs = append(errs, &BoundError{Flag: "-f/--files", Value: fmt.Sprint(maxFiles), Fix: "give at least 1"})
	}
	if maxBytes < 1 {
		errs = append(errs, &BoundError{Flag: "-s/--size", Value: fmt.Sprint(maxBytes), Fix: "give at least 1 byte"})
	}
	return errors.Join(errs...)
}

// CheckMaxPartitions checks --max-partitions, the most partitions in one
// workflow (and with --auto, the most made).
func CheckMaxPartitions(n int) error {
	if n < 1 {
		return &BoundError{Flag: "--max-partitions", Value: fmt.Sprint(n), Fix: fmt.Sprintf("give at least 1 (default %d)", DefaultMaxPartitions)}
	}
	return nil
}
