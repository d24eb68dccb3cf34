package tool

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var updateRcloneOptions = flag.Bool("update-rclone-options", false, "rewrite rclone-backend-options.txt from the pinned rclone's registry")

// pinnedRclone finds rclone at the version the Dockerfile pins: on PATH
// (CI puts it first), else where .ci/rclone.sh caches it. It skips the test
// when there is none, or fails it when PARTSYNC_REQUIRE_TOOLS is set.
func pinnedRclone(t *testing.T) (bin, version string) {
	t.Helper()
	dockerfile, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^ARG RCLONE_VERSION=(\S+)$`).FindSubmatch(dockerfile)
	if m == nil {
		t.Fatal("no ARG RCLONE_VERSION in the Dockerfile")
	}
	version = string(m[1])
	cache := os.Getenv("PARTSYNC_TOOLS_CACHE")
	if home, err := os.UserHomeDir(); cache == "" && err == nil {
		cache = filepath.Join(home, ".cache", "partsync-tools")
	}
	candidates := []string{filepath.Join(cache, "rclone-"+version, "rclone")}
	if onPath, err := exec.LookPath("rclone"); err == nil {
		candidates = append([]string{onPath}, candidates...)
	}
	for _, c := range candidates {
		out, err := exec.Command(c, "version").Output()
		if err == nil && strings.HasPrefix(string(out), "rclone "+version+"\n") {
			return c, version
		}
	}
	msg := fmt.Sprintf("no rclone %s (the Dockerfile's) on PATH or in %s: bash .ci/rclone.sh builds it", version, cache)
	if os.Getenv("PARTSYNC_REQUIRE_TOOLS") != "" {
		t.Fatal(msg + " (PARTSYNC_REQUIRE_TOOLS is set)")
	}
	t.Skip(msg)
	return "", ""
}

// registryLines are rclone-backend-options.txt's contents made from the
// JSON of `rclone config providers`.
func registryLines(t *testing.T, version string, providers []byte) string {
	t.Helper()
	var backends []struct {
		Prefix  string
		Options []struct {
			Name        string
			Type        string
			Hide        int
			NoPrefix    bool
			IsPassword  bool
			Sensitive   bool
			Advanced    bool
			Description string
		}
	}
	if err := json.Unmarshal(providers, &backends); err != nil {
		t.Fatalf("rclone config providers: %v", err)
	}
	type entry struct {
		typ       string
		sensitive bool
	}
	flags := map[string]entry{}
	for _, b := range backends {
		for _, o := range b.Options {
			if o.Hide&1 != 0 { // OptionHideCommandLine: no flag
				continue
			}
			flag := "--" + strings.ReplaceAll(o.Name, "_", "-")
			if !o.NoPrefix {
				flag = "--" + b.Prefix + "-" + strings.ReplaceAll(o.Name, "_", "-")
			}
			e := flags[flag]
			e.typ = o.Type
			e.sensitive = e.sensitive || o.IsPassword || o.Sensitive
			flags[flag] = e
		}
	}
	names := make([]string, 0, len(flags))
	for n := range flags {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "# rclone %s backend options (rclone config providers): flag, type, sensitive or plain.\n", version)
	b.WriteString("# Generated: go test ./generator/tool -run TestRcloneBackendOptionsCurrent -update-rclone-options\n")
	for _, n := range names {
		mark := "plain"
		if flags[n].sensitive {
			mark = "sensitive"
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\n", n, flags[n].typ, mark)
	}
	return b.String()
}

// TestRcloneBackendOptionsCurrent: the embedded registry is the one of the
// rclone the image ships. A new rclone version in the Dockerfile fails it
// until the file is regenerated (-update-rclone-options).
func TestRcloneBackendOptionsCurrent(t *testing.T) {
	bin, version := pinnedRclone(t)
	out, err := exec.Command(bin, "config", "providers").Output()
	if err != nil {
		t.Fatalf("%s config providers: %v", bin, err)
	}
	want := registryLines(t, version, out)
	if *updateRcloneOptions {
		if err := os.WriteFile("rclone-backend-options.txt", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if rcloneBackendOptions != want {
		t.Fatalf("rclone-backend-options.txt is not the registry of rclone %s (%s); regenerate it: go test ./generator/tool -run TestRcloneBackendOptionsCurrent -update-rclone-options", version, bin)
	}
	sensitive := strings.Count(want, "\tsensitive\n")
	if sensitive < 100 {
		t.Errorf("only %d sensitive options in rclone %s's registry: the parse lost them", sensitive, version)
	}
	t.Logf("rclone %s: %d backend options, %d sensitive", version, strings.Count(want, "\n")-2, sensitive)
}
