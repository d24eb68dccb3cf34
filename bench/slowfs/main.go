// Command slowfs mounts a read-only FUSE loopback of a directory that answers
// every metadata request late, as a network file system (NFS, Lustre) does on
// a first scan: each LOOKUP, GETATTR, OPENDIR, READDIR and READDIRPLUS request
// waits -delay (default 1ms) before it is served. Requests are served
// concurrently, each on its own goroutine, so the delay is latency, not a
// throughput limit: a client that keeps N requests in flight gets N times the
// rate of one that waits for each answer.
//
// Entry, attribute and negative-lookup cache timeouts are zero by default, so
// the kernel asks the daemon again for every stat, as on a first scan of
// NFS. It is a benchmark tool (bench/scan/slowfs.sh), not part of partsync.
//
//	slowfs [-delay 1ms] [-readdirplus] [-max-background N] [-cache D] SRC MNT
//
// It serves until it gets SIGINT or SIGTERM or the mount is unmounted
// (umount MNT), then prints the number of delayed requests by kind.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

func main() {
	delay := flag.Duration("delay", time.Millisecond, "added to every LOOKUP, GETATTR, OPENDIR, READDIR and READDIRPLUS request")
	plus := flag.Bool("readdirplus", false, "let the kernel use READDIRPLUS (off: plain READDIR, then one LOOKUP per stat)")
	maxBG := flag.Int("max-background", 0, "the kernel's max_background for this mount (0: go-fuse's default, 12)")
	cache := flag.Duration("cache", 0, "entry and attribute cache timeout the kernel may use (0: every stat reaches the daemon)")
	debug := flag.Bool("debug", false, "log every FUSE request")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: slowfs [-delay D] [-readdirplus] [-max-background N] [-cache D] SRC MNT")
		os.Exit(2)
	}
	if err := serve(flag.Arg(0), flag.Arg(1), *delay, *plus, *maxBG, *cache, *debug); err != nil {
		fmt.Fprintln(os.Stderr, "slowfs:", err)
		os.Exit(1)
	}
}

func serve(src, mnt string, delay time.Duration, plus bool, maxBG int, cache time.Duration, debug bool) error {
	root, err := fs.NewLoopbackRoot(src)
	if err != nil {
		return fmt.Errorf("loopback of %s: %w", src, err)
	}
	negative := cache
	opts := &fs.Options{
		EntryTimeout:    &cache,
		AttrTimeout:     &cache,
		NegativeTimeout: &negative,
		MountOptions: fuse.MountOptions{
			FsName:             "slowfs:" + src,
			Name:               "slowfs",
			Options:            []string{"ro"},
			MaxBackground:      maxBG,
			DisableReadDirPlus: !plus,
			Debug:              debug,
			// As root, mount(2) directly: no need for fusermount3 (it is the
			// fallback when the direct mount is refused).
			DirectMount: true,
		},
	}
	raw := &slowRaw{RawFileSystem: fs.NewNodeFS(root, opts), delay: delay}
	srv, err := fuse.NewServer(raw, mnt, &opts.MountOptions)
	if err != nil {
		return fmt.Errorf("mount %s on %s: %w", src, mnt, err)
	}
	go srv.Serve()
	if err := srv.WaitMount(); err != nil {
		return errors.Join(fmt.Errorf("mount %s: %w", mnt, err), srv.Unmount())
	}
	fmt.Fprintf(os.Stderr, "slowfs: %s on %s, %v per metadata request, readdirplus=%v\n", src, mnt, delay, plus)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	done := make(chan struct{})
	go func() { srv.Wait(); close(done) }()
	select {
	case <-ctx.Done():
		if err := srv.Unmount(); err != nil {
			return fmt.Errorf("unmount %s: %w", mnt, err)
		}
		<-done
	case <-done:
	}
	fmt.Fprintf(os.Stderr, "slowfs: served %d lookup, %d getattr, %d opendir, %d readdir, %d readdirplus\n",
		raw.lookups.Load(), raw.getattrs.Load(), raw.opendirs.Load(), raw.readdirs.Load(), raw.readdirpluses.Load())
	return nil
}

// slowRaw delays the metadata requests of the file system it wraps. Every
// request runs on its own goroutine (go-fuse's default), so sleeping here
// holds up only the request that waits.
type slowRaw struct {
	fuse.RawFileSystem
	delay time.Duration

	lookups, getattrs, opendirs, readdirs, readdirpluses atomic.Int64
}

func (r *slowRaw) wait(n *atomic.Int64) {
	n.Add(1)
	time.Sleep(r.delay)
}

func (r *slowRaw) Lookup(cancel <-chan struct{}, h *fuse.InHeader, name string, out *fuse.EntryOut) fuse.Status {
	r.wait(&r.lookups)
	return r.RawFileSystem.Lookup(cancel, h, name, out)
}

func (r *slowRaw) GetAttr(cancel <-chan struct{}, in *fuse.GetAttrIn, out *fuse.AttrOut) fuse.Status {
	r.wait(&r.getattrs)
	return r.RawFileSystem.GetAttr(cancel, in, out)
}

func (r *slowRaw) OpenDir(cancel <-chan struct{}, in *fuse.OpenIn, out *fuse.OpenOut) fuse.Status {
	r.wait(&r.opendirs)
	return r.RawFileSystem.OpenDir(cancel, in, out)
}

func (r *slowRaw) ReadDir(cancel <-chan struct{}, in *fuse.ReadIn, out *fuse.DirEntryList) fuse.Status {
	r.wait(&r.readdirs)
	return r.RawFileSystem.ReadDir(cancel, in, out)
}

func (r *slowRaw) ReadDirPlus(cancel <-chan struct{}, in *fuse.ReadIn, out *fuse.DirEntryList) fuse.Status {
	r.wait(&r.readdirpluses)
	return r.RawFileSystem.ReadDirPlus(cancel, in, out)
}
