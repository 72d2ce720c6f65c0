//! The flush: every `bayes.autolearn.every` the queued messages are added to the model and
//! the model saved the way `moat learn` saves it — a model file under its lock
//! (`<model>.lock`), re-read under it, then replaced atomically; a model in Redis re-read
//! and published with its compare-and-set, retried when another learner published first.
//! A batch that cannot be saved waits for the next flush (within the queue's bound).

use super::metrics;
use super::queue::{Item, Learner};
use crate::bayes::model::{Class, Model};
use crate::bayes::shared::Live;
use crate::bayes::{Classifier, store};
use crate::config::bayes::BayesConfig;
use crate::runtime::Runtime;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

pub type Current = Arc<dyn Fn() -> Arc<Runtime> + Send + Sync>;

/// Live handles on model files (one per configuration that loaded the file with autolearn
/// on), swapped to the new model after each flush into that file.
type Followers = Vec<(PathBuf, BayesConfig, Weak<Live>)>;
static FOLLOWERS: Mutex<Followers> = Mutex::new(Vec::new());

/// Set at shutdown: the task stops, `shutdown` does the last flush itself.
static STOPPING: AtomicBool = AtomicBool::new(false);

/// How often a flush into Redis re-reads and retries when another learner published first.
const REDIS_ATTEMPTS: usize = 5;

pub fn follow(path: &Path, config: &BayesConfig, live: Weak<Live>) {
    let mut followers = FOLLOWERS.lock().unwrap_or_else(|e| e.into_inner());
    followers.retain(|(_, _, l)| l.strong_count() > 0);
    followers.push((path.to_path_buf(), config.clone(), live));
}

/// Puts `model` in front of every live handle on `path`.
fn swap_in(path: &Path, model: Model) {
    let followers: Vec<(BayesConfig, Arc<Live>)> = FOLLOWERS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|(p, _, _)| p == path)
        .filter_map(|(_, c, l)| Some((c.clone(), l.upgrade()?)))
        .collect();
    let source = path.display().to_string();
    let n = followers.len();
    let mut model = Some(model);
    for (i, (config, live)) in followers.into_iter().enumerate() {
        // The last handle takes the model itself; others (a reload in progress) a copy.
        let m = if i + 1 == n {
            model.take().unwrap_or_default()
        } else {
            model.clone().unwrap_or_default()
        };
        live.set(Classifier::usable(m, &config, &source));
    }
}

/// What one flush did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub spam: usize,
    pub ham: usize,
    /// Already in the model: left as they were (never moved to the other class).
    pub known_spam: usize,
    pub known_ham: usize,
}

impl Report {
    pub fn learned(&self) -> usize {
        self.spam + self.ham
    }
}

/// Adds the batch to `model`; a message the model already knows, as either class, is left.
pub fn add(model: &mut Model, batch: &[Item]) -> Report {
    let mut r = Report::default();
    for item in batch {
        let known = model.seen.contains_key(&item.hash);
        match (item.class, known) {
            (Class::Spam, true) => r.known_spam += 1,
            (Class::Ham, true) => r.known_ham += 1,
            (Class::Spam, false) => r.spam += 1,
            (Class::Ham, false) => r.ham += 1,
        }
        if !known {
            model.learn(item.hash, &item.tokens, item.class);
        }
    }
    r
}

#[derive(Debug, thiserror::Error)]
pub enum FlushError {
    /// Another learner holds the model file's lock: not a failure, the batch waits.
    #[error("another learner holds {0}")]
    Busy(String),
    #[error("{0}")]
    Store(#[from] store::StoreError),
    #[error("the bayes model in Redis ({key}) is corrupt ({why})")]
    Corrupt { key: String, why: String },
    #[error("Redis: {0}")]
    Redis(String),
    #[error("the bayes model in Redis kept changing ({REDIS_ATTEMPTS} attempts)")]
    Conflict,
    #[error("the flush task failed: {0}")]
    Task(String),
}

/// Into a model file: locked (or `Busy`), re-read, added to, saved only if it changed.
pub fn into_file(path: &Path, batch: &[Item]) -> Result<(Report, Model), FlushError> {
    let Some(_lock) = store::try_lock(path)? else {
        return Err(FlushError::Busy(
            store::lock_path(path).display().to_string(),
        ));
    };
    let mut model = store::load(path)?.unwrap_or_default();
    let report = add(&mut model, batch);
    if report.learned() > 0 {
        store::save(path, &model)?;
    }
    Ok((report, model))
}

/// Into Redis: fetched, added to and published against the version fetched; another
/// publisher in between means fetch and add again. Instances pick it up at their poll.
pub async fn into_redis(
    state: &crate::store::state::Store,
    key: &str,
    batch: Arc<Vec<Item>>,
) -> Result<Report, FlushError> {
    for _ in 0..REDIS_ATTEMPTS {
        let found = state
            .fetch(key)
            .await
            .map_err(|e| FlushError::Redis(e.to_string()))?;
        let base = found.as_ref().map(|(v, _)| *v);
        let (b, k) = (batch.clone(), key.to_string());
        // Decoding, adding and encoding a large model is CPU work: off the session threads.
        let built = tokio::task::spawn_blocking(move || {
            let mut model = match found {
                Some((_, blob)) => {
                    store::decode(&blob).map_err(|why| FlushError::Corrupt { key: k, why })?
                }
                None => Model::default(),
            };
            let report = add(&mut model, &b);
            let blob = (report.learned() > 0).then(|| store::encode(&model));
            Ok::<_, FlushError>((report, blob))
        })
        .await
        .map_err(|e| FlushError::Task(e.to_string()))??;
        let (report, Some(blob)) = built else {
            return Ok(built.0);
        };
        let published = state
            .publish(key, &blob, base)
            .await
            .map_err(|e| FlushError::Redis(e.to_string()))?;
        if published.is_some() {
            return Ok(report);
        }
    }
    Err(FlushError::Conflict)
}

/// One flush of the queue with the configuration in force. Returns what was learned.
pub async fn flush(learner: &Learner, rt: &Runtime) -> Option<Report> {
    let _one = learner.flushing.lock().await;
    let bayes = &rt.config.bayes;
    let max = bayes.autolearn.per_flush;
    let batch = learner.take(max);
    if batch.is_empty() {
        return None;
    }
    let batch = Arc::new(batch);
    let (result, target) = match (&bayes.redis, &bayes.model) {
        (Some(redis), _) => (
            into_redis(&rt.state, &redis.key, batch.clone()).await,
            format!("redis:{}", redis.key),
        ),
        (None, Some(path)) => {
            let (p, b) = (path.clone(), batch.clone());
            let done = tokio::task::spawn_blocking(move || into_file(&p, &b)).await;
            let result = match done {
                Ok(Ok((report, model))) => {
                    if report.learned() > 0 {
                        swap_in(path, model);
                    }
                    Ok(report)
                }
                Ok(Err(e)) => Err(e),
                Err(e) => Err(FlushError::Task(e.to_string())),
            };
            (result, path.display().to_string())
        }
        (None, None) => {
            // A reload removed the model: nothing to learn into.
            dropped(&batch, "no model is configured any more (bayes.model)");
            return None;
        }
    };
    match result {
        Ok(r) => {
            metrics::counted_n(Class::Spam, "learned", r.spam as u64);
            metrics::counted_n(Class::Ham, "learned", r.ham as u64);
            let known = super::Guard::Known.label();
            metrics::counted_n(Class::Spam, known, r.known_spam as u64);
            metrics::counted_n(Class::Ham, known, r.known_ham as u64);
            tracing::info!(
                target: "moat::autolearn",
                model = %target,
                spam = r.spam,
                ham = r.ham,
                already_known = r.known_spam + r.known_ham,
                "autolearn: {} spam, {} ham learned, {} already known",
                r.spam,
                r.ham,
                r.known_spam + r.known_ham
            );
            Some(r)
        }
        Err(e) => {
            let busy = matches!(e, FlushError::Busy(_));
            if busy {
                tracing::info!(target: "moat::autolearn", model = %target, "autolearn: {e}; {} messages wait for the next flush", batch.len());
            } else {
                metrics::flush_failed();
                tracing::error!(target: "moat::autolearn", model = %target, "autolearn: cannot save the model: {e}; {} messages wait for the next flush", batch.len());
            }
            let batch = Arc::try_unwrap(batch).unwrap_or_else(|b| (*b).clone());
            let overflow = learner.requeue(batch, max);
            if !overflow.is_empty() {
                dropped(&overflow, "the queue is full");
            }
            None
        }
    }
}

/// Counts and logs messages given up.
fn dropped(items: &[Item], why: &str) {
    let spam = items.iter().filter(|i| i.class == Class::Spam).count();
    metrics::counted_n(Class::Spam, "dropped", spam as u64);
    metrics::counted_n(Class::Ham, "dropped", (items.len() - spam) as u64);
    tracing::warn!(target: "moat::autolearn", dropped = items.len(), "autolearn: {why}; {} queued messages dropped", items.len());
}

/// Starts the queue and its flush task (`moat serve`).
pub fn start(current: Current) -> Arc<Learner> {
    let learner = Learner::install(Arc::new(Learner::default()));
    tokio::spawn(run(learner.clone(), current));
    learner
}

async fn run(learner: Arc<Learner>, current: Current) {
    loop {
        let every = current().config.bayes.autolearn.every;
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = learner.wake.notified() => {}
        }
        if STOPPING.load(Ordering::Relaxed) {
            return;
        }
        flush(&learner, &current()).await;
    }
}

/// At shutdown: the queue is flushed within `within` (what is left of the shutdown grace),
/// or what could not be saved is dropped, with a log line that says how many.
pub async fn shutdown(current: &Current, within: Duration) {
    let Some(learner) = Learner::running() else {
        return;
    };
    STOPPING.store(true, Ordering::Relaxed);
    learner.wake.notify_one();
    let rt = current();
    let flushed = async {
        // Everything queued, whatever `per_flush` says: this is the last chance.
        while !learner.is_empty() {
            if flush(learner, &rt).await.is_none() {
                break;
            }
        }
    };
    if tokio::time::timeout(within, flushed).await.is_err() {
        tracing::warn!(target: "moat::autolearn", "autolearn: shutdown grace over while saving the model");
    }
    let left = learner.take(usize::MAX);
    if !left.is_empty() {
        dropped(&left, "shutting down");
    }
}
