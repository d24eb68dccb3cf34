package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
	"sigs.k8s.io/yaml"

	"github.com/partsync/partsync/generator/testtree/sample"
	"github.com/partsync/partsync/generator/workflow"
)

const examplesDir = "../../examples"

// exampleEnv are the variables the examples' commands use, per file.
var exampleEnv = map[string][]string{
	"ci/github-actions.yml": {"SRC=/mnt/lustre/project", "DST=oci:my-bucket/project", "GITHUB_RUN_ID=4711", "GITHUB_RUN_ATTEMPT=1"},
	"ci/gitlab-ci.yml":      {"SRC=/mnt/lustre/project", "DST=/mnt/fss/project", "CI_PIPELINE_ID=815"},
}

// exampleCommand is one partsync command line shown in an example.
type exampleCommand struct {
	file, line string
}

// exampleCommands extracts every command line that starts with `partsync `
// from the examples: in fenced code blocks of markdown, and anywhere in
// scripts and CI files (also as a YAML list item), continuation lines joined.
func exampleCommands(t *testing.T) []exampleCommand { return commandsIn(t, examplesDir) }

// commandsIn is exampleCommands of the files under root (or the file root).
func commandsIn(t *testing.T, root string) []exampleCommand {
	t.Helper()
	var out []exampleCommand
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out = append(out, commandLines(rel, string(data), strings.HasSuffix(path, ".md"))...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// commandLines returns the partsync command lines of one file: in markdown,
// of its fenced code blocks; elsewhere, every line (also as a YAML list
// item), continuation lines joined.
func commandLines(file, data string, markdown bool) []exampleCommand {
	var out []exampleCommand
	inCode := false
	var cur string
	for _, line := range strings.Split(data, "\n") {
		trimmed := strings.TrimSpace(line)
		if markdown && strings.HasPrefix(trimmed, "```") {
			inCode = !inCode
			continue
		}
		if markdown && !inCode {
			continue
		}
		if cur == "" {
			trimmed = strings.TrimPrefix(strings.TrimPrefix(trimmed, "- "), "run: ")
			if !strings.HasPrefix(trimmed, "partsync ") {
				continue
			}
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur += strings.TrimSuffix(trimmed, "\\") + " "
			continue
		}
		out = append(out, exampleCommand{file, cur + trimmed})
		cur = ""
	}
	return out
}

// parseExample reads a command line as the shell would: the argv of its
// first command (before any pipe), and the file its standard output is
// redirected to, if any.
func parseExample(t *testing.T, c exampleCommand, env []string) (argv []string, stdout string, piped bool) {
	t.Helper()
	f, err := syntax.NewParser().Parse(strings.NewReader(c.line), "")
	if err != nil || len(f.Stmts) != 1 {
		t.Fatalf("%s: %q is not one command line: %v", c.file, c.line, err)
	}
	stmt := f.Stmts[0]
	if bin, ok := stmt.Cmd.(*syntax.BinaryCmd); ok {
		if bin.Op != syntax.Pipe {
			t.Fatalf("%s: %q: only a pipe may follow partsync", c.file, c.line)
		}
		stmt, piped = bin.X, true
	}
	call, ok := stmt.Cmd.(*syntax.CallExpr)
	if !ok {
		t.Fatalf("%s: %q is not a simple command", c.file, c.line)
	}
	cfg := &expand.Config{Env: expand.ListEnviron(env...)}
	if argv, err = expand.Fields(cfg, call.Args...); err != nil {
		t.Fatalf("%s: %q: %v", c.file, c.line, err)
	}
	for _, r := range stmt.Redirs {
		if r.Op != syntax.RdrOut {
			t.Fatalf("%s: %q: unexpected redirection", c.file, c.line)
		}
		if stdout, err = expand.Literal(cfg, r.Word); err != nil {
			t.Fatal(err)
		}
	}
	return argv, stdout, piped
}

// TestExamples runs every partsync command the examples show, in order,
// file by file, against a sample tree standing in for /mnt: each must
// succeed, and a workflow it prints must pass Argo's validator.
func TestExamples(t *testing.T) {
	needTools(t, "rsync")
	commands := exampleCommands(t)
	byFile := map[string][]exampleCommand{}
	for _, c := range commands {
		byFile[c.file] = append(byFile[c.file], c)
	}
	for _, file := range []string{"README.md", "ci/github-actions.yml", "ci/gitlab-ci.yml"} {
		if len(byFile[file]) < 2 {
			t.Errorf("examples/%s shows %d partsync commands; the test lost them", file, len(byFile[file]))
		}
	}
	for file, list := range byFile {
		t.Run(strings.ReplaceAll(file, "/", "_"), func(t *testing.T) {
			base := t.TempDir()
			mnt := filepath.Join(base, "mnt")
			if _, err := sample.Build(filepath.Join(mnt, "lustre", "project"), sample.Spec{Seed: 3, Dirs: 8, FilesPerDir: 10, MaxSize: 4 << 10, Extras: true}); err != nil {
				t.Fatal(err)
			}
			for _, d := range []string{"fss", "shared"} {
				if err := os.MkdirAll(filepath.Join(mnt, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			work := filepath.Join(base, "work")
			if err := os.MkdirAll(work, 0o755); err != nil {
				t.Fatal(err)
			}
			// rclone.conf as the examples use it: generate only checks that DST's remote exists.
			conf := []byte("[oci]\ntype = local\n\n[s3]\ntype = local\n")
			if err := os.WriteFile(filepath.Join(work, "rclone.conf"), conf, 0o600); err != nil {
				t.Fatal(err)
			}
			t.Chdir(work)
			env := append([]string{"RUNNER_TEMP=" + work, "HOME=" + work}, exampleEnv[file]...)
			for _, c := range list {
				argv, stdout, piped := parseExample(t, c, env)
				for i := range argv {
					argv[i] = strings.ReplaceAll(argv[i], "/mnt/", mnt+"/")
				}
				runShown(t, "examples/"+file, c.line, argv, stdout, piped && argv[1] == "generate")
			}
		})
	}
}

// runShown runs the argv of a command line a page shows, which must exit 0;
// its standard output goes to the file the line redirects it to, if any,
// and through Argo's validator when lint is set.
func runShown(t *testing.T, page, line string, argv []string, stdout string, lint bool) {
	t.Helper()
	res := partsync(context.Background(), argv[1:]...)
	if res.code != ExitOK {
		t.Fatalf("%s: %s\n%s", page, line, res)
	}
	if stdout != "" {
		if err := os.WriteFile(stdout, []byte(res.stdout), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if lint {
		lintDoc(t, line, res.stdout)
	}
}

// lintDoc runs Argo's validator on a printed document.
func lintDoc(t *testing.T, what, doc string) {
	t.Helper()
	var out bytes.Buffer
	if err := workflow.LintDocuments(context.Background(), []workflow.Document{{Name: what, Data: []byte(doc)}}, "argo", &out); err != nil {
		t.Errorf("%s prints a document Argo rejects: %v\n%s", what, err, out.String())
	}
}

// TestExampleDocuments: every YAML file of examples/ parses, and every Argo
// document among them passes Argo's validator, with templates/ beside them
// for the workflowTemplateRefs.
func TestExampleDocuments(t *testing.T) {
	argoKinds := []string{"Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow"}
	var argoFiles []string
	err := filepath.WalkDir(examplesDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, doc := range strings.Split(string(data), "\n---\n") {
			var meta struct{ Kind string }
			if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
				t.Errorf("%s is not YAML: %v", path, err)
			}
			if slices.Contains(argoKinds, meta.Kind) && !slices.Contains(argoFiles, path) {
				argoFiles = append(argoFiles, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(argoFiles) < 2 {
		t.Fatalf("only %d Argo documents in examples/", len(argoFiles))
	}
	// The templates as `kubectl -n argo apply` installs them: in namespace argo.
	docs, err := workflow.ReadDocuments(argoFiles, nil)
	if err != nil {
		t.Fatal(err)
	}
	for file := range shippedTemplates {
		data, err := os.ReadFile(filepath.Join("..", "..", "templates", file))
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		if doc["kind"] != "WorkflowTemplate" {
			continue
		}
		doc["metadata"].(map[string]any)["namespace"] = "argo"
		if data, err = yaml.Marshal(doc); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, workflow.Document{Name: file + " (in namespace argo)", Data: data})
	}
	var out bytes.Buffer
	if err := workflow.LintDocuments(context.Background(), docs, "argo", &out); err != nil {
		t.Errorf("Argo's validator rejects examples: %v\n%s", err, out.String())
	}
}

// TestClusterDocCommands runs every partsync command of docs/cluster.md: the
// generate and template commands with the pod knobs (against a sample tree
// standing in for /mnt; what they print passes Argo's validator), and, from
// the repository's root, the lint of the examples (Workflows in namespace
// argo that refer to the templates) with templates/ (which name no
// namespace: they go where they are applied). That lint exited 6
// ("couldn't find workflow template … in namespace argo") before the lint
// looked for namespace-less templates in every namespace.
func TestClusterDocCommands(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	commands := commandsIn(t, filepath.Join(root, "docs", "cluster.md"))
	base := t.TempDir()
	mnt := filepath.Join(base, "mnt")
	if _, err := sample.Build(filepath.Join(mnt, "lustre", "project"), sample.Spec{Seed: 5, Dirs: 4, FilesPerDir: 5, MaxSize: 1 << 10}); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(mnt, "shared"), 0o755); err != nil {
		t.Fatal(err)
	}
	ran := map[string]int{}
	for _, c := range commands {
		argv, stdout, _ := parseExample(t, c, nil)
		if argv[1] == "lint" {
			t.Chdir(root)
		} else {
			t.Chdir(base)
			for i := range argv {
				argv[i] = strings.ReplaceAll(argv[i], "/mnt/", mnt+"/")
			}
		}
		res := partsync(context.Background(), argv[1:]...)
		if res.code != ExitOK {
			t.Fatalf("docs/cluster.md: %s\n%s", c.line, res)
		}
		if stdout != "" {
			lintDoc(t, c.line, res.stdout)
		}
		ran[argv[1]]++
	}
	if ran["generate"] < 1 || ran["template"] < 1 || ran["lint"] < 1 {
		t.Errorf("docs/cluster.md shows %v partsync commands; the test lost some", ran)
	}
}

// docPages are the pages whose partsync commands TestDocCommands runs:
// README.md and every page of docs/, a page added later included
// (docs/cluster.md has its own test, TestClusterDocCommands).
func docPages(t *testing.T, root string) []string {
	t.Helper()
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil || len(pages) == 0 {
		t.Fatalf("no docs/*.md under %s: %v", root, err)
	}
	out := []string{"README.md"}
	for _, p := range pages {
		if rel := "docs/" + filepath.Base(p); rel != "docs/cluster.md" {
			out = append(out, rel)
		}
	}
	return out
}

// TestDocCommands runs every partsync command in the code blocks (fenced or
// indented) of README.md and the docs pages, in order, page by page, against
// a sample tree standing in for /mnt and /data (lint from the repository's
// root, on its files): each must succeed, and a workflow or template it
// prints must pass Argo's validator.
func TestDocCommands(t *testing.T) {
	needTools(t, "rsync", "rclone")
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, page := range docPages(t, root) {
		t.Run(strings.ReplaceAll(page, "/", "_"), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(root, page))
			if err != nil {
				t.Fatal(err)
			}
			commands := commandLines(page, markdownCode(string(data)), false)
			total += len(commands)
			runDocCommands(t, root, page, commands, nil)
		})
	}
	if total < 12 {
		t.Errorf("README.md and docs/ show %d partsync commands; the test lost some", total)
	}
}

// runDocCommands runs the command lines a page shows, in order, against
// sample trees standing in for /mnt and /data; each must exit 0. before,
// if set, runs first with the temporary base directory.
func runDocCommands(t *testing.T, root, page string, commands []exampleCommand, before func(base string)) {
	base := t.TempDir()
	for _, src := range []string{"mnt/lustre/project", "data/src"} {
		if _, err := sample.Build(filepath.Join(base, src), sample.Spec{Seed: 7, Dirs: 4, FilesPerDir: 5, MaxSize: 1 << 10}); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"mnt/fss", "mnt/shared", "work"} {
		if err := os.MkdirAll(filepath.Join(base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	work := filepath.Join(base, "work")
	conf := filepath.Join(work, "rclone.conf")
	if err := os.WriteFile(conf, []byte("[oci]\ntype = local\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RCLONE_CONFIG", conf)
	if before != nil {
		before(base)
	}
	for _, c := range commands {
		argv, stdout, piped := parseExample(t, c, []string{"HOME=" + work})
		if argv[1] == "lint" {
			t.Chdir(root)
		} else {
			t.Chdir(work)
			for i := range argv {
				argv[i] = strings.ReplaceAll(strings.ReplaceAll(argv[i], "/mnt/", base+"/mnt/"), "/data/", base+"/data/")
			}
		}
		runShown(t, page, c.line, argv, stdout, piped && argv[1] != "lint" && !strings.Contains(c.line, "--summary-json -"))
	}
}

// markdownCode keeps the lines of markdown's code blocks, fenced or indented
// by four spaces (unindented), and blanks the prose.
func markdownCode(doc string) string {
	var out []string
	fenced := false
	for _, line := range strings.Split(doc, "\n") {
		switch {
		case strings.HasPrefix(strings.TrimSpace(line), "```"):
			fenced = !fenced
			line = ""
		case fenced:
		case strings.HasPrefix(line, "    "):
			line = line[4:]
		default:
			line = ""
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}
