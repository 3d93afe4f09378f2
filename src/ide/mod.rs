//! The IDE layer: what an editor asks about a program, answered as plain data.
//!
//! A [`Workspace`] holds the documents open in an editor over a [`Loader`] for everything else;
//! an [`Analysis`] is one document linked with what it imports and type-checked, and answers
//! questions at byte offsets: diagnostics, completion, hover, definition, references, rename,
//! symbols, formatting, semantic tokens, inlay hints, signature help and code actions. Nothing
//! here knows about LSP; the `cairn-lsp` crate converts positions ([`LineIndex`]) and messages.
//!
//! Invariants: the layer does no I/O of its own (text comes through the workspace's loader);
//! no input text makes it panic (broken and incomplete files are the normal case); answers are
//! deterministic (sorted, no hash-map order).

mod actions;
mod completion;
mod diagnostics;
mod fields;
mod hover;
mod line_index;
mod repair;
mod resolve;
mod symbols;
mod tokens;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use actions::{CodeAction, TextEdit};
pub use completion::{CompletionItem, CompletionKind};
pub use diagnostics::{Diagnostic, Related};
pub use hover::{Hover, SignatureHelp};
pub use line_index::{LineIndex, Position, PositionCursor};
pub use resolve::Location;
pub use symbols::{InlayHint, Symbol, SymbolKind};
pub use tokens::{SemanticToken, TokenKind};

use crate::check::Probe;
use crate::modules::{self, Program};
use crate::source::{FileId, Loader, SourceMap};
use crate::syntax::ast::Span;
use crate::types::TypeTable;

/// Which file a location is in: a path, or a file of the embedded standard library (which the
/// editor shows from a copy the server writes out).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKey {
    Path(PathBuf),
    /// A file of the standard library by its path under `stdlib/`: `k8s/types.cairn`.
    Std(String),
}

/// The documents open in an editor, over a loader for every other file.
#[derive(Clone)]
pub struct Workspace {
    docs: BTreeMap<PathBuf, Arc<str>>,
    /// Files of the workspace that are not open (found by the host), for workspace-wide
    /// references, rename and symbols.
    known: Vec<PathBuf>,
    base: Arc<dyn Loader + Send + Sync>,
    /// Parses of files kept between analyses (shared by the workspace's copies).
    parses: Arc<modules::ParseCache>,
}

impl Workspace {
    pub fn new(base: Arc<dyn Loader + Send + Sync>) -> Workspace {
        Workspace {
            docs: BTreeMap::new(),
            known: Vec::new(),
            base,
            parses: Arc::default(),
        }
    }

    /// Opens or changes a document.
    pub fn set(&mut self, path: impl Into<PathBuf>, text: impl Into<Arc<str>>) {
        self.docs.insert(path.into(), text.into());
    }

    /// Closes a document: its text comes from the loader again.
    pub fn remove(&mut self, path: &Path) {
        self.docs.remove(path);
    }

    /// Sets the files of the workspace that the host found (open or not).
    pub fn set_known(&mut self, mut files: Vec<PathBuf>) {
        files.sort();
        files.dedup();
        self.known = files;
    }

    /// The text of a file: the open document, or what the loader reads.
    pub fn text(&self, path: &Path) -> Option<Arc<str>> {
        if let Some(t) = self.docs.get(path) {
            return Some(t.clone());
        }
        self.base.load(path).ok().map(Arc::from)
    }

    /// Every file of the workspace: the open documents and the known files, sorted.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = self.docs.keys().cloned().collect();
        out.extend(self.known.iter().cloned());
        out.sort();
        out.dedup();
        out
    }

    /// Parses a text as the document at `path` (the entry of its analysis), through the cache
    /// the analysis reads: the text a repair settles on is parsed once.
    pub(crate) fn parser(&self, path: &Path) -> impl Fn(&str) -> crate::syntax::Parse + '_ {
        let name = path.display().to_string();
        move |text: &str| self.parses.parse(FileId(0), &name, text)
    }

    /// Analyses a file as the entry of a program.
    pub fn analysis(&self, path: &Path) -> Option<Analysis> {
        let text = self.text(path)?;
        Some(Analysis::new(self, path, &text, None))
    }
}

/// Reads open documents first, then the workspace's loader.
struct Overlay<'a> {
    ws: &'a Workspace,
}

impl Loader for Overlay<'_> {
    fn load(&self, path: &Path) -> std::io::Result<String> {
        match self.ws.docs.get(&crate::source::normalize(path)) {
            Some(t) => Ok(t.to_string()),
            None => self.ws.base.load(path),
        }
    }

    fn is_file(&self, path: &Path) -> bool {
        self.ws.docs.contains_key(&crate::source::normalize(path)) || self.ws.base.is_file(path)
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.ws.base.is_dir(path)
    }

    fn list(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        self.ws.base.list(dir)
    }

    fn canonicalize(&self, path: &Path) -> PathBuf {
        self.ws.base.canonicalize(path)
    }
}

/// One document linked with everything it imports and type-checked.
pub struct Analysis {
    pub path: PathBuf,
    pub sources: SourceMap,
    pub program: Program,
    /// The document's file.
    pub file: FileId,
    /// Problems found while loading (syntax errors, missing modules).
    pub link_diagnostics: Vec<crate::Diagnostic>,
    /// The type checker's diagnostics.
    pub check_diagnostics: Vec<crate::Diagnostic>,
    /// What the checker saw around the probed offset (if one was asked for).
    pub probe: Probe,
    /// The program's schemas and aliases.
    pub types: TypeTable,
    pub line_index: LineIndex,
}

impl Analysis {
    /// Links and checks `text` as the document at `path`, recording what the checker sees at
    /// `probe` (a byte offset).
    pub fn new(ws: &Workspace, path: &Path, text: &str, probe: Option<usize>) -> Analysis {
        let mut sources = SourceMap::new();
        let file = sources.add(path.display().to_string(), text);
        let overlay = Overlay { ws };
        let (program, link_diagnostics) = modules::link_cached(
            &overlay,
            &mut sources,
            modules::Entry::File(file),
            Some(&ws.parses),
        );
        let offset = probe.map_or(u32::MAX, |o| o as u32);
        // The target of `x.name` at the offset does not hold it; its type is wanted too.
        let mut also = Vec::new();
        hover::each_expr(
            program.module.items.iter().filter(|i| i.file == file),
            &mut |e| {
                if let crate::syntax::ast::ExprKind::Field { target, name, .. } = &e.kind
                    && name.span.start <= offset
                    && offset <= name.span.end
                {
                    also.push(target.span);
                }
            },
        );
        let (checked, probe, types) = crate::check::probe_program(&program, file, offset, also);
        Analysis {
            path: path.to_path_buf(),
            sources,
            program,
            file,
            link_diagnostics,
            check_diagnostics: checked.diagnostics,
            probe,
            types,
            line_index: LineIndex::new(text),
        }
    }

    /// The document's text.
    pub fn text(&self) -> &str {
        self.sources.text(self.file)
    }

    /// Which file a file id of this analysis is.
    pub fn key(&self, file: FileId) -> FileKey {
        let unit = self.program.unit_of(file);
        let name = self.sources.name(file);
        if file == self.file {
            return FileKey::Path(self.path.clone());
        }
        match self.program.units.get(unit) {
            Some(u) if u.std => FileKey::Std(name.strip_prefix("std/").unwrap_or(name).to_string()),
            _ => FileKey::Path(PathBuf::from(name)),
        }
    }

    /// The items written in the document itself.
    pub fn own_items(&self) -> impl Iterator<Item = &crate::syntax::ast::Item> {
        self.program
            .module
            .items
            .iter()
            .filter(move |i| i.file == self.file)
    }

    /// The text of a span of any file of the analysis.
    pub fn slice(&self, file: FileId, span: Span) -> &str {
        self.sources.text(file).get(span.range()).unwrap_or("")
    }
}

/// The text of a standard library file by its path under `stdlib/` (`k8s/types.cairn`), for
/// hosts that show it.
pub fn std_text(path: &str) -> Option<&'static str> {
    let (module, file) = path.split_once('/')?;
    let m = crate::modules::stdlib::module(module)?;
    m.files.iter().find(|(f, _)| *f == file).map(|(_, t)| *t)
}

/// Every file of the standard library by its path under `stdlib/`.
pub fn std_files() -> Vec<(String, &'static str)> {
    crate::modules::stdlib::MODULES
        .iter()
        .flat_map(|m| {
            m.files
                .iter()
                .map(move |(f, t)| (format!("{}/{f}", m.name), *t))
        })
        .collect()
}

/// The symbols of parsed items (for hosts that only parse, like a document outline).
pub fn document_symbols(items: &[crate::syntax::ast::Item], text: &str) -> Vec<Symbol> {
    symbols::item_symbols(items, text)
}

impl Workspace {
    /// Signature help at `offset` in the document at `path` whose text is `text` (which may be
    /// incomplete there: `f(a, ` just typed).
    pub fn signature_help(&self, path: &Path, text: &str, offset: usize) -> Option<SignatureHelp> {
        let repaired = repair::with_placeholder(text, offset, &self.parser(path));
        let offset = offset.min(text.len());
        Analysis::new(self, path, &repaired, Some(offset)).signature_help(offset)
    }
}
