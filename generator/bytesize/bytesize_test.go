package bytesize

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]int64{
		"0":       0,
		"1048576": 1 << 20,
		"4G":      4 << 30,
		"4g":      4 << 30,
		"4 G":     4 << 30,
		"512MiB":  512 << 20,
		"512mib":  512 << 20,
		"4GB":     4_000_000_000,
		"1.5K":    1536,
		"2T":      2 << 40,
		"100k":    100 << 10,
		"10B":     10,
	} {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{"", " ", "G", "abc", "-1", "-4G", "4X", "1e3q", "99999999999E"} {
		if n, err := Parse(in); !errors.Is(err, ErrSize) {
			t.Errorf("Parse(%q) = %d, %v; want ErrSize", in, n, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{"4G", "512MiB", "1", "1.5 TB", "-3", "k"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		n, err := Parse(in)
		if err == nil && n < 0 {
			t.Fatalf("Parse(%q) = %d: negative size accepted", in, n)
		}
		if err != nil && !errors.Is(err, ErrSize) {
			t.Fatalf("Parse(%q): error %v does not wrap ErrSize", in, err)
		}
	})
}
