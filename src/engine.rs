//! The embedding API: load sources, set parameters, evaluate, and read the result — as values,
//! as serde-deserialized host types, or as diagnostics.

use std::fmt;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::de::DeserializeOwned;

use crate::diagnostics::{Diagnostic, codes, render};
use crate::eval::{self, ParamValue, ResourceInstance};
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
    sources: SourceMap,
}

impl Default for Engine {
    fn default() -> Engine {
        Engine::new()
    }
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
}

impl Outcome {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
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

    fn failed(diagnostics: Vec<Diagnostic>, file: Option<FileId>) -> Outcome {
        Outcome {
            document: Value::Null,
            resources: Vec::new(),
            declares_resources: false,
            diagnostics,
            file,
        }
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
            sources: SourceMap::new(),
        }
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

    /// The files loaded so far, for rendering diagnostics.
    pub fn sources(&self) -> &SourceMap {
        &self.sources
    }

    /// Loads a file into the source map.
    pub fn load(&mut self, path: &Path) -> Result<FileId, Box<Diagnostic>> {
        match self.loader.load(path) {
            Ok(text) => Ok(self.sources.add(path.display().to_string(), text)),
            Err(e) => Err(Box::new(
                Diagnostic::error(codes::IO, format!("cannot read {}: {e}", path.display()))
                    .with_help("check the path and its permissions"),
            )),
        }
    }

    /// Evaluates the file at `path`.
    pub fn evaluate_file(&mut self, path: impl AsRef<Path>) -> Outcome {
        match self.load(path.as_ref()) {
            Ok(file) => self.evaluate(file),
            Err(d) => Outcome::failed(vec![*d], None),
        }
    }

    /// Evaluates source text held in memory; `name` is shown in diagnostics.
    pub fn evaluate_str(&mut self, name: &str, text: &str) -> Outcome {
        let file = self.sources.add(name, text);
        self.evaluate(file)
    }

    /// Evaluates a loaded file. Syntax errors stop before evaluation, so that a broken item does
    /// not cascade into errors about names it would have defined.
    pub fn evaluate(&mut self, file: FileId) -> Outcome {
        let text = self.sources.text(file).to_string();
        let parsed = syntax::parse(file, &text);
        if !parsed.errors.is_empty() {
            return Outcome::failed(parsed.errors, Some(file));
        }
        let ev = eval::evaluate(&parsed.module, &self.params);
        Outcome {
            document: ev.document,
            resources: ev.resources,
            declares_resources: ev.declares_resources,
            diagnostics: ev.diagnostics,
            file: Some(file),
        }
    }

    /// Evaluates `expr` in the scope of the program in `file` (`cairn eval -e`).
    pub fn evaluate_expr(&mut self, file: FileId, expr: &str) -> Result<Value, Vec<Diagnostic>> {
        let text = self.sources.text(file).to_string();
        let parsed = syntax::parse(file, &text);
        if !parsed.errors.is_empty() {
            return Err(parsed.errors);
        }
        let expr_file = self.sources.add("<expression>", expr);
        let e = syntax::parse_expr(expr_file, expr)?;
        eval::evaluate_expr(&parsed.module, &self.params, &e, expr_file)
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
