//! Semantic tokens: a classification of every token of the document for highlighting that
//! knows what names are (a function, a parameter, a type, a module).
//!
//! Names are classified by the resolver; keys by the tree; keywords, strings, numbers and
//! comments by a small scanner over the text. Tokens never overlap, come in source order and
//! never span a line break (a multi-line string or comment is one token per line).

use super::Analysis;
use super::resolve::{DefKind, Target};
use crate::syntax::ast::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TokenKind {
    Keyword,
    String,
    Number,
    Comment,
    Variable,
    Parameter,
    Function,
    Type,
    Namespace,
    Property,
}

impl TokenKind {
    /// Every kind, in the order of their indexes in an LSP legend.
    pub const ALL: &[TokenKind] = &[
        TokenKind::Keyword,
        TokenKind::String,
        TokenKind::Number,
        TokenKind::Comment,
        TokenKind::Variable,
        TokenKind::Parameter,
        TokenKind::Function,
        TokenKind::Type,
        TokenKind::Namespace,
        TokenKind::Property,
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemanticToken {
    pub span: Span,
    pub kind: TokenKind,
    /// The definition itself, not a use.
    pub declaration: bool,
    /// A builtin function or type.
    pub builtin: bool,
}

impl Analysis {
    /// The document's tokens, in order.
    pub fn semantic_tokens(&self) -> Vec<SemanticToken> {
        let text = self.text();
        let mut named: Vec<SemanticToken> = Vec::new();
        for r in self.names() {
            let (kind, builtin) = match &r.target {
                Target::Builtin(_) => (TokenKind::Function, true),
                Target::BuiltinType(_) => (TokenKind::Type, true),
                Target::Def { kind, .. } => (
                    match kind {
                        DefKind::Fn => TokenKind::Function,
                        DefKind::Type | DefKind::Schema => TokenKind::Type,
                        DefKind::Import => TokenKind::Namespace,
                        DefKind::FnParam => TokenKind::Parameter,
                        DefKind::Field => TokenKind::Property,
                        _ => TokenKind::Variable,
                    },
                    false,
                ),
            };
            named.push(SemanticToken {
                span: r.span,
                kind,
                declaration: r.is_def,
                builtin,
            });
        }
        // Keys of objects and top-level fields.
        let mut keys: Vec<Span> = Vec::new();
        fn push_keys(keys: &mut Vec<Span>, path: &[Key]) {
            for k in path {
                if k.as_static().is_some() {
                    keys.push(k.span);
                }
            }
        }
        for item in self.own_items() {
            if let ItemKind::Field(f) = &item.kind {
                push_keys(&mut keys, &f.path);
            }
        }
        super::hover::each_expr(self.own_items(), &mut |e| {
            if let ExprKind::Object { entries, .. } = &e.kind {
                for en in entries {
                    if let EntryKind::Field(f) = &en.kind {
                        push_keys(&mut keys, &f.path);
                    }
                }
            }
            if let ExprKind::Field { name, .. } = &e.kind {
                keys.push(name.span);
            }
        });
        for k in keys {
            named.push(SemanticToken {
                span: k,
                kind: TokenKind::Property,
                declaration: false,
                builtin: false,
            });
        }
        named.sort_by_key(|t| (t.span.start, t.span.end));
        // Words come in source order and do not overlap, so the names that could contain a word
        // are found with two cursors moving forward: `hi` past the names starting at or before
        // the word, `lo` past the names that end before it (which cannot contain a later word
        // either). The name at `lo`, if before `hi`, is the first (in order) containing the word.
        let (mut lo, mut hi) = (0usize, 0usize);
        let mut out = Vec::new();
        for t in scan(text) {
            if t.kind == TokenKind::Variable {
                while hi < named.len() && named[hi].span.start <= t.span.start {
                    hi += 1;
                }
                while lo < hi && named[lo].span.end < t.span.end {
                    lo += 1;
                }
                // A plain word: a name the resolver knows, or a keyword.
                if let Some(n) = named[lo..hi].first() {
                    out.push(SemanticToken { span: t.span, ..*n });
                } else if crate::syntax::KEYWORDS.contains(&text.get(t.span.range()).unwrap_or(""))
                {
                    out.push(SemanticToken {
                        kind: TokenKind::Keyword,
                        ..t
                    });
                }
                continue;
            }
            out.push(t);
        }
        out
    }
}

/// Words, strings, numbers and comments of the text, split at line breaks. Words come out as
/// `Variable` for the caller to classify.
fn scan(text: &str) -> Vec<SemanticToken> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut push = |start: usize, end: usize, kind: TokenKind| {
        // One token per line.
        let mut s = start;
        for (i, b) in bytes[start..end].iter().enumerate() {
            if *b == b'\n' {
                if start + i > s {
                    out.push(tok(s, start + i, kind));
                }
                s = start + i + 1;
            }
        }
        if end > s {
            out.push(tok(s, end, kind));
        }
    };
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'/' && bytes.get(i + 1) == Some(&b'/') {
            let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
            push(i, end, TokenKind::Comment);
            i = end;
        } else if b == b'/' && bytes.get(i + 1) == Some(&b'*') {
            let end = text[i + 2..]
                .find("*/")
                .map_or(text.len(), |n| i + 2 + n + 2);
            push(i, end, TokenKind::Comment);
            i = end;
        } else if b == b'"' {
            let triple = text[i..].starts_with("\"\"\"");
            let end = if triple {
                text[i + 3..]
                    .find("\"\"\"")
                    .map_or(text.len(), |n| i + 3 + n + 3)
            } else {
                string_end(bytes, i + 1)
            };
            // Interpolations are code: the string token stops at `${` and resumes after its `}`.
            let mut s = i;
            let mut j = i + 1;
            while j < end {
                if bytes[j] == b'\\' {
                    j += 2;
                    continue;
                }
                if bytes[j] == b'$' && bytes.get(j + 1) == Some(&b'{') {
                    push(s, j, TokenKind::String);
                    let close = matching_brace(bytes, j + 1).min(end);
                    for t in scan(&text[j + 2..close]) {
                        out_shift(&mut push, t, j + 2);
                    }
                    s = (close + 1).min(end);
                    j = s;
                    continue;
                }
                j += 1;
            }
            push(s, end.min(text.len()), TokenKind::String);
            i = end.max(i + 1);
        } else if b.is_ascii_digit() {
            let mut end = i;
            while end < bytes.len()
                && (bytes[end].is_ascii_alphanumeric()
                    || bytes[end] == b'_'
                    || (bytes[end] == b'.' && bytes.get(end + 1).is_some_and(u8::is_ascii_digit)))
            {
                end += 1;
            }
            push(i, end, TokenKind::Number);
            i = end;
        } else if b.is_ascii_alphabetic() || b == b'_' {
            let mut end = i;
            while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
                end += 1;
            }
            push(i, end, TokenKind::Variable);
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

fn out_shift(push: &mut dyn FnMut(usize, usize, TokenKind), t: SemanticToken, by: usize) {
    push(t.span.start as usize + by, t.span.end as usize + by, t.kind);
}

fn tok(start: usize, end: usize, kind: TokenKind) -> SemanticToken {
    SemanticToken {
        span: Span::new(start, end),
        kind,
        declaration: false,
        builtin: false,
    }
}

/// The end of a one-line string whose text starts at `from` (after the closing quote).
fn string_end(bytes: &[u8], from: usize) -> usize {
    let mut j = from;
    let mut depth = 0;
    while j < bytes.len() {
        match bytes[j] {
            b'\\' => j += 1,
            b'$' if depth == 0 && bytes.get(j + 1) == Some(&b'{') => {
                j = matching_brace(bytes, j + 1);
            }
            b'"' => return j + 1,
            b'\n' => return j,
            _ => {}
        }
        j += 1;
        depth = 0;
    }
    bytes.len()
}

/// The index of the `}` closing the `{` at `open` (the end of the text if none).
fn matching_brace(bytes: &[u8], open: usize) -> usize {
    let mut depth = 0;
    let mut j = open;
    while j < bytes.len() {
        match bytes[j] {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return j;
                }
            }
            b'\n' => return j,
            _ => {}
        }
        j += 1;
    }
    bytes.len()
}
