//! Completion at the cursor, in context, also in files that do not parse.
//!
//! The text is repaired with a placeholder name at the cursor ([`super::repair`]) and analysed;
//! what the placeholder turned out to be decides what is offered:
//! - a key of an object the checker checked against a schema: that schema's fields not yet set
//!   (nested objects and dotted keys too);
//! - a name after `.`: the fields of the value's type, or the members of an imported module;
//! - a type (a resource's type, an annotation): the schemas and aliases in scope, or those of
//!   an imported module after `alias.`;
//! - a value: the literals of the expected union type, then locals, globals, import aliases and
//!   builtins with their signatures;
//! - inside the string of an import: files of the folder, or `std.` modules.

use super::hover::{KeySite, each_expr, schema_of};
use super::repair::{PLACEHOLDER, with_placeholder};
use super::resolve::DefKind;
use super::{Analysis, Workspace};
use crate::syntax::ast::*;
use crate::types::Ty;
use crate::value::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CompletionKind {
    Field,
    Variable,
    Function,
    Module,
    Type,
    Literal,
    Keyword,
    File,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CompletionItem {
    pub label: String,
    pub kind: CompletionKind,
    /// A type or a signature.
    pub detail: Option<String>,
    /// Markdown documentation.
    pub doc: Option<String>,
    /// What to insert when it differs from the label.
    pub insert: Option<String>,
    /// The text the item replaces: the name typed so far.
    pub replace: Span,
}

/// What the placeholder is.
enum Context {
    /// Keys of the object checked against a schema: its fields, minus the keys set.
    Fields(std::sync::Arc<crate::types::SchemaTy>, Vec<Name>),
    /// After `x.`: the fields of `x`'s type.
    Members(Ty),
    /// After `alias.` in an expression: an imported module's values.
    ModuleValues(usize),
    /// A type: the program's types, or an imported module's (`Some(unit)`).
    Types(Option<usize>),
    /// A value: what is expected there, and the locals in scope.
    Value(Option<Ty>, Vec<(Name, Ty)>),
}

impl Workspace {
    /// Completion in the document at `path` (whose text is `text`) at byte `offset`.
    pub fn completion(
        &self,
        path: &std::path::Path,
        text: &str,
        offset: usize,
    ) -> Vec<CompletionItem> {
        let offset = offset.min(text.len());
        let mut offset = offset;
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let typed_start = text[..offset]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
            .last()
            .map_or(offset, |(i, _)| i);
        let replace = Span::new(typed_start, offset);
        let prefix = &text[typed_start..offset];
        if let Some(items) = import_completion(self, path, text, offset) {
            return items;
        }
        let repaired = with_placeholder(text, offset, &self.parser(path));
        let an = Analysis::new(self, path, &repaired, Some(offset));
        let Some(cx) = an.context(offset) else {
            return Vec::new();
        };
        let mut items = an.candidates(cx);
        for it in &mut items {
            it.replace = replace;
        }
        let lower = prefix.to_lowercase();
        items.retain(|i| i.label.to_lowercase().starts_with(&lower));
        let mut seen = std::collections::HashSet::new();
        items.retain(|i| seen.insert(i.label.clone()));
        items
    }
}

impl Analysis {
    /// What the placeholder at `at` is.
    fn context(&self, at: usize) -> Option<Context> {
        let at32 = at as u32;
        let is_ph = |s: Span| {
            s.end as usize >= at
                && self.slice(self.file, s).contains(PLACEHOLDER)
                && s.start <= at32
        };
        // A type path.
        let mut ty_ctx: Option<Context> = None;
        for item in self.own_items() {
            if let ItemKind::Resource(r) = &item.kind
                && is_ph(r.ty.span)
            {
                ty_ctx = Some(self.type_context(&r.ty));
            }
            let mut tys: Vec<&TypeExpr> = Vec::new();
            match &item.kind {
                ItemKind::Let(d) => tys.extend(d.ty.iter()),
                ItemKind::Param(p) => tys.extend(p.ty.iter()),
                ItemKind::Type(t) => tys.push(&t.ty),
                ItemKind::Fn(f) => {
                    tys.extend(f.params.iter().filter_map(|p| p.ty.as_ref()));
                    tys.extend(f.ret.iter());
                }
                ItemKind::Schema(s) => {
                    for m in &s.members {
                        if let SchemaMember::Field(f) = m {
                            tys.push(&f.ty);
                        }
                    }
                }
                _ => {}
            }
            for t in tys {
                if let Some(p) = type_path_at(t, &is_ph) {
                    ty_ctx = Some(self.type_context(p));
                }
            }
        }
        if ty_ctx.is_some() {
            return ty_ctx;
        }
        match self.key_site(at) {
            Some(KeySite::Object(obj, keys)) if keys.last().is_some_and(|k| is_ph(k.span)) => {
                let mut schema = schema_of(self, self.expected_at(obj.span)?)?;
                let (_, before) = keys.split_last()?;
                for k in before {
                    let f = schema.field(k.as_static()?)?;
                    schema = schema_of(self, &f.ty)?;
                }
                let mut set = Vec::new();
                if before.is_empty()
                    && let ExprKind::Object { entries, .. } = &obj.kind
                {
                    for en in entries {
                        if let EntryKind::Field(f) = &en.kind
                            && let Some(k) = f.path.first().and_then(Key::as_static)
                            && !k.contains(PLACEHOLDER)
                        {
                            set.push(k.clone());
                        }
                    }
                }
                return Some(Context::Fields(schema, set));
            }
            Some(KeySite::Member(target, name)) if is_ph(name.span) => {
                if let ExprKind::Var(alias) = &target.kind
                    && let Some(unit) = self.program.import(self.program.unit_of(self.file), alias)
                    && !self
                        .probe
                        .seen
                        .iter()
                        .any(|s| s.scope.iter().any(|(n, _)| n == alias))
                {
                    return Some(Context::ModuleValues(unit));
                }
                return Some(Context::Members(self.inferred_at(target.span)?.clone()));
            }
            _ => {}
        }
        // A value: the placeholder is a variable.
        let mut var: Option<Span> = None;
        each_expr(self.own_items(), &mut |e| {
            if let ExprKind::Var(_) = &e.kind
                && is_ph(e.span)
            {
                var = Some(e.span);
            }
        });
        let span = var?;
        let expected = self.expected_at(span).cloned();
        let scope = self
            .probe
            .seen
            .iter()
            .rev()
            .find(|s| s.span == span)
            .map(|s| s.scope.clone())
            .unwrap_or_default();
        Some(Context::Value(expected, scope))
    }

    fn type_context(&self, path: &TypePath) -> Context {
        match path.segments.as_slice() {
            [first, _, ..] => Context::Types(
                self.program
                    .import(self.program.unit_of(self.file), &first.name),
            ),
            _ => Context::Types(None),
        }
    }

    fn candidates(&self, cx: Context) -> Vec<CompletionItem> {
        let item =
            |label: &str, kind, detail: Option<String>, doc: Option<String>| CompletionItem {
                insert: (!crate::importers::is_ident(label) && kind == CompletionKind::Field)
                    .then(|| format!("{label:?}")),
                label: label.to_string(),
                kind,
                detail,
                doc,
                replace: Span::default(),
            };
        let mut out = Vec::new();
        match cx {
            Context::Fields(schema, set) => {
                for f in &schema.fields {
                    if set.contains(&f.name) {
                        continue;
                    }
                    let opt = if f.optional { "?" } else { "" };
                    out.push(item(
                        &f.name,
                        CompletionKind::Field,
                        Some(
                            format!("{opt}{}", f.ty_text)
                                .trim_start_matches('?')
                                .to_string(),
                        ),
                        f.doc.clone(),
                    ));
                }
            }
            Context::Members(t) => {
                if let Some(s) = schema_of(self, &t) {
                    for f in &s.fields {
                        out.push(item(
                            &f.name,
                            CompletionKind::Field,
                            Some(f.ty_text.clone()),
                            f.doc.clone(),
                        ));
                    }
                } else if let Ty::Record(fields) = strip_null(&t) {
                    for (n, t) in fields.iter() {
                        out.push(item(n, CompletionKind::Field, Some(t.to_string()), None));
                    }
                }
            }
            Context::ModuleValues(unit) => {
                for (name, file, span, kind) in self.unit_globals(unit) {
                    if crate::modules::is_private(&name) {
                        continue;
                    }
                    let k = match kind {
                        DefKind::Fn => CompletionKind::Function,
                        DefKind::Let | DefKind::Param => CompletionKind::Variable,
                        _ => continue,
                    };
                    let (detail, doc) = self.global_detail(file, span);
                    out.push(item(&name, k, detail, doc));
                }
            }
            Context::Types(unit) => {
                let unit_id = unit.unwrap_or(self.program.unit_of(self.file));
                for (name, file, span, kind) in self.unit_globals(unit_id) {
                    if unit.is_some() && crate::modules::is_private(&name) {
                        continue;
                    }
                    match kind {
                        DefKind::Schema | DefKind::Type => {
                            let (_, doc) = self.global_detail(file, span);
                            out.push(item(&name, CompletionKind::Type, None, doc));
                        }
                        DefKind::Import if unit.is_none() => {
                            out.push(item(&name, CompletionKind::Module, None, None));
                        }
                        _ => {}
                    }
                }
                if unit.is_none() {
                    for b in crate::types::BUILTIN_TYPES {
                        out.push(item(
                            b,
                            CompletionKind::Type,
                            Some("builtin type".into()),
                            None,
                        ));
                    }
                }
            }
            Context::Value(expected, scope) => {
                if let Some(t) = &expected {
                    for lit in literals(t) {
                        out.push(item(
                            &lit,
                            CompletionKind::Literal,
                            Some(t.to_string()),
                            None,
                        ));
                    }
                }
                for (name, t) in scope.iter().rev() {
                    if !name.contains(PLACEHOLDER) {
                        out.push(item(
                            name,
                            CompletionKind::Variable,
                            Some(t.to_string()),
                            None,
                        ));
                    }
                }
                for (name, file, span, kind) in self.unit_globals(self.program.unit_of(self.file)) {
                    let k = match kind {
                        DefKind::Fn => CompletionKind::Function,
                        DefKind::Let | DefKind::Param | DefKind::Resource => {
                            CompletionKind::Variable
                        }
                        DefKind::Import => CompletionKind::Module,
                        _ => continue,
                    };
                    if name.contains(PLACEHOLDER) {
                        continue;
                    }
                    let (detail, doc) = self.global_detail(file, span);
                    out.push(item(&name, k, detail, doc));
                }
                for b in crate::eval::BUILTINS {
                    out.push(item(
                        b.name,
                        CompletionKind::Function,
                        Some(b.signature.to_string()),
                        Some(b.doc.to_string()),
                    ));
                }
                for kw in ["true", "false", "null", "if", "let", "fn", "for"] {
                    out.push(item(kw, CompletionKind::Keyword, None, None));
                }
            }
        }
        out
    }

    /// A global's type or signature, and its doc comment.
    fn global_detail(
        &self,
        file: crate::source::FileId,
        span: Span,
    ) -> (Option<String>, Option<String>) {
        let Some(item) = self
            .program
            .module
            .items
            .iter()
            .find(|i| i.file == file && super::resolve::item_name_span(i) == Some(span))
        else {
            return (None, None);
        };
        let inferred = self
            .probe
            .inferred
            .iter()
            .find(|(f, s, _)| *f == file && *s == span)
            .map(|(_, _, t)| t.to_string());
        let detail = match &item.kind {
            ItemKind::Fn(f) => Some(super::hover::fn_signature(f, inferred).0),
            ItemKind::Let(d) => d.ty.as_ref().map(crate::types::type_text).or(inferred),
            ItemKind::Param(p) => p.ty.as_ref().map(crate::types::type_text),
            ItemKind::Resource(r) => Some(r.ty.text.to_string()),
            _ => None,
        };
        (detail, item.doc.as_ref().map(|d| d.text.clone()))
    }
}

fn strip_null(t: &Ty) -> &Ty {
    match t {
        Ty::Union(ms) if ms.len() == 2 => ms.iter().find(|m| !matches!(m, Ty::Null)).unwrap_or(t),
        _ => t,
    }
}

/// The literal values a type allows, as Cairn source: the members of a union of literals,
/// `true`/`false` for `Bool`.
fn literals(t: &Ty) -> Vec<String> {
    match t {
        Ty::Lit(v) => match v {
            Value::Str(s) => vec![format!("{s:?}")],
            other => vec![format!("{other:?}")],
        },
        Ty::Bool => vec!["true".into(), "false".into()],
        Ty::Union(ms) => ms.iter().flat_map(literals).collect(),
        Ty::Null => vec!["null".into()],
        _ => Vec::new(),
    }
}

/// The type path in a type expression that holds the placeholder.
fn type_path_at<'a>(t: &'a TypeExpr, is_ph: &dyn Fn(Span) -> bool) -> Option<&'a TypePath> {
    match &t.kind {
        TypeKind::Named { path, .. } => is_ph(path.span).then_some(path),
        TypeKind::List(inner, _) | TypeKind::Optional(inner) => type_path_at(inner, is_ph),
        TypeKind::Map(k, v) => type_path_at(k, is_ph).or_else(|| type_path_at(v, is_ph)),
        TypeKind::Fn(ps, r) => ps
            .iter()
            .find_map(|p| type_path_at(p, is_ph))
            .or_else(|| type_path_at(r, is_ph)),
        TypeKind::Union(ms) => ms.iter().find_map(|m| type_path_at(m, is_ph)),
        TypeKind::Literal(_) => None,
    }
}

/// Inside the string of an `import`: the `.cairn` files and folders next to the document, or
/// the modules of the standard library after `import std.`.
fn import_completion(
    ws: &Workspace,
    path: &std::path::Path,
    text: &str,
    offset: usize,
) -> Option<Vec<CompletionItem>> {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..offset];
    let rest = line.trim_start().strip_prefix("import")?;
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let rest = rest.trim_start();
    let mut out = Vec::new();
    if let Some(std_prefix) = rest.strip_prefix("std.") {
        let start = offset - std_prefix.len();
        for m in crate::modules::stdlib::MODULES {
            if m.name.starts_with(std_prefix) {
                out.push(CompletionItem {
                    label: m.name.to_string(),
                    kind: CompletionKind::Module,
                    detail: Some(format!("std.{}", m.name)),
                    doc: None,
                    insert: None,
                    replace: Span::new(start, offset),
                });
            }
        }
        return Some(out);
    }
    let typed = rest.strip_prefix('"')?;
    if typed.contains('"') {
        return None;
    }
    // Complete the last path segment, in the folder the typed part names.
    let (dir_part, name_part) = match typed.rfind('/') {
        Some(i) => (&typed[..=i], &typed[i + 1..]),
        None => ("", typed),
    };
    let base = path
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let dir = crate::source::normalize(&base.join(dir_part));
    let start = offset - name_part.len();
    for entry in ws.base.list(&dir).unwrap_or_default() {
        let Some(name) = entry.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if entry == path || name.starts_with('.') || !name.starts_with(name_part) {
            continue;
        }
        let is_dir = ws.base.is_dir(&entry);
        if !is_dir && !name.ends_with(".cairn") {
            continue;
        }
        out.push(CompletionItem {
            label: if is_dir {
                format!("{name}/")
            } else {
                name.to_string()
            },
            kind: CompletionKind::File,
            detail: None,
            doc: None,
            insert: None,
            replace: Span::new(start, offset),
        });
    }
    if dir_part.is_empty() && "./".starts_with(name_part) {
        out.insert(
            0,
            CompletionItem {
                label: "./".into(),
                kind: CompletionKind::File,
                detail: None,
                doc: None,
                insert: None,
                replace: Span::new(start, offset),
            },
        );
    }
    Some(out)
}
