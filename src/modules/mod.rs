//! Modules: the files of a program, their imports, the project they belong to, and the
//! standard library.
//!
//! A *module* is a file, or a *package*: a folder whose `.cairn` files form one module (they
//! share one namespace, like the files of a Go package). `import "./lib/net.cairn" as net`
//! imports a file relative to the importing file; `import "lib/net"` (no `./`) looks the path up
//! in the project's source roots; `import std.k8s` imports a module of the standard library,
//! which is embedded in the binary (see [`stdlib`]).
//!
//! [`link`] loads the entry and everything it imports, each module once, parses every file
//! once, and reports missing modules, import cycles (naming the whole cycle) and imports that
//! escape the project root. The result is a [`Program`]: one [`Module`] holding the items of all
//! modules (the entry's first), and a [`Unit`] per module saying which files it has and what
//! its import aliases point to. The checker and the evaluator work on the whole program at
//! once and look names up per unit.

pub mod stdlib;

use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;
use serde::Deserialize;

use crate::diagnostics::{Diagnostic, codes, did_you_mean};
use crate::source::{FileId, Loader, SourceMap, normalize};
use crate::syntax::ast::{Ident, ImportTarget, Item, ItemKind, Module, Name, Span};

/// The name of the project file.
pub const PROJECT_FILE: &str = "cairn.toml";

/// The extension of source files.
pub const EXTENSION: &str = "cairn";

/// Identifies a module of a [`Program`]; the entry is `0`.
pub type UnitId = usize;

/// A project: the folder of its `cairn.toml` and what that file says.
#[derive(Clone, Debug, PartialEq)]
pub struct Project {
    /// The project root: imports cannot leave it.
    pub root: PathBuf,
    /// The `cairn.toml` read, if there is one.
    pub manifest: Option<PathBuf>,
    pub name: Option<String>,
    /// Folders that imports without `./` are looked up in, in order.
    pub roots: Vec<PathBuf>,
    /// `[lint]`: levels by rule or group name (checked by the linter).
    pub lint: std::collections::BTreeMap<String, String>,
    /// `[git]`: what `cairn apply` demands of the history it applies.
    pub git: GitSettings,
    /// `[plugins.<name>]`: the plugins a program imports as `plugins.<name>`, and the settings
    /// of any plugin imported by its path.
    pub plugins: std::collections::BTreeMap<String, PluginEntry>,
}

/// `[git]` in cairn.toml.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct GitSettings {
    /// Refuse to apply unless every commit since the last applied one is signed by an allowed
    /// key (as `--require-signed`).
    #[serde(default)]
    pub require_signed: bool,
    /// The allowed signers file (OpenSSH format, as Git's `gpg.ssh.allowedSignersFile`),
    /// relative to the project folder.
    #[serde(default)]
    pub allowed_signers: Option<String>,
}

/// A plugin declared in `cairn.toml`.
#[derive(Clone, Debug, PartialEq)]
pub struct PluginEntry {
    /// The `.wasm` file (normalized, inside the project).
    pub path: PathBuf,
    pub settings: crate::plugin::Settings,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    project: Option<ManifestProject>,
    lint: Option<std::collections::BTreeMap<String, String>>,
    git: Option<GitSettings>,
    plugins: Option<std::collections::BTreeMap<String, ManifestPlugin>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestPlugin {
    path: String,
    fuel: Option<u64>,
    memory: Option<toml::Value>,
    grant: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestProject {
    name: Option<String>,
    roots: Option<Vec<String>>,
}

impl Project {
    /// The project of a program at `entry` (a file or a package folder): the nearest folder at
    /// or above it holding a `cairn.toml`; without one, the folder of the entry.
    pub fn find(
        loader: &dyn Loader,
        sources: &mut SourceMap,
        entry: &Path,
    ) -> Result<Project, Box<Diagnostic>> {
        let entry = normalize(entry);
        let start = if loader.is_dir(&entry) {
            entry.clone()
        } else {
            entry.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        let mut dir = Some(start.as_path());
        while let Some(d) = dir {
            let manifest = d.join(PROJECT_FILE);
            if let Ok(text) = loader.load(&manifest) {
                let file = sources.add(manifest.display().to_string(), text.as_str());
                return Project::from_manifest(d, &manifest, file, &text);
            }
            dir = d.parent();
        }
        Ok(Project {
            root: start.clone(),
            manifest: None,
            name: None,
            roots: vec![start],
            lint: Default::default(),
            git: Default::default(),
            plugins: Default::default(),
        })
    }

    /// Reads a project file found in `dir`.
    pub fn from_manifest(
        dir: &Path,
        manifest: &Path,
        file: FileId,
        text: &str,
    ) -> Result<Project, Box<Diagnostic>> {
        let bad = |why: String, span: Option<std::ops::Range<usize>>| {
            let span = span.unwrap_or(0..0);
            Box::new(
                Diagnostic::error(
                    codes::PROJECT_FILE,
                    format!("cannot read {}: {why}", manifest.display()),
                )
                .at(file, Span::new(span.start, span.end), "here")
                .with_help(
                    "a project file looks like:\n[project]\nname = \"shop\"\nroots = [\"lib\"]",
                ),
            )
        };
        let m: Manifest =
            toml::from_str(text).map_err(|e| bad(e.message().trim().to_string(), e.span()))?;
        let lint = m.lint.unwrap_or_default();
        let p = m.project.unwrap_or(ManifestProject {
            name: None,
            roots: None,
        });
        let mut roots = Vec::new();
        for r in p.roots.unwrap_or_else(|| vec![".".into()]) {
            let path = normalize(&dir.join(&r));
            if Path::new(&r).is_absolute() || !path.starts_with(normalize(dir)) {
                let at = text.find(&r).map(|i| i..i + r.len());
                return Err(bad(
                    format!("source root `{r}` is outside the project folder"),
                    at,
                ));
            }
            roots.push(path);
        }
        let mut plugins = std::collections::BTreeMap::new();
        for (name, entry) in m.plugins.unwrap_or_default() {
            // Point at the entry's header, or at the offending value when it can be found.
            let header = text.find(&format!("plugins.{name}"));
            let near = |needle: &str| {
                header
                    .and_then(|h| text[h..].find(needle).map(|i| h + i..h + i + needle.len()))
                    .or(header.map(|h| h..h + 8 + name.len()))
            };
            let path = normalize(&dir.join(&entry.path));
            if Path::new(&entry.path).is_absolute() || !path.starts_with(normalize(dir)) {
                return Err(bad(
                    format!("the plugin `{}` is outside the project folder", entry.path),
                    near(&entry.path),
                ));
            }
            let mut settings = crate::plugin::Settings::default();
            if let Some(fuel) = entry.fuel {
                if fuel == 0 {
                    return Err(bad(
                        format!("plugin `{name}` needs some fuel"),
                        near("fuel"),
                    ));
                }
                settings.fuel = fuel;
            }
            match &entry.memory {
                None => {}
                Some(toml::Value::Integer(n)) if *n > 0 => settings.memory = *n as u64,
                Some(toml::Value::String(s))
                    if crate::plugin::parse_size(s).is_some_and(|n| n > 0) =>
                {
                    settings.memory = crate::plugin::parse_size(s).unwrap_or_default();
                }
                Some(_) => {
                    return Err(bad(
                        format!(
                            "the memory limit of plugin `{name}` is a size like \"16MiB\" or a number of bytes"
                        ),
                        near("memory"),
                    ));
                }
            }
            for g in entry.grant.unwrap_or_default() {
                match crate::plugin::Grant::parse(&g) {
                    Some(g) if !settings.grants.contains(&g) => settings.grants.push(g),
                    Some(_) => {}
                    None => {
                        let known: Vec<&str> =
                            crate::plugin::Grant::ALL.iter().map(|g| g.name()).collect();
                        return Err(bad(
                            format!(
                                "plugin `{name}` is granted `{g}`, which Cairn does not offer (it offers {})",
                                known.join(", ")
                            ),
                            near(&g),
                        ));
                    }
                }
            }
            plugins.insert(name, PluginEntry { path, settings });
        }
        Ok(Project {
            root: normalize(dir),
            manifest: Some(manifest.to_path_buf()),
            name: p.name,
            roots,
            lint,
            git: m.git.unwrap_or_default(),
            plugins,
        })
    }
}

/// One module of a program.
#[derive(Clone, Debug)]
pub struct Unit {
    /// How the module is shown: its path (relative to the project root) or `std.k8s`.
    pub name: String,
    /// The prefix of its schema and type names when shown outside it (`k8s.Deployment`); empty
    /// for the entry.
    pub qualifier: Name,
    pub files: Vec<FileId>,
    /// Its import aliases and the modules they name.
    pub imports: FxHashMap<Name, UnitId>,
    /// Part of the standard library.
    pub std: bool,
    /// The plugin, when the module is one: its manifest's functions are the unit's source.
    pub plugin: Option<std::sync::Arc<crate::plugin::Plugin>>,
}

/// A loaded program: every module it needs, parsed.
#[derive(Clone, Debug)]
pub struct Program {
    /// The items of every module, the entry's first; each item knows its file.
    pub module: Module,
    pub units: Vec<Unit>,
    /// The unit of each file, by file id (files not in the program map to the entry).
    unit_of_file: Vec<UnitId>,
    pub project: Option<Project>,
}

impl Program {
    /// A program of one parsed file, without imports resolved (for callers that evaluate a
    /// single module).
    pub fn single(module: Module) -> Program {
        let file = module.file;
        Program {
            units: vec![Unit {
                name: String::new(),
                qualifier: Name::from(""),
                files: vec![file],
                imports: FxHashMap::default(),
                std: false,
                plugin: None,
            }],
            module,
            unit_of_file: Vec::new(),
            project: None,
        }
    }

    /// The unit a file belongs to.
    pub fn unit_of(&self, file: FileId) -> UnitId {
        self.unit_of_file.get(file.0 as usize).copied().unwrap_or(0)
    }

    /// The module an import alias of `unit` names.
    pub fn import(&self, unit: UnitId, alias: &str) -> Option<UnitId> {
        self.units.get(unit)?.imports.get(alias).copied()
    }

    /// The plugin whose manifest `file` is, if it is one.
    pub fn plugin_of(&self, file: FileId) -> Option<&std::sync::Arc<crate::plugin::Plugin>> {
        self.units.get(self.unit_of(file))?.plugin.as_ref()
    }

    /// The plugins the program loaded, each once.
    pub fn plugins(&self) -> Vec<std::sync::Arc<crate::plugin::Plugin>> {
        self.units.iter().filter_map(|u| u.plugin.clone()).collect()
    }
}

/// Whether a name is private to its module.
pub fn is_private(name: &str) -> bool {
    name.starts_with('_')
}

/// The alias an import binds: the one written, or the last part of the path.
pub fn import_alias(target: &ImportTarget, alias: Option<&Ident>) -> Option<Name> {
    if let Some(a) = alias {
        return Some(a.name.clone());
    }
    match target {
        ImportTarget::Std(path) => path.last().map(|p| p.name.clone()),
        ImportTarget::Path { path, .. } => {
            let stem = Path::new(path).file_stem()?.to_str()?;
            crate::importers::is_ident(stem).then(|| Name::from(stem))
        }
    }
}

/// What the entry of a program is.
pub enum Entry<'a> {
    /// A file or a package folder, read through the loader.
    Path(&'a Path),
    /// A file already in the source map (text held in memory); its name is its path.
    File(FileId),
}

/// Where an import is written: its file and the span of its path.
type ImportSite = (FileId, Span);

enum State {
    Loading,
    Done(UnitId),
}

struct Linker<'a> {
    loader: &'a dyn Loader,
    plugins: &'a crate::plugin::Host,
    sources: &'a mut SourceMap,
    project: Project,
    units: Vec<Unit>,
    items: Vec<Vec<Item>>,
    comments: Vec<crate::syntax::ast::Comment>,
    /// Modules by key (their normalized path, or `std.<name>`).
    state: FxHashMap<String, State>,
    /// The modules being loaded, outermost first, with the import that led to each.
    stack: Vec<(String, String, Option<ImportSite>)>,
    diagnostics: Vec<Diagnostic>,
    cache: Option<&'a ParseCache>,
}

/// Loads a program: the entry, then everything it imports, recursively. Problems (files that
/// cannot be read or parsed, missing modules, cycles) are returned with whatever loaded.
/// Plugins are compiled without a cache; see [`link_with`].
pub fn link(
    loader: &dyn Loader,
    sources: &mut SourceMap,
    entry: Entry<'_>,
) -> (Program, Vec<Diagnostic>) {
    link_with(
        loader,
        sources,
        entry,
        &crate::plugin::Host::default(),
        None,
    )
}

/// Files parsed by earlier links, reused when a file comes back with the same name, id and
/// text: the language server links the document being edited many times a second, and the
/// modules it imports (std.k8s is 300 KB) rarely change.
#[derive(Debug, Default)]
pub struct ParseCache {
    files: std::sync::Mutex<FxHashMap<String, CachedParse>>,
}

/// A file's id and text, and what parsing it gave.
type CachedParse = (FileId, std::sync::Arc<str>, crate::syntax::Parse);

impl ParseCache {
    /// The parse of `text` as file `file` named `name`: the one kept if it is the same, a
    /// new one (then kept) otherwise.
    pub fn parse(&self, file: FileId, name: &str, text: &str) -> crate::syntax::Parse {
        let mut files = match self.files.lock() {
            Ok(f) => f,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some((id, t, parsed)) = files.get(name)
            && *id == file
            && **t == *text
        {
            return parsed.clone();
        }
        let parsed = crate::syntax::parse(file, text);
        files.insert(name.to_string(), (file, text.into(), parsed.clone()));
        parsed
    }
}

/// [`link`], reusing the parses of a [`ParseCache`].
pub fn link_cached(
    loader: &dyn Loader,
    sources: &mut SourceMap,
    entry: Entry<'_>,
    cache: Option<&ParseCache>,
) -> (Program, Vec<Diagnostic>) {
    link_with(
        loader,
        sources,
        entry,
        &crate::plugin::Host::default(),
        cache,
    )
}

/// [`link`], loading plugins through `plugins` (which may cache their compiled code) and
/// reusing the parses of `cache`.
pub fn link_with(
    loader: &dyn Loader,
    sources: &mut SourceMap,
    entry: Entry<'_>,
    plugins: &crate::plugin::Host,
    cache: Option<&ParseCache>,
) -> (Program, Vec<Diagnostic>) {
    let entry_path = match &entry {
        Entry::Path(p) => normalize(p),
        Entry::File(f) => normalize(Path::new(sources.name(*f))),
    };
    let mut diagnostics = Vec::new();
    let project = match Project::find(loader, sources, &entry_path) {
        Ok(p) => p,
        Err(d) => {
            diagnostics.push(*d);
            let root = entry_path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            Project {
                root: root.clone(),
                manifest: None,
                name: None,
                roots: vec![root],
                lint: Default::default(),
                git: Default::default(),
                plugins: Default::default(),
            }
        }
    };
    let mut l = Linker {
        loader,
        plugins,
        sources,
        project,
        units: Vec::new(),
        items: Vec::new(),
        comments: Vec::new(),
        state: FxHashMap::default(),
        stack: Vec::new(),
        diagnostics,
        cache,
    };
    let files = match entry {
        Entry::File(f) => vec![f],
        Entry::Path(p) => match l.read_module(&non_empty(normalize(p)), None) {
            Ok(files) => files,
            Err(d) => {
                l.diagnostics.push(*d);
                Vec::new()
            }
        },
    };
    let key = entry_path.display().to_string();
    let name = l.display_name(&entry_path);
    l.unit(key, name, Name::from(""), files, false, None);
    let entry_file = l.units.first().and_then(|u| u.files.first().copied());
    let mut unit_of_file = vec![0; l.sources.len()];
    for (u, unit) in l.units.iter().enumerate() {
        for f in &unit.files {
            if let Some(slot) = unit_of_file.get_mut(f.0 as usize) {
                *slot = u;
            }
        }
    }
    let module = Module {
        file: entry_file.unwrap_or_default(),
        items: l.items.into_iter().flatten().collect(),
        comments: l.comments,
    };
    let program = Program {
        module,
        units: l.units,
        unit_of_file,
        project: Some(l.project),
    };
    (program, l.diagnostics)
}

impl Linker<'_> {
    /// The path shown for a module: relative to the project root when inside it.
    fn display_name(&self, path: &Path) -> String {
        match path.strip_prefix(&self.project.root) {
            Ok(rel) if !rel.as_os_str().is_empty() => rel.display().to_string(),
            _ => path.display().to_string(),
        }
    }

    /// Reads the files of a module at `path`: the file, or every `.cairn` file of a folder.
    fn read_module(
        &mut self,
        path: &Path,
        from: Option<(FileId, Span)>,
    ) -> Result<Vec<FileId>, Box<Diagnostic>> {
        let paths = if self.loader.is_dir(path) {
            let listed = self.loader.list(path).map_err(|e| {
                self.not_found(format!("cannot list {}: {e}", path.display()), from)
            })?;
            let files: Vec<PathBuf> = listed
                .into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == EXTENSION))
                .filter(|p| self.loader.is_file(p))
                .collect();
            if files.is_empty() {
                return Err(self.not_found(
                    format!("the folder {} has no .{EXTENSION} files", path.display()),
                    from,
                ));
            }
            files
        } else {
            vec![path.to_path_buf()]
        };
        let mut ids = Vec::new();
        for p in paths {
            match self.loader.load(&p) {
                Ok(text) => ids.push(self.sources.add(p.display().to_string(), text)),
                Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => {
                    let mut d = crate::source::source_too_large(&p.display().to_string());
                    if let Some((file, span)) = from {
                        d = d.at(file, span, "imported here");
                    }
                    return Err(Box::new(d));
                }
                Err(e) => {
                    let d = match from {
                        Some(_) => {
                            self.not_found(format!("cannot read {}: {e}", p.display()), from)
                        }
                        None => Box::new(
                            Diagnostic::error(
                                codes::IO,
                                format!("cannot read {}: {e}", p.display()),
                            )
                            .with_help("check the path and its permissions"),
                        ),
                    };
                    return Err(d);
                }
            }
        }
        Ok(ids)
    }

    fn not_found(&self, message: String, from: Option<(FileId, Span)>) -> Box<Diagnostic> {
        let mut d = Diagnostic::error(codes::MODULE_NOT_FOUND, message).with_help(
            "a path starting with `./` or `../` is relative to the importing file; other paths are looked up in the project's source roots",
        );
        if let Some((file, span)) = from {
            d = d.at(file, span, "imported here");
        }
        Box::new(d)
    }

    /// Parses the files of a module, registers it, and loads its imports.
    fn unit(
        &mut self,
        key: String,
        name: String,
        qualifier: Name,
        files: Vec<FileId>,
        std: bool,
        from: Option<(FileId, Span)>,
    ) -> UnitId {
        let id = self.units.len();
        self.units.push(Unit {
            name: name.clone(),
            qualifier,
            files: files.clone(),
            imports: FxHashMap::default(),
            std,
            plugin: None,
        });
        self.items.push(Vec::new());
        self.state.insert(key.clone(), State::Loading);
        self.stack.push((key.clone(), name, from));
        let mut items = Vec::new();
        for &f in &files {
            // Text from any loader, or from the host, passes here: nothing larger is parsed.
            if self.sources.text(f).len() > crate::source::MAX_SOURCE {
                let name = self.sources.name(f).to_string();
                self.diagnostics
                    .push(crate::source::source_too_large(&name));
                continue;
            }
            let text = self.sources.text(f).to_string();
            let parsed = match self.cache {
                Some(c) => c.parse(f, self.sources.name(f), &text),
                None => crate::syntax::parse(f, &text),
            };
            self.diagnostics.extend(parsed.errors);
            if id == 0 && self.comments.is_empty() {
                self.comments = parsed.module.comments;
            }
            items.extend(parsed.module.items);
        }
        for item in &mut items {
            match &item.kind {
                ItemKind::Import(imp) => {
                    if matches!(&imp.target, ImportTarget::Path { path, .. } if path.is_empty()) {
                        // A path that did not parse (an interpolated one): already reported.
                        continue;
                    }
                    let Some(alias) = import_alias(&imp.target, imp.alias.as_ref()) else {
                        let span = match &imp.target {
                            ImportTarget::Path { span, .. } => *span,
                            ImportTarget::Std(p) => p.first().map_or(item.span, |i| i.span),
                        };
                        self.diagnostics.push(
                            Diagnostic::error(codes::MODULE_NOT_FOUND, "this import needs a name")
                                .at(item.file, span, "its file name is not a valid name")
                                .with_help("name it with `as`: `import \"./my-lib.cairn\" as lib`"),
                        );
                        continue;
                    };
                    if let Some(target) = self.import(item, &imp.target) {
                        self.units[id].imports.insert(alias, target);
                    }
                }
                ItemKind::Field(_)
                | ItemKind::Resource(_)
                | ItemKind::For(_)
                | ItemKind::If(_)
                | ItemKind::Spread(_)
                    if id != 0 =>
                {
                    let what = match &item.kind {
                        ItemKind::Field(_) => "a field",
                        ItemKind::Resource(_) => "a resource",
                        ItemKind::Spread(_) => "a spread",
                        _ => "a top-level block",
                    };
                    let mut d = Diagnostic::error(
                        codes::LIBRARY_ITEM,
                        format!("an imported module cannot declare {what}"),
                    )
                    .at(item.file, crate::syntax::ast::item_head(item), "declared here")
                    .with_help("an imported module holds definitions (`let`, `fn`, `type`, `schema`); move this into the program that imports it");
                    if let Some((_, _, Some((f, s)))) = self.stack.last() {
                        d = d.also(*f, *s, "imported here");
                    }
                    self.diagnostics.push(d);
                    item.kind = ItemKind::Error;
                }
                _ => {}
            }
        }
        self.items[id] = items;
        self.stack.pop();
        self.state.insert(key, State::Done(id));
        id
    }

    /// Resolves and loads the module an import names.
    fn import(&mut self, item: &Item, target: &ImportTarget) -> Option<UnitId> {
        let (key, name, qualifier, files, std, span) = match target {
            ImportTarget::Std(path) => {
                let dotted: Vec<&str> = path.iter().map(|p| &*p.name).collect();
                let span = path
                    .first()
                    .zip(path.last())
                    .map_or(item.span, |(a, b)| a.span.to(b.span));
                let full = dotted.join(".");
                if let ["plugins", name] = dotted.as_slice() {
                    return self.declared_plugin(name, item.file, span);
                }
                let key = full.clone();
                if let Some(done) = self.check_state(&key, item.file, span) {
                    return done;
                }
                let Some(module) = (dotted.first() == Some(&"std"))
                    .then(|| stdlib::module(&dotted[1..].join(".")))
                    .flatten()
                else {
                    let known: Vec<String> = stdlib::MODULES
                        .iter()
                        .map(|m| format!("std.{}", m.name))
                        .collect();
                    let mut d = Diagnostic::error(
                        codes::MODULE_NOT_FOUND,
                        format!("there is no module `{full}`"),
                    )
                    .at(
                        item.file,
                        span,
                        "not a module of the standard library",
                    );
                    d = match did_you_mean(&full, known.iter().map(String::as_str)) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None => d.with_help(format!(
                            "the standard library has {}; a file is imported by its path in quotes: `import \"./lib.cairn\"`",
                            known.join(", ")
                        )),
                    };
                    self.diagnostics.push(d);
                    return None;
                };
                let files = module
                    .files
                    .iter()
                    .map(|(file, text)| {
                        self.sources
                            .add(format!("std/{}/{file}", module.name), *text)
                    })
                    .collect();
                let qualifier = Name::from(dotted.last().copied().unwrap_or("std"));
                (key, full, qualifier, files, true, span)
            }
            ImportTarget::Path { path, span } => {
                let span = *span;
                let resolved = self.resolve_path(item.file, path, span)?;
                if resolved.extension().is_some_and(|e| e == "wasm") {
                    let settings = self
                        .project
                        .plugins
                        .values()
                        .find(|p| p.path == resolved)
                        .map(|p| p.settings.clone())
                        .unwrap_or_default();
                    return self.plugin(&resolved, settings, item.file, span);
                }
                let key = resolved.display().to_string();
                if let Some(done) = self.check_state(&key, item.file, span) {
                    return done;
                }
                let files = match self.read_module(&resolved, Some((item.file, span))) {
                    Ok(f) => f,
                    Err(d) => {
                        self.diagnostics.push(*d);
                        return None;
                    }
                };
                let stem = resolved
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .map(crate::importers::ident_from)
                    .unwrap_or_else(|| "module".into());
                let mut qualifier = stem.clone();
                let mut n = 2;
                while self.units.iter().any(|u| *u.qualifier == *qualifier) {
                    qualifier = format!("{stem}{n}");
                    n += 1;
                }
                let name = self.display_name(&resolved);
                (key, name, Name::from(qualifier), files, false, span)
            }
        };
        Some(self.unit(key, name, qualifier, files, std, Some((item.file, span))))
    }

    /// `import plugins.<name>`: the plugin `[plugins.<name>]` of cairn.toml declares.
    fn declared_plugin(&mut self, name: &str, file: FileId, span: Span) -> Option<UnitId> {
        let Some(entry) = self.project.plugins.get(name).cloned() else {
            let declared: Vec<&str> = self.project.plugins.keys().map(String::as_str).collect();
            let mut d = Diagnostic::error(
                codes::MODULE_NOT_FOUND,
                format!("there is no plugin `{name}`"),
            )
            .at(file, span, "not declared in cairn.toml");
            d = match did_you_mean(name, declared.iter().copied()) {
                Some(s) => d.with_help(format!("did you mean `plugins.{s}`?")),
                None => d.with_help(format!(
                    "declare it in {PROJECT_FILE}: `[plugins.{name}]` with `path = \"plugins/{name}.wasm\"`, or import the file by its path: `import \"./{name}.wasm\"`"
                )),
            };
            self.diagnostics.push(d);
            return None;
        };
        self.plugin(&entry.path, entry.settings, file, span)
    }

    /// Loads the plugin at `path` as a unit whose source is its manifest.
    fn plugin(
        &mut self,
        path: &Path,
        settings: crate::plugin::Settings,
        file: FileId,
        span: Span,
    ) -> Option<UnitId> {
        let key = path.display().to_string();
        if let Some(State::Done(id)) = self.state.get(&key) {
            return Some(*id);
        }
        let name = self.display_name(path);
        let bytes = match self.loader.load_bytes(path) {
            Ok(b) => b,
            Err(e) => {
                self.diagnostics.push(*self.not_found(
                    format!("cannot read plugin {}: {e}", path.display()),
                    Some((file, span)),
                ));
                return None;
            }
        };
        let plugin = match crate::plugin::load(self.plugins, &name, &bytes, settings) {
            Ok(p) => p,
            Err(e) => {
                self.diagnostics
                    .push(crate::plugin::load_diagnostic(&name, &e, file, span));
                return None;
            }
        };
        let source = self.sources.add(
            format!("{name}#{}", crate::plugin::manifest::SECTION),
            plugin.manifest.source.as_str(),
        );
        // The manifest's signatures must be valid Cairn: parse them here, so a bad one is
        // reported as the plugin's problem and not as a syntax error in a file nobody wrote.
        let parsed = crate::syntax::parse(source, &plugin.manifest.source);
        let problem = parsed
            .errors
            .first()
            .map(|e| e.message.clone())
            .or_else(|| {
                parsed.module.items.iter().find_map(|i| match &i.kind {
                    ItemKind::Fn(f)
                        if f.ret.is_none() || f.params.iter().any(|p| p.ty.is_none()) =>
                    {
                        Some(format!(
                            "`{}` must declare the type of every parameter and of its result",
                            f.name.as_ref().map_or("fn", |n| &*n.name)
                        ))
                    }
                    _ => None,
                })
            });
        if let Some(why) = problem {
            let line = parsed
                .errors
                .first()
                .and_then(|e| e.primary())
                .map(|l| self.sources.line_col(source, l.span.start as usize).0);
            let err = crate::plugin::LoadError::Manifest(crate::plugin::manifest::Problem {
                line,
                why,
                wrong_abi: None,
            });
            self.diagnostics
                .push(crate::plugin::load_diagnostic(&name, &err, file, span));
            return None;
        }
        let mut plugin = plugin;
        plugin.site = Some((file, span));
        let qualifier = Name::from(plugin.name.as_str());
        let id = self.unit(
            key,
            name,
            qualifier,
            vec![source],
            false,
            Some((file, span)),
        );
        self.units[id].plugin = Some(std::sync::Arc::new(plugin));
        Some(id)
    }

    /// `Some(result)` when the module is loaded or being loaded (a cycle, reported here).
    fn check_state(&mut self, key: &str, file: FileId, span: Span) -> Option<Option<UnitId>> {
        match self.state.get(key)? {
            State::Done(id) => Some(Some(*id)),
            State::Loading => {
                let start = self
                    .stack
                    .iter()
                    .position(|(k, _, _)| k == key)
                    .unwrap_or(0);
                let mut chain: Vec<&str> = self.stack[start..]
                    .iter()
                    .map(|(_, n, _)| n.as_str())
                    .collect();
                chain.push(self.stack[start].1.as_str());
                let mut d = Diagnostic::error(
                    codes::IMPORT_CYCLE,
                    format!("import cycle: {}", chain.join(" → ")),
                )
                .at(file, span, "this import closes the cycle")
                .with_help("modules cannot import each other in a circle; move what they share into a module both import");
                for (_, n, from) in &self.stack[start + 1..] {
                    if let Some((f, s)) = from {
                        d = d.also(*f, *s, format!("imports {n}"));
                    }
                }
                self.diagnostics.push(d);
                Some(None)
            }
        }
    }

    /// The normalized path an import names, checked to stay inside the project.
    fn resolve_path(&mut self, from: FileId, path: &str, span: Span) -> Option<PathBuf> {
        let written = Path::new(path);
        let candidates: Vec<PathBuf> = if written.is_absolute() {
            self.diagnostics.push(
                Diagnostic::error(
                    codes::OUTSIDE_PROJECT,
                    format!("`{path}` is an absolute path"),
                )
                .at(from, span, "imports are relative")
                .with_help("write the path relative to this file (`./lib/net.cairn`) or to a source root of the project"),
            );
            return None;
        } else if path.starts_with("./") || path.starts_with("../") {
            let dir = self.file_dir(from);
            vec![normalize(&dir.join(written))]
        } else {
            self.project
                .roots
                .iter()
                .map(|r| normalize(&r.join(written)))
                .collect()
        };
        for c in &candidates {
            if !self.inside_project(c) {
                self.diagnostics.push(
                    Diagnostic::error(
                        codes::OUTSIDE_PROJECT,
                        format!("`{path}` is outside the project"),
                    )
                    .at(from, span, format!("leads to {}", c.display()))
                    .with_help(format!(
                        "imports stay inside the project root {}; move the module into the project, or mark a higher folder as the root with a {PROJECT_FILE}",
                        shown(&self.project.root)
                    )),
                );
                return None;
            }
        }
        for c in &candidates {
            for p in [c.clone(), c.with_extension(EXTENSION)] {
                if self.loader.is_file(&p) || self.loader.is_dir(&p) {
                    // Symbolic links may lead out of the project.
                    let real = self.loader.canonicalize(&p);
                    let root = self.loader.canonicalize(&self.project.root);
                    if !real.starts_with(&root) {
                        self.diagnostics.push(
                            Diagnostic::error(
                                codes::OUTSIDE_PROJECT,
                                format!("`{path}` leads outside the project"),
                            )
                            .at(from, span, format!("a link to {}", real.display()))
                            .with_help("imports stay inside the project root; copy the module into the project"),
                        );
                        return None;
                    }
                    return Some(p);
                }
            }
        }
        let mut d = Diagnostic::error(
            codes::MODULE_NOT_FOUND,
            format!("cannot find module `{path}`"),
        )
        .at(from, span, "no such file or folder");
        let wanted = candidates.first().cloned().unwrap_or_default();
        let siblings: Vec<String> = wanted
            .parent()
            .and_then(|dir| self.loader.list(dir).ok())
            .unwrap_or_default()
            .iter()
            .filter_map(|p| p.file_name()?.to_str().map(str::to_string))
            .collect();
        let file = wanted
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or_default();
        d = match did_you_mean(file, siblings.iter().map(String::as_str)) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help(format!(
                "looked for {}; a path starting with `./` is relative to this file, others are looked up in the source roots",
                candidates
                    .iter()
                    .map(|c| shown(c))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        };
        self.diagnostics.push(d);
        None
    }

    fn inside_project(&self, p: &Path) -> bool {
        p.starts_with(&self.project.root)
            && !p.components().any(|c| c == std::path::Component::ParentDir)
    }

    /// The folder of a loaded file (files are named by their path).
    fn file_dir(&self, file: FileId) -> PathBuf {
        Path::new(self.sources.name(file))
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }
}

/// `.` for the empty path (the current folder), the path otherwise.
fn non_empty(p: PathBuf) -> PathBuf {
    if p.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        p
    }
}

fn shown(p: &Path) -> String {
    if p.as_os_str().is_empty() {
        ".".into()
    } else {
        p.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryLoader;
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    /// Counts the reads of each file.
    struct Counting {
        files: MemoryLoader,
        reads: RefCell<BTreeMap<PathBuf, usize>>,
    }

    impl Loader for Counting {
        fn load(&self, path: &Path) -> std::io::Result<String> {
            *self
                .reads
                .borrow_mut()
                .entry(path.to_path_buf())
                .or_default() += 1;
            self.files.load(path)
        }
        fn is_file(&self, path: &Path) -> bool {
            self.files.is_file(path)
        }
        fn is_dir(&self, path: &Path) -> bool {
            self.files.is_dir(path)
        }
        fn list(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
            self.files.list(dir)
        }
    }

    #[test]
    fn each_module_is_read_once_however_often_it_is_imported() {
        let mut files = MemoryLoader::new();
        files
            .insert(
                "app/main.cairn",
                "import \"./a.cairn\"\nimport \"./b.cairn\"\nx: a.v + b.v\n",
            )
            .insert(
                "app/a.cairn",
                "import \"./shared.cairn\"\nlet v = shared.one\n",
            )
            .insert(
                "app/b.cairn",
                "import \"./shared.cairn\"\nlet v = shared.one + 1\n",
            )
            .insert("app/shared.cairn", "let one = 1\n");
        let loader = Counting {
            files,
            reads: RefCell::new(BTreeMap::new()),
        };
        let mut sources = SourceMap::new();
        let (program, problems) = link(
            &loader,
            &mut sources,
            Entry::Path(Path::new("app/main.cairn")),
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(program.units.len(), 4);
        // `is_file` probes do not read; each source is read exactly once.
        let reads = loader.reads.borrow();
        assert_eq!(
            reads.get(Path::new("app/shared.cairn")),
            Some(&1),
            "{reads:?}"
        );
        assert!(reads.values().all(|&n| n == 1), "{reads:?}");
        // `a` and `b` name the same unit for `shared`.
        let shared_a = program.import(program.import(0, "a").unwrap_or(0), "shared");
        let shared_b = program.import(program.import(0, "b").unwrap_or(0), "shared");
        assert!(shared_a.is_some() && shared_a == shared_b);
    }

    #[test]
    fn normalized_paths_cannot_climb_out() {
        assert_eq!(
            normalize(Path::new("a/./b/../c.cairn")),
            PathBuf::from("a/c.cairn")
        );
        assert_eq!(normalize(Path::new("../x")), PathBuf::from("../x"));
        assert_eq!(normalize(Path::new("/a/../../b")), PathBuf::from("/b"));
    }
}
