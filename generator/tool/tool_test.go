package tool

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/partsync/partsync/generator/scan"
)

func TestSplitOptions(t *testing.T) {
	for in, want := range map[string][]string{
		``:                               {},
		`-a --numeric-ids`:               {"-a", "--numeric-ids"},
		`--bwlimit='10 M' -v`:            {"--bwlimit=10 M", "-v"},
		`"--exclude-from=a b" x\ y`:      {"--exclude-from=a b", "x y"},
		`--transfers 8 --checkers=16`:    {"--transfers", "8", "--checkers=16"},
		`'*.tmp' "[a]" '$(rm -rf /)'`:    {"*.tmp", "[a]", "$(rm -rf /)"},
		"-a\n--stats":                    {"-a", "--stats"},
		`--suffix=\;`:                    {"--suffix=;"},
		`--chmod=D755,F644 --log-file=x`: {"--chmod=D755,F644", "--log-file=x"},
	} {
		got, err := SplitOptions(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("SplitOptions(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestSplitOptionsRejectsShell(t *testing.T) {
	for _, in := range []string{`$HOME`, `--x=$(id)`, "`id`", `-a; rm -rf /`, `-a | cat`, `-a && b`, `"$X"`, `~/x`, `--x=${A}`, `-a > f`, `'unterminated`, `$'\n'`, "-a\r\n", "--x=\"a\r\nb\""} {
		if got, err := SplitOptions(in); !errors.Is(err, ErrOptions) {
			t.Errorf("SplitOptions(%q) = %q, %v; want ErrOptions", in, got, err)
		}
	}
}

func TestCheckOptions(t *testing.T) {
	ok := map[Tool][][]string{
		Rsync{}: {{"-a", "--numeric-ids"}, {"-aHAX", "--bwlimit", "100"}, {"-B", "1024"}, {}, {"-aT", "/tmp/x"}, {"-avT/tmp"},
			{"--log-file=/var/log/r", "--temp-dir", "rel", "--partial-dir=.p", "--backup-dir=/b", "-b"}, {"--info=progress2", "-P"}},
		Rclone{}: {{"--transfers", "8"}, {"--s3-chunk-size=64M", "-v"}, {"--retries=1", "--checksum"}, {"-vv", "--fast-list=true"},
			{"--s3-upload-concurrency", "8", "--s3-no-check-bucket"}, {"--log-file", "/var/log/r.log", "--local-no-check-updated"}},
	}
	for tl, cases := range ok {
		for _, opts := range cases {
			if err := tl.CheckOptions(opts); err != nil {
				t.Errorf("%s.CheckOptions(%q) = %v; want ok", tl.Name(), opts, err)
			}
		}
	}
	bad := map[Tool][][]string{
		Rsync{}: {{"-r"}, {"-avr"}, {"--recursive"}, {"--delete"}, {"--delete-after"}, {"--files-from=x"}, {"--exclude=*.o"}, {"-e", "ssh"}, {"-a", "stray"}, {"--"}, {"-0"},
			{"--password-file=/etc/p"}, {"-a", "-n"}, {"-an"}, {"--dry-run"}, {"-a", "--list-only"}, {"--only-write-batch=F"}, {"--write-batch", "F"},
			{"--read-batch=F"}, {"--ignore-existing"}, {"--existing"}, {"--compare-dest=/x"}, {"--no-such-option"}, {"-a", "-Z"},
			{"--log-file=rel.log"}, {"--max-size", "1G"}, {"--append"}, {"--archive=yes"}, {"--bwlimit"}},
		Rclone{}: {{"--config=/x"}, {"--include", "*.txt"}, {"--s3-secret-access-key=abc"}, {"--sftp-pass", "x"}, {"--max-size=1G"}, {"--files-from-raw=x"}, {"--azureblob-key=k"}, {"--drive-token", "t"}, {"x"},
			{"--dry-run"}, {"-n"}, {"-i"}, {"--interactive"}, {"--ignore-existing"}, {"--header=Authorization: Bearer X"}, {"--header-upload", "X-Amz-Security-Token: X"},
			{"--azureblob-sas-url", "https://a.blob.core.windows.net/c?sv=1&sig=X"}, {"--http-url=https://user:X@host/"}, {"--s3-sts-endpoint", "https://sts"},
			{"--s3-endpoint", "https://evil"}, {"--dump", "headers"}, {"--dump-headers"}, {"--max-transfer=1G"}, {"--password-command", "cat"},
			{"--sftp-ssh", "ssh x"}, {"--webdav-bearer-token-command", "x"}, {"--log-file=rel.log"}, {"--user-agent=https://u:p@x/"}, {"--no-such-option"},
			{"--metadata-set", "k=https://h/?X-Amz-Signature=1"}, {"--dry-run=true"}, {"--fast-list=yes"}},
	}
	for tl, cases := range bad {
		for _, opts := range cases {
			err := tl.CheckOptions(opts)
			if !errors.Is(err, ErrOptions) {
				t.Errorf("%s.CheckOptions(%q) = %v; want ErrOptions", tl.Name(), opts, err)
				continue
			}
			named := false
			for _, o := range opts {
				name, _, _ := strings.Cut(o, "=")
				named = named || strings.Contains(err.Error(), name)
			}
			if !named {
				t.Errorf("%s.CheckOptions(%q): message %q does not name the option", tl.Name(), opts, err)
			}
		}
	}
}

func TestCheckDestination(t *testing.T) {
	cwd, _ := os.Getwd()
	good := []struct {
		tool Tool
		in   string
		want Destination
	}{
		{Rsync{}, "/data/dst", Destination{Spec: "/data/dst", LocalPath: "/data/dst"}},
		{Rsync{}, "rel/dir", Destination{Spec: filepath.Join(cwd, "rel/dir"), LocalPath: filepath.Join(cwd, "rel/dir")}},
		{Rsync{}, "./a:b", Destination{Spec: filepath.Join(cwd, "a:b"), LocalPath: filepath.Join(cwd, "a:b")}},
		{Rclone{}, "oci:bucket/prefix", Destination{Spec: "oci:bucket/prefix", Remote: "oci"}},
		{Rclone{}, "my remote-1:b", Destination{Spec: "my remote-1:b", Remote: "my remote-1"}},
		{Rclone{}, "s3:", Destination{Spec: "s3:", Remote: "s3"}},
		{Rclone{}, "/local/path", Destination{Spec: "/local/path", LocalPath: "/local/path"}},
	}
	for _, c := range good {
		got, err := c.tool.CheckDestination(c.in)
		if err != nil || got != c.want {
			t.Errorf("%s.CheckDestination(%q) = %+v, %v; want %+v", c.tool.Name(), c.in, got, err, c.want)
		}
	}
	bad := []struct {
		tool Tool
		in   string
	}{
		{Rsync{}, ""}, {Rsync{}, "host:/path"}, {Rsync{}, "user@host:dir"}, {Rsync{}, "a\x00b"},
		{Rclone{}, ""}, {Rclone{}, ":s3,access_key_id=X:bucket"}, {Rclone{}, "bad name!:x"}, {Rclone{}, " lead:x"}, {Rclone{}, "ok:x\ny"},
	}
	for _, c := range bad {
		if got, err := c.tool.CheckDestination(c.in); !errors.Is(err, ErrDestination) {
			t.Errorf("%s.CheckDestination(%q) = %+v, %v; want ErrDestination", c.tool.Name(), c.in, got, err)
		} else if c.in != "" && !strings.Contains(err.Error(), "DST") && !strings.Contains(err.Error(), c.in[:1]) {
			t.Errorf("%s.CheckDestination(%q): %v does not name the value", c.tool.Name(), c.in, err)
		}
	}
}

func TestClassify(t *testing.T) {
	file := scan.Entry{Path: "a/b.txt", Type: scan.File, Size: 3}
	for _, c := range []struct {
		tool       Tool
		e          scan.Entry
		list, impl bool
	}{
		{Rsync{}, file, true, false},
		{Rsync{}, scan.Entry{Path: "d", Type: scan.Dir}, true, false},
		{Rsync{}, scan.Entry{Path: "l", Type: scan.Symlink}, true, false},
		{Rsync{}, scan.Entry{Path: "new\nline", Type: scan.File}, true, false},
		{Rsync{}, scan.Entry{Path: "p", Type: scan.Other, Mode: os.ModeNamedPipe}, true, false},
		{Rclone{}, file, true, false},
		{Rclone{}, scan.Entry{Path: "d", Type: scan.Dir, Children: 2}, false, true},
		{Rclone{}, scan.Entry{Path: "d", Type: scan.Dir, Children: -1}, false, true},
		{Rclone{}, scan.Entry{Path: "e", Type: scan.Dir, Children: 0}, false, false},
		{Rclone{}, scan.Entry{Path: "l", Type: scan.Symlink}, false, false},
		{Rclone{}, scan.Entry{Path: "p", Type: scan.Other, Mode: os.ModeNamedPipe}, false, false},
		{Rclone{}, scan.Entry{Path: "new\nline", Type: scan.File}, false, false},
		{Rclone{}, scan.Entry{Path: "cr\r", Type: scan.File}, false, false},
		{Rclone{}, scan.Entry{Path: "bad\xffutf8", Type: scan.File}, false, false},
	} {
		v := c.tool.Classify(c.e)
		if v.List != c.list || v.Implied != c.impl || (!v.List && !v.Implied && v.Reason == "") {
			t.Errorf("%s.Classify(%q %v) = %+v; want list=%v implied=%v (a reason when neither)", c.tool.Name(), c.e.Path, c.e.Type, v, c.list, c.impl)
		}
	}
}

func TestArgv(t *testing.T) {
	job := Job{Source: "/src", Destination: "/dst", PartFile: "/run/parts/part.{{inputs.parameters.part}}", Options: []string{"-a", "--numeric-ids"}}
	want := []string{"rsync", "-a", "--numeric-ids", "--stats", "--no-h", "--info=progress2", "--chmod=Du+w", "--mkpath", "--from0", "--files-from=/run/parts/part.{{inputs.parameters.part}}", "/src/", "/dst/"}
	if got := (Rsync{}).Argv(job); !reflect.DeepEqual(got, want) {
		t.Errorf("rsync argv = %q; want %q", got, want)
	}
	job = Job{Source: "/src", Destination: "oci:b/p", PartFile: "/run/parts/part.3", Options: []string{"--transfers=8"}}
	want = []string{"rclone", "copy", "--stats", "30s", "--transfers=8", "--use-json-log", "--stats-log-level", "NOTICE", "--files-from-raw", "/run/parts/part.3", "/src", "oci:b/p"}
	if got := (Rclone{}).Argv(job); !reflect.DeepEqual(got, want) {
		t.Errorf("rclone argv = %q; want %q", got, want)
	}
	// A bandwidth share comes after the options, in KiB/s for both tools.
	job = Job{Source: "/src", Destination: "/dst", PartFile: "p", BwLimit: 512 << 10}
	for _, tl := range []Tool{Rsync{}, Rclone{}} {
		if got := tl.Argv(job); !slices.Contains(got, "--bwlimit=512K") {
			t.Errorf("%s argv with BwLimit 512 KiB/s = %q; want --bwlimit=512K", tl.Name(), got)
		}
	}
	// Options are not shared between calls: appending must not alias the caller's slice.
	opts := make([]string, 1, 8)
	opts[0] = "-a"
	a := (Rsync{}).Argv(Job{Source: "/s", Destination: "/d", PartFile: "p0", Options: opts})
	b := (Rsync{}).Argv(Job{Source: "/s", Destination: "/d", PartFile: "p1", Options: opts})
	if a[len(a)-3] == b[len(b)-3] {
		t.Errorf("argv of two jobs share storage: %q %q", a, b)
	}
}

func TestLookup(t *testing.T) {
	for _, name := range Names() {
		tl, err := Lookup(name)
		if err != nil || tl.Name() != name {
			t.Errorf("Lookup(%q) = %v, %v", name, tl, err)
		}
	}
	if _, err := Lookup("scp"); !errors.Is(err, ErrTool) || !strings.Contains(err.Error(), `"scp"`) {
		t.Errorf("Lookup(scp) = %v; want ErrTool naming scp", err)
	}
}

func TestRemoteType(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "rclone.conf")
	if err := os.WriteFile(conf, []byte("[oci]\ntype = s3\nsecret_access_key = TOPSECRET\n\n[other]\ntype = local\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	noenv := func(string) string { return "" }
	for remote, want := range map[string]string{"oci": "s3", "other": "local"} {
		if typ, err := RemoteType(conf, remote, noenv); err != nil || typ != want {
			t.Errorf("RemoteType(%s) = %q, %v; want %q", remote, typ, err, want)
		}
	}
	_, err := RemoteType(conf, "missing", noenv)
	if !errors.Is(err, ErrRemote) || !strings.Contains(err.Error(), `"missing"`) || strings.Contains(err.Error(), "TOPSECRET") {
		t.Errorf("RemoteType(missing) = %v; want ErrRemote naming it, without values", err)
	}
	if _, err := RemoteType(filepath.Join(dir, "nope.conf"), "oci", noenv); !errors.Is(err, ErrRemote) {
		t.Errorf("RemoteType(no file) = %v; want ErrRemote", err)
	}
	env := func(k string) string {
		if k == "RCLONE_CONFIG_MY_REMOTE_TYPE" {
			return "s3"
		}
		return ""
	}
	if typ, err := RemoteType(filepath.Join(dir, "nope.conf"), "my-remote", env); err != nil || typ != "s3" {
		t.Errorf("RemoteType(env remote) = %q, %v; want s3", typ, err)
	}

	// DestinationType: a remote's type from the config given, or from the
	// one $RCLONE_CONFIG names; a path has none.
	for _, c := range []struct {
		dst, config string
		getenv      func(string) string
		want        string
	}{
		{"oci:bucket/p", conf, noenv, "s3"},
		{"other:/srv", "", func(k string) string { return map[string]string{"RCLONE_CONFIG": conf}[k] }, "local"},
		{"/srv/dst", "", noenv, ""},
	} {
		d, err := Rclone{}.CheckDestination(c.dst)
		if err != nil {
			t.Fatal(err)
		}
		if typ, err := DestinationType(d, c.config, c.getenv); err != nil || typ != c.want {
			t.Errorf("DestinationType(%s, %q) = %q, %v; want %q", c.dst, c.config, typ, err, c.want)
		}
	}
	if _, err := DestinationType(Destination{Spec: "missing:b", Remote: "missing"}, conf, noenv); !errors.Is(err, ErrRemote) {
		t.Errorf("DestinationType(missing) = %v; want ErrRemote", err)
	}
}

// TestRcloneLocalOptions: run's rclone options skip rclone's second MD5
// (--ignore-checksum) to an s3 remote only, where the server checks each
// upload's Content-MD5; the rest is the same for every destination.
func TestRcloneLocalOptions(t *testing.T) {
	base := Rclone{}.LocalOptions("")
	for typ, want := range map[string][]string{
		"":      base,
		"local": base,
		"gcs":   base,
		"sftp":  base,
		"s3":    append(slices.Clone(base), "--ignore-checksum"),
	} {
		if got := (Rclone{}).LocalOptions(typ); !slices.Equal(got, want) {
			t.Errorf("LocalOptions(%q) = %q, want %q", typ, got, want)
		}
	}
	if slices.Contains(base, "--ignore-checksum") || !slices.Contains(base, "--transfers=16") {
		t.Errorf("LocalOptions(\"\") = %q, want 16 transfers and rclone's check after each upload", base)
	}
	if err := (Rclone{}).CheckOptions(Rclone{}.LocalOptions("s3")); err != nil {
		t.Errorf("run's own s3 options refused by -o's allow-list: %v", err)
	}
}

func TestRcloneConfigPath(t *testing.T) {
	home := t.TempDir()
	env := map[string]string{"HOME": home}
	getenv := func(k string) string { return env[k] }
	if got := RcloneConfigPath("/given", getenv); got != "/given" {
		t.Errorf("given: %s", got)
	}
	if got := RcloneConfigPath("", getenv); got != filepath.Join(home, ".config/rclone/rclone.conf") {
		t.Errorf("default: %s", got)
	}
	if err := os.WriteFile(filepath.Join(home, ".rclone.conf"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := RcloneConfigPath("", getenv); got != filepath.Join(home, ".rclone.conf") {
		t.Errorf("legacy: %s", got)
	}
	env["RCLONE_CONFIG"] = "/env.conf"
	if got := RcloneConfigPath("", getenv); got != "/env.conf" {
		t.Errorf("env: %s", got)
	}
}

func FuzzSplitOptions(f *testing.F) {
	for _, s := range []string{"-a --numeric-ids", `--x='a b'`, `$(id)`, `"unterminated`, "--a=\\;", "`x`"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := SplitOptions(s)
		if err != nil {
			if !errors.Is(err, ErrOptions) {
				t.Fatalf("SplitOptions(%q): %v does not wrap ErrOptions", s, err)
			}
			return
		}
		// Whatever is accepted holds no unquoted expansion: re-splitting
		// the words, each single-quoted, gives the same words back.
		var quoted []string
		for _, w := range words {
			if strings.ContainsRune(w, 0) {
				return
			}
			quoted = append(quoted, "'"+strings.ReplaceAll(w, "'", `'\''`)+"'")
		}
		again, err := SplitOptions(strings.Join(quoted, " "))
		if err != nil || !reflect.DeepEqual(again, words) {
			t.Fatalf("SplitOptions(%q) = %q; re-quoted gives %q, %v", s, words, again, err)
		}
	})
}

func FuzzCheckDestination(f *testing.F) {
	for _, s := range []string{"/a", "r:b/c", ":s3:x", "h:/p", "", "a b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, tl := range []Tool{Rsync{}, Rclone{}} {
			d, err := tl.CheckDestination(s)
			if err != nil {
				if !errors.Is(err, ErrDestination) {
					t.Fatalf("%s.CheckDestination(%q): %v does not wrap ErrDestination", tl.Name(), s, err)
				}
				continue
			}
			if (d.Remote == "") == (d.LocalPath == "") {
				t.Fatalf("%s.CheckDestination(%q) = %+v: exactly one of Remote and LocalPath must be set", tl.Name(), s, d)
			}
			if d.LocalPath != "" && !filepath.IsAbs(d.LocalPath) {
				t.Fatalf("%s.CheckDestination(%q) = %+v: local path not absolute", tl.Name(), s, d)
			}
			if strings.ContainsAny(d.Spec, "\x00\n") {
				t.Fatalf("%s.CheckDestination(%q) accepted a control character", tl.Name(), s)
			}
		}
	})
}

// TestQuickCheckable: partsync judges a partition up to date only under
// options that make rsync compare and keep nothing more than it compares.
func TestQuickCheckable(t *testing.T) {
	for _, c := range []struct {
		opts []string
		want bool
	}{
		{Rsync{}.DefaultOptions(), true},
		{[]string{"-aH", "--numeric-ids"}, true},
		{[]string{"--archive", "-v"}, true},
		{[]string{"-av", "--hard-links"}, true},
		{[]string{"-v"}, false},                // no archive mode: times and modes are not kept
		{[]string{"-a", "-c"}, false},          // checksums
		{[]string{"-ac"}, false},               // the same, in a cluster
		{[]string{"-aX"}, false},               // xattrs
		{[]string{"-a", "--size-only"}, false}, // a looser comparison
		{[]string{"-a", "--ignore-times"}, false},
		{[]string{"-a", "--inplace"}, false},
		{[]string{"-a", "-"}, false}, // not an option
		{nil, false},
	} {
		if got := (Rsync{}).QuickCheckable(c.opts); got != c.want {
			t.Errorf("QuickCheckable(%q) = %v, want %v", c.opts, got, c.want)
		}
	}
}

// TestDefaultOptionsAllowed: each tool's defaults pass its own allow-list,
// so a default added without adding it there fails here, not in a user's run.
func TestDefaultOptionsAllowed(t *testing.T) {
	for _, tl := range []Tool{Rsync{}, Rclone{}} {
		if err := tl.CheckOptions(tl.DefaultOptions()); err != nil {
			t.Errorf("%s: the default options %q are refused: %v", tl.Name(), tl.DefaultOptions(), err)
		}
	}
}

// TestOptionPaths: the paths the options make the tool write to, for the
// caller's check against SRC.
func TestOptionPaths(t *testing.T) {
	got := Rsync{}.OptionPaths([]string{"-aT", "/t", "--log-file=/l", "--partial-dir", ".p", "--backup-dir=/b", "-T/u"})
	want := []OptionPath{{"-T", "/t"}, {"--log-file", "/l"}, {"--backup-dir", "/b"}, {"-T", "/u"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rsync OptionPaths = %v, want %v", got, want)
	}
	got = Rclone{}.OptionPaths([]string{"--temp-dir=/t", "-v", "--log-file", "/l", "--cache-dir=/c"})
	want = []OptionPath{{"--temp-dir", "/t"}, {"--log-file", "/l"}, {"--cache-dir", "/c"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rclone OptionPaths = %v, want %v", got, want)
	}
}

// refusedAlways are options that must be refused wherever they stand at a
// word boundary, after any accepted options.
var refusedAlways = map[string][][]string{
	"rsync":  {{"-n"}, {"--dry-run"}, {"--list-only"}, {"--only-write-batch=F"}, {"--write-batch", "F"}, {"--read-batch=F"}, {"--ignore-existing"}, {"-r"}},
	"rclone": {{"-n"}, {"--dry-run"}, {"-i"}, {"--ignore-existing"}, {"--header", "Authorization: Bearer X"}, {"--s3-secret-access-key=X"}, {"--http-url=https://u:p@h/"}},
}

// FuzzCheckOptions: -o as the user types it, split and checked by both
// tools. An error wraps ErrOptions; whatever is accepted holds no URL with
// a credential, and stays refused when a refused option follows it.
func FuzzCheckOptions(f *testing.F) {
	for _, s := range []string{"-a --numeric-ids -H", "-a -n", "--transfers 8 --checkers=16", "-aT /tmp", "--bwlimit -n", "--log-file=/x --temp-dir y",
		"--header='Authorization: Bearer X'", "--http-url=https://user:X@host/", "-vv --s3-chunk-size=64M", "--metadata-set k=https://h/?sig=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := SplitOptions(s)
		if err != nil {
			return
		}
		for _, tl := range []Tool{Rsync{}, Rclone{}} {
			err := tl.CheckOptions(words)
			if err != nil {
				if !errors.Is(err, ErrOptions) {
					t.Fatalf("%s.CheckOptions(%q): %v does not wrap ErrOptions", tl.Name(), words, err)
				}
				continue
			}
			for _, w := range words {
				if cerr := credentialInValue(w); cerr != nil {
					t.Fatalf("%s.CheckOptions(%q) accepted %q: %v", tl.Name(), words, w, cerr)
				}
			}
			for _, p := range tl.OptionPaths(words) {
				if p.Path == "" {
					t.Fatalf("%s.OptionPaths(%q): empty path for %s", tl.Name(), words, p.Option)
				}
			}
			for _, extra := range refusedAlways[tl.Name()] {
				if err := tl.CheckOptions(append(slices.Clone(words), extra...)); !errors.Is(err, ErrOptions) {
					t.Fatalf("%s.CheckOptions(%q + %q) = %v; want refused", tl.Name(), words, extra, err)
				}
			}
		}
	})
}

// TestLocalRoom: to a local directory rclone skips a path that would be
// PATH_MAX bytes or more there, and a name longer than NAME_MAX, each with
// its own reason; a path one byte shorter is listed.
func TestLocalRoom(t *testing.T) {
	root := "/" + strings.Repeat("r", 95) // 97 bytes with its '/'
	r := ForDestination(Rclone{}, Destination{Spec: root, LocalPath: root}).(Rclone)
	r.local.nameMax = 200
	fits := strings.Repeat("a/", (PathMax-1-97)/2-1) + "bb" // 97 + 3998 = PathMax-1 bytes at the destination
	for _, c := range []struct {
		path, reason string
	}{
		{fits, ""},
		{fits + "c", "PATH_MAX"},
		{strings.Repeat("n", 201), "NAME_MAX (200)"},
		{"d/" + strings.Repeat("n", 200), ""},
	} {
		v := r.Classify(scan.Entry{Path: c.path, Type: scan.File})
		if (c.reason == "") != v.List || !strings.Contains(v.Reason, c.reason) || strings.Contains(v.Reason, "object key") {
			t.Errorf("%d-byte path: %+v; want reason %q", len(c.path), v, c.reason)
		}
	}
}
