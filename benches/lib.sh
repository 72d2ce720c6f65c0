# Shared scaffolding of the benchmark scripts; source it, then call bench_workdir NAME.
#
#   cd "$(dirname "$0")/.."; . benches/lib.sh
#   bench_workdir moat-bench      # sets $work, kills "${pids[@]}" and removes $work on exit

# A scratch directory removed on exit, with every process in `pids` killed first.
bench_workdir() {
    work=$(mktemp -d -t "$1-XXXXXX")
    pids=()
    trap bench_cleanup EXIT
}

bench_cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}

# A free loopback port (bound by Python for an instant, then released).
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits until something accepts on 127.0.0.1:PORT, polling every 0.1 s up to SECONDS (10).
wait_port() {
    local port=$1 tries=$(( ${2:-10} * 10 )) i
    for i in $(seq "$tries"); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "nothing listens on 127.0.0.1:$port" >&2
    return 1
}

# Sets $moat: the binary named by MOAT_BIN (or MOAT), else a fresh `cargo build --release`.
bench_binary() {
    moat="${MOAT_BIN:-${MOAT:-}}"
    if [ -z "$moat" ]; then
        export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/moat-target}"
        echo "building: cargo build --release"
        cargo build --release --quiet
        moat="$CARGO_TARGET_DIR/release/moat"
    fi
}
