// Command server is the S3-compatible endpoint of bench/s3/run.sh: gofakes3
// with its in-memory backend on a loopback port, buckets created on first
// use. It writes the URL it serves to the file given by -url-file (so that a
// free port can be chosen with -addr 127.0.0.1:0) and serves until killed.
//
// It is a benchmark fixture, not a product: it checks no signature, and it
// keeps every object in memory (the small set is 1.74 GB).
package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on (loopback only)")
	urlFile := flag.String("url-file", "", "write the served URL to this file once listening")
	flag.Parse()
	if err := serve(*addr, *urlFile); err != nil {
		log.Fatalf("s3 server: %v", err)
	}
}

func serve(addr, urlFile string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-addr %q: listen on a loopback address such as 127.0.0.1:0", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	fake := gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true), gofakes3.WithoutVersioning())
	if urlFile != "" {
		if err := os.WriteFile(urlFile, []byte("http://"+ln.Addr().String()+"\n"), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", urlFile, err)
		}
	}
	err = http.Serve(ln, fake.Server())
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
