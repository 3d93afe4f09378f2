//! Evaluation: a module's AST to values and declared resources.
//!
//! Evaluation is pure and deterministic: no clock, no network, no environment, no file access.
//! Top-level names (`param`, `let`, `fn`, resource ids) are resolved lazily and memoized, so
//! their order in the file does not matter and a definition that depends on itself is reported
//! as a cycle. Top-level items are evaluated one by one: an error in one item is reported and
//! the others still produce their fields and resources (partial success).
//!
//! Invariant: recursion is bounded. Function calls stop at [`MAX_CALL_DEPTH`], expression trees
//! are at most `syntax::MAX_EXPR_DEPTH` deep, and the evaluator grows its stack on the heap when
//! it runs low, so no input can overflow the native stack.

mod builtins;
mod conform;
mod env;
pub(crate) mod ops;

use std::sync::Arc;

use indexmap::IndexMap;
use rustc_hash::FxHashMap;

pub use builtins::{BUILTINS, Builtin};
pub use env::Env;

use crate::diagnostics::{Diagnostic, codes, did_you_mean};
use crate::modules::{Program, UnitId};
use crate::source::FileId;
use crate::syntax::ast::*;
use crate::types::{Ty, Types};
use crate::value::{Object, Value};
use conform::{ConformedCache, Origin, Root};

/// The deepest chain of function calls before evaluation stops with a diagnostic.
pub const MAX_CALL_DEPTH: usize = 1000;

/// The deepest nesting of expressions being evaluated (across calls). It also bounds how deeply
/// values can nest, which keeps exporting, comparing and dropping them within the stack.
pub const MAX_NESTING: usize = 10_000;

pub(crate) type R<T> = Result<T, Box<Diagnostic>>;

/// What one evaluation may spend before it stops with a diagnostic: work and memory, as a
/// WebAssembly plugin has fuel. A runaway program (an exponential recursion, a value doubled in
/// a loop, a comprehension over millions of keys) then ends in an error within about a second
/// of reaching its budget instead of running for minutes or exhausting memory.
///
/// ```
/// let mut engine = cairn::Engine::new();
/// engine.limits(cairn::eval::Limits { max_steps: 10_000, ..Default::default() });
/// let out = engine.evaluate_str("loop.cairn", "n: len([for i in range(100000): i])");
/// assert_eq!(out.diagnostics[0].code.id, "E0150");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Steps of evaluation: about one per expression evaluated, element or field built, pair
    /// of values compared, or element a builtin works through (E0150 past it).
    pub max_steps: u64,
    /// Bytes of values built, counted as they are built whether or not they are kept (E0151
    /// past it); also the largest output, as written (E0152).
    pub max_memory: u64,
}

/// The default work budget of an evaluation.
pub const DEFAULT_MAX_STEPS: u64 = 200_000_000;
/// The default memory budget of an evaluation, in bytes.
pub const DEFAULT_MAX_MEMORY: u64 = 256 * 1024 * 1024;

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_steps: DEFAULT_MAX_STEPS,
            max_memory: DEFAULT_MAX_MEMORY,
        }
    }
}

impl Limits {
    /// The largest output, in bytes (the memory budget, as a `usize`).
    pub fn max_output(&self) -> usize {
        usize::try_from(self.max_memory).unwrap_or(usize::MAX)
    }
}

/// What an evaluation has spent of its [`Limits`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Spent {
    pub steps: u64,
    pub memory: u64,
    /// The output accepted so far, estimated as written.
    pub output: u64,
    /// The budget ran out: the diagnostic was reported, everything after it stops.
    pub exhausted: bool,
}

/// How many bytes a value of each kind counts for against the memory budget (what it takes in
/// memory, roughly: a list element is a `Value`; an object field a key and a value, plus its
/// index).
pub(crate) const ELEMENT_BYTES: u64 = 16;
pub(crate) const FIELD_BYTES: u64 = 48;
pub(crate) const STRING_BYTES: u64 = 16;
pub(crate) const RESOURCE_BYTES: u64 = 256;

/// When less stack than this is left, evaluation continues on a new segment of
/// [`STACK_SEGMENT`] bytes allocated on the heap.
const STACK_RED_ZONE: usize = 1024 * 1024;
const STACK_SEGMENT: usize = 8 * 1024 * 1024;

/// A function value: a closure over its defining scope, or a builtin.
pub struct Func {
    pub(crate) kind: FuncKind,
}

pub(crate) enum FuncKind {
    Closure { def: Arc<FnDef>, env: Env },
    Builtin(&'static Builtin),
}

impl Func {
    /// A short description, like `fn labels(s)` or `builtin len`.
    pub fn describe(&self) -> String {
        match &self.kind {
            FuncKind::Closure { def, .. } => {
                let params: Vec<&str> = def.params.iter().map(|p| &*p.name.name).collect();
                match &def.name {
                    Some(n) => format!("fn {}({})", n.name, params.join(", ")),
                    None => format!("fn({})", params.join(", ")),
                }
            }
            FuncKind::Builtin(b) => format!("builtin {}", b.name),
        }
    }
}

/// Where a call happens: for diagnostics that point at the callee, the call or an argument.
pub(crate) struct Site<'a> {
    pub callee: Span,
    pub call: Span,
    pub args: &'a [Expr],
}

impl Site<'_> {
    /// The span of argument `i`, or of the whole call when there is no such argument.
    pub fn arg(&self, i: usize) -> Span {
        self.args.get(i).map_or(self.call, |a| a.span)
    }
}

/// A value supplied for a `param`.
#[derive(Clone, Debug)]
pub enum ParamValue {
    /// Text from the command line or the environment, read according to the declared type.
    Text(String),
    /// A value from a host program, used as it is.
    Value(Value),
}

/// A resource declared by a module, evaluated.
#[derive(Clone, Debug)]
pub struct ResourceInstance {
    /// The resource type as written, like `k8s.Deployment`.
    pub type_path: Name,
    /// The id after `resource`.
    pub name: Name,
    /// The key of a keyed resource (`resource deploy[s.name]`), as a string.
    pub key: Option<Name>,
    /// The evaluated body.
    pub body: Value,
    pub file: FileId,
    /// The `id: type` part of the declaration.
    pub span: Span,
    /// The key expression of a keyed resource.
    pub key_span: Option<Span>,
    /// The resources it refers to (in its body, key, options, or through the definitions it
    /// uses), and those its `depends_on` option names: the edges of the resource graph.
    pub deps: Vec<Dep>,
    /// Its options for the engine.
    pub options: ResourceOptions,
}

/// A resource's reference to another resource (or to every instance of a keyed one).
#[derive(Clone, Debug, PartialEq)]
pub struct Dep {
    pub id: Name,
    /// The instance, when the reference names one (`deploy["web"]`); `None` for the whole
    /// declaration.
    pub key: Option<Name>,
    /// Where the reference is written.
    pub file: FileId,
    pub span: Span,
    /// From the `depends_on` option rather than a reference.
    pub explicit: bool,
}

/// The options of a resource: `exec.Command(protect: true, create_before_destroy: true,
/// sensitive: ["password"], depends_on: [db])`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResourceOptions {
    /// Never delete it without an explicit override (kept in state).
    pub protect: bool,
    /// Replace it by creating the new one before deleting the old.
    pub create_before_destroy: bool,
    /// Top-level body fields whose values are never printed.
    pub sensitive: Vec<Name>,
}

/// The options a resource can have.
pub const RESOURCE_OPTIONS: &[&str] = &[
    "depends_on",
    "protect",
    "create_before_destroy",
    "sensitive",
];

impl ResourceInstance {
    /// `id` or `id["key"]`.
    pub fn address(&self) -> String {
        match &self.key {
            Some(k) => format!("{}[{:?}]", self.name, k),
            None => self.name.to_string(),
        }
    }
}

/// What evaluating a module produced; `diagnostics` lists what failed.
#[derive(Clone, Debug, Default)]
pub struct Evaluation {
    /// The module document: the object of top-level fields.
    pub document: Value,
    pub resources: Vec<ResourceInstance>,
    /// Whether the program declares resources at all (some may sit under a condition that did
    /// not hold, so `resources` can be empty even then).
    pub declares_resources: bool,
    pub diagnostics: Vec<Diagnostic>,
}

enum GlobalKind<'m> {
    Let(&'m LetDecl),
    Param(&'m Param),
    Fn(&'m Arc<FnDef>),
    Type,
    /// An import alias: the module it names.
    Import(UnitId),
    /// A resource id; the top-level items that declare it.
    Resource {
        keyed: bool,
        items: Vec<usize>,
    },
}

struct GlobalDef<'m> {
    name: Name,
    kind: GlobalKind<'m>,
    /// The file it is declared in.
    file: FileId,
    span: Span,
}

enum Slot {
    Pending,
    InProgress,
    Done(Value),
    Failed,
}

#[derive(Default)]
struct ItemOutput {
    fields: Vec<(Vec<Name>, Value, Span)>,
    resources: Vec<ResourceInstance>,
}

enum ItemState {
    Pending,
    /// Being evaluated; what it produced so far is in `Evaluator::building`.
    InProgress,
    Done(Arc<ItemOutput>),
    Failed,
}

pub(crate) struct Evaluator<'m, 's> {
    program: &'m Program,
    module: &'m Module,
    /// The file whose spans the expression being evaluated refers to (its unit decides what
    /// global names mean).
    file: FileId,
    /// The global definitions of each module (by unit), by name.
    names: Vec<FxHashMap<Name, usize>>,
    defs: Vec<GlobalDef<'m>>,
    slots: Vec<Slot>,
    items: Vec<ItemState>,
    /// Outputs of the top-level items being evaluated, by item index.
    building: FxHashMap<usize, ItemOutput>,
    /// Global definitions being computed, innermost last (to show cycles).
    computing: Vec<usize>,
    /// Keyed resource objects read while their loop was still running, with the resource id:
    /// a missing key in one of them means "not declared yet", not "no such key". The values
    /// are kept so their addresses stay unique.
    partial: Vec<(Value, Name)>,
    params: &'m IndexMap<String, ParamValue>,
    /// Nested function calls.
    depth: usize,
    /// Nested `eval` calls, for the periodic stack check.
    nesting: usize,
    /// The module's types, resolved on first use.
    types: Types<'m>,
    /// Objects recently conformed to a schema, unchanged since.
    conformed: ConformedCache,
    /// Where resources go as soon as they are known, when streaming (see [`evaluate_streaming`]).
    sink: Option<&'s mut dyn FnMut(&ResourceInstance)>,
    /// The top-level item `run` is evaluating in order: only its resources can be streamed
    /// (one evaluated early, because something referred to it, waits for its turn).
    in_order: Option<usize>,
    /// Items whose resources went to the sink while they were evaluated.
    streamed: rustc_hash::FxHashSet<usize>,
    /// Resource ids that some expression may refer to: their bodies are kept even when
    /// streaming.
    referenced: rustc_hash::FxHashSet<Name>,
    /// Resource identities accepted so far, for duplicates.
    seen: FxHashMap<(Name, Option<Name>), (Span, Option<Span>)>,
    /// Keep the item outputs after `run` (to evaluate an expression against them).
    keep_items: bool,
    /// References to resources recorded while evaluating, innermost scope last (see `record`).
    frames: Vec<Frame>,
    /// Where the frames of the item being evaluated start (an item evaluated because another
    /// referred to it does not see the referrer's frames).
    frame_base: usize,
    /// The references each global definition made when it was computed, by global index.
    global_deps: FxHashMap<usize, Vec<Dep>>,
    /// Set while reading a keyed resource whose instance is being recorded instead.
    suppress_dep: bool,
    /// Whether a function was ever put into a list or an object. Functions can only reach
    /// the output through one, or as a field's value; when this stays false, the output is
    /// not searched for them.
    stored_function: bool,
    /// The budget of this evaluation, and what it spent.
    limits: Limits,
    spent: Spent,
    /// The diagnostic of a budget that ran out (reported once, even if the error it travelled
    /// in was dropped on the way).
    budget_diagnostic: Option<Box<Diagnostic>>,
    diagnostics: Vec<Diagnostic>,
}

/// Evaluates a parsed module with the given parameter values (imports are not resolved: use
/// [`crate::Engine`] for programs of several modules).
pub fn evaluate(module: &Module, params: &IndexMap<String, ParamValue>) -> Evaluation {
    let program = Program::single(module.clone());
    evaluate_streaming(&program, params, &[], None, Limits::default())
}

/// Evaluates a module, skipping the top-level items at `failed` (whose errors were reported
/// already, by the type checker): they, and whatever uses them, produce nothing.
///
/// With a `sink`, every resource goes to the sink as soon as it is known to be part of the
/// output, in declaration order, and only the bodies that other expressions may refer to are
/// kept: exporting a large program then holds its output rather than its whole value tree. The
/// returned evaluation then has no resources; its diagnostics say whether what the sink received
/// can be used.
///
/// Evaluation stops with a diagnostic when it passes its `limits`.
pub fn evaluate_streaming<'m, 's>(
    program: &'m Program,
    params: &'m IndexMap<String, ParamValue>,
    failed: &[usize],
    sink: Option<&'s mut dyn FnMut(&ResourceInstance)>,
    limits: Limits,
) -> Evaluation {
    let module = &program.module;
    let mut ev = Evaluator::new(program, params, limits);
    if sink.is_some() {
        ev.referenced = referenced_names(module);
    }
    ev.sink = sink;
    for &index in failed {
        if let Some(state) = ev.items.get_mut(index) {
            *state = ItemState::Failed;
        }
        let name = match module.items.get(index).map(|i| &i.kind) {
            Some(ItemKind::Let(d)) => Some(&d.name),
            Some(ItemKind::Param(p)) => Some(&p.name),
            Some(ItemKind::Fn(f)) => f.name.as_ref(),
            _ => None,
        };
        let unit = program.unit_of(module.items.get(index).map_or(module.file, |i| i.file));
        if let Some(name) = name
            && let Some(&g) = ev.names[unit].get(&name.name)
        {
            ev.slots[g] = Slot::Failed;
        }
    }
    ev.run()
}

/// Evaluates `expr`, parsed from `file`, in the scope of `module` (for `cairn eval -e`). The
/// fields of the module document are in scope too, as names.
pub fn evaluate_expr(
    program: &Program,
    params: &IndexMap<String, ParamValue>,
    expr: &Expr,
    file: FileId,
    limits: Limits,
) -> Result<Value, Vec<Diagnostic>> {
    let mut ev = Evaluator::new(program, params, limits);
    ev.keep_items = true;
    let evaluation = ev.run();
    if evaluation.diagnostics.iter().any(Diagnostic::is_error) {
        return Err(evaluation.diagnostics);
    }
    let mut env = Env::new();
    if let Some(doc) = evaluation.document.as_object() {
        for (k, v) in doc.iter() {
            if !ev.names[0].contains_key(k) {
                env = env.bind(k.clone(), v.clone());
            }
        }
    }
    ev.file = file;
    let value = ev.eval(expr, &env).map_err(|d| vec![*d])?;
    // The value is written out next (not the module document): it must fit the output budget.
    ev.spent.output = 0;
    ev.check_output(&value, expr.span).map_err(|d| vec![*d])?;
    Ok(value)
}

impl<'m, 's> Evaluator<'m, 's> {
    fn new(
        program: &'m Program,
        params: &'m IndexMap<String, ParamValue>,
        limits: Limits,
    ) -> Evaluator<'m, 's> {
        let module = &program.module;
        let mut ev = Evaluator {
            program,
            module,
            file: module.file,
            names: vec![FxHashMap::default(); program.units.len()],
            defs: Vec::new(),
            slots: Vec::new(),
            items: module.items.iter().map(|_| ItemState::Pending).collect(),
            building: FxHashMap::default(),
            computing: Vec::new(),
            partial: Vec::new(),
            params,
            depth: 0,
            nesting: 0,
            types: Types::new(program),
            conformed: ConformedCache::default(),
            stored_function: false,
            sink: None,
            in_order: None,
            streamed: rustc_hash::FxHashSet::default(),
            referenced: rustc_hash::FxHashSet::default(),
            seen: FxHashMap::default(),
            frames: Vec::new(),
            frame_base: 0,
            global_deps: FxHashMap::default(),
            suppress_dep: false,
            keep_items: false,
            limits,
            spent: Spent::default(),
            budget_diagnostic: None,
            diagnostics: Vec::new(),
        };
        ev.collect_globals();
        ev.check_params();
        ev
    }

    fn error(&self, code: codes::Code, message: impl Into<String>, span: Span) -> Box<Diagnostic> {
        Box::new(Diagnostic::error(code, message).at(self.file, span, ""))
    }

    /// Spends `steps` of the work budget and `bytes` of the memory budget; the error, at
    /// `span`, when either runs out.
    #[inline]
    pub(crate) fn spend(&mut self, steps: u64, bytes: u64, span: Span) -> R<()> {
        self.spend_at(self.file, steps, bytes, span)
    }

    /// [`Evaluator::spend`], with `span` in `file`.
    #[inline]
    pub(crate) fn spend_at(&mut self, file: FileId, steps: u64, bytes: u64, span: Span) -> R<()> {
        self.spent.steps = self.spent.steps.saturating_add(steps);
        self.spent.memory = self.spent.memory.saturating_add(bytes);
        if self.spent.steps > self.limits.max_steps || self.spent.memory > self.limits.max_memory {
            return Err(self.exhausted(file, span));
        }
        Ok(())
    }

    /// Checks, before building a value of `bytes`, that the memory budget has room for it.
    pub(crate) fn room(&mut self, bytes: u64, span: Span) -> R<()> {
        if self.spent.memory.saturating_add(bytes) > self.limits.max_memory {
            self.spent.memory = self.spent.memory.saturating_add(bytes);
            return Err(self.exhausted(self.file, span));
        }
        Ok(())
    }

    /// How many bytes of the memory budget are left.
    pub(crate) fn memory_left(&self) -> u64 {
        self.limits.max_memory.saturating_sub(self.spent.memory)
    }

    /// The diagnostic for a budget that ran out at `span` of `file`: the first time, the real
    /// one (also kept, so it is reported even if the error carrying it is dropped); then an
    /// error already reported.
    pub(crate) fn exhausted(&mut self, file: FileId, span: Span) -> Box<Diagnostic> {
        if self.spent.exhausted {
            return already_reported();
        }
        self.spent.exhausted = true;
        let d = if self.spent.steps > self.limits.max_steps {
            Diagnostic::error(
                codes::STEP_LIMIT,
                format!(
                    "evaluation took more than {} steps",
                    thousands(self.limits.max_steps)
                ),
            )
            .at(file, span, "the step budget ran out here")
            .with_help(
                "is a recursion or a loop running away, or work growing exponentially? if the \
                 program really needs more, raise the budget with `--max-steps` (or `Engine::limits`)",
            )
        } else {
            Diagnostic::error(
                codes::MEMORY_LIMIT,
                format!(
                    "evaluation built more than {} of values",
                    bytes_text(self.limits.max_memory)
                ),
            )
            .at(file, span, "the memory budget ran out here")
            .with_help(
                "is a value growing without end, or rebuilt again and again? if the program \
                 really needs more, raise the budget with `--max-memory` (or `Engine::limits`)",
            )
        };
        let d = Box::new(d);
        self.budget_diagnostic = Some(d.clone());
        d
    }

    /// Counts `value`, about to join the output at `span`, against the output budget: what it
    /// takes written out (a value used twice is written twice), not what it takes in memory.
    pub(crate) fn check_output(&mut self, value: &Value, span: Span) -> R<()> {
        let limit = self.limits.max_memory;
        if self.spent.output > limit {
            // Reported already, for an earlier part of the output.
            return Err(already_reported());
        }
        let left = limit.saturating_sub(self.spent.output);
        let size = crate::value::output_size(value, left);
        self.spent.output = self.spent.output.saturating_add(size);
        if self.spent.output <= limit {
            return Ok(());
        }
        Err(Box::new(
            Diagnostic::error(
                codes::OUTPUT_TOO_LARGE,
                format!(
                    "the output would be larger than {}",
                    bytes_text(self.limits.max_memory)
                ),
            )
            .at(self.file, span, "this value is too large to write out")
            .with_help(
                "a value used more than once is written out each time: is a shared value \
                 doubled over and over? if the output really is this large, raise the budget \
                 with `--max-memory` (or `Engine::limits`)",
            ),
        ))
    }

    /// The unit of the code being evaluated.
    fn unit(&self) -> UnitId {
        self.program.unit_of(self.file)
    }

    fn define(&mut self, file: FileId, name: &Ident, kind: GlobalKind<'m>) {
        let unit = self.program.unit_of(file);
        if let Some(&prev) = self.names[unit].get(&name.name) {
            // Several declarations of one resource id are checked per instance (id and key)
            // after evaluation, where the key is known.
            if let (
                GlobalKind::Resource { keyed, items },
                GlobalKind::Resource {
                    keyed: new_keyed,
                    items: new_items,
                },
            ) = (&mut self.defs[prev].kind, &kind)
            {
                *keyed |= *new_keyed;
                for i in new_items {
                    if !items.contains(i) {
                        items.push(*i);
                    }
                }
                return;
            }
            let prev_span = self.defs[prev].span;
            self.diagnostics.push(
                Diagnostic::error(
                    codes::DUPLICATE_DEFINITION,
                    format!("`{}` is defined twice", name.name),
                )
                .at(file, name.span, "defined again here")
                .also(self.defs[prev].file, prev_span, "first defined here")
                .with_help("rename one of them"),
            );
            return;
        }
        self.names[unit].insert(name.name.clone(), self.defs.len());
        self.defs.push(GlobalDef {
            name: name.name.clone(),
            kind,
            file,
            span: name.span,
        });
        self.slots.push(Slot::Pending);
    }

    fn collect_globals(&mut self) {
        let module = self.module;
        for (index, item) in module.items.iter().enumerate() {
            let file = item.file;
            match &item.kind {
                ItemKind::Let(d) => self.define(file, &d.name, GlobalKind::Let(d)),
                ItemKind::Param(p) => self.define(file, &p.name, GlobalKind::Param(p)),
                ItemKind::Fn(f) => {
                    if let Some(name) = &f.name {
                        self.define(file, name, GlobalKind::Fn(f));
                    }
                }
                ItemKind::Type(t) => self.define(file, &t.name, GlobalKind::Type),
                ItemKind::Schema(s) => self.define(file, &s.name, GlobalKind::Type),
                ItemKind::Import(i) => {
                    let unit = self.program.unit_of(file);
                    if let Some(alias) = crate::modules::import_alias(&i.target, i.alias.as_ref())
                        && let Some(target) = self.program.import(unit, &alias)
                    {
                        let span = match (&i.alias, &i.target) {
                            (Some(a), _) => a.span,
                            (None, ImportTarget::Path { span, .. }) => *span,
                            (None, ImportTarget::Std(p)) => p.last().map_or(item.span, |i| i.span),
                        };
                        let ident = Ident { name: alias, span };
                        self.define(file, &ident, GlobalKind::Import(target));
                    }
                }
                ItemKind::Resource(_) | ItemKind::For(_) | ItemKind::If(_) => {
                    let mut found = Vec::new();
                    collect_resources(std::slice::from_ref(item), false, &mut found);
                    for (ident, keyed) in found {
                        self.define(
                            file,
                            &ident,
                            GlobalKind::Resource {
                                keyed,
                                items: vec![index],
                            },
                        );
                    }
                }
                ItemKind::Field(_) | ItemKind::Spread(_) | ItemKind::Error => {}
            }
        }
    }

    fn check_params(&mut self) {
        let program = self.program;
        let declared: Vec<&'m Param> = self
            .module
            .items
            .iter()
            .filter(|i| program.unit_of(i.file) == 0)
            .filter_map(|i| match &i.kind {
                ItemKind::Param(p) => Some(p),
                _ => None,
            })
            .collect();
        for name in self.params.keys() {
            if declared.iter().any(|p| *p.name.name == **name) {
                continue;
            }
            let mut d = Diagnostic::error(
                codes::UNKNOWN_PARAM,
                format!("the program has no parameter `{name}`"),
            );
            let closest = did_you_mean(name, declared.iter().map(|p| &*p.name.name));
            d = match (closest, declared.first()) {
                (Some(s), _) => {
                    let p = declared.iter().find(|p| &*p.name.name == s);
                    if let Some(p) = p {
                        d = d.at(self.module.file, p.name.span, "this parameter is declared");
                    }
                    d.with_help(format!("did you mean `{s}`?"))
                }
                (None, Some(first)) => d
                    .at(
                        self.module.file,
                        first.name.span,
                        "the parameters start here",
                    )
                    .with_help(format!(
                        "declared parameters: {}",
                        declared
                            .iter()
                            .map(|p| &*p.name.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                (None, None) => d
                    .at(
                        self.module.file,
                        Span::new(0, 0),
                        "this program declares no `param`",
                    )
                    .with_help("declare it with `param name: Type = default`, or drop the value"),
            };
            self.diagnostics.push(d);
        }
    }

    fn run(&mut self) -> Evaluation {
        let module = self.module;
        // Force every top-level definition so its errors are reported even when unused.
        for (index, item) in module.items.iter().enumerate() {
            // Once the budget has run out, nothing more is evaluated: the run has failed.
            if self.spent.exhausted {
                break;
            }
            let name = match &item.kind {
                ItemKind::Let(d) => Some(&d.name),
                ItemKind::Param(p) => Some(&p.name),
                _ => None,
            };
            let unit = self.program.unit_of(item.file);
            let result = match name {
                Some(name) => match self.names[unit].get(&name.name) {
                    Some(&g) if self.defs[g].span == name.span => {
                        self.global(g, name.span).map(|_| ())
                    }
                    _ => Ok(()),
                },
                None => {
                    self.in_order = Some(index);
                    let r = self.item(index, None).map(|_| ());
                    self.in_order = None;
                    r
                }
            };
            if let Err(mut d) = result {
                if is_already_reported(&d) {
                    continue;
                }
                // Point at the item being evaluated when the error lies elsewhere (inside a
                // function it called, say).
                if let Some(p) = d.primary()
                    && !(p.file == item.file
                        && item.span.start <= p.span.start
                        && p.span.end <= item.span.end)
                {
                    let head = item_head(item);
                    d.labels.push(crate::diagnostics::Label {
                        file: item.file,
                        span: head,
                        message: "while evaluating this".to_string(),
                        primary: false,
                    });
                }
                self.diagnostics.push(*d);
            }
        }
        let mut document = Object::default();
        let mut resources: Vec<ResourceInstance> = Vec::new();
        let mut problems = Vec::new();
        // The item states are taken over (so large outputs move instead of being copied) unless
        // expressions are still to be evaluated against them (`cairn eval -e`).
        let states = if self.keep_items {
            self.items
                .iter()
                .map(|s| match s {
                    ItemState::Done(out) => ItemState::Done(out.clone()),
                    _ => ItemState::Failed,
                })
                .collect()
        } else {
            std::mem::take(&mut self.items)
        };
        for (index, state) in states.into_iter().enumerate() {
            let ItemState::Done(out) = state else {
                continue;
            };
            // Take the output over when nothing else holds it (no copies of large lists).
            let out = Arc::try_unwrap(out).unwrap_or_else(|shared| ItemOutput {
                fields: shared.fields.clone(),
                resources: shared.resources.clone(),
            });
            let file = module.items.get(index).map_or(module.file, |i| i.file);
            for (path, value, span) in out.fields {
                self.file = file;
                if let Err(d) = self.check_output(&value, span) {
                    if !is_already_reported(&d) {
                        problems.push(*d);
                    }
                    continue;
                }
                if (self.stored_function || matches!(value, Value::Func(_)))
                    && let Some(at) = find_function(&value)
                {
                    problems.push(not_exportable(file, &path, &at, span));
                    continue;
                }
                if let Err(at) = set_path(&mut document, &path, value) {
                    problems.push(*self.path_conflict(&path, at, span));
                }
            }
            if self.streamed.contains(&index) {
                continue;
            }
            for r in out.resources {
                if self.accept(&r) {
                    match &mut self.sink {
                        Some(sink) => sink(&r),
                        None => resources.push(r),
                    }
                }
            }
        }
        self.diagnostics.extend(problems);
        if let Some(d) = self.budget_diagnostic.take()
            && !self.diagnostics.iter().any(|x| x.code == d.code)
        {
            self.diagnostics.push(*d);
        }
        let mut diagnostics = std::mem::take(&mut self.diagnostics);
        crate::diagnostics::sort(&mut diagnostics);
        Evaluation {
            document: Value::object(document),
            resources,
            declares_resources: declares_exported(&module.items),
            diagnostics,
        }
    }

    /// Checks a resource before it joins the output: no functions in it, no second resource
    /// with its identity. Reports and returns false otherwise.
    fn accept(&mut self, r: &ResourceInstance) -> bool {
        let saved = std::mem::replace(&mut self.file, r.file);
        let fits = self.check_output(&r.body, r.span);
        self.file = saved;
        if let Err(d) = fits {
            if !is_already_reported(&d) {
                self.diagnostics.push(*d);
            }
            return false;
        }
        if self.stored_function
            && let Some(at) = find_function(&r.body)
        {
            self.diagnostics.push(not_exportable(
                r.file,
                &[Arc::from(r.address())],
                &at,
                r.span,
            ));
            return false;
        }
        let id = (r.name.clone(), r.key.clone());
        if let Some((first, first_key)) = self.seen.get(&id) {
            let d = duplicate_resource(r.file, r, *first, *first_key);
            self.diagnostics.push(d);
            return false;
        }
        self.seen.insert(id, (r.span, r.key_span));
        true
    }

    fn path_conflict(&self, path: &[Name], at: usize, span: Span) -> Box<Diagnostic> {
        let prefix: Vec<&str> = path[..=at].iter().map(|n| &**n).collect();
        Box::new(
            Diagnostic::error(
                codes::INVALID_KEY,
                format!(
                    "`{}` is not an object, so `{}` cannot be set inside it",
                    prefix.join("."),
                    path.iter().map(|n| &**n).collect::<Vec<_>>().join(".")
                ),
            )
            .at(
                self.file,
                span,
                "sets a field inside a value that is not an object",
            )
            .with_help("remove the earlier value, or make it an object"),
        )
    }

    /// Evaluates top-level item `index` once; later calls reuse the result. `referenced_at` is
    /// where a resource of this item was referenced from, if that is why it is evaluated.
    fn item(&mut self, index: usize, referenced_at: Option<Span>) -> R<Arc<ItemOutput>> {
        match &self.items[index] {
            ItemState::Done(out) => return Ok(out.clone()),
            ItemState::Failed => return Err(already_reported()),
            ItemState::InProgress => {
                let span = referenced_at.unwrap_or(self.module.items[index].span);
                let file = if referenced_at.is_some() {
                    self.file
                } else {
                    self.module.items[index].file
                };
                return Err(Box::new(
                    Diagnostic::error(codes::CYCLE, "resources refer to each other in a cycle")
                        .at(file, span, "this reference leads back to itself")
                        .with_help("a resource cannot use its own attributes, or those of a resource that depends on it"),
                ));
            }
            ItemState::Pending => {}
        }
        self.items[index] = ItemState::InProgress;
        self.building.insert(index, ItemOutput::default());
        let module = self.module;
        let saved_file = std::mem::replace(&mut self.file, module.items[index].file);
        let saved_base = std::mem::replace(&mut self.frame_base, self.frames.len());
        let saved_suppress = std::mem::replace(&mut self.suppress_dep, false);
        self.frames.push(Frame::default());
        let result = self.exec_items(
            std::slice::from_ref(&module.items[index]),
            &Env::new(),
            false,
            index,
        );
        self.frames.truncate(self.frame_base);
        self.frame_base = saved_base;
        self.suppress_dep = saved_suppress;
        self.file = saved_file;
        let out = self.building.remove(&index).unwrap_or_default();
        match result {
            Ok(()) => {
                let out = Arc::new(out);
                self.items[index] = ItemState::Done(out.clone());
                Ok(out)
            }
            Err(d) => {
                self.items[index] = ItemState::Failed;
                Err(d)
            }
        }
    }

    fn output(&mut self, index: usize) -> &mut ItemOutput {
        self.building.entry(index).or_default()
    }

    fn exec_items(&mut self, items: &'m [Item], env: &Env, nested: bool, index: usize) -> R<()> {
        let mut env = env.clone();
        for item in items {
            match &item.kind {
                ItemKind::Field(f) => {
                    let path = self.key_path(&f.path, &env)?;
                    let value = self.eval(&f.value, &env)?;
                    self.spend(1, FIELD_BYTES * (path.len() as u64 + 1), item.span)?;
                    self.output(index).fields.push((path, value, item.span));
                }
                ItemKind::Spread(e) => match self.eval(e, &env)? {
                    Value::Object(o) => {
                        let n = o.len() as u64;
                        self.spend(n, n * FIELD_BYTES, e.span)?;
                        for (k, v) in o.iter() {
                            self.output(index)
                                .fields
                                .push((vec![k.clone()], v.clone(), item.span));
                        }
                    }
                    Value::Null => {}
                    other => {
                        return Err(self
                            .error(
                                codes::INVALID_SPREAD,
                                format!(
                                    "cannot spread {} into the module document",
                                    other.describe()
                                ),
                                e.span,
                            )
                            .map_help("`...` at the top level takes an object"));
                    }
                },
                ItemKind::Resource(r) => {
                    // What the enclosing blocks referred to (a `for`'s list, the `let`s before)
                    // counts for every resource in them.
                    let outer: Vec<Dep> = self
                        .frames
                        .get(self.frame_base..)
                        .unwrap_or_default()
                        .iter()
                        .flat_map(|f| f.deps.iter())
                        .cloned()
                        .collect();
                    self.frames.push(Frame::default());
                    let evaluated = self.resource_parts(r, &env);
                    let own = self.frames.pop().unwrap_or_default();
                    let (key, body, options, explicit) = evaluated?;
                    // What an instance takes besides its body: names, references, options.
                    let n = (own.deps.len() + outer.len() + explicit.len()) as u64;
                    self.spend(1 + n, RESOURCE_BYTES + n * 64, r.name.span)?;
                    let mut deps = own;
                    for d in outer.into_iter().chain(explicit) {
                        deps.add(d);
                    }
                    let deps = deps.deps;
                    let instance = ResourceInstance {
                        type_path: r.ty.text.clone(),
                        name: r.name.name.clone(),
                        key,
                        body,
                        file: self.file,
                        span: r.name.span.to(r.ty.span),
                        key_span: r.key.as_ref().map(|k| k.span),
                        deps,
                        options,
                    };
                    if self.sink.is_some() && self.in_order == Some(index) {
                        // Streaming, in order: out it goes now; kept only if referred to.
                        self.streamed.insert(index);
                        if self.accept(&instance)
                            && let Some(sink) = &mut self.sink
                        {
                            sink(&instance);
                        }
                        if self.referenced.contains(&instance.name) {
                            self.output(index).resources.push(instance);
                        }
                    } else {
                        self.output(index).resources.push(instance);
                    }
                }
                ItemKind::For(f) => {
                    let iter = self.eval(&f.iter, &env)?;
                    for bound in self.bindings(&f.pattern, &iter, f.iter.span, &env)? {
                        // Each iteration's references count for its own resources only.
                        let mark = self.frames.len();
                        self.frames.push(Frame::default());
                        let r = match &f.filter {
                            Some(filter) => match self.condition(filter, &bound) {
                                Ok(true) => self.exec_items(&f.items, &bound, true, index),
                                Ok(false) => Ok(()),
                                Err(e) => Err(e),
                            },
                            None => self.exec_items(&f.items, &bound, true, index),
                        };
                        self.frames.truncate(mark);
                        r?;
                    }
                }
                ItemKind::If(i) => {
                    if self.condition(&i.cond, &env)? {
                        let mark = self.frames.len();
                        self.frames.push(Frame::default());
                        let r = self.exec_items(&i.then, &env, true, index);
                        self.frames.truncate(mark);
                        r?;
                    } else if let Some(o) = &i.otherwise {
                        let mark = self.frames.len();
                        self.frames.push(Frame::default());
                        let r = self.exec_items(o, &env, true, index);
                        self.frames.truncate(mark);
                        r?;
                    }
                }
                ItemKind::Let(d) if nested => {
                    let v = self.eval(&d.value, &env)?;
                    let v = self.conform_let(v, d)?;
                    env = env.bind(d.name.name.clone(), v);
                }
                ItemKind::Fn(f) if nested => {
                    if let Some(name) = &f.name {
                        let closure = Value::Func(Arc::new(Func {
                            kind: FuncKind::Closure {
                                def: f.clone(),
                                env: env.clone(),
                            },
                        }));
                        env = env.bind(name.name.clone(), closure);
                    }
                }
                // Top-level definitions are resolved lazily through `global`; declarations
                // nested in blocks were reported by the parser.
                ItemKind::Let(_)
                | ItemKind::Fn(_)
                | ItemKind::Error
                | ItemKind::Param(_)
                | ItemKind::Type(_)
                | ItemKind::Schema(_)
                | ItemKind::Import(_) => {}
            }
        }
        Ok(())
    }

    /// A resource's key, body (conformed to its type), options, and the resources its
    /// `depends_on` option names.
    fn resource_parts(
        &mut self,
        r: &'m Resource,
        env: &Env,
    ) -> R<(Option<Name>, Value, ResourceOptions, Vec<Dep>)> {
        let key = match &r.key {
            Some(k) => Some(self.resource_key(k, env)?),
            None => None,
        };
        let body = self.eval(&r.body, env)?;
        if !matches!(body, Value::Object(_)) {
            return Err(self
                .error(
                    codes::TYPE_MISMATCH,
                    format!(
                        "a resource body must be an object, found {}",
                        body.describe()
                    ),
                    r.body.span,
                )
                .map_help(
                    "write the body as `{ ... }`, or compute it with `= expr` returning an object",
                ));
        }
        let body = match self.types.resource_type(self.file, &r.ty) {
            Some(ty) => {
                let root = match &key {
                    Some(k) => format!("{}[{k:?}]", r.name.name),
                    None => r.name.name.to_string(),
                };
                let origin = Origin {
                    root: Root::Name(&root),
                    span: r.body.span,
                    expr: Some(&r.body),
                    declared: (self.file, r.ty.span),
                };
                self.conform(body, &ty, &origin)?
            }
            None => body,
        };
        let mut options = ResourceOptions::default();
        let mut explicit = Vec::new();
        for (name, e) in &r.options {
            match &*name.name {
                "depends_on" => {
                    // What the expression refers to is what the resource depends on.
                    self.frames.push(Frame::default());
                    let v = self.eval(e, env);
                    let named = self.frames.pop().unwrap_or_default().deps;
                    v?;
                    explicit.extend(named.into_iter().map(|d| Dep {
                        explicit: true,
                        ..d
                    }));
                }
                "protect" | "create_before_destroy" => {
                    let on = match self.eval(e, env)? {
                        Value::Bool(b) => b,
                        other => {
                            return Err(self
                                .error(
                                    codes::TYPE_MISMATCH,
                                    format!(
                                        "`{}` takes a Bool, found {}",
                                        name.name,
                                        other.describe()
                                    ),
                                    e.span,
                                )
                                .map_help(format!("write `{}: true`", name.name)));
                        }
                    };
                    if &*name.name == "protect" {
                        options.protect = on;
                    } else {
                        options.create_before_destroy = on;
                    }
                }
                "sensitive" => match self.eval(e, env)? {
                    Value::List(items) if items.iter().all(|i| matches!(i, Value::Str(_))) => {
                        options.sensitive = items
                            .iter()
                            .filter_map(|i| match i {
                                Value::Str(s) => Some(s.clone()),
                                _ => None,
                            })
                            .collect();
                    }
                    other => {
                        return Err(self
                            .error(
                                codes::TYPE_MISMATCH,
                                format!("`sensitive` takes a list of field names, found {}", other.describe()),
                                e.span,
                            )
                            .map_help("name the body's fields whose values are secret: `sensitive: [\"password\"]`"));
                    }
                },
                _ => {
                    let mut d = Diagnostic::error(
                        codes::UNKNOWN_OPTION,
                        format!("resources have no option `{}`", name.name),
                    )
                    .at(self.file, name.span, "unknown option");
                    d = match did_you_mean(&name.name, RESOURCE_OPTIONS.iter().copied()) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None => {
                            d.with_help(format!("the options are {}", RESOURCE_OPTIONS.join(", ")))
                        }
                    };
                    return Err(Box::new(d));
                }
            }
        }
        Ok((key, body, options, explicit))
    }

    fn resource_key(&mut self, key: &Expr, env: &Env) -> R<Name> {
        match self.eval(key, env)? {
            Value::Str(s) => Ok(s),
            Value::Int(i) => Ok(Arc::from(i.to_string())),
            other => Err(self
                .error(
                    codes::INVALID_KEY,
                    format!(
                        "a resource key must be a string or an integer, found {}",
                        other.describe()
                    ),
                    key.span,
                )
                .map_help("key resources by a stable name, such as `resource deploy[s.name]`")),
        }
    }

    pub(crate) fn too_large(&self, span: Span) -> Box<Diagnostic> {
        Box::new(
            Diagnostic::error(codes::TOO_LARGE, "this builds a value too large")
                .at(self.file, span, "here")
                .with_help(format!(
                    "strings may hold {} MiB and lists {} elements; is something growing without end?",
                    ops::MAX_STRING / (1024 * 1024),
                    ops::MAX_LIST
                )),
        )
    }

    fn too_deep(&self, span: Span) -> Box<Diagnostic> {
        Box::new(
            Diagnostic::error(
                codes::RECURSION_LIMIT,
                format!("evaluation nested deeper than {MAX_NESTING} expressions"),
            )
            .at(self.file, span, "too deep here")
            .with_help("a recursion builds deeper and deeper values here; check its base case, or build the data flatter"),
        )
    }

    /// Conforms the value of a `let` to its declared type, if it has one.
    fn conform_let(&mut self, v: Value, d: &LetDecl) -> R<Value> {
        match &d.ty {
            Some(t) => {
                let ty = self.types.resolve_shared(self.file, t);
                let origin = Origin {
                    root: Root::Name(&d.name.name),
                    span: d.value.span,
                    expr: Some(&d.value),
                    declared: (self.file, t.span),
                };
                self.conform(v, &ty, &origin)
            }
            None => Ok(v),
        }
    }

    fn note_stored(&mut self, v: &Value) {
        if matches!(v, Value::Func(_)) {
            self.stored_function = true;
        }
    }

    /// Records a reference to a resource in the innermost frame.
    fn record(&mut self, dep: Dep) {
        if let Some(top) = self.frames.last_mut() {
            top.add(dep);
        }
    }

    /// Adds the references a global made to the innermost frame (a step for each: a global
    /// that refers to many resources, used in many places, is work).
    fn record_global(&mut self, g: usize, span: Span) -> R<()> {
        if let Some(deps) = self.global_deps.get(&g)
            && !deps.is_empty()
            && !self.frames.is_empty()
        {
            let deps = deps.clone();
            self.spend(deps.len() as u64, 0, span)?;
            for d in deps {
                self.record(d);
            }
        }
        Ok(())
    }

    /// The value of global definition `g`, referenced at `span`.
    fn global(&mut self, g: usize, span: Span) -> R<Value> {
        if matches!(self.defs[g].kind, GlobalKind::Resource { .. }) {
            if !self.suppress_dep {
                self.record(Dep {
                    id: self.defs[g].name.clone(),
                    key: None,
                    file: self.file,
                    span,
                    explicit: false,
                });
            }
        } else if matches!(self.slots[g], Slot::Done(_)) {
            self.record_global(g, span)?;
        }
        match &self.slots[g] {
            Slot::Done(v) => return Ok(v.clone()),
            Slot::InProgress => return Err(self.cycle(g, span)),
            Slot::Failed => return Err(already_reported()),
            Slot::Pending => {}
        }
        self.slots[g] = Slot::InProgress;
        self.computing.push(g);
        let saved_file = std::mem::replace(&mut self.file, self.defs[g].file);
        let saved_suppress = std::mem::replace(&mut self.suppress_dep, false);
        self.frames.push(Frame::default());
        let result = self.compute_global(g, span);
        let deps = self.frames.pop().unwrap_or_default().deps;
        self.suppress_dep = saved_suppress;
        self.file = saved_file;
        self.computing.pop();
        if !matches!(self.defs[g].kind, GlobalKind::Resource { .. }) && !deps.is_empty() {
            for d in &deps {
                self.record(d.clone());
            }
            self.global_deps.insert(g, deps);
        }
        self.slots[g] = match &result {
            Ok((v, true)) => Slot::Done(v.clone()),
            // A value read from a resource item still being evaluated may grow: do not keep it.
            Ok((_, false)) => Slot::Pending,
            Err(_) => Slot::Failed,
        };
        result.map(|(v, _)| v)
    }

    /// The diagnostic for a definition used while it is being computed: it names the chain.
    fn cycle(&self, g: usize, span: Span) -> Box<Diagnostic> {
        let from = self.computing.iter().position(|&c| c == g).unwrap_or(0);
        let chain: Vec<&str> = self.computing[from..]
            .iter()
            .map(|&c| &*self.defs[c].name)
            .chain(std::iter::once(&*self.defs[g].name))
            .collect();
        let def_span = self.defs[g].span;
        let mut d = Diagnostic::error(
            codes::CYCLE,
            format!("`{}` depends on itself", self.defs[g].name),
        )
        .at(self.file, span, "used here while it is being computed")
        .also(self.defs[g].file, def_span, "defined here");
        if chain.len() > 2 {
            d = d.with_note(format!("the cycle: {}", chain.join(" -> ")));
        }
        Box::new(d.with_help(
            "break the cycle: a definition cannot use its own value, directly or through others",
        ))
    }

    /// A global's value, and whether it may be memoized.
    fn compute_global(&mut self, g: usize, span: Span) -> R<(Value, bool)> {
        let def_span = self.defs[g].span;
        match &self.defs[g].kind {
            GlobalKind::Let(d) => {
                let d = *d;
                let v = self.eval(&d.value, &Env::new())?;
                Ok((self.conform_let(v, d)?, true))
            }
            GlobalKind::Param(p) => {
                let p = *p;
                let v = self.param(p)?;
                let given = self.params.contains_key(&*p.name.name);
                let v = match &p.ty {
                    Some(t) => {
                        let ty = self.types.resolve_shared(self.file, t);
                        // A value from outside points at the parameter; a default at itself.
                        let span = match (&p.default, given) {
                            (Some(d), false) => d.span,
                            _ => p.name.span,
                        };
                        let origin = Origin {
                            root: Root::Name(&p.name.name),
                            span,
                            expr: p.default.as_ref().filter(|_| !given),
                            declared: (self.file, t.span),
                        };
                        self.conform(v, &ty, &origin).map_err(|mut d| {
                            if given {
                                // The fix is on the command line (or in the host): say so.
                                d.code = codes::INVALID_PARAM;
                                d.message = format!("invalid value for parameter {}", d.message);
                                d.help = Some(format!(
                                    "pass a value of type {}: `--param {}=...`, `--params FILE` or {}{}",
                                    crate::types::type_text(t),
                                    p.name.name,
                                    crate::ENV_PREFIX,
                                    p.name.name.to_uppercase()
                                ));
                            }
                            d
                        })?
                    }
                    None => v,
                };
                Ok((v, true))
            }
            GlobalKind::Fn(f) => Ok((
                Value::Func(Arc::new(Func {
                    kind: FuncKind::Closure {
                        def: (*f).clone(),
                        env: Env::new(),
                    },
                })),
                true,
            )),
            GlobalKind::Type => Err(self
                .error(codes::TYPE_MISMATCH, "a type is not a value", span)
                .map_help("types describe values; use them after `:` in a `let`, `param`, field or function")),
            GlobalKind::Import(_) => Err(self
                .error(codes::MODULE_NOT_VALUE, format!("`{}` is a module, not a value", self.defs[g].name), span)
                .map_help(format!("use what it declares: `{}.<name>`", self.defs[g].name))),
            GlobalKind::Resource { keyed, items } => {
                let keyed = *keyed;
                let items = items.clone();
                let name = self.defs[g].name.clone();
                let mut by_key = Object::default();
                let mut single = None;
                let mut complete = true;
                for index in items {
                    // A resource of the item being evaluated (the same `for` loop, say) is
                    // visible once it has been declared.
                    if matches!(self.items[index], ItemState::InProgress) {
                        complete = false;
                        if let Some(out) = self.building.get(&index) {
                            collect_bodies(&out.resources, &name, &mut by_key, &mut single);
                        }
                        continue;
                    }
                    let out = self.item(index, Some(span))?;
                    collect_bodies(&out.resources, &name, &mut by_key, &mut single);
                }
                if keyed {
                    let v = Value::object(by_key);
                    if !complete {
                        self.partial.push((v.clone(), name));
                    }
                    return Ok((v, complete));
                }
                match single {
                    Some(v) => Ok((v, complete)),
                    None if !complete => Err(Box::new(
                        Diagnostic::error(
                            codes::CYCLE,
                            format!("resource `{name}` is used before it is declared, in its own block"),
                        )
                        .at(self.file, span, "used here")
                        .also(self.defs[g].file, def_span, "declared here")
                        .with_help("a resource can use resources declared before it in the same block, or in other items"),
                    )),
                    None => Err(Box::new(
                        Diagnostic::error(
                            codes::UNKNOWN_NAME,
                            format!("resource `{name}` was not declared in this evaluation"),
                        )
                        .at(self.file, span, "used here")
                        .also(self.defs[g].file, def_span, "declared under a condition here")
                        .with_help("the condition around the resource did not hold; check it before using the resource"),
                    )),
                }
            }
        }
    }

    /// A parameter's value: the one given (read by the declared type), else the default.
    fn param(&mut self, p: &'m Param) -> R<Value> {
        // Values from outside set the parameters of the program, not of the modules it imports.
        let given = if self.unit() == 0 {
            self.params.get(&*p.name.name)
        } else {
            None
        };
        match given {
            Some(ParamValue::Value(v)) => Ok(v.clone()),
            Some(ParamValue::Text(text)) => {
                let text = text.clone();
                // The declared type; without one, the type of a literal default (so that
                // `param replicas = 3` reads `--param replicas=5` as an Int).
                let ty: Ty = match (&p.ty, &p.default) {
                    (Some(t), _) => (*self.types.resolve_shared(self.file, t)).clone(),
                    (
                        None,
                        Some(Expr {
                            kind: ExprKind::Lit(l),
                            ..
                        }),
                    ) => Ty::Lit(literal(l)).widen(),
                    _ => Ty::String,
                };
                read_param(&text, &ty, self.types.table()).map_err(|why| {
                    Box::new(
                        Diagnostic::error(
                            codes::INVALID_PARAM,
                            format!(
                                "invalid value {text:?} for parameter `{}`: {why}",
                                p.name.name
                            ),
                        )
                        .at(self.file, p.name.span, "parameter declared here")
                        .with_help(format!(
                            "pass a value of type {ty}: `--param {}=...`, `--params FILE` or {}{}",
                            p.name.name,
                            crate::ENV_PREFIX,
                            p.name.name.to_uppercase()
                        )),
                    )
                })
            }
            None => match &p.default {
                Some(d) => self.eval(d, &Env::new()),
                None => Err(Box::new(
                    Diagnostic::error(
                        codes::INVALID_PARAM,
                        format!("parameter `{}` has no value", p.name.name),
                    )
                    .at(self.file, p.name.span, "declared here without a default")
                    .with_help(format!(
                        "pass one with `--param {}=VALUE`, or give the parameter a default",
                        p.name.name
                    )),
                )),
            },
        }
    }

    // -----------------------------------------------------------------------------------------
    // Expressions

    pub(crate) fn eval(&mut self, e: &Expr, env: &Env) -> R<Value> {
        // One step of the budget per expression evaluated.
        self.spent.steps += 1;
        if self.spent.steps > self.limits.max_steps {
            return Err(self.exhausted(self.file, e.span));
        }
        // Checking the stack costs a little; doing it every 16 levels of nesting is enough,
        // since 16 levels fit easily in the red zone.
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            self.nesting -= 1;
            return Err(self.too_deep(e.span));
        }
        let r = if self.nesting % 16 == 1 {
            stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, || self.eval_inner(e, env))
        } else {
            self.eval_inner(e, env)
        };
        self.nesting -= 1;
        r
    }

    fn eval_inner(&mut self, e: &Expr, env: &Env) -> R<Value> {
        match &e.kind {
            ExprKind::Lit(l) => Ok(literal(l)),
            ExprKind::Var(name) => self.lookup(name, e.span, env),
            ExprKind::Interp(parts) => {
                let mut s = String::new();
                for p in parts {
                    match p {
                        StrPart::Lit(t) => s.push_str(t),
                        StrPart::Expr(x) => {
                            let v = self.eval(x, env)?;
                            self.append_string(&mut s, &v, x.span)?;
                        }
                    }
                    // Checked part by part: many large parts must not add up first.
                    if s.len() > ops::MAX_STRING {
                        return Err(self.too_large(e.span));
                    }
                }
                self.spend(0, s.len() as u64 + STRING_BYTES, e.span)?;
                Ok(Value::from(s))
            }
            ExprKind::List(elements) => {
                let mut out = Vec::with_capacity(elements.len());
                for el in elements {
                    self.element(el, env, &mut out)?;
                }
                Ok(Value::list(out))
            }
            ExprKind::Object { entries, plain } => {
                if *plain {
                    let mut fields = Vec::with_capacity(entries.len());
                    for entry in entries {
                        if let EntryKind::Field(Field { path, value }) = &entry.kind
                            && let [
                                Key {
                                    kind: KeyKind::Static(k),
                                    ..
                                },
                            ] = path.as_slice()
                        {
                            let v = self.eval(value, env)?;
                            self.note_stored(&v);
                            fields.push((k.clone(), v));
                        }
                    }
                    self.spend(0, fields.len() as u64 * FIELD_BYTES, e.span)?;
                    return Ok(Value::object(Object::from_distinct(fields)));
                }
                let mut obj = Object::with_capacity(entries.len());
                self.entries(entries, env, &mut obj)?;
                Ok(Value::object(obj))
            }
            ExprKind::Field { .. } | ExprKind::Index { .. } | ExprKind::Call { .. } => {
                Ok(self.chain(e, env, false)?.unwrap_or(Value::Null))
            }
            ExprKind::Unary { op, operand } => {
                let v = self.eval(operand, env)?;
                let described = v.describe();
                ops::unary(*op, v).map_err(|err| match err {
                    ops::OpError::Overflow => self
                        .error(codes::INT_OVERFLOW, "overflow in `-`", e.span)
                        .map_help("the negation of the smallest Int does not fit in 64 bits"),
                    _ => {
                        let (what, help) = match op {
                            UnaryOp::Not => ("`!` needs a Bool", "compare explicitly, for example `x == null` or `len(xs) == 0`"),
                            UnaryOp::Neg => ("`-` needs a number", "negate an Int or a Float; convert text with to_int(...) or to_float(...)"),
                        };
                        self.error(codes::TYPE_MISMATCH, format!("{what}, found {described}"), operand.span)
                            .map_help(help)
                    }
                })
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, e.span, env),
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                if self.condition(cond, env)? {
                    self.eval(then, env)
                } else {
                    self.eval(otherwise, env)
                }
            }
            ExprKind::Let { decl, body } => {
                let v = self.eval(&decl.value, env)?;
                let v = self.conform_let(v, decl)?;
                let inner = env.bind(decl.name.name.clone(), v);
                self.eval(body, &inner)
            }
            ExprKind::Lambda(def) => Ok(Value::Func(Arc::new(Func {
                kind: FuncKind::Closure {
                    def: def.clone(),
                    env: env.clone(),
                },
            }))),
            ExprKind::Paren(inner) => self.eval(inner, env),
        }
    }

    /// The keyed resource `target` names, when it is a bare id not hidden by a local name.
    fn keyed_resource(&self, target: &Expr, env: &Env) -> Option<Name> {
        let ExprKind::Var(name) = &target.kind else {
            return None;
        };
        let &g = self.names[self.unit()].get(name)?;
        match self.defs[g].kind {
            GlobalKind::Resource { keyed: true, .. } if env.lookup(name).is_none() => {
                Some(name.clone())
            }
            _ => None,
        }
    }

    /// The module `target` names, when it is an import alias not hidden by a local name.
    fn module_member(&self, target: &Expr, env: &Env) -> Option<UnitId> {
        let ExprKind::Var(alias) = &target.kind else {
            return None;
        };
        let &g = self.names[self.unit()].get(alias)?;
        match self.defs[g].kind {
            GlobalKind::Import(unit) if env.lookup(alias).is_none() => Some(unit),
            _ => None,
        }
    }

    /// `alias.name`: a definition of an imported module.
    fn member(&mut self, unit: UnitId, name: &Ident) -> R<Value> {
        let module = &self.program.units[unit].name;
        if crate::modules::is_private(&name.name) {
            return Err(self
                .error(
                    codes::PRIVATE_NAME,
                    format!("`{}` is private to module `{module}`", name.name),
                    name.span,
                )
                .map_help("names starting with `_` are private to their module; use what the module exports"));
        }
        match self.names[unit].get(&name.name) {
            Some(&g) if !matches!(self.defs[g].kind, GlobalKind::Import(_)) => {
                self.global(g, name.span)
            }
            _ => {
                let exported: Vec<&str> = self.names[unit]
                    .iter()
                    .filter(|(n, g)| {
                        !crate::modules::is_private(n)
                            && !matches!(self.defs[**g].kind, GlobalKind::Import(_))
                    })
                    .map(|(n, _)| &**n)
                    .collect();
                let mut d = Diagnostic::error(
                    codes::UNKNOWN_MEMBER,
                    format!("module `{module}` has no `{}`", name.name),
                )
                .at(self.file, name.span, "not declared by the module");
                d = match did_you_mean(&name.name, exported.iter().copied()) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(
                        "a module exports its `let`s, `fn`s, `param`s, `type`s and `schema`s",
                    ),
                };
                Err(Box::new(d))
            }
        }
    }

    fn lookup(&mut self, name: &Name, span: Span, env: &Env) -> R<Value> {
        let (found, passed) = env.lookup_counted(name);
        let found = found.cloned();
        // Scopes are short; a lookup through thousands of bindings is work, and paid for.
        if passed >= 16 {
            self.spend(passed as u64 / 16, 0, span)?;
        }
        if let Some(v) = found {
            return Ok(v);
        }
        if let Some(&g) = self.names[self.unit()].get(name) {
            return self.global(g, span);
        }
        if let Some(b) = builtins::lookup(name) {
            return Ok(Value::Func(b.clone()));
        }
        let locals = env.names();
        // Suggesting the definition being computed would only lead to a cycle.
        let busy: Vec<&str> = self
            .computing
            .iter()
            .map(|&g| &*self.defs[g].name)
            .collect();
        let candidates = locals
            .iter()
            .map(|n| &**n)
            .chain(self.names[self.unit()].keys().map(|n| &**n))
            .chain(BUILTINS.iter().map(|b| b.name))
            .filter(|n| !busy.contains(n));
        let mut d = Diagnostic::error(codes::UNKNOWN_NAME, format!("unknown name `{name}`")).at(
            self.file,
            span,
            "not found in this scope",
        );
        if let Some(s) = did_you_mean(name, candidates) {
            d = d.with_help(format!("did you mean `{s}`?"));
        } else {
            d = d.with_help("define it with `let`, declare it with `param`, or check the spelling");
        }
        Err(Box::new(d))
    }

    /// Evaluates a chain of field accesses, indexes and calls. `None` means an optional access
    /// (`?.`) met null or a missing field, which ends the whole chain with null.
    /// `lenient`: on the left of `??`, where a missing field or a null along the chain ends it
    /// with null too (the default then applies).
    fn chain(&mut self, e: &Expr, env: &Env, lenient: bool) -> R<Option<Value>> {
        self.spent.steps += 1;
        if self.spent.steps > self.limits.max_steps {
            return Err(self.exhausted(self.file, e.span));
        }
        self.nesting += 1;
        let r = if self.nesting % 16 == 1 {
            stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, || {
                self.chain_inner(e, env, lenient)
            })
        } else {
            self.chain_inner(e, env, lenient)
        };
        self.nesting -= 1;
        r
    }

    fn chain_inner(&mut self, e: &Expr, env: &Env, lenient: bool) -> R<Option<Value>> {
        match &e.kind {
            ExprKind::Field {
                target,
                name,
                optional,
            } => {
                if let Some(unit) = self.module_member(target, env) {
                    return self.member(unit, name).map(Some);
                }
                let t = match self.keyed_resource(target, env) {
                    // `deploy.web`: a reference to that instance only.
                    Some(id) => {
                        self.record(Dep {
                            id,
                            key: Some(name.name.clone()),
                            file: self.file,
                            span: e.span,
                            explicit: false,
                        });
                        let saved = std::mem::replace(&mut self.suppress_dep, true);
                        let t = self.chain(target, env, lenient);
                        self.suppress_dep = saved;
                        t?
                    }
                    None => self.chain(target, env, lenient)?,
                };
                let Some(t) = t else {
                    return Ok(None);
                };
                match &t {
                    Value::Object(o) => match o.get(&name.name) {
                        Some(v) => Ok(Some(v.clone())),
                        None if *optional || lenient => Ok(None),
                        None => Err(self.unknown_field(o, name)),
                    },
                    Value::Null if *optional || lenient => Ok(None),
                    Value::Null => Err(Box::new(
                        Diagnostic::error(
                            codes::NULL_ACCESS,
                            format!("cannot read field `{}` of null", name.name),
                        )
                        .at(self.file, target.span, "this is null")
                        .also(self.file, name.span, "field read here")
                        .with_help(format!(
                            "use `?.{}` to get null instead, and `??` to give a default",
                            name.name
                        )),
                    )),
                    other => Err(self
                        .error(
                            codes::TYPE_MISMATCH,
                            format!("cannot read field `{}` of {}", name.name, other.describe()),
                            target.span,
                        )
                        .map_help("only objects have fields")),
                }
            }
            ExprKind::Index { target, index } => {
                let (t, i) = match self.keyed_resource(target, env) {
                    // `deploy["web"]`: a reference to that instance only.
                    Some(id) => {
                        let i = self.eval(index, env)?;
                        let key = match &i {
                            Value::Str(k) => Some(k.clone()),
                            Value::Int(n) => Some(Name::from(n.to_string())),
                            _ => None,
                        };
                        let saved = self.suppress_dep;
                        if let Some(key) = key {
                            self.record(Dep {
                                id,
                                key: Some(key),
                                file: self.file,
                                span: e.span,
                                explicit: false,
                            });
                            self.suppress_dep = true;
                        }
                        let t = self.chain(target, env, lenient);
                        self.suppress_dep = saved;
                        (t?, i)
                    }
                    None => {
                        let t = self.chain(target, env, lenient)?;
                        let i = match t {
                            Some(_) => self.eval(index, env)?,
                            None => Value::Null,
                        };
                        (t, i)
                    }
                };
                let Some(t) = t else {
                    return Ok(None);
                };
                if lenient {
                    match (&t, &i) {
                        (Value::Null, _) => return Ok(None),
                        (Value::Object(o), Value::Str(k)) if !o.contains_key(k) => return Ok(None),
                        _ => {}
                    }
                }
                self.index(&t, &i, target.span, index.span).map(Some)
            }
            ExprKind::Call { callee, args } => {
                let Some(f) = self.chain(callee, env, lenient)? else {
                    return Ok(None);
                };
                let mut values = Vec::with_capacity(args.len());
                for a in args {
                    values.push(self.eval(a, env)?);
                }
                let site = Site {
                    callee: callee.span,
                    call: e.span,
                    args,
                };
                self.call(&f, values, &site).map(Some)
            }
            _ => self.eval(e, env).map(Some),
        }
    }

    fn unknown_field(&self, obj: &Object, name: &Ident) -> Box<Diagnostic> {
        let mut d = Diagnostic::error(
            codes::UNKNOWN_FIELD,
            format!("no field `{}` in this object", name.name),
        )
        .at(self.file, name.span, "unknown field");
        if let Some(s) = did_you_mean(&name.name, obj.keys().map(|k| &**k)) {
            d = d.with_help(format!("did you mean `{s}`?"));
        } else if obj.is_empty() {
            d = d.with_help("the object is empty; use `?.` to get null for a missing field");
        } else {
            let keys: Vec<&str> = obj.keys().take(8).map(|k| &**k).collect();
            d = d.with_help(format!(
                "the object has: {}; use `?.` to get null for a missing field",
                keys.join(", ")
            ));
        }
        Box::new(d)
    }

    fn index(&self, target: &Value, index: &Value, tspan: Span, ispan: Span) -> R<Value> {
        match (target, index) {
            (Value::List(items), Value::Int(i)) => {
                let len = items.len();
                // Negative indexes count from the end: `xs[-1]` is the last element.
                let at = if *i < 0 {
                    usize::try_from(i.unsigned_abs())
                        .ok()
                        .and_then(|back| len.checked_sub(back))
                } else {
                    usize::try_from(*i).ok()
                };
                at.and_then(|i| items.get(i)).cloned().ok_or_else(|| {
                    self.error(
                        codes::INDEX_OUT_OF_BOUNDS,
                        format!("index {i} is out of bounds for a list of length {len}"),
                        ispan,
                    )
                    .map_help(if len == 0 {
                        "the list is empty; check `len(xs) > 0` first".to_string()
                    } else {
                        format!(
                            "valid indexes are 0 to {} (or -1 to -{len} from the end)",
                            len - 1
                        )
                    })
                })
            }
            (Value::Object(o), Value::Str(_) | Value::Int(_)) => {
                // An Int key reads the field of that name: keyed resources made with Int keys
                // are found with the same Int.
                let k: Name = match index {
                    Value::Int(i) => Arc::from(i.to_string()),
                    Value::Str(k) => k.clone(),
                    _ => Arc::from(""),
                };
                o.get(&k).cloned().ok_or_else(|| {
                    if let Some((_, id)) = self.partial.iter().find(|(v, _)| match v {
                        Value::Object(p) => Arc::ptr_eq(p, o),
                        _ => false,
                    }) {
                        return Box::new(
                            Diagnostic::error(
                                codes::CYCLE,
                                format!("resource `{id}[{k:?}]` is used before it is declared"),
                            )
                            .at(self.file, ispan, "not declared yet at this point of the loop")
                            .with_help(format!(
                                "inside one loop, a resource can use only the resources declared before it: move `resource {id}` up"
                            )),
                        );
                    }
                    let mut d = Diagnostic::error(
                        codes::UNKNOWN_FIELD,
                        format!("no field {k:?} in this object"),
                    )
                    .at(self.file, ispan, "unknown key");
                    if let Some(s) = did_you_mean(&k, o.keys().map(|k| &**k)) {
                        d = d.with_help(format!("did you mean {s:?}?"));
                    } else {
                        d = d.with_help("check the key, or give a default with `??`");
                    }
                    Box::new(d)
                })
            }
            (Value::Null, _) => Err(Box::new(
                Diagnostic::error(codes::NULL_ACCESS, "cannot index null")
                    .at(self.file, tspan, "this is null")
                    .with_help("check for null first, or give a default with `??`"),
            )),
            (Value::List(_), other) => Err(self
                .error(
                    codes::TYPE_MISMATCH,
                    format!("a list index must be an Int, found {}", other.describe()),
                    ispan,
                )
                .map_help("index lists by position, like `xs[0]`; convert text with to_int(...)")),
            (Value::Object(_), other) => Err(self
                .error(
                    codes::TYPE_MISMATCH,
                    format!("an object key must be a String, found {}", other.describe()),
                    ispan,
                )
                .map_help("index objects by key, like `o[\"name\"]`")),
            (other, _) => Err(self
                .error(
                    codes::TYPE_MISMATCH,
                    format!("cannot index {}", other.describe()),
                    tspan,
                )
                .map_help("only lists and objects can be indexed")),
        }
    }

    /// Calls a function value with evaluated arguments.
    pub(crate) fn call(&mut self, f: &Value, args: Vec<Value>, site: &Site<'_>) -> R<Value> {
        let Value::Func(func) = f else {
            return Err(self
                .error(
                    codes::NOT_CALLABLE,
                    format!("{} is not a function", capitalize(f.describe())),
                    site.callee,
                )
                .map_help("only functions, lambdas and builtins can be called"));
        };
        match &func.kind {
            FuncKind::Builtin(b) => {
                if args.len() < b.min_args || args.len() > b.max_args {
                    return Err(self
                        .error(
                            codes::ARITY,
                            format!(
                                "`{}` takes {}, but {} {} given",
                                b.name,
                                arity_text(b.min_args, b.max_args),
                                args.len(),
                                if args.len() == 1 { "was" } else { "were" }
                            ),
                            site.call,
                        )
                        .map_help(format!("usage: {}", b.signature)));
                }
                let result = (b.run)(self, &args, site).map_err(|mut d| {
                    if d.help.is_none() {
                        d.help = Some(format!("usage: {}", b.signature));
                    }
                    d
                })?;
                // One place for the size limits of everything builtins build, and for what
                // it costs (builtins that could build something large check before they do).
                let (too_large, bytes) = match &result {
                    Value::Str(s) => (s.len() > ops::MAX_STRING, s.len() as u64 + STRING_BYTES),
                    Value::List(l) => (l.len() > ops::MAX_LIST, l.len() as u64 * ELEMENT_BYTES),
                    Value::Object(o) => (false, o.len() as u64 * FIELD_BYTES),
                    _ => (false, 0),
                };
                if too_large {
                    return Err(self.too_large(site.call));
                }
                // An argument handed back (`to_string` of a string) was paid for already.
                let bytes = if args.iter().any(|a| a.same_allocation(&result)) {
                    0
                } else {
                    bytes
                };
                self.spend(1, bytes, site.call)?;
                Ok(result)
            }
            FuncKind::Closure { def, env } => {
                let head = fn_head(def);
                if args.len() != def.params.len() {
                    let name = def.name.as_ref().map_or("this function", |n| &*n.name);
                    let shown = match &def.name {
                        Some(n) => format!("`{}`", n.name),
                        None => name.to_string(),
                    };
                    let params: Vec<&str> = def.params.iter().map(|p| &*p.name.name).collect();
                    return Err(Box::new(
                        Diagnostic::error(
                            codes::ARITY,
                            format!(
                                "{shown} takes {} argument{}, but {} {} given",
                                def.params.len(),
                                if def.params.len() == 1 { "" } else { "s" },
                                args.len(),
                                if args.len() == 1 { "was" } else { "were" }
                            ),
                        )
                        .at(self.file, site.call, "called here")
                        .also(def.file, head, "defined here")
                        .with_help(format!(
                            "call it with {}: ({})",
                            arity_text(def.params.len(), def.params.len()),
                            params.join(", ")
                        )),
                    ));
                }
                if self.depth >= MAX_CALL_DEPTH {
                    let name = def.name.as_ref().map_or("fn", |n| &*n.name);
                    return Err(Box::new(
                        Diagnostic::error(
                            codes::RECURSION_LIMIT,
                            format!(
                                "recursion limit reached: calls nested deeper than {MAX_CALL_DEPTH}"
                            ),
                        )
                        .at(
                            self.file,
                            site.call,
                            format!("the {MAX_CALL_DEPTH}th nested call, to `{name}`"),
                        )
                        .also(def.file, head, "in this function")
                        .with_help("check that the recursion has a base case that it reaches"),
                    ));
                }
                // A function local to a block sees itself, so it can recurse (a top-level
                // function's name is a global anyway).
                let mut scope = match &def.name {
                    Some(n) if def.local => env.bind(n.name.clone(), f.clone()),
                    _ => env.clone(),
                };
                let plugin = self.program.plugin_of(def.file).cloned();
                let mut plugin_args = Vec::new();
                for (i, (p, v)) in def.params.iter().zip(args).enumerate() {
                    let v = match &p.ty {
                        Some(t) => {
                            let ty = self.types.resolve_shared(def.file, t);
                            let origin = Origin {
                                root: Root::Name(&p.name.name),
                                span: site.arg(i),
                                expr: site.args.get(i),
                                declared: (def.file, t.span),
                            };
                            self.conform(v, &ty, &origin)?
                        }
                        None => v,
                    };
                    if plugin.is_some() {
                        plugin_args.push(v);
                    } else {
                        scope = scope.bind(p.name.name.clone(), v);
                    }
                }
                self.depth += 1;
                let caller_file = std::mem::replace(&mut self.file, def.file);
                let result = match &plugin {
                    // A plugin function: the plugin runs instead of the placeholder body, and
                    // its result is conformed to the manifest's result type below.
                    Some(p) => {
                        let name = def.name.as_ref().map_or("fn", |n| &*n.name);
                        p.call(name, plugin_args)
                            .map_err(|f| Box::new(f.diagnostic(p, name, caller_file, site.call)))
                            .and_then(|v| {
                                // What the plugin built is paid for like what a builtin builds.
                                let bytes = crate::value::output_size(&v, u64::MAX);
                                self.spend_at(caller_file, 1, bytes, site.call).map(|()| v)
                            })
                    }
                    None => self.eval(&def.body, &scope),
                };
                let result = match (&def.ret, result) {
                    (Some(t), Ok(v)) => {
                        let ty = self.types.resolve_shared(def.file, t);
                        let name = def.name.as_ref().map_or("fn", |n| &*n.name);
                        let origin = Origin {
                            root: Root::Result(name),
                            span: def.body.span,
                            expr: Some(&def.body),
                            declared: (def.file, t.span),
                        };
                        let conformed = self.conform(v, &ty, &origin);
                        match &plugin {
                            // The plugin broke its own signature: its fault, not the program's.
                            Some(p) => conformed.map_err(|d| {
                                Box::new(
                                    crate::plugin::Fault::Signature(d.message)
                                        .diagnostic(p, name, caller_file, site.call)
                                        .also(def.file, t.span, "declared here"),
                                )
                            }),
                            None => conformed,
                        }
                    }
                    (_, r) => r,
                };
                self.file = caller_file;
                self.depth -= 1;
                result.map_err(|mut d| {
                    // Show the call chain: a few innermost calls, as secondary labels.
                    let frames = d.labels.iter().filter(|l| !l.primary).count();
                    let shown = d
                        .labels
                        .iter()
                        .any(|l| l.span == site.call && l.file == self.file);
                    if d.code != codes::RECURSION_LIMIT && frames < 4 && !shown {
                        let name = def.name.as_ref().map_or("fn", |n| &*n.name);
                        d.labels.push(crate::diagnostics::Label {
                            file: self.file,
                            span: site.call,
                            message: format!("in this call to `{name}`"),
                            primary: false,
                        });
                    }
                    d
                })
            }
        }
    }

    fn binary(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr, span: Span, env: &Env) -> R<Value> {
        match op {
            BinaryOp::And | BinaryOp::Or => {
                let l = self.eval(lhs, env)?;
                let Value::Bool(lb) = l else {
                    return Err(self.not_bool(op, &l, lhs.span));
                };
                if (op == BinaryOp::And && !lb) || (op == BinaryOp::Or && lb) {
                    return Ok(Value::Bool(lb));
                }
                let r = self.eval(rhs, env)?;
                match r {
                    Value::Bool(rb) => Ok(Value::Bool(rb)),
                    other => Err(self.not_bool(op, &other, rhs.span)),
                }
            }
            BinaryOp::Coalesce => {
                // `a ?? b`: a chain on the left that meets a missing field, a missing key or a
                // null counts as null, so `s.vars ?? {}` gives the default when `vars` is absent.
                let l = match &lhs.kind {
                    ExprKind::Field { .. } | ExprKind::Index { .. } | ExprKind::Call { .. } => {
                        self.chain(lhs, env, true)?.unwrap_or(Value::Null)
                    }
                    _ => self.eval(lhs, env)?,
                };
                if l.is_null() {
                    self.eval(rhs, env)
                } else {
                    Ok(l)
                }
            }
            _ => {
                let l = self.eval(lhs, env)?;
                let r = self.eval(rhs, env)?;
                match (op, &l, &r) {
                    (BinaryOp::Eq | BinaryOp::Ne, _, _) => {
                        let same = self.equal(&l, &r, span)?;
                        return Ok(Value::Bool(same == (op == BinaryOp::Eq)));
                    }
                    // What `+` builds is paid for before it is built (sizes past the limits of
                    // one value are refused by `ops::binary`).
                    (BinaryOp::Add, Value::Str(a), Value::Str(b))
                        if a.len() + b.len() <= ops::MAX_STRING =>
                    {
                        let n = (a.len() + b.len()) as u64;
                        self.spend(n / 64, n + STRING_BYTES, span)?;
                    }
                    (BinaryOp::Add, Value::List(a), Value::List(b))
                        if a.len() + b.len() <= ops::MAX_LIST =>
                    {
                        let n = (a.len() + b.len()) as u64;
                        self.spend(n, n * ELEMENT_BYTES, span)?;
                    }
                    _ => {}
                }
                ops::binary(op, &l, &r).map_err(|err| {
                    let (code, help) = match err {
                        ops::OpError::Overflow if matches!(l, Value::Float(_)) || matches!(r, Value::Float(_)) => (
                            codes::INT_OVERFLOW,
                            "the result is too large for a Float",
                        ),
                        ops::OpError::Overflow => (
                            codes::INT_OVERFLOW,
                            "the result does not fit in 64 bits; use floats for very large numbers",
                        ),
                        ops::OpError::DivZero => (
                            codes::DIVISION_BY_ZERO,
                            "check the divisor first, for example `if d == 0 { 0 } else { n / d }`",
                        ),
                        ops::OpError::TooLarge => (
                            codes::TOO_LARGE,
                            "the result would pass the limit (64 MiB for a string, 10,000,000 elements for a list); is something doubling without end?",
                        ),
                        ops::OpError::Types => (
                            codes::TYPE_MISMATCH,
                            match op {
                                BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                                    "compare numbers with numbers and strings with strings; convert with to_int(...), to_float(...) or to_string(...)"
                                }
                                BinaryOp::Add if l.type_name() == "String" || r.type_name() == "String" => {
                                    "convert with to_string(...), or use interpolation: \"${a}${b}\""
                                }
                                BinaryOp::Add => "`+` adds numbers and joins two strings or two lists",
                                _ => "both sides must be numbers",
                            },
                        ),
                    };
                    let msg = match err {
                        ops::OpError::TooLarge => format!("`{}` builds a value too large", op.symbol()),
                        ops::OpError::Overflow => format!("overflow in `{}`", op.symbol()),
                        ops::OpError::DivZero => "division by zero".to_string(),
                        ops::OpError::Types => format!(
                            "cannot apply `{}` to {} and {}",
                            op.symbol(),
                            l.type_name(),
                            r.type_name()
                        ),
                    };
                    Box::new(
                        Diagnostic::error(code, msg)
                            .at(self.file, span, format!("{} {} {}", l.type_name(), op.symbol(), r.type_name()))
                            .with_help(help),
                    )
                })
            }
        }
    }

    /// Structural equality (`==`), one step of the budget per pair of values compared.
    pub(crate) fn equal(&mut self, a: &Value, b: &Value, span: Span) -> R<bool> {
        let left = self.limits.max_steps.saturating_sub(self.spent.steps);
        let mut used = 0u64;
        let same = crate::value::equal_with(a, b, &mut || {
            used += 1;
            used <= left
        });
        self.spend(used, 0, span)?;
        Ok(same.unwrap_or(false))
    }

    fn not_bool(&self, op: BinaryOp, v: &Value, span: Span) -> Box<Diagnostic> {
        self.error(
            codes::TYPE_MISMATCH,
            format!(
                "`{}` needs Bool operands, found {}",
                op.symbol(),
                v.type_name()
            ),
            span,
        )
        .map_help("compare explicitly, for example `x != null` or `len(xs) > 0`")
    }

    fn condition(&mut self, cond: &Expr, env: &Env) -> R<bool> {
        match self.eval(cond, env)? {
            Value::Bool(b) => Ok(b),
            other => Err(self
                .error(
                    codes::TYPE_MISMATCH,
                    format!("a condition must be a Bool, found {}", other.describe()),
                    cond.span,
                )
                .map_help("compare explicitly, for example `x != null` or `len(xs) > 0`")),
        }
    }

    /// The scopes a `for` runs its body in: one per element (or entry), with the pattern bound,
    /// made one at a time.
    fn bindings(
        &mut self,
        pattern: &ForPattern,
        iter: &Value,
        span: Span,
        env: &Env,
    ) -> R<Bindings> {
        let over =
            match iter {
                Value::List(items) => Over::List(items.clone()),
                Value::Object(o) => Over::Object(o.clone()),
                other => return Err(self
                    .error(
                        codes::NOT_ITERABLE,
                        format!("cannot iterate over {}", other.describe()),
                        span,
                    )
                    .map_help(if other.is_null() {
                        "the value is null; iterate over `x ?? []` to treat a missing list as empty"
                    } else {
                        "`for` iterates over lists and objects"
                    })),
            };
        Ok(Bindings {
            over,
            next: 0,
            first: pattern.first.name.clone(),
            second: pattern.second.as_ref().map(|s| s.name.clone()),
            env: env.clone(),
        })
    }

    fn element(&mut self, el: &Element, env: &Env, out: &mut Vec<Value>) -> R<()> {
        match &el.kind {
            ElementKind::Expr(e) => {
                let v = self.eval(e, env)?;
                self.note_stored(&v);
                if out.len() >= ops::MAX_LIST {
                    return Err(self.too_large(el.span));
                }
                self.spend(0, ELEMENT_BYTES, el.span)?;
                out.push(v);
            }
            ElementKind::Spread(e) => match self.eval(e, env)? {
                Value::List(items) => {
                    if out.len() + items.len() > ops::MAX_LIST {
                        return Err(self.too_large(el.span));
                    }
                    let n = items.len() as u64;
                    self.spend(n, n * ELEMENT_BYTES, el.span)?;
                    out.extend(items.iter().cloned())
                }
                Value::Null => {}
                other => {
                    return Err(self
                        .error(
                            codes::INVALID_SPREAD,
                            format!("cannot spread {} into a list", other.describe()),
                            e.span,
                        )
                        .map_help("`...` in a list takes a list"));
                }
            },
            ElementKind::For {
                pattern,
                iter,
                filter,
                body,
            } => {
                let it = self.eval(iter, env)?;
                for bound in self.bindings(pattern, &it, iter.span, env)? {
                    if let Some(f) = filter
                        && !self.condition(f, &bound)?
                    {
                        continue;
                    }
                    self.element(body, &bound, out)?;
                }
            }
            ElementKind::If { cond, body } => {
                if self.condition(cond, env)? {
                    self.element(body, env, out)?;
                }
            }
        }
        Ok(())
    }

    fn entries(&mut self, entries: &[Entry], env: &Env, obj: &mut Object) -> R<()> {
        let mut env = std::borrow::Cow::Borrowed(env);
        for entry in entries {
            match &entry.kind {
                EntryKind::Field(f) => {
                    let value = self.eval(&f.value, &env)?;
                    self.note_stored(&value);
                    self.spend(0, FIELD_BYTES, entry.span)?;
                    if let [key] = f.path.as_slice()
                        && let KeyKind::Static(k) = &key.kind
                    {
                        obj.insert(k.clone(), value);
                        continue;
                    }
                    let path = self.key_path(&f.path, &env)?;
                    if let Err(at) = set_path(obj, &path, value) {
                        return Err(self.path_conflict(&path, at, entry.span));
                    }
                }
                EntryKind::Spread(e) => match self.eval(e, &env)? {
                    Value::Object(o) => {
                        let n = o.len() as u64;
                        self.spend(n, n * FIELD_BYTES, entry.span)?;
                        for (k, v) in o.iter() {
                            obj.insert(k.clone(), v.clone());
                        }
                    }
                    Value::Null => {}
                    other => {
                        return Err(self
                            .error(
                                codes::INVALID_SPREAD,
                                format!("cannot spread {} into an object", other.describe()),
                                e.span,
                            )
                            .map_help("`...` in an object takes an object"));
                    }
                },
                EntryKind::For {
                    pattern,
                    iter,
                    filter,
                    entries,
                } => {
                    let it = self.eval(iter, &env)?;
                    for bound in self.bindings(pattern, &it, iter.span, &env)? {
                        if let Some(f) = filter
                            && !self.condition(f, &bound)?
                        {
                            continue;
                        }
                        self.entries(entries, &bound, obj)?;
                    }
                }
                EntryKind::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    if self.condition(cond, &env)? {
                        self.entries(then, &env, obj)?;
                    } else if let Some(o) = otherwise {
                        self.entries(o, &env, obj)?;
                    }
                }
                EntryKind::Let(d) => {
                    let v = self.eval(&d.value, &env)?;
                    let v = self.conform_let(v, d)?;
                    env = std::borrow::Cow::Owned(env.bind(d.name.name.clone(), v));
                }
            }
        }
        Ok(())
    }

    fn key_path(&mut self, path: &[Key], env: &Env) -> R<Vec<Name>> {
        let mut out = Vec::with_capacity(path.len());
        for k in path {
            match &k.kind {
                KeyKind::Static(n) => out.push(n.clone()),
                KeyKind::Computed(e) => match self.eval(e, env)? {
                    Value::Str(s) => out.push(s),
                    other => {
                        return Err(self
                            .error(
                                codes::INVALID_KEY,
                                format!("a key must be a String, found {}", other.describe()),
                                k.span,
                            )
                            .map_help(
                                "a computed key is an interpolated string: `\"${x}\": value`",
                            ));
                    }
                },
            }
        }
        Ok(out)
    }

    /// Appends the string form of `v` (as interpolation shows it) to `out`.
    ///
    /// The string is checked before it grows: past the length of a string (E0126), or past
    /// what is left of the memory budget (E0151), nothing more is appended.
    pub(crate) fn append_string(&mut self, out: &mut String, v: &Value, span: Span) -> R<()> {
        let left = usize::try_from(self.memory_left()).unwrap_or(usize::MAX);
        let max = ops::MAX_STRING.min(left);
        let refuse = |me: &mut Self| {
            if max < ops::MAX_STRING {
                me.room(max as u64 + 1, span)
                    .err()
                    .unwrap_or_else(|| me.too_large(span))
            } else {
                me.too_large(span)
            }
        };
        match v {
            Value::Str(s) => {
                if out.len() + s.len() > max {
                    return Err(refuse(self));
                }
                out.push_str(s)
            }
            Value::Int(i) => {
                let mut buf = itoa_buf(*i);
                out.push_str(buf.as_str());
                buf.clear();
            }
            Value::Float(x) => out.push_str(&crate::export::format_float(*x)),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Null => out.push_str("null"),
            Value::List(_) | Value::Object(_) => {
                // Written straight into `out`, and no further than it may grow.
                match crate::export::json::write(out, v, None, 0, max) {
                    Ok(()) => {}
                    Err(crate::export::ExportError::Invalid(m)) => {
                        return Err(self.error(codes::NOT_EXPORTABLE, m, span));
                    }
                    Err(crate::export::ExportError::TooLarge(_)) => return Err(refuse(self)),
                }
            }
            Value::Func(_) => {
                return Err(self
                    .error(
                        codes::TYPE_MISMATCH,
                        "a function cannot be turned into a string",
                        span,
                    )
                    .map_help("call the function to get a value"));
            }
        }
        Ok(())
    }

    pub(crate) fn file(&self) -> FileId {
        self.file
    }
}

/// The references to resources recorded in one scope (see `Evaluator::record`), each once.
#[derive(Default)]
struct Frame {
    deps: Vec<Dep>,
    /// The `(id, key)` of every reference, once there are many (so that recording stays
    /// linear when a resource refers to thousands of instances).
    index: rustc_hash::FxHashSet<(Name, Option<Name>)>,
}

impl Frame {
    /// How many references are searched one by one before an index is built.
    const SCAN: usize = 16;

    fn add(&mut self, dep: Dep) {
        if self.deps.len() < Self::SCAN {
            if self.deps.iter().any(|d| d.id == dep.id && d.key == dep.key) {
                return;
            }
        } else {
            if self.index.is_empty() {
                for d in &self.deps {
                    self.index.insert((d.id.clone(), d.key.clone()));
                }
            }
            if !self.index.insert((dep.id.clone(), dep.key.clone())) {
                return;
            }
        }
        self.deps.push(dep);
    }
}

/// What a `for` iterates over.
enum Over {
    List(Arc<crate::value::List>),
    Object(Arc<Object>),
}

/// The scopes of a `for`'s iterations, one per element or entry (see `Evaluator::bindings`).
struct Bindings {
    over: Over,
    next: usize,
    first: Name,
    second: Option<Name>,
    env: Env,
}

impl Iterator for Bindings {
    type Item = Env;

    fn next(&mut self) -> Option<Env> {
        let i = self.next;
        self.next += 1;
        // `for x in xs`: the element; `for i, x in xs`: the index and the element; over an
        // object, the key (and the value).
        let (first, second) = match &self.over {
            Over::List(items) => {
                let v = items.get(i)?;
                match self.second {
                    None => (v.clone(), None),
                    Some(_) => (Value::Int(i as i64), Some(v.clone())),
                }
            }
            Over::Object(o) => {
                let (k, v) = o.entry(i)?;
                (
                    Value::Str(k.clone()),
                    self.second.as_ref().map(|_| v.clone()),
                )
            }
        };
        let scope = self.env.bind(self.first.clone(), first);
        Some(match (&self.second, second) {
            (Some(name), Some(v)) => scope.bind(name.clone(), v),
            _ => scope,
        })
    }
}

/// The error returned when a definition that already failed is used again: its diagnostic was
/// reported where it first failed, so this one is dropped.
fn already_reported() -> Box<Diagnostic> {
    Box::new(Diagnostic::error(codes::INTERNAL, ALREADY_REPORTED))
}

const ALREADY_REPORTED: &str = "(already reported)";

fn is_already_reported(d: &Diagnostic) -> bool {
    d.code == codes::INTERNAL && d.message == ALREADY_REPORTED
}

/// `1234567` as `1,234,567`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A number of bytes for messages: `256 MiB`, `1.5 GiB`, `1000 bytes`.
pub(crate) fn bytes_text(n: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if n >= size {
            return if n.is_multiple_of(size) {
                format!("{} {unit}", n / size)
            } else {
                format!("{:.1} {unit}", n as f64 / size as f64)
            };
        }
    }
    format!("{n} bytes")
}

fn itoa_buf(i: i64) -> String {
    i.to_string()
}

/// The name (or the `fn` keyword) of a function, for short labels.
fn fn_head(def: &FnDef) -> Span {
    match &def.name {
        Some(n) => n.span,
        None => Span::new(def.span.start as usize, def.span.start as usize + 2),
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn arity_text(min: usize, max: usize) -> String {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    if min == max {
        format!("{min} argument{}", plural(min))
    } else if max == usize::MAX {
        format!("at least {min} argument{}", plural(min))
    } else {
        format!("{min} to {max} arguments")
    }
}

fn literal(l: &Literal) -> Value {
    match l {
        Literal::Null => Value::Null,
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Int(i) => Value::Int(*i),
        Literal::Float(x) => Value::Float(*x),
        Literal::Str(s) => Value::Str(s.clone()),
    }
}

/// Sets `path` in `obj`, creating and merging into intermediate objects. `Err(i)` when
/// `path[i]` holds a value that is not an object.
pub(crate) fn set_path(obj: &mut Object, path: &[Name], value: Value) -> Result<(), usize> {
    set_path_at(obj, path, value, 0)
}

fn set_path_at(obj: &mut Object, path: &[Name], value: Value, depth: usize) -> Result<(), usize> {
    match path {
        [] => Ok(()),
        [last] => {
            obj.insert(last.clone(), value);
            Ok(())
        }
        [first, rest @ ..] => {
            let slot = obj.get_or_insert_with(first.clone(), Value::empty_object);
            if slot.is_null() {
                *slot = Value::empty_object();
            }
            match slot {
                Value::Object(inner) => set_path_at(Arc::make_mut(inner), rest, value, depth + 1),
                _ => Err(depth),
            }
        }
    }
}

/// Every name used as a variable anywhere in a module (a superset of the resource ids that
/// expressions refer to).
fn referenced_names(module: &Module) -> rustc_hash::FxHashSet<Name> {
    let mut out = rustc_hash::FxHashSet::default();
    let mut resources = Vec::new();
    collect_resources(&module.items, false, &mut resources);
    for (id, _) in resources {
        if module_mentions(&module.items, &id.name) {
            out.insert(id.name);
        }
    }
    out
}

fn module_mentions(items: &[Item], name: &str) -> bool {
    use conform::mentions;
    items.iter().any(|item| match &item.kind {
        ItemKind::Field(f) => mentions(&f.value, name) || key_mentions(&f.path, name),
        ItemKind::Spread(e) => mentions(e, name),
        ItemKind::Let(d) => mentions(&d.value, name),
        ItemKind::Param(p) => p.default.as_ref().is_some_and(|d| mentions(d, name)),
        ItemKind::Fn(f) => mentions(&f.body, name),
        ItemKind::Resource(r) => {
            mentions(&r.body, name)
                || r.key.as_ref().is_some_and(|k| mentions(k, name))
                || r.options.iter().any(|(_, e)| mentions(e, name))
        }
        ItemKind::For(f) => {
            mentions(&f.iter, name)
                || f.filter.as_ref().is_some_and(|x| mentions(x, name))
                || module_mentions(&f.items, name)
        }
        ItemKind::If(i) => {
            mentions(&i.cond, name)
                || module_mentions(&i.then, name)
                || i.otherwise
                    .as_ref()
                    .is_some_and(|o| module_mentions(o, name))
        }
        ItemKind::Schema(s) => s.members.iter().any(|m| match m {
            SchemaMember::Field(f) => f.default.as_ref().is_some_and(|d| mentions(d, name)),
            SchemaMember::Check(c) => mentions(&c.cond, name),
        }),
        ItemKind::Type(_) | ItemKind::Import(_) | ItemKind::Error => false,
    })
}

fn key_mentions(path: &[Key], name: &str) -> bool {
    path.iter()
        .any(|k| matches!(&k.kind, KeyKind::Computed(e) if conform::mentions(e, name)))
}

/// The path to a function inside a value, if it holds one (`Some(vec![])` for the value itself).
fn find_function(v: &Value) -> Option<Vec<String>> {
    stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || find_function_inner(v))
}

fn find_function_inner(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::Func(_) => Some(Vec::new()),
        Value::List(items) => items.iter().enumerate().find_map(|(i, x)| {
            find_function(x).map(|mut p| {
                p.insert(0, format!("[{i}]"));
                p
            })
        }),
        Value::Object(o) => o.iter().find_map(|(k, x)| {
            find_function(x).map(|mut p| {
                p.insert(0, format!(".{k}"));
                p
            })
        }),
        _ => None,
    }
}

fn not_exportable(file: FileId, path: &[Name], inner: &[String], span: Span) -> Diagnostic {
    let mut shown: String = path.iter().map(|n| &**n).collect::<Vec<_>>().join(".");
    for part in inner {
        shown.push_str(part);
    }
    Diagnostic::error(
        codes::NOT_EXPORTABLE,
        format!("`{shown}` is a function, which cannot be exported"),
    )
    .at(file, span, "this value holds a function")
    .with_help("call the function to get data, or bind it with `let` instead of a field")
}

fn duplicate_resource(
    file: FileId,
    r: &ResourceInstance,
    first: Span,
    first_key: Option<Span>,
) -> Diagnostic {
    let d = Diagnostic::error(
        codes::DUPLICATE_DEFINITION,
        format!("resource `{}` is declared twice", r.address()),
    );
    match (r.key_span, first_key) {
        // The same declaration produced the key twice: a loop with a repeating key.
        (Some(k), Some(fk)) if k == fk => d
            .at(
                file,
                k,
                format!(
                    "this key is {:?} in more than one iteration",
                    r.key.as_deref().unwrap_or("")
                ),
            )
            .with_help(
                "make the key unique per iteration, for example by including a name or an index",
            ),
        (Some(k), _) => d
            .at(file, k, "declared again with this key")
            .also(file, first, "first declared here")
            .with_help("each instance needs its own key"),
        (None, _) => d
            .at(file, r.span, "declared again here")
            .also(file, first, "first declared here")
            .with_help("give each resource its own id, or key them: `resource id[key]: ...`"),
    }
}

/// Adds the bodies of the instances of resource `name` to `by_key` (keyed) or `single`.
fn collect_bodies(
    resources: &[ResourceInstance],
    name: &Name,
    by_key: &mut Object,
    single: &mut Option<Value>,
) {
    for r in resources.iter().filter(|r| r.name == *name) {
        // Outputs of applied resources are unknown until apply: placeholders stand in.
        let body = if crate::resources::is_applied(&r.type_path) {
            crate::resources::reference_value(&r.address(), &r.type_path, &r.body)
        } else {
            r.body.clone()
        };
        match &r.key {
            Some(k) => {
                by_key.insert(k.clone(), body);
            }
            None => *single = Some(body),
        }
    }
}

/// Whether `items` declare a resource that `cairn export` writes: one whose type is not
/// managed by a built-in provider that `cairn apply` runs (`exec`, `file`).
fn declares_exported(items: &[Item]) -> bool {
    items.iter().any(|item| match &item.kind {
        ItemKind::Resource(r) => !crate::resources::is_applied(&r.ty.text),
        ItemKind::For(f) => declares_exported(&f.items),
        ItemKind::If(i) => {
            declares_exported(&i.then) || i.otherwise.as_deref().is_some_and(declares_exported)
        }
        _ => false,
    })
}

/// Collects the resource ids declared in `items` (recursing into `for` and `if`), with whether
/// each is keyed.
fn collect_resources(items: &[Item], in_block: bool, out: &mut Vec<(Ident, bool)>) {
    for item in items {
        match &item.kind {
            ItemKind::Resource(r) => {
                let keyed = r.key.is_some() || in_block;
                if !out.iter().any(|(i, _)| i.name == r.name.name) {
                    out.push((r.name.clone(), keyed));
                }
            }
            ItemKind::For(f) => collect_resources(&f.items, true, out),
            ItemKind::If(i) => {
                collect_resources(&i.then, in_block, out);
                if let Some(o) = &i.otherwise {
                    collect_resources(o, in_block, out);
                }
            }
            _ => {}
        }
    }
}

/// Reads a parameter given as text according to its type: strings as they are, numbers and
/// booleans parsed, `null` for an optional, anything structured as YAML (or JSON).
fn read_param(text: &str, ty: &Ty, table: &crate::types::TypeTable) -> Result<Value, String> {
    let _ = table;
    match ty {
        Ty::String => Ok(Value::str(text)),
        Ty::Int => parse_int_text(text.trim())
            .map(Value::Int)
            .ok_or_else(|| "expected an Int".to_string()),
        Ty::Float => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .map(Value::Float)
            .ok_or_else(|| "expected a Float".to_string()),
        Ty::Bool => match text.trim() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err("expected `true` or `false`".to_string()),
        },
        Ty::Refined(base, _) => read_param(text, base, table),
        Ty::Lit(Value::Str(s)) if **s == *text => Ok(Value::str(text)),
        Ty::Lit(Value::Str(s)) => Err(format!("expected {s:?}")),
        Ty::Union(members) if members.iter().all(|m| matches!(m, Ty::Lit(Value::Str(_)))) => {
            if members
                .iter()
                .any(|m| matches!(m, Ty::Lit(Value::Str(s)) if **s == *text))
            {
                Ok(Value::str(text))
            } else {
                let allowed: Vec<String> = members.iter().map(|m| m.to_string()).collect();
                Err(format!("expected one of {}", allowed.join(", ")))
            }
        }
        Ty::Union(members) if members.iter().any(|m| matches!(m, Ty::Null)) => {
            if text.trim() == "null" {
                return Ok(Value::Null);
            }
            let rest: Vec<Ty> = members
                .iter()
                .filter(|m| !matches!(m, Ty::Null))
                .cloned()
                .collect();
            match rest.as_slice() {
                [one] => read_param(text, one, table),
                _ => read_param(text, &Ty::Union(rest), table),
            }
        }
        _ => read_structured(text),
    }
}

/// An Int written as in Cairn: `1000`, `1_000`, `-5`, `0x1F`, `0o755`, `0b1010`.
fn parse_int_text(text: &str) -> Option<i64> {
    let clean: String = text.chars().filter(|c| *c != '_').collect();
    let (neg, body) = match clean.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, clean.strip_prefix('+').unwrap_or(&clean)),
    };
    let (radix, digits) = match body.get(..2) {
        Some("0x") => (16, &body[2..]),
        Some("0o") => (8, &body[2..]),
        Some("0b") => (2, &body[2..]),
        _ => (10, body),
    };
    let magnitude = i128::from(u64::from_str_radix(digits, radix).ok()?);
    i64::try_from(if neg { -magnitude } else { magnitude }).ok()
}

/// A structured parameter value is written as YAML (which includes JSON).
fn read_structured(text: &str) -> Result<Value, String> {
    serde_yaml_ng::from_str::<Value>(text).map_err(|e| {
        // serde_yaml's positions ("at line 2 column 1") mean little for a one-line value.
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        format!("not valid YAML or JSON: {msg}")
    })
}

trait MapHelp {
    fn map_help(self, help: impl Into<String>) -> Self;
}

impl MapHelp for Box<Diagnostic> {
    fn map_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

#[cfg(test)]
mod budget_tests {
    use super::*;

    fn run(src: &str, limits: Limits) -> Evaluation {
        let parsed = crate::syntax::parse(FileId::default(), src);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let program = Program::single(parsed.module);
        evaluate_streaming(&program, &IndexMap::new(), &[], None, limits)
    }

    fn codes(e: &Evaluation) -> Vec<&'static str> {
        e.diagnostics.iter().map(|d| d.code.id).collect()
    }

    #[test]
    fn steps_run_out_once_and_stop_the_run() {
        let limits = Limits {
            max_steps: 1000,
            ..Limits::default()
        };
        let src = "a: len([for i in range(100): i])\n\
                   b: len([for i in range(10000): i])\n\
                   c: len([for i in range(10000): i])\n";
        let e = run(src, limits);
        assert_eq!(codes(&e), ["E0150"]);
        // What came before the budget ran out was evaluated.
        assert_eq!(e.document.get("a"), Some(&Value::Int(100)));
        assert_eq!(e.document.get("c"), None);
        // Just enough.
        let e = run("a: len([for i in range(100): i])\n", limits);
        assert!(e.diagnostics.is_empty());
    }

    #[test]
    fn memory_counts_what_is_built_kept_or_not() {
        let limits = Limits {
            max_memory: 100_000,
            ..Limits::default()
        };
        // 5,000 elements of 16 bytes: 80,000 bytes, kept.
        assert!(run("xs: range(5000)\n", limits).diagnostics.is_empty());
        // Built again and again, kept or not.
        let e = run("n: len([for i in range(10): len(range(5000))])\n", limits);
        assert_eq!(codes(&e), ["E0151"]);
        // Refused before it is built: the message names the budget.
        let e = run("xs: range(10000)\n", limits);
        assert_eq!(codes(&e), ["E0151"]);
        assert!(
            e.diagnostics[0].message.contains("97.7 KiB"),
            "{}",
            e.diagnostics[0].message
        );
    }

    #[test]
    fn the_output_is_counted_once_for_the_whole_run() {
        let limits = Limits {
            max_memory: 5000,
            ..Limits::default()
        };
        // One list in memory (3,200 bytes), written out four times (about 1,400 bytes each):
        // each field fits, not all of them together. One diagnostic, at the field that passes.
        let src = "let r = range(200)\na: r\nb: r\nc: r\nd: r\n";
        let e = run(src, limits);
        assert_eq!(codes(&e), ["E0152"]);
        let at = e.diagnostics[0].primary().map(|l| l.span.start as usize);
        assert_eq!(at, src.find("d: r"));
    }

    #[test]
    fn numbers_for_messages() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(200_000_000), "200,000,000");
        assert_eq!(bytes_text(256 * 1024 * 1024), "256 MiB");
        assert_eq!(bytes_text(3 << 29), "1.5 GiB");
        assert_eq!(bytes_text(1000), "1000 bytes");
        assert_eq!(Limits::default().max_output(), 256 * 1024 * 1024);
    }
}
