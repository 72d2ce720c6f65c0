//! The classifier model in Redis (`bayes.storage: redis`), so that several Moat instances
//! share one model: `moat learn` publishes it (the file's checksummed format, with a version,
//! compare-and-set), and every instance polls the version every `bayes.poll` and swaps a
//! newer model in whole. A missing or corrupt model in Redis is what a missing or corrupt
//! file is: logged clearly, classifier silent.

use super::store;
use super::{Classifier, model::Model};
use crate::config::Config;
use crate::config::bayes::BayesConfig;
use crate::config::state::RedisModel;
use crate::store::state::Store;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};

/// The classifier as the rules check sees it: fixed for a configuration (a model file), or
/// live (a model in Redis that a background task replaces when a newer version appears).
pub enum Handle {
    Fixed(Option<Arc<Classifier>>),
    Live(Arc<Live>),
}

impl Handle {
    /// The classifier to use for the next message, if any.
    pub fn get(&self) -> Option<Arc<Classifier>> {
        match self {
            Handle::Fixed(c) => c.clone(),
            Handle::Live(l) => l.current.read().expect("model lock").clone(),
        }
    }

    /// No classifier now and none can appear later.
    pub fn is_off(&self) -> bool {
        matches!(self, Handle::Fixed(None))
    }
}

/// The model currently loaded from Redis.
#[derive(Default)]
pub struct Live {
    current: RwLock<Option<Arc<Classifier>>>,
    /// Version of the last blob examined (0: none), so a bad version is not re-read each poll.
    version: AtomicU64,
    /// "No model in Redis" was logged (once, not at every poll).
    reported_missing: AtomicBool,
}

/// The classifier for a configuration. With a model in Redis, the first load happens at
/// once and a task polls for newer versions for as long as the handle lives; outside a
/// Tokio runtime (`moat scan`) the model is loaded once, synchronously.
pub fn handle(config: &Config) -> Handle {
    let Some(redis) = config.bayes.redis.clone() else {
        let loaded = super::from_config(&config.bayes);
        // With autolearn on, the server's own flushes replace the model file: the handle
        // is live so that each flush swaps the new model in (`autolearn::follow_file`).
        if let (true, Some(path)) = (config.bayes.autolearn.enabled, &config.bayes.model) {
            let live = Arc::new(Live::holding(loaded));
            super::autolearn::follow_file(path, &config.bayes, Arc::downgrade(&live));
            return Handle::Live(live);
        }
        return Handle::Fixed(loaded);
    };
    let live = Arc::new(Live::default());
    let store = Store::new(&config.state);
    let bayes = config.bayes.clone();
    match tokio::runtime::Handle::try_current() {
        Ok(rt) => {
            rt.spawn(poll(Arc::downgrade(&live), store, redis, bayes));
        }
        Err(_) => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            rt.block_on(refresh(&live, &store, &redis, &bayes));
        }
    }
    Handle::Live(live)
}

impl Live {
    /// A live handle that starts with `classifier` (a model file's, replaced by autolearn).
    pub fn holding(classifier: Option<Arc<Classifier>>) -> Live {
        Live {
            current: RwLock::new(classifier),
            ..Live::default()
        }
    }

    /// Puts a new classifier in place for the next message.
    pub fn set(&self, classifier: Option<Arc<Classifier>>) {
        *self.current.write().expect("model lock") = classifier;
    }
}

/// Refreshes until the handle is dropped (the configuration it belongs to is gone).
async fn poll(live: Weak<Live>, store: Store, redis: RedisModel, bayes: BayesConfig) {
    loop {
        let Some(l) = live.upgrade() else { return };
        refresh(&l, &store, &redis, &bayes).await;
        drop(l);
        tokio::time::sleep(redis.poll).await;
    }
}

/// Loads the model from Redis if its version changed since the last look.
async fn refresh(live: &Live, store: &Store, redis: &RedisModel, bayes: &BayesConfig) {
    let seen = live.version.load(Ordering::Relaxed);
    match store.version(&redis.key).await {
        Ok(Some(v)) if v == seen => return,
        Ok(Some(_)) => {}
        Ok(None) => {
            if !live.reported_missing.swap(true, Ordering::Relaxed) {
                tracing::warn!(key = %redis.key, "bayes model missing in Redis: classifier off until `moat learn` stores one");
            }
            return;
        }
        Err(e) => return crate::store::state::metrics::failed("model", &e),
    }
    let (version, blob) = match store.fetch(&redis.key).await {
        Ok(Some(found)) => found,
        Ok(None) => return,
        Err(e) => return crate::store::state::metrics::failed("model", &e),
    };
    live.version.store(version, Ordering::Relaxed);
    let classifier = match store::decode(&blob) {
        Err(why) => {
            tracing::error!(key = %redis.key, version, "the bayes model in Redis is corrupt ({why}); classifier off until `moat learn` stores a good one");
            None
        }
        Ok(model) => Classifier::usable(
            model,
            bayes,
            &format!("redis:{} version {version}", redis.key),
        ),
    };
    *live.current.write().expect("model lock") = classifier;
}

/// The model file `moat learn` uses when neither `--model` nor `bayes.model` names one.
pub const DEFAULT_LEARN_MODEL: &str = "moat-bayes.model";

/// `bayes.model`, else [`DEFAULT_LEARN_MODEL`] by the one rule for relative paths.
pub fn default_model_path(config: &Config) -> std::path::PathBuf {
    config
        .bayes
        .model
        .clone()
        .unwrap_or_else(|| crate::config::paths::resolve(&config.origin, DEFAULT_LEARN_MODEL))
}

/// Where `moat learn` reads the model it adds to and writes the result.
pub enum Target {
    /// A model file; `lock` is its `<model>.lock`, taken by `open` and held until the
    /// target is dropped, so that no other learner saves between our read and our write.
    File {
        path: std::path::PathBuf,
        lock: Option<store::ModelLock>,
    },
    Redis {
        store: Store,
        key: String,
        /// The version learning started from: publishing fails if another learner moved it.
        base: Option<u64>,
        rt: tokio::runtime::Runtime,
    },
}

impl Target {
    /// `--model FILE` wins; then `bayes.storage: redis`; then `bayes.model`; then
    /// [`DEFAULT_LEARN_MODEL`] next to the configuration file (the working directory for
    /// the embedded default), so `moat learn --spam … --ham …` works as the README shows.
    pub fn for_learn(config: &Config, model: Option<std::path::PathBuf>) -> anyhow::Result<Target> {
        if let Some(path) = model {
            return Ok(Target::File { path, lock: None });
        }
        let Some(redis) = &config.bayes.redis else {
            let path = default_model_path(config);
            return Ok(Target::File { path, lock: None });
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(Target::Redis {
            store: Store::new(&config.state),
            key: redis.key.clone(),
            base: None,
            rt,
        })
    }

    /// A model file the configuration does not load (learned with `--model` elsewhere, or
    /// into the default file while `bayes.model` is unset): what to set so the server uses it.
    pub fn unused_by(&self, config: &Config) -> Option<String> {
        match self {
            Target::File { path, .. }
                if config.bayes.redis.is_none() && config.bayes.model.as_ref() != Some(path) =>
            {
                Some(format!(
                    "{} does not load this model: set bayes.model: {} to use it",
                    config.origin,
                    path.display()
                ))
            }
            _ => None,
        }
    }

    /// The current model (empty when there is none yet). A model file is locked first
    /// (waiting, with a line on stderr, while another learner holds it) and read under the
    /// lock, so what this learner saves includes everything saved before.
    pub fn open(&mut self) -> anyhow::Result<Model> {
        match self {
            Target::File { path, lock } => {
                if lock.is_none() {
                    *lock = Some(store::lock(path, || {
                        eprintln!(
                            "waiting for {}: another learner is saving the model",
                            store::lock_path(path).display()
                        )
                    })?);
                }
                Ok(super::learn::open(path)?)
            }
            Target::Redis {
                store,
                key,
                base,
                rt,
            } => {
                let found = rt
                    .block_on(store.fetch(key))
                    .map_err(|e| anyhow::anyhow!("cannot read the bayes model from Redis: {e}"))?;
                let Some((version, blob)) = found else {
                    return Ok(Model::default());
                };
                *base = Some(version);
                store::decode(&blob).map_err(|why| {
                    anyhow::anyhow!("the bayes model in Redis ({key}) is corrupt ({why}); delete it and learn again")
                })
            }
        }
    }

    /// Writes the model: the file atomically replaced, or a new version in Redis (returned,
    /// for the command to report).
    pub fn save(&self, model: &Model) -> anyhow::Result<Option<u64>> {
        match self {
            Target::File { path, .. } => Ok(store::save(path, model).map(|()| None)?),
            Target::Redis {
                store,
                key,
                base,
                rt,
            } => {
                let published = rt
                    .block_on(store.publish(key, &store::encode(model), *base))
                    .map_err(|e| anyhow::anyhow!("cannot store the bayes model in Redis: {e}"))?;
                match published {
                    Some(v) => Ok(Some(v)),
                    None => anyhow::bail!(
                        "the bayes model in Redis changed while learning (another `moat learn`?); run again"
                    ),
                }
            }
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Target::File { path, .. } => path.display().to_string(),
            Target::Redis { key, .. } => format!("redis:{key}"),
        }
    }
}
