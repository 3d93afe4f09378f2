//! Conforming values to declared types, as they are bound: a typed `let`, a parameter, a
//! function's parameters and result, a resource whose type is a schema.
//!
//! Conforming checks the type and its refinements, rejects fields a (closed) schema does not
//! declare, fills in schema defaults, and runs the schema's `check` clauses. A failure names the
//! path of the failing value (`services[1].port`) and points at the expression that produced it
//! and at the declaration of the type.

use std::sync::Arc;

use super::{Env, Evaluator, R};
use crate::diagnostics::{Diagnostic, codes, did_you_mean};
use crate::source::FileId;
use crate::syntax::ast::{Name, Span};
use crate::types::{Mismatch, SchemaTy, Ty, check_refinement};
use crate::value::{Object, Value};

/// Where a value being conformed came from, for diagnostics.
pub(crate) struct Origin<'a> {
    /// What the value is bound to: a name, or the result of a function.
    pub root: Root<'a>,
    /// The expression that produced the value.
    pub span: Span,
    /// That expression, when it is at hand: a failure deep inside a literal is then pointed at
    /// the part of the literal that failed.
    pub expr: Option<&'a crate::syntax::ast::Expr>,
    /// The file and span of the type declaration.
    pub declared: (FileId, Span),
}

#[derive(Clone, Copy)]
pub(crate) enum Root<'a> {
    /// A `let`, a parameter, a resource: `services`.
    Name(&'a str),
    /// The result of a call: `service(...)`.
    Result(&'a str),
}

/// A step into a value, recorded on the way out of a failure (so the success path builds no
/// strings).
enum Step {
    Field(Name),
    Index(usize),
}

enum Problem {
    Mismatch(Mismatch),
    /// A `check` clause that does not hold.
    Check {
        text: String,
        file: FileId,
        span: Span,
        schema: Name,
    },
}

/// A failure while conforming: what, the innermost declaration, and the steps from the root.
struct Failure {
    problem: Problem,
    declared: (FileId, Span),
    /// Innermost step first.
    steps: Vec<Step>,
}

type Conformed = Result<Value, Result<Failure, Box<Diagnostic>>>;

fn step(r: Conformed, s: impl FnOnce() -> Step) -> Conformed {
    r.map_err(|e| {
        e.map(|mut f| {
            f.steps.push(s());
            f
        })
    })
}

/// How many recently conformed objects are remembered.
const CONFORMED_SLOTS: usize = 64;

/// Objects recently conformed to a schema, unchanged since: conforming them again is a no-op.
/// Direct-mapped by address; the values are kept so an address cannot be reused meanwhile.
pub(crate) struct ConformedCache {
    slots: Vec<Option<(Arc<Object>, Arc<SchemaTy>)>>,
}

impl Default for ConformedCache {
    fn default() -> ConformedCache {
        ConformedCache {
            slots: vec![None; CONFORMED_SLOTS],
        }
    }
}

impl ConformedCache {
    fn slot(o: &Arc<Object>) -> usize {
        let addr = Arc::as_ptr(o) as usize;
        (addr.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) % CONFORMED_SLOTS
    }

    fn contains(&self, o: &Arc<Object>, s: &Arc<SchemaTy>) -> bool {
        matches!(&self.slots[Self::slot(o)], Some((x, y)) if Arc::ptr_eq(x, o) && Arc::ptr_eq(y, s))
    }

    fn insert(&mut self, o: &Arc<Object>, s: &Arc<SchemaTy>) {
        self.slots[Self::slot(o)] = Some((o.clone(), s.clone()));
    }
}

impl<'m, 's> Evaluator<'m, 's> {
    /// Conforms `v` to `ty`; returns the value with schema defaults filled in.
    pub(crate) fn conform(&mut self, v: Value, ty: &Ty, origin: &Origin<'_>) -> R<Value> {
        if ty.is_any() {
            return Ok(v);
        }
        match self.conform_at(v, ty, origin.declared) {
            Ok(v) => Ok(v),
            Err(Ok(f)) => Err(self.failure_diagnostic(f, origin)),
            Err(Err(d)) => Err(d),
        }
    }

    fn failure_diagnostic(&self, f: Failure, origin: &Origin<'_>) -> Box<Diagnostic> {
        let mut path = match origin.root {
            Root::Name(n) => n.to_string(),
            Root::Result(n) => format!("{n}(...)"),
        };
        for s in f.steps.iter().rev() {
            match s {
                Step::Field(k) => push_field(&mut path, k),
                Step::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        let at = format!("`{path}`: ");
        let (code, message, help, check) = match &f.problem {
            Problem::Mismatch(Mismatch::Type { expected, found }) => (
                codes::TYPE_EXPECTED,
                format!("{at}expected {expected}, found {found}"),
                format!("give a value of type {expected}"),
                None,
            ),
            Problem::Mismatch(Mismatch::Refinement { message }) => (
                codes::REFINEMENT,
                format!("{at}{message}"),
                "change the value, or widen the declared refinement".to_string(),
                None,
            ),
            Problem::Mismatch(Mismatch::UnknownField {
                field,
                schema,
                suggestion,
            }) => (
                codes::UNKNOWN_SCHEMA_FIELD,
                format!("{at}`{schema}` has no field `{field}`"),
                match suggestion {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!(
                        "schemas are closed: add `{field}` to `{schema}`, or remove it here"
                    ),
                },
                None,
            ),
            Problem::Mismatch(Mismatch::MissingField { field, schema }) => (
                codes::MISSING_FIELD,
                format!("{at}missing field `{field}`, required by `{schema}`"),
                if schema.contains('.') {
                    // A schema of an imported module (std.k8s, say) is not the user's to edit.
                    format!("add `{field}: ...`; `{schema}` requires it")
                } else {
                    format!("add `{field}: ...`, or give the field a default or `?` in `{schema}`")
                },
                None,
            ),
            Problem::Check {
                text,
                file,
                span,
                schema,
            } => (
                codes::CHECK_FAILED,
                format!("{at}{text}"),
                "change the value so that the check holds".to_string(),
                Some((*file, *span, schema.clone())),
            ),
        };
        let at = origin
            .expr
            .map_or(origin.span, |e| narrow(e, f.steps.iter().rev()));
        let mut d = Diagnostic::error(code, message).at(self.file, at, "this value");
        d = match check {
            Some((file, span, schema)) => d.also(file, span, format!("this check (of `{schema}`)")),
            None => d.also(f.declared.0, f.declared.1, "declared here"),
        };
        Box::new(d.with_help(help))
    }

    /// `Err(Ok(failure))` is a mismatch; `Err(Err(d))` an evaluation error in a default or check.
    fn conform_at(&mut self, v: Value, ty: &Ty, declared: (FileId, Span)) -> Conformed {
        // Values nest at most as deep as evaluation did; grow the stack if that is deep.
        stacker::maybe_grow(256 * 1024, 4 * 1024 * 1024, || {
            self.conform_inner(v, ty, declared)
        })
    }

    fn conform_inner(&mut self, v: Value, ty: &Ty, declared: (FileId, Span)) -> Conformed {
        // One step of the budget per value conformed (a shared value is conformed wherever it
        // is used, so this is what bounds conforming a value doubled over and over).
        if let Err(d) = self.spend_at(declared.0, 1, 0, declared.1) {
            return Err(Err(d));
        }
        let fail = |problem: Mismatch| {
            Err(Ok(Failure {
                problem: Problem::Mismatch(problem),
                declared,
                steps: Vec::new(),
            }))
        };
        let wrong = |v: &Value| {
            fail(Mismatch::Type {
                expected: ty.to_string(),
                found: found(v),
            })
        };
        match (ty, &v) {
            (Ty::Any, _) => Ok(v),
            (Ty::Null, Value::Null)
            | (Ty::Bool, Value::Bool(_))
            | (Ty::Int, Value::Int(_))
            | (Ty::Float, Value::Float(_))
            | (Ty::String, Value::Str(_))
            | (Ty::Fn(..), Value::Func(_)) => Ok(v),
            // An Int where a Float is declared becomes that Float (`1` -> `1.0`).
            (Ty::Float, Value::Int(i)) => Ok(Value::Float(*i as f64)),
            (Ty::Lit(Value::Float(f)), Value::Int(i)) if *i as f64 == *f => Ok(Value::Float(*f)),
            (Ty::Lit(l), _) => {
                if *l == v && l.type_name() == v.type_name() {
                    Ok(v)
                } else {
                    wrong(&v)
                }
            }
            (Ty::Refined(base, r), _) => {
                let v = self.conform_at(v, base, declared)?;
                match check_refinement(&v, r) {
                    Ok(()) => Ok(v),
                    Err(message) => fail(Mismatch::Refinement { message }),
                }
            }
            (Ty::List(elem), Value::List(items)) => {
                if elem.is_any() {
                    return Ok(v);
                }
                let mut changed: Option<Vec<Value>> = None;
                for (i, item) in items.iter().enumerate() {
                    let c = step(self.conform_at(item.clone(), elem, declared), || {
                        Step::Index(i)
                    })?;
                    if let Some(out) = &mut changed {
                        out.push(c);
                    } else if !same(&c, item) {
                        let mut out: Vec<Value> = items[..i].to_vec();
                        out.push(c);
                        changed = Some(out);
                    }
                }
                Ok(changed.map_or(v, Value::list))
            }
            (Ty::Map(elem), Value::Object(o)) => {
                if elem.is_any() {
                    return Ok(v);
                }
                let mut changed: Option<Object> = None;
                for (i, (k, item)) in o.iter().enumerate() {
                    let c = step(self.conform_at(item.clone(), elem, declared), || {
                        Step::Field(k.clone())
                    })?;
                    if let Some(out) = &mut changed {
                        out.insert(k.clone(), c);
                    } else if !same(&c, item) {
                        let mut out: Object = o
                            .iter()
                            .take(i)
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect();
                        out.insert(k.clone(), c);
                        changed = Some(out);
                    }
                }
                Ok(changed.map_or(v, Value::object))
            }
            (Ty::Record(fields), Value::Object(o)) => {
                if o.keys().any(|k| !fields.iter().any(|(f, _)| f == k)) {
                    return wrong(&v);
                }
                for (name, fty) in fields.iter() {
                    if let Some(item) = o.get(name) {
                        step(self.conform_at(item.clone(), fty, declared), || {
                            Step::Field(name.clone())
                        })?;
                    }
                }
                Ok(v)
            }
            (Ty::Schema(name), Value::Object(_)) => {
                let Some(schema) = self.types.table().schema(name).cloned() else {
                    return Ok(v);
                };
                self.conform_schema(v, &schema)
            }
            (Ty::Union(members), _) => {
                // The first member the value fits; when none fits, the failure of the member
                // of the value's own kind says the most (a range, a missing field).
                let mut best: Option<Failure> = None;
                for m in members {
                    match self.conform_at(v.clone(), m, declared) {
                        Ok(c) => return Ok(c),
                        Err(Ok(f)) => {
                            if best.is_none() && kind_matches(m, &v) {
                                best = Some(f);
                            }
                        }
                        Err(Err(d)) => return Err(Err(d)),
                    }
                }
                match best {
                    Some(f) if members.iter().filter(|m| kind_matches(m, &v)).count() == 1 => {
                        Err(Ok(f))
                    }
                    _ => wrong(&v),
                }
            }
            _ => wrong(&v),
        }
    }

    fn conform_schema(&mut self, v: Value, schema: &Arc<SchemaTy>) -> Conformed {
        let Value::Object(obj) = &v else {
            return Ok(v);
        };
        if self.conformed.contains(obj, schema) {
            return Ok(v);
        }
        // The common case: the object has exactly the schema's fields, in the schema's order
        // (it was written from the schema); then no field needs looking up.
        if obj.len() == schema.fields.len()
            && obj.keys().zip(&schema.fields).all(|(k, f)| *k == f.name)
        {
            let mut out: Option<Object> = None;
            for (i, ((_, item), field)) in obj.iter().zip(&schema.fields).enumerate() {
                let fdecl = (schema.file, field.span);
                let c = step(self.conform_at(item.clone(), &field.ty, fdecl), || {
                    Step::Field(field.name.clone())
                })?;
                if let Some(o) = &mut out {
                    o.insert(field.name.clone(), c);
                } else if !same(&c, item) {
                    let mut o: Object = obj
                        .iter()
                        .take(i)
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    o.insert(field.name.clone(), c);
                    out = Some(o);
                }
            }
            let result = out.map_or(v.clone(), Value::object);
            return self.run_checks(result, schema);
        }
        let declared = (schema.file, schema.span);
        for (k, _) in obj.iter() {
            if schema.field(k).is_none() {
                let suggestion =
                    did_you_mean(k, schema.fields.iter().map(|f| &*f.name)).map(Arc::from);
                return Err(Ok(Failure {
                    problem: Problem::Mismatch(Mismatch::UnknownField {
                        field: k.clone(),
                        schema: schema.name.clone(),
                        suggestion,
                    }),
                    declared,
                    steps: vec![Step::Field(k.clone())],
                }));
            }
        }
        let mut out: Option<Object> = None;
        let mut pending: Vec<&crate::types::FieldTy> = Vec::new();
        for field in &schema.fields {
            let fdecl = (schema.file, field.span);
            match obj.get(&field.name) {
                Some(item) => {
                    let c = step(self.conform_at(item.clone(), &field.ty, fdecl), || {
                        Step::Field(field.name.clone())
                    })?;
                    if !same(&c, item) {
                        out.get_or_insert_with(|| (**obj).clone())
                            .insert(field.name.clone(), c);
                    }
                }
                None if field.default.is_some() => pending.push(field),
                None if !field.optional => {
                    return Err(Ok(Failure {
                        problem: Problem::Mismatch(Mismatch::MissingField {
                            field: field.name.clone(),
                            schema: schema.name.clone(),
                        }),
                        declared: fdecl,
                        steps: Vec::new(),
                    }));
                }
                None => {}
            }
        }
        // Defaults, each once the defaults it mentions are known; a default sees the other
        // fields (absent optional ones as null).
        while !pending.is_empty() {
            let ready = pending.iter().position(|f| {
                !pending.iter().any(|other| {
                    !std::ptr::eq(*other, *f)
                        && f.default.as_ref().is_some_and(|d| mentions(d, &other.name))
                })
            });
            let Some(ready) = ready else {
                // Every remaining default waits for another: they depend on each other.
                let names: Vec<String> = pending.iter().map(|f| format!("`{}`", f.name)).collect();
                let first = pending[0];
                return Err(Err(Box::new(
                    Diagnostic::error(
                        codes::CYCLE,
                        format!("the defaults of {} depend on each other", names.join(", ")),
                    )
                    .at(schema.file, first.span, "this default needs another that needs it")
                    .with_help("give one of these fields a default that does not use the others, or set it"),
                )));
            };
            let field = pending.remove(ready);
            let Some(default) = &field.default else {
                continue;
            };
            let current = out.as_ref().unwrap_or(obj);
            let env = schema_env(current, schema);
            let saved = std::mem::replace(&mut self.file, schema.file);
            let d = self.eval(default, &env);
            self.file = saved;
            let d = d.map_err(Err)?;
            let fdecl = (schema.file, field.span);
            let c = step(self.conform_at(d, &field.ty, fdecl), || {
                Step::Field(field.name.clone())
            })?;
            out.get_or_insert_with(|| (**obj).clone())
                .insert(field.name.clone(), c);
        }
        let result = match out {
            // Defaults were computed in the order they need; each is written right before the
            // first given field declared after it in the schema (at the end if none is), so
            // the fields given keep their order and `apiVersion` and `kind` come first.
            Some(o) => Value::object(order_defaults(o, obj, schema)),
            None => v.clone(),
        };
        self.run_checks(result, schema)
    }

    /// Runs a schema's checks on a value that has its fields; remembers it as conformed.
    fn run_checks(&mut self, result: Value, schema: &Arc<SchemaTy>) -> Conformed {
        let declared = (schema.file, schema.span);
        let Value::Object(o) = &result else {
            return Ok(result);
        };
        if !schema.checks.is_empty() {
            let env = schema_env(o, schema);
            for check in &schema.checks {
                let saved = std::mem::replace(&mut self.file, schema.file);
                let holds = self.condition(&check.cond, &env);
                let message = match (&holds, &check.message) {
                    (Ok(false), Some(m)) => Some(self.eval(m, &env)),
                    _ => None,
                };
                self.file = saved;
                if !holds.map_err(Err)? {
                    let text = match message {
                        Some(Ok(Value::Str(s))) => s.to_string(),
                        Some(Err(d)) => return Err(Err(d)),
                        _ => "the check does not hold".to_string(),
                    };
                    return Err(Ok(Failure {
                        problem: Problem::Check {
                            text,
                            file: schema.file,
                            span: check.span,
                            schema: schema.name.clone(),
                        },
                        declared,
                        steps: Vec::new(),
                    }));
                }
            }
        }
        self.conformed.insert(o, schema);
        Ok(result)
    }
}

/// An object with the given fields first (in the given order), then the filled-in defaults in
/// the schema's order.
fn order_defaults(all: Object, given: &Object, schema: &SchemaTy) -> Object {
    let index = |k: &str| schema.fields.iter().position(|f| &*f.name == k);
    let given_list: Vec<(&Name, usize)> = all
        .iter()
        .filter(|(k, _)| given.contains_key(k))
        .map(|(k, _)| (k, index(k).unwrap_or(usize::MAX)))
        .collect();
    // Each default goes right before the first given field declared after it in the schema.
    let mut before: Vec<Vec<&Name>> = vec![Vec::new(); given_list.len() + 1];
    for (i, f) in schema.fields.iter().enumerate() {
        if given.contains_key(&f.name) || !all.contains_key(&f.name) {
            continue;
        }
        let at = given_list
            .iter()
            .position(|(_, j)| *j > i)
            .unwrap_or(given_list.len());
        before[at].push(&f.name);
    }
    let mut out = Object::with_capacity(all.len());
    let mut put = |k: &Name| {
        if let Some(v) = all.get(k) {
            out.insert(k.clone(), v.clone());
        }
    };
    for (i, (k, _)) in given_list.iter().enumerate() {
        for d in &before[i] {
            put(d);
        }
        put(k);
    }
    for d in &before[given_list.len()] {
        put(d);
    }
    out
}

/// The span of the part of a literal that the steps lead to (as far as the literal goes).
fn narrow<'e>(e: &'e crate::syntax::ast::Expr, mut steps: impl Iterator<Item = &'e Step>) -> Span
where
    Step: 'e,
{
    use crate::syntax::ast::{ElementKind, EntryKind, ExprKind, KeyKind};
    let unparen = |mut e: &'e crate::syntax::ast::Expr| {
        while let ExprKind::Paren(inner) = &e.kind {
            e = inner;
        }
        e
    };
    let mut e = unparen(e);
    for s in steps.by_ref() {
        let next = match (&e.kind, s) {
            (ExprKind::List(els), Step::Index(i)) => {
                // Only while every element before is a plain one, is the index an element.
                els.iter()
                    .take(i + 1)
                    .all(|el| matches!(el.kind, ElementKind::Expr(_)))
                    .then(|| els.get(*i))
                    .flatten()
                    .and_then(|el| match &el.kind {
                        ElementKind::Expr(x) => Some(x),
                        _ => None,
                    })
            }
            (ExprKind::Object { entries, .. }, Step::Field(k)) => {
                entries.iter().rev().find_map(|en| match &en.kind {
                    EntryKind::Field(f) => match f.path.as_slice() {
                        [key] if matches!(&key.kind, KeyKind::Static(n) if n == k) => {
                            Some(&f.value)
                        }
                        _ => None,
                    },
                    _ => None,
                })
            }
            _ => None,
        };
        match next {
            Some(n) => e = unparen(n),
            None => break,
        }
    }
    e.span
}

/// An environment with a schema's fields bound as names, for defaults and checks: the
/// object's values, and null for the fields it does not have (so an absent optional field
/// never falls through to a global of the same name).
fn schema_env(o: &Object, schema: &SchemaTy) -> Env {
    let mut env = Env::new();
    for f in &schema.fields {
        let v = o.get(&f.name).cloned().unwrap_or(Value::Null);
        env = env.bind(f.name.clone(), v);
    }
    env
}

/// Whether an expression mentions `name` (as a variable; conservatively, anywhere).
pub(crate) fn mentions(e: &crate::syntax::ast::Expr, name: &str) -> bool {
    use crate::syntax::ast::{EntryKind, ExprKind, KeyKind, StrPart};
    match &e.kind {
        ExprKind::Var(n) => &**n == name,
        ExprKind::Lit(_) => false,
        ExprKind::Interp(parts) => parts
            .iter()
            .any(|p| matches!(p, StrPart::Expr(x) if mentions(x, name))),
        ExprKind::List(els) => els.iter().any(|el| mentions_element(el, name)),
        ExprKind::Object { entries, .. } => entries.iter().any(|en| match &en.kind {
            EntryKind::Field(f) => {
                mentions(&f.value, name)
                    || f.path
                        .iter()
                        .any(|k| matches!(&k.kind, KeyKind::Computed(x) if mentions(x, name)))
            }
            EntryKind::Spread(x) => mentions(x, name),
            EntryKind::Let(d) => mentions(&d.value, name),
            // Rare in defaults: assume it might.
            EntryKind::For { .. } | EntryKind::If { .. } => true,
        }),
        ExprKind::Field { target, .. } => mentions(target, name),
        ExprKind::Index { target, index } => mentions(target, name) || mentions(index, name),
        ExprKind::Call { callee, args } => {
            mentions(callee, name) || args.iter().any(|x| mentions(x, name))
        }
        ExprKind::Unary { operand, .. } => mentions(operand, name),
        ExprKind::Binary { lhs, rhs, .. } => mentions(lhs, name) || mentions(rhs, name),
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => mentions(cond, name) || mentions(then, name) || mentions(otherwise, name),
        ExprKind::Let { decl, body } => mentions(&decl.value, name) || mentions(body, name),
        ExprKind::Lambda(def) => mentions(&def.body, name),
        ExprKind::Paren(x) => mentions(x, name),
    }
}

fn mentions_element(el: &crate::syntax::ast::Element, name: &str) -> bool {
    use crate::syntax::ast::ElementKind;
    match &el.kind {
        ElementKind::Expr(x) | ElementKind::Spread(x) => mentions(x, name),
        ElementKind::For {
            iter, filter, body, ..
        } => {
            mentions(iter, name)
                || filter.as_ref().is_some_and(|f| mentions(f, name))
                || mentions_element(body, name)
        }
        ElementKind::If { cond, body } => mentions(cond, name) || mentions_element(body, name),
    }
}

fn push_field(path: &mut String, k: &Name) {
    let simple = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if simple {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(k);
    } else {
        path.push_str(&format!("[{k:?}]"));
    }
}

/// Whether two values are the same object (conforming returned it unchanged).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => Arc::ptr_eq(x, y),
        (Value::List(x), Value::List(y)) => Arc::ptr_eq(x, y),
        // Conforming changes a scalar only by turning an Int into a Float.
        _ => std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

/// Whether a union member is of the value's kind (so its failure explains the mismatch).
fn kind_matches(t: &Ty, v: &Value) -> bool {
    match (t, v) {
        (Ty::Refined(base, _), _) => kind_matches(base, v),
        (Ty::Lit(l), _) => l.type_name() == v.type_name(),
        (Ty::Int, Value::Int(_))
        | (Ty::Float, Value::Float(_) | Value::Int(_))
        | (Ty::String, Value::Str(_))
        | (Ty::Bool, Value::Bool(_))
        | (Ty::List(_), Value::List(_))
        | (Ty::Map(_) | Ty::Schema(_) | Ty::Record(_), Value::Object(_)) => true,
        _ => false,
    }
}

/// How a found value is named in a type mismatch: its type, and a short form of small values.
fn found(v: &Value) -> String {
    match v {
        Value::Str(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
            format!("{} {}", v.type_name(), crate::types::short(v))
        }
        other => other.type_name().to_string(),
    }
}
