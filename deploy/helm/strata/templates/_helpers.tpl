{{/*
Names, labels and the tables every template works from.
*/}}

{{- define "strata.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The prefix of every object name; short enough for "<prefix>-users-worker-metrics". */}}
{{- define "strata.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 36 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 36 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 36 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "strata.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object: include "strata.labels" (dict "root" $ "component" "auth-http") */}}
{{- define "strata.labels" -}}
helm.sh/chart: {{ include "strata.chart" .root }}
{{ include "strata.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: strata
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "strata.selectorLabels" -}}
app.kubernetes.io/name: {{ include "strata.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end -}}

{{/*
The platform's shape: each service and the roles it runs. Roles with a Service in front of
them: http, websocket, grpc.
*/}}
{{- define "strata.serviceRoles" -}}
auth: [http, grpc, worker]
users: [http, grpc, worker]
chat: [http, websocket, worker]
worker: [http, worker, beat]
{{- end -}}

{{/*
The components as a list of {service, role, name, values}, values being roles.<role> with
services.<service>.<role> merged over it. Returned as YAML: fromYaml (include ...) .items
*/}}
{{- define "strata.components" -}}
{{- $root := . -}}
{{- $table := include "strata.serviceRoles" . | fromYaml -}}
items:
{{- range $service := list "auth" "users" "chat" "worker" }}
{{- range $role := index $table $service }}
{{- $values := deepCopy (index $root.Values.roles $role) }}
{{- include "strata.mergeInto" (dict "base" $values "over" (index (index $root.Values.services $service) $role | default dict)) }}
  - service: {{ $service }}
    role: {{ $role }}
    name: {{ printf "%s-%s-%s" (include "strata.fullname" $root) $service $role }}
    component: {{ printf "%s-%s" $service $role }}
    values:
      {{- $values | toYaml | nindent 6 }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
Deep-merges .over into .base in place; unlike mergeOverwrite, a zero value (0, false, "")
in .over wins too. Renders nothing.
*/}}
{{- define "strata.mergeInto" -}}
{{- $base := .base -}}
{{- range $key, $value := .over }}
{{- if and (kindIs "map" $value) (kindIs "map" (get $base $key)) }}
{{- include "strata.mergeInto" (dict "base" (get $base $key) "over" $value) }}
{{- else }}
{{- $_ := set $base $key (deepCopy $value) }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Container ports of the roles, in one place. */}}
{{- define "strata.ports" -}}
http: 8000
websocket: 8001
grpc: 50051
metrics: 9100
{{- end -}}

{{- define "strata.image" -}}
{{- $root := .root -}}
{{- $tag := $root.Values.image.tag | default $root.Chart.AppVersion -}}
{{- $name := printf "%s-%s:%s" $root.Values.image.repository .service $tag -}}
{{- if $root.Values.image.registry -}}
{{- printf "%s/%s" (trimSuffix "/" $root.Values.image.registry) $name -}}
{{- else -}}
{{- $name -}}
{{- end -}}
{{- end -}}

{{/* In-cluster DNS names of the release's Services. */}}
{{- define "strata.serviceHost" -}}
{{- printf "%s.%s.svc.%s" .name .root.Release.Namespace .root.Values.clusterDomain -}}
{{- end -}}

{{/*
The secrets: environment variable -> values entry, per service. "optional" ones may be
missing everywhere (the variable is then unset).
*/}}
{{- define "strata.secretEnv" -}}
common:
  - {env: DJANGO_SECRET_KEY, path: [djangoSecretKey, SERVICE]}
  - {env: DATABASE_URL, path: [databaseUrl, SERVICE]}
  - {env: REDIS_URL, path: [redisUrl]}
  - {env: INTERNAL_GRPC_TOKEN, path: [internalGrpcToken]}
  - {env: SENTRY_DSN, path: [sentryDsn], optional: true}
auth:
  - {env: FIELD_ENCRYPTION_KEYS, path: [fieldEncryptionKeys]}
  - {env: FIELD_ENCRYPTION_ACTIVE_KEY, path: [fieldEncryptionActiveKey]}
  - {env: EVENT_SECRETS_KEY, path: [eventSecretsKey]}
users:
  - {env: FIELD_ENCRYPTION_KEYS, path: [fieldEncryptionKeys]}
  - {env: FIELD_ENCRYPTION_ACTIVE_KEY, path: [fieldEncryptionActiveKey]}
  - {env: BLIND_INDEX_KEY, path: [blindIndexKey]}
chat: []
worker:
  - {env: EMAIL_URL, path: [smtpUrl]}
  - {env: EVENT_SECRETS_KEY, path: [eventSecretsKey]}
{{- end -}}

{{/* Every secret entry as a list of {id, entry, optional}; id is the dotted values path. */}}
{{- define "strata.secretEntries" -}}
{{- $s := .Values.secrets -}}
items:
{{- range $name := list "redisUrl" "internalGrpcToken" "smtpUrl" "eventSecretsKey" "fieldEncryptionKeys" "fieldEncryptionActiveKey" "blindIndexKey" "sentryDsn" }}
  - {id: {{ $name }}, entry: {{ index $s $name | toJson }}, optional: {{ eq $name "sentryDsn" }}}
{{- end }}
{{- range $group := list "databaseUrl" "djangoSecretKey" }}
{{- range $service := list "auth" "users" "chat" "worker" }}
  - {id: {{ printf "%s.%s" $group $service }}, entry: {{ index (index $s $group) $service | toJson }}, optional: false}
{{- end }}
{{- end }}
{{- end -}}

{{- define "strata.defaultSecretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-secrets" (include "strata.fullname" .)) -}}
{{- end -}}

{{/*
secretKeyRef of one entry: include "strata.secretKeyRef" (dict "root" $ "entry" $entry "hook" false)
Hooks read inline values from the hook copy of the inline Secret.
*/}}
{{- define "strata.secretKeyRef" -}}
{{- $root := .root -}}
{{- $entry := .entry -}}
{{- if $entry.value -}}
name: {{ include "strata.fullname" $root }}-inline{{ if .hook }}-hooks{{ end }}
{{- else if $entry.existingSecret -}}
name: {{ $entry.existingSecret }}
{{- else -}}
name: {{ include "strata.defaultSecretName" $root }}
{{- end }}
key: {{ $entry.key }}
{{- if .optional }}
optional: true
{{- end }}
{{- end -}}

{{/* The secret environment of one service's containers: (dict "root" $ "service" "auth" "hook" false) */}}
{{- define "strata.secretEnvVars" -}}
{{- $root := .root -}}
{{- $hook := .hook -}}
{{- $service := .service -}}
{{- $table := include "strata.secretEnv" $root | fromYaml -}}
{{- range $item := concat $table.common (index $table $service) }}
{{- $entry := $root.Values.secrets -}}
{{- range $part := $item.path }}
{{- $entry = index $entry (ternary $service $part (eq $part "SERVICE")) -}}
{{- end }}
- name: {{ $item.env }}
  valueFrom:
    secretKeyRef:
      {{- include "strata.secretKeyRef" (dict "root" $root "entry" $entry "hook" $hook "optional" ($item.optional | default false)) | nindent 6 }}
{{- end }}
{{- end -}}

{{/* Host names Django accepts (ALLOWED_HOSTS), the pod's own IP added by the pod spec. */}}
{{- define "strata.allowedHosts" -}}
{{- $root := . -}}
{{- $hosts := list -}}
{{- range .Values.config.allowedHosts }}{{ $hosts = append $hosts . }}{{ end -}}
{{- if .Values.ingress.enabled }}{{ range .Values.ingress.hosts }}{{ $hosts = append $hosts . }}{{ end }}{{ end -}}
{{- if .Values.httpRoute.enabled }}{{ range .Values.httpRoute.hostnames }}{{ $hosts = append $hosts . }}{{ end }}{{ end -}}
{{- range $service := list "auth" "users" "chat" "worker" }}
{{- $hosts = append $hosts (printf "%s-%s-http" (include "strata.fullname" $root) $service) -}}
{{- end -}}
{{- $hosts = append $hosts (printf "%s-chat-websocket" (include "strata.fullname" $root)) -}}
{{- $hosts = append $hosts (printf ".%s.svc" .Release.Namespace) -}}
{{- $hosts = append $hosts (printf ".%s.svc.%s" .Release.Namespace .Values.clusterDomain) -}}
{{- $hosts | uniq | join "," -}}
{{- end -}}

{{/* The non-secret environment of one service (its ConfigMap). */}}
{{- define "strata.configData" -}}
{{- $root := .root -}}
{{- $fullname := include "strata.fullname" $root -}}
{{- $ports := include "strata.ports" $root | fromYaml -}}
STRATA_ENV: production
LOG_LEVEL: {{ $root.Values.config.logLevel | quote }}
LOG_FORMAT: json
JWT_ISSUER: {{ $root.Values.config.jwtIssuer | quote }}
AUTH_JWKS_URL: {{ printf "http://%s:%v/.well-known/jwks.json" (include "strata.serviceHost" (dict "root" $root "name" (printf "%s-auth-http" $fullname))) $ports.http | quote }}
AUTH_GRPC_TARGET: {{ printf "%s:%v" (include "strata.serviceHost" (dict "root" $root "name" (printf "%s-auth-grpc" $fullname))) $ports.grpc | quote }}
USERS_GRPC_TARGET: {{ printf "%s:%v" (include "strata.serviceHost" (dict "root" $root "name" (printf "%s-users-grpc" $fullname))) $ports.grpc | quote }}
CORS_ALLOWED_ORIGINS: {{ join "," $root.Values.config.corsAllowedOrigins | quote }}
{{- with $root.Values.config.publicUrl }}
STRATA_PUBLIC_URL: {{ . | quote }}
AUTH_PUBLIC_URL: {{ . | quote }}
{{- end }}
{{- $extra := deepCopy $root.Values.config.extraEnv }}
{{- include "strata.mergeInto" (dict "base" $extra "over" ((index $root.Values.services .service).extraEnv | default dict)) }}
{{- range $name := keys $extra | sortAlpha }}
{{ $name }}: {{ index $extra $name | toString | quote }}
{{- end }}
{{- end -}}

{{/* Annotations that make Helm run an object as a hook before the release's objects. */}}
{{- define "strata.hookAnnotations" -}}
helm.sh/hook: {{ .root.Values.evaluation.enabled | ternary "post-install,pre-upgrade" "pre-install,pre-upgrade" }}
helm.sh/hook-weight: {{ .weight | quote }}
helm.sh/hook-delete-policy: {{ .deletePolicy | default "before-hook-creation" }}
{{- end -}}

{{/* The two writable directories every pod gets. */}}
{{- define "strata.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
- name: metrics
  emptyDir:
    sizeLimit: {{ .Values.metricsDirSizeLimit }}
{{- end -}}

{{- define "strata.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: metrics
  mountPath: /run/prometheus
{{- end -}}

{{/*
The public routes (CONTRACT section 0), the same as the dev gateway's: path prefix ->
component whose Service serves it. Nothing else is routed (no /metrics, /healthz, /readyz,
/admin).
*/}}
{{- define "strata.routes" -}}
api:
  - {path: /api/v1/auth, component: auth-http}
  - {path: /.well-known, component: auth-http}
  - {path: /api/v1/users, component: users-http}
  - {path: /api/v1/chat, component: chat-http}
{{- range $service := list "auth" "users" "chat" }}
  - {path: /api/docs/{{ $service }}, component: {{ $service }}-http}
  - {path: /api/schema/{{ $service }}, component: {{ $service }}-http}
{{- end }}
websocket:
  - {path: /ws/chat, component: chat-websocket}
{{- end -}}

{{- define "strata.servicePort" -}}
{{- $ports := include "strata.ports" .root | fromYaml -}}
{{- ternary $ports.websocket $ports.http (hasSuffix "-websocket" .component) -}}
{{- end -}}
