//! `unused-binding`: a `let` whose name is never used.
//!
//! This file also holds the name analysis that `unused-import`, `unused-param`,
//! `unused-function` and `shadowed-name` share ([`analyze`]): which definition each name of the
//! entry module refers to (with the evaluator's scoping), which definitions are live, and which
//! local names shadow another binding.

use rustc_hash::FxHashMap;

use crate::lint::{Context, Finding, Fix, Group, Level, Rule, RuleInfo};
use crate::modules::{Program, UnitId};
use crate::source::FileId;
use crate::syntax::ast::*;

pub static INFO: RuleInfo = RuleInfo {
    code: "L0001",
    name: "unused-binding",
    group: Group::Correctness,
    level: Level::Warn,
    summary: "A `let` binds a name that nothing uses.",
    why: "An unused `let` is dead code: its value is computed (and its errors reported) but never reaches the output, and a reader has to work out that it does not matter. Often it is a typo or a refactoring leftover, and the value that was meant to be used is not. A `let` used only by other unused definitions is unused too. The entry module is never imported, so its top-level `let`s count; a module that declares definitions only (no fields, resources or blocks) is a library, and its top-level `let`s are not reported. `--fix` removes unused `let` items that have no type annotation (a typed `let` may be there to check a value).",
    example: "let port = 8080\nlet host = \"web.internal\"\nurl: \"http://${host}\"",
    instead: "let port = 8080\nlet host = \"web.internal\"\nurl: \"http://${host}:${port}\"",
    fixable: true,
};

pub struct UnusedBinding;
pub static RULE: UnusedBinding = UnusedBinding;

impl Rule for UnusedBinding {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let names = analyze(cx);
        for (d, user) in names.unused() {
            let def = &names.defs[d];
            if !matches!(def.kind, DefKind::Let | DefKind::LocalLet) {
                continue;
            }
            let message = match user {
                Some(u) => format!(
                    "`{}` is only used by `{}`, which is never used",
                    def.name, names.defs[u].name
                ),
                None => format!("`{}` is never used", def.name),
            };
            let help = if def.typed {
                "remove it, or use it where it was meant to be used; if it is there to check a \
                 value against its type, say so with `// cairn:allow(unused-binding): reason`"
            } else {
                "remove it, or use it where it was meant to be used; to keep it on purpose, add \
                 `// cairn:allow(unused-binding): reason`"
            };
            let mut f = Finding::new(def.file, def.span, message, help);
            if let Some(u) = user {
                f.also.push((
                    names.defs[u].file,
                    names.defs[u].span,
                    "used only here, and this is unused".into(),
                ));
            }
            // A typed `let` may be there to check a value: removing it could hide an error.
            if !def.typed {
                f.fix = def.item.and_then(|item| remove_item(cx, item));
            }
            out.push(f);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The name analysis shared by the unused-* rules and `shadowed-name`.

/// What a definition is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum DefKind {
    /// A top-level `let`.
    Let,
    Param,
    /// A top-level `fn`.
    Fn,
    Import,
    Resource,
    /// A `let` in a `for` or `if` block, an object or a `let ... in`.
    LocalLet,
    /// A named `fn` in a top-level `for` or `if` block.
    LocalFn,
    FnParam,
    LambdaParam,
    ForVar,
    /// A field of a schema, as its defaults and checks see it.
    SchemaField,
}

impl DefKind {
    /// How messages name it: "the `param` of the same name".
    pub(super) fn describe(self) -> &'static str {
        match self {
            DefKind::Let => "top-level `let`",
            DefKind::Param => "`param`",
            DefKind::Fn => "function",
            DefKind::Import => "import",
            DefKind::Resource => "resource",
            DefKind::LocalLet => "`let`",
            DefKind::LocalFn => "local function",
            DefKind::FnParam => "function parameter",
            DefKind::LambdaParam => "lambda parameter",
            DefKind::ForVar => "`for` variable",
            DefKind::SchemaField => "schema field",
        }
    }

    /// A name of the module (order does not matter for it).
    fn global(self) -> bool {
        matches!(
            self,
            DefKind::Let | DefKind::Param | DefKind::Fn | DefKind::Import | DefKind::Resource
        )
    }

    /// A definition whose uses of other names count only when it is used itself.
    fn owner(self) -> bool {
        matches!(
            self,
            DefKind::Let | DefKind::Param | DefKind::Fn | DefKind::LocalLet | DefKind::LocalFn
        )
    }
}

/// A name bound somewhere in the entry module.
pub(super) struct Def<'a> {
    pub name: Name,
    /// The name where it is bound.
    pub span: Span,
    pub file: FileId,
    pub kind: DefKind,
    /// The `let`, `fn` or `import` item that declares it (to remove it).
    pub item: Option<&'a Item>,
    /// A `let` with a type annotation.
    pub typed: bool,
    /// The definition whose body it is bound in, if any.
    parent: Option<usize>,
}

/// The names of the entry module and their uses.
pub(super) struct Names<'a> {
    pub defs: Vec<Def<'a>>,
    /// Every use of a name: (the definition it names, the definition whose body holds the use).
    refs: Vec<(usize, Option<usize>)>,
    live: Vec<bool>,
    /// Local names that shadow another binding: (the local, the binding it hides).
    pub shadows: Vec<(usize, usize)>,
}

impl Names<'_> {
    /// The definitions that are not used (directly or through used definitions) and are not
    /// inside an unused definition, each with another unused definition that uses it, if any.
    /// Schema fields and the parameters and `for` variables are not included.
    pub(super) fn unused(&self) -> Vec<(usize, Option<usize>)> {
        let mut out = Vec::new();
        for (i, d) in self.defs.iter().enumerate() {
            if self.live[i]
                || !matches!(
                    d.kind,
                    DefKind::Let
                        | DefKind::Param
                        | DefKind::Fn
                        | DefKind::Import
                        | DefKind::LocalLet
                        | DefKind::LocalFn
                )
                || d.parent.is_some_and(|p| !self.live[p])
            {
                continue;
            }
            let user = self
                .refs
                .iter()
                .find_map(|&(t, o)| o.filter(|&o| t == i && o != i));
            out.push((i, user));
        }
        out
    }

    /// Whether a definition uses itself (a recursive function).
    pub(super) fn uses_itself(&self, d: usize) -> bool {
        self.refs.iter().any(|&(t, o)| t == d && o == Some(d))
    }
}

/// Analyzes the names of the entry module.
pub(super) fn analyze<'a>(cx: &'a Context<'_>) -> Names<'a> {
    let program: &'a Program = cx.program;
    let items: Vec<&'a Item> = program
        .module
        .items
        .iter()
        .filter(|i| program.unit_of(i.file) == 0)
        .collect();
    let mut w = Walker {
        program,
        defs: Vec::new(),
        globals: FxHashMap::default(),
        scope: Vec::new(),
        owner: None,
        refs: Vec::new(),
        shadows: Vec::new(),
        file: program.module.file,
    };
    w.top_items(&items);
    // A module without output is a library checked on its own: its definitions are its
    // exports. After a syntax error, uses in the broken items are unknown.
    let has_output = items.iter().any(|i| {
        matches!(
            i.kind,
            ItemKind::Field(_)
                | ItemKind::Spread(_)
                | ItemKind::Resource(_)
                | ItemKind::For(_)
                | ItemKind::If(_)
        )
    });
    let all_live = !has_output || items.iter().any(|i| broken(i));
    let mut live = vec![false; w.defs.len()];
    let mut stack = Vec::new();
    for (i, d) in w.defs.iter().enumerate() {
        if all_live && d.kind.global() {
            live[i] = true;
            stack.push(i);
        }
    }
    for &(t, o) in &w.refs {
        if o.is_none() && !live[t] {
            live[t] = true;
            stack.push(t);
        }
    }
    let mut uses: FxHashMap<usize, Vec<usize>> = FxHashMap::default();
    for &(t, o) in &w.refs {
        if let Some(o) = o {
            uses.entry(o).or_default().push(t);
        }
    }
    while let Some(d) = stack.pop() {
        for &t in uses.get(&d).into_iter().flatten() {
            if !live[t] {
                live[t] = true;
                stack.push(t);
            }
        }
    }
    Names {
        defs: w.defs,
        refs: w.refs,
        live,
        shadows: w.shadows,
    }
}

/// Whether an item (or one inside it) did not parse.
fn broken(item: &Item) -> bool {
    match &item.kind {
        ItemKind::Error => true,
        ItemKind::For(f) => f.items.iter().any(broken),
        ItemKind::If(i) => i
            .then
            .iter()
            .chain(i.otherwise.iter().flatten())
            .any(broken),
        _ => false,
    }
}

/// A fix removing an item: its lines, with its doc comment, when nothing else is on them.
pub(super) fn remove_item(cx: &Context<'_>, item: &Item) -> Option<Fix> {
    let text = cx.sources.text(item.file);
    let mut start = item.span.start as usize;
    if let Some(doc) = &item.doc {
        start = start.min(doc.span.start as usize);
    }
    let end = item.span.end as usize;
    let line_start = text.get(..start)?.rfind('\n').map_or(0, |i| i + 1);
    if !text.get(line_start..start)?.trim().is_empty() {
        return None;
    }
    let rest = text.get(end..)?;
    let line_end = rest.find('\n').map_or(text.len(), |i| end + i + 1);
    let tail = text.get(end..line_end)?.trim();
    let tail = tail.strip_prefix(',').unwrap_or(tail).trim_start();
    // What follows on the line may only be a comment (not a doc comment of the next item).
    let ok = tail.is_empty() || (tail.starts_with("//") && !tail.starts_with("///"));
    if !ok || tail.contains("/*") {
        return None;
    }
    // A `cairn:allow` on these lines or the one before keeps the item: `lint::fixes` does not
    // apply suppressions, and a kept item must not be removed by `--fix`.
    let before = text.get(..line_start.saturating_sub(1))?;
    let previous = before.rfind('\n').map_or(before, |i| &before[i + 1..]);
    if previous.contains("cairn:allow(") || text.get(line_start..line_end)?.contains("cairn:allow(")
    {
        return None;
    }
    Some(Fix {
        file: item.file,
        span: Span::new(line_start, line_end),
        replacement: String::new(),
    })
}

struct Walker<'a> {
    program: &'a Program,
    defs: Vec<Def<'a>>,
    /// The module's names: `let`, `param`, `fn`, imports and resource ids.
    globals: FxHashMap<Name, usize>,
    /// The local names in scope, innermost last.
    scope: Vec<usize>,
    /// The definition whose body is being walked.
    owner: Option<usize>,
    refs: Vec<(usize, Option<usize>)>,
    shadows: Vec<(usize, usize)>,
    file: FileId,
}

impl<'a> Walker<'a> {
    fn define(
        &mut self,
        name: &Ident,
        kind: DefKind,
        item: Option<&'a Item>,
        typed: bool,
    ) -> usize {
        self.defs.push(Def {
            name: name.name.clone(),
            span: name.span,
            file: self.file,
            kind,
            item,
            typed,
            parent: self.owner,
        });
        self.defs.len() - 1
    }

    fn define_global(&mut self, name: &Ident, kind: DefKind, item: Option<&'a Item>, typed: bool) {
        let id = self.define(name, kind, item, typed);
        self.globals.entry(name.name.clone()).or_insert(id);
    }

    /// Brings a local into scope, noting what it shadows.
    fn bind(&mut self, id: usize) {
        let def = &self.defs[id];
        if def.kind != DefKind::SchemaField && &*def.name != "_" {
            let outer = self
                .scope
                .iter()
                .rev()
                .find(|&&i| self.defs[i].name == def.name)
                .copied();
            match outer {
                Some(o) if self.defs[o].kind != DefKind::SchemaField => self.shadows.push((id, o)),
                Some(_) => {}
                None => {
                    if let Some(&g) = self.globals.get(&def.name) {
                        self.shadows.push((id, g));
                    }
                }
            }
        }
        self.scope.push(id);
    }

    fn resolve(&mut self, name: &str) {
        let target = self
            .scope
            .iter()
            .rev()
            .find(|&&i| &*self.defs[i].name == name)
            .or_else(|| self.globals.get(name))
            .copied();
        if let Some(t) = target {
            self.refs.push((t, self.owner));
        }
    }

    fn top_items(&mut self, items: &[&'a Item]) {
        let mut own: Vec<Option<usize>> = Vec::with_capacity(items.len());
        for &item in items {
            self.file = item.file;
            let before = self.defs.len();
            match &item.kind {
                ItemKind::Let(d) => {
                    self.define_global(&d.name, DefKind::Let, Some(item), d.ty.is_some())
                }
                ItemKind::Param(p) => self.define_global(&p.name, DefKind::Param, None, false),
                ItemKind::Fn(f) => {
                    if let Some(n) = &f.name {
                        self.define_global(n, DefKind::Fn, Some(item), false);
                    }
                }
                ItemKind::Import(i) => {
                    if let Some(alias) = crate::modules::import_alias(&i.target, i.alias.as_ref()) {
                        let span = match (&i.alias, &i.target) {
                            (Some(a), _) => a.span,
                            (None, ImportTarget::Path { span, .. }) => *span,
                            (None, ImportTarget::Std(p)) => p.last().map_or(item.span, |i| i.span),
                        };
                        let ident = Ident { name: alias, span };
                        self.define_global(&ident, DefKind::Import, Some(item), false);
                    }
                }
                ItemKind::Resource(_) | ItemKind::For(_) | ItemKind::If(_) => {
                    let mut found = Vec::new();
                    resources(item, &mut found);
                    for r in found {
                        self.define_global(r, DefKind::Resource, None, false);
                    }
                }
                _ => {}
            }
            own.push(
                (self.defs.len() > before && self.defs[before].kind.owner()).then_some(before),
            );
        }
        for (&item, own) in items.iter().zip(own) {
            self.file = item.file;
            self.owner = own;
            match &item.kind {
                ItemKind::Let(d) => {
                    self.ty(d.ty.as_ref());
                    self.expr(&d.value);
                }
                ItemKind::Param(p) => {
                    self.ty(p.ty.as_ref());
                    if let Some(e) = &p.default {
                        self.expr(e);
                    }
                }
                ItemKind::Fn(f) => self.func(f, DefKind::FnParam),
                ItemKind::Import(_) | ItemKind::Error => {}
                _ => self.item(item),
            }
            self.owner = None;
        }
    }

    /// An item in a block (or a top-level item that is not a definition).
    fn item(&mut self, item: &'a Item) {
        match &item.kind {
            ItemKind::Let(d) => {
                let id = self.define(&d.name, DefKind::LocalLet, Some(item), d.ty.is_some());
                let saved = self.owner.replace(id);
                self.ty(d.ty.as_ref());
                self.expr(&d.value);
                self.owner = saved;
                self.bind(id);
            }
            ItemKind::Fn(f) => {
                // A local function sees itself, so it can recurse.
                let saved = self.owner;
                if let Some(n) = &f.name {
                    let id = self.define(n, DefKind::LocalFn, Some(item), false);
                    self.bind(id);
                    self.owner = Some(id);
                }
                self.func(f, DefKind::FnParam);
                self.owner = saved;
            }
            ItemKind::Resource(r) => {
                self.type_path(&r.ty);
                if let Some(k) = &r.key {
                    self.expr(k);
                }
                for (_, e) in &r.options {
                    self.expr(e);
                }
                self.expr(&r.body);
            }
            ItemKind::For(x) => {
                self.expr(&x.iter);
                let mark = self.scope.len();
                self.pattern(&x.pattern);
                if let Some(c) = &x.filter {
                    self.expr(c);
                }
                self.items(&x.items);
                self.scope.truncate(mark);
            }
            ItemKind::If(x) => {
                self.expr(&x.cond);
                self.items(&x.then);
                if let Some(o) = &x.otherwise {
                    self.items(o);
                }
            }
            ItemKind::Field(f) => self.field(f),
            ItemKind::Spread(e) => self.expr(e),
            // Only allowed at the top level (an error in a block): their uses still count.
            ItemKind::Param(p) => {
                self.ty(p.ty.as_ref());
                if let Some(e) = &p.default {
                    self.expr(e);
                }
            }
            ItemKind::Type(t) => self.ty(Some(&t.ty)),
            ItemKind::Schema(s) => self.schema(s),
            ItemKind::Import(_) | ItemKind::Error => {}
        }
    }

    /// The items of a block: each `let` and `fn` is seen by the items after it.
    fn items(&mut self, items: &'a [Item]) {
        let mark = self.scope.len();
        for i in items {
            self.item(i);
        }
        self.scope.truncate(mark);
    }

    fn func(&mut self, f: &'a FnDef, kind: DefKind) {
        for p in &f.params {
            self.ty(p.ty.as_ref());
        }
        self.ty(f.ret.as_ref());
        let mark = self.scope.len();
        for p in &f.params {
            let id = self.define(&p.name, kind, None, false);
            self.bind(id);
        }
        self.expr(&f.body);
        self.scope.truncate(mark);
    }

    fn pattern(&mut self, p: &ForPattern) {
        for name in std::iter::once(&p.first).chain(p.second.as_ref()) {
            let id = self.define(name, DefKind::ForVar, None, false);
            self.bind(id);
        }
    }

    fn field(&mut self, f: &'a Field) {
        for k in &f.path {
            if let KeyKind::Computed(e) = &k.kind {
                self.expr(e);
            }
        }
        self.expr(&f.value);
    }

    fn schema(&mut self, s: &'a Schema) {
        for p in &s.extends {
            self.type_path(p);
        }
        // Defaults and checks see every field (inherited ones too) by name.
        let unit = self.program.unit_of(self.file);
        let mut fields = Vec::new();
        schema_fields(self.program, unit, s, 0, &mut fields);
        let mark = self.scope.len();
        for name in fields {
            let ident = Ident {
                name,
                span: s.name.span,
            };
            let id = self.define(&ident, DefKind::SchemaField, None, false);
            self.scope.push(id);
        }
        for m in &s.members {
            match m {
                SchemaMember::Field(f) => {
                    self.ty(Some(&f.ty));
                    if let Some(d) = &f.default {
                        self.expr(d);
                    }
                }
                SchemaMember::Check(c) => {
                    self.expr(&c.cond);
                    if let Some(m) = &c.message {
                        self.expr(m);
                    }
                }
            }
        }
        self.scope.truncate(mark);
    }

    fn ty(&mut self, t: Option<&'a TypeExpr>) {
        let Some(t) = t else { return };
        match &t.kind {
            TypeKind::Named { path, args } => {
                self.type_path(path);
                self.type_args(args);
            }
            TypeKind::List(inner, args) => {
                self.ty(Some(&**inner));
                self.type_args(args);
            }
            TypeKind::Map(k, v) => {
                self.ty(Some(&**k));
                self.ty(Some(&**v));
            }
            TypeKind::Fn(params, ret) => {
                for p in params {
                    self.ty(Some(p));
                }
                self.ty(Some(&**ret));
            }
            TypeKind::Optional(inner) => self.ty(Some(&**inner)),
            TypeKind::Union(ts) => {
                for x in ts {
                    self.ty(Some(x));
                }
            }
            TypeKind::Literal(_) => {}
        }
    }

    fn type_args(&mut self, args: &'a [TypeArg]) {
        for a in args {
            if let TypeArgValue::Expr(e) = &a.value {
                self.expr(e);
            }
        }
    }

    /// `alias.Name` in a type uses the import `alias` (local names do not hide modules there).
    fn type_path(&mut self, p: &TypePath) {
        if p.segments.len() < 2 {
            return;
        }
        if let Some(first) = p.segments.first()
            && let Some(&g) = self.globals.get(&first.name)
            && self.defs[g].kind == DefKind::Import
        {
            self.refs.push((g, self.owner));
        }
    }

    fn expr(&mut self, e: &'a Expr) {
        stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || self.expr_inner(e))
    }

    fn expr_inner(&mut self, e: &'a Expr) {
        match &e.kind {
            ExprKind::Lit(_) => {}
            ExprKind::Var(name) => self.resolve(name),
            ExprKind::Interp(parts) => {
                for p in parts {
                    if let StrPart::Expr(x) = p {
                        self.expr(x);
                    }
                }
            }
            ExprKind::List(els) => {
                for el in els {
                    self.element(el);
                }
            }
            ExprKind::Object { entries, .. } => self.entries(entries),
            ExprKind::Field { target, .. } => self.expr(target),
            ExprKind::Index { target, index } => {
                self.expr(target);
                self.expr(index);
            }
            ExprKind::Call { callee, args } => {
                self.expr(callee);
                for a in args {
                    self.expr(a);
                }
            }
            ExprKind::Unary { operand, .. } => self.expr(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                self.expr(cond);
                self.expr(then);
                self.expr(otherwise);
            }
            ExprKind::Let { decl, body } => {
                let id = self.define(&decl.name, DefKind::LocalLet, None, decl.ty.is_some());
                let saved = self.owner.replace(id);
                self.ty(decl.ty.as_ref());
                self.expr(&decl.value);
                self.owner = saved;
                let mark = self.scope.len();
                self.bind(id);
                self.expr(body);
                self.scope.truncate(mark);
            }
            ExprKind::Lambda(def) => self.func(def, DefKind::LambdaParam),
            ExprKind::Paren(x) => self.expr(x),
        }
    }

    fn element(&mut self, el: &'a Element) {
        match &el.kind {
            ElementKind::Expr(e) | ElementKind::Spread(e) => self.expr(e),
            ElementKind::For {
                pattern,
                iter,
                filter,
                body,
            } => {
                self.expr(iter);
                let mark = self.scope.len();
                self.pattern(pattern);
                if let Some(c) = filter {
                    self.expr(c);
                }
                self.element(body);
                self.scope.truncate(mark);
            }
            ElementKind::If { cond, body } => {
                self.expr(cond);
                self.element(body);
            }
        }
    }

    /// The entries of an object: a `let` entry is seen by the entries after it.
    fn entries(&mut self, list: &'a [Entry]) {
        let mark = self.scope.len();
        for en in list {
            match &en.kind {
                EntryKind::Field(f) => self.field(f),
                EntryKind::Spread(e) => self.expr(e),
                EntryKind::For {
                    pattern,
                    iter,
                    filter,
                    entries,
                } => {
                    self.expr(iter);
                    let inner = self.scope.len();
                    self.pattern(pattern);
                    if let Some(c) = filter {
                        self.expr(c);
                    }
                    self.entries(entries);
                    self.scope.truncate(inner);
                }
                EntryKind::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    self.expr(cond);
                    self.entries(then);
                    if let Some(o) = otherwise {
                        self.entries(o);
                    }
                }
                EntryKind::Let(d) => {
                    let id = self.define(&d.name, DefKind::LocalLet, None, d.ty.is_some());
                    let saved = self.owner.replace(id);
                    self.ty(d.ty.as_ref());
                    self.expr(&d.value);
                    self.owner = saved;
                    self.bind(id);
                }
            }
        }
        self.scope.truncate(mark);
    }
}

/// The resource ids an item declares (in blocks too).
fn resources<'a>(item: &'a Item, out: &mut Vec<&'a Ident>) {
    match &item.kind {
        ItemKind::Resource(r) => out.push(&r.name),
        ItemKind::For(f) => f.items.iter().for_each(|i| resources(i, out)),
        ItemKind::If(i) => i
            .then
            .iter()
            .chain(i.otherwise.iter().flatten())
            .for_each(|i| resources(i, out)),
        _ => {}
    }
}

/// The field names of a schema of module `unit`, inherited ones included (as far as the
/// schemas it extends can be found).
fn schema_fields(program: &Program, unit: UnitId, s: &Schema, depth: usize, out: &mut Vec<Name>) {
    if depth > 16 {
        return;
    }
    for p in &s.extends {
        let (unit, name) = match p.segments.as_slice() {
            [n] => (unit, &n.name),
            [alias, n] => match program.import(unit, &alias.name) {
                Some(u) => (u, &n.name),
                None => continue,
            },
            _ => continue,
        };
        let parent = program
            .module
            .items
            .iter()
            .filter(|i| program.unit_of(i.file) == unit)
            .find_map(|i| match &i.kind {
                ItemKind::Schema(x) if x.name.name == *name => Some(x),
                _ => None,
            });
        if let Some(parent) = parent {
            schema_fields(program, unit, parent, depth + 1, out);
        }
    }
    for m in &s.members {
        if let SchemaMember::Field(f) = m
            && let Some(n) = f.name.as_static()
            && !out.contains(n)
        {
            out.push(n.clone());
        }
    }
}

/// The messages of a rule on a program that must evaluate without errors (for rule tests).
#[cfg(test)]
pub(super) fn lint_valid(src: &str, rule: &str) -> Vec<String> {
    let out =
        crate::Engine::with_loader(crate::MemoryLoader::new()).evaluate_str("main.cairn", src);
    let errors: Vec<&String> = out
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| &d.message)
        .collect();
    assert!(errors.is_empty(), "{src}\n{errors:?}");
    crate::lint::lint_str(src)
        .into_iter()
        .filter(|(r, _)| r == rule)
        .map(|(_, m)| m)
        .collect()
}

/// Checks a rule's documentation: its example and what to write instead evaluate without
/// errors, and the rule fires on the example and not on the other.
#[cfg(test)]
pub(super) fn assert_examples(info: &RuleInfo) {
    for (src, fires) in [(info.example, true), (info.instead, false)] {
        let out =
            crate::Engine::with_loader(crate::MemoryLoader::new()).evaluate_str("main.cairn", src);
        let errors: Vec<&String> = out
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| &d.message)
            .collect();
        assert!(errors.is_empty(), "{}: {src}\n{errors:?}", info.name);
        let found = crate::lint::lint_str(src)
            .iter()
            .any(|(r, _)| r == info.name);
        assert_eq!(found, fires, "{}: {src}", info.name);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn examples() {
        super::assert_examples(&super::INFO);
    }

    fn names(src: &str) -> Vec<String> {
        super::lint_valid(src, "unused-binding")
    }

    #[test]
    fn fires() {
        assert_eq!(
            names("let port = 80\nlet host = \"a\"\nurl: host\n"),
            ["`port` is never used"]
        );
        // In a block, in an object, in `let ... in`.
        assert_eq!(
            names("for r in [\"eu\"] {\n  let b = r\n  \"${r}\": 1\n}\n"),
            ["`b` is never used"]
        );
        assert_eq!(names("x: { let tmp = 1, a: 2 }\n"), ["`tmp` is never used"]);
        assert_eq!(names("x: let y = 1 in 2\n"), ["`y` is never used"]);
        assert_eq!(
            names("fn f(a) = let b = a in a\nx: f(1)\n"),
            ["`b` is never used"]
        );
        // Used only by an unused `let`.
        assert_eq!(
            names("let a = b + 1\nlet b = 1\nx: 1\n"),
            [
                "`a` is never used",
                "`b` is only used by `a`, which is never used"
            ]
        );
        // A local of the same name hides it.
        assert_eq!(
            names("let port = 1\nx: let port = 2 in port\n"),
            ["`port` is never used"]
        );
        // A schema field of the same name hides it in defaults and checks.
        assert_eq!(
            names(
                "let name = \"x\"\nschema S { name: String, l: String = name, check name != \"\" }\nx: 1\n"
            ),
            ["`name` is never used"]
        );
        // A `let` after the one in an object is not seen by the entries before it.
        assert_eq!(
            names("let a = 1\nx: { b: a, let a = 2 }\n"),
            ["`a` is never used"]
        );
        // Private names are linted too.
        assert_eq!(names("let _p = 1\nx: 2\n"), ["`_p` is never used"]);
    }

    #[test]
    fn does_not_fire() {
        // Uses in interpolation, functions, lambdas, comprehensions and conditions.
        assert!(names("let n = \"a\"\nx: \"${n}\"\n").is_empty());
        assert!(names("let k = 2\nfn f(x) = x * k\ny: f(1)\n").is_empty());
        assert!(names("let k = 2\ny: [for x in [1] if x < k: x]\n").is_empty());
        assert!(names("let k = 2\ny: sort_by([1], fn(x) = x + k)\n").is_empty());
        assert!(names("let on = true\nif on {\n  a: 1\n}\n").is_empty());
        assert!(names("let xs = [1]\nfor x in xs {\n  \"${x}\": 1\n}\n").is_empty());
        // Used before its line (order does not matter at the top level).
        assert!(names("total: base * 2\nlet base = 21\n").is_empty());
        // In a schema default or check, when no field has the name.
        assert!(names("let max = 10\nschema S { r: Int, check r <= max }\nx: 1\n").is_empty());
        assert!(names("let d = 80\nschema S { port: Int = d }\nx: 1\n").is_empty());
        // In a resource's key, options and body.
        assert!(
            names("let p = true\nlet n = \"a\"\nresource r: exec.Command(protect: p) { cmd: n }\n")
                .is_empty()
        );
        // Object `let` entries, `let ... in`, block `let`s, used.
        assert!(names("x: { let a = 1\n  b: a }\n").is_empty());
        assert!(names("x: let a = 1 in let b = a in b\n").is_empty());
        assert!(names("for r in [\"eu\"] {\n  let b = r\n  \"${b}\": 1\n}\n").is_empty());
        // Keys are not names.
        assert!(names("let a = 1\nx: { a: 2, b: a }\n").is_empty());
        // A module without output is a library: its `let`s are its exports.
        assert!(names("let port = 80\nfn f(x) = x\n").is_empty());
    }

    /// The text after the fixes of the enabled rules.
    fn fixed(src: &str) -> String {
        use crate::lint::{Config, Context, apply_fixes, fixes};
        let mut engine = crate::Engine::with_loader(crate::MemoryLoader::new());
        let file = engine.sources_mut().add("main.cairn", src);
        let (program, _) = engine.program(file);
        let out = engine.evaluate(file);
        let cx = Context::new(&program, engine.sources(), &out.resources, &out.document);
        let all = fixes(&cx, &Config::default());
        let mine: Vec<&crate::lint::Fix> = all.iter().filter(|f| f.file == file).collect();
        apply_fixes(src, &mine)
    }

    #[test]
    fn fixes_remove_the_line() {
        // With its doc comment; not a typed `let`, which may be there to check a value.
        assert_eq!(
            fixed(
                "/// The port.\nlet port = 80\nlet host = \"a\"\nlet typed: Int = 1\nurl: host\n"
            ),
            "let host = \"a\"\nlet typed: Int = 1\nurl: host\n"
        );
        // A chain of unused `let`s at once; a trailing comment goes with its line.
        assert_eq!(fixed("let a = b // a\nlet b = 1\nx: 2"), "x: 2");
        // In a block, with its indentation.
        assert_eq!(
            fixed("for r in [\"eu\"] {\n  let b = r\n  \"${r}\": 1\n}\n"),
            "for r in [\"eu\"] {\n  \"${r}\": 1\n}\n"
        );
        // Not when something else shares the line.
        assert_eq!(fixed("let a = 1, x: 2\n"), "let a = 1, x: 2\n");
        assert_eq!(fixed("x: 2, let a = 1\n"), "x: 2, let a = 1\n");
        // Not when a suppression keeps it.
        let kept = "// cairn:allow(unused-binding): later\nlet a = 1\nlet b = 2 // cairn:allow(unused-binding): later\n/// Doc.\n// cairn:allow(unused-binding): later\nlet c = 3\nx: 2\n";
        assert_eq!(fixed(kept), kept);
        // Not for `let` entries and `let ... in`.
        assert_eq!(
            fixed("x: { let a = 1\n  b: 2 }\n"),
            "x: { let a = 1\n  b: 2 }\n"
        );
    }
}
