//! A private Postfix: its own `config_directory`, queue and data directories in a temporary
//! directory, smtpd on a loopback port with `smtpd_milters` pointing at Moat, and the
//! `virtual` agent delivering every accepted message to one Maildir. Runs as root (Postfix's
//! master must), with the `postfix` user Debian's package creates.

use crate::common::moat::free_port;
use crate::common::poll::poll_until;
use crate::common::tools;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

pub struct Postfix {
    pub addr: SocketAddr,
    dir: tempfile::TempDir,
}

/// The services this instance runs (master.cf), all unchrooted.
const SERVICES: &str = "pickup unix n - n 60 1 pickup\ncleanup unix n - n - 0 cleanup\n\
    qmgr unix n - n 300 1 qmgr\nrewrite unix - - n - - trivial-rewrite\n\
    bounce unix - - n - 0 bounce\ndefer unix - - n - 0 bounce\ntrace unix - - n - 0 bounce\n\
    verify unix - - n - 1 verify\nflush unix n - n 1000? 0 flush\nproxymap unix - - n - - proxymap\n\
    smtp unix - - n - - smtp\nrelay unix - - n - - smtp\nshowq unix n - n - - showq\n\
    error unix - - n - - error\nretry unix - - n - - error\ndiscard unix - - n - - discard\n\
    local unix - n n - - local\nvirtual unix - n n - - virtual\nanvil unix - - n - 1 anvil\n\
    scache unix - - n - 1 scache\npostlog unix-dgram n - n - 1 postlogd\n";

impl Postfix {
    /// Starts Postfix with `smtpd_milters = inet:<milter>`; `None` (after `tools::skip`) when
    /// Postfix is missing or the test does not run as root.
    pub fn start_or_skip(test: &str, milter: SocketAddr) -> Option<Postfix> {
        if !tools::have(test, &["postfix", "swaks"]) {
            return None;
        }
        if !tools::is_root() {
            tools::skip(test, "a private Postfix needs root");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for sub in ["queue", "data", "mail"] {
            std::fs::create_dir(d.join(sub)).unwrap();
        }
        // Postfix's master refuses a group- or world-writable parent of its queue.
        tools::chmod(d, 0o755);
        let (uid, gid) = tools::user_ids("postfix").expect("the postfix user");
        std::os::unix::fs::chown(d.join("data"), Some(uid), Some(gid)).unwrap();
        let (nobody, nogroup) = tools::user_ids("nobody").expect("the nobody user");
        std::os::unix::fs::chown(d.join("mail"), Some(nobody), Some(nogroup)).unwrap();
        let port = free_port();
        let main = format!(
            "compatibility_level = 3.6\nqueue_directory = {q}\ndata_directory = {data}\n\
             mail_owner = postfix\nsetgid_group = postdrop\nmyhostname = pf.doors.test\n\
             mydomain = doors.test\nmyorigin = pf.doors.test\nmydestination =\n\
             inet_interfaces = 127.0.0.1\ninet_protocols = ipv4\nmynetworks = 127.0.0.0/8\n\
             virtual_mailbox_domains = example.test\nvirtual_mailbox_base = {mail}\n\
             virtual_mailbox_maps = static:inbox/\nvirtual_uid_maps = static:{nobody}\n\
             virtual_gid_maps = static:{nogroup}\nalias_maps =\nalias_database =\n\
             smtpd_milters = inet:{milter}\nmilter_default_action = tempfail\n\
             maillog_file = {d}/maillog\nmaillog_file_prefixes = {d}\nbiff = no\n\
             smtputf8_enable = no\n",
            q = d.join("queue").display(),
            data = d.join("data").display(),
            mail = d.join("mail").display(),
            d = d.display(),
        );
        std::fs::write(d.join("main.cf"), main).unwrap();
        let master = format!("127.0.0.1:{port} inet n - n - - smtpd\n{SERVICES}");
        std::fs::write(d.join("master.cf"), master).unwrap();
        let out = Command::new(tools::find_program("postfix").unwrap())
            .arg("-c")
            .arg(d)
            .arg("start")
            .output()
            .unwrap();
        let postfix = Postfix {
            addr: format!("127.0.0.1:{port}").parse().unwrap(),
            dir,
        };
        assert!(
            out.status.success(),
            "postfix start: {}\n{}",
            tools::transcript(&out),
            postfix.log()
        );
        let listening = poll_until(Duration::from_secs(20), || {
            TcpStream::connect(postfix.addr).is_ok()
        });
        assert!(listening, "Postfix not listening:\n{}", postfix.log());
        Some(postfix)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("maillog")).unwrap_or_default()
    }

    fn inbox(&self) -> PathBuf {
        self.dir.path().join("mail/inbox/new")
    }

    /// Waits until `n` messages are in the Maildir, and returns them (oldest first).
    pub fn delivered(&self, n: usize) -> Vec<Vec<u8>> {
        let files = || -> Vec<std::path::PathBuf> {
            std::fs::read_dir(self.inbox())
                .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
                .unwrap_or_default()
        };
        let arrived = poll_until(Duration::from_secs(20), || files().len() >= n);
        let mut files = files();
        assert!(arrived, "{} of {n} delivered:\n{}", files.len(), self.log());
        files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        files.iter().map(|p| std::fs::read(p).unwrap()).collect()
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let _ = Command::new(tools::find_program("postfix").unwrap())
            .arg("-c")
            .arg(self.dir.path())
            .arg("abort")
            .output();
    }
}
