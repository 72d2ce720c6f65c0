//! Observability and deployment (issue 6): /metrics counts what happened and parses with
//! promtool, a real Prometheus scrapes Moat and runs every dashboard and alert expression,
//! /readyz follows the backend, POST /reload is the SIGHUP reload, JSON logs carry the
//! reference id the client saw, and the deploy/ files pass their own validators.

mod common;

#[path = "observability/support.rs"]
mod support;

#[path = "observability/metrics.rs"]
mod metrics;

#[path = "observability/prometheus.rs"]
mod prometheus;

#[path = "observability/admin.rs"]
mod admin;

#[path = "observability/admin_guard.rs"]
mod admin_guard;

#[path = "observability/deploy.rs"]
mod deploy;

#[path = "observability/instances.rs"]
mod instances;
