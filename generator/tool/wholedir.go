package tool

// WholeDirs is a Tool that takes a directory and every entry directly in
// it (not below) as one line of its file list.
type WholeDirs interface {
	// WholeDirLine is that line for the directory at path.
	WholeDirLine(path string) string
}

// WholeDirLine is "path/": --files-from implies --dirs, with which rsync
// copies a name ending in '/' with the entries directly in it, the way its
// recursive mode reads a directory, instead of resolving one path per entry.
func (Rsync) WholeDirLine(path string) string { return path + "/" }
