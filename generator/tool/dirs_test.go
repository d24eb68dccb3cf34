package tool

import (
	"reflect"
	"testing"
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
