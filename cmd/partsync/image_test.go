package main

// No Docker engine runs here: these tests check what can be checked of the
// image without one. The build stage's `go build` line, taken from the
// Dockerfile word for word, must give a static binary that runs; the
// versions and names the Dockerfile, the CLI's --image default and the build
// context use must agree.

import (
	"debug/elf"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

var imageBuild = flag.Bool("image-build", false, "run the Dockerfile's go build line (TestDockerfileBuildStage)")

// dockerInstruction is one instruction of the Dockerfile, continuations joined.
type dockerInstruction struct{ cmd, rest string }

func readDockerfile(t *testing.T) []dockerInstruction {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var out []dockerInstruction
	var cur string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") && cur == "" {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		cur += line
		if f := strings.Fields(cur); len(f) > 0 {
			out = append(out, dockerInstruction{strings.ToUpper(f[0]), strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(cur), f[0]))})
		}
		cur = ""
	}
	return out
}

// shellCall parses a RUN or ENV line as the shell would: its variable
// assignments and its argv, with vars (NAME=value) set and others empty.
func shellCall(t *testing.T, line string, vars ...string) (env []string, argv []string) {
	t.Helper()
	f, err := syntax.NewParser().Parse(strings.NewReader(line), "")
	if err != nil || len(f.Stmts) != 1 {
		t.Fatalf("%q is not one simple command: %v", line, err)
	}
	call, ok := f.Stmts[0].Cmd.(*syntax.CallExpr)
	if !ok {
		t.Fatalf("%q is not a simple command", line)
	}
	cfg := &expand.Config{Env: expand.ListEnviron(vars...)}
	for _, a := range call.Assigns {
		v, err := expand.Literal(cfg, a.Value)
		if err != nil {
			t.Fatal(err)
		}
		env = append(env, a.Name.Value+"="+v)
	}
	argv, err = expand.Fields(cfg, call.Args...)
	if err != nil {
		t.Fatal(err)
	}
	return env, argv
}

// TestDockerfileBuildStage runs the build stage's `go build` line as it
// stands, with its environment, for the build machine (BuildKit's TARGETARCH
// empty) and cross-compiled for linux/arm64 (OKE Ampere nodes), and checks
// that each binary is static and of its machine, and that the native one
// runs --version. CGO_ENABLED=0 and -trimpath rebuild every package once per
// architecture (a few minutes on two cores, then cached), so it runs only
// when asked, as CI does in a line of its own:
//
//	go test -count=1 -timeout 45m -run '^TestDockerfileBuildStage$' ./cmd/partsync -image-build
func TestDockerfileBuildStage(t *testing.T) {
	if !*imageBuild {
		t.Skip("-image-build builds partsync as the Dockerfile does (a full rebuild the first time)")
	}
	for _, target := range []struct {
		name    string
		vars    []string // BuildKit's platform arguments
		machine elf.Machine
	}{
		{"native", nil, hostMachine(t)},
		{"linux-arm64", []string{"TARGETOS=linux", "TARGETARCH=arm64"}, elf.EM_AARCH64},
	} {
		t.Run(target.name, func(t *testing.T) {
			out := buildStage(t, target.vars)
			bin, err := elf.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = bin.Close() }()
			if bin.Machine != target.machine {
				t.Errorf("the binary is for %v; want %v", bin.Machine, target.machine)
			}
			for _, p := range bin.Progs {
				if p.Type == elf.PT_INTERP {
					t.Errorf("the binary asks for a dynamic loader: it is not static")
				}
			}
			if libs, _ := bin.ImportedLibraries(); len(libs) > 0 {
				t.Errorf("the binary links %q", libs)
			}
			if bin.Section(".debug_info") != nil {
				t.Errorf("the binary keeps its DWARF: -ldflags -s -w is lost")
			}
			if target.vars != nil {
				return
			}
			b, err := exec.Command(out, "--version").CombinedOutput()
			if err != nil || !strings.Contains(string(b), version) {
				t.Errorf("%s --version: %v: %s", out, err, b)
			}
		})
	}
}

// hostMachine is the ELF machine of the running test binary.
func hostMachine(t *testing.T) elf.Machine {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	return f.Machine
}

// buildStage runs the Dockerfile's `go build` line of partsync with the
// stage's ENV and the platform arguments vars, and returns the binary's path.
func buildStage(t *testing.T, vars []string) string {
	t.Helper()
	var env, argv []string
	for _, in := range readDockerfile(t) {
		switch {
		case in.cmd == "ENV" && argv == nil:
			e, _ := shellCall(t, in.rest, vars...)
			env = append(env, e...)
		case in.cmd == "RUN" && strings.Contains(in.rest, "go build"):
			e, a := shellCall(t, in.rest, vars...)
			env, argv = append(env, e...), a
		}
	}
	if !slices.Contains(env, "CGO_ENABLED=0") || len(argv) < 3 || argv[0] != "go" || argv[1] != "build" {
		t.Fatalf("no `CGO_ENABLED=0 go build` line in the Dockerfile: env %q, argv %q", env, argv)
	}
	out := filepath.Join(t.TempDir(), "partsync")
	i := slices.Index(argv, "-o")
	if i < 0 || argv[i+1] != "/out/partsync" {
		t.Fatalf("the build writes no /out/partsync: %q", argv)
	}
	argv[i+1] = out
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = filepath.Join("..", "..")
	// An empty GOOS= or GOARCH= (no BuildKit) means the build machine's, as in the Dockerfile.
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%q %q: %v\n%s", env, argv, err, b)
	}
	return out
}

// TestDockerfile: pinned versions, the version label, a non-root user, and a
// build context that holds every package partsync is built from.
func TestDockerfile(t *testing.T) {
	args := map[string]string{}
	var user, copies []string
	var runs, labels string
	for _, in := range readDockerfile(t) {
		switch in.cmd {
		case "ARG":
			if name, value, ok := strings.Cut(in.rest, "="); ok {
				args[name] = value
			}
		case "USER":
			user = append(user, in.rest)
		case "COPY":
			copies = append(copies, in.rest)
		case "RUN":
			runs += in.rest + "\n"
		case "LABEL":
			labels += in.rest
		}
	}
	if args["PARTSYNC_VERSION"] != version {
		t.Errorf("ARG PARTSYNC_VERSION=%s; partsync is %s", args["PARTSYNC_VERSION"], version)
	}
	for _, name := range []string{"GO_VERSION", "RCLONE_VERSION", "RSYNC_MIN_VERSION", "DEBIAN_RELEASE"} {
		if !regexp.MustCompile(`^v?[0-9][0-9a-z.+~-]*$|^[a-z]+$`).MatchString(args[name]) {
			t.Errorf("ARG %s=%q is not pinned to a version", name, args[name])
		}
	}
	if !strings.Contains(runs, `"$rsync_version" lt "$RSYNC_MIN_VERSION"`) || !strings.Contains(runs, "github.com/rclone/rclone@${RCLONE_VERSION}") || !strings.Contains(runs, "/out/partsync --version") {
		t.Errorf("rsync or rclone is not installed at its pinned version, or partsync is not run:\n%s", runs)
	}
	for _, l := range []string{`org.opencontainers.image.version="${PARTSYNC_VERSION}"`, `org.opencontainers.image.source="https://github.com/partsync/partsync"`} {
		if !strings.Contains(labels, l) {
			t.Errorf("the image has no label %s", l)
		}
	}
	if len(user) == 0 || user[len(user)-1] != "65532:65532" {
		t.Errorf("the image's last USER is %q; want the numeric non-root 65532:65532 (runAsNonRoot checks it)", user)
	}
	if want := "ghcr.io/partsync/partsync:v" + version; defaultImage(version) != want {
		t.Errorf("--image defaults to %s; the image is %s", defaultImage(version), want)
	}
	// The build context: .dockerignore lets in go.mod, go.sum, cmd/ and
	// generator/, which the COPY lines take, and partsync needs nothing else.
	ignore, err := os.ReadFile(filepath.Join("..", "..", ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"!go.mod", "!go.sum", "!cmd/", "!generator/"} {
		if !slices.Contains(strings.Split(string(ignore), "\n"), want) {
			t.Errorf(".dockerignore does not let in %s", want)
		}
	}
	for _, want := range []string{"go.mod go.sum ./", "cmd ./cmd", "generator ./generator"} {
		if !slices.Contains(copies, want) {
			t.Errorf("no COPY %s", want)
		}
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if .Module}}{{if .Module.Main}}{{.ImportPath}}{{end}}{{end}}", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		rel := strings.TrimPrefix(pkg, "github.com/partsync/partsync/")
		if !strings.HasPrefix(rel, "cmd/") && !strings.HasPrefix(rel, "generator/") {
			t.Errorf("partsync imports %s, which the image's build context leaves out", pkg)
		}
	}
}
