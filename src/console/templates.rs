//! The console's pages as askama templates (`src/console/templates/`): compiled with Moat,
//! so a template that names a missing field does not build. Every value is HTML-escaped
//! unless a template marks it `safe` (only the sanitised body, `render::sanitise`).

use super::index::Row;
use askama::Template;
use std::sync::Arc;

/// What every page's frame needs.
pub struct Frame {
    pub user: String,
    pub admin: bool,
    pub csrf: String,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct Login {
    pub error: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "notice.html")]
pub struct Notice {
    pub frame: Option<Frame>,
    pub title: String,
    pub text: String,
}

pub struct Count {
    pub label: String,
    pub value: u64,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct Dashboard {
    pub frame: Option<Frame>,
    pub held: usize,
    pub actions: Vec<Count>,
    pub held_hours: Vec<Count>,
    pub held_days: Vec<Count>,
    pub findings: Vec<Count>,
    pub backend_up: bool,
    pub reload_ok: bool,
    /// The virus scanner: `off`, `no scan yet`, `answering` or `failing (timeout)` …
    pub scanner: String,
    /// Whether `scanner` is a problem (shown in the `bad` colour).
    pub scanner_bad: bool,
}

#[derive(Template)]
#[template(path = "list.html")]
pub struct List {
    pub frame: Option<Frame>,
    pub rows: Vec<Arc<Row>>,
    pub total: usize,
    pub page: usize,
    pub pages: usize,
    pub q: String,
    pub sender: String,
    pub rcpt: String,
    pub subject: String,
    pub finding: String,
    pub min_score: String,
    pub since: String,
    pub until: String,
    /// The query string without `page`, for the paging links.
    pub query: String,
}

pub struct FindingView {
    pub id: String,
    pub score: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct Message {
    pub frame: Option<Frame>,
    pub id: String,
    pub time: String,
    pub reference: String,
    pub client_ip: String,
    pub helo: String,
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub score: String,
    pub subject: String,
    /// The finding ids stored when it was held.
    pub tests: String,
    pub findings: Vec<FindingView>,
    pub headers: Vec<(String, String)>,
    pub text: Option<String>,
    pub html: Option<String>,
    pub links: Vec<String>,
    pub attachments: Vec<(String, String, usize)>,
}

#[derive(Template)]
#[template(path = "link.html")]
pub struct LinkPage {
    pub token: String,
    pub subject: String,
    pub mail_from: String,
    pub recipient: String,
}

/// Unix seconds as `YYYY-MM-DD HH:MM` UTC.
pub fn when(secs: u64) -> String {
    crate::message::headers::iso8601_utc(secs)
        .replace('T', " ")
        .trim_end_matches('Z')
        .chars()
        .take(16)
        .collect()
}

impl Row {
    pub fn when(&self) -> String {
        when(self.meta.time)
    }
    pub fn score(&self) -> String {
        format!("{:.1}", self.meta.score)
    }
    pub fn recipients(&self) -> String {
        self.meta.rcpt_to.join(", ")
    }
}
