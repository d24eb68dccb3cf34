package tool

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
)

// The -o options are checked against an allow-list per tool: an option
// partsync does not know is refused, naming it, rather than passed on. An
// option that makes the tool copy nothing (-n, --list-only …), skip files
// without a count, write somewhere else (--write-batch …) or carry a
// credential would let a run report a copy that did not happen or put a
// secret in the workflow; a deny-list misses the next such option, an
// allow-list does not. docs/safety.md lists them.

// askForOption is how a user gets an option added to an allow-list.
const askForOption = "if you need it, ask for it in an issue at https://github.com/partsync/partsync/issues naming the option and what it must do (docs/safety.md lists the options partsync takes)"

// noDryRun is why the tools' dry-run options are refused.
const noDryRun = "the tool would copy nothing while partsync records every partition as copied; use partsync run --dry-run, which runs the tool's dry run and records nothing as copied"

// pathRule says what an option's value, a path the tool writes to, may be.
type pathRule int

const (
	notAPath pathRule = iota
	// belowDst: a relative path is below DST (rsync's --temp-dir,
	// --partial-dir, --backup-dir); an absolute one must be outside SRC.
	belowDst
	// absoluteOnly: the path must be absolute (the pods' working
	// directory is not the user's) and outside SRC.
	absoluteOnly
)

// option is what partsync knows of one tool option.
type option struct {
	value  bool     // takes a value: --name=V, --name V, or -xV / -x V
	refuse string   // not empty: the option is refused, and this is why
	path   pathRule // the value is a path the tool writes to
	// parse, when not nil, checks a value partsync itself reads (the
	// error says what the value should look like).
	parse func(v string) error
}

// options is a tool's allow-list: its long options by name (with the
// dashes) and its short ones by letter.
type options struct {
	tool  string
	long  map[string]option
	short map[rune]option
	// boolValue: a long option without a value may be given =true or
	// =false (rclone's flags); rsync's take no value at all.
	boolValue bool
	// backend, when not nil, looks up options the long map lacks (rclone's
	// backend options, from its registry); ok is false when unknown.
	backend func(name string) (o option, ok bool)
}

// allow makes options that take no value (value false) or one.
func allow(value bool, names ...string) map[string]option {
	m := map[string]option{}
	for _, n := range names {
		m[n] = option{value: value}
	}
	return m
}

// refuse makes refused options, all for the same reason.
func refuse(reason string, value bool, names ...string) map[string]option {
	m := map[string]option{}
	for _, n := range names {
		m[n] = option{value: value, refuse: reason}
	}
	return m
}

// merged joins option maps; a name in two maps is a programming error.
func merged(maps ...map[string]option) map[string]option {
	out := map[string]option{}
	for _, m := range maps {
		for k, v := range m {
			if _, dup := out[k]; dup {
				panic("tool: option " + k + " listed twice")
			}
			out[k] = v
		}
	}
	return out
}

// OptionPath is a path an option makes the tool write to; the caller checks
// that it is outside SRC (prepare does, resolving links).
type OptionPath struct {
	Option string // the option as given, e.g. --log-file
	Path   string // the value; absolute or relative to DST
}

// given is one option of -o as check read it.
type given struct {
	name  string   // --name, or -x for a letter of a short option word
	words []string // the words of -o it took: the option, and its value when given apart
	value string   // its value, "" without one
	option
}

// checked is -o as check read it: the options it knows, in their order
// (the unknown ones are errors).
type checked []given

// paths are the paths the options make the tool write to: the absolute
// values of path options (a relative one is below DST, or refused).
func (c checked) paths() []OptionPath {
	var paths []OptionPath
	for _, g := range c {
		if g.path != notAPath && filepath.IsAbs(g.value) {
			paths = append(paths, OptionPath{Option: g.name, Path: g.value})
		}
	}
	return paths
}

// last is the value of the last option named name, if one is given.
func (c checked) last(name string) (string, bool) {
	for i := len(c) - 1; i >= 0; i-- {
		if c[i].name == name {
			return c[i].value, true
		}
	}
	return "", false
}

// check applies the allow-list to opts and returns them as read: the one
// walk over -o that its checks, the paths it writes to and the values
// partsync reads from it (rclone's remote options, --modify-window) all
// come from. Every problem is reported at once, each naming the option.
func (a options) check(opts []string) (checked, error) {
	var errs []error
	var read checked
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrOptions}, args...)...))
	}
	// value checks a value given to name, which option o describes.
	value := func(name, v string, o option) {
		if o.parse != nil {
			if err := o.parse(v); err != nil {
				bad("%s %q: %v", name, v, err)
				return
			}
		}
		if o.path == absoluteOnly && !filepath.IsAbs(v) {
			bad("%s %q: give an absolute path (the pods do not run in your working directory)", name, v)
		}
	}
	for i, opt := range opts {
		if err := credentialInValue(opt); err != nil {
			// The word itself is not echoed: it holds the credential.
			what := fmt.Sprintf("word %d of -o", i+1)
			if name, _, _ := strings.Cut(opt, "="); strings.HasPrefix(opt, "-") {
				what = name
			} else if i > 0 && strings.HasPrefix(opts[i-1], "-") {
				what = "the value of " + opts[i-1]
			}
			bad("%s: %v; put credentials in the rclone config Secret (--rclone-config-secret), never in -o", what, err)
		}
	}
	for i := 0; i < len(opts); i++ {
		opt := opts[i]
		next := func(name string) (string, bool) {
			if i+1 >= len(opts) {
				bad("%s needs a value", name)
				return "", false
			}
			i++
			return opts[i], true
		}
		switch {
		case opt == "--":
			bad("\"--\" would end the options; partsync adds the paths itself")
		case strings.HasPrefix(opt, "--"):
			start := i
			name, v, hasValue := strings.Cut(opt, "=")
			o, ok := a.long[name]
			if !ok && a.backend != nil {
				o, ok = a.backend(name)
			}
			switch {
			case !ok:
				bad("%s is not on partsync's list of %s options known to be safe with a partitioned copy; %s", name, a.tool, askForOption)
				if !hasValue && i+1 < len(opts) && !strings.HasPrefix(opts[i+1], "-") {
					i++ // its value, most likely: one error is enough
				}
				continue
			case o.refuse != "":
				bad("%s: %s", name, o.refuse)
			}
			switch {
			case o.value && hasValue:
				value(name, v, o)
			case o.value:
				if v, hasValue = next(name); hasValue {
					value(name, v, o)
				}
			case hasValue && !(a.boolValue && (v == "true" || v == "false")):
				bad("%s takes no value (got %q)", name, v)
			}
			read = append(read, given{name: name, words: opts[start : i+1], value: v, option: o})
		case strings.HasPrefix(opt, "-") && len(opt) > 1:
			start := i
			for j, c := range opt[1:] {
				o, ok := a.short[c]
				name := "-" + string(c)
				switch {
				case !ok:
					bad("%s (in %s) is not on partsync's list of %s options known to be safe with a partitioned copy; %s", name, opt, a.tool, askForOption)
					continue
				case o.refuse != "":
					bad("%s (in %s): %s", name, opt, o.refuse)
				}
				if !o.value {
					read = append(read, given{name: name, words: opts[start : start+1], option: o})
					continue
				}
				v, hasValue := strings.TrimPrefix(opt[2+j:], "="), opt[2+j:] != ""
				if !hasValue {
					v, hasValue = next(name)
				}
				if hasValue {
					value(name, v, o)
				}
				read = append(read, given{name: name, words: opts[start : i+1], value: v, option: o})
				break
			}
		default:
			bad("%q is not an option; partsync passes SRC, DST and the file list itself", opt)
		}
	}
	return read, errors.Join(errs...)
}

// credentialQuery are URL query parameters that carry a credential: SAS
// and pre-signed URLs' signatures, tokens and keys.
var credentialQuery = []string{"sig", "signature", "x-amz-signature", "x-amz-credential", "x-amz-security-token",
	"x-goog-signature", "x-goog-credential", "token", "access_token", "sas", "key", "apikey", "api_key", "password", "secret"}

// credentialInValue finds a credential in an option's value: a URL with a
// password (user:password@host) or with a signature, token or key in its
// query.
func credentialInValue(v string) error {
	for rest := v; ; {
		i := strings.Index(rest, "://")
		if i < 0 {
			return nil
		}
		start := strings.LastIndexFunc(rest[:i], func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')
		}) + 1
		for start < i && !(rest[start] >= 'a' && rest[start] <= 'z' || rest[start] >= 'A' && rest[start] <= 'Z') {
			start++ // a scheme starts with a letter
		}
		end := strings.IndexFunc(rest[i:], func(r rune) bool { return r == ' ' || r == ',' || r == ';' || r == '"' || r == '\'' }) // the URL's end
		word := rest[start:]
		if end >= 0 {
			word = rest[start : i+end]
		}
		rest = rest[i+3:]
		u, err := url.Parse(word)
		if err != nil {
			return fmt.Errorf("a URL partsync cannot read (%v), which may hold a credential", err)
		}
		if _, has := u.User.Password(); has {
			return errors.New("the URL holds a password (user:password@host)")
		}
		for key := range u.Query() {
			if slices.Contains(credentialQuery, strings.ToLower(key)) {
				return fmt.Errorf("the URL's query holds %q, a signature, token or key", key)
			}
		}
	}
}
