#!/usr/bin/env bash
# The role inside a container: how long `swrole exec --container` takes from the command to
# the first successful call inside the container, next to the same `docker run` alone, and
# how fast the endpoint answers a container (median of 50 requests), on a Docker daemon of
# this script's own and moto on 127.0.0.1 (relayed to the containers at 169.254.170.2).
#
#   bench/containers.sh [SWROLE]     # default: target/release/swrole, else target/debug/swrole
#
# Needs root (dockerd), Debian's docker.io, python3 with boto3 and moto (scripts/test-tools.sh).
# Prints the numbers; nothing here passes or fails.
set -euo pipefail
cd "$(dirname "$0")/.."
swrole=${1:-}
[ -n "$swrole" ] || { [ -x target/release/swrole ] && swrole=target/release/swrole || swrole=target/debug/swrole; }
swrole=$(realpath "$swrole")
work=$(mktemp -d /tmp/swbench.XXXX)
export DOCKER_HOST="unix://$work/sock"
cleanup() {
    docker ps -aq 2>/dev/null | xargs -r docker rm -f >/dev/null 2>&1 || true
    docker network rm swrole >/dev/null 2>&1 || true
    [ -f "$work/pid" ] && kill "$(cat "$work/pid")" 2>/dev/null || true
    [ -n "${moto:-}" ] && kill "$moto" 2>/dev/null || true
    [ -n "${relay:-}" ] && kill "$relay" 2>/dev/null || true
    sleep 1
    rm -rf "$work"
}
trap cleanup EXIT
dockerd --data-root "$work/data" --exec-root "$work/x" --pidfile "$work/pid" -H "$DOCKER_HOST" \
    --bridge=none --iptables=false >"$work/dockerd.log" 2>&1 &
for _ in $(seq 100); do docker info >/dev/null 2>&1 && break; sleep 0.2; done
tar -cf - -T /dev/null | docker import - swrole-bench:empty >/dev/null
python=$(python3 -c 'import sys; print(sys.executable)')
mounts=(-v /usr:/usr:ro -v /lib:/lib:ro -v /lib64:/lib64:ro -v /bin:/bin:ro)
case $python in /usr/*) ;; *) root=$(dirname "$(dirname "$(dirname "$python")")"); mounts+=(-v "$root:$root:ro") ;; esac
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto=$!
for _ in $(seq 100); do python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null && break; sleep 0.1; done
home="$work/home"
mkdir -p "$home/.aws" "$work/run"
cp contrib/seed/config "$home/.aws/config"
cp contrib/seed/credentials "$home/.aws/credentials"
export HOME=$home XDG_RUNTIME_DIR=$work/run SWROLE_CACHE_STORE=file AWS_ENDPOINT_URL_STS=http://127.0.0.1:$port
# The network first (swrole makes it), then moto relayed to the containers at its gateway.
"$swrole" exec --container sw-staging -t 123456 -- docker run --rm "${mounts[@]}" swrole-bench:empty /bin/true >/dev/null 2>&1 || true
python3 - "$port" >"$work/relay.port" <<'EOF' &
import socket, sys, threading
to = ("127.0.0.1", int(sys.argv[1]))
s = socket.socket(); s.bind(("169.254.170.2", 0)); s.listen(64)
print(s.getsockname()[1], flush=True)
def pipe(a, b):
    while (d := a.recv(65536)):
        b.sendall(d)
    b.shutdown(socket.SHUT_WR)
while True:
    c, _ = s.accept(); u = socket.create_connection(to)
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
EOF
relay=$!
sleep 0.5
sts="http://169.254.170.2:$(cat "$work/relay.port")"
call='import boto3, os; print(boto3.client("sts", endpoint_url=os.environ["STS"], region_name="ap-northeast-1").get_caller_identity()["Account"])'
ms() { python3 -c 'import sys, time; print(int((time.time() - float(sys.argv[1])) * 1000))' "$1"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# docker run alone, the same program without credentials (it fails at STS: the time is Docker's).
for _ in 1 2 3 4 5; do
    t=$(date +%s.%N); docker run --rm "${mounts[@]}" -e STS="$sts" swrole-bench:empty "$python" -c 'import boto3' >/dev/null 2>&1; ms "$t"
done | median >"$work/alone"
for _ in 1 2 3 4 5; do
    t=$(date +%s.%N)
    "$swrole" exec --container sw-staging -- docker run --rm "${mounts[@]}" -e STS="$sts" swrole-bench:empty "$python" -c "$call" >/dev/null
    ms "$t"
done | median >"$work/with"
# The endpoint as a container sees it: 50 requests on one connection each.
latency=$("$swrole" exec --container sw-staging -- docker run --rm "${mounts[@]}" swrole-bench:empty "$python" -c '
import os, time, urllib.request
url = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
token = open(os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]).read()
times = []
for _ in range(50):
    t = time.perf_counter()
    urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": token})).read()
    times.append((time.perf_counter() - t) * 1000)
times.sort()
print(f"{times[len(times) // 2]:.2f}")')
printf '%-62s %8s\n' "what (median)" "ms"
printf '%-62s %8s\n' "docker run alone (python importing boto3, no credentials)" "$(cat "$work/alone")"
printf '%-62s %8s\n' "swrole exec --container: command to GetCallerIdentity answered" "$(cat "$work/with")"
printf '%-62s %8s\n' "the endpoint's answer to a container (one request)" "$latency"
