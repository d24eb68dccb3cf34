package main

// Issue 11 §2 and §3: tool options that copy nothing, write elsewhere or
// carry a credential. Each probe command is refused with exit 2 before
// anything is made: no run directory, nothing at DST, and no credential in
// the output, a workflow or a file of the shared dir.

import (
	"context"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// noTrace fails the test when secret is in out or in any file below dirs.
func noTrace(t *testing.T, secret, out string, dirs ...string) {
	t.Helper()
	if strings.Contains(out, secret) {
		t.Errorf("the output holds %q:\n%s", secret, out)
	}
	for _, d := range dirs {
		_ = filepath.WalkDir(d, func(path string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return nil
			}
			if data, err := os.ReadFile(path); err == nil && strings.Contains(string(data), secret) {
				t.Errorf("%s holds %q", path, secret)
			}
			return nil
		})
	}
}

func TestHostileOptionsCopyNothing(t *testing.T) {
	base := t.TempDir()
	src := filepath.Join(base, "src")
	writeFile(t, filepath.Join(src, "f"), []byte("data\n"), 0o644, fixedTime)
	if err := os.Symlink("src", filepath.Join(base, "srclink")); err != nil {
		t.Fatal(err)
	}
	s3 := StartS3(t, "bucket")
	cfg := s3.WriteRcloneConfig(t, base, "s3test")
	cases := []struct {
		tool, opts, dst, want string
	}{
		{"rsync", "-a -n", "dst", "-n (in -n): the tool would copy nothing"},
		{"rsync", "-an", "dst", "-n (in -an): the tool would copy nothing while partsync records every partition as copied; use partsync run --dry-run"},
		{"rsync", "-a --dry-run", "dst", "--dry-run: the tool would copy nothing"},
		{"rsync", "-a --list-only", "dst", "--list-only"},
		{"rsync", "-a --only-write-batch=F", "dst", "--only-write-batch"},
		{"rsync", "-a --write-batch=F", "dst", "--write-batch"},
		{"rsync", "-a --read-batch=F", "dst", "--read-batch"},
		{"rsync", "-a --ignore-existing", "dst", "--ignore-existing"},
		{"rsync", "-a --log-file=" + filepath.Join(base, "srclink", "rsync.log"), "dst", "--log-file " + filepath.Join(base, "srclink", "rsync.log") + " is inside SRC"},
		{"rsync", "-a --temp-dir " + filepath.Join(src, "tmp"), "dst", "--temp-dir"},
		{"rsync", "-a --backup-dir=" + src, "dst", "--backup-dir"},
		{"rsync", "-a --some-new-option", "dst", "--some-new-option is not on partsync's list of rsync options"},
		{"rclone", "--dry-run", "s3test:bucket/d", "--dry-run: the tool would copy nothing"},
		{"rclone", "-n", "s3test:bucket/d", "-n (in -n): the tool would copy nothing"},
		{"rclone", "--dry-run=true", "s3test:bucket/d", "--dry-run: the tool would copy nothing"},
		{"rclone", "-i", "s3test:bucket/d", "-i (in -i)"},
		{"rclone", "--interactive", "s3test:bucket/d", "--interactive"},
		{"rclone", "--ignore-existing", "s3test:bucket/d", "--ignore-existing"},
		{"rclone", "--max-transfer=1", "s3test:bucket/d", "--max-transfer"},
		{"rclone", "--log-file " + filepath.Join(src, "rclone.log"), "s3test:bucket/d", "is inside SRC"},
	}
	for _, c := range cases {
		t.Run(c.tool+" "+c.opts, func(t *testing.T) {
			shared := filepath.Join(t.TempDir(), "runs")
			dst := c.dst
			if c.tool == "rsync" {
				dst = filepath.Join(t.TempDir(), c.dst)
			}
			res := partsync(context.Background(), "run", "-m", c.tool, "-o", c.opts, "-d", shared, "--rclone-config", cfg, src, dst)
			if res.code != ExitUsage || !strings.Contains(res.stderr+errText(res.err), c.want) {
				t.Errorf("exit %d, want %d and %q:\n%s", res.code, ExitUsage, c.want, res)
			}
			if _, err := os.Stat(shared); !os.IsNotExist(err) {
				t.Errorf("a refused run left the shared dir: %v", err)
			}
			if c.tool == "rsync" {
				if _, err := os.Stat(dst); !os.IsNotExist(err) {
					t.Errorf("a refused run made DST: %v", err)
				}
			}
		})
	}
	if objects := s3.Objects(t, "bucket", ""); len(objects) != 0 {
		t.Errorf("refused runs wrote objects: %q", slices.Sorted(maps.Keys(objects)))
	}
	if after := walkTree(t, src); len(after) != 1 {
		t.Errorf("the source changed: %q", slices.Sorted(maps.Keys(after)))
	}
}

// TestHostileOptionsCredentials: the probe's credential options, through
// run, generate and template: refused, and the credential is in no output,
// no workflow and no file of the shared dir.
func TestHostileOptionsCredentials(t *testing.T) {
	base := t.TempDir()
	src := filepath.Join(base, "src")
	writeFile(t, filepath.Join(src, "f"), []byte("data\n"), 0o644, fixedTime)
	s3 := StartS3(t, "bucket")
	cfg := s3.WriteRcloneConfig(t, base, "s3test")
	const secret = "SeCrEt-4711"
	for _, opts := range []string{
		"--header='Authorization: Bearer " + secret + "'",
		"--header-upload 'X-Amz-Security-Token: " + secret + "'",
		"--azureblob-sas-url https://acct.blob.core.windows.net/c?sv=2024&sig=" + secret,
		"--http-url=https://user:" + secret + "@host/",
		"--s3-sts-endpoint https://sts.example/" + secret,
		"--s3-secret-access-key=" + secret,
		"--metadata-set k=https://h/?X-Amz-Signature=" + secret,
		"--webdav-bearer-token-command 'echo " + secret + "'",
	} {
		for _, cmd := range []string{"run", "generate", "template"} {
			t.Run(cmd+" "+strings.ReplaceAll(opts, secret, "S"), func(t *testing.T) {
				dir := t.TempDir()
				shared, out := filepath.Join(dir, "runs"), filepath.Join(dir, "out.yaml")
				args := []string{cmd, "-m", "rclone", "-o", opts, "-d", shared}
				switch cmd {
				case "run":
					args = append(args, "--rclone-config", cfg)
				case "generate":
					args = append(args, "--rclone-config", cfg, "--pvc", "data:"+base, "--rclone-config-secret", "rc", "--output-file", out)
				case "template":
					args = append(args, "--pvc", "data:"+base, "--rclone-config-secret", "rc", "--output-file", out)
				}
				res := partsync(context.Background(), append(args, src, "s3test:bucket/d")...)
				if res.code != ExitUsage {
					t.Errorf("exit %d, want %d:\n%s", res.code, ExitUsage, res)
				}
				noTrace(t, secret, res.stdout+res.stderr+errText(res.err), dir)
				if _, err := os.Stat(out); !os.IsNotExist(err) {
					t.Errorf("%s wrote its document although refused: %v", cmd, err)
				}
			})
		}
	}
}
