//! Document and workspace symbols, inlay type hints, and formatting.

use std::path::PathBuf;

use super::{Analysis, Workspace};
use crate::syntax::ast::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SymbolKind {
    Variable,
    Constant,
    Function,
    Struct,
    TypeAlias,
    Field,
    Module,
    Object,
    Namespace,
}

/// A named thing in a document, with what it contains.
#[derive(Clone, Debug, PartialEq)]
pub struct Symbol {
    pub name: String,
    pub kind: SymbolKind,
    pub detail: Option<String>,
    /// The whole definition.
    pub span: Span,
    /// Its name.
    pub selection: Span,
    pub children: Vec<Symbol>,
}

/// A type shown after a binding written without one (`: Int`), or after the parameters of a
/// function without a result type (`-> String`).
#[derive(Clone, Debug, PartialEq)]
pub struct InlayHint {
    pub offset: usize,
    pub label: String,
}

fn symbol(name: &str, kind: SymbolKind, span: Span, selection: Span) -> Symbol {
    Symbol {
        name: name.to_string(),
        kind,
        detail: None,
        span,
        selection,
        children: Vec::new(),
    }
}

fn key_text(path: &[Key], text: &str) -> String {
    path.iter()
        .map(|k| match k.as_static() {
            Some(n) => n.to_string(),
            None => text.get(k.span.range()).unwrap_or("").to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The symbols of a list of items.
pub(crate) fn item_symbols(items: &[Item], text: &str) -> Vec<Symbol> {
    let mut out = Vec::new();
    for item in items {
        let s = match &item.kind {
            ItemKind::Import(i) => {
                let Some(alias) = crate::modules::import_alias(&i.target, i.alias.as_ref()) else {
                    continue;
                };
                let sel = super::resolve::import_name_span(i, item.span);
                symbol(&alias, SymbolKind::Module, item.span, sel)
            }
            ItemKind::Param(p) => {
                let mut s = symbol(&p.name.name, SymbolKind::Constant, item.span, p.name.span);
                s.detail = p.ty.as_ref().map(crate::types::type_text);
                s
            }
            ItemKind::Let(d) => {
                let mut s = symbol(&d.name.name, SymbolKind::Variable, item.span, d.name.span);
                s.detail = d.ty.as_ref().map(crate::types::type_text);
                s
            }
            ItemKind::Fn(f) => {
                let Some(n) = &f.name else { continue };
                let mut s = symbol(&n.name, SymbolKind::Function, item.span, n.span);
                s.detail = Some(super::hover::fn_signature(f, None).0);
                s
            }
            ItemKind::Type(t) => {
                let mut s = symbol(&t.name.name, SymbolKind::TypeAlias, item.span, t.name.span);
                s.detail = Some(crate::types::type_text(&t.ty));
                s
            }
            ItemKind::Schema(sc) => {
                let mut s = symbol(&sc.name.name, SymbolKind::Struct, item.span, sc.name.span);
                for m in &sc.members {
                    if let SchemaMember::Field(f) = m {
                        let mut c = symbol(
                            &key_text(std::slice::from_ref(&f.name), text),
                            SymbolKind::Field,
                            f.span,
                            f.name.span,
                        );
                        c.detail = Some(crate::types::type_text(&f.ty));
                        s.children.push(c);
                    }
                }
                s
            }
            ItemKind::Resource(r) => {
                let mut s = symbol(&r.name.name, SymbolKind::Object, item.span, r.name.span);
                s.detail = Some(r.ty.text.to_string());
                s
            }
            ItemKind::Field(f) => {
                let (Some(a), Some(b)) = (f.path.first(), f.path.last()) else {
                    continue;
                };
                symbol(
                    &key_text(&f.path, text),
                    SymbolKind::Field,
                    item.span,
                    a.span.to(b.span),
                )
            }
            ItemKind::For(f) => {
                let head = item_head(item);
                let mut s = symbol(
                    text.get(head.range()).unwrap_or("for"),
                    SymbolKind::Namespace,
                    item.span,
                    head,
                );
                s.children = item_symbols(&f.items, text);
                s
            }
            ItemKind::If(i) => {
                let head = item_head(item);
                let mut s = symbol(
                    text.get(head.range()).unwrap_or("if"),
                    SymbolKind::Namespace,
                    item.span,
                    head,
                );
                s.children = item_symbols(&i.then, text);
                if let Some(o) = &i.otherwise {
                    s.children.extend(item_symbols(o, text));
                }
                s
            }
            ItemKind::Spread(_) | ItemKind::Error => continue,
        };
        out.push(s);
    }
    out
}

impl Analysis {
    /// The symbols of the document, nested.
    pub fn symbols(&self) -> Vec<Symbol> {
        let items: Vec<Item> = self.own_items().cloned().collect();
        item_symbols(&items, self.text())
    }

    /// Inlay hints: the inferred types of `let`s and function results written without one.
    pub fn inlay_hints(&self) -> Vec<InlayHint> {
        let text = self.text();
        let mut out = Vec::new();
        let fns: Vec<Span> = self.fn_name_spans();
        for (file, span, t) in &self.probe.inferred {
            if *file != self.file || matches!(t, crate::types::Ty::Any) {
                continue;
            }
            if fns.contains(span) {
                if let Some(at) = after_params(text, span.end as usize) {
                    out.push(InlayHint {
                        offset: at,
                        label: format!(" -> {t}"),
                    });
                }
            } else if text
                .get(span.range())
                .is_some_and(crate::importers::is_ident)
            {
                out.push(InlayHint {
                    offset: span.end as usize,
                    label: format!(": {t}"),
                });
            }
        }
        out.sort_by_key(|h| h.offset);
        out.dedup_by_key(|h| h.offset);
        out
    }

    fn fn_name_spans(&self) -> Vec<Span> {
        let mut out = Vec::new();
        fn walk(items: &[Item], out: &mut Vec<Span>) {
            for i in items {
                match &i.kind {
                    ItemKind::Fn(f) => out.extend(f.name.as_ref().map(|n| n.span)),
                    ItemKind::For(f) => walk(&f.items, out),
                    ItemKind::If(x) => {
                        walk(&x.then, out);
                        walk(x.otherwise.as_deref().unwrap_or(&[]), out);
                    }
                    _ => {}
                }
            }
        }
        let items: Vec<Item> = self.own_items().cloned().collect();
        walk(&items, &mut out);
        super::hover::each_expr(self.own_items(), &mut |e| {
            if let ExprKind::Lambda(f) = &e.kind {
                out.push(f.span);
            }
        });
        out
    }

    /// The document formatted by `cairn fmt`, if it parses.
    pub fn format(&self) -> Option<String> {
        crate::fmt::format_source(self.file, self.text()).ok()
    }
}

/// The offset after the parameter list that starts after `from`.
fn after_params(text: &str, from: usize) -> Option<usize> {
    let rest = text.get(from..)?;
    let open = rest.find('(')?;
    if !rest[..open].trim().is_empty() {
        return None;
    }
    let mut depth = 0;
    for (i, c) in rest[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(from + open + i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

impl Workspace {
    /// Top-level definitions of every workspace file whose name contains `query` (ignoring
    /// case), by file and position.
    pub fn workspace_symbols(&self, query: &str) -> Vec<(PathBuf, Symbol)> {
        let q = query.to_lowercase();
        let mut out = Vec::new();
        for path in self.files() {
            let Some(text) = self.text(&path) else {
                continue;
            };
            let parsed = crate::syntax::parse(crate::source::FileId(0), &text);
            for s in item_symbols(&parsed.module.items, &text) {
                if s.name.to_lowercase().contains(&q) {
                    out.push((path.clone(), s));
                }
            }
        }
        out
    }
}
