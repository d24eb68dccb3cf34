// Command server is the S3-compatible endpoint of bench/s3/run.sh: gofakes3
// on a loopback port, serving one bucket, "bucket", whose objects are files
// below -dir (gofakes3's afero backend; their metadata is kept in memory).
// It writes the URL it serves to the file given by -url-file (so that a free
// port can be chosen with -addr 127.0.0.1:0) and serves until killed; with
// -count-file, on SIGTERM or SIGINT it writes there how many requests of
// each kind it served (LIST, HEAD, GET, PUT, other) and how many answered
// with a status of 500 or more, so a benchmark can count the listings and
// HEADs each client makes.
//
// Not gofakes3's in-memory backend: its listing walks the whole bucket for
// every prefix, so a copy that lists each of 6,667 directories costs
// 6,667 × 200,000 steps and the server, not the client, is measured. The
// file backend reads only the listed directory, as a real store's index
// would. It is a benchmark fixture, not a product: it checks no signature.
//
// A request to create the bucket (PUT /bucket, which rclone sends when it
// has not listed the bucket first, as with --no-traverse) is answered as
// S3 answers it for an existing bucket of the same owner, 409
// BucketAlreadyExists, which rclone takes as success; gofakes3's
// single-bucket backend would answer 501 NotImplemented.
package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3afero"
	"github.com/spf13/afero"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on (loopback only)")
	urlFile := flag.String("url-file", "", "write the served URL to this file once listening")
	dir := flag.String("dir", "", "directory that holds the bucket's objects (required; emptied by the caller)")
	countFile := flag.String("count-file", "", "on SIGTERM/SIGINT, write the requests served by kind to this file and exit")
	flag.Parse()
	if err := serve(*addr, *urlFile, *dir, *countFile); err != nil {
		log.Fatalf("s3 server: %v", err)
	}
}

// existingBucket is a backend whose one bucket always exists: creating it
// again is the conflict S3 reports, not an unimplemented request.
type existingBucket struct {
	*s3afero.SingleBucketBackend
}

// CreateBucket answers BucketAlreadyExists for the served bucket.
func (b existingBucket) CreateBucket(name string) error {
	if ok, err := b.BucketExists(name); err == nil && ok {
		return gofakes3.ResourceError(gofakes3.ErrBucketAlreadyExists, name)
	}
	return b.SingleBucketBackend.CreateBucket(name)
}

// requestCounts counts the requests served, by kind, and the server errors.
type requestCounts struct {
	mu     sync.Mutex
	byKind map[string]int
}

// statusRecorder keeps the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// wrap counts each request handled by next.
func (c *requestCounts) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		kind := r.Method
		if r.Method == http.MethodGet && (r.URL.Query().Has("list-type") || r.URL.Query().Has("prefix") || r.URL.Query().Has("delimiter")) {
			kind = "LIST"
		}
		c.mu.Lock()
		c.byKind[kind]++
		if rec.status >= 500 {
			c.byKind["status>=500"]++
		}
		c.mu.Unlock()
	})
}

// write writes the counts, one "KIND N" a line, to path.
func (c *requestCounts) write(path string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var text string
	for _, kind := range []string{"LIST", "HEAD", "GET", "PUT", "POST", "DELETE", "status>=500"} {
		text += fmt.Sprintf("%s %d\n", kind, c.byKind[kind])
	}
	return os.WriteFile(path, []byte(text), 0o644)
}

func serve(addr, urlFile, dir, countFile string) error {
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
	fake := gofakes3.New(existingBucket{backend}, gofakes3.WithoutVersioning())
	if urlFile != "" {
		if err := os.WriteFile(urlFile, []byte("http://"+ln.Addr().String()+"\n"), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", urlFile, err)
		}
	}
	counts := &requestCounts{byKind: map[string]int{}}
	server := &http.Server{Handler: counts.wrap(fake.Server())}
	if countFile != "" {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
		go func() {
			<-stop
			if err := counts.write(countFile); err != nil {
				log.Printf("s3 server: %v", err)
			}
			_ = server.Close()
		}()
	}
	err = server.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
