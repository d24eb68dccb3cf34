{{/* The image of the pods. */}}
{{- define "partsync.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default (printf "v%s" .Chart.AppVersion) }}
{{- end }}

{{/* The chart's name, or nameOverride. */}}
{{- define "partsync.name" -}}
{{ default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The name of the release's objects: fullnameOverride, or the release's name
when it holds the chart's name, else release-name. Two releases in one
namespace thus never share an object.
*/}}
{{- define "partsync.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := include "partsync.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The service account of the pods: serviceAccount.name, or the fullname. */}}
{{- define "partsync.serviceAccountName" -}}
{{ .Values.serviceAccount.name | default (include "partsync.fullname" .) }}
{{- end }}

{{/* The (Cluster)WorkflowTemplate's name: workflowTemplate.name, or the fullname. */}}
{{- define "partsync.templateName" -}}
{{ .Values.workflowTemplate.name | default (include "partsync.fullname" .) }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "partsync.labels" -}}
app.kubernetes.io/name: {{ include "partsync.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{/* within PATH DIR: "true" when PATH is DIR or below it. */}}
{{- define "partsync.within" -}}
{{- $path := index . 0 }}{{ $dir := index . 1 -}}
{{- if or (eq $path $dir) (hasPrefix (printf "%s/" (trimSuffix "/" $dir)) $path) }}true{{ end -}}
{{- end }}

{{/* The run directories' parent: the shared claim's mount path and runsDir. */}}
{{- define "partsync.sharedDir" -}}
{{ printf "%s/%s" .Values.volumes.shared.mountPath .Values.volumes.shared.runsDir | clean }}
{{- end }}

{{/* The form's default source and destination. */}}
{{- define "partsync.source" -}}
{{ .Values.defaults.source | default .Values.volumes.source.mountPath }}
{{- end }}
{{- define "partsync.destination" -}}
{{ .Values.defaults.destination | default .Values.volumes.destination.mountPath }}
{{- end }}

{{/*
The claims, in the order of their volumes pvc-0, pvc-1, …: source, destination,
shared. A claim is writable when it holds the shared directory or the form's
default destination, read-only otherwise, as `partsync template` decides.
*/}}
{{- define "partsync.claims" -}}
{{- $v := .Values.volumes -}}
{{- if not $v.source.claimName }}{{ fail "volumes.source.claimName is required: the claim that holds the tree to copy" }}{{ end -}}
{{- if not $v.shared.claimName }}{{ fail "volumes.shared.claimName is required: the ReadWriteMany claim that holds the run directories" }}{{ end -}}
{{- $shared := include "partsync.sharedDir" . -}}
{{- $dst := include "partsync.destination" . -}}
{{- $claims := list -}}
{{- range $role := list "source" "destination" "shared" -}}
{{- $c := index $v $role -}}
{{- if $c.claimName -}}
{{- if not (hasPrefix "/" $c.mountPath) }}{{ fail (printf "volumes.%s.mountPath %q must be an absolute path" $role $c.mountPath) }}{{ end -}}
{{- $write := or (include "partsync.within" (list $shared $c.mountPath)) (and (hasPrefix "/" $dst) (include "partsync.within" (list $dst $c.mountPath))) -}}
{{- $claims = append $claims (dict "claim" $c.claimName "mountPath" $c.mountPath "readOnly" (not $write)) -}}
{{- end -}}
{{- end -}}
{{- range $a := $claims }}{{ range $b := $claims }}{{ if and (ne $a.mountPath $b.mountPath) (include "partsync.within" (list $a.mountPath $b.mountPath)) }}{{ fail (printf "mount paths %s and %s lie inside one another: give each claim its own directory" $a.mountPath $b.mountPath) }}{{ end }}{{ end }}{{ end -}}
{{- if not (include "partsync.within" (list $shared $v.shared.mountPath)) }}{{ fail "volumes.shared.runsDir must lie under volumes.shared.mountPath" }}{{ end -}}
{{- toYaml $claims -}}
{{- end }}

{{/* The volume mounts of every partsync container. */}}
{{- define "partsync.volumeMounts" -}}
{{- range $i, $c := include "partsync.claims" . | fromYamlArray }}
- mountPath: {{ $c.mountPath }}
  name: pvc-{{ $i }}
  {{- if $c.readOnly }}
  readOnly: true
  {{- end }}
{{- end }}
{{- if .Values.rcloneConfig.secretName }}
- mountPath: /etc/partsync/rclone
  name: rclone-config
  readOnly: true
{{- end }}
- mountPath: /var/tmp/partsync
  name: scratch
{{- end }}

{{/* The rclone config's path, in the env of the containers that may run rclone. */}}
{{- define "partsync.rcloneEnv" -}}
{{- if .Values.rcloneConfig.secretName }}
env:
  - name: RCLONE_CONFIG
    value: /etc/partsync/rclone/rclone.conf
{{- end }}
{{- end }}

{{/* The locked-down security context of a partsync container. */}}
{{- define "partsync.securityContext" -}}
allowPrivilegeEscalation: false
capabilities:
  drop:
    - ALL
  {{- if .Values.workflowTemplate.runAsRoot }}
  add: [CHOWN, DAC_OVERRIDE, FOWNER, FSETID]
  {{- end }}
readOnlyRootFilesystem: true
{{- end }}

{{/* resourceList MAP: NAME=QUANTITY,… sorted by name, as --requests takes it. */}}
{{- define "partsync.resourceList" -}}
{{- $items := list -}}
{{- range $k, $v := . }}{{ $items = append $items (printf "%s=%v" $k $v) }}{{ end -}}
{{ join "," $items }}
{{- end }}

{{/* resources {requests, limits}: a container's resources, or nothing. */}}
{{- define "partsync.resources" -}}
{{- with .requests }}
requests:
  {{- range $k, $v := . }}
  {{ $k }}: {{ $v | toString | quote }}
  {{- end }}
{{- end }}
{{- with .limits }}
limits:
  {{- range $k, $v := . }}
  {{ $k }}: {{ $v | toString | quote }}
  {{- end }}
{{- end }}
{{- end }}

{{/* The tolerations as generate's --toleration gives them: Exists without a value, Equal with one. */}}
{{- define "partsync.tolerations" -}}
{{- $out := list -}}
{{- range $i, $t := .Values.tolerations -}}
{{- $op := $t.operator | default (ternary "Equal" "Exists" (hasKey $t "value")) -}}
{{- if and (eq $op "Exists") $t.value }}{{ fail (printf "tolerations[%d]: operator Exists takes no value (%q): drop the value or use operator Equal" $i $t.value) }}{{ end -}}
{{- if eq $op "Exists" -}}
{{- $out = append $out (dict "key" $t.key "operator" "Exists" "effect" $t.effect) -}}
{{- else -}}
{{- $out = append $out (dict "key" $t.key "operator" "Equal" "value" ($t.value | default "" | toString) "effect" $t.effect) -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end }}

{{/* The image pull secrets' names: each item a name or {name: …}. */}}
{{- define "partsync.imagePullSecrets" -}}
{{- $out := list -}}
{{- range .Values.imagePullSecrets -}}
{{- if kindIs "string" . }}{{ $out = append $out . }}{{ else }}{{ $out = append $out .name }}{{ end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end }}

{{/* podSpecPatch: the JSON string, or an object written as JSON. */}}
{{- define "partsync.podSpecPatch" -}}
{{- if kindIs "string" .Values.podSpecPatch }}{{ .Values.podSpecPatch }}{{ else if .Values.podSpecPatch }}{{ toJson .Values.podSpecPatch }}{{ end -}}
{{- end }}

{{/*
The generate flags that give the scan's generate the fixed pod knobs, so the
run directory's workflow.yaml has the template's pods (in generate's order).
*/}}
{{- define "partsync.podFlags" -}}
{{- $v := .Values -}}
{{- $flags := list -}}
{{- with $v.resources.steps.requests }}{{ $flags = append $flags (printf "--step-requests=%s" (include "partsync.resourceList" .)) }}{{ end -}}
{{- with $v.resources.steps.limits }}{{ $flags = append $flags (printf "--step-limits=%s" (include "partsync.resourceList" .)) }}{{ end -}}
{{- range $k, $val := $v.nodeSelector }}{{ $flags = append $flags (printf "--node-selector=%s=%v" $k $val) }}{{ end -}}
{{- range include "partsync.tolerations" . | fromYamlArray -}}
{{- if eq .operator "Exists" }}{{ $flags = append $flags (printf "--toleration=%s:%s" .key .effect) }}{{ else }}{{ $flags = append $flags (printf "--toleration=%s=%s:%s" .key .value .effect) }}{{ end -}}
{{- end -}}
{{- with $v.affinity }}{{ $flags = append $flags (printf "--affinity=%s" (toJson .)) }}{{ end -}}
{{- range include "partsync.imagePullSecrets" . | fromYamlArray }}{{ $flags = append $flags (printf "--image-pull-secret=%s" .) }}{{ end -}}
{{- with $v.image.pullPolicy }}{{ $flags = append $flags (printf "--image-pull-policy=%s" .) }}{{ end -}}
{{- with $v.priorityClassName }}{{ $flags = append $flags (printf "--priority-class=%s" .) }}{{ end -}}
{{- if gt ($v.activeDeadlineSeconds | int64) 0 }}{{ $flags = append $flags (printf "--active-deadline=%s" (duration ($v.activeDeadlineSeconds | int64))) }}{{ end -}}
{{- range $k, $val := $v.podAnnotations }}{{ $flags = append $flags (printf "--pod-annotation=%s=%v" $k $val) }}{{ end -}}
{{- range $k, $val := $v.podLabels }}{{ $flags = append $flags (printf "--pod-label=%s=%v" $k $val) }}{{ end -}}
{{- toYaml $flags -}}
{{- end }}

{{/* The transfers' affinity: the values' affinity plus the spread of a run's transfers over nodes. */}}
{{- define "partsync.transferAffinity" -}}
{{- $a := deepCopy (.Values.affinity | default dict) -}}
{{- $anti := $a.podAntiAffinity | default dict -}}
{{- $pref := $anti.preferredDuringSchedulingIgnoredDuringExecution | default list -}}
{{- $spread := dict "weight" 100 "podAffinityTerm" (dict "topologyKey" "kubernetes.io/hostname" "labelSelector" (dict "matchLabels" (dict "partsync.io/role" "transfer" "partsync.io/run-id" "{{workflow.name}}"))) -}}
{{- $_ := set $anti "preferredDuringSchedulingIgnoredDuringExecution" (append $pref $spread) -}}
{{- $_ := set $a "podAntiAffinity" $anti -}}
{{- toYaml $a -}}
{{- end }}
