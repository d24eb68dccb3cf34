// Command peakrss runs a command and reports how much memory it used at most,
// split so that the program's own memory is shown apart from the pages of its
// executable file. It is a benchmark helper (bench/mem.sh), not part of
// partsync.
//
//	peakrss [-o FILE] [-every DURATION] -- CMD [ARG...]
//
// It samples /proc/PID/status every -every (default 2ms) while the command
// runs and prints one line to stderr, or to FILE with -o:
//
//	seconds=1.234 maxrss_kib=12345 hwm_kib=12345 peak_anon_kib=6789 peak_file_kib=5678 exit=0
//
// and exits with the command's exit code.
//
//   - maxrss_kib: the kernel's peak resident set (ru_maxrss of the child,
//     what /usr/bin/time -v calls "Maximum resident set size"); exact.
//   - hwm_kib: VmHWM, the same peak as the kernel keeps it in /proc, as last
//     sampled (it only grows, so the last sample before exit is near the end).
//   - peak_anon_kib: the peak of RssAnon, the process's own memory (heap,
//     stacks, Go runtime); sampled, so a spike shorter than -every can be
//     missed, but Go's heap grows and is returned slowly.
//   - peak_file_kib: the peak of RssFile, pages of mapped files: mostly the
//     executable's own text and rodata, clean and shared with the page cache.
//
// RssAnon + RssFile + RssShmem = VmRSS, so the peaks of the parts add up to
// at least VmHWM.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

func main() {
	out := flag.String("o", "", "write the report line to this file instead of stderr")
	every := flag.Duration("every", 2*time.Millisecond, "sampling interval of /proc/PID/status")
	flag.Parse()
	if flag.NArg() == 0 || *every <= 0 {
		fmt.Fprintln(os.Stderr, "usage: peakrss [-o FILE] [-every DURATION] -- CMD [ARG...]")
		os.Exit(2)
	}
	code, line, err := run(flag.Args(), *every)
	if err != nil {
		fmt.Fprintln(os.Stderr, "peakrss:", err)
		os.Exit(125)
	}
	if *out != "" {
		err = os.WriteFile(*out, []byte(line+"\n"), 0o644)
	} else {
		_, err = fmt.Fprintln(os.Stderr, line)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "peakrss:", err)
		os.Exit(125)
	}
	os.Exit(code)
}

// peaks are the largest values of /proc/PID/status fields seen so far, in KiB.
type peaks struct {
	anon, file, hwm int64
}

// run starts argv, samples its memory until it exits, and returns its exit
// code and the report line.
func run(argv []string, every time.Duration) (int, string, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, "", fmt.Errorf("start %s: %w", argv[0], err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	var p peaks
	tick := time.NewTicker(every)
	defer tick.Stop()
	var waitErr error
sample:
	for {
		p.sample(status)
		select {
		case waitErr = <-done:
			break sample
		case <-tick.C:
		}
	}
	secs := time.Since(start).Seconds()
	code := 0
	var exitErr *exec.ExitError
	switch {
	case errors.As(waitErr, &exitErr):
		code = exitErr.ExitCode()
	case waitErr != nil:
		return 0, "", fmt.Errorf("wait for %s: %w", argv[0], waitErr)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, "", errors.New("no resource usage for the child on this system")
	}
	return code, fmt.Sprintf("seconds=%.3f maxrss_kib=%d hwm_kib=%d peak_anon_kib=%d peak_file_kib=%d exit=%d",
		secs, ru.Maxrss, p.hwm, p.anon, p.file, code), nil
}

// sample reads RssAnon, RssFile and VmHWM (KiB) from a /proc/PID/status
// file and keeps the largest of each. A file that cannot be read (the
// process has exited) changes nothing.
func (p *peaks) sample(path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) < 2 {
			continue
		}
		var dst *int64
		switch string(f[0]) {
		case "RssAnon:":
			dst = &p.anon
		case "RssFile:":
			dst = &p.file
		case "VmHWM:":
			dst = &p.hwm
		default:
			continue
		}
		if n, err := strconv.ParseInt(string(f[1]), 10, 64); err == nil {
			*dst = max(*dst, n)
		}
	}
}
