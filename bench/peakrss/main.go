// Command peakrss runs a command and reports how much memory it used at most:
// the kernel's peak resident set (ru_maxrss, what /usr/bin/time -v shows) and
// the peak of its anonymous resident memory (RssAnon in /proc/PID/status,
// sampled every 10ms), which leaves out the pages of the executable file
// itself. It is a benchmark helper (bench/mem.sh), not part of partsync.
//
//	peakrss [-o FILE] -- CMD [ARG...]
//
// It prints one line to stderr, or to FILE with -o:
//
//	seconds=1.234 maxrss_kib=12345 peak_anon_kib=6789 exit=0
//
// and exits with the command's exit code.
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
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: peakrss [-o FILE] -- CMD [ARG...]")
		os.Exit(2)
	}
	code, line, err := run(flag.Args())
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

// run starts argv, samples its anonymous RSS until it exits, and returns
// its exit code and the report line.
func run(argv []string) (int, string, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, "", fmt.Errorf("start %s: %w", argv[0], err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	var peakAnon int64
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var waitErr error
sample:
	for {
		if kib, ok := rssAnon(status); ok {
			peakAnon = max(peakAnon, kib)
		}
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
	return code, fmt.Sprintf("seconds=%.3f maxrss_kib=%d peak_anon_kib=%d exit=%d", secs, ru.Maxrss, peakAnon, code), nil
}

// rssAnon reads RssAnon (KiB) from a /proc/PID/status file.
func rssAnon(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) >= 2 && string(f[0]) == "RssAnon:" {
			n, err := strconv.ParseInt(string(f[1]), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
