//! The console's metrics, registered in Moat's one registry (`crate::metrics`): logins by
//! result (a rise of `failed` or `locked` is someone guessing passwords) and actions by name
//! and outcome (what the audit log says, counted). Labels are closed sets.

use prometheus::{IntCounterVec, Opts, Registry};
use std::sync::OnceLock;

struct ConsoleMetrics {
    logins: IntCounterVec,
    actions: IntCounterVec,
}

static METRICS: OnceLock<ConsoleMetrics> = OnceLock::new();

/// Every value of `moat_console_logins_total`'s `result`.
pub const LOGIN_RESULTS: [&str; 3] = ["ok", "failed", "locked"];
/// Every value of `moat_console_actions_total`'s `action`.
pub const ACTIONS: [&str; 7] = [
    "release",
    "delete",
    "release_ham",
    "learn_spam",
    "allow_sender",
    "logout",
    "digest",
];
/// Every value of `moat_console_actions_total`'s `outcome`.
pub const OUTCOMES: [&str; 3] = ["ok", "failed", "refused_not_owner"];

/// Called once by `crate::metrics` when it builds the registry.
pub fn register(r: &Registry) {
    let logins = IntCounterVec::new(
        Opts::new(
            "moat_console_logins_total",
            "Console logins by result: ok, failed (wrong name or password), locked (refused while the address or name is locked out after console.login_failures failures).",
        ),
        &["result"],
    )
    .expect("valid counter");
    let actions = IntCounterVec::new(
        Opts::new(
            "moat_console_actions_total",
            "Console actions by name and outcome (ok, failed, refused_not_owner), as the audit log moat::console::audit records them.",
        ),
        &["action", "outcome"],
    )
    .expect("valid counter");
    r.register(Box::new(logins.clone())).expect("unique metric");
    r.register(Box::new(actions.clone()))
        .expect("unique metric");
    for result in LOGIN_RESULTS {
        logins.with_label_values(&[result]);
    }
    for action in ACTIONS {
        for outcome in OUTCOMES {
            actions.with_label_values(&[action, outcome]);
        }
    }
    let _ = METRICS.set(ConsoleMetrics { logins, actions });
}

pub fn login(result: &'static str) {
    if let Some(m) = METRICS.get() {
        m.logins.with_label_values(&[result]).inc();
    }
}

/// One audited action; an outcome outside `OUTCOMES` counts as `ok` (`sent=N` of digests).
pub fn action(action: &str, outcome: &str) {
    let Some(m) = METRICS.get() else { return };
    if !ACTIONS.contains(&action) {
        return;
    }
    let outcome = OUTCOMES.iter().find(|o| **o == outcome).unwrap_or(&"ok");
    m.actions.with_label_values(&[action, outcome]).inc();
}
