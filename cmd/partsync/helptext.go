package main

import (
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

// commandExamples end each command's help, as kubectl's and argo's do. The
// paths are the docs' (/mnt/lustre, /mnt/fss, /mnt/shared); TestHelpExamples
// runs every line.
func commandExamples() map[string][]string {
	return map[string][]string{
		"generate": {
			"partsync generate --pvc lustre:/mnt/lustre --pvc fss:/mnt/fss --pvc shared:/mnt/shared -d /mnt/shared/runs -n 16 /mnt/lustre/project /mnt/fss/project | argo submit -",
			"partsync generate -m rclone --rclone-config-secret rclone-conf --pvc lustre:/mnt/lustre --pvc shared:/mnt/shared -d /mnt/shared/runs --auto --output-file wf.yaml /mnt/lustre/project oci:bucket/project",
		},
		"run": {
			"partsync run -n 8 -d /mnt/shared/runs /mnt/lustre/project /mnt/fss/project",
			"partsync run /mnt/lustre/project /mnt/fss/project -n 8 -f 20000 -s 16G --run-id weekly -d /mnt/shared/runs",
			"partsync run --resume nightly -d /mnt/shared/runs",
		},
		"status": {
			"partsync status -d /mnt/shared/runs",
			"partsync status nightly -d /mnt/shared/runs",
			"partsync status /mnt/shared/runs/nightly -o json",
		},
		"verify": {
			"partsync verify nightly -d /mnt/shared/runs",
			"partsync verify nightly -d /mnt/shared/runs --checksum -n 8",
		},
		"prune": {
			"partsync prune -d /mnt/shared/runs",
			"partsync prune -d /mnt/shared/runs --older-than 168h",
		},
		"lint": {
			"partsync lint templates",
			"partsync lint -o json templates/workflowtemplate.yaml",
		},
		"template": {
			"partsync template --pvc lustre:/mnt/lustre --pvc fss:/mnt/fss --pvc shared:/mnt/shared -d /mnt/shared/runs /mnt/lustre/project /mnt/fss/project | kubectl apply -f -",
			"partsync template --cluster -n 16 --pvc lustre:/mnt/lustre --pvc fss:/mnt/fss --pvc shared:/mnt/shared -d /mnt/shared/runs --output-file cwft.yaml /mnt/lustre/project /mnt/fss/project",
		},
		"transfer": {"partsync transfer --run-dir /mnt/shared/runs/nightly --part 0"},
		"dirs":     {"partsync dirs --run-dir /mnt/shared/runs/nightly"},
		"record":   {"partsync record --run-dir /mnt/shared/runs/nightly --workflow-status Succeeded"},
		"demo": {
			"partsync demo --dir /mnt/shared/demo",
			"partsync demo -m rclone -n 4 --dir /mnt/shared/demo-rclone",
		},
	}
}

// withExamples ends cmd's help with its examples.
func withExamples(cmd *cli.Command) {
	lines := commandExamples()[cmd.Name]
	if len(lines) == 0 {
		return
	}
	var b strings.Builder
	b.WriteString(cli.CommandHelpTemplate + "\nEXAMPLES:\n")
	for _, l := range lines {
		b.WriteString("   " + l + "\n")
	}
	cmd.CustomHelpTemplate = b.String()
}

// wrappingHelpPrinter prints help as urfave/cli does, its lines wrapped at
// the width that width gives for the writer (0: not wrapped).
func wrappingHelpPrinter(width func(io.Writer) int) func(io.Writer, string, any) {
	return func(w io.Writer, templ string, data any) {
		funcs := map[string]any{}
		if n := width(w); n > 0 {
			funcs["wrapAt"] = func() int { return n }
		}
		cli.HelpPrinterCustom(w, templ, data, funcs)
	}
}

// terminalWidth is the width of the terminal w writes to, 0 when w is not one.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0
	}
	n, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return n
}
