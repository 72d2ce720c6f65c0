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
mod tests {
    use super::*;

    fn free(prior: f64) -> Param {
        Param {
            lower: -10.0,
            upper: 10.0,
            prior,
            group: None,
            not_below: None,
        }
    }

    fn row(spam: bool, x: &[usize]) -> Row {
        Row {
            spam,
            weight: 1.0,
            offset: 0.0,
            x: x.iter().map(|&j| (j, 1.0)).collect(),
        }
    }

    /// Feature 0 only in spam, 1 mostly in spam, 2 evenly, 3 only in ham.
    fn synthetic() -> Vec<Row> {
        let mut rows = Vec::new();
        for n in 0..200 {
            rows.push(row(true, &[0, if n % 4 == 0 { 2 } else { 1 }]));
            let mut ham = vec![3];
            if n % 10 == 0 {
                ham.push(1);
            }
            if n % 4 == 0 {
                ham.push(2);
            }
            rows.push(row(false, &ham));
        }
        rows
    }

    #[test]
    fn fit_recovers_signs_and_order_of_synthetic_evidence() {
        let w = fit(
            &[free(0.0), free(0.0), free(0.0), free(0.0)],
            &synthetic(),
            &Settings::default(),
            &[],
        );
        assert!(w[0] > w[1] && w[1] > w[2] && w[2] > w[3], "{w:?}");
        assert!(w[0] > 0.0 && w[1] > 0.0 && w[3] < 0.0, "{w:?}");
    }

    #[test]
    fn bounds_are_never_crossed() {
        let params = [
            // Spam evidence capped at 1.5 although the data want more.
            Param {
                lower: 0.0,
                upper: 1.5,
                prior: 1.0,
                group: None,
                not_below: None,
            },
            free(0.0),
            // Meant as spam evidence although it is not: held at zero, not made negative.
            Param {
                lower: 0.0,
                upper: 5.0,
                prior: 2.0,
                group: None,
                not_below: None,
            },
            // Ham evidence never above zero.
            Param {
                lower: -2.0,
                upper: 0.0,
                prior: -1.0,
                group: None,
                not_below: None,
            },
        ];
        let mut rows = synthetic();
        for r in &mut rows {
            // Feature 2 becomes ham-only evidence.
            r.x.retain(|&(j, _)| j != 2);
            if !r.spam {
                r.x.push((2, 1.0));
            }
        }
        let w = fit(&params, &rows, &Settings::default(), &[]);
        assert_eq!(w[0], 1.5, "{w:?}");
        assert_eq!(w[2], 0.0, "{w:?}");
        assert!((-2.0..=0.0).contains(&w[3]), "{w:?}");
    }

    #[test]
    fn unseen_findings_keep_their_prior() {
        let w = fit(
            &[free(0.0), free(0.0), free(0.0), free(0.0), free(2.5)],
            &synthetic(),
            &Settings::default(),
            &[],
        );
        assert_eq!(w[4], 2.5);
    }

    #[test]
    fn a_group_never_adds_more_than_its_cap() {
        // Features 0 and 1 (spam evidence worth several points each) in one group capped at
        // 1.5: together they stay within it, and feature 0, the stronger, keeps the larger part.
        let mut params = vec![free(0.0), free(0.0), free(0.0), free(0.0)];
        for p in &mut params[..2] {
            p.lower = 0.0;
            p.group = Some(0);
        }
        let w = fit(&params, &synthetic(), &Settings::default(), &[1.5]);
        assert!(w[0] + w[1] <= 1.5 + 1e-9, "{w:?}");
        assert!(w[0] > w[1] && w[1] >= 0.0, "{w:?}");
        // Without the group the same data want far more.
        let free_fit = fit(&[free(0.0); 4], &synthetic(), &Settings::default(), &[]);
        assert!(free_fit[0] + free_fit[1] > 3.0, "{free_fit:?}");
    }

    #[test]
    fn an_ordered_score_never_falls_below_its_predecessor() {
        // Feature 1 is weaker evidence than feature 0 in the data, but must not score less.
        let mut params = vec![free(0.0); 4];
        params[0].not_below = Some(1);
        let w = fit(&params, &synthetic(), &Settings::default(), &[]);
        assert!(w[0] >= w[1] - 1e-12, "{w:?}");
        params[0].not_below = None;
        params[1].not_below = Some(0);
        let w = fit(&params, &synthetic(), &Settings::default(), &[]);
        assert!(w[1] >= w[0] - 1e-12 && w[0] > 0.0, "{w:?}");
    }
}
