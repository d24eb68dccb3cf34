package tool

import "strings"

// DirFinisher is a Tool that needs a final step after every partition has
// finished: partitions running at once create entries in the same
// directories in any order, which changes the directories' mtimes (and a
// partition may find a directory another has already made read-only), so
// the step re-applies each directory's metadata from the source. Tools
// without directories at the destination (rclone to object storage) do not
// implement it.
type DirFinisher interface {
	// DirsArgv re-applies the metadata of the directories listed in
	// job.PartFile (every directory of the run, parents before children)
	// without copying anything inside them.
	DirsArgv(job Job) []string
}

// DirsArgv implements DirFinisher: rsync with the run's own options, so the
// same attributes are kept as for the files (mode and times with -a; owners,
// ACLs, xattrs when the options ask for them), on the listed directories
// only: --dirs without recursion copies a directory, not its contents.
// rsync changes nothing inside a directory here, so setting a child's
// attributes never disturbs its parent's mtime, whatever the order.
func (Rsync) DirsArgv(job Job) []string {
	argv := append([]string{"rsync"}, job.Options...)
	return append(argv, "--no-recursive", "--dirs", "--from0", "--files-from="+job.PartFile, withSlash(job.Source), withSlash(job.Destination))
}

// KeepsHardLinks reports whether rsync options preserve hard links: -H
// (alone or in a cluster such as -aH) or --hard-links, not undone by a later
// --no-H or --no-hard-links.
func KeepsHardLinks(opts []string) bool {
	keep := false
	for _, o := range opts {
		switch {
		case o == "--hard-links":
			keep = true
		case o == "--no-hard-links" || o == "--no-H":
			keep = false
		case strings.HasPrefix(o, "-") && !strings.HasPrefix(o, "--"):
			for _, c := range o[1:] {
				if c == 'H' {
					keep = true
				}
				if strings.ContainsRune("BMT@", c) { // the rest is the option's value
					break
				}
			}
		}
	}
	return keep
}

// LinkGrouper is a Tool that recreates hard links only among the entries of
// one run of the program: the partitioner then keeps every link of an inode
// in the same partition.
type LinkGrouper interface {
	GroupsHardLinks() bool
}

// GroupsHardLinks implements LinkGrouper: rsync -H links the files of one
// file list, never across two processes.
func (Rsync) GroupsHardLinks() bool { return true }
