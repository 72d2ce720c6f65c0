//! A small HTTP/1.0 client for the console with a one-cookie jar, and the fixture: Moat with
//! the console on loopback port 0, an admin account, a link secret and a quarantine filled
//! with chosen messages before it starts.

use crate::common::moat::Moat;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::time::Duration;

pub const ADMIN: &str = "root";
pub const ADMIN_PASSWORD: &str = "correct horse battery";

pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

/// One browser-like client: keeps the session cookie the console sets.
pub struct Client {
    pub addr: SocketAddr,
    pub cookie: Option<String>,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Client {
        Client { addr, cookie: None }
    }

    pub fn request(&mut self, method: &str, target: &str, body: &str) -> Answer {
        let mut s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let cookie = self
            .cookie
            .as_ref()
            .map(|c| format!("Cookie: {c}\r\n"))
            .unwrap_or_default();
        let kind = if body.is_empty() {
            ""
        } else {
            "Content-Type: application/x-www-form-urlencoded\r\n"
        };
        write!(
            s,
            "{method} {target} HTTP/1.0\r\nHost: {}\r\n{cookie}{kind}Content-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").expect("HTTP head");
        let answer = Answer {
            status: head.split(' ').nth(1).unwrap().parse().unwrap(),
            head: head.to_string(),
            body: body.to_string(),
        };
        if let Some(set) = answer.header("set-cookie") {
            let pair = set.split(';').next().unwrap().to_string();
            self.cookie = (!pair.ends_with('=')).then_some(pair);
        }
        answer
    }

    pub fn get(&mut self, target: &str) -> Answer {
        self.request("GET", target, "")
    }

    pub fn post(&mut self, target: &str, form: &[(&str, &str)]) -> Answer {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        self.request("POST", target, &body)
    }

    pub fn login(&mut self, name: &str, password: &str) -> Answer {
        self.post("/login", &[("name", name), ("password", password)])
    }

    /// The CSRF token of the session, read from a page's form.
    pub fn csrf(&mut self) -> String {
        let page = self.get("/quarantine");
        let at = page
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a form with a CSRF token");
        page.body[at + 19..at + 19 + 64].to_string()
    }
}

/// A held message, as the store writes it: metadata line, then the message.
pub fn hold(dir: &Path, id: &str, to: &str, subject: &str, message: &str) {
    let held = dir.join("quarantine").join("held");
    std::fs::create_dir_all(&held).unwrap();
    let meta = serde_json::json!({
        "id": id, "time": 1_796_342_400u64, "reference": format!("ref-{id}"),
        "client_ip": "192.0.2.7", "helo": "spam.example", "mail_from": "sender@origin.test",
        "rcpt_to": [to], "score": 12.0, "tests": "TEST_HOLD", "subject": subject,
    });
    std::fs::write(held.join(format!("{id}.msg")), format!("{meta}\n{message}")).unwrap();
}

pub fn message(to: &str, subject: &str, body: &str) -> String {
    format!(
        "From: sender@origin.test\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{}@origin.test>\r\n\r\n{body}\r\n",
        subject.replace(' ', ".")
    )
}

/// Moat with the console; `prepare(dir)` fills the quarantine before it starts; `extra` is
/// more YAML for the `console:` section (indented two spaces).
pub fn start(backend: &str, extra: &str, prepare: &dyn Fn(&Path)) -> (Moat, SocketAddr) {
    let dir = tempfile::tempdir().unwrap();
    let admins = dir.path().join("admins");
    std::fs::write(
        &admins,
        format!(
            "{ADMIN}:{}\n",
            moat::console::accounts::hash(ADMIN_PASSWORD)
        ),
    )
    .unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "0123456789abcdef0123456789abcdef-test-secret").unwrap();
    let qdir = dir.path().join("q");
    std::fs::create_dir_all(&qdir).unwrap();
    prepare(&qdir);
    let yaml = format!(
        "hostname: mx.example.test\nlisten:\n  - 127.0.0.1:{{PORT}}\ndomains:\n  - example.test\nbackend:\n{backend}\nquarantine:\n  path: {q}/quarantine\nshutdown_grace: 1s\nconsole:\n  listen: 127.0.0.1:0\n  url: http://console.example.test\n  admins: {a}\n  secret_file: {s}\n{extra}",
        q = qdir.display(),
        a = admins.display(),
        s = secret.display(),
    );
    let moat = Moat::start(&yaml);
    let addr = moat.console.expect("moat reports console=");
    // Keep the temporary directory (admins file, secret) as long as the test.
    std::mem::forget(dir);
    (moat, addr)
}

/// A fake IMAP server on loopback that accepts `user`/`password` only, for recipients' logins
/// in the loopback tests (the browser test uses a real Dovecot).
pub fn fake_imap(user: &'static str, password: &'static str) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let mut s = s;
            let _ = s.write_all(b"* OK fake IMAP ready\r\n");
            let mut buf = [0u8; 1024];
            let n = s.read(&mut buf).unwrap_or(0);
            let line = String::from_utf8_lossy(&buf[..n]).to_string();
            let ok = line == format!("m1 LOGIN \"{user}\" \"{password}\"\r\n");
            let _ = s.write_all(if ok {
                b"m1 OK LOGIN done\r\n"
            } else {
                b"m1 NO [AUTHENTICATIONFAILED] no\r\n"
            });
        }
    });
    addr
}
