package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// flagsDocPath is the page whose generated part lists every flag.
var flagsDocPath = filepath.Join("..", "..", "docs", "flags.md")

// Markers around the generated part of docs/flags.md; the prose above them is
// written by hand.
const (
	flagsDocBegin = "<!-- BEGIN GENERATED: go test ./cmd/partsync -run TestFlagsDoc -update -->"
	flagsDocEnd   = "<!-- END GENERATED -->"
)

// flagsReference renders every command of the app, hidden ones included,
// with each flag's names, environment variables, default and usage, in the
// order the commands and flags are defined.
func flagsReference(app *cli.App) string {
	var b strings.Builder
	b.WriteString("## Every command and flag\n\n")
	b.WriteString("Generated from partsync's own flag definitions. Every flag can also be given as the\n")
	b.WriteString("environment variable shown; a flag on the command line wins.\n")
	for _, cmd := range app.Commands {
		fmt.Fprintf(&b, "\n### `partsync %s`\n\n", cmd.Name)
		fmt.Fprintf(&b, "Usage: `%s`\n\n", strings.TrimSpace("partsync "+cmd.Name+" [flags] "+cmd.ArgsUsage))
		b.WriteString(cmd.Usage)
		if cmd.Hidden {
			b.WriteString(" (hidden from `partsync --help`: the workflow's pods run it)")
		}
		b.WriteString(".\n")
		if len(cmd.Flags) == 0 {
			continue
		}
		b.WriteString("\n| flag | env | default | usage |\n|---|---|---|---|\n")
		for _, f := range cmd.Flags {
			var names []string
			for _, n := range f.Names() {
				dash := "--"
				if len(n) == 1 {
					dash = "-"
				}
				names = append(names, "`"+dash+n+"`")
			}
			var env []string
			var def, usage string
			if d, ok := f.(cli.DocGenerationFlag); ok {
				for _, e := range d.GetEnvVars() {
					env = append(env, "`"+e+"`")
				}
				def = strings.Trim(d.GetDefaultText(), `"`)
				usage = d.GetUsage()
			}
			if def != "" {
				def = "`" + def + "`"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", strings.Join(names, ", "), strings.Join(env, ", "), cellText(def), cellText(usage))
		}
	}
	return b.String()
}

// cellText is s as one markdown table cell: pipes escaped, lines joined.
func cellText(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

// TestFlagsDoc: the generated part of docs/flags.md is what the CLI defines
// now; -update rewrites it. A flag added, renamed or given another default
// without running -update fails here.
func TestFlagsDoc(t *testing.T) {
	data, err := os.ReadFile(flagsDocPath)
	if err != nil {
		t.Fatal(err)
	}
	page := string(data)
	gen := flagsDocBegin + "\n\n" + flagsReference(newApp(Streams{})) + "\n" + flagsDocEnd + "\n"
	begin, end := strings.Index(page, flagsDocBegin), strings.Index(page, flagsDocEnd)
	var want string
	switch {
	case begin >= 0 && end > begin:
		want = page[:begin] + gen + page[end+len(flagsDocEnd+"\n"):]
	case begin < 0 && end < 0:
		want = strings.TrimRight(page, "\n") + "\n\n" + gen
	default:
		t.Fatalf("%s: one of the markers %q, %q is missing", flagsDocPath, flagsDocBegin, flagsDocEnd)
	}
	if *update {
		if err := os.WriteFile(flagsDocPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if page != want {
		t.Errorf("%s is stale: the CLI's flags changed (run: go test ./cmd/partsync -run TestFlagsDoc -update)", flagsDocPath)
	}
	for _, cmd := range newApp(Streams{}).Commands {
		for _, f := range cmd.Flags {
			if !strings.Contains(page, "`--"+f.Names()[0]+"`") && !strings.Contains(page, "`-"+f.Names()[0]+"`") {
				t.Errorf("%s: partsync %s's flag %s is missing", flagsDocPath, cmd.Name, f.Names()[0])
			}
		}
	}
}
