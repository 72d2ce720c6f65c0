//! Real programs the end-to-end tests drive (swaks, Dovecot, Postfix's smtp-sink): finding them,
//! and failing a test loudly when one is missing — a skipped end-to-end test must never look
//! like a pass. `MOAT_E2E_OPTIONAL=1` turns a missing program into a skip (noted on stderr),
//! for a quick run on a machine without the Debian packages.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// True when a missing program must fail the test instead of skipping it: always, unless
/// `MOAT_E2E_OPTIONAL=1`.
pub fn e2e_required() -> bool {
    !std::env::var("MOAT_E2E_OPTIONAL").is_ok_and(|v| v == "1")
}

/// Full path of `program`, looked up in `PATH` and in the sbin directories (where Debian puts
/// `dovecot` and `smtp-sink`, and which a non-login root shell may lack in `PATH`).
pub fn find_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/local/sbin", "/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// Whether every program in `programs` is installed. When one is missing the test should return
/// early under `MOAT_E2E_OPTIONAL=1` (this says so on stderr); otherwise this panics.
pub fn have(test: &str, programs: &[&str]) -> bool {
    let missing: Vec<&str> = programs
        .iter()
        .copied()
        .filter(|p| find_program(p).is_none())
        .collect();
    if missing.is_empty() {
        return true;
    }
    skip(test, &format!("not installed: {}", missing.join(", ")))
}

/// Reports why `test` cannot run here: a panic, or under `MOAT_E2E_OPTIONAL=1` a skip
/// (returns false).
pub fn skip(test: &str, why: &str) -> bool {
    if e2e_required() {
        panic!(
            "{test}: {why} (scripts/test.sh installs what the tests need; MOAT_E2E_OPTIONAL=1 skips instead)"
        );
    }
    eprintln!("SKIPPED {test}: {why} (MOAT_E2E_OPTIONAL=1)");
    false
}

/// True when the tests run as root (the owner of /proc/self is the process's effective uid).
pub fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// uid and gid of a local user, from /etc/passwd.
pub fn user_ids(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() >= 4 && fields[0] == name {
            Some((fields[2].parse().ok()?, fields[3].parse().ok()?))
        } else {
            None
        }
    })
}

/// Changes the permission bits of `path` (e.g. so that Dovecot's unprivileged processes can
/// traverse a root-owned temporary directory).
pub fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {mode:o} {}: {e}", path.display()));
}

/// Waits until every address accepts TCP connections. Fails early, with `log()`, when `child`
/// exits first; returns false on timeout.
pub fn wait_listening(child: &mut Child, addrs: &[SocketAddr], timeout: Duration) -> bool {
    let mut exited = false;
    let listening = super::poll::poll_until(timeout, || {
        exited = child.try_wait().ok().flatten().is_some();
        exited || addrs.iter().all(|a| TcpStream::connect(a).is_ok())
    });
    listening && !exited
}

/// Sends SIGTERM to `child` and waits up to `grace` for it to exit, then kills it.
pub fn terminate(child: &mut Child, grace: Duration) {
    if child.try_wait().ok().flatten().is_some() {
        return;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stderr(Stdio::null())
        .status();
    if super::poll::poll_until(grace, || child.try_wait().ok().flatten().is_some()) {
        return;
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Sends the message in the file `data` with swaks to `server` (SMTP, or LMTP with
/// `--protocol LMTP` in `extra`) and returns swaks' output (its transcript), panicking with the
/// transcript when swaks reports a failure.
pub fn swaks(server: SocketAddr, to: &str, data: &Path, extra: &[&str]) -> String {
    let output = swaks_output(server, to, data, extra);
    let transcript = transcript(&output);
    assert!(
        output.status.success(),
        "swaks to {server} failed ({}):\n{transcript}",
        output.status
    );
    transcript
}

/// Like `swaks`, but returns swaks' exit status and output whatever happened.
pub fn swaks_output(server: SocketAddr, to: &str, data: &Path, extra: &[&str]) -> Output {
    let mut data_arg = std::ffi::OsString::from("@");
    data_arg.push(data);
    Command::new(find_program("swaks").expect("swaks is installed"))
        .args(["--server", &server.to_string()])
        .args(["--from", "sender@origin.test", "--to", to])
        .args(["--helo", "client.origin.test", "--timeout", "30"])
        .arg("--data")
        .arg(data_arg)
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .expect("run swaks")
}

/// stdout and stderr of a finished program, as text.
pub fn transcript(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A self-signed certificate for `cn` with the subject alternative names `san` (e.g.
/// `IP:127.0.0.1,DNS:localhost`), not a CA so that a TLS client may trust it as its own
/// anchor, made by openssl in `dir`: `<name>.pem`, key in `<name>.key`.
pub fn self_signed(dir: &Path, name: &str, cn: &str, san: &str) -> PathBuf {
    let cert = dir.join(format!("{name}.pem"));
    let out = Command::new(find_program("openssl").expect("openssl"))
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "2", "-subj", &format!("/CN={cn}")])
        .args(["-addext", &format!("subjectAltName={san}")])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(dir.join(format!("{name}.key")))
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("run openssl");
    assert!(out.status.success(), "openssl req: {}", transcript(&out));
    cert
}
