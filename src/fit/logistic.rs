//! L2-regularised logistic regression over findings, solved by projected cyclic coordinate
//! descent (one Newton step per score, clamped to its bounds). No I/O: rows in, scores out.
//!
//! The model is written in Moat's own units, so its output needs no rescaling:
//!
//! ```text
//! P(spam | message) = σ( k · (Σ score_f − threshold) )
//! ```
//!
//! where `threshold` is the lowest action threshold (`actions.add_header`, 4 by default)
//! and `k` = 1 nat per point. The cost-weighted 50 % boundary therefore sits exactly on the
//! marking threshold, and every further point above it multiplies the odds by e: the
//! quarantine (10) and reject (15) thresholds keep meaning "far beyond doubt" (6 and 11 nats).
//! The prior of each score is its hand score (`score:` in the rule file), so a rule the mail
//! never shows keeps the author's estimate, and one seen often gets what the mail says.

/// One score to fit: its bounds (sign constraint and cap) and the value it is drawn to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Param {
    pub lower: f64,
    pub upper: f64,
    pub prior: f64,
    /// A group whose scores together may not exceed its cap (`fit`'s `group_caps`); the
    /// scores of a group are spam evidence (lower bound 0).
    pub group: Option<usize>,
    /// The index of a score this one may never fall below (the classifier's bands: a surer
    /// classifier never counts for less).
    pub not_below: Option<usize>,
}

/// One labelled message: which scores it carries (index, count) and the sum of the scores
/// that are not fitted (forced findings).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub spam: bool,
    pub weight: f64,
    pub offset: f64,
    pub x: Vec<(usize, f64)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// The score at which the cost-weighted probability of spam is one half.
    pub threshold: f64,
    /// Pull of each score towards its prior (a Gaussian prior of variance 1/l2).
    pub l2: f64,
    /// Nats of odds per point.
    pub sharpness: f64,
    pub max_sweeps: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            threshold: 4.0,
            l2: 1.0,
            sharpness: 1.0,
            max_sweeps: 500,
        }
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// The scores that minimise the weighted log-loss plus `l2/2 · Σ (score − prior)²`, each
/// within its bounds, and the scores of each group summing to at most its cap. Convex, so
/// the result does not depend on the starting point.
pub fn fit(params: &[Param], rows: &[Row], s: &Settings, group_caps: &[f64]) -> Vec<f64> {
    // Column view: for each score, the rows that carry it.
    let mut columns: Vec<Vec<(usize, f64)>> = vec![Vec::new(); params.len()];
    for (i, r) in rows.iter().enumerate() {
        for &(j, x) in &r.x {
            columns[j].push((i, x));
        }
    }
    let mut w: Vec<f64> = params
        .iter()
        .map(|p| p.prior.clamp(p.lower, p.upper))
        .collect();
    let mut group_sum = start_within_group_caps(params, &mut w, group_caps);
    // For each score, the scores that may not fall below it (its upper bounds).
    let mut not_above: Vec<Vec<usize>> = vec![Vec::new(); params.len()];
    for (j, p) in params.iter().enumerate() {
        if let Some(b) = p.not_below {
            not_above[b].push(j);
        }
    }
    let mut margin: Vec<f64> = rows
        .iter()
        .map(|r| r.offset + r.x.iter().map(|&(j, x)| w[j] * x).sum::<f64>())
        .collect();
    let k = s.sharpness;
    for _ in 0..s.max_sweeps {
        let mut largest_step = 0.0f64;
        for (j, p) in params.iter().enumerate() {
            let (mut grad, mut hess) = (s.l2 * (w[j] - p.prior), s.l2);
            for &(i, x) in &columns[j] {
                let r = &rows[i];
                let prob = sigmoid(k * (margin[i] - s.threshold));
                let y = if r.spam { 1.0 } else { 0.0 };
                grad += r.weight * k * (prob - y) * x;
                hess += r.weight * k * k * prob * (1.0 - prob) * x * x;
            }
            // A damped Newton step: far from the optimum the curvature is a poor guide.
            let step = (grad / hess.max(1e-12)).clamp(-2.0, 2.0);
            // What the rest of its group leaves this score.
            let mut upper = match p.group {
                Some(g) => p.upper.min(group_caps[g] - (group_sum[g] - w[j])),
                None => p.upper,
            };
            upper = not_above[j].iter().fold(upper, |u, &k| u.min(w[k]));
            let lower = p.not_below.map_or(p.lower, |b| p.lower.max(w[b]));
            let new = (w[j] - step).clamp(lower, upper.max(lower));
            let delta = new - w[j];
            if let Some(g) = p.group {
                group_sum[g] += delta;
            }
            if delta != 0.0 {
                for &(i, x) in &columns[j] {
                    margin[i] += delta * x;
                }
                w[j] = new;
            }
            largest_step = largest_step.max(delta.abs());
        }
        if largest_step < 1e-6 {
            break;
        }
    }
    w
}

/// Scales each group's starting scores down to its cap; returns each group's sum.
fn start_within_group_caps(params: &[Param], w: &mut [f64], caps: &[f64]) -> Vec<f64> {
    let mut sums = vec![0.0; caps.len()];
    for (p, x) in params.iter().zip(w.iter()) {
        if let Some(g) = p.group {
            sums[g] += x;
        }
    }
    for (p, x) in params.iter().zip(w.iter_mut()) {
        if let Some(g) = p.group.filter(|&g| sums[g] > caps[g]) {
            *x *= caps[g] / sums[g];
        }
    }
    sums.iter().zip(caps).map(|(s, c)| s.min(*c)).collect()
}

#[cfg(test)]
mod tests;
