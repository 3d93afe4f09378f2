//! Making an incomplete file parse, for completion: a placeholder name goes where the cursor
//! is, and when the item around the cursor still does not parse, the rest of it is cut off and
//! its open brackets are closed.
//!
//! The parser recovers per item (an item that does not parse becomes an `Error` item), so only
//! the item under the cursor needs repair; the items after it are kept as they are.

use crate::syntax::Parse;
use crate::syntax::ast::{ItemKind, Span};

/// The name inserted at the cursor. Any identifier the user could not mean works; this one is
/// long and plain so no program has it.
pub(crate) const PLACEHOLDER: &str = "cairnIdeCompletionPlaceholder";

/// `text` with the placeholder at `offset`, repaired so that the item around it parses when
/// one of a few repairs does. The placeholder starts at `offset` in the result.
/// `parse` parses a whole text (the workspace's cache, so that the analysis that follows
/// reuses the parse of the text chosen).
pub(crate) fn with_placeholder(text: &str, offset: usize, parse: &dyn Fn(&str) -> Parse) -> String {
    repair(text, offset, PLACEHOLDER, parse)
}

/// `text` repaired so that the item around `offset` parses, for hover and definition: when it
/// does not, the item is cut after the name at `offset` and its brackets are closed. Text
/// before the cut keeps its offsets.
pub(crate) fn for_position(text: &str, offset: usize, parse: &dyn Fn(&str) -> Parse) -> String {
    let offset = floor_boundary(text, offset);
    if parses_at(text, offset, parse) {
        return text.to_string();
    }
    let end = text[offset..]
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map_or(text.len(), |(i, _)| offset + i);
    repair(text, end, "", parse)
}

fn repair(text: &str, offset: usize, placeholder: &str, parse: &dyn Fn(&str) -> Parse) -> String {
    let offset = floor_boundary(text, offset);
    let (before, after) = text.split_at(offset);
    let plain = format!("{before}{placeholder}{after}");
    if parses_at(&plain, offset, parse) {
        return plain;
    }
    let start = item_start(text, offset);
    let resume = item_resume(text, offset);
    let closers = closers(&text[start..offset]);
    let rest = &text[resume..];
    for middle in ["", ": null", " {}", ")", " = null"] {
        let candidate = format!("{before}{placeholder}{middle}{closers}\n{rest}");
        if parses_at(&candidate, offset, parse) {
            return candidate;
        }
    }
    plain
}

fn floor_boundary(text: &str, offset: usize) -> usize {
    let mut o = offset.min(text.len());
    while !text.is_char_boundary(o) {
        o -= 1;
    }
    o
}

/// Whether the item holding `offset` parses.
fn parses_at(text: &str, offset: usize, parse: &dyn Fn(&str) -> Parse) -> bool {
    let parsed = parse(text);
    let at = offset as u32;
    !parsed.module.items.iter().any(|i| {
        matches!(i.kind, ItemKind::Error)
            && i.span.start <= at
            && at <= i.span.end.max(i.span.start)
    }) && !parsed
        .errors
        .iter()
        .filter_map(|d| d.primary())
        .any(|l| within_item(text, l.span, offset))
}

/// Whether an error at `span` is in the same item as `offset`.
fn within_item(text: &str, span: Span, offset: usize) -> bool {
    let start = item_start(text, offset);
    let end = item_resume(text, offset);
    (span.start as usize) >= start && (span.start as usize) < end.max(start + 1)
}

/// Whether a line starting at `at` starts an item: text at column 0 that does not close a
/// bracket.
fn starts_item(text: &str, at: usize) -> bool {
    text[at..]
        .chars()
        .next()
        .is_some_and(|c| !c.is_whitespace() && !matches!(c, '}' | ')' | ']' | ','))
}

/// The start of the item around `offset`: the last line at or before it that starts an item.
fn item_start(text: &str, offset: usize) -> usize {
    let mut at = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    loop {
        if starts_item(text, at) || at == 0 {
            return at;
        }
        at = text[..at - 1].rfind('\n').map_or(0, |i| i + 1);
    }
}

/// Where the next item after the line of `offset` starts (the end of the text if none).
fn item_resume(text: &str, offset: usize) -> usize {
    let mut at = offset;
    while let Some(nl) = text[at..].find('\n') {
        at += nl + 1;
        if starts_item(text, at) {
            return at;
        }
    }
    text.len()
}

/// The brackets that `prefix` leaves open, closed innermost first. Strings and comments are
/// skipped.
fn closers(prefix: &str) -> String {
    let mut stack: Vec<char> = Vec::new();
    let mut chars = prefix.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                // Skip to the closing quote on this line (escapes skip a character).
                while let Some(d) = chars.next() {
                    match d {
                        '\\' => {
                            chars.next();
                        }
                        '"' | '\n' => break,
                        _ => {}
                    }
                }
            }
            '/' if chars.peek() == Some(&'/') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
            }
            '(' => stack.push(')'),
            '[' => stack.push(']'),
            '{' => stack.push('}'),
            ')' | ']' | '}' if stack.last() == Some(&c) => {
                stack.pop();
            }
            _ => {}
        }
    }
    stack.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closes_what_is_open() {
        assert_eq!(closers("x: { a: [1, (2"), ")]}");
        assert_eq!(closers("x: \"{\" + f("), ")");
    }

    #[test]
    fn repairs_an_unclosed_object() {
        let text = "resource web: k8s.Deployment {\n  spec.\n\nlet y = 1\n";
        let at = text.find("spec.").unwrap_or(0) + 5;
        let parse = |t: &str| crate::syntax::parse(crate::source::FileId(0), t);
        let fixed = with_placeholder(text, at, &parse);
        assert!(
            fixed.contains("spec.cairnIdeCompletionPlaceholder: null}"),
            "{fixed}"
        );
        assert!(fixed.ends_with("let y = 1\n"));
    }
}
