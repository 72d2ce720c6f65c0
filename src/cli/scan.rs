//! `moat scan`: the server's judgement (sender authentication when `auth.enabled`, lists →
//! checks → verdict, via `judge`) applied to stored messages, without relaying. The envelope
//! is taken from the message itself — the newest `Received:` header from an outside address
//! gives client IP and HELO, `Return-Path:` (or `From:`) the sender, `To:`/`Cc:` the
//! recipients — unless `--client-ip`, `--helo` or `--mail-from` give it.

use crate::checks::MessageContext;
use crate::cli::terminal::field;
use crate::rules::facts::Facts;
use crate::runtime::Runtime;
use crate::smtp::address::{Mailbox, ReversePath};
use crate::verdict::{Action, Verdict};
use mail_parser::{Host, Message};
use std::collections::BTreeMap;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

pub struct Options {
    pub explain: bool,
    pub json: bool,
    /// What the command line says about the envelope, over what the headers say.
    pub envelope: EnvelopeOverride,
}

/// `--client-ip`, `--helo`, `--mail-from`: the SMTP envelope the message came with, when the
/// stored copy does not tell it (or tells it wrong).
#[derive(Debug, Clone, Default)]
pub struct EnvelopeOverride {
    pub client_ip: Option<IpAddr>,
    pub helo: Option<String>,
    /// `""` or `<>` for the null sender.
    pub mail_from: Option<String>,
}

/// Judges one stored message, as the server would have at the end of DATA.
pub async fn scan_one(rt: &Runtime, raw: Vec<u8>, envelope: &EnvelopeOverride) -> Verdict {
    let mut context = context_of(raw, !rt.checks.is_empty());
    if let Some(ip) = envelope.client_ip {
        context.client_ip = ip;
    }
    if let Some(helo) = &envelope.helo {
        context.helo = helo.clone();
    }
    if let Some(from) = &envelope.mail_from {
        context.from = mailbox(from).map_or(ReversePath::Null, ReversePath::Mailbox);
    }
    let (_, findings, _) = crate::checks::judge::authenticate(
        rt,
        &context.reference,
        context.client_ip,
        &context.helo,
        &context.from,
        None,
        &context.body,
    )
    .await;
    crate::checks::judge::judge(rt, Arc::new(context), findings).await
}

fn mailbox(addr: &str) -> Option<Mailbox> {
    crate::smtp::address::parse_mailbox(addr.trim().trim_matches(['<', '>'])).ok()
}

/// Stored mail often starts with an mbox `From ` line, which is not a header.
fn strip_mbox_line(mut raw: Vec<u8>) -> Vec<u8> {
    if raw.starts_with(b"From ") {
        let end = memchr::memchr(b'\n', &raw)
            .map(|i| i + 1)
            .unwrap_or(raw.len());
        raw.drain(..end);
    }
    raw
}

/// The newest hop from outside: local fetchers and filters add Received headers from
/// loopback or private addresses, which say nothing about the sender.
fn outside_ip(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_loopback() || v4.is_private() || v4.is_link_local() || v4.is_unspecified())
        }
        IpAddr::V6(v6) => !(v6.is_loopback() || v6.is_unspecified()),
    }
}

/// The message's context, with its facts when checks will read them: the message is parsed
/// once, for the envelope found in its headers and for the rules.
fn context_of(raw: Vec<u8>, with_facts: bool) -> MessageContext {
    let raw = Arc::new(strip_mbox_line(raw));
    let parsed = crate::rules::facts::parse(&raw);
    let mut context = envelope_of(parsed.as_ref(), raw.clone());
    if !with_facts {
        return context;
    }
    let facts = Facts::from_parsed(
        &raw,
        parsed.as_ref(),
        &context.envelope(),
        crate::rules::check::now_unix(),
    );
    context.facts = Arc::new(OnceLock::from(Arc::new(facts)));
    context
}

fn envelope_of(parsed: Option<&Message>, raw: Arc<Vec<u8>>) -> MessageContext {
    let (mut ip, mut helo, mut from, mut rcpts): (IpAddr, String, Option<Mailbox>, Vec<Mailbox>) =
        ([127, 0, 0, 1].into(), String::new(), None, Vec::new());
    if let Some(m) = parsed {
        let outside = m
            .received_all()
            .find(|r| r.from_ip().is_some_and(|ip| outside_ip(&ip)));
        if let Some(r) = outside {
            ip = r.from_ip().unwrap_or(ip);
            helo = match r.helo() {
                Some(Host::Name(n)) => n.to_string(),
                Some(Host::IpAddr(a)) => format!("[{a}]"),
                None => String::new(),
            };
        }
        let sender = m.return_address().map(str::to_string).or_else(|| {
            m.from()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .map(str::to_string)
        });
        from = sender.as_deref().and_then(mailbox);
        for list in [m.to(), m.cc()].into_iter().flatten() {
            rcpts.extend(list.iter().filter_map(|a| a.address()).filter_map(mailbox));
        }
    }
    MessageContext {
        reference: "scan".into(),
        client_ip: ip,
        helo,
        tls: None,
        from: from.map(ReversePath::Mailbox).unwrap_or(ReversePath::Null),
        recipients: rcpts,
        body: raw,
        facts: Default::default(),
    }
}

/// Scans every message (Maildirs and mbox files as `crate::message::mailstore` reads them); prints
/// one line per message (or the explanation / JSON), and for more than one message a
/// summary by action. Returns the action when there was exactly one message, and the count
/// of unreadable files; a write error (the reader of `out` went away) stops the scan.
pub async fn run(
    rt: &Runtime,
    paths: &[PathBuf],
    opts: &Options,
    out: &mut dyn Write,
) -> std::io::Result<(Option<Action>, usize)> {
    let list = match crate::message::mailstore::message_files(paths) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("moat scan: {e}");
            return Ok((None, 1));
        }
    };
    let mut summary: BTreeMap<Action, usize> = BTreeMap::new();
    let (mut last, mut errors, mut scanned) = (None, 0, 0);
    let explainer =
        (opts.explain && !opts.json).then(|| crate::bayes::explain::Explainer::new(&rt.config));
    for path in &list {
        let bytes = match std::fs::read(path) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{}: {e}", field(&path.display().to_string()));
                errors += 1;
                continue;
            }
        };
        // An mbox file is many messages, each judged on its own.
        for message in crate::message::mailstore::messages(bytes) {
            // `--explain` reads the classifier's clues from the message again.
            let raw = explainer.as_ref().map(|_| message.raw.clone());
            let v = scan_one(rt, message.raw, &opts.envelope).await;
            *summary.entry(v.action).or_default() += 1;
            last = Some(v.action);
            print_verdict(
                out,
                &Source {
                    path,
                    index: message.index,
                },
                &v,
                opts,
                explainer.as_ref(),
            )?;
            if let (Some(e), Some(raw)) = (&explainer, &raw) {
                e.write(out, raw, &v)?;
            }
            scanned += 1;
            if !opts.json && scanned % 500 == 0 {
                eprintln!("scanned {scanned} messages");
            }
        }
    }
    let many = scanned > 1;
    if many {
        // The exit status speaks for one message only.
        last = None;
    }
    if many && !opts.json {
        let parts: Vec<String> = summary
            .iter()
            .map(|(a, c)| format!("{}={c}", a.as_str()))
            .collect();
        writeln!(out, "summary: {scanned} messages: {}", parts.join(" "))?;
    }
    Ok((last, errors))
}

/// Where a judged message came from: a file, or the n-th message of an mbox file.
struct Source<'a> {
    path: &'a Path,
    index: Option<usize>,
}

impl Source<'_> {
    /// `FILE`, or `FILE#N` for the N-th message of an mbox.
    fn name(&self) -> String {
        match self.index {
            None => self.path.display().to_string(),
            Some(n) => format!("{}#{n}", self.path.display()),
        }
    }
}

fn print_verdict(
    out: &mut dyn Write,
    source: &Source,
    v: &Verdict,
    opts: &Options,
    explainer: Option<&crate::bayes::explain::Explainer>,
) -> std::io::Result<()> {
    if opts.json {
        let findings: Vec<_> = v
            .findings
            .iter()
            .map(|f| serde_json::json!({"id": f.id, "score": f.score, "reason": f.reason, "force": f.force.map(|a| a.as_str())}))
            .collect();
        let mut line = serde_json::json!({
            "file": source.path.display().to_string(),
            "action": v.action.as_str(),
            "score": v.score,
            "required": if v.required.is_finite() { v.required } else { 0.0 },
            "findings": findings,
        });
        if let Some(n) = source.index {
            line["message"] = n.into();
        }
        return writeln!(out, "{line}");
    }
    // File names and finding reasons can carry text from the messages: escaped for the
    // terminal (`--json` is escaped by JSON itself).
    writeln!(
        out,
        "{}: {} score={:.1} tests={}",
        field(&source.name()),
        v.action.as_str(),
        v.score,
        v.tests()
    )?;
    if let Some(explainer) = explainer {
        let mut findings: Vec<_> = v.findings.iter().collect();
        findings.sort_by(|a, b| b.score.total_cmp(&a.score));
        for f in findings {
            let force = f
                .force
                .map(|a| format!(" (forces {})", a.as_str()))
                .unwrap_or_default();
            writeln!(
                out,
                "  {:>7.2}  {}{}{}: {}",
                f.score,
                f.id,
                explainer.origin(&f.id, f.score),
                force,
                field(&f.reason)
            )?;
        }
    }
    Ok(())
}
