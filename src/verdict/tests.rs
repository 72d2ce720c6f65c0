use super::*;

fn finding(score: f64, force: Option<Action>) -> Finding {
    Finding {
        id: "X".into(),
        score,
        reason: String::new(),
        force,
    }
}

#[test]
fn no_findings_accepts() {
    assert_eq!(
        decide(vec![], &Thresholds::default()).action,
        Action::Accept
    );
}

#[test]
fn strongest_forced_action_wins_and_scores_add_up() {
    let v = decide(
        vec![
            finding(1.0, Some(Action::Tempfail)),
            finding(2.5, Some(Action::Reject)),
            finding(-0.5, None),
        ],
        &Thresholds::default(),
    );
    assert_eq!(v.action, Action::Reject);
    assert_eq!(v.score, 3.0);
}

#[test]
fn thresholds_pick_the_strongest_action_reached() {
    let t = Thresholds::default();
    assert_eq!(t.action_for(3.9), Action::Accept);
    assert_eq!(t.action_for(4.0), Action::AddHeader);
    assert_eq!(t.action_for(12.0), Action::Quarantine);
    assert_eq!(t.action_for(15.0), Action::Reject);
    assert_eq!(t.required(), 4.0);
}

#[test]
fn forced_action_beats_a_low_score_but_not_a_stronger_one() {
    let t = Thresholds::default();
    let v = decide(vec![finding(0.0, Some(Action::Quarantine))], &t);
    assert_eq!(v.action, Action::Quarantine);
    let v = decide(vec![finding(20.0, Some(Action::AddHeader))], &t);
    assert_eq!(v.action, Action::Reject);
}

#[test]
fn action_order_is_strength_order() {
    assert!(Action::Accept < Action::AddHeader);
    assert!(Action::AddHeader < Action::RewriteSubject);
    assert!(Action::RewriteSubject < Action::Quarantine);
    assert!(Action::Quarantine < Action::Tempfail);
    assert!(Action::Tempfail < Action::Reject);
    assert_eq!(
        Action::parse("rewrite_subject"),
        Some(Action::RewriteSubject)
    );
}
