{{/*
The chart name, used in the app.kubernetes.io/name labels and selectors.
*/}}
{{- define "volplace.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every object's name. With the release name "volplace" the
objects get the names of manifests/, which the docs and runbooks use.
*/}}
{{- define "volplace.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Labels every object carries. They are bookkeeping only: no selector uses
them, so that the selectors stay those of manifests/ (a Deployment's selector
cannot change; an install made with kustomize can be taken over by the chart).
*/}}
{{- define "volplace.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/part-of: volplace
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* volplace's selector labels. */}}
{{- define "volplace.selectorLabels" -}}
app.kubernetes.io/name: {{ include "volplace.name" . }}
{{- end }}

{{/* The secondary scheduler's selector labels. */}}
{{- define "volplace.schedulerSelectorLabels" -}}
app.kubernetes.io/name: {{ include "volplace.name" . }}-scheduler
{{- end }}

{{/* The Service's DNS name, in the webhook certificates and the extender URL. */}}
{{- define "volplace.serviceHost" -}}
{{ include "volplace.fullname" . }}.{{ .Release.Namespace }}.svc
{{- end }}

{{/*
volplace's configuration file. With the secondary scheduler on, pods with
claims go to it unless config.webhook.schedulerName says otherwise.
*/}}
{{- define "volplace.config" -}}
{{- $config := deepCopy .Values.config }}
{{- $webhook := default dict $config.webhook }}
{{- if and .Values.scheduler.enabled (not (hasKey $webhook "schedulerName")) }}
{{- $_ := set $webhook "schedulerName" .Values.scheduler.schedulerName }}
{{- end }}
{{- $_ := set $config "webhook" $webhook -}}
apiVersion: config.volplace.io/v1alpha1
kind: VolplaceConfiguration
{{ toYaml $config }}
{{- end }}

{{/* Checks of values the schema cannot express. */}}
{{- define "volplace.validate" -}}
{{- if and .Values.podDisruptionBudget.enabled (le (int .Values.replicas) (int .Values.podDisruptionBudget.minAvailable)) }}
{{- fail (printf "replicas (%v) must exceed podDisruptionBudget.minAvailable (%v): otherwise no node drain can evict a volplace pod" .Values.replicas .Values.podDisruptionBudget.minAvailable) }}
{{- end }}
{{- if and .Values.scheduler.enabled .Values.podDisruptionBudget.enabled (le (int .Values.scheduler.replicas) (int .Values.podDisruptionBudget.minAvailable)) }}
{{- fail (printf "scheduler.replicas (%v) must exceed podDisruptionBudget.minAvailable (%v): otherwise no node drain can evict a scheduler pod" .Values.scheduler.replicas .Values.podDisruptionBudget.minAvailable) }}
{{- end }}
{{- end }}

{{/*
The secondary scheduler's KubeSchedulerConfiguration. With
config.webhook.extenderResource only pods carrying volplace.io/storage are
sent to volplace (no node advertises the resource, hence ignoredByScheduler).
*/}}
{{- define "volplace.schedulerConfig" -}}
{{- $ext := .Values.scheduler.extender -}}
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
# clientConnection.kubeconfig unset: the in-cluster ServiceAccount.
leaderElection:
  leaderElect: true
  resourceLock: leases
  resourceNamespace: {{ .Release.Namespace }}
  resourceName: {{ include "volplace.fullname" . }}-scheduler
profiles:
- schedulerName: {{ .Values.scheduler.schedulerName }}
{{- if .Values.scheduler.plugin.enabled }}
  # volplace-scheduler: the Volplace plugin at every extension point it
  # implements, in place of the in-tree volume filters it covers;
  # VolumeBinding still binds and provisions claims. No extender.
  plugins:
    multiPoint:
      enabled:
      - name: Volplace
        weight: {{ .Values.scheduler.plugin.weight }}
      disabled:
      - name: NodeVolumeLimits
      - name: VolumeZone
      - name: VolumeRestrictions
  # The plugin's args: config.rules and config.scoring, the extender's
  # options. inTreeVolumeLimits is left to the plugin (false: with
  # NodeVolumeLimits off, each attached volume counts once).
  pluginConfig:
  - name: Volplace
    args:
      {{- $rules := omit (default dict .Values.config.rules) "inTreeVolumeLimits" }}
      rules: {{- if $rules }}{{ toYaml $rules | nindent 8 }}{{ else }} {}{{ end }}
      {{- $scoring := default dict .Values.config.scoring }}
      scoring: {{- if $scoring }}{{ toYaml $scoring | nindent 8 }}{{ else }} {}{{ end }}
{{- else }}
extenders:
- urlPrefix: http://{{ include "volplace.serviceHost" . }}:8888
  filterVerb: filter
  prioritizeVerb: prioritize
  weight: {{ $ext.weight }}
  # Send node names only; volplace reads Nodes from its own cache.
  nodeCacheCapable: true
  httpTimeout: {{ $ext.httpTimeout }}
  ignorable: {{ $ext.ignorable }}
  {{- if (.Values.config.webhook | default dict).extenderResource }}
  managedResources:
  - name: volplace.io/storage
    ignoredByScheduler: true
  {{- end }}
{{- end }}
{{- end }}
