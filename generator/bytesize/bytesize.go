// Package bytesize parses and prints the byte sizes users give partsync (-s).
//
// A single-letter suffix is a power of 1024, as in fpart and fpsync
// ("4G" = 4 GiB); IEC suffixes are powers of 1024 ("512MiB"); SI suffixes with
// a B are powers of 1000 ("4GB" = 4,000,000,000); a plain number is bytes.
package bytesize

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dustin/go-humanize"
)

// ErrSize is wrapped when a size cannot be parsed.
var ErrSize = errors.New("bad size")

// Parse reads a size such as "4G", "512MiB", "1.5TB" or "1048576".
func Parse(s string) (int64, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, fmt.Errorf("%w %q: give bytes or a number with a unit, such as 4G, 512MiB or 1048576", ErrSize, s)
	}
	if strings.HasPrefix(in, "-") {
		return 0, fmt.Errorf("%w %q: a size cannot be negative", ErrSize, s)
	}
	// fpart's single letters are binary: "4G" means 4 GiB. humanize reads
	// them as decimal, so spell them out as IEC units first.
	if unit := in[len(in)-1]; strings.IndexByte("kKmMgGtTpPeE", unit) >= 0 {
		number := strings.TrimSpace(in[:len(in)-1])
		if number != "" && strings.IndexByte("0123456789.", number[len(number)-1]) >= 0 {
			in = number + strings.ToUpper(string(unit)) + "iB"
		}
	}
	n, err := humanize.ParseBytes(in)
	if err != nil {
		return 0, fmt.Errorf("%w %q: give bytes or a number with a unit, such as 4G, 512MiB or 1048576", ErrSize, s)
	}
	if n > 1<<62 {
		return 0, fmt.Errorf("%w %q: larger than 4 EiB", ErrSize, s)
	}
	return int64(n), nil
}

// Format prints n bytes for people, in IEC units ("1.5 GiB").
func Format(n int64) string {
	if n < 0 {
		return "-" + humanize.IBytes(uint64(-n))
	}
	return humanize.IBytes(uint64(n))
}
