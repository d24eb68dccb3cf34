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
	// The parser reads CR LF as a line break, also inside quotes, so an
	// option holding a carriage return would reach the tool changed.
	if strings.ContainsRune(s, '\r') {
		return nil, fmt.Errorf("%w: -o %q holds a carriage return, which partsync cannot pass on unchanged; remove it (text pasted from Windows?)", ErrOptions, s)
	}
	words := []string{}
	parser := syntax.NewParser(syntax.Variant(syntax.LangPOSIX))
	for w, err := range parser.WordsSeq(strings.NewReader(s)) {
		if err != nil {
			return nil, fmt.Errorf("%w: -o at %v; quote the option or drop shell syntax", ErrOptions, err)
		}
		lit, err := literal(w)
		if err != nil {
			return nil, fmt.Errorf("%w: -o: %v; partsync runs no shell, so give the literal value", ErrOptions, err)
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

// wordText is the word as typed, for an error message; a word that holds a
// URL with a credential is not echoed (the -o string itself never is).
func wordText(w *syntax.Word) string {
	var b strings.Builder
	if err := syntax.NewPrinter().Print(&b, w); err != nil {
		return "?"
	}
	if credentialInValue(b.String()) != nil {
		return "(a word with a URL that holds a credential)"
	}
	return b.String()
}
