package tool

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrRemote is wrapped when an rclone remote is not configured.
var ErrRemote = errors.New("rclone remote not configured")

// RcloneConfigPath finds the rclone config the way rclone does: the given
// path, else $RCLONE_CONFIG, else $XDG_CONFIG_HOME/rclone/rclone.conf or
// ~/.config/rclone/rclone.conf, else ~/.rclone.conf. getenv is os.Getenv in
// production.
func RcloneConfigPath(given string, getenv func(string) string) string {
	if given != "" {
		return given
	}
	if env := getenv("RCLONE_CONFIG"); env != "" {
		return env
	}
	home := getenv("HOME")
	configHome := getenv("XDG_CONFIG_HOME")
	if configHome == "" && home != "" {
		configHome = filepath.Join(home, ".config")
	}
	candidates := []string{}
	if configHome != "" {
		candidates = append(candidates, filepath.Join(configHome, "rclone", "rclone.conf"))
	}
	if home != "" {
		candidates = append(candidates, filepath.Join(home, ".rclone.conf"))
	}
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			return c
		}
	}
	if len(candidates) > 0 {
		return candidates[0]
	}
	return "rclone.conf"
}

// DestinationType is the backend type of d's rclone remote ("s3" …), as
// RemoteType reads it from the config at config (given, else rclone's own
// search: RcloneConfigPath) or from the environment; "" when d is a path.
func DestinationType(d Destination, config string, getenv func(string) string) (string, error) {
	if d.Remote == "" {
		return "", nil
	}
	return RemoteType(RcloneConfigPath(config, getenv), d.Remote, getenv)
}

// RemoteType verifies that remote is defined in the config file at path or
// by RCLONE_CONFIG_<NAME>_TYPE in the environment, and returns its backend
// type ("local", "s3" …), or "" when the config is encrypted (rclone itself
// checks the remote when it runs). It reads section names and the remote's
// type only: no other value of the file is kept or printed.
func RemoteType(path, remote string, getenv func(string) string) (string, error) {
	envName := "RCLONE_CONFIG_" + strings.ToUpper(strings.NewReplacer("-", "_", ".", "_", " ", "_").Replace(remote)) + "_TYPE"
	if typ := getenv(envName); typ != "" {
		return typ, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("%w: remote %q: no rclone config at %s; create it (rclone config) or pass --rclone-config FILE", ErrRemote, remote, path)
	}
	if err != nil {
		return "", fmt.Errorf("read rclone config: %w", err)
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	names := []string{}
	found, typ := false, ""
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "RCLONE_ENCRYPT_V0:" {
			return "", nil
		}
		if name, ok := strings.CutPrefix(line, "["); ok {
			if name, ok = strings.CutSuffix(name, "]"); ok {
				if found {
					break // the remote's section ended
				}
				found = name == remote
				names = append(names, name)
			}
			continue
		}
		if key, value, ok := strings.Cut(line, "="); ok && found && strings.TrimSpace(key) == "type" {
			typ = strings.TrimSpace(value)
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read rclone config %s: %w", path, err)
	}
	if !found {
		return "", fmt.Errorf("%w: remote %q is not in %s (it has: %s); fix DST or add the remote with rclone config", ErrRemote, remote, path, strings.Join(names, ", "))
	}
	return typ, nil
}
