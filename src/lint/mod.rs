//! The linter: rules over the syntax, the types and the evaluated values of a program, reported
//! as diagnostics like every other problem.
//!
//! Each rule lives in a file of its own under `rules/`, holding its [`RuleInfo`] (code, name,
//! group, default level, and its documentation: what it does, why, an example and what to
//! write instead — docs/lint-rules.md is generated from them) and its tests (fixtures that fire
//! and fixtures that must not). Rules see a [`Context`]: the linked program, its sources, and,
//! when the program evaluated, its resources and module document.
//!
//! Levels come from the rule's default, then `[lint]` in `cairn.toml` (by rule name or group).
//! A finding is silenced by a comment `// cairn:allow(rule-name): reason` on its line or the
//! line before; a suppression that silences nothing is itself reported.

pub mod rules;
pub mod sarif;
pub mod walk;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::eval::ResourceInstance;
use crate::modules::Program;
use crate::source::{FileId, SourceMap};
use crate::syntax::ast::Span;
use crate::value::Value;

/// What a rule is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    Correctness,
    Style,
    Kubernetes,
    Security,
}

impl Group {
    pub const ALL: [Group; 4] = [
        Group::Correctness,
        Group::Style,
        Group::Kubernetes,
        Group::Security,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Group::Correctness => "correctness",
            Group::Style => "style",
            Group::Kubernetes => "kubernetes",
            Group::Security => "security",
        }
    }
}

/// How a rule's findings are reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Off,
    Warn,
    Error,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "off" | "allow" => Some(Level::Off),
            "warn" | "warning" => Some(Level::Warn),
            "error" | "deny" => Some(Level::Error),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::Off => "off",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

/// A rule's identity and documentation.
#[derive(Debug)]
pub struct RuleInfo {
    /// A stable code, `L0001`.
    pub code: &'static str,
    /// Its name in configuration and suppressions, `unused-binding`.
    pub name: &'static str,
    pub group: Group,
    /// Its level unless configured.
    pub level: Level,
    /// What it finds, in one sentence.
    pub summary: &'static str,
    /// Why that is a problem.
    pub why: &'static str,
    /// Cairn code it fires on.
    pub example: &'static str,
    /// What to write instead.
    pub instead: &'static str,
    /// Whether it offers fixes that `--fix` applies (always safe: they never change meaning).
    pub fixable: bool,
}

/// A replacement of source text.
#[derive(Clone, Debug, PartialEq)]
pub struct Fix {
    pub file: FileId,
    pub span: Span,
    pub replacement: String,
}

/// One problem a rule found.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub file: FileId,
    pub span: Span,
    pub message: String,
    pub help: String,
    /// Secondary labels.
    pub also: Vec<(FileId, Span, String)>,
    pub fix: Option<Fix>,
}

impl Finding {
    pub fn new(
        file: FileId,
        span: Span,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Finding {
        Finding {
            file,
            span,
            message: message.into(),
            help: help.into(),
            also: Vec::new(),
            fix: None,
        }
    }
}

/// What rules look at.
pub struct Context<'a> {
    pub program: &'a Program,
    pub sources: &'a SourceMap,
    /// The entry's resources, when the program evaluated (empty otherwise).
    pub resources: &'a [ResourceInstance],
    /// The module document, when the program evaluated (`Null` otherwise).
    pub document: &'a Value,
    /// The Kubernetes objects among the resources, found once for all the rules that look at
    /// them.
    pub(crate) k8s: std::sync::OnceLock<Vec<rules::k8s_util::K8sObject<'a>>>,
}

impl<'a> Context<'a> {
    pub fn new(
        program: &'a Program,
        sources: &'a SourceMap,
        resources: &'a [ResourceInstance],
        document: &'a Value,
    ) -> Context<'a> {
        Context {
            program,
            sources,
            resources,
            document,
            k8s: std::sync::OnceLock::new(),
        }
    }
}

impl Context<'_> {
    /// The items of the entry module (rules about the user's code skip imported modules).
    pub fn entry_items(&self) -> impl Iterator<Item = &crate::syntax::ast::Item> {
        self.program
            .module
            .items
            .iter()
            .filter(|i| self.program.unit_of(i.file) == 0)
    }

    /// The source text of a span.
    pub fn text(&self, file: FileId, span: Span) -> &str {
        self.sources
            .text(file)
            .get(span.range())
            .unwrap_or_default()
    }
}

/// A lint rule.
pub trait Rule: Sync {
    fn info(&self) -> &'static RuleInfo;
    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>);
}

/// The levels configured in `[lint]` of cairn.toml: by rule name or group name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config {
    pub levels: BTreeMap<String, Level>,
}

impl Config {
    /// The level of a rule: its own setting, else its group's, else its default.
    pub fn level(&self, info: &RuleInfo) -> Level {
        self.levels
            .get(info.name)
            .or_else(|| self.levels.get(info.group.name()))
            .copied()
            .unwrap_or(info.level)
    }

    /// Reads `[lint]` settings; unknown names and levels are errors naming the closest.
    pub fn from_settings(settings: &BTreeMap<String, String>) -> Result<Config, String> {
        let mut levels = BTreeMap::new();
        let names: Vec<&str> = rules::ALL
            .iter()
            .map(|r| r.info().name)
            .chain(Group::ALL.iter().map(|g| g.name()))
            .collect();
        for (k, v) in settings {
            if !names.contains(&k.as_str()) {
                let hint = crate::diagnostics::did_you_mean(k, names.iter().copied())
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                return Err(format!("[lint] names no rule or group `{k}`{hint}"));
            }
            let level = Level::parse(v).ok_or_else(|| {
                format!("[lint] `{k}` = \"{v}\": the levels are \"off\", \"warn\" and \"error\"")
            })?;
            levels.insert(k.clone(), level);
        }
        Ok(Config { levels })
    }
}

/// The diagnostic code of a rule.
pub fn code(info: &'static RuleInfo) -> Code {
    Code {
        id: info.code,
        title: info.summary,
        explanation: info.why,
    }
}

/// A `// cairn:allow(rule): reason` comment.
#[derive(Clone, Debug)]
struct Suppression {
    file: FileId,
    span: Span,
    rule: String,
    /// The line it covers (1-based): its own line when it ends one, else the next.
    lines: (usize, usize),
    used: bool,
}

/// Finds the suppressions in a file's text.
fn suppressions(file: FileId, text: &str) -> Vec<Suppression> {
    let mut out = Vec::new();
    let mut offset = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        if let Some(at) = line.find("// cairn:allow(") {
            let rest = &line[at + "// cairn:allow(".len()..];
            if let Some(close) = rest.find(')') {
                let own_line = line[..at].trim().is_empty();
                let start = offset + at;
                let end = offset + at + "// cairn:allow(".len() + close + 1;
                for rule in rest[..close].split(',') {
                    out.push(Suppression {
                        file,
                        span: Span::new(start, end),
                        rule: rule.trim().to_string(),
                        lines: if own_line {
                            (n + 1, n + 2)
                        } else {
                            (n + 1, n + 1)
                        },
                        used: false,
                    });
                }
            }
        }
        offset += line.len();
    }
    out
}

/// Lints a program: every enabled rule, suppressions applied, unused suppressions reported.
/// Diagnostics come sorted by file and position.
pub fn lint(cx: &Context<'_>, config: &Config) -> Vec<Diagnostic> {
    run(cx, config).0
}

/// Lints a program ([`lint`]) and collects the safe fixes of the findings that were reported
/// (a suppressed finding's fix is never applied), not overlapping, in file order.
pub fn run(cx: &Context<'_>, config: &Config) -> (Vec<Diagnostic>, Vec<Fix>) {
    let mut fixes: Vec<Fix> = Vec::new();
    let mut sups: Vec<Suppression> = Vec::new();
    if let Some(unit) = cx.program.units.first() {
        for &f in &unit.files {
            sups.extend(suppressions(f, cx.sources.text(f)));
        }
    }
    let mut out = Vec::new();
    for rule in rules::ALL {
        let info = rule.info();
        if info.name == rules::unused_suppression::NAME {
            continue;
        }
        let level = config.level(info);
        if level == Level::Off {
            continue;
        }
        let mut findings = Vec::new();
        rule.check(cx, &mut findings);
        for f in findings {
            let line = cx.sources.line_col(f.file, f.span.start as usize).0;
            if let Some(s) = sups.iter_mut().find(|s| {
                s.file == f.file
                    && (s.rule == info.name || s.rule == info.group.name())
                    && (s.lines.0..=s.lines.1).contains(&line)
            }) {
                s.used = true;
                continue;
            }
            if info.fixable
                && let Some(fix) = &f.fix
            {
                fixes.push(fix.clone());
            }
            out.push(to_diagnostic(info, level, f));
        }
    }
    let meta = &rules::unused_suppression::RULE;
    let level = config.level(meta.info());
    if level != Level::Off {
        let known: Vec<&str> = rules::ALL
            .iter()
            .map(|r| r.info().name)
            .chain(Group::ALL.iter().map(|g| g.name()))
            .collect();
        for s in sups.iter().filter(|s| !s.used) {
            let (message, help) = if known.contains(&s.rule.as_str()) {
                (
                    format!("`cairn:allow({})` suppresses nothing", s.rule),
                    "remove it: the finding it was for is gone".to_string(),
                )
            } else {
                let hint = crate::diagnostics::did_you_mean(&s.rule, known.iter().copied())
                    .map(|x| format!("did you mean `{x}`?"))
                    .unwrap_or_else(|| "see docs/lint-rules.md for the rule names".into());
                (format!("`{}` is not a lint rule or group", s.rule), hint)
            };
            out.push(to_diagnostic(
                meta.info(),
                level,
                Finding::new(s.file, s.span, message, help),
            ));
        }
    }
    crate::diagnostics::sort(&mut out);
    (out, without_overlaps(fixes))
}

fn to_diagnostic(info: &'static RuleInfo, level: Level, f: Finding) -> Diagnostic {
    let mut d = Diagnostic::error(code(info), f.message)
        .with_severity(if level == Level::Error {
            Severity::Error
        } else {
            Severity::Warning
        })
        .at(f.file, f.span, info.name)
        .with_help(f.help);
    for (file, span, m) in f.also {
        d = d.also(file, span, m);
    }
    d
}

/// The safe fixes of the findings [`lint`] reports (for `--fix`).
pub fn fixes(cx: &Context<'_>, config: &Config) -> Vec<Fix> {
    run(cx, config).1
}

/// Fixes sorted by position, dropping any that overlaps one before it.
fn without_overlaps(mut fixes: Vec<Fix>) -> Vec<Fix> {
    fixes.sort_by_key(|f| (f.file, f.span.start));
    let mut kept: Vec<Fix> = Vec::new();
    for f in fixes {
        if kept
            .last()
            .is_some_and(|k| k.file == f.file && k.span.end > f.span.start)
        {
            continue;
        }
        kept.push(f);
    }
    kept
}

/// Applies fixes to a file's text (all from that file).
pub fn apply_fixes(text: &str, fixes: &[&Fix]) -> String {
    let mut out = text.to_string();
    let mut sorted: Vec<&&Fix> = fixes.iter().collect();
    sorted.sort_by_key(|f| std::cmp::Reverse(f.span.start));
    for f in sorted {
        if let Some(range) = out.get(f.span.range()).map(|_| f.span.range()) {
            out.replace_range(range, &f.replacement);
        }
    }
    out
}

/// docs/lint-rules.md: every rule's documentation, by group.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Lint rules\n\nGenerated from the rules in `src/lint/rules/` by `cargo test` \
         (`UPDATE_DOCS=1` rewrites it); do not edit by hand.\n\n\
         `cairn lint` runs them; `[lint]` in `cairn.toml` sets a rule's or a group's level \
         (`\"off\"`, `\"warn\"`, `\"error\"`), and `// cairn:allow(rule-name): reason` silences \
         a finding on its line or the next.\n\n",
    );
    out.push_str("| code | rule | group | default | fix |\n|---|---|---|---|---|\n");
    for r in rules::ALL {
        let i = r.info();
        out.push_str(&format!(
            "| {} | [`{}`](#{}) | {} | {} | {} |\n",
            i.code,
            i.name,
            i.name,
            i.group.name(),
            i.level.name(),
            if i.fixable { "yes" } else { "" }
        ));
    }
    for g in Group::ALL {
        out.push_str(&format!("\n## {}\n", capitalize(g.name())));
        for r in rules::ALL.iter().filter(|r| r.info().group == g) {
            let i = r.info();
            out.push_str(&format!(
                "\n### {}\n\n{} · default `{}`{}\n\n**What it does.** {}\n\n**Why.** {}\n\n**Example.**\n\n```cairn\n{}\n```\n\n**Instead.**\n\n```cairn\n{}\n```\n",
                i.name,
                i.code,
                i.level.name(),
                if i.fixable { " · `--fix` applies a fix" } else { "" },
                i.summary,
                i.why,
                i.example.trim(),
                i.instead.trim()
            ));
        }
    }
    out
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Lints source text in memory with the default levels: (rule name, message) of every finding.
/// For rule tests.
pub fn lint_str(src: &str) -> Vec<(String, String)> {
    let mut engine = crate::Engine::with_loader(crate::MemoryLoader::new());
    let file = engine.sources_mut().add("main.cairn", src);
    let (program, _) = engine.program(file);
    let out = engine.evaluate(file);
    let cx = Context::new(&program, engine.sources(), &out.resources, &out.document);
    let by_code: BTreeMap<&str, &str> = rules::ALL
        .iter()
        .map(|r| (r.info().code, r.info().name))
        .collect();
    lint(&cx, &Config::default())
        .into_iter()
        .map(|d| {
            (
                by_code
                    .get(d.code.id)
                    .copied()
                    .unwrap_or(d.code.id)
                    .to_string(),
                d.message,
            )
        })
        .collect()
}

/// The messages of one rule's findings in a program that must evaluate without errors (for
/// rule tests: a broken fixture cannot pass a "does not fire" test by accident).
#[cfg(test)]
pub fn findings_of(src: &str, rule: &str) -> Vec<String> {
    let out =
        crate::Engine::with_loader(crate::MemoryLoader::new()).evaluate_str("main.cairn", src);
    let errors: Vec<_> = out
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| &d.message)
        .collect();
    assert!(errors.is_empty(), "{src}\n{errors:?}");
    lint_str(src)
        .into_iter()
        .filter(|(r, _)| r == rule)
        .map(|(_, m)| m)
        .collect()
}
