package tool

import (
	"reflect"
	"strings"
	"testing"

	"github.com/partsync/partsync/generator/scan"
)

func TestDirsArgv(t *testing.T) {
	job := Job{Source: "/src", Destination: "/dst/", PartFile: "/run/parts/dirs", Options: Rsync{}.DefaultOptions()}
	want := []string{"rsync", "-a", "--numeric-ids", "-H", "--no-recursive", "--dirs", "--from0", "--files-from=/run/parts/dirs", "/src/", "/dst/"}
	if got := (Rsync{}).DirsArgv(job); !reflect.DeepEqual(got, want) {
		t.Errorf("DirsArgv = %q; want %q", got, want)
	}
	var tl Tool = Rclone{}
	if _, ok := tl.(DirFinisher); ok {
		t.Errorf("rclone has a directory step; object storage keeps no directories")
	}
	if _, ok := tl.(LinkGrouper); ok {
		t.Errorf("rclone groups hard links; it copies each link as its own file")
	}
}

func TestKeepsHardLinks(t *testing.T) {
	for opts, want := range map[string]bool{
		"-a --numeric-ids -H":  true,
		"-aH":                  true,
		"-avHAX":               true,
		"--hard-links":         true,
		"-a":                   false,
		"-aH --no-H":           false,
		"-H --no-hard-links":   false,
		"--no-H -H":            true,
		"-B 1024":              false,
		"-aB H":                false, // H is -B's value
		"--bwlimit=10 --stats": false,
	} {
		words, err := SplitOptions(opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := KeepsHardLinks(words); got != want {
			t.Errorf("KeepsHardLinks(%q) = %v; want %v", opts, got, want)
		}
	}
}

func TestForDestinationKeyLength(t *testing.T) {
	long := scan.Entry{Path: strings.Repeat("k", 1020), Type: scan.File}
	fits := scan.Entry{Path: strings.Repeat("k", 1014), Type: scan.File}
	remote := ForDestination(Rclone{}, Destination{Spec: "s3:bucket/pre/fix", Remote: "s3"}) // keys "pre/fix/…": 8 bytes of prefix
	if v := remote.Classify(long); v.List || !strings.Contains(v.Reason, "1024") {
		t.Errorf("a 1028-byte key: %+v; want skipped naming the limit", v)
	}
	if v := remote.Classify(fits); !v.List {
		t.Errorf("a 1022-byte key: %+v; want listed", v)
	}
	if v := ForDestination(Rclone{}, Destination{Spec: "s3:bucket", Remote: "s3"}).Classify(long); !v.List {
		t.Errorf("a 1020-byte key without prefix: %+v; want listed", v)
	}
	for _, tl := range []Tool{ForDestination(Rclone{}, Destination{Spec: "/local", LocalPath: "/local"}), ForDestination(Rsync{}, Destination{Spec: "/d", LocalPath: "/d"})} {
		deep := strings.Repeat("k", 199) + strings.Repeat("/"+strings.Repeat("k", 199), 19) // 3999 bytes, below PATH_MAX with /local/
		if v := tl.Classify(scan.Entry{Path: deep, Type: scan.File}); !v.List {
			t.Errorf("%s to a local path skips a long path: %+v", tl.Name(), v)
		}
	}
}

func TestRcloneListName(t *testing.T) {
	for in, want := range map[string]string{
		"plain/name":     "plain/name",
		"tab\there":      "tab\u2409here",
		"esc\x1b[0m":     "esc\u241b[0m",
		"del\x7f":        "del\u2421",
		"bell\a ünïcödé": "bell\u2407 ünïcödé",
	} {
		if got := (Rclone{}).ListName(in); got != want {
			t.Errorf("ListName(%q) = %q; want %q", in, got, want)
		}
		if back := (Rclone{}).SourceName(want); back != in {
			t.Errorf("SourceName(%q) = %q; want %q", want, back, in)
		}
	}
	for _, name := range []string{"lit\u2409", "quote\u201b"} {
		if v := (Rclone{}).Classify(scan.Entry{Path: name, Type: scan.File}); v.List || v.Reason == "" {
			t.Errorf("Classify(%q) = %+v; want skipped with a reason", name, v)
		}
	}
}
