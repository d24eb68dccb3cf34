package workflow

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/partsync/partsync/generator/clusterflags"
	"github.com/partsync/partsync/generator/partition"
)

// ErrCluster is wrapped when the cluster options cannot describe a working
// workflow; it is clusterflags.ErrCluster, which the flag parsers wrap.
var ErrCluster = clusterflags.ErrCluster

// DefaultBackoff is the first retry's delay; each further retry doubles it.
const DefaultBackoff = 30 * time.Second

// Options say how the plan runs in the cluster.
type Options struct {
	Jobs               int           // transfers at once: spec.parallelism (-n)
	Image              string        // image with partsync, rsync and rclone
	PVCs               []PVC         // volumes the pods mount
	Namespace          string        // metadata.namespace; empty leaves it to argo submit
	ServiceAccount     string        // spec.serviceAccountName
	RcloneConfigSecret *SecretRef    // Secret holding rclone.conf; nil when the tool needs none
	RunAs              *Identity     // uid and gid of the pods; nil: the image's non-root user ImageUID:ImageGID
	Retries            int           // retryStrategy.limit of each transfer
	Backoff            time.Duration // first retry delay
	// MaxPartitions is the most partitions one Workflow runs; a larger run
	// becomes a workflow of workflows (children.go). 0: no limit.
	MaxPartitions int
	Pods          PodOptions // resources, scheduling, pulling, deadline, metadata, patch (pods.go)
	// Verify adds the steps that compare DST with the run after the
	// directory step (verify.go).
	Verify bool
	// VerifyChecksum makes the verify steps compare content (verify
	// --checksum), not only size and mtime; it implies Verify.
	VerifyChecksum bool
}

// PVC, SecretRef and Identity are the parsed cluster flags
// (generator/clusterflags, kept apart so that its parsers can be fuzzed).
type (
	PVC       = clusterflags.PVC
	SecretRef = clusterflags.SecretRef
	Identity  = clusterflags.Identity
)

// ImageUID and ImageGID are the non-root user and group of partsync's image
// (its Dockerfile's USER), the pods' identity unless Options.RunAs says
// otherwise.
const (
	ImageUID = 65532
	ImageGID = 65532
)

// rootCapabilities let root chown, read and write every file, as rsync -a
// needs to copy a shared file system with its owners; all others stay
// dropped. DAC_OVERRIDE lets root read and search everything already:
// DAC_READ_SEARCH would only put the pods out of Pod Security's baseline.
func rootCapabilities() []corev1.Capability {
	return []corev1.Capability{"CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID"}
}

// RootCapabilities names the capabilities root pods get.
func RootCapabilities() []string {
	var names []string
	for _, c := range rootCapabilities() {
		names = append(names, string(c))
	}
	return names
}

// Identity is the uid and gid the pods run as.
func (o Options) Identity() Identity {
	if o.RunAs == nil {
		return Identity{UID: ImageUID, GID: ImageGID}
	}
	return *o.RunAs
}

// secure sets the pods' identity, always by number (the image's non-root
// user unless o.RunAs); as root the containers get rootCapabilities. It is
// the last touch of every spec partsync builds, so it also writes what all
// containers share once, in templateDefaults (defaults.go).
func (o Options) secure(spec *wfv1.WorkflowSpec) {
	defer shareContainerDefaults(spec)
	id := o.Identity()
	spec.SecurityContext = &corev1.PodSecurityContext{
		RunAsUser:      ptr(id.UID),
		RunAsGroup:     ptr(id.GID),
		RunAsNonRoot:   ptr(id.UID != 0),
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	if id.UID != 0 {
		return
	}
	for i := range spec.Templates {
		if c := spec.Templates[i].Container; c != nil {
			c.SecurityContext.Capabilities.Add = rootCapabilities()
		}
	}
}

// validate reports every problem of the options at once.
func (o Options) validate() error {
	var errs []error
	if err := partition.CheckJobs(o.Jobs); err != nil {
		errs = append(errs, fmt.Errorf("%w: %w", ErrCluster, err))
	}
	if o.Retries < 0 {
		errs = append(errs, fmt.Errorf("%w: --retries %d: give 0 or more", ErrCluster, o.Retries))
	}
	if o.MaxPartitions != 0 { // 0: no split (template)
		if err := partition.CheckMaxPartitions(o.MaxPartitions); err != nil {
			errs = append(errs, fmt.Errorf("%w: %w", ErrCluster, err))
		}
	}
	if o.Backoff <= 0 {
		errs = append(errs, fmt.Errorf("%w: --backoff %s: give a positive duration such as 30s", ErrCluster, o.Backoff))
	}
	if err := o.Pods.validate(); err != nil {
		errs = append(errs, err)
	}
	if _, err := clusterflags.ParseImage(o.Image); err != nil {
		errs = append(errs, err)
	}
	if errs2 := validation.IsDNS1123Subdomain(o.ServiceAccount); len(errs2) > 0 {
		errs = append(errs, fmt.Errorf("%w: --service-account %q: %s", ErrCluster, o.ServiceAccount, errs2[0]))
	}
	if o.Namespace != "" {
		if errs2 := validation.IsDNS1123Label(o.Namespace); len(errs2) > 0 {
			errs = append(errs, fmt.Errorf("%w: --namespace %q: %s", ErrCluster, o.Namespace, errs2[0]))
		}
	}
	seen := map[string]bool{}
	for _, v := range o.PVCs {
		if seen[v.MountPath] {
			errs = append(errs, fmt.Errorf("%w: --pvc: two claims mounted at %s", ErrCluster, v.MountPath))
		}
		seen[v.MountPath] = true
		if within(scratchDir, v.MountPath) || within(v.MountPath, scratchDir) {
			errs = append(errs, fmt.Errorf("%w: --pvc %s:%s overlaps the pods' scratch directory %s; mount it elsewhere", ErrCluster, v.Claim, v.MountPath, scratchDir))
		}
	}
	return errors.Join(errs...)
}

// Target is what a workflow copies, as far as the cluster options care.
type Target struct {
	Tool             string
	Source           string // absolute
	LocalDestination string // absolute, or empty for an rclone remote
	RemoteName       string // the rclone remote, or empty
	RunDir           string // absolute run directory (or the shared dir, before the run exists)
}

// Check reports every problem of the options for target at once, before
// anything is scanned.
func (o Options) Check(t Target) error {
	_, err := o.mounts(t)
	return errors.Join(o.validate(), err)
}

// mounts returns the volume mounts of a transfer pod: every claim, read-only
// unless something is written to it, the rclone config Secret and /tmp. It
// fails when the source, a local destination or the run directory lies on
// no claim, or when a remote has no config Secret.
func (o Options) mounts(t Target) ([]corev1.VolumeMount, error) {
	type need struct{ what, path string }
	needs := []need{{"SRC", t.Source}, {"the shared dir", t.RunDir}}
	if t.LocalDestination != "" {
		needs = append(needs, need{"DST", t.LocalDestination})
	}
	var errs []error
	written := map[string]bool{}
	for _, n := range needs {
		v, ok := o.mountFor(n.path)
		if !ok {
			errs = append(errs, fmt.Errorf("%w: %s %s is not under any --pvc mount path; the pods see only mounted claims: add --pvc CLAIM:MOUNTPATH (mounted at the same path here)", ErrCluster, n.what, n.path))
			continue
		}
		if n.what != "SRC" {
			written[v.MountPath] = true
		}
	}
	if t.RemoteName != "" && o.RcloneConfigSecret == nil {
		errs = append(errs, fmt.Errorf("%w: DST uses rclone remote %q but no --rclone-config-secret is given; create one with: kubectl create secret generic rclone-config --from-file=rclone.conf and pass --rclone-config-secret rclone-config", ErrCluster, t.RemoteName))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	mounts := []corev1.VolumeMount{}
	for i, v := range o.PVCs {
		mounts = append(mounts, corev1.VolumeMount{Name: pvcVolumeName(i), MountPath: v.MountPath, ReadOnly: !written[v.MountPath]})
	}
	if o.RcloneConfigSecret != nil && t.Tool == "rclone" {
		mounts = append(mounts, corev1.VolumeMount{Name: configVolume, MountPath: rcloneConfigDir, ReadOnly: true})
	}
	return append(mounts, corev1.VolumeMount{Name: tmpVolume, MountPath: scratchDir}), nil
}

// mountFor returns the PVC whose mount path holds path (the deepest one).
func (o Options) mountFor(path string) (PVC, bool) {
	var best PVC
	found := false
	for _, v := range o.PVCs {
		if within(path, v.MountPath) && len(v.MountPath) > len(best.MountPath) {
			best, found = v, true
		}
	}
	return best, found
}

// within reports whether path is dir or below it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}
