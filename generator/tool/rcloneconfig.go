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

// CheckRemote verifies that remote is defined in the config file at path or
// by RCLONE_CONFIG_<NAME>_TYPE in the environment. It reads section names
// only: no value of the file is kept or printed.
func CheckRemote(path, remote string, getenv func(string) string) error {
	envName := "RCLONE_CONFIG_" + strings.ToUpper(strings.NewReplacer("-", "_", ".", "_", " ", "_").Replace(remote)) + "_TYPE"
	if getenv(envName) != "" {
		return nil
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: remote %q: no rclone config at %s; create it (rclone config) or pass --rclone-config FILE", ErrRemote, remote, path)
	}
	if err != nil {
		return fmt.Errorf("read rclone config: %w", err)
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	names := []string{}
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "RCLONE_ENCRYPT_V0:" {
			return nil // an encrypted config: rclone itself checks the remote when it runs
		}
		if name, ok := strings.CutPrefix(line, "["); ok {
			if name, ok = strings.CutSuffix(name, "]"); ok {
				if name == remote {
					return nil
				}
				names = append(names, name)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read rclone config %s: %w", path, err)
	}
	return fmt.Errorf("%w: remote %q is not in %s (it has: %s); fix DST or add the remote with rclone config", ErrRemote, remote, path, strings.Join(names, ", "))
}
