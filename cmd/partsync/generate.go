package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/partsync/partsync/generator/bytesize"
	"github.com/partsync/partsync/generator/clusterflags"
	"github.com/partsync/partsync/generator/plan"
	"github.com/partsync/partsync/generator/plural"
	"github.com/partsync/partsync/generator/prepare"
	"github.com/partsync/partsync/generator/workflow"
)

func generateCommand(s Streams) *cli.Command {
	return &cli.Command{
		Name:      "generate",
		Usage:     "scan SRC, write the run directory, and print an Argo Workflow that copies it to DST",
		ArgsUsage: "SRC DST",
		Flags:     append(append(append(planFlags(), sizingFlags()...), clusterFlags(version)...), summaryFlag(), bwLimitFlag()),
		Action: func(c *cli.Context) error {
			req, checked, err := request(c, version)
			wopts, werr := clusterOptions(c)
			if !c.IsSet("run-as-user") && !c.Bool("run-as-root") && os.Getuid() != 0 {
				// The pods get the rights the user running generate has here: that
				// user owns the run directory the pods write status files to.
				// Run as root, generate gives the pods the image's non-root user
				// (and the run directory to it): root pods are only ever chosen.
				wopts.RunAs = &workflow.Identity{UID: int64(os.Getuid()), GID: int64(os.Getgid())}
			}
			if err = errors.Join(err, werr, checkSummaryFlag(c), checkOutputRenamed(c)); err != nil {
				return err
			}
			target := workflow.Target{
				Tool: checked.Tool.Name(), Source: checked.Source, RunDir: checked.SharedDir,
				LocalDestination: checked.Destination.LocalPath, RemoteName: checked.Destination.Remote,
			}
			if err := wopts.Check(target); err != nil {
				return err
			}
			return generate(c, s, req, wopts)
		},
	}
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

// generate prepares the run, builds the workflow, lints it with Argo's
// validator, and writes it. A failure after the scan removes the run.
func generate(c *cli.Context, s Streams, req prepare.Request, o workflow.Options) error {
	p, err := prepare.Prepare(c.Context, req)
	if err != nil {
		return err
	}
	if err := emitWithSummary(c, s, p, o, func() error { return emit(c, s, p, o) }); err != nil {
		return errors.Join(err, plan.Discard(p.Dir()))
	}
	fmt.Fprintf(s.Err, "partsync: run %s: %s, %s listed (%s), %d skipped, %d excluded; run directory %s\n",
		p.RunID, plural.Count(p.Count(), "partition"), plural.Count(p.Totals.Listed, "entry"), bytesize.Format(p.Totals.ListedBytes), p.Totals.Skipped, p.Totals.Excluded, p.RunDir)
	if p.Totals.Skipped > 0 {
		fmt.Fprintf(s.Err, "partsync: %s %s in no partition; the reasons are in %s\n", plural.Count(p.Totals.Skipped, "entry"), plural.Form(p.Totals.Skipped, "is", "are"), p.Dir().SkippedFile())
	}
	printHardLinkNote(s.Err, p)
	printSplit(s.Err, p, o)
	return nil
}

// emit writes the workflow into the run directory and lints it
// (workflow.Emit), and prints it or writes it to --output-file.
func emit(c *cli.Context, s Streams, p *plan.Plan, o workflow.Options) error {
	e, err := workflow.Emit(c.Context, p, o, s.Err)
	if err != nil {
		return err
	}
	if err := giveRunDir(s, p, o); err != nil {
		return err
	}
	if out := c.String("output-file"); out != "" {
		return writeOutput(out, e.Doc)
	}
	_, err = s.Out.Write(e.Doc)
	return err
}

// giveRunDir says on stderr who the pods run as when it is not the user
// running generate, and then, if generate runs as root, gives the run
// directory to the pods' user, who writes status files and the outcome in it.
func giveRunDir(s Streams, p *plan.Plan, o workflow.Options) error {
	id := o.Identity()
	if id.UID == int64(os.Getuid()) && id.UID != 0 {
		return nil
	}
	announceIdentity(s, o)
	if os.Geteuid() != 0 || id.UID == 0 {
		return nil
	}
	fmt.Fprintf(s.Err, "partsync: the run directory %s is given to %d:%d; DST must be writable by that user too\n", p.RunDir, id.UID, id.GID)
	return plan.GiveTo(p.Dir(), int(id.UID), int(id.GID))
}

// announceIdentity says on stderr who the pods run as and the Pod Security
// level their namespace must allow.
func announceIdentity(s Streams, o workflow.Options) {
	id := o.Identity()
	switch {
	case id.UID == 0:
		fmt.Fprintf(s.Err, "partsync: the pods run as root (--run-as-root) with the capabilities %s, to keep owners: their namespace must allow Pod Security level baseline\n", strings.Join(workflow.RootCapabilities(), ", "))
	case o.RunAs == nil:
		fmt.Fprintf(s.Err, "partsync: the pods run as the image's non-root user %d:%d (Pod Security level restricted); --run-as-root keeps owners, --run-as-user UID[:GID] picks another user\n", id.UID, id.GID)
	default:
		fmt.Fprintf(s.Err, "partsync: the pods run as %d:%d (Pod Security level restricted)\n", id.UID, id.GID)
	}
}
