// Command node-agent is the partsync e2e test node: "node-agent serve"
// registers a Node and runs the pods bound to it on this machine (see
// package agent); "node-agent sandbox SPEC" is the child it re-executes in a
// private mount namespace for each pod (see package sandbox).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/partsync/partsync/e2e/internal/agent"
	"github.com/partsync/partsync/e2e/internal/sandbox"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "node-agent:", err)
		os.Exit(127)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: node-agent serve [flags] | node-agent sandbox SPEC")
	}
	switch args[0] {
	case "sandbox":
		if len(args) != 2 {
			return errors.New("usage: node-agent sandbox SPEC")
		}
		spec, err := sandbox.ReadSpec(args[1])
		if err != nil {
			return err
		}
		return sandbox.Exec(spec)
	case "serve":
		return serve(args[1:])
	}
	return fmt.Errorf("unknown subcommand %q", args[0])
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig of the API server")
	node := fs.String("node-name", "partsync-e2e-agent", "name of the Node to register")
	workDir := fs.String("work-dir", "", "directory for per-pod state and logs")
	path := fs.String("path", agent.ImageBinMount+":/usr/local/bin:/usr/bin:/bin", "PATH for containers that set none")
	imageBin := fs.String("image-bin", "", "host directory mounted read-only at "+agent.ImageBinMount+" in every container (partsync)")
	imageUser := fs.Int64("image-user", 65532, "uid of containers with no runAsUser: the USER of partsync's image (0 for an image without USER)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("flags: %w", err)
	}
	if *kubeconfig == "" || *workDir == "" {
		return errors.New("--kubeconfig and --work-dir are required")
	}
	rc, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	rc.QPS, rc.Burst = 100, 200
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("own path: %w", err)
	}
	wd, err := filepath.Abs(*workDir)
	if err != nil {
		return fmt.Errorf("work dir: %w", err)
	}
	a, err := agent.New(rc, agent.Config{
		NodeName: *node, WorkDir: wd, Path: *path, Self: self, ImageUser: *imageUser, ImageBinDir: *imageBin,
		Labels: map[string]string{"partsync.e2e/agent": "true"},
		Log:    slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return a.Run(ctx)
}
