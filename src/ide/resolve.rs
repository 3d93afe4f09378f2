//! Names: which definition each name written in a document refers to.
//!
//! A small scope walk over the document's items: top-level definitions of every module
//! (`let`, `param`, `fn`, `type`, `schema`, resources, import aliases), the locals a block,
//! function, `let` expression, comprehension or object introduces, members of imported modules
//! (`k8s.deployment`, `k8s.Deployment`), schema fields (inherited ones too) inside their
//! schema's checks and defaults, and the builtins. The type checker answers what a name's *type* is; this answers
//! *where* it is declared, which the checker does not keep. Definition, references, rename and
//! semantic tokens are built on it.

use rustc_hash::FxHashMap;

use super::{Analysis, FileKey};
use crate::modules::{UnitId, import_alias};
use crate::source::FileId;
use crate::syntax::ast::*;

/// A span in a file of the workspace or the standard library.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub file: FileKey,
    pub span: Span,
}

/// What kind of thing a name defines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DefKind {
    Let,
    Param,
    Fn,
    Type,
    Schema,
    Resource,
    Import,
    /// A function's parameter.
    FnParam,
    /// A `let` inside an expression, block or object.
    Local,
    /// A name a `for` binds.
    ForVar,
    /// A schema field (named in its schema's checks and defaults).
    Field,
}

/// What a name refers to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// A definition written in a file: where its name is.
    Def {
        file: FileId,
        span: Span,
        kind: DefKind,
    },
    /// A builtin function.
    Builtin(&'static str),
    /// A builtin type (`Int`, `String`).
    BuiltinType(Name),
}

/// A name in the document and what it refers to. Definitions refer to themselves.
#[derive(Clone, Debug)]
pub struct NameRef {
    pub span: Span,
    pub target: Target,
    /// Whether this is the definition itself.
    pub is_def: bool,
}

#[derive(Clone, Copy, Debug)]
struct GlobalDef {
    file: FileId,
    span: Span,
    kind: DefKind,
}

struct Walker<'a> {
    an: &'a Analysis,
    globals: FxHashMap<(UnitId, Name), GlobalDef>,
    unit: UnitId,
    /// Local names, innermost last.
    scope: Vec<(Name, FileId, Span, DefKind)>,
    out: Vec<NameRef>,
}

/// The top-level definitions of every module of the program, by unit and name.
fn globals(an: &Analysis) -> FxHashMap<(UnitId, Name), GlobalDef> {
    let mut out = FxHashMap::default();
    for item in &an.program.module.items {
        let unit = an.program.unit_of(item.file);
        let def = |ident: &Ident, kind| {
            (
                (unit, ident.name.clone()),
                GlobalDef {
                    file: item.file,
                    span: ident.span,
                    kind,
                },
            )
        };
        let entry = match &item.kind {
            ItemKind::Let(d) => Some(def(&d.name, DefKind::Let)),
            ItemKind::Param(p) => Some(def(&p.name, DefKind::Param)),
            ItemKind::Fn(f) => f.name.as_ref().map(|n| def(n, DefKind::Fn)),
            ItemKind::Type(t) => Some(def(&t.name, DefKind::Type)),
            ItemKind::Schema(s) => Some(def(&s.name, DefKind::Schema)),
            ItemKind::Resource(r) => Some(def(&r.name, DefKind::Resource)),
            ItemKind::Import(i) => import_alias(&i.target, i.alias.as_ref()).map(|name| {
                let span = import_name_span(i, item.span);
                (
                    (unit, name),
                    GlobalDef {
                        file: item.file,
                        span,
                        kind: DefKind::Import,
                    },
                )
            }),
            _ => None,
        };
        if let Some((k, v)) = entry {
            out.entry(k).or_insert(v);
        }
    }
    out
}

/// The span of the name an item defines, if it defines one.
pub(crate) fn item_name_span(item: &Item) -> Option<Span> {
    match &item.kind {
        ItemKind::Let(d) => Some(d.name.span),
        ItemKind::Param(p) => Some(p.name.span),
        ItemKind::Fn(f) => f.name.as_ref().map(|n| n.span),
        ItemKind::Type(t) => Some(t.name.span),
        ItemKind::Schema(s) => Some(s.name.span),
        ItemKind::Resource(r) => Some(r.name.span),
        ItemKind::Import(i) => Some(import_name_span(i, item.span)),
        _ => None,
    }
}

/// The span that names an import: its alias, or the last segment of a `std.` path, or the
/// path.
pub(crate) fn import_name_span(i: &Import, fallback: Span) -> Span {
    if let Some(a) = &i.alias {
        return a.span;
    }
    match &i.target {
        ImportTarget::Std(path) => path.last().map_or(fallback, |p| p.span),
        ImportTarget::Path { span, .. } => *span,
    }
}

impl Analysis {
    /// Every name in the document with what it refers to, in source order.
    pub(crate) fn names(&self) -> Vec<NameRef> {
        let mut w = Walker {
            an: self,
            globals: globals(self),
            unit: self.program.unit_of(self.file),
            scope: Vec::new(),
            out: Vec::new(),
        };
        for item in self.own_items() {
            w.item(item, false);
        }
        w.out.sort_by_key(|r| (r.span.start, r.span.end));
        w.out
    }

    /// The name at a byte offset (a cursor right after a name is on it).
    pub(crate) fn name_at(&self, offset: usize) -> Option<NameRef> {
        let offset = offset as u32;
        let names = self.names();
        names
            .iter()
            .find(|r| r.span.start <= offset && offset < r.span.end)
            .or_else(|| names.iter().find(|r| r.span.end == offset))
            .cloned()
    }

    /// Where a target is defined.
    pub(crate) fn target_location(&self, t: &Target) -> Option<super::Location> {
        match t {
            Target::Def { file, span, .. } => Some(Location {
                file: self.key(*file),
                span: *span,
            }),
            _ => None,
        }
    }

    /// The top-level definitions of a unit, sorted by name.
    pub(crate) fn unit_globals(&self, unit: UnitId) -> Vec<(Name, FileId, Span, DefKind)> {
        let mut out: Vec<(Name, FileId, Span, DefKind)> = globals(self)
            .into_iter()
            .filter(|((u, _), _)| *u == unit)
            .map(|((_, n), d)| (n, d.file, d.span, d.kind))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

impl Walker<'_> {
    fn record(&mut self, span: Span, target: Target, is_def: bool) {
        self.out.push(NameRef {
            span,
            target,
            is_def,
        });
    }

    fn define_global(&mut self, file: FileId, ident: &Ident, kind: DefKind) {
        let target = match self.globals.get(&(self.unit, ident.name.clone())) {
            Some(g) => Target::Def {
                file: g.file,
                span: g.span,
                kind: g.kind,
            },
            None => Target::Def {
                file,
                span: ident.span,
                kind,
            },
        };
        let is_def = matches!(&target, Target::Def { span, .. } if *span == ident.span);
        self.record(ident.span, target, is_def);
    }

    fn bind(&mut self, file: FileId, ident: &Ident, kind: DefKind) {
        self.scope
            .push((ident.name.clone(), file, ident.span, kind));
        self.record(
            ident.span,
            Target::Def {
                file,
                span: ident.span,
                kind,
            },
            true,
        );
    }

    fn lookup(&self, name: &str) -> Option<Target> {
        if let Some((_, file, span, kind)) = self.scope.iter().rev().find(|(n, ..)| &**n == name) {
            return Some(Target::Def {
                file: *file,
                span: *span,
                kind: *kind,
            });
        }
        if let Some(g) = self.globals.get(&(self.unit, Name::from(name))) {
            return Some(Target::Def {
                file: g.file,
                span: g.span,
                kind: g.kind,
            });
        }
        crate::eval::BUILTINS
            .iter()
            .find(|b| b.name == name)
            .map(|b| Target::Builtin(b.name))
    }

    fn item(&mut self, item: &Item, nested: bool) {
        let file = item.file;
        match &item.kind {
            ItemKind::Import(i) => {
                if import_alias(&i.target, i.alias.as_ref()).is_some() {
                    let span = import_name_span(i, item.span);
                    if let Some(g) = self
                        .globals
                        .values()
                        .find(|g| g.span == span && g.file == file)
                    {
                        let t = Target::Def {
                            file: g.file,
                            span: g.span,
                            kind: g.kind,
                        };
                        self.record(span, t, true);
                    }
                }
            }
            ItemKind::Param(p) => {
                self.define_global(file, &p.name, DefKind::Param);
                if let Some(t) = &p.ty {
                    self.ty(file, t);
                }
                if let Some(d) = &p.default {
                    self.expr(file, d);
                }
            }
            ItemKind::Let(d) => {
                if let Some(t) = &d.ty {
                    self.ty(file, t);
                }
                self.expr(file, &d.value);
                if nested {
                    self.bind(file, &d.name, DefKind::Local);
                } else {
                    self.define_global(file, &d.name, DefKind::Let);
                }
            }
            ItemKind::Fn(f) => {
                if let Some(n) = &f.name {
                    if nested {
                        self.bind(file, n, DefKind::Fn);
                    } else {
                        self.define_global(file, n, DefKind::Fn);
                    }
                }
                self.fn_def(f);
            }
            ItemKind::Type(t) => {
                self.define_global(file, &t.name, DefKind::Type);
                self.ty(file, &t.ty);
            }
            ItemKind::Schema(s) => {
                self.define_global(file, &s.name, DefKind::Schema);
                for e in &s.extends {
                    self.type_path(file, e);
                }
                let mark = self.scope.len();
                // Inherited fields are named in checks and defaults too (its own, bound after
                // them, come first).
                if !s.extends.is_empty()
                    && let Some(resolved) = self
                        .an
                        .types
                        .schemas
                        .values()
                        .find(|t| t.file == file && t.span == s.name.span)
                {
                    for f in &resolved.fields {
                        self.scope
                            .push((f.name.clone(), f.file, f.span, DefKind::Field));
                    }
                }
                for m in &s.members {
                    if let SchemaMember::Field(f) = m
                        && let Some(n) = f.name.as_static()
                    {
                        let ident = Ident {
                            name: n.clone(),
                            span: f.name.span,
                        };
                        self.bind(file, &ident, DefKind::Field);
                    }
                }
                for m in &s.members {
                    match m {
                        SchemaMember::Field(f) => {
                            self.ty(file, &f.ty);
                            if let Some(d) = &f.default {
                                self.expr(file, d);
                            }
                        }
                        SchemaMember::Check(c) => {
                            self.expr(file, &c.cond);
                            if let Some(m) = &c.message {
                                self.expr(file, m);
                            }
                        }
                    }
                }
                self.scope.truncate(mark);
            }
            ItemKind::Resource(r) => {
                self.define_global(file, &r.name, DefKind::Resource);
                if let Some(k) = &r.key {
                    self.expr(file, k);
                }
                self.type_path(file, &r.ty);
                for (_, e) in &r.options {
                    self.expr(file, e);
                }
                self.expr(file, &r.body);
            }
            ItemKind::For(f) => {
                self.expr(file, &f.iter);
                let mark = self.scope.len();
                self.pattern(file, &f.pattern);
                if let Some(c) = &f.filter {
                    self.expr(file, c);
                }
                self.items(&f.items);
                self.scope.truncate(mark);
            }
            ItemKind::If(i) => {
                self.expr(file, &i.cond);
                self.items(&i.then);
                if let Some(o) = &i.otherwise {
                    self.items(o);
                }
            }
            ItemKind::Field(f) => {
                self.keys(file, &f.path);
                self.expr(file, &f.value);
            }
            ItemKind::Spread(e) => self.expr(file, e),
            ItemKind::Error => {}
        }
    }

    /// The items of a block: its `let`s and functions are visible to the whole block.
    fn items(&mut self, items: &[Item]) {
        let mark = self.scope.len();
        for i in items {
            self.item(i, true);
        }
        self.scope.truncate(mark);
    }

    fn pattern(&mut self, file: FileId, p: &ForPattern) {
        self.bind(file, &p.first, DefKind::ForVar);
        if let Some(s) = &p.second {
            self.bind(file, s, DefKind::ForVar);
        }
    }

    fn fn_def(&mut self, f: &FnDef) {
        let file = f.file;
        let mark = self.scope.len();
        for p in &f.params {
            if let Some(t) = &p.ty {
                self.ty(file, t);
            }
            self.bind(file, &p.name, DefKind::FnParam);
        }
        if let Some(r) = &f.ret {
            self.ty(file, r);
        }
        self.expr(file, &f.body);
        self.scope.truncate(mark);
    }

    fn keys(&mut self, file: FileId, path: &[Key]) {
        for k in path {
            if let KeyKind::Computed(e) = &k.kind {
                self.expr(file, e);
            }
        }
    }

    fn ty(&mut self, file: FileId, t: &TypeExpr) {
        match &t.kind {
            TypeKind::Named { path, args } => {
                self.type_path(file, path);
                for a in args {
                    if let TypeArgValue::Expr(e) = &a.value {
                        self.expr(file, e);
                    }
                }
            }
            TypeKind::List(inner, args) => {
                self.ty(file, inner);
                for a in args {
                    if let TypeArgValue::Expr(e) = &a.value {
                        self.expr(file, e);
                    }
                }
            }
            TypeKind::Map(k, v) => {
                self.ty(file, k);
                self.ty(file, v);
            }
            TypeKind::Fn(params, ret) => {
                for p in params {
                    self.ty(file, p);
                }
                self.ty(file, ret);
            }
            TypeKind::Optional(inner) => self.ty(file, inner),
            TypeKind::Union(members) => {
                for m in members {
                    self.ty(file, m);
                }
            }
            TypeKind::Literal(_) => {}
        }
    }

    fn type_path(&mut self, _file: FileId, path: &TypePath) {
        match path.segments.as_slice() {
            [one] => {
                if let Some(g) = self.globals.get(&(self.unit, one.name.clone())).copied() {
                    self.record(
                        one.span,
                        Target::Def {
                            file: g.file,
                            span: g.span,
                            kind: g.kind,
                        },
                        false,
                    );
                } else if crate::types::BUILTIN_TYPES.contains(&&*one.name) {
                    self.record(one.span, Target::BuiltinType(one.name.clone()), false);
                }
            }
            [first, rest @ ..] => {
                let Some(g) = self.globals.get(&(self.unit, first.name.clone())).copied() else {
                    return;
                };
                self.record(
                    first.span,
                    Target::Def {
                        file: g.file,
                        span: g.span,
                        kind: g.kind,
                    },
                    false,
                );
                if let [member] = rest
                    && let Some(target) = self.an.program.import(self.unit, &first.name)
                    && let Some(m) = self.globals.get(&(target, member.name.clone())).copied()
                {
                    self.record(
                        member.span,
                        Target::Def {
                            file: m.file,
                            span: m.span,
                            kind: m.kind,
                        },
                        false,
                    );
                }
            }
            [] => {}
        }
    }

    fn expr(&mut self, file: FileId, e: &Expr) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.expr_inner(file, e));
    }

    fn expr_inner(&mut self, file: FileId, e: &Expr) {
        match &e.kind {
            ExprKind::Var(name) => {
                if let Some(t) = self.lookup(name) {
                    self.record(e.span, t, false);
                }
            }
            ExprKind::Field { target, name, .. } => {
                self.expr(file, target);
                if let ExprKind::Var(alias) = &target.kind
                    && !self.scope.iter().any(|(n, ..)| n == alias)
                    && let Some(unit) = self.an.program.import(self.unit, alias)
                    && let Some(m) = self.globals.get(&(unit, name.name.clone())).copied()
                {
                    self.record(
                        name.span,
                        Target::Def {
                            file: m.file,
                            span: m.span,
                            kind: m.kind,
                        },
                        false,
                    );
                }
            }
            ExprKind::Let { decl, body } => {
                if let Some(t) = &decl.ty {
                    self.ty(file, t);
                }
                self.expr(file, &decl.value);
                let mark = self.scope.len();
                self.bind(file, &decl.name, DefKind::Local);
                self.expr(file, body);
                self.scope.truncate(mark);
            }
            ExprKind::Lambda(f) => self.fn_def(f),
            ExprKind::Object { entries, .. } => {
                let mark = self.scope.len();
                self.entries(file, entries);
                self.scope.truncate(mark);
            }
            ExprKind::List(elements) => {
                for el in elements {
                    self.element(file, el);
                }
            }
            _ => for_each_child(e, &mut |c| self.expr(file, c)),
        }
    }

    fn element(&mut self, file: FileId, el: &Element) {
        match &el.kind {
            ElementKind::Expr(e) | ElementKind::Spread(e) => self.expr(file, e),
            ElementKind::For {
                pattern,
                iter,
                filter,
                body,
            } => {
                self.expr(file, iter);
                let mark = self.scope.len();
                self.pattern(file, pattern);
                if let Some(c) = filter {
                    self.expr(file, c);
                }
                self.element(file, body);
                self.scope.truncate(mark);
            }
            ElementKind::If { cond, body } => {
                self.expr(file, cond);
                self.element(file, body);
            }
        }
    }

    /// Entries of an object: a `let` entry is visible to the entries after it.
    fn entries(&mut self, file: FileId, entries: &[Entry]) {
        for en in entries {
            match &en.kind {
                EntryKind::Field(f) => {
                    self.keys(file, &f.path);
                    self.expr(file, &f.value);
                }
                EntryKind::Spread(e) => self.expr(file, e),
                EntryKind::Let(d) => {
                    if let Some(t) = &d.ty {
                        self.ty(file, t);
                    }
                    self.expr(file, &d.value);
                    self.bind(file, &d.name, DefKind::Local);
                }
                EntryKind::For {
                    pattern,
                    iter,
                    filter,
                    entries: inner,
                } => {
                    self.expr(file, iter);
                    let mark = self.scope.len();
                    self.pattern(file, pattern);
                    if let Some(c) = filter {
                        self.expr(file, c);
                    }
                    self.entries(file, inner);
                    self.scope.truncate(mark);
                }
                EntryKind::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    self.expr(file, cond);
                    let mark = self.scope.len();
                    self.entries(file, then);
                    self.scope.truncate(mark);
                    if let Some(o) = otherwise {
                        self.entries(file, o);
                        self.scope.truncate(mark);
                    }
                }
            }
        }
    }
}

impl Analysis {
    /// Where the name at `offset` is defined: a local or global, a member of an imported
    /// module, a schema field (an object key or a field access), or the module an import
    /// path names.
    pub fn definition(&self, offset: usize) -> Option<Location> {
        if let Some(r) = self.name_at(offset)
            && let Some(l) = self.target_location(&r.target)
        {
            return Some(l);
        }
        if let Some((_, decl)) = self.field_use_at(offset) {
            return Some(decl);
        }
        if let Some((schema, field)) = self.field_at(offset) {
            let s = self.types.schema(&schema)?;
            let f = s.field(&field)?;
            return Some(Location {
                file: self.key(f.file),
                span: f.span,
            });
        }
        self.import_target_at(offset)
    }

    /// The module an import at `offset` loads: the start of its first file.
    fn import_target_at(&self, offset: usize) -> Option<Location> {
        let offset = offset as u32;
        let item = self
            .own_items()
            .find(|i| i.span.start <= offset && offset <= i.span.end)?;
        let ItemKind::Import(imp) = &item.kind else {
            return None;
        };
        let alias = import_alias(&imp.target, imp.alias.as_ref())?;
        let unit = self
            .program
            .import(self.program.unit_of(self.file), &alias)?;
        let file = *self.program.units.get(unit)?.files.first()?;
        Some(Location {
            file: self.key(file),
            span: Span::default(),
        })
    }

    /// Every use in this document of what is declared at `target` (with the declaration when
    /// it is here too): names, and for a schema field the keys and member names that name it.
    pub fn references_here(&self, target: &Location) -> Vec<Span> {
        let mut out: Vec<Span> = self
            .names()
            .iter()
            .filter(|r| self.target_location(&r.target).as_ref() == Some(target))
            .map(|r| r.span)
            .collect();
        out.extend(
            self.field_uses()
                .into_iter()
                .filter(|(_, decl)| decl == target)
                .map(|(span, _)| span),
        );
        out.sort_by_key(|s| (s.start, s.end));
        out.dedup();
        out
    }
}
