// Package harness starts and stops the end-to-end stack: etcd,
// kube-apiserver, a pod binder in place of kube-scheduler, optionally
// kube-controller-manager, Argo's workflow-controller, the partsync test
// node agent and optionally KWOK, all on 127.0.0.1. It expects to run inside a private network namespace (Argo's
// controller listens on :6060 on every interface; see InPrivateNetns).
// Each process is started from a prebuilt binary, logs to its own file in
// the work directory, and is stopped by its PID.
package harness

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	wfclientset "github.com/argoproj/argo-workflows/v3/pkg/client/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Loopback ports of the stack. They are fixed: the stack owns its network
// namespace.
const (
	etcdClientPort = 2379
	etcdPeerPort   = 2380
	apiserverPort  = 6443
	kcmPort        = 10257
	kwokPort       = 10247
	controllerPort = 6060
	metricsPort    = 9090 // the controller's Prometheus metrics
)

// AgentNode is the name of the Node served by the test node agent.
const AgentNode = "partsync-agent"

// Config says what to start and where.
type Config struct {
	// BinDir holds etcd, kube-apiserver, workflow-controller,
	// node-agent and, when used, kube-controller-manager and kwok.
	BinDir string
	// WorkDir receives state, kubeconfig and one log file per process.
	WorkDir string
	// Namespace is where Argo's controller lives and, by default, the
	// workflows; PodSecurity is its Pod Security admission level
	// (pod-security.kubernetes.io/enforce: restricted, baseline, privileged;
	// empty: no label).
	Namespace   string
	PodSecurity string
	// OtherNamespaces are further namespaces for workflows (the controller
	// watches every namespace), each with its Pod Security level.
	OtherNamespaces map[string]string
	// CRDDir holds Argo's CRDs (manifests/base/crds/full of the module).
	CRDDir string
	// PodBinDir holds what the pods' image would: partsync. The node agent
	// mounts it in every container, first in PATH.
	PodBinDir string
	// ImageUser is the uid of containers that name no runAsUser (the USER
	// of partsync's image).
	ImageUser int64
	// ControllerManager starts kube-controller-manager.
	ControllerManager bool
	// KWOK starts the KWOK controller (nodes annotated kwok.x-k8s.io/node=fake).
	KWOK bool
	// Log, if set, receives progress lines.
	Log func(format string, args ...any)
}

// Stack is a running stack.
type Stack struct {
	cfg        Config
	procs      []*proc
	Kubeconfig string
	Rest       *rest.Config
	Kube       kubernetes.Interface
	Argo       wfclientset.Interface
	Dynamic    dynamic.Interface
	APIExt     apiextclient.Interface
	// Timings records how long each start phase took.
	Timings []Timing
	// stopBinder stops the pod binder (binder.go).
	stopBinder func()
}

// Timing is one measured phase.
type Timing struct {
	Phase    string
	Duration time.Duration
}

type proc struct {
	name string
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
	err  error
}

// InPrivateNetns reports whether this process sees no network interface
// other than loopback, which is what `unshare -n` gives.
func InPrivateNetns() (bool, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return false, fmt.Errorf("list interfaces: %w", err)
	}
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback == 0 {
			return false, nil
		}
	}
	return true, nil
}

// Start brings the stack up. On error everything started so far is stopped.
func Start(ctx context.Context, cfg Config) (s *Stack, err error) {
	if cfg.Log == nil {
		cfg.Log = func(string, ...any) {}
	}
	s = &Stack{cfg: cfg}
	started := s // the error returns below set s to nil before this runs
	defer func() {
		if err != nil {
			started.Stop()
		}
	}()
	for _, d := range []string{"logs", "pki", "etcd", "agent"} {
		if err := os.MkdirAll(filepath.Join(cfg.WorkDir, d), 0o755); err != nil {
			return nil, fmt.Errorf("work dir: %w", err)
		}
	}
	phase := func(name string, f func() error) error {
		t0 := time.Now()
		if err := f(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		d := time.Since(t0)
		s.Timings = append(s.Timings, Timing{name, d})
		cfg.Log("harness: %s ready in %s", name, d.Round(time.Millisecond))
		return nil
	}
	steps := []struct {
		name string
		f    func() error
	}{
		{"etcd", func() error { return s.startEtcd(ctx) }},
		{"kube-apiserver", func() error { return s.startAPIServer(ctx) }},
		{"namespace", func() error { return s.setupNamespace(ctx) }},
		{"argo-crds", func() error { return s.applyCRDs(ctx) }},
		{"binder", func() error { return s.startBinder(ctx) }},
		{"kube-controller-manager", func() error { return s.startKCM(ctx) }},
		{"workflow-controller", func() error { return s.startController(ctx) }},
		{"node-agent", func() error { return s.startAgent(ctx) }},
		{"kwok", func() error { return s.startKWOK(ctx) }},
	}
	for _, st := range steps {
		if err := phase(st.name, st.f); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// LogDir is where each process writes its log.
func (s *Stack) LogDir() string { return filepath.Join(s.cfg.WorkDir, "logs") }

// MetricsURL is the workflow controller's Prometheus metrics endpoint.
func (s *Stack) MetricsURL() string { return fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort) }

// AgentWorkDir holds the node agent's per-pod directories and container logs.
func (s *Stack) AgentWorkDir() string { return filepath.Join(s.cfg.WorkDir, "agent") }

// Namespace is the namespace of the controller and the workflows.
func (s *Stack) Namespace() string { return s.cfg.Namespace }

// Stop stops every process, last started first: SIGTERM to its PID, SIGKILL
// after 10 seconds; then the pod binder.
func (s *Stack) Stop() {
	for i := len(s.procs) - 1; i >= 0; i-- {
		p := s.procs[i]
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		_ = p.log.Close()
	}
	s.procs = nil
	if s.stopBinder != nil {
		s.stopBinder()
		s.stopBinder = nil
	}
}

func (s *Stack) bin(name string) string { return filepath.Join(s.cfg.BinDir, name) }

// start runs a binary with its output to logs/NAME.log.
func (s *Stack) start(name string, env []string, argv ...string) (*proc, error) {
	logf, err := os.Create(filepath.Join(s.LogDir(), name+".log"))
	if err != nil {
		return nil, fmt.Errorf("log file: %w", err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logf, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	s.procs = append(s.procs, p)
	s.cfg.Log("harness: started %s (pid %d)", name, cmd.Process.Pid)
	return p, nil
}

// waitFor polls check until it succeeds, the process dies or 90 s pass.
func (s *Stack) waitFor(ctx context.Context, p *proc, what string, check func() error) error {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	var last error
	for {
		if last = check(); last == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited (%v) before %s; see %s", p.name, p.err, what, p.log.Name())
		case <-ctx.Done():
			return fmt.Errorf("%s: %s: %w (last: %v); see %s", p.name, what, ctx.Err(), last, p.log.Name())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func httpCheck(client *http.Client, url string, header http.Header) func() error {
	return func() error {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s", url, resp.Status)
		}
		return nil
	}
}

func insecureClient() *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // loopback test servers with self-signed certs
	}}
}

func (s *Stack) startEtcd(ctx context.Context) error {
	client := fmt.Sprintf("http://127.0.0.1:%d", etcdClientPort)
	peer := fmt.Sprintf("http://127.0.0.1:%d", etcdPeerPort)
	p, err := s.start("etcd", []string{"ETCD_UNSUPPORTED_ARCH=" + goarch()},
		s.bin("etcd"),
		"--data-dir", filepath.Join(s.cfg.WorkDir, "etcd"),
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "default="+peer,
		// Debian's etcd-server 3.4 (run.sh): no --unsafe-no-fsync there.
		"--quota-backend-bytes", "8589934592",
		"--logger", "zap", "--log-level", "warn")
	if err != nil {
		return err
	}
	return s.waitFor(ctx, p, "health", httpCheck(insecureClient(), client+"/health", nil))
}

func goarch() string {
	out, err := exec.Command("uname", "-m").Output()
	if err != nil {
		return ""
	}
	if strings.TrimSpace(string(out)) == "aarch64" {
		return "arm64"
	}
	return ""
}

func (s *Stack) startAPIServer(ctx context.Context) error {
	pki := filepath.Join(s.cfg.WorkDir, "pki")
	saKey := filepath.Join(pki, "sa.key")
	if err := writeRSAKey(saKey); err != nil {
		return err
	}
	token, err := randomToken()
	if err != nil {
		return err
	}
	tokens := filepath.Join(pki, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(token+",admin,admin,system:masters\n"), 0o600); err != nil {
		return fmt.Errorf("token file: %w", err)
	}
	p, err := s.start("kube-apiserver", nil,
		s.bin("kube-apiserver"),
		fmt.Sprintf("--etcd-servers=http://127.0.0.1:%d", etcdClientPort),
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", apiserverPort),
		"--cert-dir="+pki,
		"--token-auth-file="+tokens,
		// Real RBAC: the harness's own token is in system:masters; the
		// node agent acts as each pod's service account, so a Role that
		// misses a rule fails here as in a cluster.
		"--authorization-mode=RBAC",
		"--service-account-key-file="+saKey,
		"--service-account-signing-key-file="+saKey,
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-cluster-ip-range=10.0.0.0/24",
		"--allow-privileged=true",
		// The loopback address is not a valid endpoint for the kubernetes
		// Service; nothing here needs it.
		"--endpoint-reconciler-type=none",
		// Without the node lifecycle controller the not-ready taint this
		// plugin adds would never be removed.
		"--disable-admission-plugins=TaintNodesByCondition",
		// On by default since v1.25; named so that it cannot go missing:
		// the namespaces' pod-security.kubernetes.io/enforce labels are
		// what refuses a root pod in a restricted namespace.
		"--enable-admission-plugins=PodSecurity",
	)
	if err != nil {
		return err
	}
	server := fmt.Sprintf("https://127.0.0.1:%d", apiserverPort)
	s.Kubeconfig = filepath.Join(s.cfg.WorkDir, "kubeconfig")
	kc := clientcmdapi.NewConfig()
	kc.Clusters["e2e"] = &clientcmdapi.Cluster{Server: server, InsecureSkipTLSVerify: true}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: token}
	kc.Contexts["e2e"] = &clientcmdapi.Context{Cluster: "e2e", AuthInfo: "admin", Namespace: s.cfg.Namespace}
	kc.CurrentContext = "e2e"
	if err := clientcmd.WriteToFile(*kc, s.Kubeconfig); err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	hdr := http.Header{"Authorization": {"Bearer " + token}}
	if err := s.waitFor(ctx, p, "readyz", httpCheck(insecureClient(), server+"/readyz", hdr)); err != nil {
		return err
	}
	return s.clients()
}

func (s *Stack) clients() error {
	rc, err := clientcmd.BuildConfigFromFlags("", s.Kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	rc.QPS, rc.Burst = 200, 400
	s.Rest = rc
	if s.Kube, err = kubernetes.NewForConfig(rc); err != nil {
		return fmt.Errorf("kubernetes client: %w", err)
	}
	if s.Argo, err = wfclientset.NewForConfig(rc); err != nil {
		return fmt.Errorf("argo client: %w", err)
	}
	if s.Dynamic, err = dynamic.NewForConfig(rc); err != nil {
		return fmt.Errorf("dynamic client: %w", err)
	}
	if s.APIExt, err = apiextclient.NewForConfig(rc); err != nil {
		return fmt.Errorf("apiextensions client: %w", err)
	}
	return nil
}

func writeRSAKey(path string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("service account key: %w", err)
	}
	block := &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return fmt.Errorf("service account key: %w", err)
	}
	return nil
}

func randomToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// podSecurityLabel is the namespace label Pod Security admission enforces.
const podSecurityLabel = "pod-security.kubernetes.io/enforce"

// setupNamespace creates the namespaces, labelled with their Pod Security
// level, and their default ServiceAccounts (the ServiceAccount admission
// plugin requires one; with no controller manager nothing else creates it).
func (s *Stack) setupNamespace(ctx context.Context) error {
	all := map[string]string{s.cfg.Namespace: s.cfg.PodSecurity}
	for n, level := range s.cfg.OtherNamespaces {
		all[n] = level
	}
	for name, level := range all {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if level != "" {
			ns.Labels = map[string]string{podSecurityLabel: level, podSecurityLabel + "-version": "latest"}
		}
		if _, err := s.Kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("namespace %s: %w", name, err)
		}
		if err := s.EnsureServiceAccount(ctx, name, "default"); err != nil {
			return err
		}
	}
	return nil
}

// EnsureServiceAccount creates a ServiceAccount in namespace ns if it does
// not exist, bound to a Role with what the README tells users the pods of
// a partsync workflow need (Argo's executor reports outputs; a template run
// and a split run create their semaphore ConfigMap; a split run creates its
// child workflows and waits for them).
func (s *Stack) EnsureServiceAccount(ctx context.Context, ns, name string) error {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}
	_, err := s.Kube.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("service account %s: %w", name, err)
	}
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-executor"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"argoproj.io"}, Resources: []string{"workflowtaskresults"}, Verbs: []string{"create", "patch"}},
			{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"create"}},
			// A run past --max-partitions creates its child workflows and reads their phase.
			{APIGroups: []string{"argoproj.io"}, Resources: []string{"workflows"}, Verbs: []string{"create", "get"}},
		},
	}
	if _, err := s.Kube.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("role %s: %w", role.Name, err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: role.Name},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: ns}},
	}
	if _, err := s.Kube.RbacV1().RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("role binding %s: %w", binding.Name, err)
	}
	return nil
}

func (s *Stack) startKCM(ctx context.Context) error {
	if !s.cfg.ControllerManager {
		return nil
	}
	pki := filepath.Join(s.cfg.WorkDir, "pki")
	p, err := s.start("kube-controller-manager", nil,
		s.bin("kube-controller-manager"),
		"--kubeconfig="+s.Kubeconfig,
		"--authentication-kubeconfig="+s.Kubeconfig,
		"--authorization-kubeconfig="+s.Kubeconfig,
		"--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", kcmPort),
		"--leader-elect=false",
		"--service-account-private-key-file="+filepath.Join(pki, "sa.key"),
		"--use-service-account-credentials=false",
		"--controllers=*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-service,-route")
	if err != nil {
		return err
	}
	return s.waitFor(ctx, p, "healthz", httpCheck(insecureClient(), fmt.Sprintf("https://127.0.0.1:%d/healthz", kcmPort), nil))
}

// controllerConfig is the workflow-controller ConfigMap: the Prometheus
// metrics server on, plain HTTP on metricsPort (it listens on every
// interface, which in the suite's private network namespace is loopback
// alone), the telemetry server off, and
// the executor's securityContext an operator sets so that Argo's own init
// and wait containers pass Pod Security "restricted": Argo v3.7.18 gives
// them Config.Executor.SecurityContext and nothing else
// (workflow/controller/workflowpod.go newExecContainer; only resource
// templates get common.MinimalCtrSC() when it is unset). These are the
// values of MinimalCtrSC, Argo's own locked-down executor context.
func controllerConfig() map[string]string {
	return map[string]string{
		"metricsConfig":   fmt.Sprintf("enabled: true\nsecure: false\nport: %d\npath: /metrics\n", metricsPort),
		"telemetryConfig": "enabled: false\n",
		"executor": `securityContext:
  runAsNonRoot: true
  runAsUser: 8737
  allowPrivilegeEscalation: false
  privileged: false
  readOnlyRootFilesystem: true
  capabilities:
    drop: [ALL]
  seccompProfile:
    type: RuntimeDefault
`,
	}
}

func (s *Stack) startController(ctx context.Context) error {
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "workflow-controller-configmap"},
		Data:       controllerConfig(),
	}
	if _, err := s.Kube.CoreV1().ConfigMaps(s.cfg.Namespace).Create(ctx, cm, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("controller configmap: %w", err)
	}
	p, err := s.start("workflow-controller",
		[]string{
			"LEADER_ELECTION_DISABLE=true",
			// What Argo's own e2e suite uses: requeue after 1 s, not 10.
			"DEFAULT_REQUEUE_TIME=1s",
			// Pods report their progress file every second (Argo's
			// default: every minute), read every 250 ms (3 s): the
			// controller passes both to the pods' executor, the agent.
			"ARGO_PROGRESS_PATCH_TICK_DURATION=1s",
			"ARGO_PROGRESS_FILE_TICK_DURATION=250ms",
		},
		s.bin("workflow-controller"),
		"--kubeconfig="+s.Kubeconfig,
		// Not --namespaced: workflows run in every namespace of the
		// suite (one per Pod Security level); the ConfigMap is read from
		// the kubeconfig context's namespace, Config.Namespace.
		"--configmap=workflow-controller-configmap",
		"--loglevel=info")
	if err != nil {
		return err
	}
	return s.waitFor(ctx, p, "healthz", httpCheck(insecureClient(), fmt.Sprintf("http://127.0.0.1:%d/healthz", controllerPort), nil))
}

func (s *Stack) startAgent(ctx context.Context) error {
	p, err := s.start("node-agent", nil,
		s.bin("node-agent"), "serve",
		"--kubeconfig="+s.Kubeconfig,
		"--node-name="+AgentNode,
		"--work-dir="+s.AgentWorkDir(),
		"--image-bin="+s.cfg.PodBinDir,
		fmt.Sprintf("--image-user=%d", s.cfg.ImageUser))
	if err != nil {
		return err
	}
	return s.waitFor(ctx, p, "node Ready", func() error { return s.nodeReady(ctx, AgentNode) })
}

func (s *Stack) nodeReady(ctx context.Context, name string) error {
	n, err := s.Kube.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
			return nil
		}
	}
	return errors.New("node not ready")
}

// ContainerLogs returns the logs of every container the agent ran for pods
// whose name starts with prefix, for test failure messages.
func (s *Stack) ContainerLogs(prefix string) string {
	var b strings.Builder
	dirs, _ := filepath.Glob(filepath.Join(s.AgentWorkDir(), "pods", "*_"+prefix+"*"))
	for _, d := range dirs {
		data, err := os.ReadFile(filepath.Join(d, "main.log"))
		if err != nil {
			continue
		}
		fmt.Fprintf(&b, "=== %s\n", filepath.Base(d))
		sc := bufio.NewScanner(strings.NewReader(string(data)))
		for sc.Scan() {
			b.WriteString("  " + sc.Text() + "\n")
		}
	}
	return b.String()
}
