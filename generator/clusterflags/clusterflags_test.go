package clusterflags

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParsePVC(t *testing.T) {
	for in, want := range map[string]PVC{
		"lustre:/mnt/lustre": {"lustre", "/mnt/lustre"},
		"shared":             {"shared", "/mnt/shared"},
		"a.b-c:/x/y":         {"a.b-c", "/x/y"},
	} {
		got, err := ParsePVC(in)
		if err != nil || got != want {
			t.Errorf("ParsePVC(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "Upper:/x", "a:relative", "a:/", "a:/x/../y", "a_b:/x"} {
		if got, err := ParsePVC(in); !errors.Is(err, ErrCluster) || !strings.Contains(err.Error(), fmt.Sprintf("%q", in)) {
			t.Errorf("ParsePVC(%q) = %+v, %v; want ErrCluster naming it", in, got, err)
		}
	}
}

func TestParseIdentity(t *testing.T) {
	for in, want := range map[string]Identity{"1000": {1000, 1000}, "1000:100": {1000, 100}, "0": {0, 0}} {
		got, err := ParseIdentity(in)
		if err != nil || *got != want {
			t.Errorf("ParseIdentity(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "root", "-1", "1:x", "1:2:3", "99999999999"} {
		if _, err := ParseIdentity(in); !errors.Is(err, ErrCluster) || !strings.Contains(err.Error(), fmt.Sprintf("%q", in)) {
			t.Errorf("ParseIdentity(%q) = %v; want ErrCluster naming it", in, err)
		}
	}
}
