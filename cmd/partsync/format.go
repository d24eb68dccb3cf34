package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/urfave/cli/v2"
	"sigs.k8s.io/yaml"
)

// outputFormats are the values of -o/--output, as argo and kubectl have them.
var outputFormats = []string{"text", "json", "yaml"}

// outputFlag is --output, with the aliases given: -o for the commands that
// print a report (status, lint); none for run, whose -o is fpsync's tool
// options.
func outputFlag(aliases []string) cli.Flag {
	return &cli.StringFlag{Name: "output", Aliases: aliases, Value: "text", Usage: "text, json or yaml (on stdout)"}
}

// outputFormat reads and checks --output.
func outputFormat(c *cli.Context) (string, error) {
	f := c.String("output")
	if !slices.Contains(outputFormats, f) {
		return "", fmt.Errorf("%w: --output %q: give text, json or yaml", ErrUsage, f)
	}
	return f, nil
}

// printFormatted writes v as JSON or YAML, or calls text for the text form.
func printFormatted(w io.Writer, format string, v any, text func()) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case "yaml":
		data, err := yaml.Marshal(v) // through JSON: the same field names as -o json
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	text()
	return nil
}
