//! Starts a real Dovecot (Debian's `dovecot-core`, `-imapd`, `-pop3d`, `-lmtpd`) as the backend
//! mail store: LMTP in, IMAP and POP3 out, each on a free loopback port, with its own
//! configuration, sockets, state, mailboxes and log in a temporary directory. Nothing of the
//! system's Dovecot (/etc/dovecot, /run/dovecot, port 143/110) is used or touched.
//!
//! Dovecot needs root to start: its login processes run as `dovenull` and its internal ones as
//! `dovecot` (users the Debian package creates), and mail is stored as an unprivileged mail user,
//! `moatmail` (created by `scripts/test.sh`), or `nobody` when that user does not exist.

use super::mailbox;
use super::moat::free_port;
use super::tools;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Mailbox users, all in the domain `example.test`.
pub const USERS: [&str; 2] = ["alice@example.test", "bob@example.test"];
/// The password of every user.
pub const PASSWORD: &str = "secret";

/// A running Dovecot; stopped when dropped. If the test is failing at that moment, Dovecot's log
/// is printed.
pub struct Dovecot {
    pub lmtp: SocketAddr,
    pub imap: SocketAddr,
    pub pop3: SocketAddr,
    /// With `start_tls_or_skip`: IMAP over TLS, and STARTTLS offered on `imap`.
    pub imaps: Option<SocketAddr>,
    /// With `start_tls_or_skip`: the server's self-signed certificate (for 127.0.0.1), which
    /// a client must trust as its CA.
    pub certificate: Option<PathBuf>,
    dir: tempfile::TempDir,
    child: Child,
}

impl Dovecot {
    /// Starts Dovecot, or returns None when this machine cannot run it (not installed, not
    /// root); see `tools::skip` (a failure unless `MOAT_E2E_OPTIONAL=1`).
    pub fn start_or_skip(test: &str) -> Option<Dovecot> {
        Dovecot::can_start(test).then(|| Dovecot::start_with(false))
    }

    /// As `start_or_skip`, with TLS: IMAPS on its own port and STARTTLS on the IMAP port, with
    /// a self-signed certificate made by openssl.
    pub fn start_tls_or_skip(test: &str) -> Option<Dovecot> {
        (tools::have(test, &["openssl"]) && Dovecot::can_start(test))
            .then(|| Dovecot::start_with(true))
    }

    /// As `start_or_skip`, with `extra` appended to the configuration (later settings win;
    /// `{DIR}` is the instance's directory, prepared by `prepare` before Dovecot starts, and
    /// `{LMTP_PORT}` the LMTP port).
    /// For a documented configuration run as written.
    pub fn start_with_extra_or_skip(
        test: &str,
        extra: &str,
        prepare: &dyn Fn(&Path),
    ) -> Option<Dovecot> {
        Dovecot::can_start(test).then(|| Dovecot::start_configured(false, extra, prepare))
    }

    fn can_start(test: &str) -> bool {
        if !tools::have(test, &["dovecot"]) {
            return false;
        }
        if !tools::is_root() {
            tools::skip(
                test,
                "Dovecot needs root to start (its login processes switch to dovenull)",
            );
            return false;
        }
        for user in ["dovecot", "dovenull"] {
            if tools::user_ids(user).is_none() {
                tools::skip(
                    test,
                    &format!("user {user} missing (dovecot-core creates it)"),
                );
                return false;
            }
        }
        true
    }

    /// Starts Dovecot and waits until its three ports accept connections. Retries with new ports
    /// if one was taken in the meantime (free ports are found by binding and releasing them).
    pub fn start() -> Dovecot {
        Dovecot::start_with(false)
    }

    fn start_with(tls: bool) -> Dovecot {
        Dovecot::start_configured(tls, "", &|_| {})
    }

    fn start_configured(tls: bool, extra: &str, prepare: &dyn Fn(&Path)) -> Dovecot {
        let mut last_log = String::new();
        for _attempt in 0..3 {
            match Dovecot::try_start(tls, extra, prepare) {
                Ok(dovecot) => return dovecot,
                Err(log) => last_log = log,
            }
        }
        panic!("Dovecot did not start; its log:\n{last_log}");
    }

    fn try_start(tls: bool, extra: &str, prepare: &dyn Fn(&Path)) -> Result<Dovecot, String> {
        let dir = tempfile::Builder::new()
            .prefix("moat-dovecot-")
            .tempdir()
            .unwrap();
        // Dovecot's unprivileged processes must traverse it to reach sockets and mailboxes.
        tools::chmod(dir.path(), 0o755);
        let (uid, gid) = tools::user_ids("moatmail")
            .or_else(|| tools::user_ids("nobody"))
            .expect("a mail user: moatmail (scripts/test.sh creates it) or nobody");
        let mail = dir.path().join("mail");
        std::fs::create_dir(&mail).unwrap();
        std::os::unix::fs::chown(&mail, Some(uid), Some(gid)).unwrap();
        for sub in ["run", "state"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }

        let mut users = String::new();
        for user in USERS {
            // Home = the user's Maildir, so nothing is written outside the temporary directory.
            let (local, domain) = user.split_once('@').unwrap();
            let home = mail.join(domain).join(local);
            writeln!(
                users,
                "{user}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{}::",
                home.display()
            )
            .unwrap();
        }
        std::fs::write(dir.path().join("users"), users).unwrap();

        let lmtp: SocketAddr = ([127, 0, 0, 1], free_port()).into();
        let imap: SocketAddr = ([127, 0, 0, 1], free_port()).into();
        let pop3: SocketAddr = ([127, 0, 0, 1], free_port()).into();
        let imaps: Option<SocketAddr> = tls.then(|| ([127, 0, 0, 1], free_port()).into());
        let certificate = tls.then(|| self_signed(dir.path(), "dovecot"));
        let conf = dir.path().join("dovecot.conf");
        let mut text = config(dir.path(), lmtp, imap, pop3);
        if let Some(imaps) = imaps {
            text = with_tls(&text, dir.path(), imaps);
        }
        let extra = extra
            .replace("{DIR}", dir.path().to_str().unwrap())
            .replace("{LMTP_PORT}", &lmtp.port().to_string());
        text.push_str(&extra);
        prepare(dir.path());
        std::fs::write(&conf, text).unwrap();

        let console = std::fs::File::create(dir.path().join("console.log")).unwrap();
        let mut child = Command::new(tools::find_program("dovecot").expect("dovecot"))
            .arg("-F")
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(console.try_clone().unwrap())
            .stderr(console)
            .spawn()
            .expect("start dovecot");
        let ports: Vec<SocketAddr> = [lmtp, imap, pop3].into_iter().chain(imaps).collect();
        if tools::wait_listening(&mut child, &ports, Duration::from_secs(20)) {
            return Ok(Dovecot {
                lmtp,
                imap,
                pop3,
                imaps,
                certificate,
                dir,
                child,
            });
        }
        tools::terminate(&mut child, Duration::from_secs(5));
        Err(read_logs(dir.path()))
    }

    /// Every message in `user`'s INBOX, read over IMAP.
    pub fn imap_messages(&self, user: &str) -> Vec<Vec<u8>> {
        mailbox::imap_fetch_all(self.imap, user, PASSWORD)
    }

    /// Every message in `user`'s `folder` (`Junk` …), read over IMAP.
    pub fn imap_folder(&self, user: &str, folder: &str) -> Vec<Vec<u8>> {
        mailbox::imap_fetch_folder(self.imap, user, PASSWORD, folder)
    }

    /// Every message in `user`'s INBOX, read over POP3.
    pub fn pop3_messages(&self, user: &str) -> Vec<Vec<u8>> {
        mailbox::pop3_retrieve_all(self.pop3, user, PASSWORD)
    }

    /// Dovecot's log so far (its log file, then anything it printed to the console).
    pub fn log(&self) -> String {
        read_logs(self.dir.path())
    }

    /// Puts `message` into `folder` (`INBOX`, or a Maildir++ folder such as `Junk`) of
    /// `user`, owned by the mail user, as a local delivery agent would.
    pub fn deliver_to_folder(&self, user: &str, folder: &str, name: &str, message: &str) {
        let (local, domain) = user.split_once('@').unwrap();
        let home = self.mail_dir().join(domain).join(local);
        let dir = if folder == "INBOX" {
            home.clone()
        } else {
            home.join(format!(".{folder}"))
        };
        let path = dir.join("new").join(name);
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        std::fs::write(&path, message.replace("\r\n", "\n")).unwrap();
        let (uid, gid) = tools::user_ids("moatmail")
            .or_else(|| tools::user_ids("nobody"))
            .unwrap();
        let subs = ["cur", "new", "tmp"].map(|s| dir.join(s));
        for p in [&home, &dir, &path].into_iter().chain(&subs) {
            std::os::unix::fs::chown(p, Some(uid), Some(gid)).unwrap();
        }
    }

    /// The directory holding the Maildirs (`<domain>/<user>/{new,cur,tmp}`).
    pub fn mail_dir(&self) -> PathBuf {
        self.dir.path().join("mail")
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "---- Dovecot log ({}) ----\n{}",
                self.dir.path().display(),
                self.log()
            );
        }
        // The master's children notice its exit and stop on their own.
        tools::terminate(&mut self.child, Duration::from_secs(5));
    }
}

fn read_logs(dir: &Path) -> String {
    ["dovecot.log", "console.log"]
        .iter()
        .filter_map(|name| std::fs::read_to_string(dir.join(name)).ok())
        .collect()
}

/// A self-signed certificate for 127.0.0.1 (see `tools::self_signed`) in `dir`:
/// `<name>.pem`, key in `<name>.key`.
pub fn self_signed(dir: &Path, name: &str) -> PathBuf {
    tools::self_signed(dir, name, "127.0.0.1", "IP:127.0.0.1,DNS:localhost")
}

/// `config` with TLS on: the certificate from `self_signed(dir, "dovecot")`, an IMAPS
/// listener, and STARTTLS on the plain IMAP port.
fn with_tls(config: &str, dir: &Path, imaps: SocketAddr) -> String {
    let d = dir.display();
    let tls = format!("ssl = yes\nssl_cert = <{d}/dovecot.pem\nssl_key = <{d}/dovecot.key\n");
    config.replace("ssl = no\n", &tls).replacen(
        "inet_listener imaps {\n    port = 0\n",
        &format!("inet_listener imaps {{\n    port = {}\n", imaps.port()),
        1,
    )
}

/// A self-contained Dovecot configuration (no `!include` of /etc/dovecot).
fn config(dir: &Path, lmtp: SocketAddr, imap: SocketAddr, pop3: SocketAddr) -> String {
    let d = dir.display();
    let instance = dir.file_name().unwrap().to_string_lossy();
    format!(
        r#"# Written by tests/common/dovecot.rs for one test.
instance_name = {instance}
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
listen = 127.0.0.1
protocols = imap pop3 lmtp

# Loopback only: plaintext logins without TLS.
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login

# The mail user is a system user (uid below Dovecot's default of 500).
first_valid_uid = 1
mail_location = maildir:{d}/mail/%d/%n

passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {d}/users
}}

service imap-login {{
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {pop3_port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    port = {lmtp_port}
  }}
}}
"#,
        imap_port = imap.port(),
        pop3_port = pop3.port(),
        lmtp_port = lmtp.port(),
    )
}
