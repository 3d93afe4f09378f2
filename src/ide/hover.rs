//! Hover and signature help: the type and documentation of what is under the cursor.
//!
//! Types come from the checker (what it saw at the cursor, see [`crate::check::Probe`]);
//! documentation from doc comments: of items, of schema fields (the Kubernetes field docs of
//! std.k8s among them) and of builtins.

use std::sync::Arc;

use super::Analysis;
use super::resolve::{DefKind, Target};
use crate::syntax::ast::*;
use crate::types::{SchemaTy, Ty, type_text};

/// What to show for the thing under the cursor.
#[derive(Clone, Debug, PartialEq)]
pub struct Hover {
    /// The span the hover is about.
    pub span: Span,
    /// Markdown: a code block with the signature or type, then the documentation.
    pub markdown: String,
}

/// The signature of the function being called at the cursor.
#[derive(Clone, Debug, PartialEq)]
pub struct SignatureHelp {
    /// `name(a: T, b: U) -> R`
    pub label: String,
    /// Each parameter's label as written in `label`.
    pub params: Vec<String>,
    pub active: usize,
    pub doc: Option<String>,
}

/// Calls `f` on every expression of the items, outermost first.
pub(crate) fn each_expr<'a>(items: impl Iterator<Item = &'a Item>, f: &mut dyn FnMut(&'a Expr)) {
    fn expr<'a>(e: &'a Expr, f: &mut dyn FnMut(&'a Expr)) {
        f(e);
        let mut children: Vec<&'a Expr> = Vec::new();
        children_of(e, &mut children);
        for c in children {
            stacker::maybe_grow(64 * 1024, 1024 * 1024, || expr(c, f));
        }
    }
    fn item<'a>(i: &'a Item, f: &mut dyn FnMut(&'a Expr)) {
        match &i.kind {
            ItemKind::Param(p) => {
                if let Some(d) = &p.default {
                    expr(d, f);
                }
            }
            ItemKind::Let(d) => expr(&d.value, f),
            ItemKind::Fn(fd) => expr(&fd.body, f),
            ItemKind::Schema(s) => {
                for m in &s.members {
                    match m {
                        SchemaMember::Field(fl) => {
                            if let Some(d) = &fl.default {
                                expr(d, f);
                            }
                        }
                        SchemaMember::Check(c) => {
                            expr(&c.cond, f);
                            if let Some(m) = &c.message {
                                expr(m, f);
                            }
                        }
                    }
                }
            }
            ItemKind::Resource(r) => {
                if let Some(k) = &r.key {
                    expr(k, f);
                }
                for (_, e) in &r.options {
                    expr(e, f);
                }
                expr(&r.body, f);
            }
            ItemKind::For(fi) => {
                expr(&fi.iter, f);
                if let Some(c) = &fi.filter {
                    expr(c, f);
                }
                for i in &fi.items {
                    item(i, f);
                }
            }
            ItemKind::If(ii) => {
                expr(&ii.cond, f);
                for i in &ii.then {
                    item(i, f);
                }
                for i in ii.otherwise.iter().flatten() {
                    item(i, f);
                }
            }
            ItemKind::Field(fl) => {
                for k in &fl.path {
                    if let KeyKind::Computed(e) = &k.kind {
                        expr(e, f);
                    }
                }
                expr(&fl.value, f);
            }
            ItemKind::Spread(e) => expr(e, f),
            ItemKind::Import(_) | ItemKind::Type(_) | ItemKind::Error => {}
        }
    }
    for i in items {
        item(i, f);
    }
}

/// The direct children of an expression (those `ast::for_each_child` visits), as references
/// that live as long as it does.
fn children_of<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    fn keys<'a>(path: &'a [Key], out: &mut Vec<&'a Expr>) {
        for k in path {
            if let KeyKind::Computed(e) = &k.kind {
                out.push(e);
            }
        }
    }
    fn element<'a>(el: &'a Element, out: &mut Vec<&'a Expr>) {
        match &el.kind {
            ElementKind::Expr(e) | ElementKind::Spread(e) => out.push(e),
            ElementKind::For {
                iter, filter, body, ..
            } => {
                out.push(iter);
                out.extend(filter.iter());
                element(body, out);
            }
            ElementKind::If { cond, body } => {
                out.push(cond);
                element(body, out);
            }
        }
    }
    fn entries<'a>(list: &'a [Entry], out: &mut Vec<&'a Expr>) {
        for en in list {
            match &en.kind {
                EntryKind::Field(fl) => {
                    keys(&fl.path, out);
                    out.push(&fl.value);
                }
                EntryKind::Spread(e) => out.push(e),
                EntryKind::For {
                    iter,
                    filter,
                    entries: inner,
                    ..
                } => {
                    out.push(iter);
                    out.extend(filter.iter());
                    entries(inner, out);
                }
                EntryKind::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    out.push(cond);
                    entries(then, out);
                    if let Some(o) = otherwise {
                        entries(o, out);
                    }
                }
                EntryKind::Let(d) => out.push(&d.value),
            }
        }
    }
    match &e.kind {
        ExprKind::Lit(_) | ExprKind::Var(_) => {}
        ExprKind::Interp(parts) => {
            for p in parts {
                if let StrPart::Expr(x) = p {
                    out.push(x);
                }
            }
        }
        ExprKind::List(els) => els.iter().for_each(|el| element(el, out)),
        ExprKind::Object { entries: list, .. } => entries(list, out),
        ExprKind::Field { target, .. } => out.push(target),
        ExprKind::Index { target, index } => {
            out.push(target);
            out.push(index);
        }
        ExprKind::Call { callee, args } => {
            out.push(callee);
            out.extend(args.iter());
        }
        ExprKind::Unary { operand, .. } => out.push(operand),
        ExprKind::Binary { lhs, rhs, .. } => {
            out.push(lhs);
            out.push(rhs);
        }
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            out.push(cond);
            out.push(then);
            out.push(otherwise);
        }
        ExprKind::Let { decl, body } => {
            out.push(&decl.value);
            out.push(body);
        }
        ExprKind::Lambda(def) => out.push(&def.body),
        ExprKind::Paren(x) => out.push(x),
    }
}

/// The schema a type is, seen through `?`, refinements and one-schema unions.
pub(crate) fn schema_of(an: &Analysis, t: &Ty) -> Option<Arc<SchemaTy>> {
    match t {
        Ty::Schema(n) => an.types.schema(n).cloned(),
        Ty::Refined(base, _) => schema_of(an, base),
        Ty::Union(members) => {
            let found: Vec<Arc<SchemaTy>> =
                members.iter().filter_map(|m| schema_of(an, m)).collect();
            match found.as_slice() {
                [one] => Some(one.clone()),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Where an object key or field name is: the object (or target) expression and the keys from
/// it to the one at the cursor.
pub(crate) enum KeySite<'a> {
    /// A key of an object literal: the object and the key path up to the cursor's key.
    Object(&'a Expr, Vec<&'a Key>),
    /// `target.name`
    Member(&'a Expr, &'a Ident),
}

impl Analysis {
    /// The type the checker expected for the expression at `span`, if it checked one there.
    pub(crate) fn expected_at(&self, span: Span) -> Option<&Ty> {
        self.probe
            .seen
            .iter()
            .rev()
            .find(|s| s.span == span && s.expected.is_some())
            .and_then(|s| s.expected.as_ref())
    }

    /// The type the checker inferred for the expression at `span`.
    pub(crate) fn inferred_at(&self, span: Span) -> Option<&Ty> {
        self.probe
            .seen
            .iter()
            .rev()
            .find(|s| s.span == span && s.inferred.is_some())
            .and_then(|s| s.inferred.as_ref())
    }

    /// The innermost key or member name at `offset`.
    pub(crate) fn key_site(&self, offset: usize) -> Option<KeySite<'_>> {
        let offset = offset as u32;
        let on = |s: Span| s.start <= offset && offset <= s.end;
        let mut found: Option<KeySite<'_>> = None;
        each_expr(self.own_items(), &mut |e| match &e.kind {
            ExprKind::Object { entries, .. } => {
                for en in entries {
                    if let EntryKind::Field(f) = &en.kind
                        && let Some(i) = f.path.iter().position(|k| on(k.span))
                    {
                        found = Some(KeySite::Object(e, f.path[..=i].iter().collect()));
                    }
                }
            }
            ExprKind::Field { target, name, .. } if on(name.span) => {
                found = Some(KeySite::Member(target, name));
            }
            _ => {}
        });
        found
    }

    /// The schema field named at `offset` (a key of an object checked against a schema, or a
    /// field access on a value of a schema type): the schema's name and the field's.
    pub(crate) fn field_at(&self, offset: usize) -> Option<(Name, Name)> {
        match self.key_site(offset)? {
            KeySite::Object(obj, keys) => {
                let mut schema = schema_of(self, self.expected_at(obj.span)?)?;
                let (last, before) = keys.split_last()?;
                for k in before {
                    let f = schema.field(k.as_static()?)?;
                    schema = schema_of(self, &f.ty)?;
                }
                let name = last.as_static()?;
                schema.field(name)?;
                Some((schema.name.clone(), name.clone()))
            }
            KeySite::Member(target, name) => {
                let schema = schema_of(self, self.inferred_at(target.span)?)?;
                schema.field(&name.name)?;
                Some((schema.name.clone(), name.name.clone()))
            }
        }
    }

    /// What to show when hovering at `offset`.
    pub fn hover(&self, offset: usize) -> Option<Hover> {
        if let Some(r) = self.name_at(offset) {
            let text = match &r.target {
                Target::Builtin(name) => {
                    let b = crate::eval::BUILTINS.iter().find(|b| b.name == *name)?;
                    Some(format!("```cairn\n{}\n```\n\n{}", b.signature, b.doc))
                }
                Target::BuiltinType(name) => {
                    Some(format!("```cairn\n{name}\n```\n\na builtin type"))
                }
                Target::Def { file, span, kind } => self.describe_def(*file, *span, *kind, r.span),
            };
            if let Some(markdown) = text {
                return Some(Hover {
                    span: r.span,
                    markdown,
                });
            }
        }
        if let Some((schema, field)) = self.field_at(offset) {
            let s = self.types.schema(&schema)?;
            let f = s.field(&field)?;
            let opt = if f.optional { "?" } else { "" };
            let mut md = format!(
                "```cairn\n{}{opt}: {}\n```\n\nfield of `{}`",
                f.name, f.ty_text, s.name
            );
            if let Some(d) = &f.doc {
                md.push_str("\n\n");
                md.push_str(d);
            }
            let span = match self.key_site(offset)? {
                KeySite::Object(_, keys) => keys.last()?.span,
                KeySite::Member(_, n) => n.span,
            };
            return Some(Hover { span, markdown: md });
        }
        // Any other expression: the innermost one whose type the checker inferred.
        let seen = self
            .probe
            .seen
            .iter()
            .filter(|s| s.inferred.is_some())
            .min_by_key(|s| s.span.len())?;
        let t = seen.inferred.as_ref()?;
        Some(Hover {
            span: seen.span,
            markdown: format!("```cairn\n{t}\n```"),
        })
    }

    /// The hover text of a definition, seen from a name at `at`.
    fn describe_def(
        &self,
        file: crate::source::FileId,
        span: Span,
        kind: DefKind,
        at: Span,
    ) -> Option<String> {
        let name = self.slice(file, span).to_string();
        let mut doc: Option<String> = None;
        let mut head = String::new();
        let item = self
            .program
            .module
            .items
            .iter()
            .find(|i| i.file == file && i.span.start <= span.start && span.end <= i.span.end);
        let inferred = |s: Span| {
            self.probe
                .inferred
                .iter()
                .find(|(f, sp, _)| *f == file && *sp == s)
                .map(|(_, _, t)| t.to_string())
        };
        let type_here = self
            .inferred_at(at)
            .map(|t| t.clone().widen_literals().to_string())
            .or_else(|| inferred(span));
        if let Some(item) = item {
            let own = super::resolve::item_name_span(item) == Some(span);
            if own {
                doc = item.doc.as_ref().map(|d| d.text.clone());
            }
            match (&item.kind, own) {
                (ItemKind::Let(d), true) => {
                    let t = d.ty.as_ref().map(type_text).or(type_here.clone());
                    head = format!(
                        "let {name}{}",
                        t.map(|t| format!(": {t}")).unwrap_or_default()
                    );
                }
                (ItemKind::Param(p), true) => {
                    let t =
                        p.ty.as_ref()
                            .map_or_else(|| "String".to_string(), type_text);
                    head = format!("param {name}: {t}");
                }
                (ItemKind::Fn(f), true) => head = fn_signature(f, inferred(span)).0,
                (ItemKind::Schema(s), true) => {
                    head = format!("schema {name}");
                    if let Some(first) = s.extends.first() {
                        head.push_str(&format!(" extends {}", first.text));
                    }
                }
                (ItemKind::Type(t), true) => head = format!("type {name} = {}", type_text(&t.ty)),
                (ItemKind::Resource(r), true) => head = format!("resource {name}: {}", r.ty.text),
                (ItemKind::Import(i), true) => {
                    head = match &i.target {
                        ImportTarget::Std(p) => format!(
                            "import {}",
                            p.iter().map(|s| &*s.name).collect::<Vec<_>>().join(".")
                        ),
                        ImportTarget::Path { path, .. } => format!("import {path:?}"),
                    };
                }
                _ => {}
            }
        }
        if head.is_empty() {
            let what = match kind {
                DefKind::FnParam => "parameter",
                DefKind::ForVar => "loop variable",
                DefKind::Field => "field",
                DefKind::Fn => "fn",
                _ => "let",
            };
            head = format!(
                "{what} {name}{}",
                type_here.map(|t| format!(": {t}")).unwrap_or_default()
            );
        }
        let mut md = format!("```cairn\n{head}\n```");
        if let Some(d) = doc {
            md.push_str("\n\n");
            md.push_str(&d);
        }
        Some(md)
    }

    /// The signature of the call around `offset`.
    pub fn signature_help(&self, offset: usize) -> Option<SignatureHelp> {
        let at = offset as u32;
        let mut call: Option<(&Expr, &[Expr])> = None;
        each_expr(self.own_items(), &mut |e| {
            if let ExprKind::Call { callee, args } = &e.kind
                && callee.span.end < at
                && at < e.span.end
            {
                call = Some((callee, args));
            }
        });
        let (callee, args) = call?;
        let active = args.iter().filter(|a| a.span.end < at).count();
        let name_span = match &callee.kind {
            ExprKind::Var(_) => callee.span,
            ExprKind::Field { name, .. } => name.span,
            _ => return None,
        };
        let r = self.names().into_iter().find(|r| r.span == name_span)?;
        match r.target {
            Target::Builtin(name) => {
                let b = crate::eval::BUILTINS.iter().find(|b| b.name == name)?;
                let inside = b
                    .signature
                    .split_once('(')
                    .and_then(|(_, rest)| rest.rsplit_once(')'))
                    .map_or("", |(p, _)| p);
                let params = split_params(inside);
                Some(SignatureHelp {
                    label: b.signature.to_string(),
                    active: active.min(params.len().saturating_sub(1)),
                    params,
                    doc: Some(b.doc.to_string()),
                })
            }
            Target::Def { file, span, .. } => {
                let item =
                    self.program.module.items.iter().find(|i| {
                        i.file == file && super::resolve::item_name_span(i) == Some(span)
                    })?;
                let ItemKind::Fn(f) = &item.kind else {
                    return None;
                };
                let (label, params) = fn_signature(f, None);
                let label = label.trim_start_matches("fn ").to_string();
                Some(SignatureHelp {
                    label,
                    active: active.min(params.len().saturating_sub(1)),
                    params,
                    doc: item.doc.as_ref().map(|d| d.text.clone()),
                })
            }
            Target::BuiltinType(_) => None,
        }
    }
}

/// Splits a builtin's parameter list at top-level commas.
fn split_params(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// `fn name(a: T, b) -> R` and the parameters' labels.
pub(crate) fn fn_signature(f: &FnDef, inferred_ret: Option<String>) -> (String, Vec<String>) {
    let params: Vec<String> = f
        .params
        .iter()
        .map(|p| match &p.ty {
            Some(t) => format!("{}: {}", p.name.name, type_text(t)),
            None => p.name.name.to_string(),
        })
        .collect();
    let name = f.name.as_ref().map_or("", |n| &*n.name);
    let ret = f.ret.as_ref().map(type_text).or(inferred_ret);
    let mut s = format!("fn {name}({})", params.join(", "));
    if let Some(r) = ret {
        s.push_str(&format!(" -> {r}"));
    }
    (s, params)
}
