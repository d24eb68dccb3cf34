package main

// Bad input: every mistake gets its documented exit code and one line per
// problem naming the bad value, and nothing is created or changed on disk.

import (
	"context"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// badInputEnv is the directory layout every case starts from.
type badInputEnv struct {
	base, src, dst, shared, file, cfg string
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		name string
		// args builds the arguments after the command name.
		args func(e badInputEnv) []string
		code int
		// want holds one substring per problem: each must be on its own line
		// of the error, and the error must have no other line.
		want func(e badInputEnv) []string
		// only limits the case to one command ("run" or "generate").
		only string
	}{
		{
			name: "SRC missing",
			args: func(e badInputEnv) []string { return []string{filepath.Join(e.base, "no-such-dir"), e.dst} },
			code: ExitSource,
			want: func(e badInputEnv) []string { return []string{"no-such-dir"} },
		},
		{
			name: "SRC is a file",
			args: func(e badInputEnv) []string { return []string{e.file, e.dst} },
			code: ExitSource,
			want: func(e badInputEnv) []string { return []string{e.file + " is not a directory"} },
		},
		{
			name: "rsync DST host:path",
			args: func(e badInputEnv) []string { return []string{"-m", "rsync", e.src, "backup-host:/data"} },
			code: ExitUsage,
			want: func(badInputEnv) []string { return []string{`"backup-host:/data"`} },
		},
		{
			name: "rclone DST bad remote name",
			args: func(e badInputEnv) []string { return []string{"-m", "rclone", e.src, "bad name!:x"} },
			code: ExitUsage,
			want: func(badInputEnv) []string { return []string{`"bad name!"`} },
		},
		{
			name: "rclone DST on-the-fly remote",
			// The message names the problem, not DST itself: its settings may hold a credential.
			args: func(e badInputEnv) []string { return []string{"-m", "rclone", e.src, ":s3,provider=AWS:bucket"} },
			code: ExitUsage,
			want: func(badInputEnv) []string { return []string{`DST starts with ':', an on-the-fly remote`} },
		},
		{
			name: "rclone remote not in the config",
			args: func(e badInputEnv) []string {
				return []string{"-m", "rclone", "--rclone-config", e.cfg, e.src, "absent:bucket/x"}
			},
			code: ExitUsage,
			want: func(e badInputEnv) []string {
				return []string{`remote "absent" is not in ` + e.cfg + " (it has: present)"}
			},
		},
		{
			name: "jobs 0",
			args: func(e badInputEnv) []string { return []string{"-n", "0", e.src, e.dst} },
			code: ExitUsage,
			want: func(badInputEnv) []string { return []string{"-n/--jobs 0"} },
		},
		{
			name: "files 0",
			args: func(e badInputEnv) []string { return []string{"-f", "0", e.src, e.dst} },
			code: ExitUsage,
			want: func(badInputEnv) []string { return []string{"-f/--files 0"} },
		},
		{
			name: "size garbage",
			args: func(e badInputEnv) []string { return []string{"-s", "garbage", e.src, e.dst} },
			code: ExitUsage,
			want: func(badInputEnv) []string { return []string{"garbage"} },
		},
		{
			name: "unknown tool",
			args: func(e badInputEnv) []string { return []string{"-m", "scp", e.src, e.dst} },
			code: ExitUsage,
			want: func(badInputEnv) []string { return []string{`"scp"`} },
		},
		{
			name: "shared dir not writable",
			args: func(e badInputEnv) []string { return []string{"-d", filepath.Join(e.file, "runs"), e.src, e.dst} },
			code: ExitRunDir,
			want: func(e badInputEnv) []string { return []string{filepath.Join(e.file, "runs")} },
		},
		{
			name: "run id exists",
			args: func(e badInputEnv) []string { return []string{"--run-id", "taken", e.src, e.dst} },
			code: ExitRunDir,
			want: func(e badInputEnv) []string { return []string{filepath.Join(e.shared, "taken") + " exists"} },
		},
		{
			name: "bad run id",
			args: func(e badInputEnv) []string { return []string{"--run-id", "Bad_ID", e.src, e.dst} },
			code: ExitUsage,
			want: func(badInputEnv) []string { return []string{`"Bad_ID"`} },
		},
		{
			name: "tool options with a command substitution",
			args: func(e badInputEnv) []string { return []string{"-o", "-a $(touch /tmp/pwned)", e.src, e.dst} },
			code: ExitUsage,
			want: func(badInputEnv) []string { return []string{"$(touch /tmp/pwned)"} },
		},
		{
			name: "tool options with --delete",
			args: func(e badInputEnv) []string { return []string{"-o", "-a --delete", e.src, e.dst} },
			code: ExitUsage,
			want: func(badInputEnv) []string { return []string{"--delete"} },
		},
		{
			name: "bad exclude pattern",
			args: func(e badInputEnv) []string { return []string{"-x", "*.tmp", "-x", "data[", e.src, e.dst} },
			code: ExitUsage,
			want: func(badInputEnv) []string { return []string{`"data["`} },
		},
		{
			name: "every problem at once",
			args: func(e badInputEnv) []string {
				return []string{"-n", "0", "-f", "0", "-s", "lots", "-m", "scp", "--run-id", "UPPER", e.src, e.dst}
			},
			code: ExitUsage,
			want: func(badInputEnv) []string {
				return []string{"-n/--jobs 0", "-f/--files 0", `"lots"`, `"scp"`, `"UPPER"`}
			},
		},
		{
			name: "generate without --pvc",
			only: "generate",
			args: func(e badInputEnv) []string { return []string{e.src, e.dst} },
			code: ExitUsage,
			want: func(e badInputEnv) []string {
				return []string{"SRC " + e.src + " is not under any --pvc", "the shared dir " + e.shared + " is not under any --pvc", "DST " + e.dst + " is not under any --pvc"}
			},
		},
	}
	for _, command := range []string{"run", "generate"} {
		for _, tc := range cases {
			if tc.only != "" && tc.only != command {
				continue
			}
			t.Run(command+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				if command == "run" {
					needTools(t, "rsync") // run looks for the tool before it creates the run directory
				}
				e := newBadInputEnv(t)
				args := []string{command, "-d", e.shared}
				if command == "generate" && tc.only == "" {
					args = append(args, "--pvc", "data:"+e.base) // so the case is the only problem
				}
				args = append(args, tc.args(e)...)
				before := manifest(t, e.base)

				res := partsync(context.Background(), args...)
				if res.code != tc.code {
					t.Fatalf("exit %d, want %d\n%s", res.code, tc.code, res)
				}
				lines := strings.Split(res.err.Error(), "\n")
				want := tc.want(e)
				if len(lines) != len(want) {
					t.Errorf("%d lines of error, want %d (one per problem):\n%s", len(lines), len(want), res.err)
				}
				for _, w := range want {
					n := 0
					for _, l := range lines {
						if strings.Contains(l, w) {
							n++
						}
					}
					if n != 1 {
						t.Errorf("%d error lines name %q, want 1:\n%s", n, w, res.err)
					}
				}
				if res.stdout != "" || res.stderr != "" {
					t.Errorf("the error is main's to print; stdout %q, stderr %q", res.stdout, res.stderr)
				}
				if after := manifest(t, e.base); !reflect.DeepEqual(after, before) {
					t.Errorf("the failed command changed the disk:\nbefore %v\nafter  %v", slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
				}
			})
		}
	}
}

// newBadInputEnv makes a source with one file, a regular file, an rclone
// config with one remote, and a shared dir holding the run "taken".
func newBadInputEnv(t *testing.T) badInputEnv {
	t.Helper()
	base := t.TempDir()
	e := badInputEnv{
		base: base, src: filepath.Join(base, "src"), dst: filepath.Join(base, "dst"),
		shared: filepath.Join(base, "runs"), file: filepath.Join(base, "a-file"), cfg: filepath.Join(base, "rclone.conf"),
	}
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	writeFile(t, filepath.Join(e.src, "data", "x.txt"), []byte("x"), 0o644, old)
	writeFile(t, e.file, []byte("not a directory"), 0o644, old)
	writeFile(t, e.cfg, []byte("[present]\ntype = local\n"), 0o600, old)
	writeFile(t, filepath.Join(e.shared, "taken", "plan.json"), []byte(`{"an": "earlier run"}`), 0o644, old)
	return e
}
