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

// TestIdentity: the user, group and groups a container runs as, and the
// runAsNonRoot refusal, as a kubelet and a runtime decide them.
func TestIdentity(t *testing.T) {
	const image = 65532
	i64 := func(v int64) *int64 { return &v }
	yes := func() *bool { b := true; return &b }
	for _, tc := range []struct {
		name       string
		psc        *corev1.PodSecurityContext
		sc         *corev1.SecurityContext
		imageUser  int64
		uid, gid   int64
		groups     []int64
		wantRefuse bool
	}{
		{name: "nothing set: the image's USER 65532:65532, never root", imageUser: image, uid: image, gid: image},
		{name: "runAsUser without runAsGroup: group 0", psc: &corev1.PodSecurityContext{RunAsUser: i64(1000)}, imageUser: image, uid: 1000, gid: 0},
		{name: "runAsGroup without runAsUser: the image's user", psc: &corev1.PodSecurityContext{RunAsGroup: i64(7)}, imageUser: image, uid: image, gid: 7},
		{name: "container over pod", psc: &corev1.PodSecurityContext{RunAsUser: i64(1000), RunAsGroup: i64(1000)},
			sc: &corev1.SecurityContext{RunAsUser: i64(2000), RunAsGroup: i64(2001)}, imageUser: image, uid: 2000, gid: 2001},
		{name: "fsGroup and supplementalGroups are supplementary groups",
			psc:       &corev1.PodSecurityContext{RunAsUser: i64(65532), RunAsGroup: i64(65532), FSGroup: i64(65532), SupplementalGroups: []int64{5, 6}},
			imageUser: image, uid: 65532, gid: 65532, groups: []int64{5, 6, 65532}},
		{name: "runAsNonRoot refuses runAsUser 0", psc: &corev1.PodSecurityContext{RunAsNonRoot: yes(), RunAsUser: i64(0)}, imageUser: image, wantRefuse: true},
		{name: "runAsNonRoot refuses an image running as root", sc: &corev1.SecurityContext{RunAsNonRoot: yes()}, imageUser: 0, wantRefuse: true},
		{name: "runAsNonRoot accepts the image's non-root user", psc: &corev1.PodSecurityContext{RunAsNonRoot: yes()}, imageUser: image, uid: image, gid: image},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := &corev1.Pod{Spec: corev1.PodSpec{SecurityContext: tc.psc}}
			c := &corev1.Container{SecurityContext: tc.sc}
			var spec sandbox.Spec
			err := identity(pod, c, tc.imageUser, &spec)
			if tc.wantRefuse {
				if err == nil {
					t.Fatalf("ran as %d, want a runAsNonRoot refusal", *spec.UID)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if spec.UID == nil || spec.GID == nil || *spec.UID != tc.uid || *spec.GID != tc.gid || !slices.Equal(spec.Groups, tc.groups) {
				t.Errorf("runs as %v:%v groups %v, want %d:%d groups %v", deref(spec.UID), deref(spec.GID), spec.Groups, tc.uid, tc.gid, tc.groups)
			}
		})
	}
}

func deref(p *int64) any {
	if p == nil {
		return "unset"
	}
	return *p
}
