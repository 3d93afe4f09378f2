//! WebAssembly plugins: functions and policies written in any language that compiles to
//! WebAssembly, run in wasmtime with no ambient authority.
//!
//! This module is the only one that knows wasmtime. It owns:
//! - the manifest ([`manifest`]): the `cairn.manifest` custom section of the `.wasm` file,
//!   with the plugin's name, its ABI version and its functions' Cairn signatures;
//! - the value encoding ([`abi`]), ABI version [`abi::VERSION`];
//! - loading ([`load`]): reading the manifest, checking the ABI version and the imports against
//!   the grants, compiling (or taking the module the [`Host`] compiled before) and checking
//!   the exports;
//! - calling ([`Plugin::call`]): one live instance per plugin, made on first use and made anew
//!   after a fault; every call gets the configured fuel, and linear memory cannot grow past
//!   the configured limit. A trap, running out of fuel or memory, or a malformed result is a
//!   [`Fault`], never a panic or a hang.
//!
//! The rest of Cairn sees a plugin as a module: the linker turns the manifest into the source
//! of a unit whose functions the checker types, and the evaluator calls [`Plugin::call`] when
//! one of them is called. Policies run over the resources of a program after evaluation
//! ([`check_policies`]).
//!
//! Invariant: a plugin has no filesystem, network, clock or environment. The only imports it
//! can have are the host functions of module `cairn` that `cairn.toml` grants ([`Grant`]).

pub mod abi;
pub mod cache;
pub mod manifest;

use std::sync::{Arc, Mutex, OnceLock};

use wasmtime::{
    Engine, ExternType, Instance, Linker, Memory, Module, ResourceLimiter, Store, Trap, TypedFunc,
    ValType,
};

use crate::diagnostics::{Diagnostic, codes};
use crate::source::FileId;
use crate::syntax::ast::Span;
use crate::value::Value;

/// Fuel for one call when `cairn.toml` does not say: about ten million WebAssembly
/// instructions, a few milliseconds.
pub const DEFAULT_FUEL: u64 = 10_000_000;

/// Linear memory a plugin may have when `cairn.toml` does not say.
pub const DEFAULT_MEMORY: u64 = 16 * 1024 * 1024;

/// The native stack a plugin call may use; deeper recursion traps.
const MAX_WASM_STACK: usize = 256 * 1024;

/// Something outside the sandbox that `cairn.toml` can grant a plugin: each is a few host
/// functions in import module `cairn`, linked only when granted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grant {
    /// `cairn.clock_now_ms() -> i64`: milliseconds since the Unix epoch.
    Clock,
    /// `cairn.env_get(name_ptr, name_len, out_ptr, out_cap) -> i32`: an environment variable.
    Env,
}

impl Grant {
    pub const ALL: [Grant; 2] = [Grant::Clock, Grant::Env];

    pub fn name(self) -> &'static str {
        match self {
            Grant::Clock => "clock",
            Grant::Env => "env",
        }
    }

    pub fn parse(s: &str) -> Option<Grant> {
        Grant::ALL.into_iter().find(|g| g.name() == s)
    }

    /// The host function names (in import module `cairn`) a grant provides.
    fn imports(self) -> &'static [&'static str] {
        match self {
            Grant::Clock => &["clock_now_ms"],
            Grant::Env => &["env_get"],
        }
    }
}

/// How one plugin runs: from `[plugins.<name>]` in cairn.toml, or the defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Fuel for each call (about one unit per WebAssembly instruction).
    pub fuel: u64,
    /// The most linear memory the plugin's instance may have, in bytes.
    pub memory: u64,
    pub grants: Vec<Grant>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            fuel: DEFAULT_FUEL,
            memory: DEFAULT_MEMORY,
            grants: Vec::new(),
        }
    }
}

/// Parses a memory size: bytes, or a number with `KiB`, `MiB` or `GiB`.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (digits, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '_') {
        Some(i) => s.split_at(i),
        None => (s, ""),
    };
    let n: u64 = digits.replace('_', "").parse().ok()?;
    let factor = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(factor)
}

/// Shows a size in bytes the way cairn.toml writes it.
pub fn show_size(bytes: u64) -> String {
    for (unit, factor) in [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
        if bytes >= factor && bytes.is_multiple_of(factor) {
            return format!("{} {unit}", bytes / factor);
        }
    }
    format!("{bytes} bytes")
}

/// What plugins of one host share: the wasmtime engine (made once, on first use) and the
/// modules compiled so far ([`cache`]). Cheap to clone; clones share both, so engines that
/// are given the same host ([`crate::Engine::plugin_host`]) compile each plugin once.
#[derive(Clone, Default)]
pub struct Host {
    inner: Arc<HostInner>,
}

#[derive(Default)]
struct HostInner {
    engine: OnceLock<Result<Engine, String>>,
    compiled: cache::Compiled,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("compiled", &self.inner.compiled.len())
            .finish()
    }
}

impl Host {
    fn engine(&self) -> Result<&Engine, LoadError> {
        self.inner
            .engine
            .get_or_init(|| {
                let mut config = wasmtime::Config::new();
                config.consume_fuel(true);
                config.max_wasm_stack(MAX_WASM_STACK);
                Engine::new(&config).map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| LoadError::Compile(format!("cannot start wasmtime: {e}")))
    }
}

/// Why a plugin could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    NotWasm(String),
    Manifest(manifest::Problem),
    Compile(String),
    /// An export the ABI or the manifest needs is missing or has the wrong type.
    Export(String),
    /// An import that is not granted, or that Cairn does not provide at all.
    Import {
        module: String,
        name: String,
        needs: Option<Grant>,
    },
}

/// A loaded plugin: its manifest, its compiled module, and its live instance once called.
pub struct Plugin {
    pub name: String,
    /// The `.wasm` file, as shown in diagnostics.
    pub path: String,
    pub manifest: manifest::Manifest,
    pub settings: Settings,
    /// Whether the host had compiled this module before.
    pub cached: bool,
    /// Where the program imports it (set by the linker): policy faults point there.
    pub site: Option<(FileId, Span)>,
    engine: Engine,
    module: Module,
    linker: Linker<State>,
    live: Mutex<Option<Live>>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.name)
            .field("path", &self.path)
            .field("settings", &self.settings)
            .finish()
    }
}

/// The type of every exported function and policy: arguments in, packed result out.
type Export = TypedFunc<(i32, i32), i64>;

/// An instance of a plugin, ready for calls.
struct Live {
    store: Store<State>,
    memory: Memory,
    alloc: TypedFunc<i32, i32>,
    /// The manifest's functions, then its policies, by export name.
    funcs: Vec<(String, Export)>,
}

/// What the host keeps per instance.
struct State {
    limit: usize,
    /// The size a growth asked for when it was refused.
    refused: Option<usize>,
}

impl ResourceLimiter for State {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.refused = Some(desired);
            // An error traps at once: a plugin that ignores a failed `memory.grow` could only
            // go wrong in stranger ways.
            return Err(wasmtime::Error::msg("memory limit"));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }

    fn instances(&self) -> usize {
        1
    }

    fn memories(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        4
    }
}

/// Loads a plugin from the bytes of its `.wasm` file; `path` is shown in messages.
pub fn load(host: &Host, path: &str, wasm: &[u8], settings: Settings) -> Result<Plugin, LoadError> {
    let text = manifest::find_section(wasm)
        .map_err(LoadError::NotWasm)?
        .ok_or_else(|| {
            LoadError::Manifest(manifest::Problem {
                line: None,
                why: format!("it has no `{}` custom section", manifest::SECTION),
                wrong_abi: None,
            })
        })?;
    let text = std::str::from_utf8(text).map_err(|_| {
        LoadError::Manifest(manifest::Problem {
            line: None,
            why: "it is not UTF-8 text".into(),
            wrong_abi: None,
        })
    })?;
    let manifest = manifest::parse(text).map_err(LoadError::Manifest)?;
    let engine = host.engine()?.clone();
    let (module, cached) = host.inner.compiled.get_or_compile(&engine, wasm)?;
    check_imports(&module, &settings.grants)?;
    check_exports(&module, &manifest)?;
    let linker = linker(&engine, &settings.grants)?;
    Ok(Plugin {
        name: manifest.name.clone(),
        path: path.to_string(),
        manifest,
        settings,
        cached,
        site: None,
        engine,
        module,
        linker,
        live: Mutex::new(None),
    })
}

fn check_imports(module: &Module, grants: &[Grant]) -> Result<(), LoadError> {
    for import in module.imports() {
        let needs = (import.module() == "cairn")
            .then(|| {
                Grant::ALL
                    .into_iter()
                    .find(|g| g.imports().contains(&import.name()))
            })
            .flatten();
        if needs.is_none_or(|g| !grants.contains(&g)) {
            return Err(LoadError::Import {
                module: import.module().to_string(),
                name: import.name().to_string(),
                needs,
            });
        }
    }
    Ok(())
}

fn check_exports(module: &Module, manifest: &manifest::Manifest) -> Result<(), LoadError> {
    let func = |name: &str, params: &[ValType], results: &[ValType]| -> Result<(), LoadError> {
        let shape = |ps: &[ValType], rs: &[ValType]| {
            let list = |ts: &[ValType]| {
                ts.iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            format!("({}) -> ({})", list(ps), list(rs))
        };
        match module.get_export(name) {
            Some(ExternType::Func(f)) => {
                let ps: Vec<ValType> = f.params().collect();
                let rs: Vec<ValType> = f.results().collect();
                let same = |a: &[ValType], b: &[ValType]| {
                    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| ValType::eq(x, y))
                };
                if same(&ps, params) && same(&rs, results) {
                    Ok(())
                } else {
                    Err(LoadError::Export(format!(
                        "its export `{name}` has the type {}, and the ABI needs {}",
                        shape(&ps, &rs),
                        shape(params, results)
                    )))
                }
            }
            Some(_) => Err(LoadError::Export(format!(
                "its export `{name}` is not a function"
            ))),
            None => Err(LoadError::Export(format!(
                "it does not export `{name}`, a function {}",
                shape(params, results)
            ))),
        }
    };
    if !matches!(module.get_export("memory"), Some(ExternType::Memory(_))) {
        return Err(LoadError::Export("it does not export its `memory`".into()));
    }
    func("cairn_alloc", &[ValType::I32], &[ValType::I32])?;
    for name in manifest
        .functions
        .iter()
        .map(|f| f.name.as_str())
        .chain(manifest.policies.iter().map(String::as_str))
    {
        func(name, &[ValType::I32, ValType::I32], &[ValType::I64])?;
    }
    Ok(())
}

/// The host functions of the granted capabilities.
fn linker(engine: &Engine, grants: &[Grant]) -> Result<Linker<State>, LoadError> {
    let mut linker = Linker::new(engine);
    let failed = |e: wasmtime::Error| LoadError::Compile(e.to_string());
    for g in grants {
        match g {
            Grant::Clock => {
                linker
                    .func_wrap("cairn", "clock_now_ms", || -> i64 {
                        std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
                    })
                    .map_err(failed)?;
            }
            Grant::Env => {
                linker
                    .func_wrap(
                        "cairn",
                        "env_get",
                        |mut caller: wasmtime::Caller<'_, State>,
                         name_ptr: i32,
                         name_len: i32,
                         out_ptr: i32,
                         out_cap: i32|
                         -> wasmtime::Result<i32> {
                            let Some(wasmtime::Extern::Memory(memory)) =
                                caller.get_export("memory")
                            else {
                                return Ok(-1);
                            };
                            let mut name = vec![0u8; name_len.max(0) as usize];
                            memory.read(&caller, name_ptr as u32 as usize, &mut name)?;
                            let Some(value) = std::str::from_utf8(&name)
                                .ok()
                                .and_then(|n| std::env::var(n).ok())
                            else {
                                return Ok(-1);
                            };
                            let n = value.len().min(out_cap.max(0) as usize);
                            memory.write(
                                &mut caller,
                                out_ptr as u32 as usize,
                                &value.as_bytes()[..n],
                            )?;
                            Ok(i32::try_from(value.len()).unwrap_or(i32::MAX))
                        },
                    )
                    .map_err(failed)?;
            }
        }
    }
    Ok(linker)
}

/// Why a call did not return a value.
#[derive(Debug, PartialEq)]
pub enum Fault {
    /// The plugin trapped (or could not be instantiated).
    Trap(String),
    /// The call used all of its fuel.
    Fuel(u64),
    /// Linear memory would have grown past the limit (to this many bytes).
    Memory { limit: u64, wanted: u64 },
    /// The result does not follow the ABI.
    Malformed(String),
    /// The plugin returned an error value with this message.
    Failed(String),
    /// An argument cannot be passed to a plugin.
    Argument(String),
    /// The result is well-formed, but not of the type the manifest declares.
    Signature(String),
}

impl Plugin {
    /// The policies the manifest declares.
    pub fn policies(&self) -> &[String] {
        &self.manifest.policies
    }

    /// Instantiates the plugin now, if it has no live instance (calls do it on first use).
    pub fn instantiate(&self) -> Result<(), Fault> {
        let mut guard = self
            .live
            .lock()
            .map_err(|_| Fault::Trap("an earlier call of this plugin panicked".into()))?;
        if guard.is_none() {
            *guard = Some(self.new_instance()?);
        }
        Ok(())
    }

    /// Calls function (or policy) `name` with `args`, encoded as one list.
    pub fn call(&self, name: &str, args: Vec<Value>) -> Result<Value, Fault> {
        let mut input = Vec::with_capacity(64);
        abi::encode(&Value::list(args), &mut input).map_err(|e| {
            Fault::Argument(match e {
                abi::Unencodable::Function => "a function cannot be passed to a plugin".into(),
                abi::Unencodable::TooLarge => "a value is larger than 4 GiB".into(),
                abi::Unencodable::TooDeep => format!(
                    "lists and objects nest deeper than {} levels",
                    abi::MAX_DEPTH
                ),
            })
        })?;
        let mut guard = self
            .live
            .lock()
            .map_err(|_| Fault::Trap("an earlier call of this plugin panicked".into()))?;
        if guard.is_none() {
            *guard = Some(self.new_instance()?);
        }
        let Some(live) = guard.as_mut() else {
            return Err(Fault::Trap("the plugin has no instance".into()));
        };
        let result = self.call_live(live, name, &input);
        if matches!(
            result,
            Err(Fault::Trap(_) | Fault::Fuel(_) | Fault::Memory { .. })
        ) {
            // The instance may be in any state after a trap: the next call starts afresh.
            *guard = None;
        }
        result
    }

    fn new_instance(&self) -> Result<Live, Fault> {
        let mut store = Store::new(
            &self.engine,
            State {
                limit: usize::try_from(self.settings.memory).unwrap_or(usize::MAX),
                refused: None,
            },
        );
        store.limiter(|s| s as &mut dyn ResourceLimiter);
        // Start functions run on this fuel too.
        store
            .set_fuel(self.settings.fuel)
            .map_err(|e| Fault::Trap(e.to_string()))?;
        let instance: Instance = self
            .linker
            .instantiate(&mut store, &self.module)
            .map_err(|e| self.fault(&store, e))?;
        let missing = |what: &str| Fault::Trap(format!("its instance has no {what}"));
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or_else(|| missing("memory"))?;
        let alloc = instance
            .get_typed_func::<i32, i32>(&mut store, "cairn_alloc")
            .map_err(|_| missing("`cairn_alloc`"))?;
        let mut funcs = Vec::new();
        for name in self
            .manifest
            .functions
            .iter()
            .map(|f| f.name.as_str())
            .chain(self.manifest.policies.iter().map(String::as_str))
        {
            let f = instance
                .get_typed_func::<(i32, i32), i64>(&mut store, name)
                .map_err(|_| missing(name))?;
            funcs.push((name.to_string(), f));
        }
        Ok(Live {
            store,
            memory,
            alloc,
            funcs,
        })
    }

    fn call_live(&self, live: &mut Live, name: &str, input: &[u8]) -> Result<Value, Fault> {
        let func = live
            .funcs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, f)| f.clone())
            .ok_or_else(|| Fault::Trap(format!("it has no function `{name}`")))?;
        let store = &mut live.store;
        store
            .set_fuel(self.settings.fuel)
            .map_err(|e| Fault::Trap(e.to_string()))?;
        let len = i32::try_from(input.len())
            .map_err(|_| Fault::Argument("the arguments are larger than 2 GiB".into()))?;
        let ptr = live
            .alloc
            .call(&mut *store, len)
            .map_err(|e| self.fault(store, e))?;
        live.memory
            .write(&mut *store, ptr as u32 as usize, input)
            .map_err(|_| {
                Fault::Malformed(format!(
                    "`cairn_alloc({len})` returned {}, which is not {len} bytes inside its memory",
                    ptr as u32
                ))
            })?;
        let packed = func
            .call(&mut *store, (ptr, len))
            .map_err(|e| self.fault(store, e))?;
        let (at, n) = (
            (packed as u64 >> 32) as usize,
            (packed as u64 as u32) as usize,
        );
        let data = live.memory.data(&*store);
        let bytes = at
            .checked_add(n)
            .and_then(|end| data.get(at..end))
            .ok_or_else(|| {
                Fault::Malformed(format!(
                    "it returned {n} bytes at {at}, outside its memory of {} bytes",
                    data.len()
                ))
            })?;
        match abi::decode_result(bytes) {
            Ok(abi::Returned::Value(v)) => Ok(v),
            Ok(abi::Returned::Error(m)) => Err(Fault::Failed(m)),
            Err(m) => Err(Fault::Malformed(format!(
                "{} (at byte {} of {n})",
                m.why, m.offset
            ))),
        }
    }

    fn fault(&self, store: &Store<State>, e: wasmtime::Error) -> Fault {
        if let Some(wanted) = store.data().refused {
            return Fault::Memory {
                limit: self.settings.memory,
                wanted: wanted as u64,
            };
        }
        match e.downcast_ref::<Trap>() {
            Some(Trap::OutOfFuel) => Fault::Fuel(self.settings.fuel),
            Some(t) => Fault::Trap(t.to_string().trim_start_matches("wasm trap: ").into()),
            None => Fault::Trap(e.to_string()),
        }
    }
}

/// The diagnostic for a plugin that could not be loaded, at the import or cairn.toml entry
/// that named it.
pub fn load_diagnostic(path: &str, err: &LoadError, file: FileId, span: Span) -> Diagnostic {
    let (code, message, help) = match err {
        LoadError::NotWasm(why) => (
            codes::PLUGIN_LOAD,
            format!("cannot load plugin {path}: {why}"),
            "a plugin is a WebAssembly module (`.wasm`); see docs/plugins.md".to_string(),
        ),
        LoadError::Compile(why) => (
            codes::PLUGIN_LOAD,
            format!("cannot load plugin {path}: {why}"),
            "rebuild the plugin; wasmtime reports why the module is invalid".into(),
        ),
        LoadError::Export(why) => (
            codes::PLUGIN_LOAD,
            format!("cannot load plugin {path}: {why}"),
            "a plugin exports `memory`, `cairn_alloc(i32) -> i32`, and `(i32, i32) -> i64` for every function and policy of its manifest (docs/plugins.md)".into(),
        ),
        LoadError::Manifest(p) if p.wrong_abi.is_some() => (
            codes::PLUGIN_ABI,
            format!("plugin {path} has the wrong ABI version: {}", p.why),
            format!(
                "rebuild the plugin for ABI version {} (docs/plugins.md)",
                abi::VERSION
            ),
        ),
        LoadError::Manifest(p) => (
            codes::PLUGIN_MANIFEST,
            match p.line {
                Some(l) => format!(
                    "the manifest of plugin {path} is invalid: line {l}: {}",
                    p.why
                ),
                None => format!("the manifest of plugin {path} is invalid: {}", p.why),
            },
            format!(
                "a manifest (custom section `{}`) has lines `abi {}`, `name <name>`, `fn <name>(<param>: <Type>, ...) -> <Type>` and `policy <name>`",
                manifest::SECTION,
                abi::VERSION
            ),
        ),
        LoadError::Import {
            module,
            name,
            needs: Some(g),
        } => (
            codes::PLUGIN_IMPORT,
            format!(
                "plugin {path} imports `{module}.{name}`, which needs the `{}` grant",
                g.name()
            ),
            format!(
                "grant it in cairn.toml if the plugin should have it: `[plugins.<name>]` with `grant = [\"{}\"]`",
                g.name()
            ),
        ),
        LoadError::Import {
            module,
            name,
            needs: None,
        } => (
            codes::PLUGIN_IMPORT,
            format!("plugin {path} imports `{module}.{name}`, which Cairn does not provide"),
            format!(
                "plugins run without a filesystem, network or WASI; the host offers only {} when granted",
                Grant::ALL
                    .iter()
                    .flat_map(|g| g.imports().iter().map(|i| format!("`cairn.{i}`")))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        ),
    };
    Diagnostic::error(code, message)
        .at(file, span, "the plugin is loaded here")
        .with_help(help)
}

impl Fault {
    /// The diagnostic for a failed call of `plugin.function`, at the call.
    pub fn diagnostic(
        &self,
        plugin: &Plugin,
        function: &str,
        file: FileId,
        span: Span,
    ) -> Diagnostic {
        let what = format!("`{}.{function}`", plugin.name);
        let (code, message, help) = match self {
            Fault::Trap(why) => (
                codes::PLUGIN_TRAP,
                format!("plugin function {what} trapped: {why}"),
                "this is a bug in the plugin (or input it does not handle); its instance starts afresh on the next call".to_string(),
            ),
            Fault::Fuel(fuel) => (
                codes::PLUGIN_FUEL,
                format!("plugin function {what} ran out of fuel ({fuel} units)"),
                "a call that runs this long is probably an endless loop; if it is not, raise `fuel` in its `[plugins.<name>]` entry in cairn.toml".to_string(),
            ),
            Fault::Memory { limit, wanted } => (
                codes::PLUGIN_MEMORY,
                format!(
                    "plugin function {what} exceeded its memory limit of {}",
                    show_size(*limit)
                ),
                format!(
                    "it asked for {}; if it really needs that, raise `memory` in its `[plugins.<name>]` entry in cairn.toml",
                    show_size(*wanted)
                ),
            ),
            Fault::Malformed(why) => (
                codes::PLUGIN_RESULT,
                format!("plugin function {what} returned a malformed result: {why}"),
                format!(
                    "results are encoded as ABI version {} describes (docs/plugins.md)",
                    abi::VERSION
                ),
            ),
            Fault::Failed(message) => (
                codes::PLUGIN_FAILED,
                format!("plugin function {what} failed: {message}"),
                "the plugin rejected its arguments; the message says why".to_string(),
            ),
            Fault::Signature(why) => (
                codes::PLUGIN_RESULT,
                format!("plugin function {what} returned a result that does not fit its signature: {why}"),
                match plugin.manifest.functions.iter().find(|f| f.name == function) {
                    Some(f) => format!(
                        "its manifest declares `{}`; the plugin or its manifest is wrong",
                        f.signature
                    ),
                    None => "the plugin or its manifest is wrong".to_string(),
                },
            ),
            Fault::Argument(why) => (
                codes::INVALID_ARGUMENT,
                format!("cannot call plugin function {what}: {why}"),
                "plugins take null, Bool, Int, Float, String, lists and objects".to_string(),
            ),
        };
        Diagnostic::error(code, message)
            .at(file, span, "called here")
            .with_help(help)
    }
}

/// One resource as a policy sees it.
pub struct PolicyResource<'a> {
    pub address: String,
    pub type_path: &'a str,
    pub attributes: &'a Value,
    pub file: FileId,
    pub span: Span,
}

/// Runs every policy of `plugins` over `resources`: the diagnostics of the denials (at the
/// resource they name) and of the policies that failed.
pub fn check_policies(
    plugins: &[Arc<Plugin>],
    resources: &[PolicyResource<'_>],
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if plugins.iter().all(|p| p.policies().is_empty()) {
        return out;
    }
    let input = Value::list(
        resources
            .iter()
            .map(|r| {
                let mut o = crate::value::Object::new();
                o.insert("address".into(), Value::str(&r.address));
                o.insert("type".into(), Value::str(r.type_path));
                o.insert("attributes".into(), r.attributes.clone());
                Value::Object(Arc::new(o))
            })
            .collect(),
    );
    for plugin in plugins {
        for policy in plugin.policies() {
            // A policy that fails is reported at the import of its plugin.
            let failed = |f: Fault| {
                let (file, span) = plugin.site.unwrap_or((FileId::default(), Span::new(0, 0)));
                let mut d = f.diagnostic(plugin, policy, file, span);
                for l in &mut d.labels {
                    l.message = "its policies run over this program's resources".into();
                }
                d
            };
            let decisions = match plugin.call(policy, vec![input.clone()]) {
                Ok(v) => v,
                Err(f) => {
                    out.push(failed(f));
                    continue;
                }
            };
            let denied = match read_decisions(&decisions) {
                Ok(list) => list,
                Err(why) => {
                    out.push(failed(Fault::Malformed(why)));
                    continue;
                }
            };
            for (address, message) in denied {
                let Some(at) = resources.iter().find(|r| r.address == address) else {
                    out.push(failed(Fault::Malformed(format!(
                        "it denies `{address}`, which is not a resource of the program"
                    ))));
                    continue;
                };
                out.push(
                    Diagnostic::error(
                        codes::POLICY_DENIED,
                        format!(
                            "policy `{}.{policy}` denies `{address}`: {message}",
                            plugin.name
                        ),
                    )
                    .at(at.file, at.span, message)
                    .with_help(format!(
                        "change the resource so that the policy allows it; the policy is in plugin {}",
                        plugin.path
                    )),
                );
            }
        }
    }
    out
}

/// The denials in a policy's result: a list of `{resource, allow, message}` objects.
fn read_decisions(v: &Value) -> Result<Vec<(String, String)>, String> {
    let expected = "a policy returns a list of `{resource: String, allow: Bool, message: String}`";
    let Value::List(items) = v else {
        return Err(format!("{expected}, not {}", v.describe()));
    };
    let mut denied = Vec::new();
    for item in items.iter() {
        let Value::Object(o) = item else {
            return Err(format!("{expected}; an element is {}", item.describe()));
        };
        let (Some(Value::Str(r)), Some(Value::Bool(allow))) = (o.get("resource"), o.get("allow"))
        else {
            return Err(format!(
                "{expected}; an element lacks `resource` or `allow`"
            ));
        };
        if !allow {
            let message = match o.get("message") {
                Some(Value::Str(m)) => m.to_string(),
                _ => "denied".to_string(),
            };
            denied.push((r.to_string(), message));
        }
    }
    Ok(denied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_and_show_like_cairn_toml() {
        assert_eq!(parse_size("16MiB"), Some(16 << 20));
        assert_eq!(parse_size("512 KiB"), Some(512 << 10));
        assert_eq!(parse_size("65_536"), Some(65536));
        assert_eq!(parse_size("1TB"), None);
        assert_eq!(parse_size("99999999999GiB"), None);
        assert_eq!(show_size(16 << 20), "16 MiB");
        assert_eq!(show_size(1000), "1000 bytes");
    }
}
