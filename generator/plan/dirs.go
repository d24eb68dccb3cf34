package plan

// DirsPart is the partition index of the directory step in status files and
// transfer specs. The step runs after every partition has finished and
// re-applies the directories' metadata from the source (rsync only); its
// status is status/dirs.json (StatusFile(DirsPart)).
const DirsPart = -1
