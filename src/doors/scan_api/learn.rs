//! `/learnspam` and `/learnham`: one message learned into the classifier's model, where
//! `moat learn` would put it (the `bayes.model` file, or Redis). The running classifier picks
//! the new model up as it does after `moat learn`.

use crate::bayes::model::Class;
use crate::config::Config;
use std::sync::{Arc, Mutex};

/// One learner at a time: each reads, changes and writes the whole model.
static LEARNING: Mutex<()> = Mutex::new(());

/// Learns `raw` as `class`; the line to answer with, or why it failed.
pub async fn learn(config: Arc<Config>, raw: Vec<u8>, class: Class) -> Result<String, String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    // A thread of its own, not `spawn_blocking`: learning into Redis runs a small runtime
    // of its own, which cannot start on a thread of the server's runtime.
    std::thread::spawn(move || {
        let _ = tx.send(learn_now(&config, &raw, class));
    });
    rx.await
        .unwrap_or_else(|_| Err("learning thread failed".into()))
}

fn learn_now(config: &Config, raw: &[u8], class: Class) -> Result<String, String> {
    let _one = LEARNING.lock().unwrap_or_else(|e| e.into_inner());
    let run = || -> anyhow::Result<String> {
        let mut target = crate::bayes::shared::Target::for_learn(config, None)?;
        let mut model = target.open()?;
        let learned = crate::bayes::learn::learn_one(&mut model, raw, class);
        target.save(&model)?;
        Ok(format!("{learned:?}"))
    };
    run().map_err(|e| format!("{e:#}"))
}
