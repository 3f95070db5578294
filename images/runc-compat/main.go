// runc-compat runs the real runc after removing what this machine cannot
// grant from the OCI spec it is given.
//
// The machines this project runs on lack CAP_SYS_RESOURCE in their capability
// bounding set, so runc fails to create any container that asks for it
// ("unable to apply caps: operation not permitted"), and every privileged
// container asks for it. Nothing may lower oom_score_adj either. This wrapper
// rewrites the spec runc reads (the bundle's config.json for create/run, the
// --process file for exec): it deletes CAP_SYS_RESOURCE from every capability
// set and raises a negative oomScoreAdj to the current process's own value.
// Everything else, arguments included, passes through unchanged.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

const dropped = "CAP_SYS_RESOURCE"

var realRuncCandidates = []string{"/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc.real", "/usr/local/bin/runc.real"}

func main() {
	real := findRealRunc()
	if real == "" {
		fmt.Fprintln(os.Stderr, "runc-compat: no real runc found in", realRuncCandidates)
		os.Exit(127)
	}
	if err := rewriteSpec(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "runc-compat:", err)
		os.Exit(1)
	}
	argv := append([]string{real}, os.Args[1:]...)
	if err := syscall.Exec(real, argv, os.Environ()); err != nil {
		fmt.Fprintln(os.Stderr, "runc-compat: exec", real, err)
		os.Exit(127)
	}
}

func findRealRunc() string {
	self, _ := os.Executable()
	self, _ = filepath.EvalSymlinks(self)
	for _, c := range realRuncCandidates {
		resolved, err := filepath.EvalSymlinks(c)
		if err != nil || resolved == self {
			continue
		}
		if st, err := os.Stat(resolved); err == nil && st.Mode().IsRegular() {
			return c
		}
	}
	return ""
}

// flagValue returns the value of a flag given as "--name v", "--name=v", "-n v".
func flagValue(args []string, names ...string) (string, bool) {
	for i, a := range args {
		for _, n := range names {
			if a == n && i+1 < len(args) {
				return args[i+1], true
			}
			if strings.HasPrefix(a, n+"=") {
				return strings.TrimPrefix(a, n+"="), true
			}
		}
	}
	return "", false
}

// subcommand finds the first non-flag argument, skipping values of runc's
// global flags that take one.
func subcommand(args []string) (string, int) {
	withValue := map[string]bool{"--root": true, "--log": true, "--log-format": true, "--criu": true, "--rootless": true}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if withValue[a] {
			i++
			continue
		}
		if strings.HasPrefix(a, "-") {
			continue
		}
		return a, i
	}
	return "", -1
}

func rewriteSpec(args []string) error {
	cmd, idx := subcommand(args)
	rest := []string{}
	if idx >= 0 {
		rest = args[idx+1:]
	}
	switch cmd {
	case "create", "run":
		bundle, ok := flagValue(rest, "--bundle", "-b")
		if !ok {
			bundle = "."
		}
		return rewriteFile(filepath.Join(bundle, "config.json"), true)
	case "exec":
		if p, ok := flagValue(rest, "--process", "-p"); ok {
			return rewriteFile(p, false)
		}
	}
	return nil
}

func rewriteFile(path string, fullSpec bool) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	process := doc
	if fullSpec {
		p, ok := doc["process"].(map[string]any)
		if !ok {
			return nil
		}
		process = p
	}
	changed := false
	if caps, ok := process["capabilities"].(map[string]any); ok {
		for set, v := range caps {
			list, ok := v.([]any)
			if !ok {
				continue
			}
			kept := list[:0:0]
			for _, c := range list {
				if c == dropped {
					changed = true
					continue
				}
				kept = append(kept, c)
			}
			caps[set] = kept
		}
	}
	if v, ok := process["oomScoreAdj"].(float64); ok {
		if own := ownOOMScoreAdj(); int(v) < own {
			process["oomScoreAdj"] = own
			changed = true
		}
	}
	if !changed {
		return nil
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, st.Mode().Perm())
}

func ownOOMScoreAdj() int {
	raw, err := os.ReadFile("/proc/self/oom_score_adj")
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		return 0
	}
	return n
}
