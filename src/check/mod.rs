//! The static type checker: runs after parsing and before evaluation, over the whole module.
//!
//! It infers a type for every expression and checks expressions against declared types (of
//! `let`, `param`, function parameters and results, schema fields and defaults, resources
//! typed by a schema). Checking pushes the expected type down into literals, so a wrong value
//! is reported at the literal itself (`port: 70000` at `70000`), with the declaration labelled.
//!
//! The checker reports only what is certain: where a type cannot be known before evaluation
//! (`Any`, computed keys, spreads, `from_json`), it stays silent and the evaluator conforms the
//! value when it is bound. Every error of the module is reported, not only the first.

mod infer;

use rustc_hash::FxHashMap;

use crate::diagnostics::{Diagnostic, codes, did_you_mean};
use crate::modules::{Program, UnitId};
use crate::source::FileId;
use crate::syntax::ast::*;
use crate::types::{FieldTy, SchemaTy, Ty, Types, check_refinement};
use crate::value::Value;

/// What checking a module found.
pub struct Checked {
    pub diagnostics: Vec<Diagnostic>,
}

/// Checks a parsed module on its own (its imports are not resolved).
pub fn check_module(module: &Module) -> Checked {
    check_program(&crate::modules::Program::single(module.clone()))
}

/// Checks a whole program: every module it imports, each once.
pub fn check_program(program: &Program) -> Checked {
    let mut c = Checker::new(program);
    c.run();
    let mut diagnostics = c.types.take_diagnostics();
    diagnostics.append(&mut c.diagnostics);
    crate::diagnostics::sort(&mut diagnostics);
    Checked { diagnostics }
}

/// What the checker saw, for the language server (`ide`): the types of the expressions around
/// one position, with the local names in scope there, and the inferred types of bindings
/// written without one. Recording is off unless [`probe_program`] asks for it.
#[derive(Clone, Debug, Default)]
pub struct Probe {
    pub file: FileId,
    pub offset: u32,
    /// More expressions to record, by span (the target of `x.name` at the offset, which does
    /// not hold it).
    pub also: Vec<Span>,
    /// Expressions whose span holds the offset (ends included) or is in `also`, in the order
    /// they were seen.
    pub seen: Vec<Seen>,
    /// `let`s without a type and functions without a result type, by the span of their name,
    /// with the type inferred for them (in every file).
    pub inferred: Vec<(FileId, Span, Ty)>,
    /// Every key and member name of the probed file that names a schema field, wherever the
    /// offset is, in the order they were checked (a name checked twice is here twice).
    pub fields: Vec<FieldUse>,
}

/// A key of an object checked against a schema (`{ replicas: 3 }` as an `App`, each key of a
/// dotted path), or a field read from a value of a schema type (`a.replicas`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldUse {
    /// The key (with its quotes, if it has them) or the member name.
    pub span: Span,
    /// The schema it is a field of, by its name in the program's table.
    pub schema: Name,
    /// Where the field is declared: its file and the span of its name.
    pub decl: (FileId, Span),
}

/// The local names in scope and their types, innermost last, with an index by name: a block of
/// thousands of `let`s must not make every lookup a search through all of them.
#[derive(Clone, Default)]
pub(crate) struct Scope {
    entries: Vec<(Name, Ty)>,
    /// Where each name is in `entries`, innermost last.
    index: FxHashMap<Name, Vec<usize>>,
}

impl Scope {
    pub(crate) fn push(&mut self, entry: (Name, Ty)) {
        self.index
            .entry(entry.0.clone())
            .or_default()
            .push(self.entries.len());
        self.entries.push(entry);
    }

    pub(crate) fn pop(&mut self) {
        if let Some((name, _)) = self.entries.pop()
            && let Some(at) = self.index.get_mut(&name)
        {
            at.pop();
            if at.is_empty() {
                self.index.remove(&name);
            }
        }
    }

    pub(crate) fn truncate(&mut self, len: usize) {
        while self.entries.len() > len {
            self.pop();
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The type of the innermost binding of `name`.
    pub(crate) fn find(&self, name: &str) -> Option<&Ty> {
        let at = *self.index.get(name)?.last()?;
        self.entries.get(at).map(|(_, t)| t)
    }

    pub(crate) fn contains(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    pub(crate) fn iter(&self) -> std::slice::Iter<'_, (Name, Ty)> {
        self.entries.iter()
    }
}

/// One expression around the probed position.
#[derive(Clone, Debug)]
pub struct Seen {
    pub span: Span,
    /// The type it was checked against (`check`), or `None` when it was inferred.
    pub expected: Option<Ty>,
    /// The type inferred for it (`None` when it was checked against `expected`).
    pub inferred: Option<Ty>,
    /// The local names in scope, innermost last.
    pub scope: Vec<(Name, Ty)>,
}

/// Checks the items of `file` in a program (like [`check_program`], which checks every file),
/// recording what the checker saw around `offset` there. Also returns the program's table of
/// schemas and aliases.
pub fn probe_program(
    program: &Program,
    file: FileId,
    offset: u32,
    also: Vec<Span>,
) -> (Checked, Probe, crate::types::TypeTable) {
    let mut c = Checker::new(program);
    c.probe = Some(Probe {
        file,
        offset,
        also,
        ..Probe::default()
    });
    c.run();
    let mut diagnostics = c.types.take_diagnostics();
    diagnostics.append(&mut c.diagnostics);
    crate::diagnostics::sort(&mut diagnostics);
    let table = c.types.table().clone();
    (Checked { diagnostics }, c.probe.unwrap_or_default(), table)
}

/// How sure an assignability answer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fit {
    Yes,
    /// Only evaluation can tell (the evaluator conforms the value).
    Maybe,
    No,
}

pub(crate) enum Global<'m> {
    Let(&'m LetDecl),
    Param(&'m Param),
    Fn(&'m std::sync::Arc<FnDef>),
}

enum Memo {
    InProgress,
    Done(Ty),
}

/// Where a type was declared: the file and the span of the declaration.
pub(crate) type Decl = (FileId, Span);

pub(crate) struct Checker<'m> {
    program: &'m Program,
    module: &'m Module,
    /// The file of the code being checked.
    file: FileId,
    pub(crate) types: Types<'m>,
    /// Top-level `let`, `param` and `fn` of every module, by module and name, with their files.
    pub(crate) globals: FxHashMap<(UnitId, Name), (Global<'m>, FileId)>,
    memo: FxHashMap<(UnitId, Name), Memo>,
    /// Local names and their types, innermost last.
    scope: Scope,
    diagnostics: Vec<Diagnostic>,
    /// Nested inference calls (function bodies are inferred on demand).
    depth: usize,
    /// Where in the value being checked we are, like `services[1].port` (for messages).
    path: String,
    /// Functions declared in blocks, innermost last (to find their parameters' declarations).
    local_fns: Vec<std::sync::Arc<FnDef>>,
    /// The types of resource ids: a schema for a resource typed by one (a map of them when
    /// keyed), `Any` otherwise.
    resources: FxHashMap<Name, Ty>,
    /// How many `for` blocks enclose the item being checked.
    loops: usize,
    /// Inferring the left side of `??`, where a missing field of an object literal is null.
    pub(crate) lenient: bool,
    /// Resource ids seen, with whether they are keyed and where (a mix is an error).
    resource_ids: FxHashMap<Name, (bool, Span)>,
    /// Other top-level names that are not values the checker types: import aliases, type and
    /// schema names (using one as a value is the evaluator's error to report).
    others: rustc_hash::FxHashSet<(UnitId, Name)>,
    /// Recording for the language server, when it asked (see [`Probe`]).
    probe: Option<Probe>,
}

impl<'m> Checker<'m> {
    fn new(program: &'m Program) -> Checker<'m> {
        let module = &program.module;
        let mut globals = FxHashMap::default();
        let mut others = rustc_hash::FxHashSet::default();
        for item in &module.items {
            let unit = program.unit_of(item.file);
            let f = item.file;
            match &item.kind {
                ItemKind::Import(i) => {
                    if let Some(alias) = crate::modules::import_alias(&i.target, i.alias.as_ref()) {
                        others.insert((unit, alias));
                    }
                }
                ItemKind::Type(t) => {
                    others.insert((unit, t.name.name.clone()));
                }
                ItemKind::Schema(s) => {
                    others.insert((unit, s.name.name.clone()));
                }
                ItemKind::Let(d) => {
                    globals
                        .entry((unit, d.name.name.clone()))
                        .or_insert((Global::Let(d), f));
                }
                ItemKind::Param(p) => {
                    globals
                        .entry((unit, p.name.name.clone()))
                        .or_insert((Global::Param(p), f));
                }
                ItemKind::Fn(fd) => {
                    if let Some(n) = &fd.name {
                        globals
                            .entry((unit, n.name.clone()))
                            .or_insert((Global::Fn(fd), f));
                    }
                }
                _ => {}
            }
        }
        Checker {
            program,
            module,
            file: module.file,
            types: Types::new(program),
            globals,
            memo: FxHashMap::default(),
            scope: Scope::default(),
            diagnostics: Vec::new(),
            depth: 0,
            path: String::new(),
            local_fns: Vec::new(),
            resources: FxHashMap::default(),
            others,
            loops: 0,
            lenient: false,
            resource_ids: FxHashMap::default(),
            probe: None,
        }
    }

    /// Records an expression around the probed position (when probing).
    pub(crate) fn observe(&mut self, e: &Expr, expected: Option<&Ty>, inferred: Option<&Ty>) {
        if let Some(p) = &mut self.probe
            && p.file == self.file
            && ((e.span.start <= p.offset && p.offset <= e.span.end) || p.also.contains(&e.span))
        {
            p.seen.push(Seen {
                span: e.span,
                expected: expected.cloned(),
                inferred: inferred.cloned(),
                scope: self.scope.entries.clone(),
            });
        }
    }

    /// Records a key or member name at `span` that names `field` of `schema` (when probing
    /// the file being checked).
    pub(crate) fn observe_field(&mut self, span: Span, schema: &SchemaTy, field: &FieldTy) {
        if let Some(p) = &mut self.probe
            && p.file == self.file
        {
            p.fields.push(FieldUse {
                span,
                schema: schema.name.clone(),
                decl: (field.file, field.span),
            });
        }
    }

    /// Records the type inferred for a binding written without one (when probing).
    fn observe_binding(&mut self, file: FileId, span: Span, t: &Ty) {
        if let Some(p) = &mut self.probe
            && !p.inferred.iter().any(|(f, s, _)| *f == file && *s == span)
        {
            p.inferred.push((file, span, t.clone().widen_literals()));
        }
    }

    fn run(&mut self) {
        let module = self.module;
        collect_resource_types(
            &module.items,
            false,
            self.types.table(),
            &mut self.resources,
        );
        // A probe only needs its own file checked: other modules' definitions are still typed
        // on demand when the file uses them.
        let only = self.probe.as_ref().map(|p| p.file);
        for item in &module.items {
            if only.is_some_and(|f| item.file != f) {
                continue;
            }
            self.file = item.file;
            self.item(item, false);
        }
        if let Some(f) = only {
            // The types of the other modules' globals, for the probe's completion details.
            let unit = self.program.unit_of(f);
            let mut others: Vec<(UnitId, Name)> = self
                .globals
                .keys()
                .filter(|(u, _)| *u != unit)
                .cloned()
                .collect();
            others.sort();
            for (u, n) in others {
                self.global_type(u, &n);
            }
        }
        // Schemas: defaults fit their fields, checks are conditions.
        let table = self.types.table().clone();
        for name in &table.order {
            if let Some(schema) = table.schema(name)
                && only.is_none_or(|f| schema.file == f)
            {
                self.schema(schema);
            }
        }
    }

    /// Checks an item; `nested` inside a `for` or `if` block, where `let` and `fn` are local.
    fn item(&mut self, item: &'m Item, nested: bool) {
        match &item.kind {
            ItemKind::Let(d) => {
                if !nested {
                    self.global_type(self.unit(), &d.name.name);
                } else {
                    let t = self.let_decl(d);
                    self.scope.push((d.name.name.clone(), t));
                }
            }
            ItemKind::Param(p) => {
                self.global_type(self.unit(), &p.name.name);
            }
            ItemKind::Fn(f) => {
                let t = self.fn_def(f, true);
                if nested && let Some(n) = &f.name {
                    self.scope.push((n.name.clone(), t));
                    self.local_fns.push(f.clone());
                }
            }
            ItemKind::Field(f) => {
                self.infer_keys(&f.path);
                self.infer(&f.value);
            }
            ItemKind::Spread(e) => {
                self.infer(e);
            }
            ItemKind::Resource(r) => {
                if let Some(k) = &r.key {
                    self.infer(k);
                }
                for (_, e) in &r.options {
                    self.infer(e);
                }
                self.resource_identity(r);
                match self.types.resource_type(self.file, &r.ty) {
                    Some(ty) => {
                        self.check_rooted(&r.name.name, &r.body, &ty, (self.file, r.ty.span));
                    }
                    None => {
                        // Provider types are dotted (`k8s.Deployment`); a plain name must be a
                        // schema of the program.
                        if r.ty.segments.len() == 1 {
                            let names: Vec<&str> = self
                                .types
                                .table()
                                .order
                                .iter()
                                .map(|n| &**n)
                                .filter(|n| !n.contains('.'))
                                .collect();
                            let mut d = Diagnostic::error(
                                codes::UNKNOWN_TYPE,
                                format!("unknown resource type `{}`", r.ty.text),
                            )
                            .at(
                                self.file,
                                r.ty.span,
                                "not a schema of this program",
                            );
                            d = match did_you_mean(&r.ty.text, names.iter().copied()) {
                                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                                None => d.with_help("a resource type is a schema of the program, or a provider's type such as `k8s.Deployment`"),
                            };
                            self.diagnostics.push(d);
                        }
                        self.infer(&r.body);
                    }
                }
            }
            ItemKind::For(f) => {
                let it = self.infer(&f.iter);
                let mark = self.scope.len();
                self.bind_pattern(&f.pattern, &it);
                if let Some(filter) = &f.filter {
                    self.condition(filter);
                }
                self.loops += 1;
                for i in &f.items {
                    self.item(i, true);
                }
                self.loops -= 1;
                self.scope.truncate(mark);
            }
            ItemKind::If(i) => {
                self.condition(&i.cond);
                let mark = self.scope.len();
                for it in &i.then {
                    self.item(it, true);
                }
                self.scope.truncate(mark);
                if let Some(o) = &i.otherwise {
                    for it in o {
                        self.item(it, true);
                    }
                    self.scope.truncate(mark);
                }
            }
            ItemKind::Type(_) | ItemKind::Schema(_) | ItemKind::Import(_) | ItemKind::Error => {}
        }
    }

    /// A resource in a loop needs a key (its identity would repeat otherwise), and one id is
    /// either keyed everywhere or nowhere.
    fn resource_identity(&mut self, r: &Resource) {
        let keyed = r.key.is_some();
        if !keyed && self.loops > 0 {
            self.diagnostics.push(
                Diagnostic::error(
                    codes::INVALID_KEY,
                    format!(
                        "resource `{}` is declared in a `for` without a key",
                        r.name.name
                    ),
                )
                .at(
                    self.file,
                    r.name.span,
                    "every iteration would declare the same resource",
                )
                .with_help(format!(
                    "key it by something that differs per iteration: `resource {}[name]: ...`",
                    r.name.name
                )),
            );
        }
        match self.resource_ids.get(&r.name.name) {
            Some((was_keyed, first)) if *was_keyed != keyed => {
                let first = *first;
                self.diagnostics.push(
                    Diagnostic::error(
                        codes::DUPLICATE_DEFINITION,
                        format!(
                            "resource `{}` is declared both with and without a key",
                            r.name.name
                        ),
                    )
                    .at(
                        self.file,
                        r.name.span,
                        if keyed {
                            "keyed here"
                        } else {
                            "without a key here"
                        },
                    )
                    .also(self.file, first, "and differently here")
                    .with_help("use a different id for each, or key both"),
                );
            }
            Some(_) => {}
            None => {
                self.resource_ids
                    .insert(r.name.name.clone(), (keyed, r.name.span));
            }
        }
    }

    fn schema(&mut self, schema: &SchemaTy) {
        self.file = schema.file;
        let mark = self.scope.len();
        for f in &schema.fields {
            self.scope.push((f.name.clone(), f.ty.clone()));
        }
        for f in &schema.fields {
            if let Some(d) = &f.default {
                self.check_rooted(&f.name, d, &f.ty, (schema.file, f.span));
            }
        }
        for c in &schema.checks {
            self.condition(&c.cond);
            if let Some(m) = &c.message {
                self.infer(m);
            }
        }
        self.scope.truncate(mark);
    }

    /// The unit of the code being checked.
    pub(crate) fn unit(&self) -> UnitId {
        self.program.unit_of(self.file)
    }

    /// The global `name` of the module being checked.
    pub(crate) fn global(&self, name: &Name) -> Option<&Global<'m>> {
        self.globals
            .get(&(self.unit(), name.clone()))
            .map(|(g, _)| g)
    }

    /// The type of a global of module `unit`, inferred once (a cycle gives `Any`; the
    /// evaluator reports it).
    pub(crate) fn global_type(&mut self, unit: UnitId, name: &Name) -> Ty {
        let key = (unit, name.clone());
        match self.memo.get(&key) {
            Some(Memo::Done(t)) => return t.clone(),
            Some(Memo::InProgress) => return Ty::Any,
            None => {}
        }
        let Some(&(ref global, file)) = self.globals.get(&key) else {
            return Ty::Any;
        };
        let global = match global {
            Global::Let(d) => Global::Let(d),
            Global::Param(p) => Global::Param(p),
            Global::Fn(f) => Global::Fn(f),
        };
        self.memo.insert(key.clone(), Memo::InProgress);
        let saved_scope = std::mem::take(&mut self.scope);
        let saved_file = std::mem::replace(&mut self.file, file);
        let saved_path = std::mem::take(&mut self.path);
        let t = match global {
            Global::Let(d) => self.let_decl(d),
            Global::Param(p) => match (&p.ty, &p.default) {
                (Some(ty), Some(d)) => {
                    let declared = self.types.resolve(file, ty);
                    self.check_rooted(&p.name.name, d, &declared, (file, ty.span));
                    declared
                }
                (Some(ty), None) => self.types.resolve(file, ty),
                (None, Some(d)) => self.infer(d).widen(),
                (None, None) => Ty::String,
            },
            Global::Fn(f) => self.fn_def(f, true),
        };
        // Kept and handed out for every use: bounded, so a chain of definitions each wrapping
        // the one before does not make types (and their copies) grow with the chain.
        let t = t.bounded();
        self.scope = saved_scope;
        self.file = saved_file;
        self.path = saved_path;
        self.memo.insert(key, Memo::Done(t.clone()));
        t
    }

    /// Checks a `let` and returns the type its name has.
    fn let_decl(&mut self, d: &LetDecl) -> Ty {
        match &d.ty {
            Some(ty) => {
                let declared = self.types.resolve(self.file, ty);
                self.check_rooted(&d.name.name, &d.value, &declared, (self.file, ty.span));
                declared
            }
            None => {
                let t = self.infer(&d.value);
                self.observe_binding(self.file, d.name.span, &t);
                t
            }
        }
    }

    /// The type of a function; with `check_body`, its body is checked against its result type.
    fn fn_def(&mut self, f: &FnDef, check_body: bool) -> Ty {
        // A plugin's functions have a placeholder body: the plugin runs instead.
        let check_body = check_body && self.program.plugin_of(f.file).is_none();
        let params: Vec<Ty> = f
            .params
            .iter()
            .map(|p| {
                p.ty.as_ref()
                    .map_or(Ty::Any, |t| self.types.resolve(f.file, t))
            })
            .collect();
        let ret_decl = f
            .ret
            .as_ref()
            .map(|t| (self.types.resolve(f.file, t), (f.file, t.span)));
        let ret = if check_body && self.depth < 32 {
            self.depth += 1;
            let mark = self.scope.len();
            if let Some(n) = &f.name {
                let placeholder = Ty::Fn(
                    params.clone(),
                    Box::new(ret_decl.as_ref().map_or(Ty::Any, |r| r.0.clone())),
                );
                self.scope.push((n.name.clone(), placeholder));
            }
            for (p, t) in f.params.iter().zip(&params) {
                self.scope.push((p.name.name.clone(), t.clone()));
            }
            let r = match &ret_decl {
                Some((t, span)) => {
                    self.check_rooted("", &f.body, t, *span);
                    t.clone()
                }
                None => {
                    let t = self.infer(&f.body);
                    let at = f.name.as_ref().map_or(f.span, |n| n.span);
                    self.observe_binding(f.file, at, &t);
                    t
                }
            };
            self.scope.truncate(mark);
            self.depth -= 1;
            r
        } else {
            ret_decl.map_or(Ty::Any, |r| r.0)
        };
        Ty::Fn(params, Box::new(ret))
    }

    /// Infers the computed keys of a key path (they are expressions too).
    fn infer_keys(&mut self, path: &[Key]) {
        for k in path {
            if let KeyKind::Computed(e) = &k.kind {
                self.infer(e);
            }
        }
    }

    /// Enters a `for`: infers what it iterates, binds its pattern and checks its filter.
    /// Returns the scope mark to truncate to when leaving.
    fn enter_for(&mut self, pattern: &ForPattern, iter: &Expr, filter: Option<&Expr>) -> usize {
        let it = self.infer(iter);
        let mark = self.scope.len();
        self.bind_pattern(pattern, &it);
        if let Some(f) = filter {
            self.condition(f);
        }
        mark
    }

    fn bind_pattern(&mut self, p: &ForPattern, iter: &Ty) {
        let (first, second) = match iter {
            Ty::List(t) => (Ty::Int, (**t).clone()),
            Ty::Refined(base, _) => match &**base {
                Ty::List(t) => (Ty::Int, (**t).clone()),
                _ => (Ty::Any, Ty::Any),
            },
            Ty::Map(t) => (Ty::String, (**t).clone()),
            Ty::Record(_) | Ty::Schema(_) => (Ty::String, Ty::Any),
            _ => (Ty::Any, Ty::Any),
        };
        match &p.second {
            None => {
                let only = if matches!(iter, Ty::Map(_) | Ty::Record(_) | Ty::Schema(_)) {
                    first
                } else {
                    second
                };
                self.scope.push((p.first.name.clone(), only));
            }
            Some(s) => {
                self.scope.push((p.first.name.clone(), first));
                self.scope.push((s.name.clone(), second));
            }
        }
    }

    /// The type of a name; a name defined nowhere is reported (with a suggestion), wherever
    /// it is, even in code that evaluation would never reach.
    pub(crate) fn lookup(&mut self, name: &Name, span: Span) -> Ty {
        if let Some(t) = self.scope.find(name) {
            return t.clone();
        }
        let unit = self.unit();
        if self.globals.contains_key(&(unit, name.clone())) {
            return self.global_type(unit, name);
        }
        if unit == 0
            && let Some(t) = self.resources.get(name)
        {
            return t.clone();
        }
        if self.program.import(unit, name).is_some() {
            self.diagnostics.push(
                Diagnostic::error(
                    codes::MODULE_NOT_VALUE,
                    format!("`{name}` is a module, not a value"),
                )
                .at(self.file, span, "an imported module")
                .with_help(format!("use what it declares: `{name}.<name>`")),
            );
            return Ty::Any;
        }
        if self.others.contains(&(unit, name.clone()))
            || crate::eval::BUILTINS.iter().any(|b| b.name == &**name)
        {
            return Ty::Any;
        }
        let candidates: Vec<&str> = self
            .scope
            .iter()
            .map(|(n, _)| &**n)
            .chain(
                self.globals
                    .keys()
                    .filter(|(u, _)| *u == unit)
                    .map(|(_, n)| &**n),
            )
            .chain(self.resources.keys().map(|n| &**n))
            .chain(crate::eval::BUILTINS.iter().map(|b| b.name))
            .collect();
        let mut d = Diagnostic::error(codes::UNKNOWN_NAME, format!("unknown name `{name}`")).at(
            self.file,
            span,
            "not found in this scope",
        );
        d = match did_you_mean(name, candidates.iter().copied()) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => {
                d.with_help("define it with `let`, declare it with `param`, or check the spelling")
            }
        };
        self.diagnostics.push(d);
        Ty::Any
    }

    // -----------------------------------------------------------------------------------------
    // Checking against an expected type

    /// Checks a value bound to `name`, so messages show paths from it (`services[1].port`).
    fn check_rooted(&mut self, name: &str, e: &Expr, expected: &Ty, declared: Decl) {
        let saved = std::mem::replace(&mut self.path, name.to_string());
        self.check(e, expected, declared);
        self.path = saved;
    }

    fn push_path(&mut self, segment: &str) -> usize {
        let len = self.path.len();
        if segment.starts_with('[') || self.path.is_empty() {
            self.path.push_str(segment);
        } else {
            self.path.push('.');
            self.path.push_str(segment);
        }
        len
    }

    fn at_path(&self) -> String {
        if self.path.is_empty() {
            String::new()
        } else {
            format!("`{}`: ", self.path)
        }
    }

    /// Checks `e` against `expected` (declared at `declared`), reporting at the most precise
    /// place: literals inside objects and lists are checked one by one.
    pub(crate) fn check(&mut self, e: &Expr, expected: &Ty, declared: Decl) {
        self.observe(e, Some(expected), None);
        let expected = expected.clone();
        match (&e.kind, &expected) {
            (_, Ty::Any) => {
                self.infer(e);
            }
            (ExprKind::Paren(inner), _) => self.check(inner, &expected, declared),
            (
                ExprKind::If {
                    cond,
                    then,
                    otherwise,
                },
                _,
            ) => {
                self.condition(cond);
                self.check(then, &expected, declared);
                self.check(otherwise, &expected, declared);
            }
            (ExprKind::Let { decl, body }, _) => {
                let t = self.let_decl(decl);
                self.scope.push((decl.name.name.clone(), t));
                self.check(body, &expected, declared);
                self.scope.pop();
            }
            (_, Ty::Union(members)) => {
                let fitting: Vec<&Ty> = members.iter().filter(|m| self.same_kind(e, m)).collect();
                match fitting.as_slice() {
                    [one] => {
                        let one = (*one).clone();
                        self.check(e, &one, declared);
                    }
                    _ => self.check_by_inference(e, &expected, declared),
                }
            }
            (ExprKind::Object { entries, .. }, Ty::Schema(name)) => {
                let Some(schema) = self.types.table().schema(name).cloned() else {
                    self.infer(e);
                    return;
                };
                self.check_object(e, entries, &schema);
            }
            (ExprKind::Object { entries, .. }, Ty::Map(elem)) => {
                let elem = (**elem).clone();
                self.object_entries(entries, &mut |c, value, key| {
                    let len = match key {
                        Some(k) => c.push_path(k),
                        None => c.path.len(),
                    };
                    c.check(value, &elem, declared);
                    c.path.truncate(len);
                });
            }
            (ExprKind::List(elements), Ty::List(elem)) => {
                let elem = (**elem).clone();
                self.check_elements(elements, &elem, declared);
            }
            (ExprKind::List(elements), Ty::Refined(base, r)) if matches!(**base, Ty::List(_)) => {
                if let Ty::List(elem) = &**base {
                    let elem = (**elem).clone();
                    self.check_elements(elements, &elem, declared);
                }
                let countable = elements
                    .iter()
                    .all(|el| matches!(el.kind, ElementKind::Expr(_)));
                if countable
                    && let Some(len) = &r.len
                    && !len.contains(elements.len() as f64)
                {
                    self.refinement_error(
                        e.span,
                        format!("the list has {} elements, not {len}", elements.len()),
                        declared,
                    );
                }
            }
            (ExprKind::Lit(l), Ty::Refined(base, r)) => {
                let v = literal_value(l);
                let t = Ty::Lit(v.clone());
                match self.fit(&t, base) {
                    Fit::No => self.mismatch(e.span, &expected, &t, declared),
                    _ => {
                        if let Err(message) = check_refinement(&v, r) {
                            self.refinement_error(e.span, message, declared);
                        }
                    }
                }
            }
            _ => self.check_by_inference(e, &expected, declared),
        }
    }

    fn check_by_inference(&mut self, e: &Expr, expected: &Ty, declared: Decl) {
        let t = self.infer(e);
        if self.fit(&t, expected) != Fit::No {
            return;
        }
        // A known value of the right type outside the refinement: say which refinement.
        if let (Ty::Lit(v), Ty::Refined(base, r)) = (&t, expected)
            && self.fit(&t, base) != Fit::No
            && let Err(message) = check_refinement(v, r)
        {
            self.refinement_error(e.span, message, declared);
            return;
        }
        // An object whose type is known, against a schema: name the field that does not fit.
        if let (Ty::Record(fields), Ty::Schema(name)) = (&t, expected)
            && let Some(schema) = self.types.table().schema(name).cloned()
            && self.record_against_schema(e.span, fields, &schema)
        {
            return;
        }
        self.mismatch(e.span, expected, &t, declared);
    }

    /// Reports why an object of known fields is not a value of `schema`; false if it found
    /// nothing specific to say.
    fn record_against_schema(
        &mut self,
        at: Span,
        fields: &[(Name, Ty)],
        schema: &SchemaTy,
    ) -> bool {
        for (k, t) in fields {
            match schema.field(k) {
                None => {
                    let mut d = Diagnostic::error(
                        codes::UNKNOWN_SCHEMA_FIELD,
                        format!("{}`{}` has no field `{k}`", self.at_path(), schema.name),
                    )
                    .at(self.file, at, format!("this object has a field `{k}`"))
                    .also(schema.file, schema.span, "schema declared here");
                    d = match did_you_mean(k, schema.fields.iter().map(|f| &*f.name)) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None => d.with_help(
                            "schemas are closed: remove the field, or declare it in the schema",
                        ),
                    };
                    self.diagnostics.push(d);
                    return true;
                }
                Some(f) if self.fit(t, &f.ty) == Fit::No => {
                    let len = self.push_path(k);
                    let (ty, span) = (f.ty.clone(), f.span);
                    self.mismatch(at, &ty, t, (schema.file, span));
                    self.path.truncate(len);
                    return true;
                }
                Some(_) => {}
            }
        }
        if let Some(f) = schema.fields.iter().find(|f| {
            !f.optional && f.default.is_none() && !fields.iter().any(|(k, _)| *k == f.name)
        }) {
            self.diagnostics.push(
                Diagnostic::error(
                    codes::MISSING_FIELD,
                    format!(
                        "{}missing field `{}`, required by `{}`",
                        self.at_path(),
                        f.name,
                        schema.name
                    ),
                )
                .at(self.file, at, "this object")
                .also(schema.file, f.span, "declared here")
                .with_help(if schema.name.contains('.') {
                    format!("add `{}`; `{}` requires it", f.name, schema.name)
                } else {
                    format!(
                        "add `{}`, or give it a default or `?` in `{}`",
                        f.name, schema.name
                    )
                }),
            );
            return true;
        }
        false
    }

    /// Checks the elements of a list literal; paths name the index while it is known (before
    /// any spread or comprehension).
    fn check_elements(&mut self, elements: &[Element], elem: &Ty, declared: Decl) {
        let mut known = true;
        for (i, el) in elements.iter().enumerate() {
            known &= matches!(el.kind, ElementKind::Expr(_));
            let segment = if known {
                format!("[{i}]")
            } else {
                "[...]".to_string()
            };
            let len = self.push_path(&segment);
            self.check_element(el, elem, declared);
            self.path.truncate(len);
        }
    }

    fn check_element(&mut self, el: &Element, elem: &Ty, declared: Decl) {
        match &el.kind {
            ElementKind::Expr(x) => self.check(x, elem, declared),
            ElementKind::Spread(x) => {
                let t = self.infer(x);
                let list = Ty::List(Box::new(elem.clone()));
                if self.fit(&t, &Ty::optional(list.clone())) == Fit::No {
                    self.mismatch(x.span, &list, &t, declared);
                }
            }
            ElementKind::For {
                pattern,
                iter,
                filter,
                body,
            } => {
                let mark = self.enter_for(pattern, iter, filter.as_ref());
                self.check_element(body, elem, declared);
                self.scope.truncate(mark);
            }
            ElementKind::If { cond, body } => {
                self.condition(cond);
                self.check_element(body, elem, declared);
            }
        }
    }

    /// Checks an object literal against a schema: each field against its declaration, fields
    /// the schema does not declare, and (when every key is known) required fields.
    fn check_object(&mut self, e: &Expr, entries: &[Entry], schema: &SchemaTy) {
        let mut state = ObjectState::default();
        let mark = self.scope.len();
        self.check_entries(entries, schema, &mut state);
        self.scope.truncate(mark);
        if state.dynamic {
            return;
        }
        // A required field reported as misspelled is not reported as missing too.
        let missing: Vec<&Name> = schema
            .fields
            .iter()
            .filter(|f| !f.optional && f.default.is_none() && !state.seen.contains(&f.name))
            .filter(|f| !state.misspelled.contains(&f.name))
            .map(|f| &f.name)
            .collect();
        if !missing.is_empty() {
            let list = missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let plural = if missing.len() == 1 { "" } else { "s" };
            let first = schema.field(missing[0]).map_or(schema.span, |f| f.span);
            self.diagnostics.push(
                Diagnostic::error(
                    codes::MISSING_FIELD,
                    format!(
                        "{}missing field{plural} {list}, required by `{}`",
                        self.at_path(),
                        schema.name
                    ),
                )
                .at(
                    self.file,
                    Span::new(e.span.start as usize, e.span.start as usize + 1),
                    "in this object",
                )
                .also(schema.file, first, "declared here")
                .with_help(if schema.name.contains('.') {
                    format!(
                        "add {list}; `{}` requires {}",
                        schema.name,
                        if plural.is_empty() { "it" } else { "them" }
                    )
                } else {
                    format!(
                        "add {list}, or give the field{plural} a default or `?` in `{}`",
                        schema.name
                    )
                }),
            );
        }
    }

    fn check_entries(&mut self, entries: &[Entry], schema: &SchemaTy, state: &mut ObjectState) {
        for entry in entries {
            match &entry.kind {
                EntryKind::Field(f) => {
                    let Some(first) = f.path.first() else {
                        continue;
                    };
                    let Some(key) = first.as_static().cloned() else {
                        state.dynamic = true;
                        self.infer(&f.value);
                        continue;
                    };
                    match schema.field(&key) {
                        Some(field) => {
                            self.observe_field(first.span, schema, field);
                            state.seen.push(key.clone());
                            let (ty, span) = (field.ty.clone(), field.span);
                            let len = self.push_path(&key);
                            self.check_path(&f.path[1..], &ty, &f.value, (schema.file, span));
                            self.path.truncate(len);
                        }
                        None => {
                            if let Some(s) = self.unknown_schema_field(schema, &key, first.span) {
                                state.misspelled.push(s);
                            }
                            self.infer(&f.value);
                        }
                    }
                }
                EntryKind::Let(d) => {
                    let t = self.let_decl(d);
                    self.scope.push((d.name.name.clone(), t));
                }
                EntryKind::Spread(x) => {
                    state.dynamic = true;
                    self.infer(x);
                }
                EntryKind::For {
                    iter,
                    pattern,
                    filter,
                    entries,
                } => {
                    state.dynamic = true;
                    let m = self.enter_for(pattern, iter, filter.as_ref());
                    self.check_entries(entries, schema, state);
                    self.scope.truncate(m);
                }
                EntryKind::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    // Fields under a condition may or may not be there, but each must fit.
                    state.dynamic = true;
                    self.condition(cond);
                    let m = self.scope.len();
                    self.check_entries(then, schema, state);
                    self.scope.truncate(m);
                    if let Some(o) = otherwise {
                        self.check_entries(o, schema, state);
                        self.scope.truncate(m);
                    }
                }
            }
        }
    }

    /// Reports a key that `schema` does not declare; returns the suggested field, if any.
    fn unknown_schema_field(&mut self, schema: &SchemaTy, key: &str, at: Span) -> Option<Name> {
        let suggestion = did_you_mean(key, schema.fields.iter().map(|f| &*f.name)).map(Name::from);
        let mut d = Diagnostic::error(
            codes::UNKNOWN_SCHEMA_FIELD,
            format!("{}`{}` has no field `{key}`", self.at_path(), schema.name),
        )
        .at(self.file, at, "not declared by the schema")
        .also(schema.file, schema.span, "schema declared here");
        d = match &suggestion {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help(format!(
                "schemas are closed; declared fields: {}",
                schema
                    .fields
                    .iter()
                    .map(|f| &*f.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        };
        self.diagnostics.push(d);
        suggestion
    }

    /// Checks `value` set at the dotted path `keys` inside a field of type `ty`.
    fn check_path(&mut self, keys: &[Key], ty: &Ty, value: &Expr, declared: Decl) {
        let Some((first, rest)) = keys.split_first() else {
            self.check(value, ty, declared);
            return;
        };
        let Some(key) = first.as_static() else {
            self.infer(value);
            return;
        };
        let inner = match ty {
            Ty::Refined(b, _) => b.as_ref(),
            other => other,
        };
        match inner {
            Ty::Schema(name) => {
                let Some(schema) = self.types.table().schema(name).cloned() else {
                    self.infer(value);
                    return;
                };
                match schema.field(key) {
                    Some(f) => {
                        self.observe_field(first.span, &schema, f);
                        let (t, span) = (f.ty.clone(), f.span);
                        let len = self.push_path(key);
                        self.check_path(rest, &t, value, (schema.file, span));
                        self.path.truncate(len);
                    }
                    None => {
                        self.unknown_schema_field(&schema, key, first.span);
                        self.infer(value);
                    }
                }
            }
            Ty::Map(t) => {
                let t = (**t).clone();
                let len = self.push_path(key);
                self.check_path(rest, &t, value, declared);
                self.path.truncate(len);
            }
            Ty::Union(members) => {
                let non_null: Vec<&Ty> =
                    members.iter().filter(|m| !matches!(m, Ty::Null)).collect();
                match non_null.as_slice() {
                    [one] => {
                        let one = (*one).clone();
                        self.check_path(keys, &one, value, declared);
                    }
                    _ => {
                        self.infer(value);
                    }
                }
            }
            _ => {
                self.infer(value);
            }
        }
    }

    /// Runs `f` on the value of every field entry (recursing into `for`/`if`), with the
    /// single static key when there is one.
    fn object_entries(
        &mut self,
        entries: &[Entry],
        f: &mut dyn FnMut(&mut Checker<'m>, &Expr, Option<&Name>),
    ) {
        let mark = self.scope.len();
        for entry in entries {
            match &entry.kind {
                EntryKind::Field(field) => {
                    self.infer_keys(&field.path);
                    let key = match field.path.as_slice() {
                        [k] => k.as_static(),
                        _ => None,
                    };
                    if field.path.len() == 1 {
                        f(self, &field.value, key);
                    } else {
                        self.infer(&field.value);
                    }
                }
                EntryKind::Spread(x) => {
                    self.infer(x);
                }
                EntryKind::Let(d) => {
                    let t = self.let_decl(d);
                    self.scope.push((d.name.name.clone(), t));
                }
                EntryKind::For {
                    pattern,
                    iter,
                    filter,
                    entries,
                } => {
                    let m = self.enter_for(pattern, iter, filter.as_ref());
                    self.object_entries(entries, f);
                    self.scope.truncate(m);
                }
                EntryKind::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    self.condition(cond);
                    self.object_entries(then, f);
                    if let Some(o) = otherwise {
                        self.object_entries(o, f);
                    }
                }
            }
        }
        self.scope.truncate(mark);
    }

    fn condition(&mut self, cond: &Expr) {
        let t = self.infer(cond);
        if self.fit(&t, &Ty::Bool) == Fit::No {
            self.diagnostics.push(
                Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    format!(
                        "a condition must be a Bool, found {}",
                        article(&t.widen().to_string())
                    ),
                )
                .at(self.file, cond.span, "not a Bool")
                .with_help("compare explicitly, for example `x != null` or `len(xs) > 0`"),
            );
        }
    }

    fn mismatch(&mut self, at: Span, expected: &Ty, found: &Ty, declared: Decl) {
        let found = shown_found(found);
        self.diagnostics.push(
            Diagnostic::error(
                codes::TYPE_EXPECTED,
                format!("{}expected {expected}, found {found}", self.at_path()),
            )
            .at(self.file, at, format!("this is {}", article(&found)))
            .also(declared.0, declared.1, "declared here")
            .with_help(format!("give a value of type {expected}")),
        );
    }

    fn refinement_error(&mut self, at: Span, message: String, declared: Decl) {
        self.diagnostics.push(
            Diagnostic::error(codes::REFINEMENT, format!("{}{message}", self.at_path()))
                .at(self.file, at, "this value")
                .also(declared.0, declared.1, "declared here")
                .with_help("change the value, or widen the declared refinement"),
        );
    }

    /// Whether an expression's syntactic kind could be a value of `t` (to pick the member of a
    /// union an object or list literal is meant for).
    fn same_kind(&self, e: &Expr, t: &Ty) -> bool {
        let base = match t {
            Ty::Refined(b, _) => b.as_ref(),
            other => other,
        };
        match &e.kind {
            ExprKind::Object { .. } => {
                matches!(base, Ty::Schema(_) | Ty::Map(_) | Ty::Record(_) | Ty::Any)
            }
            ExprKind::List(_) => matches!(base, Ty::List(_) | Ty::Any),
            ExprKind::Lit(Literal::Str(_)) | ExprKind::Interp(_) => {
                matches!(base, Ty::String | Ty::Any) || matches!(base, Ty::Lit(Value::Str(_)))
            }
            ExprKind::Lit(Literal::Int(_)) => {
                matches!(base, Ty::Int | Ty::Float | Ty::Any)
                    || matches!(base, Ty::Lit(Value::Int(_)))
            }
            ExprKind::Lit(Literal::Float(_)) => {
                matches!(base, Ty::Float | Ty::Any) || matches!(base, Ty::Lit(Value::Float(_)))
            }
            ExprKind::Lit(Literal::Bool(_)) => {
                matches!(base, Ty::Bool | Ty::Any | Ty::Lit(Value::Bool(_)))
            }
            ExprKind::Lit(Literal::Null) => matches!(base, Ty::Null | Ty::Any),
            _ => false,
        }
    }
}

/// The types of resource ids declared in `items` (recursing into `for` and `if`).
fn collect_resource_types(
    items: &[Item],
    in_loop: bool,
    table: &crate::types::TypeTable,
    out: &mut FxHashMap<Name, Ty>,
) {
    for item in items {
        match &item.kind {
            ItemKind::Resource(r) => {
                let body = table.resource_schema(&r.ty.text).unwrap_or(Ty::Any);
                let t = if r.key.is_some() || in_loop {
                    Ty::Map(Box::new(body))
                } else {
                    body
                };
                out.entry(r.name.name.clone()).or_insert(t);
            }
            ItemKind::For(f) => collect_resource_types(&f.items, true, table, out),
            ItemKind::If(i) => {
                collect_resource_types(&i.then, in_loop, table, out);
                if let Some(o) = &i.otherwise {
                    collect_resource_types(o, in_loop, table, out);
                }
            }
            _ => {}
        }
    }
}

/// What an object literal checked against a schema has shown so far.
#[derive(Default)]
struct ObjectState {
    seen: Vec<Name>,
    misspelled: Vec<Name>,
    /// Some fields are computed, spread or conditional: missing fields cannot be judged.
    dynamic: bool,
}

/// A found type as shown in a mismatch: literals widened to their type.
fn shown_found(t: &Ty) -> String {
    match t {
        Ty::Lit(v) => format!("{} {}", t.widen(), crate::types::short(v)),
        Ty::Refined(..) => t.widen().to_string(),
        Ty::Record(_) => "an object".to_string(),
        other => other.to_string(),
    }
}

pub(crate) fn article(t: &str) -> String {
    if t.starts_with("a ") || t.starts_with("an ") {
        return t.to_string();
    }
    if t == "Null" {
        return "null".to_string();
    }
    match t.chars().next() {
        Some('A' | 'E' | 'I' | 'O' | 'U') => format!("an {t}"),
        Some('[') => format!("a list {t}"),
        Some('{') => format!("a map {t}"),
        Some(_) => format!("a {t}"),
        None => t.to_string(),
    }
}

pub(crate) fn literal_value(l: &Literal) -> Value {
    match l {
        Literal::Null => Value::Null,
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Int(i) => Value::Int(*i),
        Literal::Float(x) => Value::Float(*x),
        Literal::Str(s) => Value::Str(s.clone()),
    }
}
