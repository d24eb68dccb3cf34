package tool

import (
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestRcloneRemoteOptions: of a checked -o, the listing, deletion and
// verify commands get the backend options and the connection flags, each
// with its value however given, and none of the copy's flags.
func TestRcloneRemoteOptions(t *testing.T) {
	opts := []string{"--transfers=8", "--s3-upload-cutoff", "10M", "--size-only", "--s3-no-check-bucket", "--checkers", "4",
		"--timeout=5m", "-P", "--tpslimit", "20", "--progress", "--local-no-set-modtime", "--fast-list", "--use-server-modtime", "--s3-force-path-style=true"}
	if err := (Rclone{}).CheckOptions(opts); err != nil {
		t.Fatalf("the test's -o is not allowed: %v", err)
	}
	want := []string{"--s3-upload-cutoff", "10M", "--s3-no-check-bucket", "--timeout=5m", "--tpslimit", "20",
		"--local-no-set-modtime", "--fast-list", "--s3-force-path-style=true"}
	if got := RcloneRemoteOptions(opts); !slices.Equal(got, want) {
		t.Errorf("RcloneRemoteOptions:\n got %q\nwant %q", got, want)
	}
	if got := RcloneListArgv("r:b/p", opts); !slices.Equal(got, append(append([]string{"rclone", "lsf"}, want...), "-R", "--files-only", "--format", "p", "r:b/p")) {
		t.Errorf("RcloneListArgv: %q", got)
	}
	if got := RcloneDeleteArgv("L", "r:b/p", opts); !slices.Equal(got, append(append([]string{"rclone", "delete"}, want...), "--files-from-raw", "L", "r:b/p")) {
		t.Errorf("RcloneDeleteArgv: %q", got)
	}
	for _, argv := range append(VerifyCommands("rclone", VerifyJob{Job: Job{Options: opts}}), VerifyCommands("rclone", VerifyJob{Job: Job{Options: opts}, Checksum: true})...) {
		if !slices.Equal(argv[2:2+len(want)], want) || slices.Contains(argv, "--size-only") {
			t.Errorf("verify %q: want the remote's options %q and not the copy's", argv, want)
		}
	}
}

// TestRcloneRemoteGlobalsFollowRclonesGroups: rcloneRemoteGlobals is the
// rule, not a hand pick: of the global flags partsync allows in -o, it holds
// (and does not refuse) exactly those the pinned rclone puts in its Networking, Config or Listing
// flag group (but --use-server-modtime).
func TestRcloneRemoteGlobalsFollowRclonesGroups(t *testing.T) {
	bin, version := pinnedRclone(t)
	out, err := exec.Command(bin, "help", "flags").Output()
	if err != nil {
		t.Fatalf("%s help flags: %v", bin, err)
	}
	groups := map[string][]string{}
	group := ""
	header := regexp.MustCompile(`\(flag group (\w+)\):$`)
	flag := regexp.MustCompile(`^\s+(?:-\w, )?(--[a-z0-9-]+)`)
	for _, line := range strings.Split(string(out), "\n") {
		if m := header.FindStringSubmatch(line); m != nil {
			group = m[1]
		} else if m := flag.FindStringSubmatch(line); m != nil && group != "" {
			groups[m[1]] = append(groups[m[1]], group)
		}
	}
	if len(groups) < 100 {
		t.Fatalf("rclone %s help flags: only %d flags parsed", version, len(groups))
	}
	for name, o := range rcloneOptions.long {
		if _, backend := lookupBackendOption(name); backend || o.refuse != "" {
			continue // refused options never reach a command
		}
		g, ok := groups[name]
		if !ok {
			t.Errorf("%s: not a flag of rclone %s", name, version)
			continue
		}
		want := name != "--use-server-modtime" && slices.ContainsFunc(g, func(s string) bool { return s == "Networking" || s == "Config" || s == "Listing" })
		if rcloneRemoteGlobals[name] != want {
			t.Errorf("%s (groups %v): in rcloneRemoteGlobals %v, want %v", name, g, rcloneRemoteGlobals[name], want)
		}
	}
	for name := range rcloneRemoteGlobals {
		if _, ok := rcloneOptions.long[name]; !ok {
			t.Errorf("%s in rcloneRemoteGlobals is not an option -o allows", name)
		}
	}
}
