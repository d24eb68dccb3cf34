// Command server is the S3-compatible endpoint of bench/s3/run.sh: gofakes3
// on a loopback port, serving one bucket, "bucket", whose objects are files
// below -dir (gofakes3's afero backend; their metadata is kept in memory).
// It writes the URL it serves to the file given by -url-file (so that a free
// port can be chosen with -addr 127.0.0.1:0) and serves until killed.
//
// Not gofakes3's in-memory backend: its listing walks the whole bucket for
// every prefix, so a copy that lists each of 6,667 directories costs
// 6,667 × 200,000 steps and the server, not the client, is measured. The
// file backend reads only the listed directory, as a real store's index
// would. It is a benchmark fixture, not a product: it checks no signature.
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
	"github.com/johannesboyne/gofakes3/backend/s3afero"
	"github.com/spf13/afero"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on (loopback only)")
	urlFile := flag.String("url-file", "", "write the served URL to this file once listening")
	dir := flag.String("dir", "", "directory that holds the bucket's objects (required; emptied by the caller)")
	flag.Parse()
	if err := serve(*addr, *urlFile, *dir); err != nil {
		log.Fatalf("s3 server: %v", err)
	}
}

func serve(addr, urlFile, dir string) error {
	if dir == "" {
		return errors.New("-dir is empty: give the directory that holds the bucket's objects")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("-dir: %w", err)
	}
	backend, err := s3afero.SingleBucket("bucket", afero.NewBasePathFs(afero.NewOsFs(), dir), afero.NewMemMapFs())
	if err != nil {
		return fmt.Errorf("bucket in %s: %w", dir, err)
	}
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
	fake := gofakes3.New(backend, gofakes3.WithoutVersioning())
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
