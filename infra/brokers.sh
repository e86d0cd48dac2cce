#!/usr/bin/env bash
# Installs, starts, waits for and stops the real brokers used by dstream's tests,
# benchmarks and sample applications:
#
#   kafka      Apache Kafka 3.9 (KRaft, broker + controller)  127.0.0.1:9092 (controller :9093)
#   mosquitto  Mosquitto from Debian's packages               mqtt://127.0.0.1:1883
#   pubsub     Google Pub/Sub fake (Go pstest)                 127.0.0.1:8085
#
# Usage: bash infra/brokers.sh <command> [kafka|mosquitto|pubsub ...]   (default: all three)
#
#   up        install what is missing, start what is not running, wait until each answers
#   down      stop the brokers started by this script (data is kept)
#   restart   down, then up (fault tests: `bash infra/brokers.sh restart mosquitto`)
#   status    one line per broker; exits 3 when one of them does not answer
#   clean     down, then delete the broker's data and logs
#   logs      print the last lines of each broker's log
#
# Environment:
#   KAFKA_BROKERS, MQTT_URL, PUBSUB_EMULATOR_HOST  use brokers of your own: a value other
#       than the local default makes `up` check that address instead of starting a broker
#   DSTREAM_INFRA_CACHE   downloads and builds (default ~/.cache/dstream-infra)
#   DSTREAM_INFRA_STATE   data, logs and pid files (default infra/.state)
#   DSTREAM_KAFKA_HEAP_OPTS       JVM heap of the broker (default -Xms256m -Xmx512m)
#   DSTREAM_KAFKA_START_TIMEOUT   seconds to wait for Kafka to answer (default 120)
#   DSTREAM_BROKER_START_TIMEOUT  seconds to wait for Mosquitto and Pub/Sub (default 30)
#
# `up` exits non-zero when a requested broker does not come up, printing the tail of its log
# (locally and under CI=true alike; the workspace test runner decides what that means).
set -euo pipefail

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE_DIR="${DSTREAM_INFRA_STATE:-$INFRA_DIR/.state}"
CACHE_DIR="${DSTREAM_INFRA_CACHE:-$HOME/.cache/dstream-infra}"
PROBE="$INFRA_DIR/lib/probes.mjs"
KAFKA_HEAP_OPTS_DEFAULT="-Xms256m -Xmx512m"
KAFKA_TIMEOUT="${DSTREAM_KAFKA_START_TIMEOUT:-120}"
OTHER_TIMEOUT="${DSTREAM_BROKER_START_TIMEOUT:-30}"
ALL_BROKERS=(kafka mosquitto pubsub)
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

# ------------------------------------------------------------------ output helpers

if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then
  C_RED=$'\e[31m' C_GREEN=$'\e[32m' C_YELLOW=$'\e[33m' C_DIM=$'\e[2m' C_OFF=$'\e[0m'
else
  C_RED='' C_GREEN='' C_YELLOW='' C_DIM='' C_OFF=''
fi
say() { printf '[brokers] %s\n' "$*"; }
ok() { printf '[brokers] %s%s%s\n' "$C_GREEN" "$*" "$C_OFF"; }
warn() { printf '[brokers] %sWARNING: %s%s\n' "$C_YELLOW" "$*" "$C_OFF" >&2; }
err() { printf '[brokers] %sERROR: %s%s\n' "$C_RED" "$*" "$C_OFF" >&2; }
die() {
  err "$*"
  exit 1
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is required ($2) but is not on PATH"
}
as_root() {
  if [[ "$(id -u)" == 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@"
  else
    err "needs root to run: $*"
    return 1
  fi
}
sha() { cat "$@" | sha256sum | cut -c1-16; }

# ------------------------------------------------------------------ broker facts

canonical() {
  case "$1" in
    kafka) echo kafka ;;
    mosquitto | mqtt) echo mosquitto ;;
    pubsub | pstest) echo pubsub ;;
    *) die "unknown broker '$1' (expected kafka, mosquitto or pubsub)" ;;
  esac
}
probe_name() { [[ "$1" == mosquitto ]] && echo mqtt || echo "$1"; }
address_var() {
  case "$1" in
    kafka) echo KAFKA_BROKERS ;;
    mosquitto) echo MQTT_URL ;;
    pubsub) echo PUBSUB_EMULATOR_HOST ;;
  esac
}
default_address() {
  case "$1" in
    kafka) echo 127.0.0.1:9092 ;;
    mosquitto) echo mqtt://127.0.0.1:1883 ;;
    pubsub) echo 127.0.0.1:8085 ;;
  esac
}
local_port() {
  case "$1" in
    kafka) echo 9092 ;;
    mosquitto) echo 1883 ;;
    pubsub) echo 8085 ;;
  esac
}
# Other loopback ports the broker listens on (checked before starting).
extra_ports() {
  if [[ "$1" == kafka ]]; then echo 9093; fi
}
# A word of the process command line that tells our broker from a reused pid.
process_marker() {
  case "$1" in
    kafka) echo kafka.Kafka ;;
    mosquitto) echo mosquitto ;;
    pubsub) echo pstest-server ;;
  esac
}
start_timeout() { [[ "$1" == kafka ]] && echo "$KAFKA_TIMEOUT" || echo "$OTHER_TIMEOUT"; }
address_of() {
  local var
  var="$(address_var "$1")"
  local value="${!var:-}"
  if [[ -n "$value" ]]; then echo "$value"; else default_address "$1"; fi
}
# True when the configured address is the local default, so this script manages the broker.
is_managed() {
  local address
  address="$(address_of "$1")"
  address="${address#mqtt://}"
  address="${address#tcp://}"
  address="${address%/}"
  local port
  port="$(local_port "$1")"
  [[ "$address" == "127.0.0.1:$port" || "$address" == "localhost:$port" ]]
}
dir_of() { echo "$STATE_DIR/$1"; }
pid_file() { echo "$STATE_DIR/$1/$1.pid"; }
log_file() { echo "$STATE_DIR/$1/$1.log"; }

# ------------------------------------------------------------------ processes

# Prints the pid of our running broker, or nothing.
running_pid() {
  local file pid marker
  file="$(pid_file "$1")"
  [[ -f "$file" ]] || return 0
  pid="$(cat "$file" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  [[ -r "/proc/$pid/cmdline" ]] || return 0
  marker="$(process_marker "$1")"
  if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$marker" &&
    ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null; then
    echo "$pid"
  fi
}
port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}
# " (pid 123: cmd)" for the process listening on a port, when ss can tell.
port_holder() {
  command -v ss >/dev/null 2>&1 || return 0
  local line
  line="$(ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'users:(([^)]*))' | head -n 1 || true)"
  [[ -n "$line" ]] && printf ' (%s)' "$line"
  return 0
}
rss_mb() {
  local kb
  kb="$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true)"
  [[ -n "$kb" ]] && awk -v kb="$kb" 'BEGIN { printf "%.0f", kb / 1024 }' || echo "?"
}
probe_once() {
  node "$PROBE" "$(probe_name "$1")" "$(address_of "$1")" "${@:2}"
}
print_log_tail() {
  local log
  log="$(log_file "$1")"
  if [[ -s "$log" ]]; then
    # One write, so that it is not interleaved with the lines of brokers starting alongside.
    printf '[brokers] ---- last 60 lines of %s ----\n%s\n[brokers] ---- end of %s ----\n' \
      "$log" "$(tail -n 60 "$log")" "$log" >&2
  fi
}
# Starts a command in its own session, detached from the caller's terminal and pipes, with
# its output in the broker's log; records its pid in the broker's pid file.
launch() {
  local name="$1"
  shift
  local log
  log="$(log_file "$name")"
  [[ -f "$log" ]] && mv -f "$log" "$log.1"
  printf '# %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >"$log"
  # fd 9 is the lock of this script: the broker must not inherit (and so hold) it.
  if command -v setsid >/dev/null 2>&1; then
    setsid "$@" >>"$log" 2>&1 </dev/null 9>&- &
  else
    nohup "$@" >>"$log" 2>&1 </dev/null 9>&- &
  fi
  local pid=$!
  echo "$pid" >"$(pid_file "$name")"
}

# ------------------------------------------------------------------ kafka

kafka_libs() { echo "$CACHE_DIR/kafka/$(sha "$INFRA_DIR/kafka/pom.xml")/libs"; }

kafka_install() {
  local libs
  libs="$(kafka_libs)"
  [[ -f "$libs/.complete" ]] && return 0
  need java "Kafka runs on Java 17"
  need mvn "Maven fetches the Kafka jars from Maven Central"
  say "kafka: fetching the broker's jars with Maven (infra/kafka/pom.xml) into $libs"
  local started tmp mvn_log
  started="$(now)"
  mkdir -p "$CACHE_DIR/kafka"
  tmp="$(mktemp -d "$CACHE_DIR/kafka/tmp.XXXXXX")"
  mvn_log="$CACHE_DIR/kafka/mvn.log"
  if ! (cd "$INFRA_DIR/kafka" && mvn -q -B -f pom.xml dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp/libs") >"$mvn_log" 2>&1; then
    tail -n 40 "$mvn_log" >&2
    rm -rf "$tmp"
    err "kafka: Maven could not fetch the jars (full output: $mvn_log)"
    return 1
  fi
  touch "$tmp/libs/.complete"
  rm -rf "$libs"
  mkdir -p "$(dirname "$libs")"
  mv "$tmp/libs" "$libs"
  rm -rf "$tmp"
  # Jars of an earlier pom.xml are of no more use.
  find "$CACHE_DIR/kafka" -mindepth 1 -maxdepth 1 -type d ! -path "$(dirname "$libs")" \
    ! -name 'tmp.*' -exec rm -rf {} + 2>/dev/null || true
  say "kafka: $(find "$libs" -name '*.jar' | wc -l) jars fetched in $(elapsed "$started") s"
}

# Sets KAFKA_JAVA to the java command line (without the main class) for the given libs.
kafka_java() {
  local libs="$1"
  # shellcheck disable=SC2206 # heap options are a list of words
  KAFKA_JAVA=(java ${DSTREAM_KAFKA_HEAP_OPTS:-$KAFKA_HEAP_OPTS_DEFAULT}
    -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
    -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -XX:+ExitOnOutOfMemoryError
    -Djava.awt.headless=true
    "-Dlog4j.configuration=file:$INFRA_DIR/kafka/log4j.properties"
    "-Dkafka.logs.dir=$(dir_of kafka)/logs"
    -cp "$libs/*")
}

kafka_start() {
  local dir libs config data
  dir="$(dir_of kafka)"
  libs="$(kafka_libs)"
  config="$dir/server.properties"
  data="$dir/data"
  mkdir -p "$dir/logs" "$data"
  {
    printf '# Generated by infra/brokers.sh from infra/kafka/server.properties; edit that file.\n'
    cat "$INFRA_DIR/kafka/server.properties"
    printf '\nlog.dirs=%s\n' "$data"
  } >"$config"
  if [[ ! -f "$data/meta.properties" ]]; then
    local cluster_id
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
    say "kafka: formatting $data (cluster id $cluster_id)"
    kafka_java "$libs"
    if ! "${KAFKA_JAVA[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$config" \
      >"$dir/format.log" 2>&1; then
      cat "$dir/format.log" >&2
      err "kafka: formatting the storage directory failed"
      return 1
    fi
  fi
  kafka_java "$libs"
  launch kafka "${KAFKA_JAVA[@]}" kafka.Kafka "$config"
}

# ------------------------------------------------------------------ mosquitto

mosquitto_bin() { command -v mosquitto 2>/dev/null || true; }

mosquitto_install() {
  [[ -n "$(mosquitto_bin)" ]] && return 0
  command -v apt-get >/dev/null 2>&1 ||
    die "mosquitto is not installed and apt-get is not available: install Mosquitto 2 with your package manager"
  local started
  started="$(now)"
  say "mosquitto: installing Debian's mosquitto and mosquitto-clients packages (apt-get)"
  local apt_log="$CACHE_DIR/apt-mosquitto.log"
  mkdir -p "$CACHE_DIR"
  if ! { as_root apt-get update -q &&
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      mosquitto mosquitto-clients; } >"$apt_log" 2>&1; then
    tail -n 30 "$apt_log" >&2
    err "mosquitto: apt-get install failed (full output: $apt_log)"
    return 1
  fi
  # The package enables a system service on port 1883; the project runs its own broker.
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
    as_root systemctl disable --now mosquitto.service >>"$apt_log" 2>&1 || true
  elif [[ -x /etc/init.d/mosquitto ]]; then
    as_root /etc/init.d/mosquitto stop >>"$apt_log" 2>&1 || true
    if command -v update-rc.d >/dev/null 2>&1; then
      as_root update-rc.d mosquitto disable >>"$apt_log" 2>&1 || true
    fi
  fi
  [[ -n "$(mosquitto_bin)" ]] || {
    err "mosquitto: installed, but no mosquitto binary found on PATH"
    return 1
  }
  say "mosquitto: $(mosquitto_bin) installed in $(elapsed "$started") s"
}

mosquitto_start() {
  local dir config
  dir="$(dir_of mosquitto)"
  config="$dir/mosquitto.conf"
  mkdir -p "$dir/data"
  {
    printf '# Generated by infra/brokers.sh from infra/mosquitto/mosquitto.conf; edit that file.\n'
    cat "$INFRA_DIR/mosquitto/mosquitto.conf"
    printf '\npersistence_location %s\n' "$dir/data"
  } >"$config"
  launch mosquitto "$(mosquitto_bin)" -c "$config"
}

# ------------------------------------------------------------------ pubsub

pubsub_bin() {
  local go_version
  go_version="$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null || echo nogo)"
  echo "$CACHE_DIR/pubsub/pstest-server-$(printf '%s' "$go_version" |
    cat - "$INFRA_DIR/pubsub/main.go" "$INFRA_DIR/pubsub/go.mod" "$INFRA_DIR/pubsub/go.sum" |
    sha256sum | cut -c1-16)"
}

pubsub_install() {
  need go "the Pub/Sub fake is a Go program"
  local bin
  bin="$(pubsub_bin)"
  [[ -x "$bin" ]] && return 0
  local started
  started="$(now)"
  say "pubsub: building infra/pubsub (cloud.google.com/go/pubsub/v2/pstest) into $bin"
  mkdir -p "$CACHE_DIR/pubsub"
  local build_log="$CACHE_DIR/pubsub/build.log"
  if ! (cd "$INFRA_DIR/pubsub" && GOTOOLCHAIN=local \
    go build -mod=readonly -trimpath -ldflags='-s -w' -o "$bin.tmp" .) >"$build_log" 2>&1; then
    tail -n 30 "$build_log" >&2
    rm -f "$bin.tmp"
    err "pubsub: go build failed (full output: $build_log)"
    return 1
  fi
  mv -f "$bin.tmp" "$bin"
  # Older builds of a changed main.go / go.sum are of no more use.
  find "$CACHE_DIR/pubsub" -maxdepth 1 -name 'pstest-server-*' ! -path "$bin" -delete 2>/dev/null || true
  say "pubsub: built in $(elapsed "$started") s"
}

pubsub_start() {
  mkdir -p "$(dir_of pubsub)"
  # Copy under a stable name so the process shows up as pstest-server.
  launch pubsub "$(pubsub_bin)" -addr "127.0.0.1:$(local_port pubsub)"
}

# ------------------------------------------------------------------ commands

# Waits until the broker answers; prints how long it took since $1 (a start time).
wait_ready() {
  local name="$1" since="$2" pid description
  pid=""
  if is_managed "$name"; then pid="$(running_pid "$name")"; fi
  local args=(--timeout "$(start_timeout "$name")")
  # A broker of someone else's is either up or not: no need to wait as long as for a JVM.
  is_managed "$name" || args=(--timeout "$OTHER_TIMEOUT")
  [[ -n "$pid" ]] && args+=(--pid "$pid")
  if description="$(probe_once "$name" "${args[@]}" 2>&1)"; then
    if [[ -n "$pid" ]]; then
      ok "$name: ready at $(address_of "$name") in $(elapsed "$since") s (pid $pid, rss $(rss_mb "$pid") MB)"
    else
      ok "$name: ready at $(address_of "$name") (not started by this script)"
    fi
    say "$name: ${C_DIM}${description}${C_OFF}"
    return 0
  fi
  err "$name: not ready at $(address_of "$name"): $description"
  if [[ -n "$pid" && -n "$(running_pid "$name")" ]]; then
    say "$name: pid $pid is running but does not answer; try: bash infra/brokers.sh restart $name"
  fi
  if is_managed "$name"; then print_log_tail "$name"; fi
  return 1
}

# Decides what `up` does for one broker, installing what is missing. Prints "wait" (nothing
# to start: check that it answers), "start" (installed, not running) or "skip" (answers, but
# not ours); returns 1 on failure.
prepare_one() {
  local name="$1"
  if ! is_managed "$name"; then
    say "$name: $(address_var "$name")=$(address_of "$name") is not the local default; checking it instead of starting a broker" >&2
    echo wait
    return 0
  fi
  local pid
  pid="$(running_pid "$name")"
  if [[ -n "$pid" ]]; then
    say "$name: already running (pid $pid)" >&2
    echo wait
    return 0
  fi
  rm -f "$(pid_file "$name")"
  local port
  for port in $(local_port "$name") $(extra_ports "$name"); do
    if port_open "$port"; then
      if [[ "$port" == "$(local_port "$name")" ]] && probe_once "$name" --quiet; then
        warn "$name: port $port is served by a process this script did not start; using it as it is (stop it to let infra/brokers.sh manage $name)"
        echo skip
        return 0
      fi
      err "$name: port 127.0.0.1:$port is already in use by another process$(port_holder "$port")"
      return 1
    fi
  done
  mkdir -p "$(dir_of "$name")"
  "${name}_install" >&2 || return 1
  echo start
}

# Starts the broker when asked to, then waits until it answers.
finish_one() {
  local name="$1" action="$2" since="$3"
  if [[ "$action" == start ]]; then
    say "$name: starting"
    if ! "${name}_start"; then
      print_log_tail "$name"
      return 1
    fi
  fi
  wait_ready "$name" "$since"
}

cmd_up() {
  # Installs run one after the other (they share the network; in parallel they only slow each
  # other down), and each broker starts and is waited for in the background as soon as it is
  # installed, so Kafka's JVM warms up while the Pub/Sub fake compiles.
  local name action since pids=() pending=() failed=()
  for name in "$@"; do
    since="$(now)"
    if ! action="$(prepare_one "$name")"; then
      failed+=("$name")
      continue
    fi
    [[ "$action" == skip ]] && continue
    finish_one "$name" "$action" "$since" 9>&- &
    pids+=($!)
    pending+=("$name")
  done
  local i
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || failed+=("${pending[$i]}")
  done
  if ((${#failed[@]} > 0)); then
    err "not up: ${failed[*]}${CI:+ (CI=$CI)}"
    return 1
  fi
}

stop_one() {
  local name="$1"
  if ! is_managed "$name"; then
    say "$name: $(address_var "$name")=$(address_of "$name") is not started by this script; left alone"
    return 0
  fi
  local pid
  pid="$(running_pid "$name")"
  if [[ -z "$pid" ]]; then
    rm -f "$(pid_file "$name")"
    say "$name: not running"
    return 0
  fi
  local started limit
  started="$(now)"
  [[ "$name" == kafka ]] && limit=60 || limit=15
  kill -TERM "$pid" 2>/dev/null || true
  local waited=0
  while [[ -n "$(running_pid "$name")" ]]; do
    if ((waited >= limit * 10)); then
      warn "$name: pid $pid still running ${limit} s after SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  rm -f "$(pid_file "$name")"
  # The port may linger for a moment after the process exits.
  local port tries=0
  port="$(local_port "$name")"
  while port_open "$port" && ((tries < 50)); do
    sleep 0.1
    tries=$((tries + 1))
  done
  say "$name: stopped (pid $pid) in $(elapsed "$started") s"
}

cmd_down() {
  local name
  for name in "$@"; do stop_one "$name"; done
}

cmd_status() {
  local name bad=0
  for name in "$@"; do
    local address pid state ready=0
    address="$(address_of "$name")"
    pid=""
    is_managed "$name" && pid="$(running_pid "$name")"
    if probe_once "$name" --quiet; then
      ready=1
      state="${C_GREEN}ready${C_OFF}"
    else
      bad=1
      state="${C_RED}not answering${C_OFF}"
    fi
    if ! is_managed "$name"; then
      printf '%-10s %-24s %s (%s set; not started by this script)\n' "$name" "$address" "$state" "$(address_var "$name")"
    elif [[ -n "$pid" ]]; then
      printf '%-10s %-24s %s  pid %s  rss %s MB  log %s\n' "$name" "$address" "$state" "$pid" "$(rss_mb "$pid")" "$(log_file "$name")"
    elif ((ready)) || port_open "$(local_port "$name")"; then
      printf '%-10s %-24s %s (port served by a process this script did not start)\n' "$name" "$address" "$state"
    else
      printf '%-10s %-24s %sstopped%s\n' "$name" "$address" "$C_RED" "$C_OFF"
    fi
  done
  return $((bad * 3))
}

cmd_clean() {
  local name
  for name in "$@"; do
    stop_one "$name"
    if is_managed "$name"; then
      rm -rf "$(dir_of "$name")"
      say "$name: deleted $(dir_of "$name")"
    fi
  done
}

cmd_logs() {
  local name
  for name in "$@"; do
    local log
    log="$(log_file "$name")"
    if [[ -f "$log" ]]; then
      printf '==> %s <==\n' "$log"
      tail -n "${LINES_OF_LOG:-40}" "$log"
    else
      say "$name: no log at $log"
    fi
  done
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
}

main() {
  local command="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$command" in
    up | down | restart | status | clean | logs) ;;
    -h | --help | help)
      usage
      return 0
      ;;
    *)
      usage >&2
      return 2
      ;;
  esac
  local names=() seen=" " name requested=("$@")
  ((${#requested[@]} > 0)) || requested=("${ALL_BROKERS[@]}")
  for name in "${requested[@]}"; do
    name="$(canonical "$name")"
    [[ "$seen" == *" $name "* ]] && continue
    seen+="$name "
    names+=("$name")
  done

  need node "the readiness probes are Node scripts"
  mkdir -p "$STATE_DIR"
  # One invocation at a time: parallel test workers may restart brokers.
  exec 9>"$STATE_DIR/.lock"
  if command -v flock >/dev/null 2>&1 && ! flock -w 300 9; then
    die "another infra/brokers.sh is still running after 300 s (lock $STATE_DIR/.lock)"
  fi

  case "$command" in
    up) cmd_up "${names[@]}" ;;
    down) cmd_down "${names[@]}" ;;
    restart)
      cmd_down "${names[@]}"
      cmd_up "${names[@]}"
      ;;
    status) cmd_status "${names[@]}" ;;
    clean) cmd_clean "${names[@]}" ;;
    logs) cmd_logs "${names[@]}" ;;
  esac
}

main "$@"
