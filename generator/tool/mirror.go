package tool

// What the mirror (run --delete, package extras and the delete step of
// package finish) runs at a remote rclone DST: a listing of every object,
// and a deletion of the extras listed in a file. Neither takes the run's -o
// options, as `partsync verify` does not: the remote's settings are in its
// section of rclone.conf (RCLONE_CONFIG, in the environment).

// RcloneListArgv lists every object below dst, one path relative to dst a
// line (rclone lsf prints names as they are, decoded from the backend's
// encoding).
func RcloneListArgv(dst string) []string {
	return []string{"rclone", "lsf", "-R", "--files-only", "--format", "p", dst}
}

// RcloneDeleteArgv deletes the objects of dst named in list, one path
// relative to dst a line (--files-from-raw: no pattern, no comment).
func RcloneDeleteArgv(list, dst string) []string {
	return []string{"rclone", "delete", "--files-from-raw", list, dst}
}
