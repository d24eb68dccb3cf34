package agent

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/partsync/partsync/e2e/internal/sandbox"
)

func TestArgv(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    corev1.Container
		want []string
	}{
		{"plain", corev1.Container{Command: []string{"partsync"}, Args: []string{"transfer", "--part", "1"}}, []string{"partsync", "transfer", "--part", "1"}},
		{"emissary", corev1.Container{
			Command: []string{"/var/run/argo/argoexec", "emissary", "--loglevel", "info", "--log-format", "text", "--", "partsync"},
			Args:    []string{"record", "--", "x"},
		}, []string{"partsync", "record", "--", "x"}},
		{"args only: the image entrypoint is unknown", corev1.Container{Args: []string{"rsync", "-a"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := argv(&tc.c); !slices.Equal(got, tc.want) {
				t.Errorf("argv = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestHostPath(t *testing.T) {
	spec := sandbox.Spec{Mounts: []sandbox.Mount{
		{Source: "/vol/a", Target: "/mnt"},
		{Source: "/vol/b", Target: "/mnt/deep"},
	}}
	for in, want := range map[string]string{
		"/mnt/x":        "/vol/a/x",
		"/mnt/deep/y":   "/vol/b/y",
		"/mnt/deeper/z": "/vol/a/deeper/z",
		"/elsewhere":    "/elsewhere",
		"/mnt":          "/vol/a",
	} {
		if got := hostPath(spec, in); got != want {
			t.Errorf("hostPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFieldValue(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
		Name: "p", Namespace: "ns", UID: "u",
		Annotations: map[string]string{"a": "1"}, Labels: map[string]string{"l": "2"},
	}}
	for in, want := range map[string]string{
		"metadata.name": "p", "metadata.namespace": "ns", "metadata.uid": "u",
		"metadata.annotations['a']": "1", "metadata.labels['l']": "2", "status.podIP": "127.0.0.1",
	} {
		if got := fieldValue(pod, in); got != want {
			t.Errorf("fieldValue(%q) = %q, want %q", in, got, want)
		}
	}
}
