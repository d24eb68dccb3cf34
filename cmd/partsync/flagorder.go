package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// flagsFirst moves the flags of cmd's args (the words after the command's
// name) before its arguments, so that `partsync run SRC DST -n 4` means what
// argo and kubectl users expect: urfave/cli v2 stops reading flags at the
// first argument. A flag that takes a value moves with the word after it,
// whatever that word looks like (`-o '-a -H'`); `--` ends the flags, and
// every word after it stays an argument, in order. A flag that takes a value
// but ends the line is a usage error.
func flagsFirst(cmd *cli.Command, args []string) ([]string, error) {
	takesValue := map[string]bool{}
	for _, f := range cmd.Flags {
		v, ok := f.(cli.DocGenerationFlag)
		for _, name := range f.Names() {
			takesValue[name] = ok && v.TakesValue()
		}
	}
	var flags, positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positional = append(positional, args[i:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if !strings.Contains(name, "=") && takesValue[name] {
			if i+1 == len(args) {
				// Moved before the arguments, it would take the first of
				// them as its value (`status RUN -d` read RUN as -d's).
				return nil, fmt.Errorf("%w: flag %s needs a value, e.g. %s VALUE", ErrUsage, a, a)
			}
			i++
			flags = append(flags, args[i])
		}
	}
	return append(flags, positional...), nil
}
