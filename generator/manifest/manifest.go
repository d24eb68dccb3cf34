// Package manifest writes and replays the run's record of everything the
// scan saw: every entry and skip, in scan order. Every scan writes it.
// Automatic sizing replays it into the partitioner, so the tree is scanned
// once; the check at the end of a run walks the source again and compares it
// with the manifest to find what was added after the scan. It is compact
// without a compressor: a path is stored as the length of the prefix it
// shares with the previous path (scan order is depth first, so most of a path
// is shared) and the rest, numbers as varints.
//
//	header  "partsync-manifest 1\n"
//	entry   'E' shared suffixLen suffix type mode size mtime(ns) inode dev nlink children excluded
//	skip    'S' shared suffixLen suffix reasonLen reason
//
// mode, inode, dev, nlink, lengths are uvarints; size, mtime, children and excluded varints.
package manifest

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/partsync/partsync/generator/scan"
)

// manifestHeader starts every manifest.
const manifestHeader = "partsync-manifest 1\n"

// ErrCorrupt is wrapped when a manifest cannot be read back.
var ErrCorrupt = errors.New("bad manifest")

// Writer appends records to a manifest.
type Writer struct {
	f    *os.File
	w    *bufio.Writer
	prev string
	buf  []byte
}

// Create starts a manifest at path.
func Create(path string) (*Writer, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create manifest: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := w.WriteString(manifestHeader); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("write manifest: %w", err)
	}
	return &Writer{f: f, w: w}, nil
}

// path appends the kind and the path, prefix-compressed against the last one.
func (m *Writer) path(kind byte, p string) {
	shared := 0
	for shared < len(p) && shared < len(m.prev) && p[shared] == m.prev[shared] {
		shared++
	}
	m.buf = append(m.buf[:0], kind)
	m.buf = binary.AppendUvarint(m.buf, uint64(shared))
	m.buf = binary.AppendUvarint(m.buf, uint64(len(p)-shared))
	m.buf = append(m.buf, p[shared:]...)
	m.prev = p
}

// Entry appends a scanned entry.
func (m *Writer) Entry(e scan.Entry) error {
	m.path('E', e.Path)
	m.buf = append(m.buf, byte(e.Type))
	m.buf = binary.AppendUvarint(m.buf, uint64(e.Mode))
	m.buf = binary.AppendVarint(m.buf, e.Size)
	var mtime int64
	if !e.ModTime.IsZero() {
		mtime = e.ModTime.UnixNano()
	}
	m.buf = binary.AppendVarint(m.buf, mtime)
	m.buf = binary.AppendUvarint(m.buf, e.Inode)
	m.buf = binary.AppendUvarint(m.buf, e.Dev)
	m.buf = binary.AppendUvarint(m.buf, e.Nlink)
	m.buf = binary.AppendVarint(m.buf, int64(e.Children))
	m.buf = binary.AppendVarint(m.buf, int64(e.Excluded)) // whole-directory lines need it
	if _, err := m.w.Write(m.buf); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return nil
}

// Skip appends an entry the scan could not read.
func (m *Writer) Skip(s scan.Skip) error {
	m.path('S', s.Path)
	m.buf = binary.AppendUvarint(m.buf, uint64(len(s.Reason)))
	m.buf = append(m.buf, s.Reason...)
	if _, err := m.w.Write(m.buf); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return nil
}

// Close flushes and closes the manifest.
func (m *Writer) Close() error {
	err := m.w.Flush()
	if cerr := m.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return nil
}

// Replay calls visit and skip for the records of the manifest at
// path, in the order they were written.
func Replay(ctx context.Context, path string, visit func(scan.Entry) error, skip func(scan.Skip) error) error {
	r, err := Open(path)
	if err != nil {
		return err
	}
	defer r.Close()
	for n := 0; ; n++ {
		if n%65536 == 0 && ctx.Err() != nil {
			return fmt.Errorf("read manifest: %w", ctx.Err())
		}
		rec, err := r.Next()
		switch {
		case err == io.EOF:
			return nil
		case err != nil:
			return err
		case rec.Skipped:
			err = skip(scan.Skip{Path: rec.Entry.Path, Reason: rec.Reason})
		default:
			err = visit(rec.Entry)
		}
		if err != nil {
			return err
		}
	}
}

// Record is one record of a manifest: an entry, or a skip (Skipped, with
// the Reason and only Entry.Path set).
type Record struct {
	Entry   scan.Entry
	Skipped bool
	Reason  string
}

// Reader reads a manifest one record at a time, in the order they were
// written (the scan's): what a merge with another walk of the same tree
// pulls from (package since).
type Reader struct {
	f    *os.File
	r    *bufio.Reader
	path string
	prev []byte
	n    int
}

// Open starts reading the manifest at path; it checks the header.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	r := bufio.NewReaderSize(f, 1<<20)
	head := make([]byte, len(manifestHeader))
	if _, err := io.ReadFull(r, head); err != nil || string(head) != manifestHeader {
		_ = f.Close()
		return nil, fmt.Errorf("%w: %s does not start with %q", ErrCorrupt, path, manifestHeader)
	}
	return &Reader{f: f, r: r, path: path}, nil
}

// Close releases the file.
func (m *Reader) Close() error { return m.f.Close() }

// Next returns the next record, or io.EOF after the last one. An error
// other than io.EOF wraps ErrCorrupt or the read's error.
func (m *Reader) Next() (Record, error) {
	n := m.n
	m.n++
	kind, err := m.r.ReadByte()
	if err == io.EOF {
		return Record{}, io.EOF
	}
	d := decoder{r: m.r, err: err}
	shared := d.uvarint()
	if d.err == nil && shared > uint64(len(m.prev)) {
		d.err = fmt.Errorf("shared prefix %d longer than the previous path", shared)
	}
	if d.err == nil {
		m.prev = d.appendBytes(m.prev[:shared], d.uvarint())
	}
	if d.err != nil {
		return Record{}, fmt.Errorf("%w: %s record %d: %v", ErrCorrupt, m.path, n, d.err)
	}
	var rec Record
	switch kind {
	case 'E':
		e := scan.Entry{Path: string(m.prev), Type: scan.Type(d.byte()), Mode: fs.FileMode(d.uvarint()), Size: d.varint()}
		if ns := d.varint(); ns != 0 {
			e.ModTime = time.Unix(0, ns)
		}
		e.Inode, e.Dev, e.Nlink = d.uvarint(), d.uvarint(), d.uvarint()
		e.Children = int(d.varint())
		e.Excluded = int(d.varint())
		rec.Entry = e
	case 'S':
		rec.Skipped = true
		rec.Entry.Path = string(m.prev)
		rec.Reason = string(d.appendBytes(nil, d.uvarint()))
	default:
		return Record{}, fmt.Errorf("%w: %s record %d: unknown kind %q", ErrCorrupt, m.path, n, kind)
	}
	if d.err != nil {
		return Record{}, fmt.Errorf("%w: %s record %d: %v", ErrCorrupt, m.path, n, d.err)
	}
	return rec, nil
}

// decoder reads varints and bytes, keeping the first error.
type decoder struct {
	r   *bufio.Reader
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(d.r)
	d.err = eof(err)
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, err := binary.ReadVarint(d.r)
	d.err = eof(err)
	return v
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	b, err := d.r.ReadByte()
	d.err = eof(err)
	return b
}

// appendBytes reads n bytes onto b; a length beyond any path or reason is corruption.
func (d *decoder) appendBytes(b []byte, n uint64) []byte {
	if d.err != nil {
		return b
	}
	if n > 1<<20 {
		d.err = fmt.Errorf("length %d out of range", n)
		return b
	}
	start := len(b)
	b = append(b, make([]byte, n)...)
	_, err := io.ReadFull(d.r, b[start:])
	d.err = eof(err)
	return b
}

// eof turns an end of file inside a record into a truncation error.
func eof(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
