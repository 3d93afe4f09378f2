//! The embedding API: load sources, set parameters, evaluate, and read the result — as values,
//! as serde-deserialized host types, or as diagnostics.

use std::fmt;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::de::DeserializeOwned;

use crate::diagnostics::{Diagnostic, codes, render};
use crate::eval::{self, ParamValue, ResourceInstance};
use crate::modules::{self, Program};
use crate::source::{FileId, FsLoader, Loader, SourceMap};
use crate::syntax;
use crate::value::Value;

/// Loads and evaluates Cairn programs.
///
/// ```
/// let mut engine = cairn::Engine::new();
/// engine.param("env", "prod");
/// let out = engine.evaluate_str("app.cairn", r#"
///     param env: String = "dev"
///     replicas: if env == "prod" { 3 } else { 1 }
/// "#);
/// assert!(!out.has_errors());
/// assert_eq!(out.document.get("replicas"), Some(&cairn::Value::Int(3)));
/// ```
pub struct Engine {
    loader: Box<dyn Loader>,
    params: IndexMap<String, ParamValue>,
    /// `CAIRN_PARAM_<NAME>` variables handed over by the host, used for declared parameters
    /// that got no other value.
    env_params: Vec<(String, String)>,
    sources: SourceMap,
    /// Loads plugins (and caches their compiled code, when the host chose a cache).
    plugins: crate::plugin::Host,
    /// What one evaluation may spend.
    limits: eval::Limits,
}

impl Default for Engine {
    fn default() -> Engine {
        Engine::new()
    }
}

/// The prefix of environment variables that set parameters.
pub const ENV_PREFIX: &str = "CAIRN_PARAM_";

/// What a program declares: its parameters and schemas.
#[derive(Clone, Debug)]
pub struct Description {
    pub params: Vec<ParamInfo>,
    pub schemas: Vec<SchemaInfo>,
    table: crate::types::TypeTable,
}

impl Description {
    /// The program's schemas as a JSON Schema (draft 2020-12) document; with `root`, the
    /// document validates that schema. `None` when `root` names no schema.
    pub fn json_schema(&self, root: Option<&str>) -> Option<serde_json::Value> {
        if let Some(r) = root
            && self.table.schema(r).is_none()
        {
            return None;
        }
        Some(crate::types::json_schema::document(&self.table, root))
    }
}

/// A declared parameter.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ParamInfo {
    pub name: String,
    /// The declared type as written.
    pub ty: Option<String>,
    /// The default as written.
    pub default: Option<String>,
    pub doc: Option<String>,
    /// The environment variable that sets it.
    pub env: String,
}

/// A schema, with its fields (inherited ones included).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SchemaInfo {
    pub name: String,
    pub doc: Option<String>,
    pub extends: Vec<String>,
    pub fields: Vec<FieldInfo>,
    /// How many `check` clauses it has.
    pub checks: usize,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FieldInfo {
    pub name: String,
    pub ty: String,
    pub optional: bool,
    pub default: Option<String>,
    pub doc: Option<String>,
}

/// What linting a program found.
#[derive(Clone, Debug)]
pub struct LintRun {
    /// The program's problems, then the lint findings.
    pub diagnostics: Vec<Diagnostic>,
    /// The safe fixes the findings offer (`cairn lint --fix`).
    pub fixes: Vec<crate::lint::Fix>,
}

/// The result of an evaluation: what could be computed, and every diagnostic.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The module document (the object of top-level fields).
    pub document: Value,
    /// The resources the program declares, in declaration order.
    pub resources: Vec<ResourceInstance>,
    /// Whether the program declares resources (even if none was produced this time).
    pub declares_resources: bool,
    /// Errors and warnings, ordered by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// The file evaluated.
    pub file: Option<FileId>,
    /// The plugins the program loaded (their policies run over the resources).
    pub plugins: Vec<std::sync::Arc<crate::plugin::Plugin>>,
    /// The limits the evaluation ran under ([`Outcome::render`] keeps to `max_memory` too).
    pub limits: eval::Limits,
}

impl Outcome {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The text `cairn export` writes: resources as a stream (a YAML stream with `---` before
    /// each document, a JSON array), or the module document alone.
    pub fn render(
        &self,
        selection: crate::export::Selection,
        format: crate::export::Format,
    ) -> Result<String, crate::export::ExportError> {
        let docs = self.documents(selection);
        let max = self.limits.max_output();
        if selection == crate::export::Selection::Auto && self.declares_resources {
            crate::export::render_stream_limited(&docs, format, max)
        } else {
            crate::export::render_limited(&docs, format, max)
        }
    }

    /// The documents `cairn export` writes (see [`crate::export`] for the rule).
    pub fn documents(&self, selection: crate::export::Selection) -> Vec<&Value> {
        crate::export::select(
            &self.document,
            &self.resources,
            self.declares_resources,
            selection,
        )
    }

    fn failed(diagnostics: Vec<Diagnostic>, file: Option<FileId>, limits: eval::Limits) -> Outcome {
        Outcome {
            document: Value::Null,
            resources: Vec::new(),
            declares_resources: false,
            diagnostics,
            file,
            plugins: Vec::new(),
            limits,
        }
    }

    /// Runs the policies of the program's plugins over its resources (`cairn plan` and
    /// `cairn apply` do, before planning): a diagnostic for every denial, at the resource.
    pub fn check_policies(&self) -> Vec<Diagnostic> {
        let resources: Vec<crate::plugin::PolicyResource<'_>> = self
            .resources
            .iter()
            .map(|r| crate::plugin::PolicyResource {
                address: r.address(),
                type_path: &r.type_path,
                attributes: &r.body,
                file: r.file,
                span: r.span,
            })
            .collect();
        let mut out = crate::plugin::check_policies(&self.plugins, &resources);
        crate::diagnostics::sort(&mut out);
        out
    }
}

/// Evaluation failed; holds the diagnostics and the sources needed to render them.
///
/// Both `Display` and `Debug` render the diagnostics as text, so `fn main() -> Result<(),
/// cairn::Error>` prints them readably.
#[derive(Clone)]
pub struct Error {
    pub diagnostics: Vec<Diagnostic>,
    pub sources: SourceMap,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            f.write_str(&render::plain(d, &self.sources))?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {}

impl Engine {
    /// An engine that reads files from the file system.
    pub fn new() -> Engine {
        Engine::with_loader(FsLoader)
    }

    /// An engine that reads files through `loader` (for example a [`crate::MemoryLoader`]).
    pub fn with_loader(loader: impl Loader + 'static) -> Engine {
        Engine {
            loader: Box::new(loader),
            params: IndexMap::new(),
            env_params: Vec::new(),
            sources: SourceMap::new(),
            plugins: crate::plugin::Host::default(),
            limits: eval::Limits::default(),
        }
    }

    /// Sets what one evaluation may spend (work and memory; see [`eval::Limits`]): a program
    /// that passes a limit ends in a diagnostic (E0150, E0151, E0152) instead of running on.
    ///
    /// ```
    /// let mut engine = cairn::Engine::new();
    /// engine.limits(cairn::eval::Limits {
    ///     max_steps: 10_000_000,
    ///     max_memory: 16 * 1024 * 1024,
    /// });
    /// let out = engine.evaluate_str("big.cairn", "xs: range(2000000)");
    /// assert_eq!(out.diagnostics[0].code.id, "E0151");
    /// ```
    pub fn limits(&mut self, limits: eval::Limits) -> &mut Engine {
        self.limits = limits;
        self
    }

    /// An engine that reads files as they are at the Git revision `rev` (a sha, `HEAD~2`, a
    /// branch, a tag) of the repository `path` is in: from the object database, without a
    /// checkout. Paths given to it afterwards are the same as on disk.
    ///
    /// ```no_run
    /// let mut engine = cairn::Engine::at_revision(".", "v1.2.0")?;
    /// let out = engine.evaluate_file("config/app.cairn");
    /// # Ok::<(), cairn::history::Error>(())
    /// ```
    pub fn at_revision(
        path: impl AsRef<std::path::Path>,
        rev: &str,
    ) -> Result<Engine, crate::history::Error> {
        let repo = crate::history::Repo::discover(path.as_ref())?;
        let commit = repo.resolve(rev)?;
        Ok(Engine::with_loader(repo.loader(&commit)?))
    }

    /// Shares `host` (the wasmtime engine and the plugins it has compiled) with this engine,
    /// so engines made for the same project — one per revision, one per edit — compile each
    /// plugin once. Each engine has a host of its own otherwise. Compiled code is kept in
    /// memory only (see [`crate::plugin::cache`]).
    pub fn plugin_host(&mut self, host: crate::plugin::Host) -> &mut Engine {
        self.plugins = host;
        self
    }

    /// Sets a parameter to a value.
    pub fn param(&mut self, name: impl Into<String>, value: impl Into<Value>) -> &mut Engine {
        self.params
            .insert(name.into(), ParamValue::Value(value.into()));
        self
    }

    /// Sets a parameter from text, read according to its declared type (as `--param` does).
    pub fn param_text(&mut self, name: impl Into<String>, text: impl Into<String>) -> &mut Engine {
        self.params
            .insert(name.into(), ParamValue::Text(text.into()));
        self
    }

    /// Offers environment variables as parameter values: `CAIRN_PARAM_<NAME>` (the parameter's
    /// name in upper case) sets parameter `<name>` unless it was set otherwise. Other variables
    /// are ignored. The engine never reads the environment itself; the host passes it in.
    pub fn params_from_env(
        &mut self,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> &mut Engine {
        self.env_params.extend(
            vars.into_iter()
                .filter_map(|(k, v)| k.strip_prefix(ENV_PREFIX).map(|n| (n.to_string(), v))),
        );
        self
    }

    /// Sets parameters from a YAML or JSON object (`--params FILE`): each field a parameter.
    /// Parameters set already keep their value.
    pub fn params_from_document(
        &mut self,
        name: &str,
        text: &str,
    ) -> Result<&mut Engine, Box<Diagnostic>> {
        let bad = |why: String| {
            Box::new(
                Diagnostic::error(
                    codes::INVALID_PARAM,
                    format!("cannot read parameters from {name}: {why}"),
                )
                .with_help("write the parameters as a YAML or JSON object: `env: prod`"),
            )
        };
        let value: Value = serde_yaml_ng::from_str(text).map_err(|e| bad(e.to_string()))?;
        let Value::Object(fields) = value else {
            return Err(bad(format!(
                "expected an object, found {}",
                value.describe()
            )));
        };
        for (k, v) in fields.iter() {
            if !self.params.contains_key(&**k) {
                self.params
                    .insert(k.to_string(), ParamValue::Value(v.clone()));
            }
        }
        Ok(self)
    }

    /// The parameters for a module: those set, then `CAIRN_PARAM_` variables for declared
    /// parameters still without a value.
    fn params_for(&self, program: &Program) -> IndexMap<String, ParamValue> {
        let mut params = self.params.clone();
        for item in &program.module.items {
            if program.unit_of(item.file) != 0 {
                continue;
            }
            if let crate::syntax::ast::ItemKind::Param(p) = &item.kind {
                let name = p.name.name.to_string();
                if params.contains_key(&name) {
                    continue;
                }
                let wanted = name.to_uppercase();
                if let Some((_, v)) = self.env_params.iter().rev().find(|(k, _)| *k == wanted) {
                    params.insert(name, ParamValue::Text(v.clone()));
                }
            }
        }
        params
    }

    /// The files loaded so far, for rendering diagnostics.
    pub fn sources(&self) -> &SourceMap {
        &self.sources
    }

    /// The source map, to add text held in memory (then [`Engine::program`] or
    /// [`Engine::evaluate`] it by its id).
    pub fn sources_mut(&mut self) -> &mut SourceMap {
        &mut self.sources
    }

    /// Loads a file into the source map.
    pub fn load(&mut self, path: &Path) -> Result<FileId, Box<Diagnostic>> {
        match self.loader.load(path) {
            Ok(text) => Ok(self.sources.add(path.display().to_string(), text)),
            Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => Err(Box::new(
                crate::source::source_too_large(&path.display().to_string()),
            )),
            Err(e) => Err(Box::new(
                Diagnostic::error(codes::IO, format!("cannot read {}: {e}", path.display()))
                    .with_help("check the path and its permissions"),
            )),
        }
    }

    /// Evaluates the program at `path`: a file, or a package folder (all its `.cairn` files).
    pub fn evaluate_file(&mut self, path: impl AsRef<Path>) -> Outcome {
        self.evaluate_path(path.as_ref(), None)
    }

    /// Like [`Engine::evaluate_file`], handing each resource to `sink` as
    /// [`Engine::evaluate_streaming`] does.
    pub fn evaluate_file_streaming(
        &mut self,
        path: impl AsRef<Path>,
        sink: &mut dyn FnMut(&ResourceInstance),
    ) -> Outcome {
        self.evaluate_path(path.as_ref(), Some(sink))
    }

    fn evaluate_path(
        &mut self,
        path: &Path,
        sink: Option<&mut dyn FnMut(&ResourceInstance)>,
    ) -> Outcome {
        let (program, problems) = self.load_program(path);
        self.run_program(program, problems, sink)
    }

    /// Loads the program at `path` (a file or a package folder) with every module it imports.
    pub fn load_program(&mut self, path: &Path) -> (Program, Vec<Diagnostic>) {
        let path = if path.as_os_str().is_empty() {
            Path::new(".")
        } else {
            path
        };
        if self.loader.is_dir(path) {
            return modules::link_with(
                &*self.loader,
                &mut self.sources,
                modules::Entry::Path(path),
                &self.plugins,
                None,
            );
        }
        match self.load(path) {
            Ok(file) => self.program(file),
            Err(d) => {
                let empty = syntax::ast::Module {
                    file: FileId::default(),
                    items: Vec::new(),
                    comments: Vec::new(),
                };
                (Program::single(empty), vec![*d])
            }
        }
    }

    /// Lints the program at `path` (a file or a package folder): the program's own problems
    /// (syntax, types, evaluation) come first, then the findings of the enabled lint rules,
    /// with the safe fixes they offer. Levels come from `[lint]` in the project's cairn.toml.
    pub fn lint(&mut self, path: &Path) -> LintRun {
        let (program, problems) = self.load_program(path);
        if problems.iter().any(Diagnostic::is_error) {
            return LintRun {
                diagnostics: problems,
                fixes: Vec::new(),
            };
        }
        let settings = program
            .project
            .as_ref()
            .map(|p| p.lint.clone())
            .unwrap_or_default();
        let config = match crate::lint::Config::from_settings(&settings) {
            Ok(c) => c,
            Err(m) => {
                return LintRun {
                    diagnostics: vec![
                        Diagnostic::error(codes::PROJECT_FILE, m)
                            .with_help("the rules and groups are listed in docs/lint-rules.md"),
                    ],
                    fixes: Vec::new(),
                };
            }
        };
        let out = self.run_program(program.clone(), problems, None);
        let mut diagnostics: Vec<Diagnostic> = out.diagnostics.clone();
        let cx = crate::lint::Context::new(&program, &self.sources, &out.resources, &out.document);
        let (found, fixes) = crate::lint::run(&cx, &config);
        diagnostics.extend(found);
        LintRun { diagnostics, fixes }
    }

    /// The reference documentation (Markdown) of a module: `std.<name>` for the standard
    /// library, or the path of a file or package folder (`cairn doc`).
    pub fn document(&mut self, target: &str) -> Result<String, Vec<Diagnostic>> {
        let is_std = target.starts_with("std.") && !self.loader.is_file(Path::new(target));
        let (program, problems) = if is_std {
            let file = self
                .sources
                .add("<doc>", format!("import {target} as module\n"));
            self.program(file)
        } else {
            self.load_program(Path::new(target))
        };
        if problems.iter().any(Diagnostic::is_error) {
            return Err(problems);
        }
        let unit = if is_std {
            program.import(0, "module").unwrap_or(0)
        } else {
            0
        };
        Ok(crate::doc::module_markdown(
            &program,
            unit,
            &self.sources,
            target,
            1,
        ))
    }

    /// Loads the program whose entry is `file`, with every module it imports.
    pub fn program(&mut self, file: FileId) -> (Program, Vec<Diagnostic>) {
        modules::link_with(
            &*self.loader,
            &mut self.sources,
            modules::Entry::File(file),
            &self.plugins,
            None,
        )
    }

    /// Evaluates source text held in memory; `name` is shown in diagnostics.
    pub fn evaluate_str(&mut self, name: &str, text: &str) -> Outcome {
        let file = self.sources.add(name, text);
        self.evaluate(file)
    }

    /// Evaluates a loaded file. Syntax errors stop before evaluation, so that a broken item does
    /// not cascade into errors about names it would have defined.
    pub fn evaluate(&mut self, file: FileId) -> Outcome {
        self.run(file, None)
    }

    /// Evaluates a loaded file, handing each resource to `sink` as soon as it is known to be
    /// part of the output, in declaration order, instead of collecting them: a large program
    /// is exported without holding its whole value tree. The outcome has the module document
    /// and the diagnostics but no resources; what the sink received is usable only when there
    /// are no errors.
    pub fn evaluate_streaming(
        &mut self,
        file: FileId,
        sink: &mut dyn FnMut(&ResourceInstance),
    ) -> Outcome {
        self.run(file, Some(sink))
    }

    fn run(&mut self, file: FileId, sink: Option<&mut dyn FnMut(&ResourceInstance)>) -> Outcome {
        let (program, problems) = self.program(file);
        self.run_program(program, problems, sink)
    }

    fn run_program(
        &mut self,
        program: Program,
        problems: Vec<Diagnostic>,
        sink: Option<&mut dyn FnMut(&ResourceInstance)>,
    ) -> Outcome {
        let file = program.module.file;
        if problems.iter().any(Diagnostic::is_error) {
            let mut problems = problems;
            crate::diagnostics::sort(&mut problems);
            return Outcome::failed(problems, Some(file), self.limits);
        }
        let checked = crate::check::check_program(&program);
        // Items with a type error are not evaluated (that would report the error again), nor is
        // anything that depends on them; every other item still is, so all errors of the run
        // are reported. Output is only usable without errors.
        let failed: Vec<usize> = checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .filter_map(|d| d.primary())
            .filter_map(|l| {
                program.module.items.iter().position(|i| {
                    i.file == l.file
                        && i.span.start <= l.span.start
                        && l.span.start < i.span.end.max(i.span.start + 1)
                })
            })
            .collect();
        let params = self.params_for(&program);
        let ev = eval::evaluate_streaming(&program, &params, &failed, sink, self.limits);
        let mut diagnostics = problems;
        diagnostics.extend(checked.diagnostics);
        diagnostics.extend(ev.diagnostics);
        crate::diagnostics::sort(&mut diagnostics);
        Outcome {
            document: ev.document,
            resources: ev.resources,
            declares_resources: ev.declares_resources,
            diagnostics,
            file: Some(file),
            plugins: program.plugins(),
            limits: self.limits,
        }
    }

    /// Evaluates `expr` in the scope of the program in `file` (`cairn eval -e`).
    pub fn evaluate_expr(&mut self, file: FileId, expr: &str) -> Result<Value, Vec<Diagnostic>> {
        let (program, problems) = self.program(file);
        self.evaluate_expr_in(program, problems, expr)
    }

    /// Like [`Engine::evaluate_expr`], for the program at `path` (a file or a package folder).
    pub fn evaluate_expr_path(
        &mut self,
        path: impl AsRef<Path>,
        expr: &str,
    ) -> Result<Value, Vec<Diagnostic>> {
        let (program, problems) = self.load_program(path.as_ref());
        self.evaluate_expr_in(program, problems, expr)
    }

    fn evaluate_expr_in(
        &mut self,
        program: Program,
        problems: Vec<Diagnostic>,
        expr: &str,
    ) -> Result<Value, Vec<Diagnostic>> {
        if problems.iter().any(Diagnostic::is_error) {
            return Err(problems);
        }
        let checked = crate::check::check_program(&program);
        if checked.diagnostics.iter().any(Diagnostic::is_error) {
            return Err(checked.diagnostics);
        }
        let expr_file = self.sources.add("<expression>", expr);
        let e = syntax::parse_expr(expr_file, expr)?;
        let params = self.params_for(&program);
        eval::evaluate_expr(&program, &params, &e, expr_file, self.limits)
    }

    /// The parameters and schemas a program declares, with their types and docs; for
    /// `cairn params`, `cairn schema` and hosts that want to show or validate configuration.
    pub fn describe(&mut self, file: FileId) -> Result<Description, Vec<Diagnostic>> {
        let (program, problems) = self.program(file);
        self.describe_program(program, problems)
    }

    /// Like [`Engine::describe`], for the program at `path` (a file or a package folder).
    pub fn describe_path(
        &mut self,
        path: impl AsRef<Path>,
    ) -> Result<Description, Vec<Diagnostic>> {
        let (program, problems) = self.load_program(path.as_ref());
        self.describe_program(program, problems)
    }

    fn describe_program(
        &mut self,
        program: Program,
        problems: Vec<Diagnostic>,
    ) -> Result<Description, Vec<Diagnostic>> {
        if problems.iter().any(Diagnostic::is_error) {
            return Err(problems);
        }
        let mut types = crate::types::Types::new(&program);
        let problems = types.take_diagnostics();
        if problems.iter().any(Diagnostic::is_error) {
            return Err(problems);
        }
        let sources = &self.sources;
        let source = |file: FileId, span: crate::syntax::ast::Span| {
            sources
                .text(file)
                .get(span.range())
                .unwrap_or_default()
                .to_string()
        };
        let mut params = Vec::new();
        for item in &program.module.items {
            if program.unit_of(item.file) != 0 {
                continue;
            }
            if let crate::syntax::ast::ItemKind::Param(p) = &item.kind {
                params.push(ParamInfo {
                    name: p.name.name.to_string(),
                    ty: p.ty.as_ref().map(crate::types::type_text),
                    default: p.default.as_ref().map(|d| source(item.file, d.span)),
                    doc: item.doc.as_ref().map(|d| d.text.clone()),
                    env: format!("{ENV_PREFIX}{}", p.name.name.to_uppercase()),
                });
            }
        }
        let table = types.table().clone();
        let schemas = table
            .order
            .iter()
            .filter_map(|n| table.schema(n))
            .filter(|s| program.unit_of(s.file) == 0)
            .map(|s| SchemaInfo {
                name: s.name.to_string(),
                doc: s.doc.clone(),
                extends: s.extends.iter().map(|e| e.to_string()).collect(),
                fields: s
                    .fields
                    .iter()
                    .map(|f| FieldInfo {
                        name: f.name.to_string(),
                        ty: f.ty_text.clone(),
                        optional: f.optional,
                        default: f.default.as_ref().map(|d| source(s.file, d.span)),
                        doc: f.doc.clone(),
                    })
                    .collect(),
                checks: s.checks.len(),
            })
            .collect();
        Ok(Description {
            params,
            schemas,
            table,
        })
    }

    /// Evaluates `path` and deserializes its module document into `T`.
    pub fn load_into<T: DeserializeOwned>(&mut self, path: impl AsRef<Path>) -> Result<T, Error> {
        let out = self.evaluate_file(path);
        self.to_host(out)
    }

    /// Evaluates `text` and deserializes its module document into `T`.
    pub fn load_str_into<T: DeserializeOwned>(
        &mut self,
        name: &str,
        text: &str,
    ) -> Result<T, Error> {
        let out = self.evaluate_str(name, text);
        self.to_host(out)
    }

    fn to_host<T: DeserializeOwned>(&self, out: Outcome) -> Result<T, Error> {
        if out.has_errors() {
            return Err(Error {
                diagnostics: out.diagnostics,
                sources: self.sources.clone(),
            });
        }
        crate::value::de::from_value(&out.document).map_err(|e| {
            let mut d = Diagnostic::error(
                codes::HOST_TYPE,
                format!("the configuration does not fit the host type: {e}"),
            )
            .with_help("change the configuration, or the Rust type it is read into");
            if let Some(file) = out.file {
                d = d.with_note(format!("in {}", self.sources.name(file)));
            }
            Error {
                diagnostics: vec![d],
                sources: self.sources.clone(),
            }
        })
    }
}

/// Evaluates the Cairn file at `path` and deserializes its module document into `T`.
///
/// ```no_run
/// #[derive(serde::Deserialize)]
/// struct Config { port: u16 }
/// let cfg: Config = cairn::from_path("app.cairn")?;
/// # Ok::<(), cairn::Error>(())
/// ```
pub fn from_path<T: DeserializeOwned>(path: impl Into<PathBuf>) -> Result<T, Error> {
    Engine::new().load_into(path.into())
}

/// Evaluates Cairn source text and deserializes its module document into `T`.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Config { port: u16, hosts: Vec<String> }
/// let cfg: Config = cairn::from_str(r#"
///     let base = 8000
///     port: base + 80
///     hosts: [for i in range(2): "node-${i}"]
/// "#)?;
/// assert_eq!(cfg.port, 8080);
/// assert_eq!(cfg.hosts, ["node-0", "node-1"]);
/// # Ok::<(), cairn::Error>(())
/// ```
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    Engine::new().load_str_into("<string>", text)
}
