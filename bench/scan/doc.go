// Package scanbench holds the Go benchmark that times generator/scan against
// fpart and find on the same seeded tree, interleaved in each iteration so
// that both see the same load. The scripts beside it (compare.sh,
// slowfs.sh) do the same from the shell; see bench/BENCHMARKS.md.
package scanbench
