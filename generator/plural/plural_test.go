package plural

import "testing"

func TestCount(t *testing.T) {
	for _, c := range []struct {
		n    int64
		noun string
		want string
	}{
		{0, "partition", "0 partitions"},
		{1, "partition", "1 partition"},
		{2, "partition", "2 partitions"},
		{1, "entry", "1 entry"},
		{3, "entry", "3 entries"},
		{2, "day", "2 days"},
		{1, "file", "1 file"},
		{-1, "file", "-1 files"},
	} {
		if got := Count(c.n, c.noun); got != c.want {
			t.Errorf("Count(%d, %q) = %q, want %q", c.n, c.noun, got, c.want)
		}
	}
}

func TestForm(t *testing.T) {
	if Form(1, "was", "were") != "was" || Form(int64(0), "was", "were") != "were" || Form(3, "is", "are") != "are" {
		t.Error("Form picks the wrong word")
	}
}
