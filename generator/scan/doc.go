// Package scan walks a source tree once, in parallel, and streams what it finds.
//
// Walk reads many directories at once (a directory read is one readdir plus one
// lstat per entry, and on NFS or Lustre every one of those calls waits on the
// network), yet hands the entries to its caller one at a time, from one
// goroutine, in a deterministic order: depth-first pre-order, the entries of a
// directory sorted by name as raw bytes, a directory before its contents. The
// same tree and options give the same sequence of calls whatever the number of
// workers and the timing.
//
// Memory does not grow with the size of the tree: Walk holds the sorted listing
// of each directory on the path it is emitting, plus the listings it has read
// ahead: the next 4 × Options.Workers directories in walk order at each level
// of that path, and at most about 8 × Options.Workers more that the workers
// queue on their own so that none of them idles. The workers always read
// first the directory that comes first in walk order.
//
// Walk never follows a symbolic link: every entry is lstat'ed, a link to a
// directory is reported as a Symlink, and a directory is opened only if no
// component of its path below the root is a link. The root itself may be a link
// to a directory; it is followed.
//
// Nothing is silent and nothing below the root is fatal: an entry Walk cannot
// read is handed to the skip callback with the reason, and the walk goes on.
package scan
