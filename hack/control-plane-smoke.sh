#!/usr/bin/env bash
# Smoke test of the control plane built by hack/control-plane.sh: starts etcd,
# kube-apiserver (client-cert auth, RBAC) and kube-scheduler on loopback ports
# in a temp dir, checks /readyz, creates a Node and a Pod and waits for the
# scheduler to bind it, then stops everything.
#
# It doubles as the reference for the flags an e2e harness needs.
#
# Usage: hack/control-plane-smoke.sh            (builds/uses the cache)
#        KEEP=1 hack/control-plane-smoke.sh     (leave the temp dir behind)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
BIN="$("$ROOT/hack/control-plane.sh")"
# No kube-controller-manager runs, so no "default" ServiceAccount is ever created;
# the ServiceAccount admission plugin would then reject every Pod.
DISABLE_ADMISSION="${DISABLE_ADMISSION-ServiceAccount}"
KUBECTL="${KUBECTL:-$(command -v kubectl || echo "$BIN/kubectl")}"
log() { echo "smoke: $*" >&2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/volplace-cp.XXXXXX")"
PIDS=() # started in order etcd, kube-apiserver, kube-scheduler
stop() { # pid: SIGTERM, up to 15 s grace, then SIGKILL
  local pid=$1 i
  kill "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 30; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$? i
  # Reverse order: kube-apiserver's graceful shutdown hangs if etcd is gone first.
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop "${PIDS[i]}"; done
  if (( rc != 0 )); then
    for f in "$WORK"/*.log; do [[ -f "$f" ]] && { echo "--- tail $f" >&2; tail -n 20 "$f" >&2; }; done
  fi
  if [[ "${KEEP:-}" == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_for() { # seconds description command...
  local deadline=$((SECONDS + $1)) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    (( SECONDS < deadline )) || { log "timed out waiting for $what"; return 1; }
    sleep 0.5
  done
}

ETCD_CLIENT_PORT=$(free_port); ETCD_PEER_PORT=$(free_port)
APISERVER_PORT=$(free_port); SCHEDULER_PORT=$(free_port)

# --- PKI: one CA signs the serving cert and the client certs --------------------
cd "$WORK"
openssl_q() { openssl "$@" 2>/dev/null; }
openssl_q req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=volplace-test-ca" \
  -keyout ca.key -out ca.crt
sign() { # name subject [extfile-content]
  openssl_q req -newkey rsa:2048 -nodes -subj "$2" -keyout "$1.key" -out "$1.csr"
  openssl_q x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 \
    -out "$1.crt" -extfile <(printf '%s\n' "${3:-extendedKeyUsage=clientAuth}")
}
sign apiserver "/CN=kube-apiserver" \
  "subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.0.0.1,DNS:kubernetes.default.svc
extendedKeyUsage=serverAuth"
sign admin "/O=system:masters/CN=volplace-admin"
sign scheduler "/CN=system:kube-scheduler"
# Service account token signing key pair.
openssl_q genrsa -out sa.key 2048
openssl_q rsa -in sa.key -pubout -out sa.pub

kubeconfig() { # name cert
  cat > "$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority: $WORK/ca.crt
users:
- name: $1
  user:
    client-certificate: $WORK/$2.crt
    client-key: $WORK/$2.key
contexts:
- name: test
  context: {cluster: test, user: $1}
current-context: test
EOF
}
kubeconfig admin admin
kubeconfig scheduler scheduler

# --- etcd ------------------------------------------------------------------------
log "starting etcd on 127.0.0.1:$ETCD_CLIENT_PORT"
"$BIN/etcd" \
  --name=default --data-dir="$WORK/etcd" \
  --listen-client-urls="http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --advertise-client-urls="http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster="default=http://127.0.0.1:$ETCD_PEER_PORT" \
  --unsafe-no-fsync \
  > etcd.log 2>&1 &
PIDS+=($!)
wait_for 30 "etcd /health" curl -fsS "http://127.0.0.1:$ETCD_CLIENT_PORT/health"

# --- kube-apiserver --------------------------------------------------------------
log "starting kube-apiserver on https://127.0.0.1:$APISERVER_PORT"
start=$SECONDS
"$BIN/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
  --tls-cert-file="$WORK/apiserver.crt" --tls-private-key-file="$WORK/apiserver.key" \
  --client-ca-file="$WORK/ca.crt" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$WORK/sa.pub" \
  --service-account-signing-key-file="$WORK/sa.key" \
  --service-cluster-ip-range=10.0.0.0/24 \
  --authorization-mode=RBAC \
  --allow-privileged=true \
  ${DISABLE_ADMISSION:+--disable-admission-plugins="$DISABLE_ADMISSION"} \
  > apiserver.log 2>&1 &
PIDS+=($!)
KC=("$KUBECTL" --kubeconfig="$WORK/admin.kubeconfig")
wait_for 90 "kube-apiserver /readyz" "${KC[@]}" get --raw /readyz
log "kube-apiserver ready after $((SECONDS - start))s: /readyz says '$("${KC[@]}" get --raw /readyz)'"
"${KC[@]}" version >&2 || true

# --- kube-scheduler --------------------------------------------------------------
log "starting kube-scheduler (healthz on https://127.0.0.1:$SCHEDULER_PORT)"
"$BIN/kube-scheduler" \
  --kubeconfig="$WORK/scheduler.kubeconfig" \
  --authentication-kubeconfig="$WORK/scheduler.kubeconfig" \
  --authorization-kubeconfig="$WORK/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" \
  --leader-elect=false \
  > scheduler.log 2>&1 &
PIDS+=($!)
wait_for 60 "kube-scheduler /healthz" curl -fsSk "https://127.0.0.1:$SCHEDULER_PORT/healthz"

# --- a Node (no kubelet: just the object) and a Pod the scheduler must bind ------
"${KC[@]}" apply -f - >&2 <<'EOF'
apiVersion: v1
kind: Node
metadata:
  name: smoke-node
  labels: {kubernetes.io/hostname: smoke-node}
status:
  capacity: {cpu: "4", memory: 8Gi, pods: "110"}
  allocatable: {cpu: "4", memory: 8Gi, pods: "110"}
  conditions:
  - {type: Ready, status: "True", reason: KubeletReady, message: fake}
EOF
# kubectl apply does not write .status of a Node; patch it through the subresource.
"${KC[@]}" patch node smoke-node --subresource=status --type=merge -p \
  '{"status":{"capacity":{"cpu":"4","memory":"8Gi","pods":"110"},"allocatable":{"cpu":"4","memory":"8Gi","pods":"110"},"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady","message":"fake"}]}}' >&2
# The TaintNodesByCondition admission plugin puts node.kubernetes.io/not-ready:NoSchedule
# on every new Node and no node-lifecycle controller runs to lift it: remove it.
log "taints on the new node: $("${KC[@]}" get node smoke-node -o jsonpath='{.spec.taints}')"
"${KC[@]}" taint node smoke-node node.kubernetes.io/not-ready- >/dev/null 2>&1 || true
"${KC[@]}" run smoke-pod --image=registry.invalid/none --restart=Never >&2
node_of_pod() { [[ "$("${KC[@]}" get pod smoke-pod -o jsonpath='{.spec.nodeName}')" == smoke-node ]]; }
if ! wait_for 30 "smoke-pod to be scheduled" node_of_pod; then
  "${KC[@]}" describe pod smoke-pod >&2 || true
  exit 1
fi
log "smoke-pod bound to $("${KC[@]}" get pod smoke-pod -o jsonpath='{.spec.nodeName}')"
log "OK: etcd, kube-apiserver and kube-scheduler from $BIN work"
