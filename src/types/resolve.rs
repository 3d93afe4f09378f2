//! From the syntax of types to [`Ty`]: the module's table of schemas and aliases, and the
//! resolution of every type expression against it.

use std::sync::Arc;

use regex::Regex;
use rustc_hash::FxHashMap;

use super::{FieldTy, NumRange, Refinement, SchemaTy, Ty, TypeTable};
use crate::diagnostics::{Diagnostic, codes, did_you_mean};
use crate::modules::{Program, UnitId};
use crate::source::FileId;
use crate::syntax::ast::*;
use crate::value::Value;

/// The builtin type names.
pub const BUILTIN_TYPES: &[&str] = &[
    "Any", "Null", "Bool", "Int", "Float", "String", "List", "Object",
];

struct Resolver<'m> {
    program: &'m Program,
    /// The file of the type being resolved (its unit decides what names mean).
    file: FileId,
    /// Aliases and schemas of every module, by qualified name, with their files.
    aliases: FxHashMap<Name, (&'m TypeAlias, FileId)>,
    schemas: FxHashMap<Name, (&'m Schema, FileId)>,
    table: TypeTable,
    /// Aliases being resolved (to find cycles).
    resolving: Vec<Name>,
    /// Aliases too large to write out (E0154), and whether the alias being resolved used one
    /// (it is then too large too, and not reported again).
    too_large: rustc_hash::FxHashSet<Name>,
    used_too_large: bool,
    diagnostics: Vec<Diagnostic>,
}

/// The types of a program: its table of schemas and aliases, and a resolver for the type
/// expressions written elsewhere (on `let`, `param`, functions), cached by position.
///
/// Names are qualified by module: the entry's schemas keep their names (`Service`), an
/// imported module's get its qualifier (`k8s.Deployment`), so one table holds them all.
pub struct Types<'m> {
    r: Resolver<'m>,
    cache: FxHashMap<(FileId, u32, u32), Arc<Ty>>,
}

/// The name a module's type has in the table of the whole program.
pub fn qualified(program: &Program, unit: UnitId, name: &Name) -> Name {
    match program.units.get(unit) {
        Some(u) if !u.qualifier.is_empty() => Name::from(format!("{}.{name}", u.qualifier)),
        _ => name.clone(),
    }
}

impl<'m> Types<'m> {
    /// Builds the table of a program's schemas and aliases, resolving every field type. Problems
    /// (unknown types, bad refinements, cycles) are kept as diagnostics; the table still holds
    /// everything that resolved, with `Any` in place of what did not.
    pub fn new(program: &'m Program) -> Types<'m> {
        let module = &program.module;
        let mut r = Resolver {
            program,
            file: module.file,
            aliases: FxHashMap::default(),
            schemas: FxHashMap::default(),
            table: TypeTable::default(),
            resolving: Vec::new(),
            too_large: Default::default(),
            used_too_large: false,
            diagnostics: Vec::new(),
        };
        for item in &module.items {
            let unit = program.unit_of(item.file);
            match &item.kind {
                ItemKind::Type(a) => {
                    r.aliases
                        .insert(qualified(program, unit, &a.name.name), (a, item.file));
                }
                ItemKind::Schema(s) => {
                    let q = qualified(program, unit, &s.name.name);
                    r.schemas.insert(q.clone(), (s, item.file));
                    r.table.order.push(q);
                }
                _ => {}
            }
        }
        for item in &module.items {
            let unit = program.unit_of(item.file);
            r.file = item.file;
            match &item.kind {
                ItemKind::Type(a) => {
                    r.alias(&qualified(program, unit, &a.name.name));
                }
                ItemKind::Schema(s) => {
                    let docs = item.doc.as_ref().map(|d| d.text.clone());
                    r.schema(s, item.file, docs, &mut Vec::new());
                }
                _ => {}
            }
        }
        Types {
            r,
            cache: FxHashMap::default(),
        }
    }

    pub fn table(&self) -> &TypeTable {
        &self.r.table
    }

    /// Resolves a type expression written in `file` (once; later calls return the cached
    /// type).
    pub fn resolve(&mut self, file: FileId, t: &TypeExpr) -> Ty {
        (*self.resolve_shared(file, t)).clone()
    }

    /// Like [`Types::resolve`], sharing the cached type (no copy: for hot paths).
    pub fn resolve_shared(&mut self, file: FileId, t: &TypeExpr) -> Arc<Ty> {
        let key = (file, t.span.start, t.span.end);
        if let Some(ty) = self.cache.get(&key) {
            return ty.clone();
        }
        self.r.file = file;
        let ty = Arc::new(self.r.resolve(t));
        self.cache.insert(key, ty.clone());
        ty
    }

    /// The schema type a resource type written in `file` names: a schema of the program or of
    /// an imported module (or an alias of one). `None` for a provider's type whose prefix is not
    /// an import (`exec.Command`), which is not checked; an unknown name under an import alias
    /// is reported.
    pub fn resource_type(&mut self, file: FileId, path: &TypePath) -> Option<Ty> {
        let unit = self.r.program.unit_of(file);
        if path.segments.len() > 1
            && self
                .r
                .program
                .import(unit, &path.segments[0].name)
                .is_none()
        {
            return None;
        }
        if path.segments.len() == 1 {
            let name = qualified(self.r.program, unit, &path.segments[0].name);
            return self.r.table.resource_schema(&name);
        }
        self.r.file = file;
        match self.r.named(path) {
            t @ Ty::Schema(_) => Some(t),
            _ => None,
        }
    }

    /// The qualified name a schema or alias has when written as `path` in `file`.
    pub fn lookup(&self, file: FileId, path: &TypePath) -> Option<Name> {
        self.r.lookup_in(file, path).ok()
    }

    /// The diagnostics found so far (each reported once).
    pub fn take_diagnostics(&mut self) -> Vec<Diagnostic> {
        std::mem::take(&mut self.r.diagnostics)
    }
}

impl<'m> Resolver<'m> {
    fn alias(&mut self, name: &Name) -> Ty {
        if let Some(t) = self.table.aliases.get(name) {
            self.used_too_large |= self.too_large.contains(name);
            return t.clone();
        }
        let Some((alias, file)) = self.aliases.get(name).copied() else {
            return Ty::Any;
        };
        if self.resolving.contains(name) {
            self.diagnostics.push(
                Diagnostic::error(codes::TYPE_CYCLE, format!("type `{name}` is defined by itself"))
                    .at(file, alias.name.span, "this alias refers back to itself")
                    .with_help("an alias must end in a type that does not use it; use a schema for recursive data"),
            );
            self.table.aliases.insert(name.clone(), Ty::Any);
            return Ty::Any;
        }
        self.resolving.push(name.clone());
        let saved = std::mem::replace(&mut self.file, file);
        let used_before = std::mem::replace(&mut self.used_too_large, false);
        let mut t = self.resolve(&alias.ty);
        self.file = saved;
        self.resolving.pop();
        // Aliases are written out where they are used: one that uses the one before twice
        // doubles at every step. Past the limit, it is an error, reported once: it is `Any`
        // from here on, and so is every alias built on it.
        if self.used_too_large {
            self.too_large.insert(name.clone());
            t = Ty::Any;
        } else if !t.has_at_most(super::MAX_ALIAS_NODES) {
            self.too_large.insert(name.clone());
            self.used_too_large = true;
            self.diagnostics.push(
                Diagnostic::error(
                    codes::TYPE_TOO_LARGE,
                    format!(
                        "type `{name}` is too large: written out, it has more than {} parts",
                        crate::eval::thousands(super::MAX_ALIAS_NODES as u64)
                    ),
                )
                .at(file, alias.name.span, "this alias grows too large")
                .with_help("aliases are written out where they are used; declare a schema, which is used by name, for large or repeated structure"),
            );
            t = Ty::Any;
        }
        self.used_too_large |= used_before;
        self.table.aliases.insert(name.clone(), t.clone());
        t
    }

    /// The qualified name of the schema or alias `path` names in `file`: in its own module, or
    /// `alias.Name` in an imported one. `Err` says why not: `None` for unknown, `Some(why)` for
    /// a name that exists but may not be used (private).
    fn lookup_in(&self, file: FileId, path: &TypePath) -> Result<Name, Option<String>> {
        let unit = self.program.unit_of(file);
        let (unit, name) = match path.segments.as_slice() {
            [one] => (unit, &one.name),
            [first, rest @ ..] if !rest.is_empty() => {
                let Some(target) = self.program.import(unit, &first.name) else {
                    return Err(None);
                };
                let joined: Vec<&str> = rest.iter().map(|i| &*i.name).collect();
                let name = Name::from(joined.join("."));
                if crate::modules::is_private(&name) {
                    return Err(Some(format!(
                        "`{name}` is private to module `{}`",
                        self.program.units[target].name
                    )));
                }
                let q = qualified(self.program, target, &name);
                return if self.schemas.contains_key(&q) || self.aliases.contains_key(&q) {
                    Ok(q)
                } else {
                    Err(None)
                };
            }
            _ => return Err(None),
        };
        let q = qualified(self.program, unit, name);
        if self.schemas.contains_key(&q) || self.aliases.contains_key(&q) {
            Ok(q)
        } else {
            Err(None)
        }
    }

    /// The names a type path in `file` could have meant (for suggestions): the module's own
    /// types, or those of the module its prefix imports.
    fn candidates(&self, file: FileId, path: &TypePath) -> Vec<String> {
        let unit = self.program.unit_of(file);
        let (target, prefix) = match path.segments.as_slice() {
            [first, _, ..] => match self.program.import(unit, &first.name) {
                Some(t) => (t, format!("{}.", first.name)),
                None => return Vec::new(),
            },
            _ => (unit, String::new()),
        };
        let q = &self.program.units[target].qualifier;
        let strip = |k: &Name| -> Option<String> {
            let local = if q.is_empty() {
                (!k.contains('.')).then(|| k.to_string())
            } else {
                k.strip_prefix(&**q)?.strip_prefix('.').map(str::to_string)
            }?;
            (!crate::modules::is_private(&local) || prefix.is_empty())
                .then(|| format!("{prefix}{local}"))
        };
        let mut out: Vec<String> = self
            .schemas
            .keys()
            .chain(self.aliases.keys())
            .filter_map(strip)
            .collect();
        out.sort();
        out
    }

    fn schema(
        &mut self,
        s: &'m Schema,
        file: FileId,
        doc: Option<String>,
        visiting: &mut Vec<Name>,
    ) {
        let qname = qualified(self.program, self.program.unit_of(file), &s.name.name);
        if self.table.schemas.contains_key(&qname) {
            return;
        }
        let saved = std::mem::replace(&mut self.file, file);
        self.schema_inner(s, qname, doc, visiting);
        self.file = saved;
    }

    fn schema_inner(
        &mut self,
        s: &'m Schema,
        qname: Name,
        doc: Option<String>,
        visiting: &mut Vec<Name>,
    ) {
        if visiting.contains(&qname) {
            self.diagnostics.push(
                Diagnostic::error(
                    codes::TYPE_CYCLE,
                    format!("schema `{}` extends itself", s.name.name),
                )
                .at(self.file, s.name.span, "part of a cycle of `extends`")
                .with_help("a schema cannot extend itself, directly or through others"),
            );
            return;
        }
        visiting.push(qname.clone());
        let mut fields: Vec<FieldTy> = Vec::new();
        let mut checks = Vec::new();
        let mut extends = Vec::new();
        for parent in &s.extends {
            let name = self
                .lookup_in(self.file, parent)
                .unwrap_or_else(|_| Arc::from(parent.text.as_ref()));
            match self.schemas.get(&name).copied() {
                Some((p, pfile)) => {
                    self.schema(p, pfile, None, visiting);
                    if let Some(resolved) = self.table.schemas.get(&name).cloned() {
                        for f in &resolved.fields {
                            match fields.iter_mut().find(|x| x.name == f.name) {
                                Some(existing) => *existing = f.clone(),
                                None => fields.push(f.clone()),
                            }
                        }
                        checks.extend(resolved.checks.iter().cloned());
                    }
                    extends.push(name);
                }
                None => {
                    // A type that is not a schema, or no type at all.
                    let known = self.aliases.contains_key(&name) || BUILTIN_TYPES.contains(&&*name);
                    let (code, message) = if known {
                        (
                            codes::INVALID_TYPE,
                            format!(
                                "`{}` is not a schema, so it cannot be extended",
                                parent.text
                            ),
                        )
                    } else {
                        (
                            codes::UNKNOWN_TYPE,
                            format!("unknown schema `{}`", parent.text),
                        )
                    };
                    let mut d = Diagnostic::error(code, message).at(
                        self.file,
                        parent.span,
                        "extended here",
                    );
                    let others = self.candidates(self.file, parent);
                    let others = others
                        .iter()
                        .filter(|k| **k != *s.name.name)
                        .map(|k| k.as_str());
                    d = match did_you_mean(&parent.text, others) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None => d.with_help("a schema can only extend another schema"),
                    };
                    self.diagnostics.push(d);
                }
            }
        }
        for member in &s.members {
            match member {
                SchemaMember::Field(f) => {
                    let Some(name) = f.name.as_static().cloned() else {
                        self.diagnostics.push(
                            Diagnostic::error(
                                codes::INVALID_TYPE,
                                "a schema field name cannot be computed",
                            )
                            .at(self.file, f.name.span, "interpolated name")
                            .with_help("write the field name as a plain name or string"),
                        );
                        continue;
                    };
                    let ty = self.resolve(&f.ty);
                    let ty = if f.optional { Ty::optional(ty) } else { ty };
                    let field = FieldTy {
                        name: name.clone(),
                        ty,
                        ty_text: type_text(&f.ty),
                        optional: f.optional,
                        default: f.default.clone(),
                        doc: f.doc.as_ref().map(|d| d.text.clone()),
                        file: self.file,
                        span: f.name.span,
                    };
                    match fields.iter_mut().find(|x| x.name == name) {
                        Some(existing) => *existing = field,
                        None => fields.push(field),
                    }
                }
                SchemaMember::Check(c) => checks.push(c.clone()),
            }
        }
        visiting.pop();
        self.table.schemas.insert(
            qname.clone(),
            Arc::new(SchemaTy {
                name: qname,
                doc,
                file: self.file,
                span: s.name.span,
                fields,
                checks,
                extends,
            }),
        );
    }

    fn resolve(&mut self, t: &TypeExpr) -> Ty {
        match &t.kind {
            TypeKind::Named { path, args } => {
                let base = self.named(path);
                if args.is_empty() {
                    base
                } else {
                    self.refine(base, args, t.span)
                }
            }
            TypeKind::List(elem, args) => {
                let list = Ty::List(Box::new(self.resolve(elem)));
                if args.is_empty() {
                    list
                } else {
                    self.refine(list, args, t.span)
                }
            }
            TypeKind::Map(k, v) => {
                let key = self.resolve(k);
                if !matches!(key, Ty::String | Ty::Any) {
                    self.diagnostics.push(
                        Diagnostic::error(
                            codes::INVALID_TYPE,
                            format!("map keys can only be typed `String`, not {key}"),
                        )
                        .at(self.file, k.span, "key type")
                        .with_help("write a map type as `{String: T}`; for a fixed set of keys, declare a schema"),
                    );
                }
                Ty::Map(Box::new(self.resolve(v)))
            }
            TypeKind::Fn(params, ret) => Ty::Fn(
                params.iter().map(|p| self.resolve(p)).collect(),
                Box::new(self.resolve(ret)),
            ),
            TypeKind::Literal(l) => match l {
                Literal::Null => Ty::Null,
                Literal::Bool(b) => Ty::Lit(Value::Bool(*b)),
                Literal::Int(i) => Ty::Lit(Value::Int(*i)),
                Literal::Float(x) => Ty::Lit(Value::Float(*x)),
                Literal::Str(s) => Ty::Lit(Value::Str(s.clone())),
            },
            TypeKind::Optional(inner) => Ty::optional(self.resolve(inner)),
            TypeKind::Union(members) => {
                let mut out = Ty::Union(Vec::new());
                let mut first = true;
                for m in members {
                    let r = self.resolve(m);
                    out = if first { r } else { Ty::join(out, r) };
                    first = false;
                }
                out
            }
        }
    }

    fn named(&mut self, path: &TypePath) -> Ty {
        if path.segments.len() == 1 {
            let name = &path.segments[0].name;
            match &**name {
                "Any" => return Ty::Any,
                "Null" => return Ty::Null,
                "Bool" => return Ty::Bool,
                "Int" => return Ty::Int,
                "Float" => return Ty::Float,
                "String" => return Ty::String,
                "List" => return Ty::List(Box::new(Ty::Any)),
                "Object" => return Ty::Map(Box::new(Ty::Any)),
                _ => {}
            }
        }
        match self.lookup_in(self.file, path) {
            Ok(q) => {
                if self.schemas.contains_key(&q) {
                    return Ty::Schema(q);
                }
                return self.alias(&q);
            }
            Err(Some(why)) => {
                self.diagnostics.push(
                    Diagnostic::error(codes::PRIVATE_NAME, why)
                        .at(self.file, path.span, "private")
                        .with_help("names starting with `_` are private to their module; use what the module exports"),
                );
                return Ty::Any;
            }
            Err(None) => {}
        }
        let in_module = path.segments.len() > 1
            && self
                .program
                .import(self.program.unit_of(self.file), &path.segments[0].name)
                .is_some();
        let owned = self.candidates(self.file, path);
        let candidates: Vec<&str> = if in_module {
            owned.iter().map(String::as_str).collect()
        } else {
            BUILTIN_TYPES
                .iter()
                .copied()
                .chain(owned.iter().map(String::as_str))
                .collect()
        };
        let mut d = Diagnostic::error(codes::UNKNOWN_TYPE, format!("unknown type `{}`", path.text))
            .at(
                self.file,
                path.span,
                if in_module {
                    "not a type of that module"
                } else {
                    "not a type of this program"
                },
            );
        let synonym = match path.text.to_lowercase().as_str() {
            "integer" | "int" | "i64" | "long" | "number" => Some("Int"),
            "float" | "double" | "f64" | "decimal" => Some("Float"),
            "bool" | "boolean" => Some("Bool"),
            "str" | "string" | "text" => Some("String"),
            "array" | "list" | "vec" => Some("[T]"),
            "dict" | "map" | "object" | "hash" => Some("{String: T}"),
            "nil" | "none" | "null" => Some("Null"),
            _ => None,
        };
        d = match (
            synonym,
            did_you_mean(&path.text, candidates.iter().copied()),
        ) {
            (Some(s), _) if s != &*path.text => d.with_help(format!("did you mean `{s}`?")),
            (_, Some(s)) => d.with_help(format!("did you mean `{s}`?")),
            _ => {
                let known = candidates.clone();
                d.with_help(format!(
                    "declare it with `type` or `schema`; the known types are {}",
                    known.join(", ")
                ))
            }
        };
        self.diagnostics.push(d);
        Ty::Any
    }

    fn refine(&mut self, base: Ty, args: &[TypeArg], span: Span) -> Ty {
        let kind = match base.widen() {
            Ty::Int => "Int",
            Ty::Float => "Float",
            Ty::String => "String",
            Ty::List(_) => "List",
            Ty::Any => return Ty::Any,
            other => {
                self.diagnostics.push(
                    Diagnostic::error(codes::INVALID_TYPE, format!("`{other}` takes no refinement"))
                        .at(self.file, span, "refined here")
                        .with_help("refine Int and Float with a range, String with `matches:` or `len:`, and lists with `len:`"),
                );
                return base;
            }
        };
        let mut r = Refinement::default();
        for arg in args {
            let name = arg.name.as_ref().map(|n| &*n.name);
            match (kind, name, &arg.value) {
                (
                    "Int" | "Float",
                    None | Some("range"),
                    TypeArgValue::Range { lo, hi, inclusive },
                ) => {
                    match self.range(lo, hi, *inclusive, kind == "Int", arg.span) {
                        Some(range) => r.range = Some(range),
                        // Reported; the type checks nothing rather than rejecting every value.
                        None => return Ty::Any,
                    }
                }
                ("String" | "List", Some("len"), TypeArgValue::Range { lo, hi, inclusive }) => {
                    match self.range(lo, hi, *inclusive, true, arg.span) {
                        Some(range) => r.len = Some(range),
                        None => return Ty::Any,
                    }
                }
                ("String", Some("matches"), TypeArgValue::Expr(e)) => match &e.kind {
                    ExprKind::Lit(Literal::Str(p)) => match Regex::new(p) {
                        Ok(re) => r.matches = Some((p.to_string(), re)),
                        Err(err) => {
                            // The regex crate's message: the pattern with a caret, then
                            // "error: <why>". Keep the why; show the caret lines as a note.
                            let text = err.to_string();
                            let why = text
                                .lines()
                                .rev()
                                .find_map(|l| l.trim().strip_prefix("error:"))
                                .unwrap_or("invalid pattern")
                                .trim()
                                .to_string();
                            let caret: Vec<&str> = text
                                .lines()
                                .filter(|l| {
                                    !l.trim().is_empty()
                                        && !l.trim().starts_with("error:")
                                        && !l.starts_with("regex parse error")
                                })
                                .collect();
                            let mut d = Diagnostic::error(codes::INVALID_TYPE, format!("invalid regular expression: {why}"))
                                .at(self.file, e.span, "this pattern")
                                .with_help("patterns use Rust's regex syntax (close to JavaScript's); escape special characters with `\\\\`");
                            if !caret.is_empty() {
                                d = d.with_note(format!("in the pattern:\n{}", caret.join("\n")));
                            }
                            self.diagnostics.push(d);
                        }
                    },
                    _ => self.diagnostics.push(
                        Diagnostic::error(codes::INVALID_TYPE, "`matches:` takes a string literal")
                            .at(self.file, e.span, "not a plain string")
                            .with_help(
                                "write the pattern as a string, like `matches: \"^[a-z]+$\"`",
                            ),
                    ),
                },
                _ => {
                    let allowed = match kind {
                        "Int" | "Float" => "a range, like `1..=65535`",
                        "String" => "`matches: \"pattern\"` or `len: 1..=63`",
                        _ => "`len: 1..`",
                    };
                    self.diagnostics.push(
                        Diagnostic::error(
                            codes::INVALID_TYPE,
                            format!("this refinement does not apply to {kind}"),
                        )
                        .at(self.file, arg.span, "unexpected refinement")
                        .with_help(format!("{kind} takes {allowed}")),
                    );
                }
            }
        }
        Ty::Refined(Box::new(base), Arc::new(r))
    }

    /// A range; `None` (and a diagnostic) when it is empty.
    fn range(
        &mut self,
        lo: &Option<Literal>,
        hi: &Option<Literal>,
        inclusive: bool,
        ints: bool,
        span: Span,
    ) -> Option<NumRange> {
        let num = |l: &Option<Literal>| match l {
            Some(Literal::Int(i)) => Some(*i as f64),
            Some(Literal::Float(x)) => Some(*x),
            _ => None,
        };
        let floats = matches!(lo, Some(Literal::Float(_))) || matches!(hi, Some(Literal::Float(_)));
        let range = NumRange {
            lo: num(lo),
            hi: num(hi),
            inclusive,
            ints: ints && !floats,
        };
        if let (Some(a), Some(b)) = (range.lo, range.hi)
            && (a > b || (a == b && !inclusive))
        {
            self.diagnostics.push(
                Diagnostic::error(codes::INVALID_TYPE, format!("the range {range} is empty"))
                    .at(self.file, span, "no value fits")
                    .with_help(
                        "write the lower bound first: `lo..=hi` includes hi, `lo..hi` excludes it",
                    ),
            );
            return None;
        }
        Some(range)
    }
}

/// A type as written, for docs and messages.
pub fn type_text(t: &TypeExpr) -> String {
    match &t.kind {
        TypeKind::Named { path, args } => {
            if args.is_empty() {
                path.text.to_string()
            } else {
                format!("{}({})", path.text, args_text(args))
            }
        }
        TypeKind::List(e, args) => {
            if args.is_empty() {
                format!("[{}]", type_text(e))
            } else {
                format!("[{}]({})", type_text(e), args_text(args))
            }
        }
        TypeKind::Map(k, v) => format!("{{{}: {}}}", type_text(k), type_text(v)),
        TypeKind::Fn(ps, r) => format!(
            "fn({}) -> {}",
            ps.iter().map(type_text).collect::<Vec<_>>().join(", "),
            type_text(r)
        ),
        TypeKind::Literal(l) => match l {
            Literal::Null => "null".to_string(),
            Literal::Bool(b) => b.to_string(),
            Literal::Int(i) => i.to_string(),
            Literal::Float(x) => crate::export::format_float(*x),
            Literal::Str(s) => format!("{s:?}"),
        },
        TypeKind::Optional(inner) => format!("{}?", type_text(inner)),
        TypeKind::Union(ms) => ms.iter().map(type_text).collect::<Vec<_>>().join(" | "),
    }
}

fn args_text(args: &[TypeArg]) -> String {
    args.iter()
        .map(|a| {
            let v = match &a.value {
                TypeArgValue::Range { lo, hi, inclusive } => {
                    let b = |l: &Option<Literal>| match l {
                        Some(Literal::Int(i)) => i.to_string(),
                        Some(Literal::Float(x)) => crate::export::format_float(*x),
                        _ => String::new(),
                    };
                    format!(
                        "{}{}{}",
                        b(lo),
                        if *inclusive { "..=" } else { ".." },
                        b(hi)
                    )
                }
                TypeArgValue::Expr(e) => match &e.kind {
                    ExprKind::Lit(Literal::Str(s)) => format!("{s:?}"),
                    _ => "...".to_string(),
                },
            };
            match &a.name {
                Some(n) => format!("{}: {v}", n.name),
                None => v,
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}
