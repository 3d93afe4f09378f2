//! A YAML emitter of our own, written for speed and for safe scalars.
//!
//! Why not a generic serializer: the fleet benchmark showed a generic YAML serializer spending
//! twenty times longer than writing the bytes, and the emitter is on the hot path of `export`.
//! Writing block-style YAML from a tree is simple; the hard part is deciding when a string may
//! stay plain, and here we are deliberately conservative: a string is plain only when every
//! YAML 1.1 and YAML 1.2 reader reads it back as the same string. Everything else is quoted
//! (`"no"`, `"on"`, `"0755"`, `"1e3"`, `"12:30"`, `".inf"`, `"2024-01-01"`, ...), and text with line
//! breaks becomes a literal block scalar (`|`, `|-`, `|+`) when it can be written as one.

use super::{DEFAULT_MAX_OUTPUT, ExportError, format_float};
use crate::syntax::ast::Name;
use crate::value::Value;

/// One value as a YAML document (no `---` line), ending in a line break. At most
/// [`DEFAULT_MAX_OUTPUT`] bytes.
pub fn to_string(v: &Value) -> Result<String, ExportError> {
    to_string_limited(v, DEFAULT_MAX_OUTPUT)
}

/// [`to_string`], refusing output longer than `max` bytes.
pub fn to_string_limited(v: &Value, max: usize) -> Result<String, ExportError> {
    let mut out = String::new();
    write_document(&mut out, v, &mut KeyCache::default(), max).map_err(|e| e.with_limit(max))?;
    Ok(out)
}

/// A stream of documents, each preceded by `---`, of at most `max` bytes.
pub fn to_stream(docs: &[&Value], max: usize) -> Result<String, ExportError> {
    let mut out = String::with_capacity(docs.len() * 512);
    let mut cache = KeyCache::default();
    for d in docs {
        out.push_str("---\n");
        write_document(&mut out, d, &mut cache, max).map_err(|e| e.with_limit(max))?;
    }
    Ok(out)
}

/// Appends one document to `out`; stops with [`ExportError::TooLarge`] once `out` passes `max`
/// bytes.
pub fn write_document(
    out: &mut String,
    v: &Value,
    cache: &mut KeyCache,
    max: usize,
) -> Result<(), ExportError> {
    match v {
        Value::Object(o) if !o.is_empty() => write_block(out, v, 0, false, cache, max),
        Value::List(l) if !l.is_empty() => write_block(out, v, 0, false, cache, max),
        _ => {
            if let Value::Str(s) = v
                && let Some(block) = block_scalar_header(s).filter(|h| !h.contains('2'))
            {
                out.push_str(block);
                out.push('\n');
                return write_block_lines(out, s, 2, max);
            }
            write_scalar(out, v)?;
            out.push('\n');
            Ok(())
        }
    }
}

/// Longer keys are written as explicit `? key` entries (YAML allows 1024 characters for an
/// implicit key; we stay well below, counting bytes of the quoted form).
const MAX_IMPLICIT_KEY: usize = 512;

const SPACES: &str = "                                                                ";

fn indent(out: &mut String, mut n: usize) {
    while n > SPACES.len() {
        out.push_str(SPACES);
        n -= SPACES.len();
    }
    out.push_str(&SPACES[..n]);
}

/// Writes a non-empty object or list whose entries start at column `col`. With `inline_first`
/// the first entry continues the current line (after `- `).
fn write_block(
    out: &mut String,
    v: &Value,
    col: usize,
    inline_first: bool,
    cache: &mut KeyCache,
    max: usize,
) -> Result<(), ExportError> {
    match v {
        Value::Object(o) => {
            for (i, (k, child)) in o.iter().enumerate() {
                if i > 0 || !inline_first {
                    indent(out, col);
                }
                if k.len() > MAX_IMPLICIT_KEY {
                    // YAML limits implicit keys to 1024 characters; longer ones need `? key`.
                    out.push_str("? ");
                    write_quoted(out, k);
                    out.push('\n');
                    indent(out, col);
                } else {
                    write_key(out, k, cache);
                }
                out.push(':');
                write_child(out, child, col, false, cache, max)?;
            }
        }
        Value::List(l) => {
            for (i, child) in l.iter().enumerate() {
                if i > 0 || !inline_first {
                    indent(out, col);
                }
                out.push('-');
                write_child(out, child, col, true, cache, max)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Writes the value after `key:` or `-` (the parent entry starts at column `col`).
fn write_child(
    out: &mut String,
    v: &Value,
    col: usize,
    in_list: bool,
    cache: &mut KeyCache,
    max: usize,
) -> Result<(), ExportError> {
    // The output is checked value by value, so a value small in memory but huge written out
    // (shared parts are written every time they are used) stops before it takes the memory.
    if out.len() > max {
        return Err(ExportError::TooLarge(max));
    }
    // Deeply nested values recurse deeply: check the stack every 32 levels of indentation.
    if col % 64 == 62 {
        return stacker::maybe_grow(256 * 1024, 4 * 1024 * 1024, || {
            write_child_inner(out, v, col, in_list, cache, max)
        });
    }
    write_child_inner(out, v, col, in_list, cache, max)
}

fn write_child_inner(
    out: &mut String,
    v: &Value,
    col: usize,
    in_list: bool,
    cache: &mut KeyCache,
    max: usize,
) -> Result<(), ExportError> {
    let nonempty = match v {
        Value::Object(o) => !o.is_empty(),
        Value::List(l) => !l.is_empty(),
        _ => false,
    };
    match v {
        // A block: after `- ` it starts on the same line, after `key:` on the next.
        Value::Object(_) | Value::List(_) if nonempty => {
            out.push(if in_list { ' ' } else { '\n' });
            write_block(out, v, col + 2, in_list, cache, max)
        }
        Value::Str(s) => {
            out.push(' ');
            if cache.is_plain(s) {
                out.push_str(s);
                out.push('\n');
            } else if let Some(header) = block_scalar_header(s) {
                out.push_str(header);
                out.push('\n');
                write_block_lines(out, s, col + 2, max)?;
            } else {
                write_quoted(out, s);
                out.push('\n');
            }
            Ok(())
        }
        _ => {
            out.push(' ');
            write_scalar(out, v)?;
            out.push('\n');
            Ok(())
        }
    }
}

fn write_scalar(out: &mut String, v: &Value) -> Result<(), ExportError> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Int(i) => {
            use std::fmt::Write;
            let _ = write!(out, "{i}");
        }
        Value::Float(x) => out.push_str(&format_float(*x)),
        Value::Str(s) => write_str(out, s),
        Value::Object(_) => out.push_str("{}"),
        Value::List(_) => out.push_str("[]"),
        Value::Func(_) => {
            return Err(ExportError::Invalid(
                "a function cannot be exported".to_string(),
            ));
        }
    }
    Ok(())
}

/// Remembers whether keys may be written plain. Keys repeat (the same few names in every
/// document, shared through one `Arc` from the source), so the decision is cached by the
/// string's address. A cache lives for one export, during which every value it has seen is
/// borrowed and alive, so an address cannot be reused by a different string.
pub struct KeyCache {
    slots: [(usize, usize, bool); 256],
}

impl Default for KeyCache {
    fn default() -> KeyCache {
        KeyCache {
            slots: [(0, 0, false); 256],
        }
    }
}

impl KeyCache {
    fn is_plain(&mut self, s: &Name) -> bool {
        let addr = s.as_ptr() as usize;
        let slot = &mut self.slots[(addr.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) & 255];
        if slot.0 == addr && slot.1 == s.len() {
            return slot.2;
        }
        let plain = is_plain_safe(s);
        *slot = (addr, s.len(), plain);
        plain
    }
}

fn write_key(out: &mut String, k: &Name, cache: &mut KeyCache) {
    if cache.is_plain(k) {
        out.push_str(k);
    } else {
        write_quoted(out, k);
    }
}

/// Writes a string as a plain scalar when that is safe, else double-quoted.
pub fn write_str(out: &mut String, s: &str) {
    if is_plain_safe(s) {
        out.push_str(s);
    } else {
        write_quoted(out, s);
    }
}

fn write_quoted(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\t' => Some("\\t"),
            '\r' => Some("\\r"),
            '\0' => Some("\\0"),
            '\u{85}' => Some("\\N"),
            '\u{2028}' => Some("\\L"),
            '\u{2029}' => Some("\\P"),
            _ => None,
        };
        let needs_hex = esc.is_none() && (c.is_control() || c == '\u{feff}');
        if esc.is_some() || needs_hex {
            out.push_str(&s[start..i]);
            match esc {
                Some(e) => out.push_str(e),
                None => out.push_str(&format!("\\u{:04X}", c as u32)),
            }
            start = i + c.len_utf8();
        }
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// The header (`|`, `|-` or `|+`) when `s` can be written as a literal block scalar.
fn block_scalar_header(s: &str) -> Option<&'static str> {
    if !s.contains('\n') {
        return None;
    }
    let body = s.trim_end_matches('\n');
    if body.is_empty() || body.trim_start_matches('\n').starts_with('\t') {
        return None;
    }
    // A first line that starts with spaces needs an explicit indentation indicator, else the
    // reader would take those spaces for the block's indentation.
    let indicator = body.trim_start_matches('\n').starts_with(' ');
    for line in body.split('\n') {
        // A line of only spaces, trailing white space, and characters that need escapes cannot
        // be represented faithfully in a block scalar.
        if line.ends_with([' ', '\t']) {
            return None;
        }
        if line.chars().any(|c| {
            (c.is_control() && c != '\t')
                || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
        }) {
            return None;
        }
    }
    Some(match (s.len() - body.len(), indicator) {
        (0, false) => "|-",
        (1, false) => "|",
        (_, false) => "|+",
        (0, true) => "|2-",
        (1, true) => "|2",
        (_, true) => "|2+",
    })
}

/// Writes the lines of a block scalar, indented to `col` (a text of many lines, deeply
/// nested, takes much more written out than in memory: checked line by line).
fn write_block_lines(out: &mut String, s: &str, col: usize, max: usize) -> Result<(), ExportError> {
    let body = s.trim_end_matches('\n');
    for line in body.split('\n') {
        if !line.is_empty() {
            if out.len() > max {
                return Err(ExportError::TooLarge(max));
            }
            indent(out, col);
            out.push_str(line);
        }
        out.push('\n');
    }
    // `|+` keeps the extra trailing line breaks.
    let trailing = s.len() - body.len();
    for _ in 1..trailing {
        out.push('\n');
    }
    Ok(())
}

const RESERVED: &[&str] = &[
    "null", "Null", "NULL", "~", "true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes",
    "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N",
];

/// Bytes that may stand anywhere in a plain scalar (ASCII only; see [`is_plain_safe`]).
static PLAIN_BYTE: [bool; 128] = {
    let mut t = [false; 128];
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b' ' | b'_'
                    | b'-'
                    | b'.'
                    | b'/'
                    | b':'
                    | b'@'
                    | b'+'
                    | b'='
                    | b'('
                    | b')'
                    | b'%'
                    | b'~'
                    | b','
            );
        c += 1;
    }
    t
};

/// Whether `s` reads back as this same string, unquoted, in YAML 1.1 and 1.2 readers.
pub fn is_plain_safe(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(&first) = b.first() else {
        return false;
    };
    if !(first.is_ascii_alphanumeric()
        || first == b'_'
        || first == b'/'
        || first == b'.'
        || first >= 0x80)
    {
        return false;
    }
    if b.len() <= 5
        && matches!(
            first,
            b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'y' | b'Y' | b'o' | b'O'
        )
        && RESERVED.contains(&s)
    {
        return false;
    }
    let mut prev = b' ';
    let mut ascii = true;
    for &c in b {
        if c >= 0x80 {
            ascii = false;
        } else if !PLAIN_BYTE[c as usize] || (prev == b':' && c == b' ') {
            return false;
        }
        prev = c;
    }
    if matches!(b[b.len() - 1], b' ' | b':') {
        return false;
    }
    // Non-ASCII text stays plain only when it is letters and digits (no odd spaces or marks).
    if !ascii && !s.chars().all(|c| c.is_ascii() || c.is_alphanumeric()) {
        return false;
    }
    if !ascii
        && !s
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii() || c.is_alphanumeric())
    {
        return false;
    }
    if first.is_ascii_digit() || first == b'.' {
        return !looks_numeric(s);
    }
    true
}

/// Whether a string starting with a digit or `.` could be read as a number, date or time by
/// some YAML reader: we keep it plain only when it clearly is a word (`100m`, `128Mi`, `v1`).
fn looks_numeric(s: &str) -> bool {
    if s.eq_ignore_ascii_case(".inf") || s.eq_ignore_ascii_case(".nan") {
        return true;
    }
    let b = s.as_bytes();
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1], b'x' | b'X' | b'o' | b'O' | b'b' | b'B') {
        return true;
    }
    // YAML 1.1 timestamps: 2001-12-14, 2001-12-14t21:59:43.10-05:00, ...
    if b.len() >= 6 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' {
        return true;
    }
    // Anything with a letter other than an exponent marker is a word.
    !s.chars().any(|c| c.is_alphabetic() && c != 'e' && c != 'E')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_what_readers_would_misread() {
        for s in [
            "no",
            "on",
            "yes",
            "y",
            "~",
            "null",
            "0755",
            "0x1F",
            "1e3",
            "12:30",
            ".inf",
            "1.0.0",
            "2024-01-01",
            "",
            " a",
            "a ",
            "a: b",
            "#x",
            "-",
            "- a",
            "@x",
            "!x",
            "&a",
            "*a",
            "a#b",
            "1_000",
            "+1",
            "-1",
            "0o17",
            "TRUE",
        ] {
            assert!(!is_plain_safe(s), "{s:?} should be quoted");
        }
        for s in [
            "web",
            "100m",
            "128Mi",
            "registry.example.com/team/svc-1:1.2.0",
            "v1",
            "app",
            "a b",
            "ClusterIP",
        ] {
            assert!(is_plain_safe(s), "{s:?} should be plain");
        }
    }

    #[test]
    fn block_scalars_keep_trailing_newlines() {
        assert_eq!(block_scalar_header("a\nb"), Some("|-"));
        assert_eq!(block_scalar_header("a\nb\n"), Some("|"));
        assert_eq!(block_scalar_header("a\nb\n\n"), Some("|+"));
        assert_eq!(block_scalar_header(" a\nb"), Some("|2-"));
        assert_eq!(block_scalar_header("\ta\nb"), None);
        assert_eq!(block_scalar_header("a \nb"), None);
    }
}
