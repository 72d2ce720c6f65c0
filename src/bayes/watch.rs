//! `moat learn --watch`: keeps the classifier learning from the users' own sorting. Every
//! `--every`, one IMAP session reads the new messages of the spam folders (`Junk`), the ham
//! folders (`INBOX`, `Archive`) and, last, the correction folders (`Not-Junk`: mail the user
//! took out of Junk, relearned as ham), and saves the model (file or Redis) when it changed.
//!
//! Incremental: per folder the state file remembers UIDVALIDITY and the highest UID learned,
//! so a round fetches only what arrived since (`UID SEARCH UID n:*`). Idempotent: the model
//! itself knows every message it learned by hash, so a folder read again (new UIDVALIDITY,
//! lost state file) counts nothing twice, and a message the user moved to the other class
//! is moved in the counts, not added. Corrections come last, so they win within a round.
//!
//! Poisoning guard: a message in a ham folder that Moat itself marked (`X-Spam-Flag: YES`)
//! is not learned as ham — the user has not sorted it yet; moved to a correction folder it
//! is. The IMAP rules are those of `moat learn --imap` (TLS, verified certificates,
//! credentials from a file or the environment).

use super::imap::{self, ImapArgs, Session, quote};
use super::learn::{self, Tally};
use super::model::{Class, Model};
use super::shared::Target;
use crate::config::Config;
use anyhow::Context;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub struct WatchArgs {
    /// `--model FILE`, else the configured storage (as `moat learn`).
    pub model: Option<PathBuf>,
    /// The server, credentials and CA (its folder and class are not used).
    pub imap: ImapArgs,
    pub spam: Vec<String>,
    pub ham: Vec<String>,
    pub corrections: Vec<String>,
    pub every: Duration,
    /// Stop after this many rounds (`None`: run until killed).
    pub rounds: Option<u64>,
    /// Where the UIDs learned are remembered; default next to the model or configuration.
    pub state: Option<PathBuf>,
}

/// What a folder holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Spam,
    Ham,
    Correction,
}

/// Folder → (UIDVALIDITY, highest UID learned).
type State = BTreeMap<String, (u64, u64)>;

/// Runs the rounds; each prints one line per folder. An error in a round (server down,
/// Redis busy) is reported and retried next round; the watcher itself keeps running.
pub fn run(config: &Config, args: &WatchArgs) -> anyhow::Result<()> {
    let state_path = args
        .state
        .clone()
        .unwrap_or_else(|| default_state(config, args));
    let mut round = 0;
    loop {
        round += 1;
        let failed = match one_round(config, args, &state_path) {
            Ok(lines) => {
                // A closed stdout (the log reader went away) does not stop the learning.
                let mut out = std::io::stdout().lock();
                for l in lines {
                    let _ = writeln!(out, "round {round}: {l}");
                }
                let _ = out.flush();
                false
            }
            Err(e) => {
                eprintln!("moat learn --watch: round {round}: {e:#}");
                true
            }
        };
        if args.rounds.is_some_and(|n| round >= n) {
            // Run from cron with `--rounds 1`, a failed last round is the exit status.
            if failed {
                anyhow::bail!("the last round failed");
            }
            return Ok(());
        }
        std::thread::sleep(args.every);
    }
}

fn default_state(config: &Config, args: &WatchArgs) -> PathBuf {
    let base = match (&args.model, &config.bayes.redis) {
        (Some(m), _) => m.clone(),
        (None, None) => super::shared::default_model_path(config),
        (None, Some(_)) => crate::config::paths::resolve(&config.origin, "moat-bayes"),
    };
    let mut name = base.into_os_string();
    name.push(".watch");
    PathBuf::from(name)
}

fn one_round(config: &Config, args: &WatchArgs, state_path: &Path) -> anyhow::Result<Vec<String>> {
    let mut state = load_state(state_path)?;
    let mut target = Target::for_learn(config, args.model.clone())?;
    let mut model = target.open()?;
    let mut session = imap::login(&args.imap)?;
    let plan = args
        .spam
        .iter()
        .map(|f| (f, Kind::Spam))
        .chain(args.ham.iter().map(|f| (f, Kind::Ham)))
        .chain(args.corrections.iter().map(|f| (f, Kind::Correction)));
    let (mut lines, mut changed) = (Vec::new(), false);
    for (folder, kind) in plan {
        match learn_folder(&mut session, &mut model, folder, kind, &mut state) {
            Ok((tally, skipped)) => {
                changed |= tally.new + tally.moved > 0;
                lines.push(format!(
                    "{folder} ({}): {} learned, {} already known, {} moved from the other class{}",
                    match kind {
                        Kind::Spam => "spam",
                        Kind::Ham => "ham",
                        Kind::Correction => "correction, ham",
                    },
                    tally.new,
                    tally.known,
                    tally.moved,
                    if skipped > 0 {
                        format!(", {skipped} marked by Moat left unlearned")
                    } else {
                        String::new()
                    }
                ));
            }
            // A folder a user does not have (no Archive) is not an error of the round.
            Err(e) => lines.push(format!("{folder}: skipped ({e:#})")),
        }
    }
    let _ = session.command("LOGOUT");
    if changed && let Some(v) = target.save(&model)? {
        lines.push(format!("published version {v} to Redis"));
    }
    // The state is saved after the model: a crash in between reads the folders again next
    // round, which the model's message hashes make harmless.
    save_state(state_path, &state)?;
    lines.push(format!(
        "model {}: {} spam, {} ham{}",
        target.describe(),
        model.nspam,
        model.nham,
        if changed { "" } else { " (unchanged)" }
    ));
    Ok(lines)
}

/// Learns the messages of `folder` that arrived since the last round.
fn learn_folder(
    s: &mut Session,
    model: &mut Model,
    folder: &str,
    kind: Kind,
    state: &mut State,
) -> anyhow::Result<(Tally, usize)> {
    let selected = s
        .command(&format!("SELECT {}", quote(folder)))
        .with_context(|| format!("SELECT {folder}"))?;
    let validity = selected
        .iter()
        .find_map(|(l, _)| number_after(l, "[UIDVALIDITY "))
        .unwrap_or(0);
    // A new UIDVALIDITY means the UIDs were renumbered: read the folder again.
    let last = match state.get(folder) {
        Some(&(v, uid)) if v == validity => uid,
        _ => 0,
    };
    let found = s.command(&format!("UID SEARCH UID {}:*", last + 1))?;
    // `n:*` always includes the highest UID, even when it is below n.
    let uids: Vec<u64> = found
        .iter()
        .filter_map(|(l, _)| l.strip_prefix("* SEARCH"))
        .flat_map(|rest| rest.split_whitespace().filter_map(|w| w.parse().ok()))
        .filter(|uid| *uid > last)
        .collect();
    let (mut tally, mut skipped, mut highest) = (Tally::default(), 0, last);
    for uid in uids {
        let fetched = s.command(&format!("UID FETCH {uid} BODY.PEEK[]"))?;
        let Some(raw) = fetched.into_iter().find_map(|(_, lit)| lit) else {
            anyhow::bail!("UID FETCH {uid}: no message in the answer");
        };
        highest = highest.max(uid);
        match kind {
            Kind::Spam => tally.add(learn::learn_one(model, &raw, Class::Spam)),
            Kind::Ham if marked_by_moat(&raw) => skipped += 1,
            Kind::Ham | Kind::Correction => tally.add(learn::learn_one(model, &raw, Class::Ham)),
        }
    }
    state.insert(folder.to_string(), (validity, highest));
    Ok((tally, skipped))
}

fn number_after(line: &str, prefix: &str) -> Option<u64> {
    let rest = &line[line.find(prefix)? + prefix.len()..];
    rest.split(']').next()?.trim().parse().ok()
}

/// Whether the message's header says Moat marked it as spam (`X-Spam-Flag: YES`).
fn marked_by_moat(raw: &[u8]) -> bool {
    let end = memchr::memmem::find(raw, b"\n\r\n")
        .or_else(|| memchr::memmem::find(raw, b"\n\n"))
        .unwrap_or(raw.len());
    String::from_utf8_lossy(&raw[..end]).lines().any(|l| {
        l.split_once(':').is_some_and(|(name, value)| {
            name.eq_ignore_ascii_case("x-spam-flag") && value.trim().eq_ignore_ascii_case("yes")
        })
    })
}

/// One line per folder: `UIDVALIDITY UID FOLDER` (the name last: it may contain spaces).
fn load_state(path: &Path) -> anyhow::Result<State> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let mut state = State::new();
    for (n, line) in text.lines().enumerate() {
        let mut parts = line.splitn(3, ' ');
        match (
            parts.next().and_then(|v| v.parse().ok()),
            parts.next().and_then(|u| u.parse().ok()),
            parts.next(),
        ) {
            (Some(v), Some(u), Some(folder)) => {
                state.insert(folder.to_string(), (v, u));
            }
            // A damaged state only costs reading folders again (the model de-duplicates).
            _ => eprintln!(
                "{}:{}: not `UIDVALIDITY UID FOLDER`; that folder is read again",
                path.display(),
                n + 1
            ),
        }
    }
    Ok(state)
}

fn save_state(path: &Path, state: &State) -> anyhow::Result<()> {
    let text: String = state
        .iter()
        .map(|(folder, (v, u))| format!("{v} {u} {folder}\n"))
        .collect();
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", path.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests;
