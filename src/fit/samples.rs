//! Labelled mail → what the server's judgement says of each message: the findings of
//! `scan::scan_one` (sender authentication when enabled, lists, every check) with their
//! configured scores, before any score file, and the classifier's tokens when its bands are
//! fitted too (their findings come from models that never saw the message: `bands`).

use crate::checks::Finding;
use crate::cli::scan::EnvelopeOverride;
use crate::config::Config;
use crate::runtime::Runtime;
use std::path::PathBuf;
use std::sync::Arc;

/// One labelled message as the pipeline saw it.
#[derive(Debug, Clone)]
pub struct Sample {
    pub spam: bool,
    pub path: PathBuf,
    /// Index into `Corpus::folders`: the `--spam`/`--ham` path it came from.
    pub folder: usize,
    /// Content hash (as `moat learn` de-duplicates): decides the message's fold.
    pub hash: u64,
    /// Findings with the configured scores, `rules.scores` not applied.
    pub findings: Vec<Finding>,
    /// The classifier's tokens; empty unless its bands are fitted.
    pub tokens: Vec<u64>,
    /// How many of `tokens`, at the front, are of the sender and path (`tokens::split`).
    pub sender: usize,
}

/// Every labelled message, and the folders they came from.
#[derive(Debug, Default)]
pub struct Corpus {
    pub samples: Vec<Sample>,
    /// (path as given, holds spam)
    pub folders: Vec<(String, bool)>,
    /// Files that could not be read.
    pub unreadable: usize,
}

impl Corpus {
    pub fn fold_of(&self, s: &Sample, folds: usize) -> usize {
        (s.hash % folds as u64) as usize
    }
}

/// The runtime the fit judges with: the configured one, without a score file (the fit
/// needs every finding's own score) and without the configured model (the classifier's
/// bands come from models trained on the labelled mail itself, see `bands`).
pub fn runtime(config: &Config) -> Result<Runtime, crate::config::ConfigErrors> {
    let mut c = config.clone();
    c.policy.scores = Arc::default();
    c.bayes.model = None;
    c.bayes.redis = None;
    Runtime::new(c)
}

/// Judges every message under the given paths (files, directories, Maildirs).
pub fn collect(
    rt: &Runtime,
    spam: &[PathBuf],
    ham: &[PathBuf],
    with_tokens: bool,
) -> std::io::Result<Corpus> {
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut corpus = Corpus::default();
    let labelled = spam
        .iter()
        .map(|p| (p, true))
        .chain(ham.iter().map(|p| (p, false)));
    for (path, is_spam) in labelled {
        let folder = corpus.folders.len();
        corpus.folders.push((path.display().to_string(), is_spam));
        let files = crate::message::mailstore::message_files(std::slice::from_ref(path))?;
        for (n, f) in files.iter().enumerate() {
            let bytes = match std::fs::read(f) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("{}: {e}", f.display());
                    corpus.unreadable += 1;
                    continue;
                }
            };
            // An mbox file is many messages; each is named FILE#N in the mistakes list.
            for message in crate::message::mailstore::messages(bytes) {
                let raw = message.raw;
                let hash = crate::bayes::learn::message_hash(&raw);
                let (tokens, sender) = if with_tokens {
                    crate::bayes::tokens::split(&crate::bayes::learn::facts_of(&raw))
                } else {
                    (Vec::new(), 0)
                };
                let verdict = tokio.block_on(crate::cli::scan::scan_one(
                    rt,
                    raw,
                    &EnvelopeOverride::default(),
                ));
                let path = match message.index {
                    Some(i) => PathBuf::from(format!("{}#{i}", f.display())),
                    None => f.clone(),
                };
                corpus.samples.push(Sample {
                    spam: is_spam,
                    path,
                    folder,
                    hash,
                    findings: verdict.findings,
                    tokens,
                    sender,
                });
            }
            if (n + 1) % 500 == 0 {
                eprintln!("judged {}/{} of {}", n + 1, files.len(), path.display());
            }
        }
    }
    Ok(corpus)
}
