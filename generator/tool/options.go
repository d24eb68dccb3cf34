package tool

import (
	"errors"
	"fmt"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// ErrOptions is wrapped when tool options cannot be used.
var ErrOptions = errors.New("bad tool options")

// SplitOptions splits the -o string into words the way a POSIX shell would
// quote them ('single', "double", back\ slash), without any expansion:
// partsync never runs a shell, so $VAR, $(cmd), `cmd`, ~, and operators such
// as ; | & are rejected instead of being passed on in a form the user did not
// mean.
func SplitOptions(s string) ([]string, error) {
	words := []string{}
	parser := syntax.NewParser(syntax.Variant(syntax.LangPOSIX))
	for w, err := range parser.WordsSeq(strings.NewReader(s)) {
		if err != nil {
			return nil, fmt.Errorf("%w %q: %v; quote the option or drop shell syntax", ErrOptions, s, err)
		}
		lit, err := literal(w)
		if err != nil {
			return nil, fmt.Errorf("%w %q: %v; partsync runs no shell, so give the literal value", ErrOptions, s, err)
		}
		words = append(words, lit)
	}
	return words, nil
}

// literal removes the quotes of a word that holds no expansion, as a shell
// would, and rejects every part a shell would expand.
func literal(w *syntax.Word) (string, error) {
	var b strings.Builder
	for i, part := range w.Parts {
		switch p := part.(type) {
		case *syntax.Lit:
			if i == 0 && strings.HasPrefix(p.Value, "~") {
				return "", fmt.Errorf("%q would need a shell to expand ~", p.Value)
			}
			if strings.Contains(p.Value, "$") {
				return "", fmt.Errorf("%q: an unquoted $ means expansion to a shell; quote it", wordText(w))
			}
			b.WriteString(unescape(p.Value, ""))
		case *syntax.SglQuoted:
			if p.Dollar {
				return "", fmt.Errorf("$'...' quoting is not supported")
			}
			b.WriteString(p.Value)
		case *syntax.DblQuoted:
			for _, inner := range p.Parts {
				lit, ok := inner.(*syntax.Lit)
				if !ok {
					return "", fmt.Errorf("%q expands inside double quotes", wordText(w))
				}
				b.WriteString(unescape(lit.Value, "$`\"\\\n"))
			}
		default:
			return "", fmt.Errorf("%q would need a shell to expand", wordText(w))
		}
	}
	return b.String(), nil
}

// unescape removes backslashes as a shell does: outside quotes (special
// empty) a backslash quotes any character; inside double quotes only the
// special ones. A backslash-newline disappears.
func unescape(s, special string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (special == "" || strings.IndexByte(special, s[i+1]) >= 0) {
			i++
			if s[i] != '\n' {
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func wordText(w *syntax.Word) string {
	var b strings.Builder
	if err := syntax.NewPrinter().Print(&b, w); err != nil {
		return "?"
	}
	return b.String()
}

// optionRule says why an option cannot be passed to a tool; it matches the
// option name (the part before any '=').
type optionRule struct {
	names  []string // exact long names, or prefixes when they end in '*'
	reason string
}

func (r optionRule) matches(name string) bool {
	for _, n := range r.names {
		if prefix, ok := strings.CutSuffix(n, "*"); ok && strings.HasPrefix(name, prefix) || name == n {
			return true
		}
	}
	return false
}

// secretWords mark an option whose value may be a credential. Credentials
// belong in the rclone config Secret, never in argv.
var secretWords = []string{"secret", "password", "pass", "token", "credential", "key"}

// checkSecret rejects options that could carry a credential in argv.
func checkSecret(name string) error {
	bare := strings.TrimLeft(name, "-")
	if strings.HasSuffix(bare, "-file") {
		return nil // a path to a file is not the secret itself
	}
	for _, word := range secretWords {
		if strings.Contains(strings.ToLower(bare), word) {
			return fmt.Errorf("%w: %s may carry a credential and argv is visible to every user of the node and in the workflow; put it in the rclone config Secret (--rclone-config-secret)", ErrOptions, name)
		}
	}
	return nil
}

// checkOptions applies the common rules and the tool's own: every word must
// be an option or the value right after one (a stray word would become an
// extra source path), no option may carry a credential, and no option may
// break partitioning.
func checkOptions(opts []string, rules []optionRule, shortBanned string, shortWithArg string) error {
	var errs []error
	afterOption := false
	for _, opt := range opts {
		switch {
		case opt == "--":
			errs = append(errs, fmt.Errorf("%w: \"--\" would end the options; partsync adds the paths itself", ErrOptions))
		case strings.HasPrefix(opt, "--"):
			name, _, hasValue := strings.Cut(opt, "=")
			if err := checkSecret(name); err != nil {
				errs = append(errs, err)
			}
			for _, r := range rules {
				if r.matches(name) {
					errs = append(errs, fmt.Errorf("%w: %s: %s", ErrOptions, name, r.reason))
				}
			}
			afterOption = !hasValue
		case strings.HasPrefix(opt, "-") && len(opt) > 1:
			afterOption = false
			for i, c := range opt[1:] {
				if strings.ContainsRune(shortBanned, c) {
					errs = append(errs, fmt.Errorf("%w: -%c (in %s) breaks partitioning: each partition is an explicit file list", ErrOptions, c, opt))
				}
				if strings.ContainsRune(shortWithArg, c) {
					afterOption = i == len(opt)-2 // the value is the next word
					break
				}
			}
		case afterOption:
			afterOption = false
		default:
			errs = append(errs, fmt.Errorf("%w: %q is not an option; partsync passes SRC, DST and the file list itself", ErrOptions, opt))
		}
	}
	return errors.Join(errs...)
}
