{{- /*
The WorkflowTemplate's document up to its last template; workflowtemplate.yaml
renders it and appends the split branch, whose child Workflow is built from it.
*/ -}}
{{- define "partsync.workflowTemplateDoc" -}}
{{- $claims := include "partsync.claims" . | fromYamlArray }}
{{- $shared := include "partsync.sharedDir" . }}
{{- $runDir := printf "%s/%s" $shared "{{workflow.name}}" }}
{{- $image := include "partsync.image" . }}
{{- $mountList := list }}
{{- range $claims }}{{ $mountList = append $mountList (printf "%s (claim %s)" .mountPath .claim) }}{{ end }}
{{- $mounts := join ", " $mountList }}
{{- $d := .Values.defaults }}
{{- $uid := ternary 0 65532 .Values.workflowTemplate.runAsRoot }}
{{- $tolerations := include "partsync.tolerations" . | fromYamlArray }}
{{- $pullSecrets := include "partsync.imagePullSecrets" . | fromYamlArray }}
{{- $stepResources := include "partsync.resources" .Values.resources.steps }}
{{- /* The form's patches: every pod's, and the transfers' requests and limits. */}}
{{- $podSpecPatch := `"{{=trim(workflow.parameters['pod-spec-patch']) == '' ? '{}' : workflow.parameters['pod-spec-patch']}}"` }}
{{- /* the children's: substituted into the child manifest inside single quotes, so ' doubled and line breaks made spaces */}}
{{- $childPodSpecPatch := `"{{=trim(workflow.parameters['pod-spec-patch']) == '' ? '{}' : sprig.replace(\"'\", \"''\", sprig.replace(\"\\r\", \" \", sprig.replace(\"\\n\", \" \", workflow.parameters['pod-spec-patch'])))}}"` }}
{{- $resourcesPatch := `"{{='{\"containers\": [{\"name\": \"main\", \"resources\": {\"requests\": ' + '{' + join(map(filter(map(split(workflow.parameters.requests, ','), map(split(#, '='), trim(#))), len(#) == 2 && #[0] != '' && #[1] != ''), toJson(#[0]) + ':' + toJson(#[1])), ',') + '}' + ', \"limits\": ' + '{' + join(map(filter(map(split(workflow.parameters.limits, ','), map(split(#, '='), trim(#))), len(#) == 2 && #[0] != '' && #[1] != ''), toJson(#[0]) + ':' + toJson(#[1])), ',') + '}' + '} } ] }'}}"` }}
apiVersion: argoproj.io/v1alpha1
kind: {{ if .Values.workflowTemplate.cluster }}ClusterWorkflowTemplate{{ else }}WorkflowTemplate{{ end }}
metadata:
  name: {{ include "partsync.templateName" . }}
  {{- if not .Values.workflowTemplate.cluster }}
  namespace: {{ .Release.Namespace }}
  {{- end }}
  labels:
    {{- include "partsync.labels" . | nindent 4 }}
  annotations:
    workflows.argoproj.io/title: "partsync: copy a file tree in parallel partitions"
    workflows.argoproj.io/description: >-
      Copies a file tree to another file system (rsync) or to object storage (rclone) in
      parallel partitions. The first step scans `source` in the cluster and writes the run
      directory {{ $shared }}/<workflow name> (plan.json, part files, skipped list, and
      workflow.yaml: the equivalent standalone Workflow); then one pod per partition copies
      it, `jobs` at once, each retried `retries` times; the exit handler writes
      outcome.json. Volumes: {{ $mounts }}.
spec:
  arguments:
    parameters:
      - name: source
        value: {{ include "partsync.source" . | quote }}
        description: {{ printf "Directory to copy (SRC): an absolute path under one of the mounted volumes (%s). It is scanned once, in the cluster." $mounts | quote }}
      - name: destination
        value: {{ include "partsync.destination" . | quote }}
        description: "Where to copy it (DST): an absolute path under a mounted volume, or with rclone a remote:bucket/prefix defined in the rclone config Secret."
      - name: tool
        value: {{ $d.tool | quote }}
        enum: [rsync, rclone]
        description: "Transfer tool (partsync -m): rsync copies to a path; rclone copies to an rclone remote (remote:bucket/prefix) or a path."
      - name: jobs
        value: {{ $d.jobs | int64 | quote }}
        description: "Transfers at once (partsync -n): one pod per partition, at most this many running."
      - name: bwlimit
        value: {{ $d.bwlimit | quote }}
        description: "One bandwidth budget for the whole run, bytes per second (partsync --bwlimit): 100M = 100 MiB/s, split evenly over the jobs transfers (rsync and rclone --bwlimit). Blank sets no limit."
      - name: files
        value: {{ $d.files | int64 | quote }}
        description: "At most this many entries per partition (partsync -f)."
      - name: size
        value: {{ $d.size | quote }}
        description: "At most this many bytes per partition (partsync -s): 4G = 4 GiB, 512MiB, 4GB = 4·10⁹, or plain bytes."
      - name: sizing
        value: {{ $d.sizing | quote }}
        enum: [limits, auto]
        description: "How the scan cuts partitions: limits cuts by files and size only; auto sizes them from the scan (partsync --auto): about 4 per job, of even cost (bytes + 256 KiB per entry), largest first, files and size still bounding each one."
      - name: max-partitions
        value: {{ $d.maxPartitions | int64 | quote }}
        description: "Most partitions in one workflow (partsync --max-partitions): a run with more is split into child workflows of at most this many, created by this one (3 at once, jobs transfers at once in all; the service account needs to create and get workflows). Above ~5000 Argo's status grows too large."
      - name: tool-options
        value: {{ $d.toolOptions | quote }}
        description: "Options that replace the tool's defaults (partsync -o), quoted like a shell but never run by one. Blank keeps the defaults: rsync -a --numeric-ids -H; rclone --retries=1 --transfers=8 --checkers=16."
      - name: exclude
        value: {{ join "\n" $d.exclude | quote }}
        description: "Globs to exclude (partsync -x), one per line: *.tmp matches a name at any depth, a pattern with / the path from SRC, a trailing / directories only. Blank excludes nothing."
      - name: delete
        value: {{ $d.delete | quote }}
        enum: [keep, delete]
        description: "keep leaves at DST what the source does not have; delete makes DST a mirror (partsync --delete): after every partition succeeded, the step after them deletes it, refused when the scan could not read some entries; excluded entries stay."
      - name: max-delete
        value: {{ $d.maxDelete | int64 | quote }}
        description: "With delete: refuse the whole deletion when more than this many entries would go (partsync --max-delete); 0 sets no limit."
      - name: verify
        value: {{ $d.verify | quote }}
        enum: [skip, size-mtime, checksum]
        description: "After the copy, compare DST with the run (partsync --verify): skip does not; size-mtime compares size and mtime; checksum compares content, reading every byte on both sides. A difference fails the workflow (exit 5); verify.json in the run directory names every entry missing, differing or extra at DST."
      - name: scan-workers
        value: {{ $d.scanWorkers | int64 | quote }}
        description: "Directories the scan reads at once (raise it on Lustre or NFS)."
      - name: retries
        value: {{ $d.retries | int64 | quote }}
        description: "Further attempts at a failed partition."
      - name: backoff
        value: {{ $d.backoff | quote }}
        description: "Delay before a partition's first retry, doubled for each further one (capped at 30m)."
      - name: requests
        value: {{ include "partsync.resourceList" .Values.resources.transfer.requests | quote }}
        description: "CPU and memory each transfer pod requests, as NAME=QUANTITY,… (cpu=500m,memory=1Gi). Blank requests nothing."
      - name: limits
        value: {{ include "partsync.resourceList" .Values.resources.transfer.limits | quote }}
        description: "CPU and memory each transfer pod may use at most, as NAME=QUANTITY,… (cpu=2,memory=4Gi). Blank sets no limit."
      - name: pod-spec-patch
        value: {{ include "partsync.podSpecPatch" . | quote }}
        description: {{ `A patch of every pod's spec in JSON, as Argo's podSpecPatch (containers by name; partsync's is "main"), e.g. {"nodeSelector":{"pool":"transfer"}}. Blank patches nothing.` | quote }}
  entrypoint: main
  onExit: record-outcome
  # The run's duration when it ended, by status, on the controller's metrics
  # endpoint (docs/argo.md, "Metrics").
  metrics:
    prometheus:
      - name: partsync_run_duration_seconds
        help: Duration of a partsync run when it ended, seconds, by status
        labels:
          - {key: run_id, value: {{`"{{workflow.name}}"`}}}
          - {key: status, value: {{`"{{workflow.status}}"`}}}
        gauge:
          value: {{`"{{workflow.duration}}"`}}
          realtime: false
  serviceAccountName: {{ include "partsync.serviceAccountName" . }}
  podGC:
    strategy: OnPodSuccess
  ttlStrategy:
    secondsAfterSuccess: 604800
    secondsAfterFailure: 2592000
  securityContext:
    runAsNonRoot: {{ not .Values.workflowTemplate.runAsRoot }}
    runAsUser: {{ $uid }}
    runAsGroup: {{ $uid }}
    seccompProfile:
      type: RuntimeDefault
  # One run per destination: the mutex of `partsync generate` for the same
  # shared directory and destination (generator/workflow/mutex.go).
  synchronization:
    mutexes:
      - name: {{ printf "partsync-dst-{{=sprig.substr(0, 16, sprig.sha256sum('%s ' + workflow.parameters.destination))}}" ($shared | sha256sum) | quote }}
  podSpecPatch: {{ $podSpecPatch }}
  # The pod knobs of the values, as generate's flags of the same names give them.
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $pullSecrets }}
  imagePullSecrets:
    {{- range . }}
    - name: {{ . }}
    {{- end }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  podPriorityClassName: {{ . }}
  {{- end }}
  {{- if gt (.Values.activeDeadlineSeconds | int64) 0 }}
  activeDeadlineSeconds: {{ .Values.activeDeadlineSeconds | int64 }}
  {{- end }}
  {{- if or .Values.podAnnotations .Values.podLabels }}
  podMetadata:
    {{- with .Values.podAnnotations }}
    annotations:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with .Values.podLabels }}
    labels:
      {{- toYaml . | nindent 6 }}
    {{- end }}
  {{- end }}
  # What every container shares.
  templateDefaults:
    container:
      {{- if not .Values.workflowTemplate.cluster }}
      image: {{ $image }}
      {{- end }}
      command: [partsync]
      {{- with .Values.image.pullPolicy }}
      imagePullPolicy: {{ . }}
      {{- end }}
      env:
        - name: HOME
          value: /var/tmp/partsync
        - name: TMPDIR
          value: /var/tmp/partsync
      volumeMounts:
        {{- include "partsync.volumeMounts" . | nindent 8 }}
      securityContext:
        {{- include "partsync.securityContext" . | nindent 8 }}
  workflowMetadata:
    labels:
      app.kubernetes.io/name: partsync
      app.kubernetes.io/managed-by: partsync
    labelsFrom:
      partsync.io/run-id:
        expression: workflow.name
      partsync.io/tool:
        expression: workflow.parameters.tool
  volumes:
    {{- range $i, $c := $claims }}
    - name: pvc-{{ $i }}
      persistentVolumeClaim:
        claimName: {{ $c.claim }}
    {{- end }}
    {{- with .Values.rcloneConfig.secretName }}
    - name: rclone-config
      secret:
        secretName: {{ . }}
        items:
          - key: {{ $.Values.rcloneConfig.key }}
            path: rclone.conf
        defaultMode: 292 # 0444, as partsync template writes it
        optional: true
    {{- end }}
    - name: scratch
      emptyDir: {}
  templates:
    - name: main
      steps:
        - - name: scan
            template: scan
        - - name: jobs-limit
            template: jobs-limit
        - - name: transfer
            template: transfer
            arguments:
              parameters:
                - name: part
                  value: {{`"{{item}}"`}}
            # Within max-partitions: one pod per partition in this workflow. Its count
            # is 0 when split: Argo expands a step before it evaluates its when.
            when: {{`"{{=!(len(jsonpath(steps.scan.outputs.parameters.summary, '$.children')) > 0)}}"`}}
            withSequence:
              count: {{`"{{=len(jsonpath(steps.scan.outputs.parameters.summary, '$.children')) > 0 ? 0 : jsonpath(steps.scan.outputs.parameters.summary, '$.partitions')}}"`}}
          # Past it: one child Workflow per range of the scan's summary.
          - name: children
            template: children
            when: {{`"{{=len(jsonpath(steps.scan.outputs.parameters.summary, '$.children')) > 0}}"`}}
            arguments:
              parameters:
                - name: children
                  value: {{`"{{=toJson(jsonpath(steps.scan.outputs.parameters.summary, '$.children'))}}"`}}
                - name: resources-patch
                  value: {{ $resourcesPatch }}
                - name: pod-spec-patch
                  value: {{ $childPodSpecPatch }}
        - - name: dirs
            template: dirs
        # The form's verify: one pod per partition then their sum, or for a split
        # run one pod comparing jobs partitions at once (partsync verify).
        - - name: verify
            template: verify
            when: {{`"{{=workflow.parameters.verify != 'skip' && !(len(jsonpath(steps.scan.outputs.parameters.summary, '$.children')) > 0)}}"`}}
            withSequence:
              count: {{`"{{=workflow.parameters.verify != 'skip' && !(len(jsonpath(steps.scan.outputs.parameters.summary, '$.children')) > 0) ? jsonpath(steps.scan.outputs.parameters.summary, '$.partitions') : 0}}"`}}
            arguments:
              parameters:
                - name: part
                  value: {{`"{{item}}"`}}
        - - name: verify-sum
            template: verify-sum
            when: {{`"{{=workflow.parameters.verify != 'skip'}}"`}}
            arguments:
              parameters:
                - name: split
                  value: {{`"{{=len(jsonpath(steps.scan.outputs.parameters.summary, '$.children')) > 0}}"`}}

    # Runs `partsync generate` with the form's values: scans the source into
    # <shared dir>/<workflow name>, checks everything generate checks, and outputs the
    # summary whose partition count drives the fan-out.
    - name: scan
      metadata:
        labels:
          partsync.io/role: scan
          partsync.io/run-id: {{`"{{workflow.name}}"`}}
      container:
        {{- if .Values.workflowTemplate.cluster }}
        image: {{ $image }}
        {{- end }}
        args:
          - generate
          - {{`"--run-id={{workflow.name}}"`}}
          - --shared-dir={{ $shared }}
          {{- range $p := list "tool" "jobs" "bwlimit" "files" "size" "max-partitions" "tool-options" "exclude" "scan-workers" "retries" "backoff" "requests" "limits" "pod-spec-patch" }}
          - {{ printf "--%s={{workflow.parameters.%s}}" $p $p | quote }}
          {{- end }}
          {{- range $claims }}
          - --pvc={{ .claim }}:{{ .mountPath }}
          {{- end }}
          - --image={{ $image }}
          - {{`"--namespace={{workflow.namespace}}"`}}
          - --service-account={{ include "partsync.serviceAccountName" . }}
          - --run-as-user={{ $uid }}:{{ $uid }}
          {{- range include "partsync.podFlags" . | fromYamlArray }}
          - {{ . | quote }}
          {{- end }}
          {{- with .Values.rcloneConfig.secretName }}
          - --rclone-config-secret={{ . }}:{{ $.Values.rcloneConfig.key }}
          {{- end }}
          - {{`"--auto={{=workflow.parameters.sizing == 'auto'}}"`}}
          - {{`"--delete={{=workflow.parameters.delete == 'delete'}}"`}}
          - {{`"--max-delete={{workflow.parameters.max-delete}}"`}}
          - --output-file=/var/tmp/partsync/workflow.yaml
          - --summary-json=/var/tmp/partsync/summary.json
          - "--"
          - {{`"{{workflow.parameters.source}}"`}}
          - {{`"{{workflow.parameters.destination}}"`}}
        {{- include "partsync.rcloneEnv" . | nindent 8 }}
        {{- with $stepResources }}
        resources:
          {{- . | nindent 10 }}
        {{- end }}
      outputs:
        parameters:
          - name: summary
            globalName: summary
            valueFrom:
              path: /var/tmp/partsync/summary.json
            description: "generate's --summary-json: run id, partitions, files, bytes, skipped, excluded, run directory"

    # Argo's parallelism takes no parameter: the form's jobs is the limit of a
    # semaphore held by every transfer, in a ConfigMap owned by the workflow.
    - name: jobs-limit
      metadata:
        labels:
          partsync.io/role: jobs-limit
          partsync.io/run-id: {{`"{{workflow.name}}"`}}
      resource:
        action: create
        setOwnerReference: true
        manifest: |
          apiVersion: v1
          data:
            jobs: '{{`{{workflow.parameters.jobs}}`}}'
          kind: ConfigMap
          metadata:
            labels:
              app.kubernetes.io/managed-by: partsync
              app.kubernetes.io/name: partsync
              partsync.io/role: jobs-limit
              partsync.io/run-id: '{{`{{workflow.name}}`}}'
            name: '{{`{{workflow.name}}`}}-jobs'
            namespace: '{{`{{workflow.namespace}}`}}'

    # One partition; the pod builds the tool's argv from plan.json.
    - name: transfer
      inputs:
        parameters:
          - name: part
      metadata:
        labels:
          partsync.io/role: transfer
          partsync.io/run-id: {{`"{{workflow.name}}"`}}
      # The form's requests and limits: Argo substitutes parameters in a
      # podSpecPatch, not in a container's resources.
      podSpecPatch: {{ $resourcesPatch }}
      synchronization:
        semaphores:
          - configMapKeyRef:
              name: {{`"{{workflow.name}}-jobs"`}}
              key: jobs
      retryStrategy:
        limit: {{`"{{workflow.parameters.retries}}"`}}
        retryPolicy: Always
        backoff:
          duration: {{`"{{workflow.parameters.backoff}}"`}}
          factor: 2
          cap: 30m
      affinity:
        {{- include "partsync.transferAffinity" . | nindent 8 }}
      container:
        {{- if .Values.workflowTemplate.cluster }}
        image: {{ $image }}
        {{- end }}
        args:
          - transfer
          - --run-dir
          - {{ $runDir | quote }}
          - --part
          - {{`"{{inputs.parameters.part}}"`}}
          - --attempt
          - {{`"{{retries}}"`}}
          - --outputs-dir
          - /var/tmp/partsync
        {{- include "partsync.rcloneEnv" . | nindent 8 }}
      # What the tool sent, for the metrics below (0 when the pod wrote nothing).
      outputs:
        parameters:
          - name: sent-files
            description: files the tool sent (its own statistics)
            valueFrom: {path: /var/tmp/partsync/sent-files, default: "0"}
          - name: sent-bytes
            description: bytes the tool sent (its own statistics)
            valueFrom: {path: /var/tmp/partsync/sent-bytes, default: "0"}
      # Labelled by run and status, never by partition (docs/argo.md, "Metrics").
      metrics:
        prometheus:
          - name: partsync_sent_bytes
            help: Bytes the transfer tools sent, as they report it
            labels:
              - {key: run_id, value: {{`"{{workflow.name}}"`}}}
              - {key: status, value: {{`"{{status}}"`}}}
            counter: {value: {{`"{{outputs.parameters.sent-bytes}}"`}}}
          - name: partsync_sent_files
            help: Files the transfer tools sent, as they report it
            labels:
              - {key: run_id, value: {{`"{{workflow.name}}"`}}}
              - {key: status, value: {{`"{{status}}"`}}}
            counter: {value: {{`"{{outputs.parameters.sent-files}}"`}}}
          - name: partsync_partitions
            help: Transfer attempts ended, by status
            labels:
              - {key: run_id, value: {{`"{{workflow.name}}"`}}}
              - {key: status, value: {{`"{{status}}"`}}}
            counter: {value: "1"}
          - name: partsync_partition_duration_seconds
            help: Duration of a transfer attempt, seconds
            labels:
              - {key: run_id, value: {{`"{{workflow.name}}"`}}}
              - {key: status, value: {{`"{{status}}"`}}}
            histogram:
              value: {{`"{{duration}}"`}}
              buckets: [5, 60, 300, 1800, 7200, 28800, 86400]

    # The exit handler: writes outcome.json in the run directory.
    - name: record-outcome
      metadata:
        labels:
          partsync.io/role: outcome
          partsync.io/run-id: {{`"{{workflow.name}}"`}}
      # record rewrites outcome.json whole: a lost pod is simply run again.
      retryStrategy:
        limit: 3
        retryPolicy: Always
        backoff:
          duration: 10s
          factor: 2
          cap: 30m
      container:
        {{- if .Values.workflowTemplate.cluster }}
        image: {{ $image }}
        {{- end }}
        args:
          - record
          - --run-dir
          - {{ $runDir | quote }}
          - --workflow-status
          - {{`"{{workflow.status}}"`}}
          - --failures
          - {{`"{{workflow.failures}}"`}}
        {{- with $stepResources }}
        resources:
          {{- . | nindent 10 }}
        {{- end }}

    # After every partition succeeded: walks the source again and names the entries
    # added after the scan (recheck.json, added); in a mirror (the form's delete),
    # deletes at DST what the source does not have (delete.json; rclone lists and
    # deletes with the config); with rsync then re-applies the directories' modes
    # and mtimes, which parallel partitions leave in any order. A refused delete
    # pass (exit 9) is the same answer at every attempt: not retried.
    - name: dirs
      metadata:
        labels:
          partsync.io/role: dirs
          partsync.io/run-id: {{`"{{workflow.name}}"`}}
      retryStrategy:
        limit: {{`"{{workflow.parameters.retries}}"`}}
        retryPolicy: Always
        expression: 'lastRetry.exitCode != "9"'
        backoff:
          duration: {{`"{{workflow.parameters.backoff}}"`}}
          factor: 2
          cap: 30m
      container:
        {{- if .Values.workflowTemplate.cluster }}
        image: {{ $image }}
        {{- end }}
        {{- include "partsync.rcloneEnv" . | nindent 8 }}
        args:
          - dirs
          - --run-dir
          - {{ $runDir | quote }}
          - --attempt
          - {{`"{{retries}}"`}}
        {{- with $stepResources }}
        resources:
          {{- . | nindent 10 }}
        {{- end }}
    # Compares one partition with DST (the form's verify): the transfer pod but for
    # its argv and role, without the transfer's outputs and metrics.
    - name: verify
      inputs:
        parameters:
          - name: part
      metadata:
        labels:
          partsync.io/role: verify
          partsync.io/run-id: {{`"{{workflow.name}}"`}}
      podSpecPatch: {{ $resourcesPatch }}
      synchronization:
        semaphores:
          - configMapKeyRef:
              name: {{`"{{workflow.name}}-jobs"`}}
              key: jobs
      retryStrategy:
        limit: {{`"{{workflow.parameters.retries}}"`}}
        retryPolicy: Always
        backoff:
          duration: {{`"{{workflow.parameters.backoff}}"`}}
          factor: 2
          cap: 30m
      affinity:
        {{- include "partsync.transferAffinity" . | nindent 8 }}
      container:
        {{- if .Values.workflowTemplate.cluster }}
        image: {{ $image }}
        {{- end }}
        args:
          - verify
          - --part
          - {{`"{{inputs.parameters.part}}"`}}
          - {{`"--checksum={{=workflow.parameters.verify == 'checksum'}}"`}}
          - {{ $runDir | quote }}
        {{- include "partsync.rcloneEnv" . | nindent 8 }}

    # Sums the verify pods' results into verify.json, or verifies a split run in one
    # pod; exit 5 on any mismatch fails the workflow, retried only when its pod is lost.
    - name: verify-sum
      inputs:
        parameters:
          - name: split
      metadata:
        labels:
          partsync.io/role: verify-sum
          partsync.io/run-id: {{`"{{workflow.name}}"`}}
      retryStrategy:
        limit: {{`"{{workflow.parameters.retries}}"`}}
        retryPolicy: OnError
        backoff:
          duration: {{`"{{workflow.parameters.backoff}}"`}}
          factor: 2
          cap: 30m
      container:
        {{- if .Values.workflowTemplate.cluster }}
        image: {{ $image }}
        {{- end }}
        {{- include "partsync.rcloneEnv" . | nindent 8 }}
        args:
          - verify
          - {{`"--collect={{=inputs.parameters.split != 'true'}}"`}}
          - -n
          - {{`"{{workflow.parameters.jobs}}"`}}
          - {{`"--checksum={{=workflow.parameters.verify == 'checksum'}}"`}}
          - {{ $runDir | quote }}
        {{- with $stepResources }}
        resources:
          {{- . | nindent 10 }}
        {{- end }}
{{- end }}

{{- /*
The child Workflow of a split run, as partsync template's child template
creates it (generator/workflow childOf): given the WorkflowTemplate's spec, the
transfer template with the container defaults merged in, its partition an
expression of its own input, its requests and limits the parent's input, run
withSequence over the parent's range; the spec's pods, volumes and knobs
without the form, the mutex, the run's metric and the exit handler, which stay with the parent.
*/ -}}
{{- define "partsync.childWorkflow" -}}
{{- $spec := . }}
{{- $transfer := dict }}
{{- range $spec.templates }}{{ if eq .name "transfer" }}{{ $transfer = deepCopy . }}{{ end }}{{ end }}
{{- $c := $transfer.container }}
{{- with $spec.templateDefaults }}{{ with .container }}
{{- range $k, $v := . }}
{{- if eq $k "env" }}{{ $_ := set $c "env" (concat $v ($c.env | default list)) }}
{{- else if not (hasKey $c $k) }}{{ $_ := set $c $k $v }}{{ end }}
{{- end }}
{{- end }}{{ end }}
{{- $args := list }}
{{- range $c.args }}{{ $args = append $args (ternary "{{=inputs.parameters.part}}" . (eq . "{{inputs.parameters.part}}")) }}{{ end }}
{{- $_ := set $c "args" $args }}
{{- $_ := set $transfer "podSpecPatch" "{{inputs.parameters.resources-patch}}" }}
{{- $step := dict "name" "transfer" "template" "transfer" "arguments" (dict "parameters" (list (dict "name" "part" "value" "{{item}}"))) "withSequence" (dict "start" "{{inputs.parameters.first}}" "end" "{{inputs.parameters.last}}") }}
{{- $main := dict "name" "main" "steps" (list (list $step)) }}
{{- $childSpec := omit $spec "arguments" "synchronization" "workflowMetadata" "onExit" "templateDefaults" "templates" "podSpecPatch" "metrics" }}
{{- $_ := set $childSpec "podSpecPatch" "{{inputs.parameters.pod-spec-patch}}" }}
{{- $_ := set $childSpec "templates" (list $main $transfer) }}
{{- $labels := dict "app.kubernetes.io/name" "partsync" "app.kubernetes.io/managed-by" "partsync" "partsync.io/parent" "{{workflow.name}}" "partsync.io/role" "child" "partsync.io/run-id" "{{workflow.name}}" "partsync.io/tool" "{{workflow.parameters.tool}}" }}
{{- $meta := dict "generateName" "{{workflow.name}}-c{{inputs.parameters.index}}-" "labels" $labels "annotations" (dict "workflows.argoproj.io/title" "partsync {{workflow.name}}: partitions {{inputs.parameters.first}} to {{inputs.parameters.last}}") }}
{{- toYaml (dict "apiVersion" "argoproj.io/v1alpha1" "kind" "Workflow" "metadata" $meta "spec" $childSpec) }}
{{- end }}
