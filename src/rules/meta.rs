//! Meta rules: boolean expressions over other rules' results, e.g. `A && (B || !C)` and
//! `2 of [A, B, C]`. Parsed once into a tree of rule indices.

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Rule(String),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    AtLeast(usize, Vec<String>),
}

impl Expr {
    /// Rule ids the expression refers to.
    pub fn ids(&self, out: &mut Vec<String>) {
        match self {
            Expr::Rule(id) => out.push(id.clone()),
            Expr::Not(e) => e.ids(out),
            Expr::And(a, b) | Expr::Or(a, b) => {
                a.ids(out);
                b.ids(out);
            }
            Expr::AtLeast(_, ids) => out.extend(ids.iter().cloned()),
        }
    }

    pub fn eval(&self, fired: &dyn Fn(&str) -> bool) -> bool {
        match self {
            Expr::Rule(id) => fired(id),
            Expr::Not(e) => !e.eval(fired),
            Expr::And(a, b) => a.eval(fired) && b.eval(fired),
            Expr::Or(a, b) => a.eval(fired) || b.eval(fired),
            Expr::AtLeast(n, ids) => ids.iter().filter(|id| fired(id)).count() >= *n,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Num(usize),
    And,
    Or,
    Not,
    Open,
    Close,
    LBracket,
    RBracket,
    Comma,
    Of,
}

fn tokens(s: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' | '\n' => {
                chars.next();
            }
            '&' | '|' => {
                chars.next();
                if chars.next() != Some(c) {
                    return Err(format!("expected `{c}{c}`"));
                }
                out.push(if c == '&' { Tok::And } else { Tok::Or });
            }
            '!' => push(&mut chars, &mut out, Tok::Not),
            '(' => push(&mut chars, &mut out, Tok::Open),
            ')' => push(&mut chars, &mut out, Tok::Close),
            '[' => push(&mut chars, &mut out, Tok::LBracket),
            ']' => push(&mut chars, &mut out, Tok::RBracket),
            ',' => push(&mut chars, &mut out, Tok::Comma),
            c if c.is_ascii_alphanumeric() || c == '_' => {
                let mut word = String::new();
                while let Some(&c) = chars
                    .peek()
                    .filter(|c| c.is_ascii_alphanumeric() || **c == '_')
                {
                    word.push(c);
                    chars.next();
                }
                out.push(if word == "of" {
                    Tok::Of
                } else if let Ok(n) = word.parse() {
                    Tok::Num(n)
                } else {
                    Tok::Ident(word)
                });
            }
            other => return Err(format!("unexpected character `{other}`")),
        }
    }
    Ok(out)
}

fn push(chars: &mut std::iter::Peekable<std::str::Chars>, out: &mut Vec<Tok>, t: Tok) {
    chars.next();
    out.push(t);
}

/// Parses `expr := or; or := and ('||' and)*; and := unary ('&&' unary)*;
/// unary := '!' unary | '(' or ')' | N 'of' '[' ids ']' | ID`.
pub fn parse(s: &str) -> Result<Expr, String> {
    let toks = tokens(s)?;
    let mut p = Parser { toks, at: 0 };
    let e = p.or()?;
    if p.at != p.toks.len() {
        return Err(format!(
            "unexpected {:?} after the expression",
            p.toks[p.at]
        ));
    }
    Ok(e)
}

struct Parser {
    toks: Vec<Tok>,
    at: usize,
}

impl Parser {
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.at).cloned();
        self.at += 1;
        t
    }
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }
    fn or(&mut self) -> Result<Expr, String> {
        let mut e = self.and()?;
        while self.peek() == Some(&Tok::Or) {
            self.at += 1;
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }
    fn and(&mut self) -> Result<Expr, String> {
        let mut e = self.unary()?;
        while self.peek() == Some(&Tok::And) {
            self.at += 1;
            e = Expr::And(Box::new(e), Box::new(self.unary()?));
        }
        Ok(e)
    }
    fn unary(&mut self) -> Result<Expr, String> {
        match self.next() {
            Some(Tok::Not) => Ok(Expr::Not(Box::new(self.unary()?))),
            Some(Tok::Open) => {
                let e = self.or()?;
                match self.next() {
                    Some(Tok::Close) => Ok(e),
                    _ => Err("missing `)`".into()),
                }
            }
            Some(Tok::Ident(id)) => Ok(Expr::Rule(id)),
            Some(Tok::Num(n)) => self.count(n),
            other => Err(format!("expected a rule id, found {other:?}")),
        }
    }
    fn count(&mut self, n: usize) -> Result<Expr, String> {
        if self.next() != Some(Tok::Of) || self.next() != Some(Tok::LBracket) {
            return Err(format!("expected `{n} of [A, B, …]`"));
        }
        let mut ids = Vec::new();
        loop {
            match self.next() {
                Some(Tok::Ident(id)) => ids.push(id),
                Some(Tok::RBracket) if !ids.is_empty() => break,
                _ => return Err("expected a rule id in `of [...]`".into()),
            }
            match self.next() {
                Some(Tok::Comma) => continue,
                Some(Tok::RBracket) => break,
                _ => return Err("expected `,` or `]`".into()),
            }
        }
        Ok(Expr::AtLeast(n, ids))
    }
}

#[cfg(test)]
mod tests;
