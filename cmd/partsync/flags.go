package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/partsync/partsync/generator/bytesize"
	"github.com/partsync/partsync/generator/clusterflags"
	"github.com/partsync/partsync/generator/partition"
	"github.com/partsync/partsync/generator/plural"
	"github.com/partsync/partsync/generator/prepare"
	"github.com/partsync/partsync/generator/tool"
	"github.com/partsync/partsync/generator/workflow"
)

// env names the PARTSYNC_* variable of a flag.
func env(name string) []string {
	return []string{"PARTSYNC_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))}
}

// Defaults, as in fpsync where it has them.
const (
	defaultJobs      = 2
	defaultFiles     = 2000
	defaultSize      = "4G"
	defaultSharedDir = "/tmp/partsync"
	defaultRetries   = 3
)

// planFlags are shared by generate and run: what to copy and how to split it.
func planFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "jobs", Aliases: []string{"n"}, Value: defaultJobs, EnvVars: env("jobs"), Usage: "transfers at once (the workflow's parallelism)"},
		&cli.Int64Flag{Name: "files", Aliases: []string{"f"}, Value: defaultFiles, EnvVars: env("files"), Usage: "at most this many entries per partition"},
		&cli.StringFlag{Name: "size", Aliases: []string{"s"}, Value: defaultSize, EnvVars: env("size"), Usage: "at most this many bytes per partition: 4G (GiB, as fpart), 512MiB, 4GB (10^9), or bytes"},
		&cli.StringFlag{Name: "tool", Aliases: []string{"m"}, Value: "rsync", EnvVars: env("tool"), Usage: "transfer tool: rsync (to a path) or rclone (to a remote or a path)"},
		&cli.StringFlag{Name: "tool-options", Aliases: []string{"o"}, EnvVars: env("tool-options"), Usage: toolOptionsUsage(tool.Rclone{}.DefaultOptions())},
		&cli.StringFlag{Name: "shared-dir", Aliases: []string{"d"}, Value: defaultSharedDir, EnvVars: env("shared-dir"), Usage: "directory that holds run directories (on the shared volume for generate)"},
		&cli.StringSliceFlag{Name: "exclude", Aliases: []string{"x"}, EnvVars: env("exclude"), Usage: "skip entries matching this glob (repeatable): a name pattern matches at any depth, one with '/' matches the path from SRC, a trailing '/' matches directories only"},
		&cli.StringFlag{Name: "run-id", EnvVars: env("run-id"), Usage: "name of the run (default: the time and a random suffix)"},
		&cli.IntFlag{Name: "scan-workers", Value: 32, EnvVars: env("scan-workers"), Usage: "directories the scanner reads at once"},
		&cli.StringFlag{Name: "rclone-config", EnvVars: env("rclone-config"), Usage: "rclone config in which DST's remote must exist (default: rclone's own search: $RCLONE_CONFIG, ~/.config/rclone/rclone.conf)"},
		&cli.IntFlag{Name: "retries", Value: defaultRetries, EnvVars: env("retries"), Usage: "further attempts at a failed partition"},
		&cli.DurationFlag{Name: "backoff", Value: workflow.DefaultBackoff, EnvVars: env("backoff"), Usage: "delay before the first retry; doubled for each further one"},
		&cli.StringFlag{Name: "since", EnvVars: env("since"), Usage: "RUN (id in -d, or run directory): copy only what is new or changed since that finished run of the same SRC, DST, tool, -o and -x, without listing DST (default: the newest such run in -d, if any)"},
		&cli.BoolFlag{Name: "no-since", EnvVars: env("no-since"), Usage: "a full run: compare nothing with an earlier run, hand every entry to the tool"},
	}
}

// toolOptionsUsage is -o's help, naming rsync's default options and
// rclone's, rcloneDefaults (generate's and run's differ).
func toolOptionsUsage(rcloneDefaults []string) string {
	return fmt.Sprintf("replace the tool's default options; quoted like a shell, never run by one (defaults: rsync %q, rclone %q)",
		strings.Join(tool.Rsync{}.DefaultOptions(), " "), strings.Join(rcloneDefaults, " "))
}

// clusterFlags say how the workflow runs in Kubernetes (generate only).
func clusterFlags(version string) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "image", Value: defaultImage(version), EnvVars: env("image"), Usage: "container image with partsync, rsync and rclone"},
		&cli.StringSliceFlag{Name: "pvc", EnvVars: env("pvc"), Usage: "CLAIM[:MOUNTPATH] mounted in every pod at the same path as here (repeatable; default mount /mnt/CLAIM); SRC, a local DST and the shared dir must each lie under one"},
		&cli.StringFlag{Name: "namespace", EnvVars: env("namespace"), Usage: "namespace of the workflow (default: the one argo submit uses)"},
		&cli.StringFlag{Name: "service-account", Value: "partsync", EnvVars: env("service-account"), Usage: "service account of the pods"},
		&cli.StringFlag{Name: "rclone-config-secret", EnvVars: env("rclone-config-secret"), Usage: "Secret NAME[:KEY] holding rclone.conf (key default rclone.conf), mounted read-only in the pods"},
		&cli.StringFlag{Name: "output-file", EnvVars: env("output-file"), Usage: "write the workflow to this file instead of standard output"},
		&cli.StringFlag{Name: "output", EnvVars: env("output"), Hidden: true, Usage: "old name of --output-file: refused with the new name (--output is a format, as in status -o json)"},
		&cli.StringFlag{Name: "run-as-user", EnvVars: env("run-as-user"), Usage: "UID[:GID] the pods run as, or \"image\" for the image's non-root user 65532 (generate's default: the user running generate, who owns the run directory, or the image's user when that is root; template's: the image's user); 0 is --run-as-root"},
		&cli.StringFlag{Name: "requests", EnvVars: env("requests"), Usage: "resources each transfer pod requests, NAME=QUANTITY,… (cpu=500m,memory=1Gi); a form parameter of the template"},
		&cli.StringFlag{Name: "limits", EnvVars: env("limits"), Usage: "resources each transfer pod may use at most, NAME=QUANTITY,… (cpu=2,memory=4Gi); a form parameter of the template"},
		&cli.StringFlag{Name: "step-requests", EnvVars: env("step-requests"), Usage: "resources the scan, directory and record pods request, NAME=QUANTITY,…"},
		&cli.StringFlag{Name: "step-limits", EnvVars: env("step-limits"), Usage: "resources the scan, directory and record pods may use at most, NAME=QUANTITY,…"},
		&cli.StringSliceFlag{Name: "node-selector", EnvVars: env("node-selector"), Usage: "KEY=VALUE label the pods' nodes must have (repeatable)"},
		&cli.StringSliceFlag{Name: "toleration", EnvVars: env("toleration"), Usage: "KEY[=VALUE]:EFFECT taint the pods tolerate (repeatable; without VALUE any value of KEY)"},
		&cli.StringFlag{Name: "affinity", EnvVars: env("affinity"), Usage: "FILE holding a Kubernetes affinity (YAML or JSON) for every pod, or the JSON itself starting with '{'; the transfers keep their spread over nodes besides"},
		&cli.StringSliceFlag{Name: "image-pull-secret", EnvVars: env("image-pull-secret"), Usage: "NAME of a Secret to pull the image with (repeatable)"},
		&cli.StringFlag{Name: "image-pull-policy", EnvVars: env("image-pull-policy"), Usage: "Always, IfNotPresent or Never (default: Kubernetes')"},
		&cli.StringFlag{Name: "priority-class", EnvVars: env("priority-class"), Usage: "NAME of the pods' PriorityClass"},
		&cli.DurationFlag{Name: "active-deadline", EnvVars: env("active-deadline"), Usage: "stop the workflow after this long, such as 72h (spec.activeDeadlineSeconds; default: none)"},
		&cli.StringSliceFlag{Name: "pod-annotation", EnvVars: env("pod-annotation"), Usage: "KEY=VALUE annotation of every pod (repeatable)"},
		&cli.StringSliceFlag{Name: "pod-label", EnvVars: env("pod-label"), Usage: "KEY=VALUE label of every pod (repeatable)"},
		&cli.StringFlag{Name: "pod-spec-patch", EnvVars: env("pod-spec-patch"), Usage: "patch of every pod's spec, Argo's podSpecPatch: JSON starting with '{', or a FILE of YAML or JSON (containers by name; partsync's is main); a form parameter of the template"},
		&cli.BoolFlag{Name: "run-as-root", EnvVars: env("run-as-root"), Usage: "run the pods as root with the capabilities rsync needs to read every file and preserve owners (CHOWN, DAC_OVERRIDE, FOWNER, FSETID; Pod Security level baseline)"},
	}
}

// checkOutputRenamed refuses generate's and template's old --output FILE
// (PARTSYNC_OUTPUT): --output is the output format everywhere, as in argo
// and kubectl, and the file is --output-file. A silent fallback to stdout
// would leave a CI job's workflow file unwritten.
func checkOutputRenamed(c *cli.Context) error {
	if old := c.String("output"); old != "" {
		return fmt.Errorf("%w: --output %s: the workflow's file is now --output-file %s (--output names a format, as in status -o json)", ErrUsage, old, old)
	}
	return nil
}

// runsDirFlag is -d of the commands that read the run directories (status, prune).
func runsDirFlag() cli.Flag {
	return &cli.StringFlag{Name: "shared-dir", Aliases: []string{"d"}, Value: defaultSharedDir, EnvVars: env("shared-dir"), Usage: "directory that holds run directories"}
}

// defaultImage is the image of this version of partsync.
func defaultImage(version string) string { return "ghcr.io/partsync/partsync:v" + version }

// sizeValue reads -s.
func sizeValue(c *cli.Context) (int64, error) { return bytesize.Parse(c.String("size")) }

// request builds the prepare request from the plan flags and the arguments.
func request(c *cli.Context, version string) (prepare.Request, prepare.Checked, error) {
	if c.NArg() != 2 {
		return prepare.Request{}, prepare.Checked{}, fmt.Errorf("%w: %s needs SRC and DST, got %s: %q", ErrUsage, c.Command.Name, plural.Count(c.NArg(), "argument"), c.Args().Slice())
	}
	size, sizeErr := sizeValue(c)
	r := prepare.Request{
		Source:       c.Args().Get(0),
		Destination:  c.Args().Get(1),
		Tool:         c.String("tool"),
		MaxFiles:     c.Int64("files"),
		MaxBytes:     size,
		Excludes:     nonBlank(c.StringSlice("exclude")),
		SharedDir:    c.String("shared-dir"),
		RunID:        c.String("run-id"),
		ScanWorkers:  c.Int("scan-workers"),
		RcloneConfig: c.String("rclone-config"),
		Since:        c.String("since"),
		NoSince:      c.Bool("no-since"),
		Version:      version,
		Getenv:       os.Getenv,
		Now:          time.Now,
	}
	var optsErr error
	if opts := c.String("tool-options"); strings.TrimSpace(opts) != "" { // blank keeps the defaults
		r.ToolOptions, optsErr = tool.SplitOptions(opts)
	}
	if sizeErr != nil || optsErr != nil {
		r.MaxBytes = max(r.MaxBytes, 1) // report the other problems too
	}
	bwErr := errors.Join(bwLimitOption(c, &r), deleteOptions(c, &r))
	autoErr := autoOptions(c, &r) // --auto, --max-partitions (sizing.go)
	checked, err := prepare.Check(r)
	return r, checked, errors.Join(sizeErr, optsErr, bwErr, autoErr, err, checkJobs(c))
}

// bwLimitFlag is --bwlimit, of run and generate.
func bwLimitFlag() cli.Flag {
	return &cli.StringFlag{Name: "bwlimit", EnvVars: env("bwlimit"),
		Usage: "one bandwidth budget for the whole run, bytes per second as -s takes them (100M = 100 MiB/s): each of the -n transfers gets BWLIMIT/n (rsync and rclone --bwlimit)"}
}

// bwLimitOption reads --bwlimit into r.
func bwLimitOption(c *cli.Context, r *prepare.Request) error {
	n, err := bwLimitValue(c)
	if err != nil || n == 0 {
		return err
	}
	r.BwLimit, r.Jobs = n, c.Int("jobs")
	return nil
}

// bwLimitValue is --bwlimit in bytes per second, 0 when it is blank.
func bwLimitValue(c *cli.Context) (int64, error) {
	v := c.String("bwlimit")
	if strings.TrimSpace(v) == "" {
		return 0, nil // the Argo UI's form passes a blank field on as it is
	}
	n, err := bytesize.Parse(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%w: --bwlimit %q: give bytes per second, such as 100M (MiB/s) or 1G", ErrUsage, v)
	}
	return n, nil
}

// nonBlank drops blank values: an empty line in PARTSYNC_EXCLUDE or an empty
// field of the Argo UI's form excludes nothing.
func nonBlank(values []string) []string {
	var out []string
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			out = append(out, v)
		}
	}
	return out
}

// checkJobs validates the pool flags shared by run and generate.
func checkJobs(c *cli.Context) error {
	var errs []error
	errs = append(errs, partition.CheckJobs(c.Int("jobs")))
	if n := c.Int("retries"); n < 0 {
		errs = append(errs, fmt.Errorf("%w: --retries %d: give 0 or more", ErrUsage, n))
	}
	if d := c.Duration("backoff"); d <= 0 {
		errs = append(errs, fmt.Errorf("%w: --backoff %s: give a positive duration such as 30s", ErrUsage, d))
	}
	return errors.Join(errs...)
}

// runDirFlag and attemptFlag are the flags of the commands a workflow's pods run.
func runDirFlag() cli.Flag {
	return &cli.StringFlag{Name: "run-dir", Required: true, Usage: "the run directory"}
}

func attemptFlag() cli.Flag {
	return &cli.IntFlag{Name: "attempt", Usage: "retry number, 0 for the first attempt (Argo's {{retries}})"}
}

// clusterOptions reads the cluster flags.
func clusterOptions(c *cli.Context) (workflow.Options, error) {
	o := workflow.Options{
		Jobs:           c.Int("jobs"),
		Image:          c.String("image"),
		Namespace:      c.String("namespace"),
		ServiceAccount: c.String("service-account"),
		Retries:        c.Int("retries"),
		Backoff:        c.Duration("backoff"),
		MaxPartitions:  c.Int("max-partitions"), // 0 where the flag is absent (template): no split
		Verify:         c.Bool("verify"),
		VerifyChecksum: c.Bool(verifyChecksumName),
	}
	var errs []error
	for _, v := range c.StringSlice("pvc") {
		pvc, err := clusterflags.ParsePVC(v)
		errs = append(errs, err)
		o.PVCs = append(o.PVCs, pvc)
	}
	if name := c.String("rclone-config-secret"); name != "" {
		ref, err := clusterflags.ParseSecretRef(name)
		errs = append(errs, err)
		o.RcloneConfigSecret = ref
	}
	switch user := c.String("run-as-user"); {
	case c.Bool("run-as-root") && user != "":
		errs = append(errs, fmt.Errorf("%w: --run-as-root and --run-as-user %q: give one of them", ErrUsage, user))
	case c.Bool("run-as-root"):
		o.RunAs = &workflow.Identity{UID: 0, GID: 0}
	case user != "" && user != "image":
		id, err := clusterflags.ParseIdentity(user)
		errs = append(errs, err)
		o.RunAs = id
	}
	pods, err := podOptions(c)
	o.Pods = pods
	return o, errors.Join(append(errs, err)...)
}

// podOptions reads the pod knobs, reporting every bad value at once.
func podOptions(c *cli.Context) (workflow.PodOptions, error) {
	var p workflow.PodOptions
	var errs []error
	resourceFlags := map[string]*corev1.ResourceList{"requests": &p.Requests, "limits": &p.Limits, "step-requests": &p.StepRequests, "step-limits": &p.StepLimits}
	for flag, list := range resourceFlags {
		var err error
		*list, err = clusterflags.ParseResources(flag, c.String(flag))
		errs = append(errs, err)
	}
	labelFlags := map[string]*map[string]string{"node-selector": &p.NodeSelector, "pod-label": &p.Labels}
	for flag, labels := range labelFlags {
		for _, v := range c.StringSlice(flag) {
			k, val, err := clusterflags.ParseLabel(flag, v)
			errs = append(errs, err)
			if err == nil {
				*labels = putKey(*labels, k, val)
			}
		}
	}
	for _, v := range c.StringSlice("pod-annotation") {
		k, val, err := clusterflags.ParseAnnotation(v)
		errs = append(errs, err)
		if err == nil {
			p.Annotations = putKey(p.Annotations, k, val)
		}
	}
	for _, v := range c.StringSlice("toleration") {
		tol, err := clusterflags.ParseToleration(v)
		errs = append(errs, err)
		p.Tolerations = append(p.Tolerations, tol)
	}
	for _, v := range c.StringSlice("image-pull-secret") {
		name, err := clusterflags.ParseName("image-pull-secret", v)
		errs = append(errs, err)
		p.ImagePullSecrets = append(p.ImagePullSecrets, name)
	}
	if v := c.String("priority-class"); v != "" {
		var err error
		p.PriorityClass, err = clusterflags.ParseName("priority-class", v)
		errs = append(errs, err)
	}
	if v := c.String("image-pull-policy"); v != "" {
		var err error
		p.ImagePullPolicy, err = clusterflags.ParsePullPolicy(v)
		errs = append(errs, err)
	}
	if v := c.String("affinity"); v != "" {
		data, where, err := inlineOrFile("affinity", v)
		if err == nil {
			p.Affinity, err = clusterflags.ParseAffinity(where, data)
		}
		errs = append(errs, err)
	}
	if v := c.String("pod-spec-patch"); strings.TrimSpace(v) != "" { // blank, as the form may send it: none
		data, where, err := inlineOrFile("pod-spec-patch", v)
		if err == nil {
			p.SpecPatch, err = clusterflags.ParsePodSpecPatch(where, data)
		}
		errs = append(errs, err)
	}
	p.ActiveDeadline = c.Duration("active-deadline")
	return p, errors.Join(errs...)
}

// inlineOrFile is the document that --affinity or --pod-spec-patch gives:
// the value itself when it is inline JSON (as the template's scan step
// passes it), else the file it names. where names it in errors: the quoted
// value, or the file.
func inlineOrFile(flag, v string) (data []byte, where string, err error) {
	if clusterflags.IsInlinePatch(v) {
		return []byte(v), fmt.Sprintf("%q", v), nil
	}
	data, err = os.ReadFile(v)
	if err != nil {
		return nil, v, fmt.Errorf("%w: --%s %s: %v; give JSON starting with '{' or a readable file", ErrUsage, flag, v, err)
	}
	return data, v, nil
}

// putKey sets m[k] = v, making m if it is nil.
func putKey(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}
