package main

// An in-process S3-compatible server for the integration tests: gofakes3 with
// its in-memory backend behind httptest on 127.0.0.1, wrapped in an AWS
// Signature Version 4 check so that a request is served only if it was signed
// with the secret key of the rclone config the test wrote. That proves rclone
// read the config partsync pointed it at, and gives the leak checks a secret
// that was really used.
//
// It lives in a _test.go file of package main, not in generator/internal/s3test:
// Go's internal rule lets only packages under generator/ import
// generator/internal/..., and these tests are in cmd/partsync. It depends on
// nothing of package main, so it can move as is to a package that both cmd/
// and generator/ may import (internal/s3test at the module root).

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// S3 test credentials. They are fixed so that the leak checks can look for them.
const (
	s3AccessKey = "PARTSYNCTESTACCESSKEY"
	s3SecretKey = "partsync-test-secret-9f4c2e71d0b8a6"
	s3Region    = "us-east-1"
)

// S3Server is an S3 endpoint on 127.0.0.1 that serves until the test ends.
type S3Server struct {
	URL     string // http://127.0.0.1:PORT
	Backend *s3mem.Backend

	mu       sync.Mutex
	rejected []string // requests refused by the signature check, for failure messages
	requests int
	log      []string // "METHOD /path?query" of each request served
	corrupt  string   // path whose next PUT body gets its first byte flipped (CorruptNextPut)
	spoiled  int      // bodies flipped so far
}

// CorruptNextPut flips the first byte of the body of the next PUT to
// /bucket/key after the signature check, as a fault on the way would:
// what the server stores or refuses then is gofakes3's own doing (it
// checks Content-MD5). It returns how many bodies it has flipped so far.
func (s *S3Server) CorruptNextPut(bucket, key string) func() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.corrupt = "/" + bucket + "/" + key
	return func() int {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.spoiled
	}
}

// StartS3 starts a server with the given buckets and stops it at the end of the test.
func StartS3(t testing.TB, buckets ...string) *S3Server {
	t.Helper()
	s := &S3Server{Backend: s3mem.New()}
	faker := gofakes3.New(s.Backend, gofakes3.WithLogger(gofakes3.DiscardLog()))
	srv := httptest.NewServer(s.verify(faker.Server()))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	for _, b := range buckets {
		if err := s.Backend.CreateBucket(b); err != nil {
			t.Fatalf("create bucket %s: %v", b, err)
		}
	}
	return s
}

// RcloneConfig is an rclone.conf section defining remote as this server.
func (s *S3Server) RcloneConfig(remote string) string {
	return fmt.Sprintf(`[%s]
type = s3
provider = Other
env_auth = false
access_key_id = %s
secret_access_key = %s
region = %s
endpoint = %s
force_path_style = true
`, remote, s3AccessKey, s3SecretKey, s3Region, s.URL)
}

// WriteRcloneConfig writes an rclone.conf with remote (and one unrelated
// remote) into dir and returns its path.
func (s *S3Server) WriteRcloneConfig(t testing.TB, dir, remote string) string {
	t.Helper()
	path := filepath.Join(dir, "rclone.conf")
	text := "[unrelated]\ntype = local\n\n" + s.RcloneConfig(remote)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Objects returns every object of bucket under prefix, keyed by name, read
// back through the backend.
func (s *S3Server) Objects(t testing.TB, bucket, prefix string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	page := gofakes3.ListBucketPage{}
	for {
		list, err := s.Backend.ListBucket(bucket, &gofakes3.Prefix{Prefix: prefix, HasPrefix: prefix != ""}, page)
		if err != nil {
			t.Fatalf("list %s/%s: %v", bucket, prefix, err)
		}
		for _, c := range list.Contents {
			obj, err := s.Backend.GetObject(bucket, c.Key, nil)
			if err != nil {
				t.Fatalf("get %s/%s: %v", bucket, c.Key, err)
			}
			data, err := io.ReadAll(obj.Contents)
			_ = obj.Contents.Close()
			if err != nil {
				t.Fatalf("read %s/%s: %v", bucket, c.Key, err)
			}
			out[c.Key] = data
		}
		if !list.IsTruncated || list.NextMarker == "" {
			return out
		}
		page = gofakes3.ListBucketPage{Marker: list.NextMarker, HasMarker: true}
	}
}

// Metadata returns the user metadata of one object.
func (s *S3Server) Metadata(t testing.TB, bucket, key string) map[string]string {
	t.Helper()
	obj, err := s.Backend.HeadObject(bucket, key)
	if err != nil {
		t.Fatalf("head %s/%s: %v", bucket, key, err)
	}
	return obj.Metadata
}

// Rejected lists the requests the signature check refused.
func (s *S3Server) Rejected() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.rejected...)
}

// Requests counts the requests that passed the signature check.
func (s *S3Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// RequestLog lists the requests served so far, "METHOD /path?query" each.
func (s *S3Server) RequestLog() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

// verify serves only requests signed with s3AccessKey/s3SecretKey (SigV4 in
// the Authorization header, the form rclone uses).
func (s *S3Server) verify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkSigV4(r); err != nil {
			s.mu.Lock()
			s.rejected = append(s.rejected, r.Method+" "+r.RequestURI+": "+err.Error())
			s.mu.Unlock()
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>%s</Message></Error>`, xmlEscape(err.Error()))
			return
		}
		s.mu.Lock()
		s.requests++
		s.log = append(s.log, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
		if r.Method == http.MethodPut && s.corrupt != "" && r.URL.Path == s.corrupt {
			s.corrupt, s.spoiled = "", s.spoiled+1
			body, err := io.ReadAll(r.Body)
			if err == nil && len(body) > 0 {
				body[0] ^= 0xff
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		s.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// checkSigV4 verifies an AWS Signature Version 4 Authorization header.
func checkSigV4(r *http.Request) error {
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return fmt.Errorf("not signed with AWS4-HMAC-SHA256: %q", auth)
	}
	fields := map[string]string{}
	for _, f := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		fields[k] = v
	}
	cred := strings.Split(fields["Credential"], "/")
	if len(cred) != 5 || cred[4] != "aws4_request" {
		return fmt.Errorf("bad credential scope %q", fields["Credential"])
	}
	if cred[0] != s3AccessKey {
		return fmt.Errorf("unknown access key %q", cred[0])
	}
	date, region, service := cred[1], cred[2], cred[3]
	if region != s3Region { // as AWS does (AuthorizationHeaderMalformed)
		return fmt.Errorf("credential scope region %q, the server's is %q", region, s3Region)
	}
	amzDate := r.Header.Get("X-Amz-Date")
	if !strings.HasPrefix(amzDate, date) {
		return fmt.Errorf("x-amz-date %q does not match the scope date %q", amzDate, date)
	}
	if ts, err := time.Parse("20060102T150405Z", amzDate); err != nil || time.Since(ts).Abs() > 15*time.Minute {
		return fmt.Errorf("x-amz-date %q is not a current time", amzDate)
	}

	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		return fmt.Errorf("no x-amz-content-sha256 header")
	}
	if _, err := hex.DecodeString(payload); err == nil && len(payload) == 64 {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return fmt.Errorf("read body: %v", err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) != payload {
			return fmt.Errorf("body does not match x-amz-content-sha256")
		}
	}

	signed := strings.Split(fields["SignedHeaders"], ";")
	var canonHeaders strings.Builder
	for _, h := range signed {
		var v string
		switch h {
		case "host":
			v = r.Host
		case "content-length":
			v = strconv.FormatInt(r.ContentLength, 10)
		default:
			v = strings.Join(r.Header.Values(h), ",")
		}
		canonHeaders.WriteString(h + ":" + strings.Join(strings.Fields(v), " ") + "\n")
	}
	rawPath, _, _ := strings.Cut(r.RequestURI, "?")
	canonical := strings.Join([]string{
		r.Method,
		rawPath,
		canonicalQuery(r.URL.Query()),
		canonHeaders.String(),
		fields["SignedHeaders"],
		payload,
	}, "\n")
	scope := strings.Join(cred[1:], "/")
	sum := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := []byte("AWS4" + s3SecretKey)
	for _, part := range []string{date, region, service, "aws4_request"} {
		key = hmacSHA256(key, part)
	}
	want := hex.EncodeToString(hmacSHA256(key, toSign))
	if !hmac.Equal([]byte(want), []byte(fields["Signature"])) {
		return fmt.Errorf("signature does not match (canonical request %q)", canonical)
	}
	return nil
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// canonicalQuery encodes a query the way SigV4 signs it: sorted, every byte
// but A-Z a-z 0-9 - _ . ~ percent-encoded.
func canonicalQuery(q url.Values) string {
	var pairs []string
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, awsEscape(k)+"="+awsEscape(v))
		}
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}

func awsEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// TestS3ServerChecksSignatures keeps the server honest: a request signed
// with the wrong secret is refused, one without a signature too.
func TestS3ServerChecksSignatures(t *testing.T) {
	s := StartS3(t, "bucket")
	resp, err := http.Get(s.URL + "/bucket/")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned GET: status %d, want 403", resp.StatusCode)
	}
	if len(s.Rejected()) != 1 || s.Requests() != 0 {
		t.Errorf("rejected %q, served %d; want 1 rejected, 0 served", s.Rejected(), s.Requests())
	}
}
