//! A small hand-written scanner over the raw text, run before pest.
//!
//! It finds what the grammar skips or cannot see cheaply: regular comments (kept for the
//! formatter and the language server), the deepest bracket nesting (checked before parsing so a
//! pathological file ends in a diagnostic, not a stack overflow), and the line starts that lie
//! outside strings and comments (where item-level recovery may resume).

use super::ast::{Comment, Span};

pub const MAX_NESTING: usize = 256;

pub struct Trivia {
    pub comments: Vec<Comment>,
    /// Offsets of lines that start at column 0 with a character that may begin an item.
    pub item_starts: Vec<usize>,
    /// Where nesting first went past [`MAX_NESTING`].
    pub too_deep_at: Option<usize>,
    /// Start offsets of `"` strings that reach the end of their line unclosed.
    pub unterminated: Vec<usize>,
    /// The start of a `/*` comment that reaches the end of the file unclosed.
    pub unclosed_comment: Option<usize>,
}

#[derive(Clone, Copy, PartialEq)]
enum Ctx {
    /// `{`, `[` or `(`.
    Bracket,
    /// The `${` of an interpolation; its `}` returns to the string.
    Interp,
    /// `"..."`, opened at this offset.
    Line(usize),
    /// `"""..."""`
    Multi,
}

pub fn scan(src: &str) -> Trivia {
    let b = src.as_bytes();
    let mut comments = Vec::new();
    let mut item_starts = Vec::new();
    let mut too_deep_at = None;
    let mut unterminated = Vec::new();
    let mut unclosed_comment = None;
    let mut stack: Vec<Ctx> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    let mut line_start = true;
    while i < b.len() {
        let c = b[i];
        if line_start && stack.is_empty() && can_start_item(c) {
            item_starts.push(i);
        }
        line_start = c == b'\n';
        match stack.last() {
            Some(&kind @ (Ctx::Line(_) | Ctx::Multi)) => {
                match c {
                    b'\\' => i += 1,
                    b'$' if b.get(i + 1) == Some(&b'{') => {
                        stack.push(Ctx::Interp);
                        depth += 1;
                        i += 1;
                    }
                    b'"' if kind != Ctx::Multi => {
                        stack.pop();
                    }
                    b'"' if src[i..].starts_with("\"\"\"") => {
                        stack.pop();
                        i += 2;
                    }
                    // An unterminated string: the parser reports it; scan on as code.
                    b'\n' => {
                        if let Ctx::Line(start) = kind {
                            unterminated.push(start);
                            stack.pop();
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            _ => match c {
                b'/' if b.get(i + 1) == Some(&b'/') => {
                    let end = src[i..].find('\n').map_or(b.len(), |n| i + n);
                    let is_doc = src[i..].starts_with("///") && !src[i..].starts_with("////");
                    if !is_doc {
                        comments.push(Comment {
                            span: Span::new(i, end),
                            block: false,
                            text: src[i + 2..end].trim_end_matches('\r').to_string(),
                        });
                    }
                    i = end;
                }
                b'/' if b.get(i + 1) == Some(&b'*') => {
                    let (end, closed) = block_comment_end(src, i);
                    // An unclosed comment runs to the end of the file: no `*/` to cut.
                    if !closed && unclosed_comment.is_none() {
                        unclosed_comment = Some(i);
                    }
                    let inner_end = if closed { end - 2 } else { end };
                    comments.push(Comment {
                        span: Span::new(i, end),
                        block: true,
                        text: src[(i + 2).min(inner_end)..inner_end].to_string(),
                    });
                    i = end;
                }
                b'"' => {
                    if src[i..].starts_with("\"\"\"") {
                        stack.push(Ctx::Multi);
                        i += 3;
                    } else {
                        stack.push(Ctx::Line(i));
                        i += 1;
                    }
                }
                b'{' | b'[' | b'(' => {
                    stack.push(Ctx::Bracket);
                    depth += 1;
                    if depth > MAX_NESTING && too_deep_at.is_none() {
                        too_deep_at = Some(i);
                    }
                    i += 1;
                }
                b'}' | b']' | b')' => {
                    if matches!(stack.last(), Some(Ctx::Bracket))
                        || (c == b'}' && matches!(stack.last(), Some(Ctx::Interp)))
                    {
                        stack.pop();
                        depth -= 1;
                    }
                    i += 1;
                }
                _ => i += 1,
            },
        }
    }
    if let Some(Ctx::Line(start)) = stack.last() {
        unterminated.push(*start);
    }
    Trivia {
        comments,
        item_starts,
        too_deep_at,
        unterminated,
        unclosed_comment,
    }
}

fn can_start_item(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'"' || c == b'/'
}

/// The end of the block comment starting at `start` (comments nest), and whether it is closed;
/// an unclosed one ends at the end of the file.
fn block_comment_end(src: &str, start: usize) -> (usize, bool) {
    let b = src.as_bytes();
    let mut depth = 0usize;
    let mut i = start;
    while i + 1 < b.len() {
        if b[i] == b'/' && b[i + 1] == b'*' {
            depth += 1;
            i += 2;
        } else if b[i] == b'*' && b[i + 1] == b'/' {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return (i, true);
            }
        } else {
            i += 1;
        }
    }
    (b.len(), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_comments_outside_strings() {
        let t = scan("a: \"// no\" // yes\n/* b */ c: 1\n/// doc\nd: 2");
        let texts: Vec<_> = t.comments.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, vec![" yes", " b "]);
        assert_eq!(t.item_starts, vec![0, 18, 31, 39]);
    }

    #[test]
    fn interpolation_braces_do_not_end_strings() {
        let t = scan("a: \"${ {x: 1}.x }\"\nb: 2");
        assert_eq!(t.item_starts, vec![0, 19]);
    }

    #[test]
    fn reports_deep_nesting() {
        let src = "x: ".to_string() + &"[".repeat(300) + &"]".repeat(300);
        assert!(scan(&src).too_deep_at.is_some());
        let ok = "x: ".to_string() + &"[".repeat(100) + &"]".repeat(100);
        assert!(scan(&ok).too_deep_at.is_none());
    }
}
