package tool

import (
	_ "embed"
	"strings"
)

// rcloneBackendOptions is rclone's option registry as the rclone version the
// Dockerfile pins prints it (`rclone config providers`), one backend option
// a line: its flag, its type, and "sensitive" when rclone marks it so
// (IsPassword or Sensitive), else "plain". TestRcloneBackendOptionsCurrent
// regenerates it from that rclone and fails when it is stale.
//
//go:embed rclone-backend-options.txt
var rcloneBackendOptions string

// backendOption is one line of rcloneBackendOptions.
type backendOption struct {
	typ       string
	sensitive bool
}

// lookupBackendOption finds flag in rcloneBackendOptions.
func lookupBackendOption(flag string) (backendOption, bool) {
	i := strings.Index(rcloneBackendOptions, "\n"+flag+"\t")
	if i < 0 {
		return backendOption{}, false
	}
	line := rcloneBackendOptions[i+1:]
	line, _, _ = strings.Cut(line, "\n")
	fields := strings.Split(line, "\t")
	if len(fields) != 3 {
		return backendOption{}, false
	}
	return backendOption{typ: fields[1], sensitive: fields[2] == "sensitive"}, true
}

// configOnlyWords mark a backend option that carries a credential, chooses
// how rclone authenticates, where it connects, or runs a command: those
// belong in the remote's section of rclone.conf (the Secret), where they are
// neither in argv, in the workflow, nor in a log. rclone's registry does not
// mark all of them sensitive (--s3-sts-endpoint, --http-url,
// --http-headers, --sftp-ssh …).
var configOnlyWords = []string{
	"secret", "password", "pass", "passphrase", "token", "credential", "credentials", "key", "auth", "sts", "sas",
	"account", "user", "username", "client", "tenant", "role", "profile", "cert", "certificate", "header", "headers",
	"command", "ssh", "endpoint", "url", "host", "remote", "upstreams", "proxy", "impersonate", "grant", "session",
	"login", "otp", "2fa", "agent", "msi", "principal", "kerberos", "ccache", "connection", "string", "env",
}

// rcloneBackendOption is the allow-list's entry for a backend option of
// rclone's registry: allowed when rclone does not mark it sensitive and its
// name holds none of configOnlyWords.
func rcloneBackendOption(name string) (option, bool) {
	b, ok := lookupBackendOption(name)
	if !ok {
		return option{}, false
	}
	o := option{value: b.typ != "bool"}
	if b.sensitive {
		o.refuse = "rclone marks it sensitive (a credential); put it in the remote's section of rclone.conf, mounted from the Secret (--rclone-config-secret), never in -o"
		return o, true
	}
	for _, word := range strings.Split(strings.TrimPrefix(name, "--"), "-") {
		for _, w := range configOnlyWords {
			if word == w {
				o.refuse = "sets a credential, how rclone authenticates, where it connects or a command it runs; put it in the remote's section of rclone.conf, mounted from the Secret (--rclone-config-secret), never in -o"
				return o, true
			}
		}
	}
	return o, true
}
