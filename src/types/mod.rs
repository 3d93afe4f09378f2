//! Types: what the checker reasons about and what values are conformed to.
//!
//! A [`Ty`] is resolved from the syntax of a type ([`resolve`]) against a module's [`TypeTable`]
//! of schemas and aliases. The same `Ty` serves the static checker (`check/`), which decides
//! what it can before evaluation, and the evaluator, which conforms values to declared types as
//! they are bound (filling in schema defaults and running `check` clauses). [`json_schema`]
//! writes schemas as JSON Schema.

pub mod json_schema;
mod resolve;

use std::fmt;
use std::sync::Arc;

use regex::Regex;
use rustc_hash::FxHashMap;

pub use resolve::{BUILTIN_TYPES, Types, type_text};

use crate::source::FileId;
use crate::syntax::ast::{Check, Expr, Name, Span};
use crate::value::Value;

/// The most nodes a type inferred by the checker has (see [`Ty::bounded`]).
pub const MAX_TYPE_NODES: usize = 512;
/// The most levels a type inferred by the checker nests (see [`Ty::bounded`]).
pub const MAX_TYPE_DEPTH: usize = 32;
/// The most nodes a declared type has with its aliases written out (E0154).
pub const MAX_ALIAS_NODES: usize = 10_000;

/// A type.
#[derive(Clone, Debug)]
pub enum Ty {
    /// Anything: no static checking, no run-time check.
    Any,
    Null,
    Bool,
    Int,
    Float,
    String,
    /// Exactly one value: `"dev"`, `80`, `true`.
    Lit(Value),
    /// `[T]`
    List(Box<Ty>),
    /// `{String: T}`
    Map(Box<Ty>),
    /// The type of an object literal: these fields, and no others.
    Record(Arc<Vec<(Name, Ty)>>),
    /// A named schema of the [`TypeTable`].
    Schema(Name),
    /// One of several; `T?` is `T | Null`.
    Union(Vec<Ty>),
    /// `fn(A, B) -> C`
    Fn(Vec<Ty>, Box<Ty>),
    /// A base type narrowed by a refinement: `Int(1..=65535)`, `String(len: 1..=63)`.
    Refined(Box<Ty>, Arc<Refinement>),
}

/// What a refinement allows.
#[derive(Clone, Debug, Default)]
pub struct Refinement {
    /// A numeric range (Int, Float).
    pub range: Option<NumRange>,
    /// A regular expression the whole string must match somewhere (`matches:`).
    pub matches: Option<(String, Regex)>,
    /// A length range: characters of a string, elements of a list.
    pub len: Option<NumRange>,
}

/// `lo..hi`, `lo..=hi`, `lo..`, `..=hi`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NumRange {
    pub lo: Option<f64>,
    pub hi: Option<f64>,
    pub inclusive: bool,
    /// Whether the bounds were written as integers (for display).
    pub ints: bool,
}

impl NumRange {
    pub fn contains(&self, x: f64) -> bool {
        self.lo.is_none_or(|lo| x >= lo)
            && self
                .hi
                .is_none_or(|hi| if self.inclusive { x <= hi } else { x < hi })
    }
}

impl fmt::Display for NumRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |x: f64| {
            if self.ints {
                format!("{}", x as i64)
            } else {
                crate::export::format_float(x)
            }
        };
        if let Some(lo) = self.lo {
            f.write_str(&show(lo))?;
        }
        f.write_str(if self.inclusive { "..=" } else { ".." })?;
        if let Some(hi) = self.hi {
            f.write_str(&show(hi))?;
        }
        Ok(())
    }
}

/// A schema: a record type with named fields, defaults and checks.
#[derive(Clone, Debug)]
pub struct SchemaTy {
    pub name: Name,
    pub doc: Option<String>,
    pub file: FileId,
    pub span: Span,
    /// The fields, its own after those it extends (a redeclared field replaces the inherited
    /// one in place).
    pub fields: Vec<FieldTy>,
    pub checks: Vec<Check>,
    /// The schemas it extends, by name.
    pub extends: Vec<Name>,
}

impl SchemaTy {
    pub fn field(&self, name: &str) -> Option<&FieldTy> {
        self.fields.iter().find(|f| &*f.name == name)
    }
}

#[derive(Clone, Debug)]
pub struct FieldTy {
    pub name: Name,
    pub ty: Ty,
    /// Written as the type in the source (for messages and docs).
    pub ty_text: String,
    pub optional: bool,
    pub default: Option<Expr>,
    pub doc: Option<String>,
    /// The file of the field's declaration (an inherited field's is its own schema's).
    pub file: FileId,
    /// The field's declaration: the span of its name.
    pub span: Span,
}

/// The named types of a module: schemas and aliases.
#[derive(Clone, Debug, Default)]
pub struct TypeTable {
    pub schemas: FxHashMap<Name, Arc<SchemaTy>>,
    /// Schema names in declaration order.
    pub order: Vec<Name>,
    pub aliases: FxHashMap<Name, Ty>,
}

impl TypeTable {
    pub fn schema(&self, name: &str) -> Option<&Arc<SchemaTy>> {
        self.schemas.get(name)
    }

    /// The schema type a resource type names: a schema, or an alias of one.
    pub fn resource_schema(&self, name: &str) -> Option<Ty> {
        if self.schemas.contains_key(name) {
            return Some(Ty::Schema(Arc::from(name)));
        }
        match self.aliases.get(name) {
            Some(t @ Ty::Schema(_)) => Some(t.clone()),
            _ => None,
        }
    }
}

impl Ty {
    /// `T?`
    pub fn optional(t: Ty) -> Ty {
        match t {
            Ty::Union(mut members) => {
                if !members.iter().any(|m| matches!(m, Ty::Null)) {
                    members.push(Ty::Null);
                }
                Ty::Union(members)
            }
            Ty::Null | Ty::Any => t,
            other => Ty::Union(vec![other, Ty::Null]),
        }
    }

    pub fn is_any(&self) -> bool {
        matches!(self, Ty::Any)
    }

    /// This type, or a coarser one of at most [`MAX_TYPE_NODES`] nodes (written out as a
    /// tree) and [`MAX_TYPE_DEPTH`] levels: past that, parts become `Any`, which only makes the
    /// checker less certain, never wrong (a record keeps all its fields). The types inferred
    /// for values that share parts (`let b = {l: a, r: a}`, doubled again and again) or nest
    /// ever deeper (a chain of thousands of `let`s, each wrapping the one before) would
    /// otherwise take time and memory exponential or quadratic in the program.
    pub fn bounded(self) -> Ty {
        let mut left = MAX_TYPE_NODES;
        if self.fits(&mut left, 0) {
            return self;
        }
        let mut left = MAX_TYPE_NODES;
        self.truncate(&mut left, 0)
    }

    /// Whether the type, written out as a tree, has at most `max` nodes (counted only that far:
    /// parts shared through `Arc` are counted at every use).
    pub fn has_at_most(&self, max: usize) -> bool {
        fn count(t: &Ty, left: &mut usize) -> bool {
            if *left == 0 {
                return false;
            }
            *left -= 1;
            match t {
                Ty::List(t) | Ty::Map(t) | Ty::Refined(t, _) => count(t, left),
                Ty::Record(fields) => fields.iter().all(|(_, t)| count(t, left)),
                Ty::Union(ms) => ms.iter().all(|m| count(m, left)),
                Ty::Fn(ps, r) => ps.iter().all(|p| count(p, left)) && count(r, left),
                _ => true,
            }
        }
        let mut left = max;
        count(self, &mut left)
    }

    /// Whether the type has at most `left` nodes other than `Any` (counting them off), none
    /// of them `MAX_TYPE_DEPTH` levels below `depth`.
    fn fits(&self, left: &mut usize, depth: usize) -> bool {
        if self.is_any() {
            return true;
        }
        if *left == 0 || depth >= MAX_TYPE_DEPTH {
            return false;
        }
        *left -= 1;
        let d = depth + 1;
        match self {
            Ty::List(t) | Ty::Map(t) | Ty::Refined(t, _) => t.fits(left, d),
            Ty::Record(fields) => fields.iter().all(|(_, t)| t.fits(left, d)),
            Ty::Union(ms) => ms.iter().all(|m| m.fits(left, d)),
            Ty::Fn(ps, r) => ps.iter().all(|p| p.fits(left, d)) && r.fits(left, d),
            _ => true,
        }
    }

    fn truncate(&self, left: &mut usize, depth: usize) -> Ty {
        if *left == 0 || depth >= MAX_TYPE_DEPTH {
            return Ty::Any;
        }
        let d = depth + 1;
        match self {
            Ty::List(t) => {
                *left -= 1;
                Ty::List(Box::new(t.truncate(left, d)))
            }
            Ty::Map(t) => {
                *left -= 1;
                Ty::Map(Box::new(t.truncate(left, d)))
            }
            Ty::Record(fields) => {
                *left -= 1;
                Ty::Record(Arc::new(
                    fields
                        .iter()
                        .map(|(k, t)| (k.clone(), t.truncate(left, d)))
                        .collect(),
                ))
            }
            // Where a part would become `Any`, the whole becomes `Any`: a union with `Any`, a
            // refinement of `Any` or a function taking `Any` would say more than is known.
            Ty::Union(_) | Ty::Fn(..) | Ty::Refined(..) => {
                if self.fits(left, depth) {
                    self.clone()
                } else {
                    Ty::Any
                }
            }
            other => {
                *left -= 1;
                other.clone()
            }
        }
    }

    /// The union of two types, flattened, without repeats.
    pub fn join(a: Ty, b: Ty) -> Ty {
        if a.is_any() || b.is_any() {
            return Ty::Any;
        }
        let mut members = Vec::new();
        for t in [a, b] {
            match t {
                Ty::Union(ms) => members.extend(ms),
                other => members.push(other),
            }
        }
        let mut out: Vec<Ty> = Vec::new();
        for m in members {
            if !out.iter().any(|o| o.same(&m)) {
                out.push(m);
            }
        }
        if out.len() == 1 {
            out.pop().unwrap_or(Ty::Any)
        } else if out.len() > 8 {
            Ty::Any
        } else {
            Ty::Union(out)
        }
    }

    /// Structural identity (not assignability).
    pub fn same(&self, other: &Ty) -> bool {
        self.to_string() == other.to_string()
    }

    /// The base type of a literal or a refinement (`Int` for `80` and for `Int(1..=10)`).
    pub fn widen(&self) -> Ty {
        match self {
            Ty::Lit(v) => match v {
                Value::Bool(_) => Ty::Bool,
                Value::Int(_) => Ty::Int,
                Value::Float(_) => Ty::Float,
                Value::Str(_) => Ty::String,
                _ => Ty::Null,
            },
            Ty::Refined(base, _) => base.widen(),
            other => other.clone(),
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Any => f.write_str("Any"),
            Ty::Null => f.write_str("Null"),
            Ty::Bool => f.write_str("Bool"),
            Ty::Int => f.write_str("Int"),
            Ty::Float => f.write_str("Float"),
            Ty::String => f.write_str("String"),
            Ty::Lit(v) => match v {
                Value::Str(s) => write!(f, "{s:?}"),
                other => write!(f, "{other:?}"),
            },
            Ty::List(t) => write!(f, "[{t}]"),
            Ty::Map(t) => write!(f, "{{String: {t}}}"),
            Ty::Record(fields) => {
                f.write_str("{")?;
                for (i, (k, t)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {t}")?;
                }
                f.write_str("}")
            }
            Ty::Schema(n) => f.write_str(n),
            Ty::Union(members) => {
                let non_null: Vec<&Ty> =
                    members.iter().filter(|m| !matches!(m, Ty::Null)).collect();
                if non_null.len() == 1 && members.len() == 2 {
                    return match non_null[0] {
                        Ty::Union(_) | Ty::Fn(..) => write!(f, "({})?", non_null[0]),
                        t => write!(f, "{t}?"),
                    };
                }
                for (i, m) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" | ")?;
                    }
                    write!(f, "{m}")?;
                }
                Ok(())
            }
            Ty::Fn(params, ret) => {
                f.write_str("fn(")?;
                for (i, p) in params.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{p}")?;
                }
                write!(f, ") -> {ret}")
            }
            Ty::Refined(base, r) => {
                write!(f, "{base}(")?;
                let mut parts = Vec::new();
                if let Some(range) = &r.range {
                    parts.push(range.to_string());
                }
                if let Some((pattern, _)) = &r.matches {
                    parts.push(format!("matches: {pattern:?}"));
                }
                if let Some(len) = &r.len {
                    parts.push(format!("len: {len}"));
                }
                write!(f, "{})", parts.join(", "))
            }
        }
    }
}

/// Why a value does not conform to a type.
#[derive(Clone, Debug, PartialEq)]
pub enum Mismatch {
    /// The value is of another type.
    Type { expected: String, found: String },
    /// The value is of the right type but fails a refinement.
    Refinement { message: String },
    /// An object has a field its closed schema does not declare.
    UnknownField {
        field: Name,
        schema: Name,
        suggestion: Option<Name>,
    },
    /// A required field is missing.
    MissingField { field: Name, schema: Name },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Type { expected, found } => write!(f, "expected {expected}, found {found}"),
            Mismatch::Refinement { message } => f.write_str(message),
            Mismatch::UnknownField { field, schema, .. } => {
                write!(f, "`{schema}` has no field `{field}`")
            }
            Mismatch::MissingField { field, schema } => {
                write!(f, "missing field `{field}`, required by `{schema}`")
            }
        }
    }
}

/// Checks a value's refinement: `Ok` or the reason it fails.
pub fn check_refinement(v: &Value, r: &Refinement) -> Result<(), String> {
    if let Some(range) = &r.range {
        let x = match v {
            Value::Int(i) => Some(*i as f64),
            Value::Float(x) => Some(*x),
            _ => None,
        };
        if let Some(x) = x
            && !range.contains(x)
        {
            return Err(format!("{} is not in {range}", short(v)));
        }
    }
    if let Some((pattern, re)) = &r.matches
        && let Value::Str(s) = v
        && !re.is_match(s)
    {
        return Err(format!("{} does not match {pattern:?}", short(v)));
    }
    if let Some(len) = &r.len {
        let n = match v {
            Value::Str(s) => Some(s.chars().count()),
            Value::List(l) => Some(l.len()),
            Value::Object(o) => Some(o.len()),
            _ => None,
        };
        if let Some(n) = n
            && !len.contains(n as f64)
        {
            return Err(format!("the length of {} is {n}, not in {len}", short(v)));
        }
    }
    Ok(())
}

/// A value shown briefly in a message.
pub fn short(v: &Value) -> String {
    match v {
        Value::Str(s) if s.chars().count() > 40 => {
            let head: String = s.chars().take(37).collect();
            format!("{head:?}...")
        }
        Value::List(l) => format!("a list of {}", l.len()),
        Value::Object(_) => "an object".to_string(),
        Value::Func(_) => "a function".to_string(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod bounded_tests {
    use super::*;

    #[test]
    fn bounded_types_keep_small_types_and_cut_large_ones() {
        let small = Ty::List(Box::new(Ty::Int));
        assert_eq!(small.clone().bounded().to_string(), "[Int]");
        // Deep: cut at MAX_TYPE_DEPTH levels.
        let mut deep = Ty::Int;
        for _ in 0..1000 {
            deep = Ty::List(Box::new(deep));
        }
        let cut = deep.bounded().to_string();
        assert_eq!(cut.matches('[').count(), MAX_TYPE_DEPTH);
        assert!(cut.contains("Any"), "{cut}");
        // Wide and shared: a record of records, doubled; every field is kept.
        let mut wide = Ty::Record(Arc::new(vec![(Name::from("x"), Ty::Int)]));
        for _ in 0..40 {
            wide = Ty::Record(Arc::new(vec![
                (Name::from("l"), wide.clone()),
                (Name::from("r"), wide),
            ]));
        }
        let cut = wide.bounded();
        let mut left = MAX_TYPE_NODES;
        assert!(cut.fits(&mut left, 0));
        match &cut {
            Ty::Record(fields) => assert_eq!(fields.len(), 2),
            other => panic!("{other}"),
        }
        // A union that would lose a member becomes `Any` as a whole.
        let mut big = Ty::Int;
        for _ in 0..600 {
            big = Ty::Record(Arc::new(vec![(Name::from("f"), big)]));
        }
        let union = Ty::Union(vec![Ty::Null, big]);
        assert!(union.bounded().is_any());
    }
}
