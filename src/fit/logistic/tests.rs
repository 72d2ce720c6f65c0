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
