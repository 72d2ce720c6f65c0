//! Messages for the benches: a directory named by MOAT_BENCH_MESSAGES (real mail, e.g.
//! /var/tmp/moat-corpus/spam-1 from scripts/corpus.sh), else a built-in sample (plain, HTML
//! spam, phishing, multipart with attachment), so a bench needs nothing outside the repository.

// Each bench uses only some of these.
#![allow(dead_code)]

/// Up to 500 messages of a directory, in name order.
pub fn read_dir(dir: &str) -> Vec<Vec<u8>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("a directory of messages")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    files
        .iter()
        .take(500)
        .filter_map(|f| std::fs::read(f).ok())
        .collect()
}

/// The bench messages: MOAT_BENCH_MESSAGES's or the built-in sample.
pub fn sample() -> Vec<Vec<u8>> {
    if let Ok(dir) = std::env::var("MOAT_BENCH_MESSAGES")
        && !dir.is_empty()
    {
        return read_dir(&dir);
    }
    let plain = "From: Anna <anna@family.test>\r\nTo: tom@example.test\r\nSubject: Sunday lunch\r\nDate: Thu, 01 Jan 2026 10:00:00 +0000\r\nMessage-ID: <1@family.test>\r\n\r\nHi Tom,\r\nare you coming on Sunday? Mum is making soup.\r\nAnna\r\n".to_string();
    let html = format!(
        "From: Deals <deals@shop.example>\r\nTo: tom@example.test\r\nSubject: FREE GIFT FOR YOU!!!\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n<html><body><CENTER><FONT SIZE=5 color=red>Click here</FONT></CENTER>{}<a href=\"http://198.51.100.7/x\">www.bank.com</a> To be removed from our list reply with remove.</body></html>\r\n",
        "<p>Act now! Limited time offer, no obligation, money back guarantee. Lose weight fast.</p>".repeat(40)
    );
    let phish = "From: \"PayPal Security\" <x@pp.example>\r\nTo: tom@example.test\r\nSubject: Your account has been limited\r\n\r\nDear Customer,\r\nwe noticed unusual activity. Verify your account within 24 hours at http://paypal.com.login.secure.evil.test/verify.php\r\n".to_string();
    let attach = format!(
        "From: a@b.example\r\nTo: tom@example.test\r\nSubject: invoice\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nPlease see the attached invoice.\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"invoice.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
        "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\r\n".repeat(300)
    );
    vec![
        plain.into_bytes(),
        html.into_bytes(),
        phish.into_bytes(),
        attach.into_bytes(),
    ]
}
