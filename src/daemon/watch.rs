//! Reload on change: polls the config file, the rule files, the list files, the score file (globs re-expanded, so a new
//! file in a watched directory counts) every `rules.watch`, and reloads when any of them
//! changed. Polling mtimes is dependency-free and costs a few `stat`s every couple of seconds.
//! The reload itself is the same all-or-nothing `Reloader::reload` as SIGHUP's.

use crate::config::Config;
use crate::inbound::server::Reloader;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// What was seen of each watched file: path, modification time, size (None if missing).
type Snapshot = Vec<(PathBuf, Option<(SystemTime, u64)>)>;

fn snapshot(config_path: Option<&Path>, config: &Config) -> Snapshot {
    let mut files: Vec<PathBuf> = config_path.into_iter().map(Path::to_path_buf).collect();
    files.extend(
        crate::rules::check::expand(&config.policy.rule_files)
            .unwrap_or_default()
            .into_iter()
            .filter(|f| f.as_os_str() != crate::rules::builtin::NAME),
    );
    // List files (`lists: … {file: path}`) reload with the config.
    files.extend(config.policy.allow.files.iter().cloned());
    files.extend(config.policy.deny.files.iter().cloned());
    // A refitted score file (`rules.scores`) reloads with the config, all or nothing.
    files.extend(config.policy.scores_file.iter().cloned());
    files
        .into_iter()
        .map(|f| {
            let meta = std::fs::metadata(&f).ok();
            let stamp = meta.and_then(|m| Some((m.modified().ok()?, m.len())));
            (f, stamp)
        })
        .collect()
}

/// Takes the baseline now — before the server accepts its first client — and watches in a
/// task until the process ends. (Taking it inside the task raced with an early edit: a file
/// changed before the task first ran was never noticed.)
pub fn spawn(reloader: Reloader, config_path: Option<PathBuf>) -> tokio::task::JoinHandle<()> {
    let seen = snapshot(config_path.as_deref(), &reloader.current().config);
    tokio::spawn(watch(reloader, config_path, seen))
}

/// How long the files must stay unchanged before a reload reads them.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(250);

/// Waits until the watched files stop changing: a file caught between its truncation and
/// its last write (`echo … > moat.yaml`, most editors' non-atomic saves) may even parse and
/// would be applied until the next poll. Bounded: after 20 changes in a row it goes on with
/// what it sees (the next poll catches the rest).
async fn settled(config_path: Option<&Path>, reloader: &Reloader, mut now: Snapshot) -> Snapshot {
    for _ in 0..20 {
        tokio::time::sleep(SETTLE).await;
        let again = snapshot(config_path, &reloader.current().config);
        if again == now {
            break;
        }
        now = again;
    }
    now
}

async fn watch(reloader: Reloader, config_path: Option<PathBuf>, mut seen: Snapshot) {
    loop {
        let every = reloader.current().config.policy.watch;
        // Zero disables the watch; a later reload (SIGHUP) may enable it again.
        tokio::time::sleep(if every.is_zero() {
            std::time::Duration::from_secs(2)
        } else {
            every
        })
        .await;
        if every.is_zero() {
            continue;
        }
        let now = snapshot(config_path.as_deref(), &reloader.current().config);
        if now == seen {
            continue;
        }
        seen = settled(config_path.as_deref(), &reloader, now).await;
        tracing::info!("configuration or rule file changed: reloading");
        // Same step as SIGHUP and POST /reload (it logs and counts a failure itself). `seen`
        // stays the snapshot taken *before* loading: an editor still writing the file while
        // it was read (a truncated file can even parse) is seen as a change at the next poll.
        // If the new configuration watches other files, that too shows as a change then, and
        // costs one more reload.
        let _ = reloader.reload_from(config_path.as_deref());
    }
}
