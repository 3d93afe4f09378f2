//! Builtin functions. Each entry holds its name, arity, a signature and a doc line (rendered into
//! docs/language.md's builtin table by a test) and the function itself.
//!
//! Builtins are pure: none reads the clock, the environment, the network or files.

use std::cmp::Ordering;
use std::sync::{Arc, LazyLock};

use base64::Engine as _;
use rustc_hash::FxHashMap;
use sha2::Digest;

use super::ops::{MAX_LIST, MAX_STRING};
use super::{ELEMENT_BYTES, Evaluator, FIELD_BYTES, Func, FuncKind, R, STRING_BYTES, Site};
use crate::diagnostics::{Diagnostic, codes};
use crate::syntax::ast::Span;
use crate::value::{Object, Value};

/// A builtin function.
pub struct Builtin {
    pub name: &'static str,
    pub min_args: usize,
    pub max_args: usize,
    /// How to call it, like `len(x: String | List | Object) -> Int`.
    pub signature: &'static str,
    pub doc: &'static str,
    pub(crate) run: fn(&mut Evaluator<'_, '_>, &[Value], &Site<'_>) -> R<Value>,
}

/// The largest list `range` builds.
pub const MAX_RANGE: i64 = 10_000_000;

macro_rules! builtin {
    ($name:literal, $min:expr, $max:expr, $sig:literal, $doc:literal, $run:expr) => {
        Builtin {
            name: $name,
            min_args: $min,
            max_args: $max,
            signature: $sig,
            doc: $doc,
            run: $run,
        }
    };
}

const MANY: usize = usize::MAX;

/// Every builtin, in alphabetical order.
pub static BUILTINS: &[Builtin] = &[
    builtin!(
        "base64_decode",
        1,
        1,
        "base64_decode(s: String) -> String",
        "Decodes standard Base64 (with padding) into UTF-8 text.",
        base64_decode
    ),
    builtin!(
        "base64_encode",
        1,
        1,
        "base64_encode(s: String) -> String",
        "Encodes the UTF-8 bytes of `s` as standard Base64 with padding.",
        base64_encode
    ),
    builtin!(
        "contains",
        2,
        2,
        "contains(haystack: List | String | Object, needle) -> Bool",
        "Whether a list has an element equal to `needle`, a string has the substring `needle`, or an object has the key `needle`.",
        contains
    ),
    builtin!(
        "ends_with",
        2,
        2,
        "ends_with(s: String, suffix: String) -> Bool",
        "Whether `s` ends with `suffix`.",
        ends_with
    ),
    builtin!(
        "flatten",
        1,
        1,
        "flatten(xs: List) -> List",
        "Splices the elements of nested lists one level deep: `flatten([[1], [2, 3], 4])` is `[1, 2, 3, 4]`.",
        flatten
    ),
    builtin!(
        "format",
        1,
        MANY,
        "format(template: String, args...) -> String",
        "Replaces each `{}` in `template` with the next argument as text; `{{` and `}}` are literal braces.",
        format
    ),
    builtin!(
        "from_json",
        1,
        1,
        "from_json(s: String) -> Any",
        "Parses JSON text into a value.",
        from_json
    ),
    builtin!(
        "from_yaml",
        1,
        1,
        "from_yaml(s: String) -> Any",
        "Parses one YAML document into a value (as serde_yaml reads it: numbers with leading zeros such as `0755` stay strings).",
        from_yaml
    ),
    builtin!(
        "join",
        2,
        2,
        "join(xs: List, separator: String) -> String",
        "Joins the elements, as text, with `separator` between them.",
        join
    ),
    builtin!(
        "keys",
        1,
        1,
        "keys(o: Object) -> [String]",
        "The keys of an object, in order.",
        keys
    ),
    builtin!(
        "len",
        1,
        1,
        "len(x: String | List | Object) -> Int",
        "The number of characters of a string, elements of a list or fields of an object.",
        len
    ),
    builtin!(
        "lower",
        1,
        1,
        "lower(s: String) -> String",
        "`s` in lower case.",
        lower
    ),
    builtin!(
        "max",
        1,
        MANY,
        "max(xs: List) -> Any | max(a, b, ...) -> Any",
        "The largest of the numbers or strings given as one list or as several arguments.",
        max
    ),
    builtin!(
        "merge",
        1,
        MANY,
        "merge(a: Object, b: Object, ...) -> Object",
        "Deep-merges objects left to right: nested objects merge, anything else in a later object (including `null`) replaces the earlier value; `null` arguments are skipped.",
        merge
    ),
    builtin!(
        "min",
        1,
        MANY,
        "min(xs: List) -> Any | min(a, b, ...) -> Any",
        "The smallest of the numbers or strings given as one list or as several arguments.",
        min
    ),
    builtin!(
        "range",
        1,
        3,
        "range(end: Int) | range(start: Int, end: Int, step: Int = 1) -> [Int]",
        "The integers from `start` (default 0) up to but not including `end`, counting by `step`.",
        range
    ),
    builtin!(
        "replace",
        3,
        3,
        "replace(s: String, from: String, to: String) -> String",
        "Replaces every occurrence of `from` in `s` with `to`.",
        replace
    ),
    builtin!(
        "sha256",
        1,
        1,
        "sha256(s: String) -> String",
        "The SHA-256 digest of the UTF-8 bytes of `s`, as lower-case hex.",
        sha256
    ),
    builtin!(
        "slice",
        2,
        3,
        "slice(xs: List, start: Int, end: Int = len(xs)) -> List",
        "The elements from position `start` up to but not including `end`; a negative position counts from the end (`slice(xs, -2)` is the last two), and positions past either end stop there.",
        slice
    ),
    builtin!(
        "sort",
        1,
        1,
        "sort(xs: List) -> List",
        "The elements in ascending order (numbers, strings or booleans; stable).",
        sort
    ),
    builtin!(
        "sort_by",
        2,
        2,
        "sort_by(xs: List, key: fn(x) -> Any) -> List",
        "The elements ordered by `key(x)` (stable).",
        sort_by
    ),
    builtin!(
        "split",
        2,
        2,
        "split(s: String, separator: String) -> [String]",
        "Splits `s` at every `separator`; an empty separator splits into characters.",
        split
    ),
    builtin!(
        "starts_with",
        2,
        2,
        "starts_with(s: String, prefix: String) -> Bool",
        "Whether `s` starts with `prefix`.",
        starts_with
    ),
    builtin!(
        "sum",
        1,
        1,
        "sum(xs: List) -> Int | Float",
        "The sum of a list of numbers; 0 for an empty list.",
        sum
    ),
    builtin!(
        "to_float",
        1,
        1,
        "to_float(x: Int | Float | String) -> Float",
        "`x` as a Float; a string must hold a number.",
        to_float
    ),
    builtin!(
        "to_int",
        1,
        1,
        "to_int(x: Int | Float | String) -> Int",
        "`x` as an Int; a float is truncated toward zero; a string must hold an integer.",
        to_int
    ),
    builtin!(
        "to_json",
        1,
        2,
        "to_json(x: Any, indent: Int = 0) -> String",
        "`x` as JSON text: compact, or pretty-printed with `indent` spaces.",
        to_json
    ),
    builtin!(
        "to_string",
        1,
        1,
        "to_string(x: Any) -> String",
        "`x` as text, as interpolation shows it: strings unchanged, lists and objects as compact JSON.",
        to_string
    ),
    builtin!(
        "to_yaml",
        1,
        1,
        "to_yaml(x: Any) -> String",
        "`x` as a YAML document, in the same layout `cairn export` writes.",
        to_yaml
    ),
    builtin!(
        "trim",
        1,
        1,
        "trim(s: String) -> String",
        "`s` without leading and trailing white space.",
        trim
    ),
    builtin!(
        "type_of",
        1,
        1,
        "type_of(x: Any) -> String",
        "The name of the value's type: `Null`, `Bool`, `Int`, `Float`, `String`, `List`, `Object` or `Function`.",
        type_of
    ),
    builtin!(
        "unique",
        1,
        1,
        "unique(xs: List) -> List",
        "The elements without repeats, keeping the first of each.",
        unique
    ),
    builtin!(
        "unique_by",
        2,
        2,
        "unique_by(xs: List, key: fn(x) -> Any) -> List",
        "The elements without repeats of `key(x)`, keeping the first of each: `unique_by(services, fn(s) = s.port)`.",
        unique_by
    ),
    builtin!(
        "upper",
        1,
        1,
        "upper(s: String) -> String",
        "`s` in upper case.",
        upper
    ),
    builtin!(
        "values",
        1,
        1,
        "values(o: Object) -> List",
        "The values of an object, in key order.",
        values
    ),
    builtin!(
        "zip",
        2,
        2,
        "zip(a: List, b: List) -> List",
        "Pairs up elements: `zip([1, 2], [\"a\", \"b\"])` is `[[1, \"a\"], [2, \"b\"]]`; stops at the shorter list.",
        zip
    ),
];

static TABLE: LazyLock<FxHashMap<&'static str, Arc<Func>>> = LazyLock::new(|| {
    BUILTINS
        .iter()
        .map(|b| {
            (
                b.name,
                Arc::new(Func {
                    kind: FuncKind::Builtin(b),
                }),
            )
        })
        .collect()
});

pub(crate) fn lookup(name: &str) -> Option<&'static Arc<Func>> {
    TABLE.get(name)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn bad(ev: &Evaluator<'_, '_>, span: Span, code: codes::Code, msg: String) -> Box<Diagnostic> {
    Box::new(Diagnostic::error(code, msg).at(ev.file(), span, ""))
}

fn type_err(
    ev: &Evaluator<'_, '_>,
    span: Span,
    func: &str,
    what: &str,
    got: &Value,
) -> Box<Diagnostic> {
    bad(
        ev,
        span,
        codes::TYPE_MISMATCH,
        format!("`{func}` expects {what}, found {}", got.type_name()),
    )
}

fn str_arg<'a>(ev: &Evaluator<'_, '_>, span: Span, func: &str, v: &'a Value) -> R<&'a str> {
    v.as_str()
        .ok_or_else(|| type_err(ev, span, func, "a String", v))
}

fn list_arg<'a>(ev: &Evaluator<'_, '_>, span: Span, func: &str, v: &'a Value) -> R<&'a [Value]> {
    v.as_list()
        .ok_or_else(|| type_err(ev, span, func, "a List", v))
}

fn obj_arg<'a>(ev: &Evaluator<'_, '_>, span: Span, func: &str, v: &'a Value) -> R<&'a Object> {
    v.as_object()
        .ok_or_else(|| type_err(ev, span, func, "an Object", v))
}

fn int_arg(ev: &Evaluator<'_, '_>, span: Span, func: &str, v: &Value) -> R<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        other => Err(type_err(ev, span, func, "an Int", other)),
    }
}

fn len(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let span = site.call;
    let n = match &a[0] {
        Value::Str(s) => {
            ev.spend(s.len() as u64 / 64, 0, span)?;
            s.chars().count()
        }
        Value::List(l) => l.len(),
        Value::Object(o) => o.len(),
        other => return Err(type_err(ev, span, "len", "a String, List or Object", other)),
    };
    Ok(Value::Int(n as i64))
}

fn keys(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let o = obj_arg(ev, site.arg(0), "keys", &a[0])?;
    ev.spend(o.len() as u64, 0, site.call)?;
    Ok(Value::list(
        o.keys().map(|k| Value::Str(k.clone())).collect(),
    ))
}

fn values(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let o = obj_arg(ev, site.arg(0), "values", &a[0])?;
    ev.spend(o.len() as u64, 0, site.call)?;
    Ok(Value::list(o.values().cloned().collect()))
}

fn range(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let span = site.call;
    let (start, end, step) = match a {
        [end] => (0, int_arg(ev, span, "range", end)?, 1),
        [start, end] => (
            int_arg(ev, span, "range", start)?,
            int_arg(ev, span, "range", end)?,
            1,
        ),
        [start, end, step, ..] => (
            int_arg(ev, span, "range", start)?,
            int_arg(ev, span, "range", end)?,
            int_arg(ev, span, "range", step)?,
        ),
        [] => (0, 0, 1),
    };
    if step == 0 {
        return Err(bad(
            ev,
            span,
            codes::INVALID_ARGUMENT,
            "`range` step cannot be 0".into(),
        ));
    }
    let (lo, hi, by) = (i128::from(start), i128::from(end), i128::from(step));
    let count = if by > 0 && hi > lo {
        (hi - lo + by - 1) / by
    } else if by < 0 && lo > hi {
        (lo - hi - by - 1) / -by
    } else {
        0
    };
    if count > MAX_RANGE as i128 {
        return Err(bad(
            ev,
            span,
            codes::INVALID_ARGUMENT,
            format!("`range` would build {count} elements; the limit is {MAX_RANGE}"),
        ));
    }
    // Paid for before it is built.
    ev.spend(count as u64, 0, span)?;
    ev.room(count as u64 * ELEMENT_BYTES, span)?;
    let mut out = Vec::with_capacity(count as usize);
    let mut i = start;
    while (step > 0 && i < end) || (step < 0 && i > end) {
        out.push(Value::Int(i));
        match i.checked_add(step) {
            Some(n) => i = n,
            None => break,
        }
    }
    Ok(Value::list(out))
}

fn contains(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let span = site.call;
    Ok(Value::Bool(match (&a[0], &a[1]) {
        (Value::List(l), needle) => {
            for x in l.iter() {
                if ev.equal(x, needle, span)? {
                    return Ok(Value::Bool(true));
                }
            }
            false
        }
        (Value::Str(s), Value::Str(n)) => {
            ev.spend(s.len() as u64 / 64, 0, span)?;
            s.contains(&**n)
        }
        (Value::Object(o), Value::Str(k)) => o.contains_key(k),
        (Value::Str(_) | Value::Object(_), other) => {
            return Err(type_err(ev, span, "contains", "a String needle", other));
        }
        (other, _) => {
            return Err(type_err(
                ev,
                span,
                "contains",
                "a List, String or Object",
                other,
            ));
        }
    }))
}

fn upper(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let s = str_arg(ev, site.arg(0), "upper", &a[0])?;
    ev.spend(s.len() as u64 / 64, 0, site.call)?;
    Ok(Value::from(s.to_uppercase()))
}

fn lower(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let s = str_arg(ev, site.arg(0), "lower", &a[0])?;
    ev.spend(s.len() as u64 / 64, 0, site.call)?;
    Ok(Value::from(s.to_lowercase()))
}

fn trim(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    Ok(Value::str(str_arg(ev, site.arg(0), "trim", &a[0])?.trim()))
}

fn split(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let s = str_arg(ev, site.arg(0), "split", &a[0])?;
    let sep = str_arg(ev, site.arg(1), "split", &a[1])?;
    // Counted before anything is built: a long string split into characters is a long list.
    let n = if sep.is_empty() {
        s.chars().count()
    } else {
        s.matches(sep).count() + 1
    };
    if n > MAX_LIST {
        return Err(ev.too_large(site.call));
    }
    let n = n as u64;
    ev.spend(n + s.len() as u64 / 64, 0, site.call)?;
    ev.room(
        n * (ELEMENT_BYTES + STRING_BYTES) + s.len() as u64,
        site.call,
    )?;
    let parts: Vec<Value> = if sep.is_empty() {
        s.chars().map(|c| Value::from(c.to_string())).collect()
    } else {
        s.split(sep).map(Value::str).collect()
    };
    Ok(Value::list(parts))
}

fn join(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let span = site.call;
    let items = list_arg(ev, site.arg(0), "join", &a[0])?;
    let sep = str_arg(ev, site.arg(1), "join", &a[1])?;
    ev.spend(items.len() as u64, 0, span)?;
    let mut out = String::new();
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        ev.append_string(&mut out, v, span)?;
        if out.len() > super::ops::MAX_STRING {
            return Err(ev.too_large(span));
        }
    }
    Ok(Value::from(out))
}

fn replace(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let span = site.call;
    let s = str_arg(ev, site.arg(0), "replace", &a[0])?;
    let from = str_arg(ev, site.arg(1), "replace", &a[1])?;
    let to = str_arg(ev, site.arg(2), "replace", &a[2])?;
    if from.is_empty() {
        return Err(bad(
            ev,
            span,
            codes::INVALID_ARGUMENT,
            "`replace` cannot replace the empty string".into(),
        ));
    }
    // The size of the result is known before it is built: refuse it then, not after.
    ev.spend(s.len() as u64 / 16, 0, span)?;
    let count = s.matches(from).count();
    let size = (s.len() - count * from.len()).saturating_add(count.saturating_mul(to.len()));
    if size > MAX_STRING {
        return Err(ev.too_large(span));
    }
    ev.room(size as u64 + STRING_BYTES, span)?;
    Ok(Value::from(s.replace(from, to)))
}

fn starts_with(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let s = str_arg(ev, site.arg(0), "starts_with", &a[0])?;
    let p = str_arg(ev, site.arg(1), "starts_with", &a[1])?;
    Ok(Value::Bool(s.starts_with(p)))
}

fn ends_with(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let s = str_arg(ev, site.arg(0), "ends_with", &a[0])?;
    let p = str_arg(ev, site.arg(1), "ends_with", &a[1])?;
    Ok(Value::Bool(s.ends_with(p)))
}

fn to_string(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let span = site.call;
    if let Value::Str(_) = &a[0] {
        return Ok(a[0].clone());
    }
    let mut out = String::new();
    ev.append_string(&mut out, &a[0], span)?;
    Ok(Value::from(out))
}

fn format(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let template = str_arg(ev, site.arg(0), "format", &a[0])?;
    let span = site.arg(0);
    let args = &a[1..];
    let mut out = String::with_capacity(template.len());
    let mut next = 0;
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                let Some(v) = args.get(next) else {
                    return Err(bad(
                        ev,
                        span,
                        codes::FORMAT,
                        format!(
                            "the template has more `{{}}` than the {} given",
                            plural(args.len(), "argument")
                        ),
                    ));
                };
                ev.append_string(&mut out, v, span)?;
                if out.len() > MAX_STRING {
                    return Err(ev.too_large(site.call));
                }
                next += 1;
            }
            '{' | '}' => {
                return Err(bad(
                    ev,
                    span,
                    codes::FORMAT,
                    format!("unmatched `{c}` in the template; write `{c}{c}` for a literal brace"),
                ));
            }
            c => out.push(c),
        }
    }
    if next < args.len() {
        return Err(bad(
            ev,
            span,
            codes::FORMAT,
            format!(
                "{} given, but the template uses only {next} `{{}}`",
                plural(args.len(), "argument")
            ),
        ));
    }
    Ok(Value::from(out))
}

fn to_json(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let span = site.call;
    let indent = match a.get(1) {
        Some(v) => {
            let n = int_arg(ev, span, "to_json", v)?;
            if !(0..=16).contains(&n) {
                return Err(bad(
                    ev,
                    span,
                    codes::INVALID_ARGUMENT,
                    format!("indent must be 0 to 16, found {n}"),
                ));
            }
            (n > 0).then_some(n as usize)
        }
        None => None,
    };
    let max = written_max(ev);
    match crate::export::json::to_string_limited(&a[0], indent, max) {
        Ok(text) => Ok(Value::from(text)),
        Err(e) => Err(written_error(ev, span, e, max)),
    }
}

fn to_yaml(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let span = site.call;
    let max = written_max(ev);
    match crate::export::yaml::to_string_limited(&a[0], max) {
        Ok(text) => Ok(Value::from(text)),
        Err(e) => Err(written_error(ev, span, e, max)),
    }
}

/// How long the text `to_json` and `to_yaml` write may grow: a string's length, or what is
/// left of the memory budget.
fn written_max(ev: &Evaluator<'_, '_>) -> usize {
    MAX_STRING.min(usize::try_from(ev.memory_left()).unwrap_or(usize::MAX))
}

/// The diagnostic for a value `to_json` or `to_yaml` cannot write (within `max` bytes).
fn written_error(
    ev: &mut Evaluator<'_, '_>,
    span: Span,
    e: crate::export::ExportError,
    max: usize,
) -> Box<Diagnostic> {
    match e {
        crate::export::ExportError::Invalid(m) => bad(ev, span, codes::NOT_EXPORTABLE, m),
        crate::export::ExportError::TooLarge(_) if max < MAX_STRING => ev
            .room(max as u64 + 1, span)
            .err()
            .unwrap_or_else(|| ev.too_large(span)),
        crate::export::ExportError::TooLarge(_) => ev.too_large(span),
    }
}

fn from_json(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let s = str_arg(ev, site.arg(0), "from_json", &a[0])?;
    ev.spend(s.len() as u64 / 16, 0, site.call)?;
    let mut d = serde_json::Deserializer::from_str(s);
    let read = crate::value::deserialize_bounded(&mut d, ev.memory_left())
        .and_then(|v| d.end().map(|()| v));
    match read {
        Ok(v) => decoded(ev, v, site),
        Err(e) => Err(bad(
            ev,
            site.arg(0),
            codes::DECODE,
            format!("invalid JSON: {e}"),
        )),
    }
}

/// A value `from_json` or `from_yaml` read (`None`: larger than the memory budget allows),
/// paid for.
fn decoded(ev: &mut Evaluator<'_, '_>, v: Option<(Value, u64)>, site: &Site<'_>) -> R<Value> {
    match v {
        Some((v, size)) => {
            ev.spend(size / 16, size, site.call)?;
            Ok(v)
        }
        None => {
            let over = ev.memory_left().saturating_add(1);
            ev.spend(0, over, site.call)?;
            Err(ev.too_large(site.call))
        }
    }
}

fn from_yaml(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let s = str_arg(ev, site.arg(0), "from_yaml", &a[0])?;
    ev.spend(s.len() as u64 / 16, 0, site.call)?;
    // Counted as it is read: aliases can make a small text a huge value.
    let d = serde_yaml_ng::Deserializer::from_str(s);
    match crate::value::deserialize_bounded(d, ev.memory_left()) {
        Ok(v) => decoded(ev, v, site),
        Err(e) => Err(bad(
            ev,
            site.arg(0),
            codes::DECODE,
            format!("invalid YAML: {e}"),
        )),
    }
}

fn merge(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let span = site.call;
    let mut out: Option<Value> = None;
    for v in a {
        match v {
            Value::Null => {}
            Value::Object(_) => {
                out = Some(match out {
                    None => v.clone(),
                    Some(acc) => deep_merge(ev, acc, v, span)?,
                });
            }
            other => return Err(type_err(ev, span, "merge", "Objects", other)),
        }
    }
    Ok(out.unwrap_or_else(Value::empty_object))
}

/// `b` merged into `a`: objects merge key by key, anything else in `b` wins. Every field
/// merged is a step, every object copied is paid for: merging a value doubled over and over
/// into itself builds a tree as large as the value written out.
pub(crate) fn deep_merge(ev: &mut Evaluator<'_, '_>, a: Value, b: &Value, span: Span) -> R<Value> {
    match (a, b) {
        (Value::Object(mut ao), Value::Object(bo)) => {
            let copied = if Arc::strong_count(&ao) > 1 {
                ao.len()
            } else {
                0
            };
            ev.spend(
                bo.len() as u64,
                (copied + bo.len()) as u64 * FIELD_BYTES,
                span,
            )?;
            let target = Arc::make_mut(&mut ao);
            for (k, bv) in bo.iter() {
                let merged = match target.get(k) {
                    Some(av @ Value::Object(_)) if matches!(bv, Value::Object(_)) => {
                        let av = av.clone();
                        stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || {
                            deep_merge(ev, av, bv, span)
                        })?
                    }
                    _ => bv.clone(),
                };
                target.insert(k.clone(), merged);
            }
            Ok(Value::Object(ao))
        }
        (_, b) => Ok(b.clone()),
    }
}

/// The arguments of min/max: one list, or the arguments themselves.
fn extremum(
    ev: &mut Evaluator<'_, '_>,
    a: &[Value],
    span: Span,
    func: &str,
    want: Ordering,
) -> R<Value> {
    let items: &[Value] = match a {
        [Value::List(l)] => l,
        [one] => {
            return Err(type_err(
                ev,
                span,
                func,
                "a List (or several arguments)",
                one,
            ));
        }
        many => many,
    };
    let Some(first) = items.first() else {
        return Err(bad(
            ev,
            span,
            codes::INVALID_ARGUMENT,
            format!("`{func}` of an empty list"),
        ));
    };
    ev.spend(items.len() as u64, 0, span)?;
    let mut best = first;
    for v in &items[1..] {
        match v.compare(best) {
            Some(o) if o == want => best = v,
            Some(_) => {}
            None => {
                return Err(bad(
                    ev,
                    span,
                    codes::TYPE_MISMATCH,
                    format!(
                        "`{func}` cannot compare {} with {}",
                        v.type_name(),
                        best.type_name()
                    ),
                ));
            }
        }
    }
    Ok(best.clone())
}

fn min(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let span = site.call;
    extremum(ev, a, span, "min", Ordering::Less)
}

fn max(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let span = site.call;
    extremum(ev, a, span, "max", Ordering::Greater)
}

fn sum(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let span = site.call;
    let items = list_arg(ev, site.arg(0), "sum", &a[0])?;
    ev.spend(items.len() as u64, 0, span)?;
    let mut acc = Value::Int(0);
    for v in items {
        acc = match (&acc, v) {
            (Value::Int(x), Value::Int(y)) => match x.checked_add(*y) {
                Some(s) => Value::Int(s),
                None => {
                    return Err(bad(
                        ev,
                        span,
                        codes::INT_OVERFLOW,
                        "overflow in `sum`".into(),
                    ));
                }
            },
            (Value::Int(x), Value::Float(y)) => Value::Float(*x as f64 + y),
            (Value::Float(x), Value::Int(y)) => Value::Float(x + *y as f64),
            (Value::Float(x), Value::Float(y)) => Value::Float(x + y),
            (_, other) => {
                return Err(type_err(
                    ev,
                    span,
                    "sum",
                    "a list of numbers, with an element that is",
                    other,
                ));
            }
        };
    }
    Ok(acc)
}

fn sorted_by_keys(
    ev: &mut Evaluator<'_, '_>,
    span: Span,
    func: &str,
    items: &[Value],
    keys: &[Value],
) -> R<Value> {
    let n = items.len() as u64;
    ev.spend(n * u64::from(n.max(1).ilog2() + 1), 0, span)?;
    let mut idx: Vec<usize> = (0..items.len()).collect();
    let mut failed: Option<(String, String)> = None;
    idx.sort_by(|&i, &j| match keys[i].compare(&keys[j]) {
        Some(o) => o,
        None => {
            if failed.is_none() {
                failed = Some((
                    keys[i].type_name().to_string(),
                    keys[j].type_name().to_string(),
                ));
            }
            Ordering::Equal
        }
    });
    if let Some((a, b)) = failed {
        return Err(bad(
            ev,
            span,
            codes::TYPE_MISMATCH,
            format!("`{func}` cannot compare {a} with {b}"),
        ));
    }
    Ok(Value::list(
        idx.into_iter().map(|i| items[i].clone()).collect(),
    ))
}

fn sort(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let span = site.call;
    let items = list_arg(ev, site.arg(0), "sort", &a[0])?;
    sorted_by_keys(ev, span, "sort", items, items)
}

fn sort_by(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let span = site.call;
    let items = list_arg(ev, site.arg(0), "sort_by", &a[0])?.to_vec();
    let mut keys = Vec::with_capacity(items.len());
    for v in &items {
        keys.push(ev.call(&a[1], vec![v.clone()], site)?);
    }
    sorted_by_keys(ev, span, "sort_by", &items, &keys)
}

fn unique(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let items = list_arg(ev, site.arg(0), "unique", &a[0])?;
    let keep = first_of_each(ev, items, site.call)?;
    Ok(Value::list(
        keep.into_iter().map(|i| items[i].clone()).collect(),
    ))
}

fn unique_by(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let items = list_arg(ev, site.arg(0), "unique_by", &a[0])?.to_vec();
    let mut keys = Vec::with_capacity(items.len());
    for v in &items {
        keys.push(ev.call(&a[1], vec![v.clone()], site)?);
    }
    let keep = first_of_each(ev, &keys, site.call)?;
    Ok(Value::list(
        keep.into_iter().map(|i| items[i].clone()).collect(),
    ))
}

/// The positions of the first of each group of equal values, in order. Values are grouped by
/// a hash consistent with `==` and compared only within a group, so this is linear rather
/// than quadratic in the number of values.
fn first_of_each(ev: &mut Evaluator<'_, '_>, values: &[Value], span: Span) -> R<Vec<usize>> {
    let mut hasher = ValueHasher::default();
    let mut groups: FxHashMap<u64, Vec<usize>> = FxHashMap::default();
    let mut keep = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let h = hasher.hash(ev, v, span)?;
        let group = groups.entry(h).or_default();
        let mut repeat = false;
        for &j in group.iter() {
            if ev.equal(&values[j], v, span)? {
                repeat = true;
                break;
            }
        }
        if !repeat {
            group.push(i);
            keep.push(i);
        }
    }
    Ok(keep)
}

/// Hashes values consistently with `==`: `1` and `1.0` alike, objects whatever the order of
/// their fields. Shared lists and objects are hashed once (remembered by address while the
/// values are borrowed and alive).
#[derive(Default)]
struct ValueHasher {
    shared: FxHashMap<usize, u64>,
}

impl ValueHasher {
    fn hash(&mut self, ev: &mut Evaluator<'_, '_>, v: &Value, span: Span) -> R<u64> {
        use std::hash::{Hash, Hasher};
        ev.spend(1, 0, span)?;
        let mut h = rustc_hash::FxHasher::default();
        match v {
            Value::Null => 0u8.hash(&mut h),
            Value::Bool(b) => (1u8, b).hash(&mut h),
            Value::Int(i) => (2u8, i).hash(&mut h),
            Value::Float(x) => {
                // An integral float hashes as the Int it equals.
                const LIMIT: f64 = 9_223_372_036_854_775_808.0;
                if x.trunc() == *x && *x >= -LIMIT && *x < LIMIT {
                    (2u8, *x as i64).hash(&mut h);
                } else {
                    (3u8, x.to_bits()).hash(&mut h);
                }
            }
            Value::Str(s) => (4u8, &**s).hash(&mut h),
            Value::List(l) => {
                let addr = Arc::as_ptr(l) as usize;
                if let Some(&known) = self.shared.get(&addr) {
                    return Ok(known);
                }
                (5u8, l.len()).hash(&mut h);
                for item in l.iter() {
                    let child = stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || {
                        self.hash(ev, item, span)
                    })?;
                    child.hash(&mut h);
                }
                let out = h.finish();
                if Arc::strong_count(l) > 1 {
                    self.shared.insert(addr, out);
                }
                return Ok(out);
            }
            Value::Object(o) => {
                let addr = Arc::as_ptr(o) as usize;
                if let Some(&known) = self.shared.get(&addr) {
                    return Ok(known);
                }
                // Equal objects may list their fields in another order: combine the fields'
                // hashes with an order-free sum.
                let mut sum = 0u64;
                for (k, item) in o.iter() {
                    let child = stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || {
                        self.hash(ev, item, span)
                    })?;
                    let mut f = rustc_hash::FxHasher::default();
                    (&**k, child).hash(&mut f);
                    sum = sum.wrapping_add(f.finish());
                }
                (6u8, o.len(), sum).hash(&mut h);
                let out = h.finish();
                if Arc::strong_count(o) > 1 {
                    self.shared.insert(addr, out);
                }
                return Ok(out);
            }
            Value::Func(f) => (7u8, Arc::as_ptr(f) as usize).hash(&mut h),
        }
        Ok(h.finish())
    }
}

fn slice(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let items = list_arg(ev, site.arg(0), "slice", &a[0])?;
    let len = items.len() as i64;
    let start = int_arg(ev, site.arg(1), "slice", &a[1])?;
    let end = match a.get(2) {
        Some(v) => int_arg(ev, site.arg(2), "slice", v)?,
        None => len,
    };
    // Negative positions count from the end; positions past either end stop there.
    let at = |i: i64| -> usize {
        let i = if i < 0 {
            len.saturating_add(i).max(0)
        } else {
            i.min(len)
        };
        usize::try_from(i).unwrap_or(0)
    };
    let (from, to) = (at(start), at(end));
    let out: Vec<Value> = if from < to {
        items[from..to].to_vec()
    } else {
        Vec::new()
    };
    ev.spend(out.len() as u64, 0, site.call)?;
    Ok(Value::list(out))
}

fn flatten(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let items = list_arg(ev, site.arg(0), "flatten", &a[0])?;
    let n: usize = items
        .iter()
        .map(|v| match v {
            Value::List(inner) => inner.len(),
            _ => 1,
        })
        .sum();
    if n > MAX_LIST {
        return Err(ev.too_large(site.call));
    }
    ev.spend(n as u64, 0, site.call)?;
    ev.room(n as u64 * ELEMENT_BYTES, site.call)?;
    let mut out = Vec::with_capacity(n);
    for v in items {
        match v {
            Value::List(inner) => out.extend(inner.iter().cloned()),
            other => out.push(other.clone()),
        }
        if out.len() > super::ops::MAX_LIST {
            return Err(ev.too_large(site.call));
        }
    }
    Ok(Value::list(out))
}

fn zip(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let x = list_arg(ev, site.arg(0), "zip", &a[0])?;
    let y = list_arg(ev, site.arg(1), "zip", &a[1])?;
    let n = x.len().min(y.len()) as u64;
    ev.spend(n, n * 3 * ELEMENT_BYTES, site.call)?;
    Ok(Value::list(
        x.iter()
            .zip(y.iter())
            .map(|(p, q)| Value::list(vec![p.clone(), q.clone()]))
            .collect(),
    ))
}

fn base64_encode(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let s = str_arg(ev, site.arg(0), "base64_encode", &a[0])?;
    // Four characters for every three bytes: refused before it is built when too long.
    let size = s.len().div_ceil(3).saturating_mul(4);
    if size > MAX_STRING {
        return Err(ev.too_large(site.call));
    }
    ev.spend(s.len() as u64 / 64, 0, site.call)?;
    Ok(Value::from(
        base64::engine::general_purpose::STANDARD.encode(s.as_bytes()),
    ))
}

fn base64_decode(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let span = site.call;
    let s = str_arg(ev, site.arg(0), "base64_decode", &a[0])?;
    ev.spend(s.len() as u64 / 64, 0, span)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .map_err(|e| {
            let why = match e {
                base64::DecodeError::InvalidByte(at, b) => {
                    format!("invalid character {:?} at offset {at}", char::from(b))
                }
                base64::DecodeError::InvalidLength(n) => {
                    format!("{n} characters cannot be Base64 (the length must be a multiple of 4 with padding)")
                }
                base64::DecodeError::InvalidLastSymbol(at, b) => {
                    format!("invalid last character {:?} at offset {at}", char::from(b))
                }
                base64::DecodeError::InvalidPadding => "invalid `=` padding".to_string(),
            };
            bad(ev, site.arg(0), codes::DECODE, format!("invalid Base64: {why}"))
        })?;
    String::from_utf8(bytes).map(Value::from).map_err(|_| {
        bad(
            ev,
            span,
            codes::DECODE,
            "the decoded bytes are not UTF-8 text".into(),
        )
    })
}

fn sha256(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let s = str_arg(ev, site.arg(0), "sha256", &a[0])?;
    ev.spend(s.len() as u64 / 64, 0, site.call)?;
    let digest = sha2::Sha256::digest(s.as_bytes());
    let mut hex = String::with_capacity(64);
    for b in digest {
        hex.push_str(&format!("{b:02x}"));
    }
    Ok(Value::from(hex))
}

fn to_int(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let span = site.call;
    match &a[0] {
        Value::Int(i) => Ok(Value::Int(*i)),
        Value::Float(x) if x.is_finite() && x.abs() < 9.2e18 => Ok(Value::Int(x.trunc() as i64)),
        Value::Float(x) => Err(bad(
            ev,
            span,
            codes::INT_OVERFLOW,
            format!("{x} does not fit in an Int"),
        )),
        Value::Str(s) => s.trim().parse::<i64>().map(Value::Int).map_err(|_| {
            bad(
                ev,
                span,
                codes::INVALID_ARGUMENT,
                format!("{s:?} is not an integer"),
            )
        }),
        other => Err(type_err(
            ev,
            span,
            "to_int",
            "an Int, Float or String",
            other,
        )),
    }
}

fn to_float(ev: &mut Evaluator<'_, '_>, a: &[Value], site: &Site<'_>) -> R<Value> {
    let span = site.call;
    match &a[0] {
        Value::Int(i) => Ok(Value::Float(*i as f64)),
        Value::Float(x) => Ok(Value::Float(*x)),
        Value::Str(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .map(Value::Float)
            .ok_or_else(|| {
                bad(
                    ev,
                    span,
                    codes::INVALID_ARGUMENT,
                    format!("{s:?} is not a number"),
                )
            }),
        other => Err(type_err(
            ev,
            span,
            "to_float",
            "an Int, Float or String",
            other,
        )),
    }
}

fn type_of(_ev: &mut Evaluator<'_, '_>, a: &[Value], _site: &Site<'_>) -> R<Value> {
    Ok(Value::str(a[0].type_name()))
}
