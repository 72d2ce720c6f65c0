//! ESMTP parameters of MAIL FROM that Moat understands and passes on to the backend.

/// `BODY=` of MAIL FROM (RFC 6152). BINARYMIME is not offered because CHUNKING is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyType {
    SevenBit,
    EightBitMime,
}

/// The MAIL FROM parameters Moat accepted from the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailParams {
    /// `SIZE=` declared by the client (RFC 1870), already checked against the limit.
    pub size: Option<u64>,
    /// `BODY=`, when the client declared one.
    pub body: Option<BodyType>,
    /// `SMTPUTF8` (RFC 6531): the envelope or headers may carry UTF-8.
    pub smtputf8: bool,
}
