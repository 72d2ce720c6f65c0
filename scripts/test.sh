#!/usr/bin/env bash
# Moat's test command: formatting, lints, then every test, end-to-end ones included.
#
#   scripts/test.sh
#
# On Debian 12 as root it first installs what the end-to-end tests drive (Dovecot, swaks, Postfix
# for smtp-sink/smtp-source) if missing, and creates the unprivileged `moatmail` user that owns
# the test mailboxes. The tests start their own Dovecot and smtp-sink on free loopback ports with
# configurations in temporary directories; no system mail service is started or needed.
#
# An end-to-end test fails when a program it needs is missing (MOAT_E2E_OPTIONAL=1 would make
# it skip; this script never sets it). Build output goes to $CARGO_TARGET_DIR (default /var/tmp/moat-target, outside
# the clone, so repeated runs are incremental).
set -euo pipefail

cd "$(dirname "$0")/.."

# Debian keeps dovecot, smtp-sink and useradd in sbin, which a non-login shell may lack.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

step() { printf '\n==> %s\n' "$*"; }

# Debian packages the end-to-end tests use (swaks needs Net::SSLeay for STARTTLS; dkimpy and
# authres sign and ARC-seal the authentication tests' messages; prometheus brings promtool, for
# tests/observability.rs; haproxy is the load balancer in front of Moat in tests/proxy.rs;
# redis-server, for the shared-state tests in tests/state.rs; publicsuffix, the Public Suffix
# List Moat reads by default for URIBL/RHSBL; dovecot-sieve, for deploy/examples/dovecot.md run
# as written; systemd, for systemd-analyze on deploy/systemd; clamav-daemon, the clamd that
# tests/malware.rs starts with its own test signature), and the programs they drive.
packages=(dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd dovecot-sieve postfix swaks libnet-ssleay-perl openssl
    python3 python3-dkim python3-authres prometheus haproxy redis-server publicsuffix systemd
    clamav-daemon rspamd curl chromium chromium-driver)
# chromium + chromium-driver: the web console's real-browser test (tests/console/browser.rs,
# Selenium from PyPI, ensure_selenium below).
# rspamd: its client `rspamc` asks Moat's scan API in tests/doors.rs (the daemon is not run);
# curl drives the same API; postfix (above) runs the milter tests as a private instance.
programs=(dovecot swaks smtp-sink smtp-source openssl python3 prometheus promtool prlimit haproxy redis-server systemd-analyze
    clamd rspamc curl postfix chromium chromedriver)

install_missing_packages() {
    local missing=() package
    for package in "${packages[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$package")
        fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        echo "installed: ${packages[*]}"
        return
    fi
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
        echo "missing packages: ${missing[*]} (install them as root with apt-get; the end-to-end tests need them)" >&2
        return
    fi
    step "installing ${missing[*]}"
    # Packages must not start system services (port 25, 143, 110 …): the tests start their own
    # instances on free high loopback ports. policy-rc.d exit 101 = "action forbidden".
    local policy=/usr/sbin/policy-rc.d added_policy=
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        added_policy=1
    fi
    # Postfix would otherwise ask how to configure itself; the tests use only smtp-sink and
    # smtp-source from it.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    export DEBIAN_FRONTEND=noninteractive
    local status=0
    { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; } || status=$?
    if [ -n "$added_policy" ]; then rm -f "$policy"; fi
    if [ "$status" -ne 0 ]; then
        echo "apt-get failed ($status)" >&2
        exit "$status"
    fi
}

# Mailboxes of the test Dovecot belong to this user: Dovecot refuses to store mail as root.
ensure_mail_user() {
    if id moatmail >/dev/null 2>&1 || [ "$(id -u)" -ne 0 ]; then
        return
    fi
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin moatmail
    echo "created system user moatmail"
}

# The `python3` first on PATH may not be Debian's (pyenv, venv): give it dkimpy from PyPI then.
ensure_dkimpy() {
    if ! command -v python3 >/dev/null || python3 -c 'import dkim, authres' 2>/dev/null; then
        return
    fi
    step "installing dkimpy and authres from PyPI for $(command -v python3)"
    python3 -m pip install -q dkimpy authres ||
        python3 -m pip install -q --break-system-packages dkimpy authres
}

# Selenium drives the system's Chromium in the console's browser test (no browser download).
ensure_selenium() {
    if ! command -v python3 >/dev/null || python3 -c 'import selenium' 2>/dev/null; then
        return
    fi
    step "installing selenium from PyPI for $(command -v python3)"
    python3 -m pip install -q selenium ||
        python3 -m pip install -q --break-system-packages selenium
}

step "test environment"
install_missing_packages
ensure_mail_user
ensure_dkimpy
ensure_selenium
for program in "${programs[@]}"; do
    command -v "$program" >/dev/null || echo "warning: $program not found; end-to-end tests will fail" >&2
done

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/moat-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
echo "CARGO_TARGET_DIR=$CARGO_TARGET_DIR"
cargo --version
rustc --version

step "cargo fmt --check"
cargo fmt --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings

if cargo nextest --version >/dev/null 2>&1; then
    # Doc tests first (nextest does not run them), so that nextest's summary closes the output.
    step "cargo test --doc"
    cargo test --doc
    step "cargo nextest run --all-targets"
    cargo nextest run --all-targets --profile ci
else
    step "cargo test --all-targets"
    cargo test --all-targets
fi
