//! A JSON writer: compact, or pretty with a chosen indentation. Keys keep their order.

use super::{DEFAULT_MAX_OUTPUT, ExportError, format_float};
use crate::value::Value;

/// `v` as JSON; `indent` spaces per level, or compact when `None`. At most
/// [`DEFAULT_MAX_OUTPUT`] bytes.
pub fn to_string(v: &Value, indent: Option<usize>) -> Result<String, ExportError> {
    to_string_limited(v, indent, DEFAULT_MAX_OUTPUT)
}

/// [`to_string`], refusing output longer than `max` bytes.
pub fn to_string_limited(
    v: &Value,
    indent: Option<usize>,
    max: usize,
) -> Result<String, ExportError> {
    let mut out = String::new();
    write(&mut out, v, indent, 0, max).map_err(|e| e.with_limit(max))?;
    Ok(out)
}

fn newline(out: &mut String, indent: Option<usize>, level: usize) {
    if let Some(n) = indent {
        out.push('\n');
        for _ in 0..n * level {
            out.push(' ');
        }
    }
}

/// Appends `v` as JSON to `out`, starting at nesting `level`; stops with
/// [`ExportError::TooLarge`] once `out` passes `max` bytes (the output of one value is checked
/// as it is written, so a value that is small in memory but huge written out is refused before
/// it takes the memory).
pub fn write(
    out: &mut String,
    v: &Value,
    indent: Option<usize>,
    level: usize,
    max: usize,
) -> Result<(), ExportError> {
    if out.len() > max {
        return Err(ExportError::TooLarge(max));
    }
    // Deeply nested values recurse deeply: check the stack every 32 levels.
    if level % 32 == 31 {
        return stacker::maybe_grow(256 * 1024, 4 * 1024 * 1024, || {
            write_inner(out, v, indent, level, max)
        });
    }
    write_inner(out, v, indent, level, max)
}

fn write_inner(
    out: &mut String,
    v: &Value,
    indent: Option<usize>,
    level: usize,
    max: usize,
) -> Result<(), ExportError> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            use std::fmt::Write;
            let _ = write!(out, "{i}");
        }
        Value::Float(x) => {
            if !x.is_finite() {
                return Err(ExportError::Invalid(format!(
                    "JSON has no representation for {}",
                    format_float(*x)
                )));
            }
            out.push_str(&format_float(*x));
        }
        Value::Str(s) => write_str(out, s),
        Value::List(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, indent, level + 1);
                write(out, item, indent, level + 1, max)?;
            }
            newline(out, indent, level);
            out.push(']');
        }
        Value::Object(o) => {
            if o.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, item)) in o.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, indent, level + 1);
                write_str(out, k);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write(out, item, indent, level + 1, max)?;
            }
            newline(out, indent, level);
            out.push('}');
        }
        Value::Func(_) => {
            return Err(ExportError::Invalid(
                "a function cannot be exported".to_string(),
            ));
        }
    }
    Ok(())
}

pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            _ => None,
        };
        if esc.is_some() || (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' {
            out.push_str(&s[start..i]);
            match esc {
                Some(e) => out.push_str(e),
                None => out.push_str(&format!("\\u{:04x}", c as u32)),
            }
            start = i + c.len_utf8();
        }
    }
    out.push_str(&s[start..]);
    out.push('"');
}
