//! The `cairn` command line: argument parsing, terminal output and exit codes, nothing else.
//!
//! Exit codes: 0 success, 1 an error in the user's program or arguments, 2 an internal error.

#![forbid(unsafe_code)]

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use cairn::diagnostics::{Diagnostic, codes, render};
use cairn::export::{self, Format};
use cairn::{Engine, SourceMap};

// Evaluation allocates many small values; mimalloc serves them faster than the system allocator
// (measured with the fleet benchmark, see benches/README.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "cairn",
    version,
    about = "Cairn: a typed configuration language that compiles to YAML and JSON",
    long_about = "Cairn evaluates programs written in the Cairn configuration language and \
                  exports them as plain YAML or JSON.\n\n\
                  Examples:\n  \
                  cairn export examples/k8s-services/main.cairn\n  \
                  cairn export app.cairn --format json -o app.json --param env=prod\n  \
                  cairn eval app.cairn -e 'len(services)'"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,

    /// How to print diagnostics: `human` (with source excerpts) or `json` (one JSON object on
    /// standard error, for tools).
    #[arg(long, global = true, value_enum, default_value_t = DiagnosticsFormat::Human)]
    diagnostics: DiagnosticsFormat,

    /// When to colour diagnostics.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    color: Color,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate a program and write its output as YAML or JSON.
    ///
    /// A program that declares resources exports one document per resource (a YAML stream with
    /// `---` before every document, or a JSON array, however many resources there are);
    /// a program without resources exports its module document (its top-level fields).
    /// `--document` exports the module document even when there are resources.
    ///
    /// Kubernetes objects come in the order `kubectl apply` needs (namespaces, accounts and
    /// roles, config, services, storage, workloads, webhooks last), in declaration order within
    /// a kind; other documents follow in declaration order. `-o DIR/` writes one file per
    /// document (`01-namespace-shop.yaml`, ...).
    Export(ExportArgs),
    /// Evaluate a program, or one expression in its scope, and print the value.
    Eval(EvalArgs),
    /// List the parameters a program declares: types, defaults, docs, environment variables.
    Params(DescribeArgs),
    /// Show the schemas a program declares, or export them as JSON Schema.
    ///
    /// With `--json-schema`, prints a JSON Schema (draft 2020-12) document with every schema
    /// under `$defs`; naming a schema makes the document validate that schema, for editors and
    /// validators of hand-written YAML.
    Schema(SchemaArgs),
    /// Print the reference documentation of a module, from its doc comments, as Markdown.
    ///
    /// TARGET is a file, a package folder, or a module of the standard library (`std.k8s`,
    /// `std.lists`, `std.strings`). The module's own description is the `//!` comment at the
    /// top of its files; private names (starting with `_`) are left out.
    Doc(DocArgs),
    /// Show what `cairn apply` would change: each resource created, updated, replaced or
    /// deleted, with an attribute diff, against the recorded state (`.cairn/state.json`).
    ///
    /// `--refresh` reads every recorded resource through its provider first and reports drift
    /// (changes made outside Cairn). `--out plan.json` saves the plan for `cairn apply
    /// plan.json`. `--format markdown` writes a pull-request comment, `--format json` data for
    /// tools. Exit code 0 whether or not there are changes; `--detailed-exitcode` exits 3 when
    /// there are.
    Plan(PlanArgs),
    /// Apply a program (planning first) or a saved plan: run the changes through the providers,
    /// in dependency order and in parallel, recording the state after every step.
    ///
    /// A resource starts as soon as everything it depends on has succeeded; a failure skips
    /// only what depends on it. Ctrl-C stops starting new work, lets running operations finish
    /// and saves the state. A saved plan is refused when the state changed since it was made.
    Apply(ApplyArgs),
    /// Remove a stale lock left by an apply that did not finish (a crashed process, a killed
    /// CI job). Make sure no apply is running first.
    Unlock(UnlockArgs),
    /// Format Cairn files in the one canonical layout (docs/language.md, "Formatting").
    ///
    /// PATHs are files or folders (every `.cairn` file under them); default: the current folder.
    /// Formatting keeps every comment and never changes meaning. `--check` changes nothing: it
    /// lists the files that would change and exits 1 if there are any (for CI).
    Fmt(FmtArgs),
    /// Check programs with the lint rules (docs/lint-rules.md): unused and shadowed names,
    /// constant conditions, naming, Kubernetes pitfalls (untagged images, missing limits and
    /// probes, privileged containers, selectors that match nothing), secrets in plain text.
    ///
    /// Levels come from `[lint]` in cairn.toml (`"unused-binding" = "off"`, `kubernetes =
    /// "error"`); `// cairn:allow(rule-name): reason` silences one finding. Exit code 1 when
    /// there is an error-level finding (warnings alone exit 0). `--format sarif` writes SARIF
    /// 2.1.0 for code scanning; `--fix` applies the safe fixes rules offer.
    Lint(LintArgs),
    /// Print the resource graph: every resource instance and what it depends on.
    ///
    /// An edge comes from a reference between resources (`db.host`, `deploy["web"]`) or from a
    /// `depends_on` option. `--format dot` writes Graphviz: `cairn graph app.cairn -f dot | dot
    /// -Tsvg > graph.svg`.
    Graph(GraphArgs),
    /// Turn YAML, JSON Schema or OpenAPI into Cairn source.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Compare what a program evaluates to at two Git revisions: resources added, removed and
    /// changed (attribute by attribute) and changes to the module document.
    ///
    /// Not a text diff: reformatting, reordering or moving code to another file gives an empty
    /// diff. Without REV_B, compares REV_A with the working tree. `--format markdown` is made
    /// for a pull-request comment: `cairn diff origin/main HEAD -f markdown`.
    Diff(DiffArgs),
    /// List the commits that changed what a program (or one resource) evaluates to: a semantic
    /// blame, newest first, with what each commit changed.
    ///
    /// Follows first parents from `--rev` (default `HEAD`), so a merged branch shows as its
    /// merge commit; `--all` follows every parent. Each distinct tree of the project is
    /// evaluated once.
    Log(LogArgs),
}

#[derive(Args)]
struct ParamArgs {
    /// Set a parameter for every revision evaluated: `--param env=prod`. Repeatable.
    #[arg(long = "param", short = 'p', value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// Read parameters from a YAML or JSON object, one field per parameter.
    #[arg(long = "params", value_name = "FILE")]
    params_file: Option<PathBuf>,
}

/// The budget of every evaluation a command runs (see `Limits` in the library, and
/// docs/cli.md).
#[derive(Args)]
struct LimitArgs {
    /// Stop an evaluation after this many steps (about one per expression evaluated, element
    /// built or pair of values compared) with error E0150. Also `CAIRN_MAX_STEPS`.
    /// [default: 200000000]
    #[arg(long, value_name = "N", value_parser = parse_count)]
    max_steps: Option<u64>,
    /// Stop an evaluation once the values it builds add up to more than this (E0151), and
    /// refuse an output larger than this (E0152): bytes, or with a unit (`512MiB`, `2GiB`,
    /// `64K`). Also `CAIRN_MAX_MEMORY`. [default: 256MiB]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_memory: Option<u64>,
}

/// The environment variable that sets `--max-steps`.
const ENV_MAX_STEPS: &str = "CAIRN_MAX_STEPS";
/// The environment variable that sets `--max-memory`.
const ENV_MAX_MEMORY: &str = "CAIRN_MAX_MEMORY";

impl LimitArgs {
    /// The limits: the flags, else the environment, else the defaults.
    fn resolve(&self) -> Result<cairn::eval::Limits, Failure> {
        let mut limits = cairn::eval::Limits::default();
        let from_env =
            |name: &str, parse: fn(&str) -> Result<u64, String>| match std::env::var(name) {
                Ok(text) => parse(&text).map(Some).map_err(|why| {
                    user(vec![
                        Diagnostic::error(
                            codes::INVALID_ARGS,
                            format!("invalid value {text:?} in {name}: {why}"),
                        )
                        .with_help(format!("set {name} to a number, or unset it")),
                    ])
                }),
                Err(_) => Ok(None),
            };
        if let Some(n) = self.max_steps.or(from_env(ENV_MAX_STEPS, parse_count)?) {
            limits.max_steps = n;
        }
        if let Some(n) = self.max_memory.or(from_env(ENV_MAX_MEMORY, parse_size)?) {
            limits.max_memory = n;
        }
        Ok(limits)
    }
}

/// A count: digits, with `_` between them if wanted (`200_000_000`).
fn parse_count(text: &str) -> Result<u64, String> {
    let digits: String = text.trim().chars().filter(|c| *c != '_').collect();
    digits
        .parse::<u64>()
        .map_err(|_| format!("expected a whole number, found {text:?}"))
}

/// A size in bytes: a count, optionally followed by `K`, `M` or `G` (`KiB`, `MiB`, `GiB`; powers
/// of 1024).
fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '_'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kib" => 10,
        "m" | "mib" => 20,
        "g" | "gib" => 30,
        _ => {
            return Err(format!(
                "expected bytes, or a size such as `512MiB` or `2GiB`, found {text:?}"
            ));
        }
    };
    let n = parse_count(number)?;
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("{text:?} is too large"))
}

#[derive(Args)]
struct DiffArgs {
    /// The older revision: a sha, a branch, a tag, `HEAD~3`.
    rev_a: String,
    /// The newer revision (default: the files in the working tree).
    rev_b: Option<String>,
    /// The program: a Cairn file or a package folder.
    #[arg(long, short = 'P', default_value = ".", value_name = "PATH")]
    program: PathBuf,
    #[command(flatten)]
    params: ParamArgs,
    #[command(flatten)]
    limits: LimitArgs,
    /// `text`, `json` (for tools) or `markdown` (for a pull-request comment).
    #[arg(long, short = 'f', value_enum, default_value_t = PlanFormat::Text)]
    format: PlanFormat,
}

#[derive(Args)]
struct LogArgs {
    /// Only commits that changed this resource: an address (`db`, `deploy["web"]`), or a
    /// keyed resource's name for all its instances (`deploy`).
    resource: Option<String>,
    /// The program: a Cairn file or a package folder.
    #[arg(long, short = 'P', default_value = ".", value_name = "PATH")]
    program: PathBuf,
    /// Start from this revision.
    #[arg(long, default_value = "HEAD", value_name = "REV")]
    rev: String,
    /// Follow every parent, not only the first.
    #[arg(long)]
    all: bool,
    /// Look at no more than this many commits.
    #[arg(long, short = 'n', default_value_t = 1000, value_name = "N")]
    max_count: usize,
    #[command(flatten)]
    params: ParamArgs,
    #[command(flatten)]
    limits: LimitArgs,
    /// `text` or `json`.
    #[arg(long, short = 'f', value_enum, default_value_t = TextOrJson::Text)]
    format: TextOrJson,
}

#[derive(Args)]
struct PlanArgs {
    #[command(flatten)]
    common: Common,
    /// Read every recorded resource through its provider first, and report drift.
    #[arg(long)]
    refresh: bool,
    /// `text`, `json` (for tools) or `markdown` (for a pull-request comment).
    #[arg(long, short = 'f', value_enum, default_value_t = PlanFormat::Text)]
    format: PlanFormat,
    /// Save the plan (JSON) for `cairn apply FILE`.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Exit 3 when the plan has changes (0 when it has none).
    #[arg(long)]
    detailed_exitcode: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PlanFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Args)]
struct ApplyArgs {
    #[command(flatten)]
    common: Common,
    /// How many operations may run at once.
    #[arg(long, default_value_t = 10, value_name = "N")]
    parallelism: usize,
    /// Only this resource (and what it depends on); repeatable.
    #[arg(long = "target", value_name = "RESOURCE")]
    targets: Vec<String>,
    /// Read every recorded resource first (as `plan --refresh`) and repair drift.
    #[arg(long)]
    refresh: bool,
    /// Delete protected resources too.
    #[arg(long)]
    allow_protected_delete: bool,
    /// Allow a plan that deletes every resource.
    #[arg(long)]
    allow_delete_all: bool,
    /// Apply although the project folder has uncommitted changes (the commit recorded is
    /// `HEAD`, which does not hold them).
    #[arg(long)]
    allow_dirty: bool,
    /// Apply a commit that does not descend from the last applied one: an older commit (a
    /// rollback) or another branch.
    #[arg(long)]
    allow_rollback: bool,
    /// Refuse unless every commit since the last applied one is signed (SSH) by a key of the
    /// allowed signers file; also `require-signed = true` under `[git]` in cairn.toml.
    #[arg(long)]
    require_signed: bool,
    /// The allowed signers file (OpenSSH format, as Git's `gpg.ssh.allowedSignersFile`);
    /// default: `allowed-signers` under `[git]` in cairn.toml.
    #[arg(long, value_name = "FILE")]
    allowed_signers: Option<PathBuf>,
}

#[derive(Args)]
struct UnlockArgs {
    /// The project (a program in it, or its folder); the current folder by default.
    #[arg(default_value = ".")]
    path: PathBuf,
}

#[derive(Args)]
struct FmtArgs {
    /// Files or folders (default: the current folder).
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Change nothing; list the files that are not formatted and exit 1 if there are any.
    #[arg(long)]
    check: bool,
    /// Check the files of this Git revision instead of the working tree (needs `--check`).
    #[arg(long, value_name = "REV", requires = "check")]
    rev: Option<String>,
}

#[derive(Args)]
struct LintArgs {
    /// Programs: Cairn files or package folders (default: the current folder).
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// `human`, `json` (the diagnostics as JSON) or `sarif` (SARIF 2.1.0).
    #[arg(long, short = 'f', value_enum, default_value_t = LintFormat::Human)]
    format: LintFormat,
    /// Apply the safe fixes the findings offer, then report what is left.
    #[arg(long)]
    fix: bool,
    /// Set a parameter for the evaluation the value rules look at: `--param n=10`.
    #[arg(long = "param", short = 'p', value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// Lint the programs at this Git revision instead of the working tree (not with `--fix`).
    #[arg(long, value_name = "REV", conflicts_with = "fix")]
    rev: Option<String>,
    #[command(flatten)]
    limits: LimitArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LintFormat {
    Human,
    Json,
    Sarif,
}

#[derive(Args)]
struct GraphArgs {
    #[command(flatten)]
    common: Common,
    /// `text` (each resource with what it depends on, in dependency order) or `dot`.
    #[arg(long, short = 'f', value_enum, default_value_t = GraphFormat::Text)]
    format: GraphFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GraphFormat {
    Text,
    Dot,
}

#[derive(Args)]
struct DocArgs {
    /// A file, a package folder, or `std.<module>`.
    target: String,
    /// Write to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "PATH")]
    output: Option<PathBuf>,
    /// Read it at this Git revision instead of from the working tree.
    #[arg(long, value_name = "REV")]
    rev: Option<String>,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Turn YAML documents into a Cairn program that exports the same data.
    ///
    /// Kubernetes objects of a kind std.k8s knows become typed resources
    /// (`resource web_deployment: k8s.Deployment { ... }`, without `apiVersion` and `kind`,
    /// which the schema fills in); an object that does not fit its type, or of another kind,
    /// becomes an untyped `k8s.Object`. A single document that is not a Kubernetes object
    /// becomes the module document. Several files are read in order, as one stream.
    ///
    /// Example: cairn import yaml manifests/*.yaml -o main.cairn
    Yaml(ImportYamlArgs),
    /// Turn the schemas of an OpenAPI document (v2 `definitions`, v3 `components.schemas`) into
    /// Cairn `schema` and `type` declarations, with their descriptions as doc comments.
    ///
    /// Kubernetes kinds (`x-kubernetes-group-version-kind`) get `apiVersion` and `kind` filled
    /// in by default. std.k8s is generated this way (see stdlib/k8s/README.md).
    Openapi(ImportSchemaArgs),
    /// Turn a JSON Schema (with `$defs` or `definitions`), or a Kubernetes
    /// CustomResourceDefinition (YAML or JSON), into Cairn `schema` and `type` declarations.
    ///
    /// Example: cairn import jsonschema crontab-crd.yaml -o crontab.cairn
    Jsonschema(ImportSchemaArgs),
}

#[derive(Args)]
struct ImportYamlArgs {
    /// YAML files (multi-document streams too).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Write the program to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "PATH")]
    output: Option<PathBuf>,
}

#[derive(Args)]
struct ImportSchemaArgs {
    /// The document (JSON or YAML).
    file: PathBuf,
    /// Only these definitions and what they use (full names, as in the document); repeatable.
    #[arg(long = "root", value_name = "NAME")]
    roots: Vec<String>,
    /// Write the declarations to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "PATH")]
    output: Option<PathBuf>,
}

#[derive(Args)]
struct DescribeArgs {
    /// The program: a Cairn file, or a package folder.
    file: PathBuf,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = TextOrJson::Text)]
    format: TextOrJson,
    /// Read it at this Git revision instead of from the working tree.
    #[arg(long, value_name = "REV")]
    rev: Option<String>,
}

#[derive(Args)]
struct SchemaArgs {
    /// The program: a Cairn file, or a package folder.
    file: PathBuf,
    /// Only this schema (with `--json-schema`: the schema the document validates).
    name: Option<String>,
    /// Print JSON Schema (draft 2020-12) instead of a description.
    #[arg(long)]
    json_schema: bool,
    /// Read it at this Git revision instead of from the working tree.
    #[arg(long, value_name = "REV")]
    rev: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TextOrJson {
    Text,
    Json,
}

#[derive(Args)]
struct Common {
    /// The program: a Cairn file, or a package folder (all its `.cairn` files).
    file: PathBuf,

    /// Set a parameter: `--param env=prod`. The text is read according to the parameter's
    /// declared type; structured types take YAML or JSON. Repeatable. Parameters can also come
    /// from `--params FILE` and from `CAIRN_PARAM_<NAME>` environment variables; `--param`
    /// wins over `--params`, which wins over the environment.
    #[arg(long = "param", short = 'p', value_name = "NAME=VALUE")]
    params: Vec<String>,

    /// Read parameters from a YAML or JSON object, one field per parameter.
    #[arg(long = "params", value_name = "FILE")]
    params_file: Option<PathBuf>,

    /// Read the program at this Git revision (a sha, `HEAD~3`, a branch, a tag) from the
    /// repository's object database: no checkout, the working tree is not touched. Imports
    /// resolve in the same revision. Default: the files on disk.
    #[arg(long, value_name = "REV")]
    rev: Option<String>,

    #[command(flatten)]
    limits: LimitArgs,
}

#[derive(Args)]
struct ExportArgs {
    #[command(flatten)]
    common: Common,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = FormatArg::Yaml)]
    format: FormatArg,

    /// Write to this file instead of standard output (creating missing folders). Nothing is
    /// written when there are errors, and the file is replaced atomically. A folder (an
    /// existing one, or a path ending in `/`) gets one file per resource, named by position,
    /// kind and name; files of an earlier export there (`NN-*.yaml`) that this run does not
    /// write are removed.
    #[arg(long, short = 'o', value_name = "PATH")]
    output: Option<PathBuf>,

    /// Export the module document even when the program declares resources.
    #[arg(long)]
    document: bool,
}

#[derive(Args)]
struct EvalArgs {
    #[command(flatten)]
    common: Common,

    /// Evaluate this expression in the program's scope instead of the whole program.
    #[arg(long = "expr", short = 'e', value_name = "EXPR")]
    expr: Option<String>,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = FormatArg::Yaml)]
    format: FormatArg,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Yaml,
    Json,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Yaml => Format::Yaml,
            FormatArg::Json => Format::Json,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DiagnosticsFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

/// How a command ended.
enum Failure {
    /// Errors in the user's program or arguments (exit 1).
    User(Vec<Diagnostic>, SourceMap),
}

fn main() -> ExitCode {
    // Usage errors exit 1 like every other error in what the user gave us (clap's own
    // convention is 2, which Cairn keeps for internal errors); `--help` and `--version` exit 0.
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let cli = match Cli::try_parse_from(&argv) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // Diagnostics go where `--diagnostics` says, if it could be read.
            let format = if argv
                .windows(2)
                .any(|w| w[0] == "--diagnostics" && w[1] == "json")
                || argv.iter().any(|a| a == "--diagnostics=json")
            {
                DiagnosticsFormat::Json
            } else {
                DiagnosticsFormat::Human
            };
            let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let (d, sources) = usage_error(&e, &argv);
            report(&[d], &sources, format, color);
            return ExitCode::from(1);
        }
    };
    let diagnostics = cli.diagnostics;
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let result = std::panic::catch_unwind(|| run(cli, color));
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(Failure::User(mut diags, mut sources))) => {
            point_at_arguments(&mut diags, &mut sources, &argv);
            report(&diags, &sources, diagnostics, color);
            ExitCode::from(1)
        }
        Err(_) => {
            let d = Diagnostic::error(codes::INTERNAL, "cairn crashed").with_help(
                "this is a bug in Cairn; please report it with the input that caused it",
            );
            report(&[d], &SourceMap::new(), diagnostics, color);
            ExitCode::from(2)
        }
    }
}

/// The command line as a one-line source, so that diagnostics about arguments can point at
/// them: the text, and where each argument starts in it.
struct CommandLine {
    text: String,
    starts: Vec<usize>,
}

impl CommandLine {
    fn new(argv: &[String]) -> CommandLine {
        let mut text = String::from("cairn");
        let mut starts = vec![0];
        for a in argv.iter().skip(1) {
            text.push(' ');
            starts.push(text.len());
            if a.is_empty() || a.contains(char::is_whitespace) {
                text.push_str(&format!("{a:?}"));
            } else {
                text.push_str(a);
            }
        }
        CommandLine { text, starts }
    }

    /// The span of the last argument that is `arg` or starts with `arg=`.
    fn find(&self, argv: &[String], arg: &str) -> Option<cairn::syntax::ast::Span> {
        let (i, a) = argv
            .iter()
            .enumerate()
            .skip(1)
            .rev()
            .find(|(_, a)| *a == arg || a.starts_with(&format!("{arg}=")))?;
        let start = self.starts[i];
        Some(cairn::syntax::ast::Span::new(
            start,
            start + a.len().min(arg.len()).max(1),
        ))
    }
}

/// A command-line error from clap as a diagnostic like any other: code E0400, the command line
/// as its source with the offending argument underlined, and clap's tip or the usage as help.
fn usage_error(e: &clap::Error, argv: &[String]) -> (Diagnostic, SourceMap) {
    use clap::error::{ContextKind, ContextValue};
    let line = CommandLine::new(argv);
    let text = e.to_string();
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut message = lines
        .next()
        .unwrap_or("invalid arguments")
        .trim_start_matches("error: ")
        .to_string();
    let rest: Vec<&str> = lines.collect();
    // "the following required arguments were not provided:" lists them on the next lines.
    if message.ends_with(':') {
        let listed: Vec<&str> = rest
            .iter()
            .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("tip:"))
            .copied()
            .collect();
        message = format!("{} {}", message, listed.join(", "));
    }
    let tip = rest
        .iter()
        .find_map(|l| l.strip_prefix("tip: "))
        .map(str::to_string);
    let usage = rest
        .iter()
        .find_map(|l| l.strip_prefix("Usage: "))
        .map(str::to_string);
    let strings = |k: ContextKind| -> Vec<String> {
        match e.get(k) {
            Some(ContextValue::String(s)) => vec![s.clone()],
            Some(ContextValue::Strings(v)) => v.clone(),
            _ => Vec::new(),
        }
    };
    // The argument clap complains about, found on the command line: a bad value first, then
    // the argument itself (`--format <FORMAT>` is found as `--format`).
    let span = [
        ContextKind::InvalidValue,
        ContextKind::InvalidArg,
        ContextKind::InvalidSubcommand,
    ]
    .into_iter()
    .flat_map(strings)
    .map(|s| s.split([' ', '=']).next().unwrap_or_default().to_string())
    .filter(|s| !s.is_empty())
    .find_map(|c| line.find(argv, &c));
    let valid = strings(ContextKind::ValidValue);
    let subcommand = argv
        .iter()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .filter(|a| Cli::command().find_subcommand(a.as_str()).is_some());
    let more = match subcommand {
        Some(c) => format!("`cairn {c} --help` explains every argument"),
        None => "`cairn --help` lists the commands".to_string(),
    };
    let help = match (tip, usage) {
        _ if !valid.is_empty() => format!("possible values: {}; {more}", valid.join(", ")),
        (Some(tip), _) => format!("{tip}; {more}"),
        (None, Some(usage)) => format!("usage: {usage}; {more}"),
        (None, None) => more,
    };
    let end = line.text.len();
    let mut sources = SourceMap::new();
    let file = sources.add("<command line>", line.text);
    let d = Diagnostic::error(codes::INVALID_ARGS, message);
    let d = match span {
        Some(span) => d.at(file, span, "here"),
        None => d.at(
            file,
            cairn::syntax::ast::Span::new(end, end),
            "expected more here",
        ),
    };
    (d.with_help(help), sources)
}

/// Points diagnostics that have no place in a source, but name an argument of the command
/// (`cannot read missing.cairn`), at that argument on the command line.
fn point_at_arguments(diags: &mut [Diagnostic], sources: &mut SourceMap, argv: &[String]) {
    let line = CommandLine::new(argv);
    let mut file = None;
    for d in diags.iter_mut().filter(|d| d.labels.is_empty()) {
        let named = argv
            .iter()
            .skip(1)
            .filter(|a| a.len() > 1 && !a.starts_with('-') && d.message.contains(a.as_str()))
            .max_by_key(|a| a.len());
        if let Some(span) = named.and_then(|a| line.find(argv, a)) {
            let file =
                *file.get_or_insert_with(|| sources.add("<command line>", line.text.clone()));
            d.labels.push(cairn::diagnostics::Label {
                file,
                span,
                message: "this argument".into(),
                primary: true,
            });
        }
    }
}

fn report(diags: &[Diagnostic], sources: &SourceMap, format: DiagnosticsFormat, color: bool) {
    let mut err = std::io::stderr().lock();
    match format {
        DiagnosticsFormat::Json => {
            let list: Vec<_> = diags.iter().map(|d| render::json(d, sources)).collect();
            let _ = writeln!(err, "{}", serde_json::json!({ "diagnostics": list }));
        }
        DiagnosticsFormat::Human => {
            for d in diags {
                let _ = write!(err, "{}", render::fancy(d, sources, color));
            }
            let errors = diags.iter().filter(|d| d.is_error()).count();
            if errors > 0 {
                let _ = writeln!(
                    err,
                    "{errors} error{} reported",
                    if errors == 1 { "" } else { "s" }
                );
            }
        }
    }
}

/// Parameters and limits from the command line, checked once, set on every engine a command
/// makes.
struct Params {
    pairs: Vec<(String, String)>,
    document: Option<(String, String)>,
    limits: cairn::eval::Limits,
}

impl Params {
    fn read(params: &[String], file: Option<&Path>, limits: &LimitArgs) -> Result<Params, Failure> {
        let limits = limits.resolve()?;
        let mut bad = Vec::new();
        let mut pairs = Vec::new();
        for p in params {
            match p.split_once('=') {
                Some((name, value)) if !name.trim().is_empty() => {
                    pairs.push((name.trim().to_string(), value.to_string()));
                }
                _ => bad.push(
                    Diagnostic::error(
                        codes::INVALID_ARGS,
                        format!("`--param {p}` is not of the form NAME=VALUE"),
                    )
                    .with_help("write for example `--param env=prod`"),
                ),
            }
        }
        let mut document = None;
        if let Some(path) = file {
            match std::fs::read_to_string(path) {
                Ok(text) => {
                    let name = path.display().to_string();
                    if let Err(d) = Engine::new().params_from_document(&name, &text) {
                        bad.push(*d);
                    }
                    document = Some((name, text));
                }
                Err(e) => bad.push(
                    Diagnostic::error(codes::IO, format!("cannot read {}: {e}", path.display()))
                        .with_help("check the path given to --params"),
                ),
            }
        }
        if bad.is_empty() {
            Ok(Params {
                pairs,
                document,
                limits,
            })
        } else {
            Err(Failure::User(bad, SourceMap::new()))
        }
    }

    fn set(&self, engine: &mut Engine) {
        engine.limits(self.limits);
        for (k, v) in &self.pairs {
            engine.param_text(k, v);
        }
        if let Some((name, text)) = &self.document {
            let _ = engine.params_from_document(name, text);
        }
        engine.params_from_env(std::env::vars());
    }
}

/// Where a command reads its program: the working tree, or a commit of the repository.
struct Source {
    git: Option<(cairn::history::Repo, cairn::history::Commit)>,
}

impl Source {
    fn open(path: &Path, rev: Option<&str>) -> Result<Source, Failure> {
        let Some(rev) = rev else {
            return Ok(Source { git: None });
        };
        let repo = cairn::history::Repo::discover(path).map_err(git_failure)?;
        let commit = repo.resolve(rev).map_err(git_failure)?;
        Ok(Source {
            git: Some((repo, commit)),
        })
    }

    fn engine(&self) -> Result<Engine, Failure> {
        Ok(match &self.git {
            None => Engine::new(),
            Some((repo, c)) => Engine::with_loader(repo.loader(c).map_err(git_failure)?),
        })
    }

    fn loader(&self) -> Result<Box<dyn cairn::Loader>, Failure> {
        match &self.git {
            None => Ok(Box::new(cairn::FsLoader)),
            Some((repo, c)) => Ok(Box::new(repo.loader(c).map_err(git_failure)?)),
        }
    }
}

fn git_diagnostic(e: cairn::history::Error) -> Diagnostic {
    Diagnostic::error(codes::GIT, e.to_string()).with_help(e.help())
}

fn git_failure(e: cairn::history::Error) -> Failure {
    user(vec![git_diagnostic(e)])
}

fn engine_for(common: &Common) -> Result<Engine, Failure> {
    let params = Params::read(
        &common.params,
        common.params_file.as_deref(),
        &common.limits,
    )?;
    let mut engine = Source::open(&common.file, common.rev.as_deref())?.engine()?;
    params.set(&mut engine);
    Ok(engine)
}

/// Writes documents (checked first, so that a failure leaves no half output behind).
fn write_documents(
    docs: &[&cairn::Value],
    format: Format,
    output: Option<&Path>,
    engine: &Engine,
    max: usize,
) -> Result<(), Failure> {
    export::check(docs, format).map_err(|m| {
        Failure::User(
            vec![
                Diagnostic::error(codes::NOT_EXPORTABLE, m)
                    .with_help("export only data: functions stay inside the program"),
            ],
            engine.sources().clone(),
        )
    })?;
    emit(|w| export::write_to(docs, format, w, max), output)
}

/// Loads a file and describes what it declares.
fn describe(file: &Path, rev: Option<&str>) -> Result<(Engine, cairn::Description), Failure> {
    let mut engine = Source::open(file, rev)?.engine()?;
    match engine.describe_path(file) {
        Ok(d) => Ok((engine, d)),
        Err(diags) => Err(Failure::User(diags, engine.sources().clone())),
    }
}

fn print_params(desc: &cairn::Description, format: TextOrJson) -> String {
    if format == TextOrJson::Json {
        return format!(
            "{}\n",
            serde_json::to_string_pretty(&desc.params).unwrap_or_default()
        );
    }
    if desc.params.is_empty() {
        return "no parameters\n".to_string();
    }
    let mut out = String::new();
    for p in &desc.params {
        out.push_str(&p.name);
        if let Some(t) = &p.ty {
            out.push_str(&format!(": {t}"));
        }
        match &p.default {
            Some(d) => out.push_str(&format!(" = {d}")),
            None => out.push_str("  (required)"),
        }
        out.push('\n');
        if let Some(doc) = &p.doc {
            for line in doc.lines() {
                out.push_str(&format!("    {line}\n"));
            }
        }
        out.push_str(&format!(
            "    set with --param {}=... or {}\n",
            p.name, p.env
        ));
    }
    out
}

fn print_schemas(desc: &cairn::Description, only: Option<&str>) -> String {
    let mut out = String::new();
    for s in desc
        .schemas
        .iter()
        .filter(|s| only.is_none_or(|n| n == s.name))
    {
        if let Some(doc) = &s.doc {
            for line in doc.lines() {
                out.push_str(&format!("/// {line}\n"));
            }
        }
        out.push_str(&format!("schema {}", s.name));
        if !s.extends.is_empty() {
            out.push_str(&format!(" extends {}", s.extends.join(", ")));
        }
        out.push_str(" {\n");
        for f in &s.fields {
            if let Some(doc) = &f.doc {
                for line in doc.lines() {
                    out.push_str(&format!("  /// {line}\n"));
                }
            }
            out.push_str(&format!(
                "  {}{}: {}",
                f.name,
                if f.optional { "?" } else { "" },
                f.ty
            ));
            if let Some(d) = &f.default {
                out.push_str(&format!(" = {d}"));
            }
            out.push('\n');
        }
        if s.checks > 0 {
            out.push_str(&format!("  // and {} check(s)\n", s.checks));
        }
        out.push_str("}\n");
    }
    out
}

fn run(cli: Cli, cli_color: bool) -> Result<(), Failure> {
    match cli.command {
        Command::Export(args) => {
            let mut engine = engine_for(&args.common)?;
            let format: Format = args.format.into();
            let output = args.output.as_deref();
            let to_dir = output.is_some_and(|o| {
                o.is_dir()
                    || o.as_os_str()
                        .to_string_lossy()
                        .ends_with(std::path::MAIN_SEPARATOR)
                    || o.as_os_str().to_string_lossy().ends_with('/')
            });
            if args.document {
                let out = engine.evaluate_file(&args.common.file);
                if out.has_errors() {
                    return Err(Failure::User(out.diagnostics, engine.sources().clone()));
                }
                let max = out.limits.max_output();
                return write_documents(
                    &[&out.document],
                    format,
                    args.output.as_deref(),
                    &engine,
                    max,
                );
            }
            // Resources are written as they are evaluated (the output is kept, not the value
            // tree), and only printed when the whole program evaluated without errors.
            let max = args.common.limits.resolve()?.max_output();
            let mut stream = if to_dir {
                export::StreamWriter::for_files(format)
            } else {
                export::StreamWriter::new(format)
            }
            .limit(max);
            let mut unknown = Vec::new();
            let mut out = engine.evaluate_file_streaming(&args.common.file, &mut |r| {
                if cairn::resources::is_applied(&r.type_path) {
                    return;
                }
                if let Some((path, what)) = cairn::resources::find_unknown(&r.body) {
                    unknown.push(
                        Diagnostic::error(
                            codes::UNKNOWN_VALUE,
                            format!(
                                "`{}{path}` uses `{what}`, which is known only after `cairn apply`",
                                r.address()
                            ),
                        )
                        .at(r.file, r.span, "this resource is exported")
                        .with_help("export only what is known before apply, or apply the program: `cairn plan` shows the value as (known after apply)"),
                    );
                    return;
                }
                stream.push(&r.body, &r.address())
            });
            out.diagnostics.extend(unknown);
            if out.has_errors() {
                return Err(Failure::User(out.diagnostics, engine.sources().clone()));
            }
            if !out.declares_resources {
                if to_dir {
                    let d = Diagnostic::error(
                        codes::INVALID_ARGS,
                        "the program declares no resources, so there are no documents to write to a folder",
                    )
                    .with_help("give a file name to `-o` to write the module document");
                    return Err(Failure::User(vec![d], engine.sources().clone()));
                }
                return write_documents(
                    &[&out.document],
                    format,
                    args.output.as_deref(),
                    &engine,
                    max,
                );
            }
            if let Some(e) = stream.error.take() {
                return Err(Failure::User(
                    vec![e.diagnostic()],
                    engine.sources().clone(),
                ));
            }
            if let Some(dir) = output.filter(|_| to_dir) {
                return write_folder(dir, stream.files());
            }
            let result = emit(|w| stream.write_to(w), args.output.as_deref());
            // The process ends next: releasing what is left piece by piece only costs time.
            std::mem::forget(out);
            std::mem::forget(stream);
            result
        }
        Command::Params(args) => {
            let (_, desc) = describe(&args.file, args.rev.as_deref())?;
            let text = print_params(&desc, args.format);
            emit(|w| w.write_all(text.as_bytes()), None)
        }
        Command::Schema(args) => {
            let (engine, desc) = describe(&args.file, args.rev.as_deref())?;
            let name = args.name.as_deref();
            if let Some(n) = name
                && !desc.schemas.iter().any(|s| s.name == n)
            {
                let names: Vec<&str> = desc.schemas.iter().map(|s| s.name.as_str()).collect();
                let mut d = Diagnostic::error(
                    codes::UNKNOWN_TYPE,
                    format!("the program has no schema `{n}`"),
                );
                d = match cairn::diagnostics::did_you_mean(n, names.iter().copied()) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None if names.is_empty() => d.with_help("the program declares no schemas"),
                    None => d.with_help(format!("its schemas: {}", names.join(", "))),
                };
                return Err(Failure::User(vec![d], engine.sources().clone()));
            }
            let text = if args.json_schema {
                let doc = desc.json_schema(name).unwrap_or_default();
                format!(
                    "{}\n",
                    serde_json::to_string_pretty(&doc).unwrap_or_default()
                )
            } else if desc.schemas.is_empty() {
                "no schemas\n".to_string()
            } else {
                print_schemas(&desc, name)
            };
            emit(|w| w.write_all(text.as_bytes()), None)
        }
        Command::Doc(args) => {
            let mut engine = Source::open(Path::new("."), args.rev.as_deref())?.engine()?;
            let text = engine
                .document(&args.target)
                .map_err(|d| Failure::User(d, engine.sources().clone()))?;
            emit(
                |w| w.write_all(format!("{text}\n").as_bytes()),
                args.output.as_deref(),
            )
        }
        Command::Import(cmd) => import(cmd),
        Command::Diff(args) => diff_command(args),
        Command::Log(args) => log_command(args),
        Command::Plan(args) => plan_command(args),
        Command::Lint(args) => lint_command(args, cli_color),
        Command::Fmt(args) => fmt_command(args),
        Command::Apply(args) => apply_command(args),
        Command::Unlock(args) => {
            let store = state_store(&args.path)?;
            let removed = store
                .force_unlock()
                .map_err(|e| user(vec![state_error(e)]))?;
            let text = match removed {
                Some(l) => format!(
                    "warning: removed the lock held by {} (pid {} on {}, {} since {})\n",
                    l.owner, l.pid, l.host, l.operation, l.acquired
                ),
                None => "no lock to remove\n".to_string(),
            };
            let _ = std::io::stderr().write_all(text.as_bytes());
            Ok(())
        }
        Command::Graph(args) => {
            let mut engine = engine_for(&args.common)?;
            let out = engine.evaluate_file(&args.common.file);
            if out.has_errors() {
                return Err(Failure::User(out.diagnostics, engine.sources().clone()));
            }
            let (graph, problems) = cairn::resources::graph::ResourceGraph::build(out.resources);
            if !problems.is_empty() {
                return Err(Failure::User(problems, engine.sources().clone()));
            }
            let text = match args.format {
                GraphFormat::Text => graph.to_text(),
                GraphFormat::Dot => graph.to_dot(),
            };
            emit(|w| w.write_all(text.as_bytes()), None)
        }
        Command::Eval(args) => {
            let mut engine = engine_for(&args.common)?;
            let value = match &args.expr {
                Some(expr) => engine
                    .evaluate_expr_path(&args.common.file, expr)
                    .map_err(|d| Failure::User(d, engine.sources().clone()))?,
                None => {
                    let out = engine.evaluate_file(&args.common.file);
                    if out.has_errors() {
                        return Err(Failure::User(out.diagnostics, engine.sources().clone()));
                    }
                    out.document
                }
            };
            let max = args.common.limits.resolve()?.max_output();
            let text = export::render_limited(&[&value], args.format.into(), max).map_err(|e| {
                let d = match e {
                    export::ExportError::Invalid(m) => Diagnostic::error(codes::NOT_EXPORTABLE, m)
                        .with_help("call the function to get a value"),
                    too_large => too_large.diagnostic(),
                };
                Failure::User(vec![d], engine.sources().clone())
            })?;
            emit(|w| w.write_all(text.as_bytes()), None)
        }
    }
}

fn user(diags: Vec<Diagnostic>) -> Failure {
    Failure::User(diags, SourceMap::new())
}

fn state_error(e: cairn::resources::state::StateError) -> Diagnostic {
    use cairn::resources::state::StateError;
    match &e {
        StateError::Locked(l) => {
            let expired = l.expired(std::time::SystemTime::now());
            Diagnostic::error(
                codes::STATE,
                format!(
                    "the state is locked by {} (pid {} on {}, {} since {}){}",
                    l.owner,
                    l.pid,
                    l.host,
                    l.operation,
                    l.acquired,
                    if expired { "; its lease has expired" } else { "" }
                ),
            )
            .with_help(if expired {
                "the apply that held it probably died: if none is running, remove the lock with `cairn unlock`"
            } else {
                "another apply is running; wait for it, or if it died, remove the lock with `cairn unlock`"
            })
        }
        StateError::SerialExhausted { .. } => Diagnostic::error(codes::STATE, e.to_string())
            .with_help("start a new state history: in .cairn/state.json set `serial` to 0 and `lineage` to \"\" (the next save makes a new lineage; plans saved before stay refused)"),
        _ => Diagnostic::error(codes::STATE, e.to_string())
            .with_help("the state file is never replaced silently; restore it from a backup, or move it away to start afresh"),
    }
}

/// The state store of the project `path` is in (`<project>/.cairn`).
fn state_store(path: &Path) -> Result<cairn::resources::state::Store, Failure> {
    let mut sources = SourceMap::new();
    let project = cairn::modules::Project::find(&cairn::FsLoader, &mut sources, path)
        .map_err(|d| Failure::User(vec![*d], sources.clone()))?;
    let root = if project.root.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        project.root
    };
    Ok(cairn::resources::state::Store::new(root.join(".cairn")))
}

/// The provider context for the project of `path`.
fn provider_ctx(path: &Path) -> Result<cairn::resources::provider::Ctx, Failure> {
    let store = state_store(path)?;
    let root = store
        .dir()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    Ok(cairn::resources::provider::Ctx::new(root))
}

/// The commit a plan or an apply is about, when the program is in a Git repository.
struct GitTarget {
    repo: cairn::history::Repo,
    /// `None` in a repository without commits.
    commit: Option<cairn::history::Commit>,
    /// Uncommitted changes in the project folder (reading the working tree only).
    dirty: Vec<String>,
}

/// The Git target of `common`: its `--rev`, or the working tree on top of `HEAD`; `None`
/// outside a repository.
fn git_target(common: &Common) -> Result<Option<GitTarget>, Failure> {
    if let Some(rev) = &common.rev {
        let repo = cairn::history::Repo::discover(&common.file).map_err(git_failure)?;
        let commit = repo.resolve(rev).map_err(git_failure)?;
        return Ok(Some(GitTarget {
            repo,
            commit: Some(commit),
            dirty: Vec::new(),
        }));
    }
    let Ok(repo) = cairn::history::Repo::discover(&common.file) else {
        return Ok(None);
    };
    let commit = repo.head().map_err(git_failure)?;
    let root = project_root(&common.file)?;
    let dirty = repo.dirty_files(&root).map_err(git_failure)?;
    Ok(Some(GitTarget {
        repo,
        commit,
        dirty,
    }))
}

/// The project folder of `path` (its cairn.toml's, or the program's own).
fn project_root(path: &Path) -> Result<PathBuf, Failure> {
    let store = state_store(path)?;
    Ok(store
        .dir()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".")))
}

/// Evaluates a program and makes its plan against `state`; in a Git repository, names the
/// target commit and, for each change, the commits since the last applied one that made it.
fn make_plan(
    common: &Common,
    state: &cairn::resources::state::State,
    ctx: &cairn::resources::provider::Ctx,
    refresh: bool,
    git: Option<&GitTarget>,
) -> Result<cairn::resources::plan::Plan, Failure> {
    let mut engine = engine_for(common)?;
    let out = engine.evaluate_file(&common.file);
    if out.has_errors() {
        return Err(Failure::User(out.diagnostics, engine.sources().clone()));
    }
    let denied = out.check_policies();
    if !denied.is_empty() {
        return Err(Failure::User(denied, engine.sources().clone()));
    }
    let export_only: Vec<cairn::resources::plan::ExportOnly> = out
        .resources
        .iter()
        .filter(|r| !cairn::resources::is_applied(&r.type_path))
        .map(|r| cairn::resources::plan::ExportOnly {
            address: r.address(),
            type_path: r.type_path.to_string(),
        })
        .collect();
    let desired = cairn::resources::desired(out.resources)
        .map_err(|d| Failure::User(d, engine.sources().clone()))?;
    let mut plan = cairn::resources::plan::make(
        &desired,
        state,
        &|n| cairn::resources::builtin(n),
        ctx,
        refresh,
    )
    .map_err(|e| {
        let site = e
            .address
            .as_ref()
            .and_then(|a| desired.iter().find(|d| &d.address == a))
            .and_then(|d| d.site);
        let mut d = Diagnostic::error(codes::PLAN, e.message.clone()).with_help(
            e.help.clone().unwrap_or_else(|| {
                "fix the resource's inputs in the program, or the provider's command".into()
            }),
        );
        if let Some((file, span)) = site {
            d = d.at(file, span, "this resource");
        }
        Failure::User(vec![d], engine.sources().clone())
    })?;
    plan.export_only = export_only;
    let Some(GitTarget {
        repo,
        commit: Some(target),
        dirty,
    }) = git
    else {
        return Ok(plan);
    };
    plan.revision = Some(target.id.clone());
    plan.dirty = !dirty.is_empty();
    if let Some(applied) = &state.revision
        && *applied != target.id
        && !plan.is_empty()
    {
        let params = Params::read(
            &common.params,
            common.params_file.as_deref(),
            &common.limits,
        )?;
        let root = project_root(&common.file)?;
        let plugins = cairn::plugin::Host::default();
        let found = cairn::history::Cache::new(repo, &common.file, &root, |e| {
            params.set(e);
            // One host for every revision: each plugin is compiled once.
            e.plugin_host(plugins.clone());
        })
        .and_then(|mut cache| cairn::history::provenance(repo, &mut cache, applied, &target.id));
        match found {
            Ok(by_address) => {
                for c in &mut plan.changes {
                    for commit in by_address.get(&c.address).into_iter().flatten() {
                        c.introduced_by.push(cairn::resources::plan::Origin {
                            commit: commit.id.clone(),
                            author: commit.author.clone(),
                            subject: commit.subject.clone(),
                        });
                    }
                }
            }
            Err(e) => {
                let _ = writeln!(
                    std::io::stderr(),
                    "warning: cannot say which commits made these changes: {e}"
                );
            }
        }
    }
    Ok(plan)
}

/// The `.cairn` files under `path` (itself, when it is a file), sorted; hidden folders and
/// `target` are skipped.
fn cairn_files(
    loader: &dyn cairn::Loader,
    path: &Path,
    out: &mut Vec<PathBuf>,
) -> std::io::Result<()> {
    if !loader.is_dir(path) {
        if loader.is_file(path) {
            out.push(path.to_path_buf());
            return Ok(());
        }
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such file or folder",
        ));
    }
    for p in loader.list(path)? {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        if loader.is_dir(&p) {
            cairn_files(loader, &p, out)?;
        } else if p.extension().is_some_and(|e| e == "cairn") {
            out.push(p);
        }
    }
    Ok(())
}

fn fmt_command(args: FmtArgs) -> Result<(), Failure> {
    let first = args
        .paths
        .first()
        .map(PathBuf::as_path)
        .unwrap_or(Path::new("."));
    let loader = Source::open(first, args.rev.as_deref())?.loader()?;
    let mut files = Vec::new();
    for p in &args.paths {
        cairn_files(&*loader, p, &mut files).map_err(|e| {
            user(vec![
                Diagnostic::error(codes::IO, format!("cannot read {}: {e}", p.display()))
                    .with_help("check the path and its permissions"),
            ])
        })?;
    }
    let mut sources = SourceMap::new();
    let mut problems = Vec::new();
    let mut changed = Vec::new();
    for f in &files {
        let text = match loader.load(f) {
            Ok(t) => t,
            Err(e) => {
                problems.push(
                    Diagnostic::error(codes::IO, format!("cannot read {}: {e}", f.display()))
                        .with_help("check the path and its permissions"),
                );
                continue;
            }
        };
        let id = sources.add(f.display().to_string(), text.as_str());
        match cairn::fmt::format_source(id, &text) {
            Ok(formatted) if formatted != text => {
                changed.push(f.display().to_string());
                if !args.check {
                    emit(|w| w.write_all(formatted.as_bytes()), Some(f))?;
                }
            }
            Ok(_) => {}
            Err(diags) => problems.extend(diags),
        }
    }
    if !problems.is_empty() {
        return Err(Failure::User(problems, sources));
    }
    let mut out = std::io::stdout().lock();
    for c in &changed {
        let _ = writeln!(out, "{c}");
    }
    if args.check && !changed.is_empty() {
        let _ = writeln!(
            std::io::stderr(),
            "{} file{} not formatted; run `cairn fmt` to format",
            changed.len(),
            if changed.len() == 1 { " is" } else { "s are" }
        );
        return Err(Failure::User(Vec::new(), SourceMap::new()));
    }
    Ok(())
}

fn lint_command(args: LintArgs, color: bool) -> Result<(), Failure> {
    let first = args
        .paths
        .first()
        .map(PathBuf::as_path)
        .unwrap_or(Path::new("."));
    let source = Source::open(first, args.rev.as_deref())?;
    let params = Params::read(&args.params, None, &args.limits)?;
    let new_engine = || -> Result<Engine, Failure> {
        let mut e = source.engine()?;
        params.set(&mut e);
        Ok(e)
    };
    let mut engine = new_engine()?;
    let mut all = Vec::new();
    let mut fixed = 0;
    for path in &args.paths {
        let mut run = engine.lint(path);
        if args.fix && !run.fixes.is_empty() {
            let mut by_file: std::collections::BTreeMap<
                cairn::source::FileId,
                Vec<&cairn::lint::Fix>,
            > = Default::default();
            for f in &run.fixes {
                by_file.entry(f.file).or_default().push(f);
            }
            for (file, fixes) in by_file {
                let name = engine.sources().name(file).to_string();
                let text = cairn::lint::apply_fixes(engine.sources().text(file), &fixes);
                emit(|w| w.write_all(text.as_bytes()), Some(Path::new(&name)))?;
                fixed += fixes.len();
            }
            // Report what is left.
            engine = new_engine()?;
            run = engine.lint(path);
        }
        all.extend(run.diagnostics);
    }
    if args.fix {
        let _ = writeln!(
            std::io::stderr(),
            "applied {fixed} fix{}",
            if fixed == 1 { "" } else { "es" }
        );
    }
    let errors = all.iter().any(|d| d.is_error());
    match args.format {
        LintFormat::Sarif => {
            let log = cairn::lint::sarif::log(&all, engine.sources());
            let text = format!(
                "{}\n",
                serde_json::to_string_pretty(&log).unwrap_or_default()
            );
            emit(|w| w.write_all(text.as_bytes()), None)?;
        }
        LintFormat::Json => {
            let list: Vec<_> = all
                .iter()
                .map(|d| render::json(d, engine.sources()))
                .collect();
            let text = format!("{}\n", serde_json::json!({ "diagnostics": list }));
            emit(|w| w.write_all(text.as_bytes()), None)?;
        }
        LintFormat::Human => {
            let mut err = std::io::stderr().lock();
            for d in &all {
                let _ = write!(err, "{}", render::fancy(d, engine.sources(), color));
            }
            let warnings = all.iter().filter(|d| !d.is_error()).count();
            let errs = all.len() - warnings;
            let _ = writeln!(
                err,
                "{errs} error{}, {warnings} warning{}",
                if errs == 1 { "" } else { "s" },
                if warnings == 1 { "" } else { "s" }
            );
        }
    }
    if errors {
        // The findings were printed above.
        Err(Failure::User(Vec::new(), SourceMap::new()))
    } else {
        Ok(())
    }
}

fn plan_command(args: PlanArgs) -> Result<(), Failure> {
    use cairn::resources::plan;
    let store = state_store(&args.common.file)?;
    let state = store.load().map_err(|e| user(vec![state_error(e)]))?;
    let ctx = provider_ctx(&args.common.file)?;
    let git = git_target(&args.common)?;
    let mut plan = make_plan(&args.common, &state, &ctx, args.refresh, git.as_ref())?;
    if let Some(path) = &args.out {
        // The plan names its project, so that it is applied there wherever the file goes.
        plan.project = std::path::absolute(project_root(&args.common.file)?)
            .ok()
            .map(|p| cairn::source::normalize(&p).display().to_string());
        let json = serde_json::to_string_pretty(&plan).unwrap_or_default();
        emit(|w| w.write_all(format!("{json}\n").as_bytes()), Some(path))?;
    }
    let text = match args.format {
        PlanFormat::Text => plan::to_text(&plan),
        PlanFormat::Markdown => plan::to_markdown(&plan),
        PlanFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&plan).unwrap_or_default()
        ),
    };
    emit(|w| w.write_all(text.as_bytes()), None)?;
    if args.detailed_exitcode && !plan.is_empty() {
        std::process::exit(3);
    }
    Ok(())
}

fn apply_command(args: ApplyArgs) -> Result<(), Failure> {
    use cairn::resources::{apply, plan, state};
    let saved: Option<plan::Plan> = std::fs::read_to_string(&args.common.file)
        .ok()
        .filter(|t| t.trim_start().starts_with('{'))
        .and_then(|t| serde_json::from_str(&t).ok());
    // A saved plan is applied in the project it was made for, wherever the plan file is; the
    // state, the providers' root and the repository are found from there.
    let anchor = match saved.as_ref().and_then(|p| p.project.as_ref()) {
        Some(project) => {
            let project = PathBuf::from(project);
            if !project.is_dir() {
                return Err(user(vec![
                    Diagnostic::error(
                        codes::PLAN,
                        format!(
                            "the plan was made for the project at {}, which is not here",
                            project.display()
                        ),
                    )
                    .with_help("make the plan again in this checkout (`cairn plan --out FILE`)"),
                ]));
            }
            project.join("cairn.toml")
        }
        None => args.common.file.clone(),
    };
    let store = state_store(&anchor)?;
    let owner = std::env::var("USER").unwrap_or_else(|_| "cairn".into());
    let _lock = store
        .lock(&owner, "apply", std::time::Duration::from_secs(3600))
        .map_err(|e| user(vec![state_error(e)]))?;
    let st = store.load().map_err(|e| user(vec![state_error(e)]))?;
    // A state that cannot be saved again must not be acted on: every operation saves it.
    if st.serial == u64::MAX {
        return Err(user(vec![state_error(
            state::StateError::SerialExhausted {
                path: store.state_path(),
            },
        )]));
    }
    let ctx = provider_ctx(&anchor)?;
    // Ctrl-C: stop starting new work, let running operations finish, save the state.
    let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, ctx.cancel.clone());
    let _ = signal_hook::flag::register(signal_hook::consts::SIGTERM, ctx.cancel.clone());
    let (plan, git) = match saved {
        Some(p) => {
            let git = match &p.revision {
                Some(rev) => {
                    let repo = cairn::history::Repo::discover(&anchor).map_err(git_failure)?;
                    let commit = repo.commit(rev).map_err(git_failure)?;
                    let dirty = if p.dirty {
                        vec!["(the saved plan was made from uncommitted changes)".to_string()]
                    } else {
                        Vec::new()
                    };
                    Some(GitTarget {
                        repo,
                        commit: Some(commit),
                        dirty,
                    })
                }
                None => None,
            };
            (p, git)
        }
        None => {
            let git = git_target(&args.common)?;
            let p = make_plan(&args.common, &st, &ctx, args.refresh, git.as_ref())?;
            (p, git)
        }
    };
    let (revision, signed_by) = guards(&args, &anchor, &st, git.as_ref())?;
    let opts = apply::Options {
        revision: revision.clone(),
        signed_by: signed_by.clone(),
        parallelism: args.parallelism,
        allow_protected_delete: args.allow_protected_delete,
        allow_delete_all: args.allow_delete_all,
        targets: args.targets.clone(),
    };
    apply::check(&plan, &st, &opts).map_err(|m| {
        user(vec![Diagnostic::error(codes::PLAN, m).with_help(
            "nothing was changed; see `cairn apply --help` for the flags",
        )])
    })?;
    if plan.is_empty() {
        // Nothing to do, but the commit is applied all the same: record it.
        if revision.is_some() && revision != st.revision {
            let mut st = st;
            st.revision = revision;
            st.signed_by = signed_by;
            store
                .save(&mut st)
                .map_err(|e| user(vec![state_error(e)]))?;
        }
        println!("No changes: the recorded state matches the program.");
        print!("{}", plan::export_only_note(&plan, ""));
        return Ok(());
    }
    // Progress on stderr: a line per step, counted (`[ 3/12]`); on a terminal, also a status
    // line below them with what is running, redrawn as steps start and finish.
    let total = apply::operations(&plan, &opts).len();
    let finished = std::sync::atomic::AtomicUsize::new(0);
    let width = total.to_string().len();
    let terminal = std::io::stderr().is_terminal();
    let running: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let progress = |p: apply::Progress<'_>| {
        if let Ok(mut r) = running.lock() {
            match &p {
                apply::Progress::Started(c) => r.push(c.address.clone()),
                apply::Progress::Finished { change, .. } => r.retain(|a| *a != change.address),
            }
        }
        let count = match p {
            apply::Progress::Started(_) => finished.load(std::sync::atomic::Ordering::SeqCst),
            apply::Progress::Finished { .. } => {
                finished.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1
            }
        };
        let counter = format!("[{count:>width$}/{total}]");
        let line = match p {
            apply::Progress::Started(c) => {
                format!(
                    "{:>3} {}: {}…",
                    c.action.symbol(),
                    c.address,
                    verb(c.action, false)
                )
            }
            apply::Progress::Finished {
                change,
                result,
                seconds,
                adopted,
            } => match result {
                cairn::resources::executor::NodeResult::Done => format!(
                    "{:>3} {}: {} ({seconds:.1}s)",
                    change.action.symbol(),
                    change.address,
                    if adopted {
                        "adopted (an interrupted create had made it)"
                    } else {
                        verb(change.action, true)
                    }
                ),
                cairn::resources::executor::NodeResult::Failed(m) => {
                    format!("  ! {}: failed: {m}", change.address)
                }
                cairn::resources::executor::NodeResult::Skipped => {
                    format!("  · {}: skipped (a dependency failed)", change.address)
                }
                cairn::resources::executor::NodeResult::Cancelled => {
                    format!("  · {}: not started (interrupted)", change.address)
                }
            },
        };
        let mut err = std::io::stderr().lock();
        if terminal {
            // Clear the status line, print the step, redraw the status line.
            let _ = write!(err, "\r\x1b[2K{counter} {line}\n");
            let now: Vec<String> = running.lock().map(|r| r.clone()).unwrap_or_default();
            if !now.is_empty() {
                let mut shown = now.iter().take(4).cloned().collect::<Vec<_>>().join(", ");
                if now.len() > 4 {
                    shown.push_str(&format!(" and {} more", now.len() - 4));
                }
                let done = finished.load(std::sync::atomic::Ordering::SeqCst);
                let _ = write!(err, "  {done}/{total} done · running: {shown}");
            }
            let _ = err.flush();
        } else {
            let _ = writeln!(err, "{counter} {line}");
        }
    };
    let (report, _state): (apply::Report, state::State) = apply::apply(
        &plan,
        &store,
        st,
        &|n| cairn::resources::builtin(n),
        &ctx,
        &opts,
        &progress,
    )
    .map_err(|m| {
        user(vec![
            Diagnostic::error(codes::PLAN, m).with_help("the state was saved; plan again"),
        ])
    })?;
    if terminal {
        let _ = write!(std::io::stderr(), "\r\x1b[2K");
    }
    println!("{}", report.summary_line());
    print!("{}", plan::export_only_note(&plan, ""));
    if report.succeeded() {
        Ok(())
    } else {
        let failed: Vec<Diagnostic> = report
            .failed
            .iter()
            .map(|(a, m)| {
                Diagnostic::error(codes::APPLY_FAILED, format!("`{a}` failed: {m}"))
                    .with_help("fix the cause and apply again: what succeeded is recorded")
            })
            .collect();
        Err(user(if failed.is_empty() {
            vec![
                Diagnostic::error(codes::APPLY_FAILED, "the apply was interrupted")
                    .with_help("apply again to finish: what succeeded is recorded"),
            ]
        } else {
            failed
        }))
    }
}

fn diff_command(args: DiffArgs) -> Result<(), Failure> {
    use cairn::history::{self, Cache, Snapshot};
    let params = Params::read(
        &args.params.params,
        args.params.params_file.as_deref(),
        &args.limits,
    )?;
    let repo = history::Repo::discover(&args.program).map_err(git_failure)?;
    let root = project_root(&args.program)?;
    let plugins = cairn::plugin::Host::default();
    let mut cache = Cache::new(&repo, &args.program, &root, |e| {
        params.set(e);
        // One host for every revision: each plugin is compiled once.
        e.plugin_host(plugins.clone());
    })
    .map_err(git_failure)?;
    let at = |cache: &mut Cache<'_>, rev: &str| -> Result<(String, Snapshot), Failure> {
        let commit = repo.resolve(rev).map_err(git_failure)?;
        let label = commit.short().to_string();
        match cache.snapshot(&commit).as_deref() {
            None => Err(user(vec![
                Diagnostic::error(
                    codes::GIT,
                    format!("there is no program at {rev} ({label})"),
                )
                .with_help(format!(
                    "{} does not exist at that revision",
                    args.program.display()
                )),
            ])),
            Some(Err(m)) => Err(user(vec![
                Diagnostic::error(
                    codes::GIT,
                    format!("the program does not evaluate at {rev} ({label}): {m}"),
                )
                .with_help(format!(
                    "see the errors with `cairn export --rev {rev} {}`",
                    args.program.display()
                )),
            ])),
            Some(Ok(s)) => Ok((label, s.clone())),
        }
    };
    let (from, old) = at(&mut cache, &args.rev_a)?;
    let (to, new) = match &args.rev_b {
        Some(r) => at(&mut cache, r)?,
        None => {
            let mut engine = Engine::new();
            params.set(&mut engine);
            let out = engine.evaluate_file(&args.program);
            if out.has_errors() {
                return Err(Failure::User(out.diagnostics, engine.sources().clone()));
            }
            ("the working tree".to_string(), Snapshot::of(&out))
        }
    };
    let d = history::diff(Some(&old), Some(&new));
    let text = match args.format {
        PlanFormat::Text => history::to_text(&d, &from, &to),
        PlanFormat::Markdown => history::to_markdown(&d, &from, &to),
        PlanFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&serde_json::json!({
                "from": from, "to": to, "resources": d.resources, "document": d.document,
            }))
            .unwrap_or_default()
        ),
    };
    emit(|w| w.write_all(text.as_bytes()), None)
}

fn log_command(args: LogArgs) -> Result<(), Failure> {
    use cairn::history::{self, Cache};
    let params = Params::read(
        &args.params.params,
        args.params.params_file.as_deref(),
        &args.limits,
    )?;
    let repo = history::Repo::discover(&args.program).map_err(git_failure)?;
    let root = project_root(&args.program)?;
    let head = repo.resolve(&args.rev).map_err(git_failure)?;
    if let Some(wanted) = &args.resource {
        history::check_address(wanted).map_err(|m| {
            user(vec![Diagnostic::error(codes::INVALID_ARGS, m).with_help(
                "name a resource as the program declares it: `web`, or `web[\"eu\"]` for one key of a keyed resource",
            )])
        })?;
    }
    let plugins = cairn::plugin::Host::default();
    let mut cache = Cache::new(&repo, &args.program, &root, |e| {
        params.set(e);
        // One host for every revision: each plugin is compiled once.
        e.plugin_host(plugins.clone());
    })
    .map_err(git_failure)?;
    let entries = history::log(
        &repo,
        &mut cache,
        &head,
        args.resource.as_deref(),
        args.all,
        args.max_count,
    )
    .map_err(git_failure)?;
    // A resource that no commit changed and that the program does not declare at all is a
    // mistake in the address, not a quiet history.
    if let Some(wanted) = &args.resource
        && entries.is_empty()
    {
        let at_head: Vec<String> = cache
            .snapshot(&head)
            .and_then(|s| s.as_ref().as_ref().ok().cloned())
            .map(|s| s.resources.keys().cloned().collect())
            .unwrap_or_default();
        if !at_head.iter().any(|a| history::matches(a, wanted)) {
            let hint = cairn::diagnostics::did_you_mean(wanted, at_head.iter().map(String::as_str))
                .map_or(String::new(), |a| format!("did you mean `{a}`? "));
            return Err(user(vec![
                Diagnostic::error(
                    codes::INVALID_ARGS,
                    format!(
                        "no resource `{wanted}` in the program at {} or in its history",
                        args.rev
                    ),
                )
                .with_help(format!(
                    "{hint}`cairn export` or `cairn plan` lists the program's resources"
                )),
            ]));
        }
    }
    let text = match args.format {
        TextOrJson::Text => history::log_to_text(&entries),
        TextOrJson::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&entries).unwrap_or_default()
        ),
    };
    emit(|w| w.write_all(text.as_bytes()), None)?;
    let _ = writeln!(
        std::io::stderr(),
        "{} evaluation{}, {} cache hit{}",
        cache.evaluations,
        if cache.evaluations == 1 { "" } else { "s" },
        cache.hits,
        if cache.hits == 1 { "" } else { "s" }
    );
    Ok(())
}

/// The Git checks before an apply: no uncommitted changes, a target that descends from the
/// last applied commit, signatures. Returns the commit to record and who signed it.
fn guards(
    args: &ApplyArgs,
    anchor: &Path,
    st: &cairn::resources::state::State,
    git: Option<&GitTarget>,
) -> Result<(Option<String>, Option<String>), Failure> {
    use cairn::history::{Error, Relation, short};
    let mut sources = SourceMap::new();
    let project = cairn::modules::Project::find(&cairn::FsLoader, &mut sources, anchor)
        .map_err(|d| Failure::User(vec![*d], sources.clone()))?;
    let require_signed = args.require_signed || project.git.require_signed;
    let Some(git) = git else {
        if require_signed {
            return Err(git_failure(Error::NotARepository(args.common.file.clone())));
        }
        return Ok((None, None));
    };
    if !git.dirty.is_empty() && !args.allow_dirty {
        let mut shown: Vec<&str> = git.dirty.iter().take(10).map(String::as_str).collect();
        let more = git.dirty.len().saturating_sub(shown.len());
        let extra = format!("and {more} more");
        if more > 0 {
            shown.push(&extra);
        }
        return Err(user(vec![
            Diagnostic::error(
                codes::DIRTY_TREE,
                format!(
                    "the project has uncommitted changes: {}",
                    shown.join(", ")
                ),
            )
            .with_help(
                "apply applies commits: commit the changes, apply a commit with `--rev`, or pass `--allow-dirty`",
            ),
        ]));
    }
    let Some(target) = &git.commit else {
        return Ok((None, None));
    };
    let mut commits = vec![target.clone()];
    if let Some(applied) = &st.revision {
        let refuse = |message: String, help: &str| {
            user(vec![
                Diagnostic::error(codes::NOT_DESCENDANT, message).with_help(help.to_string()),
            ])
        };
        match git.repo.relation(applied, &target.id) {
            Ok(Relation::Same) => {}
            Ok(Relation::Descendant) => {
                commits = git.repo.range(applied, &target.id).map_err(git_failure)?;
            }
            Ok(Relation::Rollback) if !args.allow_rollback => {
                let back = git
                    .repo
                    .range(&target.id, applied)
                    .map(|r| r.len())
                    .unwrap_or(0);
                return Err(refuse(
                    format!(
                        "commit {} is an ancestor of the last applied commit {}: applying it rolls back {back} commit{}",
                        target.short(),
                        short(applied),
                        if back == 1 { "" } else { "s" }
                    ),
                    "to roll back, revert the commits (`git revert`) and apply the result, or pass `--allow-rollback` to apply the older commit",
                ));
            }
            Ok(Relation::Diverged) if !args.allow_rollback => {
                return Err(refuse(
                    format!(
                        "commit {} does not descend from the last applied commit {}: the histories diverged (another branch, or history rewritten)",
                        target.short(),
                        short(applied)
                    ),
                    "merge the last applied commit into the branch first, or pass `--allow-rollback` to apply it anyway",
                ));
            }
            Err(e) if !args.allow_rollback => {
                let d = git_diagnostic(e);
                return Err(user(vec![d.with_help(
                    "cannot tell whether the target descends from the last applied commit; fetch more history, or pass `--allow-rollback` to apply anyway",
                )]));
            }
            _ => {}
        }
    }
    let mut signed_by = None;
    if require_signed {
        let allowed = match (&args.allowed_signers, &project.git.allowed_signers) {
            (Some(p), _) => p.clone(),
            (None, Some(p)) => project.root.join(p),
            (None, None) => {
                return Err(user(vec![
                    Diagnostic::error(
                        codes::UNSIGNED,
                        "signed commits are required, but no allowed signers file is set",
                    )
                    .with_help(
                        "pass `--allowed-signers FILE` or set `allowed-signers` under `[git]` in cairn.toml",
                    ),
                ]));
            }
        };
        let checks =
            cairn::history::verify_range(&git.repo, &commits, &allowed).map_err(git_failure)?;
        let refused: Vec<Diagnostic> = checks
            .iter()
            .filter_map(|c| {
                let why = c.signer.as_ref().err()?;
                Some(
                    Diagnostic::error(
                        codes::UNSIGNED,
                        format!(
                            "commit {} ({}) is refused: {why}",
                            c.commit.short(),
                            c.commit.subject
                        ),
                    )
                    .with_help(format!(
                        "every commit since the last applied one must be signed by a key in {}",
                        allowed.display()
                    )),
                )
            })
            .collect();
        if !refused.is_empty() {
            return Err(user(refused));
        }
        let mut who: Vec<String> = Vec::new();
        for c in &checks {
            if let Ok(p) = &c.signer
                && !who.contains(p)
            {
                who.push(p.clone());
            }
        }
        signed_by = Some(who.join(", "));
    }
    Ok((Some(target.id.clone()), signed_by))
}

fn verb(a: cairn::resources::plan::Action, done: bool) -> &'static str {
    use cairn::resources::plan::Action;
    match (a, done) {
        (Action::Create, false) => "creating",
        (Action::Create, true) => "created",
        (Action::Update, false) => "updating",
        (Action::Update, true) => "updated",
        (Action::Replace, false) => "replacing",
        (Action::Replace, true) => "replaced",
        (Action::Delete, false) => "deleting",
        (Action::Delete, true) => "deleted",
        (Action::NoOp, _) => "unchanged",
    }
}

/// Writes one file per document into `dir` (each atomically), then removes the files of an
/// earlier export that this one did not write.
fn write_folder(dir: &Path, files: Vec<(String, String)>) -> Result<(), Failure> {
    let io_err = |what: String| {
        Failure::User(
            vec![
                Diagnostic::error(codes::IO, what).with_help("check the path and its permissions"),
            ],
            SourceMap::new(),
        )
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| io_err(format!("cannot create {}: {e}", dir.display())))?;
    let written: std::collections::BTreeSet<String> =
        files.iter().map(|(n, _)| n.clone()).collect();
    for (name, text) in &files {
        emit(|w| w.write_all(text.as_bytes()), Some(&dir.join(name)))?;
    }
    let entries = std::fs::read_dir(dir)
        .map_err(|e| io_err(format!("cannot list {}: {e}", dir.display())))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if export::is_export_file_name(&name) && !written.contains(&name) {
            std::fs::remove_file(entry.path())
                .map_err(|e| io_err(format!("cannot remove {}: {e}", entry.path().display())))?;
        }
    }
    Ok(())
}

fn import(cmd: ImportCommand) -> Result<(), Failure> {
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|e| {
            Failure::User(
                vec![
                    Diagnostic::error(codes::IO, format!("cannot read {}: {e}", path.display()))
                        .with_help("check the path and its permissions"),
                ],
                SourceMap::new(),
            )
        })
    };
    let failed = |what: String, help: &str| {
        Failure::User(
            vec![Diagnostic::error(codes::IMPORT_FAILED, what).with_help(help.to_string())],
            SourceMap::new(),
        )
    };
    match cmd {
        ImportCommand::Yaml(args) => {
            let mut texts = Vec::new();
            for f in &args.files {
                texts.push((f.display().to_string(), read(f)?));
            }
            let source = cairn::importers::yaml_program(&texts).map_err(|e| {
                failed(
                    e,
                    "the input must be valid YAML; tags (`!Ref`) are not supported",
                )
            })?;
            emit(|w| w.write_all(source.as_bytes()), args.output.as_deref())
        }
        ImportCommand::Openapi(args) | ImportCommand::Jsonschema(args) => {
            let text = read(&args.file)?;
            let opts = cairn::importers::schema::Options {
                roots: args.roots.clone(),
                header: Some(format!(
                    "Generated by `cairn import` from {}; edit the source, not this file.",
                    args.file.display()
                )),
            };
            let generated = cairn::importers::schema::generate(&text, &opts).map_err(|e| {
                failed(
                    format!("cannot import {}: {e}", args.file.display()),
                    "give a JSON Schema, an OpenAPI document or a CustomResourceDefinition",
                )
            })?;
            emit(
                |w| w.write_all(generated.source.as_bytes()),
                args.output.as_deref(),
            )
        }
    }
}

/// Writes the output to standard output, or atomically to a file (a temporary file renamed
/// into place, so a reader never sees half a file).
fn emit(
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    output: Option<&Path>,
) -> Result<(), Failure> {
    let io_err = |what: String| {
        Failure::User(
            vec![
                Diagnostic::error(codes::IO, what).with_help("check the path and its permissions"),
            ],
            SourceMap::new(),
        )
    };
    // A writer that stopped because the output passed its limit says so with its own code.
    let refused = |e: &std::io::Error| {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<export::ExportError>())
            .map(|x| Failure::User(vec![x.diagnostic()], SourceMap::new()))
    };
    match output {
        None => {
            let mut stdout =
                std::io::BufWriter::with_capacity(256 * 1024, std::io::stdout().lock());
            // A closed pipe (`cairn export ... | head`) is not an error worth reporting.
            match write(&mut stdout).and_then(|()| stdout.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(refused(&e)
                        .unwrap_or_else(|| io_err(format!("cannot write the output: {e}"))))
                }
                _ => Ok(()),
            }
        }
        Some(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| io_err(format!("cannot create {}: {e}", dir.display())))?;
            }
            let tmp = path.with_extension("cairn-tmp");
            let written = std::fs::File::create(&tmp).and_then(|file| {
                let mut w = std::io::BufWriter::with_capacity(256 * 1024, file);
                write(&mut w)?;
                let file = w.into_inner().map_err(|e| e.into_error())?;
                file.sync_all()
            });
            match written.and_then(|()| std::fs::rename(&tmp, path)) {
                Ok(()) => Ok(()),
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    Err(refused(&e)
                        .unwrap_or_else(|| io_err(format!("cannot write {}: {e}", path.display()))))
                }
            }
        }
    }
}
