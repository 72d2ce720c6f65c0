use super::*;

#[test]
fn every_id_has_a_default_and_dmarc_reject_rejects() {
    let table = defaults();
    assert_eq!(table.len(), ID_LIST.len());
    assert_eq!(table["DMARC_REJECT"].force, Some(Action::Reject));
    assert_eq!(table["SPF_TEMPERROR"], Rule::default());
    assert_eq!(table["DMARC_TEMPERROR"], Rule::default());
}
