//! Semantic history: programs evaluated at revisions and compared value by value, so that
//! reformatting or moving code changes nothing while a changed value always shows.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value as Json;

use super::{Commit, Error, Repo};
use crate::engine::Engine;
use crate::resources::plan::{AttrDiff, attribute_diff};

/// A program evaluated at one revision: its module document and its resources by address.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub document: Json,
    pub resources: BTreeMap<String, Resource>,
}

/// One resource of a [`Snapshot`].
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    pub type_path: String,
    pub value: Json,
    /// Top-level attributes never printed.
    pub sensitive: Vec<String>,
}

impl Snapshot {
    /// Evaluates `entry` with `engine` (configured with the loader of the revision and the
    /// parameters). The error is the first diagnostic's message.
    pub fn evaluate(engine: &mut Engine, entry: &Path) -> Result<Snapshot, String> {
        let out = engine.evaluate_file(entry);
        if let Some(d) = out.diagnostics.iter().find(|d| d.is_error()) {
            return Err(d.message.clone());
        }
        Ok(Snapshot::of(&out))
    }

    /// The snapshot of an evaluation (that had no errors).
    pub fn of(out: &crate::engine::Outcome) -> Snapshot {
        let mut resources = BTreeMap::new();
        for r in &out.resources {
            resources.insert(
                r.address(),
                Resource {
                    type_path: r.type_path.to_string(),
                    value: serde_json::to_value(&r.body).unwrap_or(Json::Null),
                    sensitive: r.options.sensitive.iter().map(|s| s.to_string()).collect(),
                },
            );
        }
        Snapshot {
            document: serde_json::to_value(&out.document).unwrap_or(Json::Null),
            resources,
        }
    }
}

/// How a resource changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

/// A resource that differs between two snapshots.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    pub address: String,
    #[serde(rename = "type")]
    pub type_path: String,
    pub kind: ChangeKind,
    pub diffs: Vec<AttrDiff>,
}

/// What changed between two snapshots: resources, and the module document.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SemanticDiff {
    pub resources: Vec<Change>,
    pub document: Vec<AttrDiff>,
}

impl SemanticDiff {
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.document.is_empty()
    }

    /// `2 added, 1 changed, 0 removed; 3 document fields changed`.
    pub fn summary(&self) -> String {
        let count = |k| self.resources.iter().filter(|c| c.kind == k).count();
        format!(
            "{} added, {} changed, {} removed; {} document value{} changed",
            count(ChangeKind::Added),
            count(ChangeKind::Changed),
            count(ChangeKind::Removed),
            self.document.len(),
            if self.document.len() == 1 { "" } else { "s" }
        )
    }

    /// Only what concerns the resource `address`: the address itself, or every instance of a
    /// keyed resource when `address` has no key (`deploy` selects `deploy["web"]`).
    pub fn only(mut self, address: &str) -> SemanticDiff {
        self.resources.retain(|c| matches(&c.address, address));
        self.document.clear();
        self
    }
}

/// Checks that `wanted` is written as a resource address: a name, or a name and a key as
/// `name["key"]`. The error says what is wrong.
pub fn check_address(wanted: &str) -> Result<(), String> {
    let (name, key) = match wanted.find('[') {
        Some(i) => (&wanted[..i], Some(&wanted[i..])),
        None => (wanted, None),
    };
    let ident = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ident {
        return Err(format!(
            "`{wanted}` is not a resource address: it starts with a resource's name"
        ));
    }
    if let Some(key) = key
        && !(key.len() >= 4 && key.starts_with("[\"") && key.ends_with("\"]"))
    {
        return Err(format!(
            "`{wanted}` is not a resource address: a key is written `{name}[\"key\"]`"
        ));
    }
    Ok(())
}

/// Whether a resource address is selected by `wanted`.
pub fn matches(address: &str, wanted: &str) -> bool {
    address == wanted || (address.starts_with(wanted) && address[wanted.len()..].starts_with('['))
}

/// Compares two snapshots. `None` stands for "no program" (before it existed).
pub fn diff(old: Option<&Snapshot>, new: Option<&Snapshot>) -> SemanticDiff {
    let empty = Snapshot::default();
    let old = old.unwrap_or(&empty);
    let new = new.unwrap_or(&empty);
    let mut out = SemanticDiff::default();
    let mut addresses: Vec<&String> = old.resources.keys().collect();
    addresses.extend(
        new.resources
            .keys()
            .filter(|a| !old.resources.contains_key(*a)),
    );
    addresses.sort();
    for a in addresses {
        match (old.resources.get(a), new.resources.get(a)) {
            (Some(o), Some(n)) if o.type_path == n.type_path => {
                if o.value != n.value {
                    let mut sensitive = o.sensitive.clone();
                    sensitive.extend(n.sensitive.iter().cloned());
                    out.resources.push(Change {
                        address: a.clone(),
                        type_path: n.type_path.clone(),
                        kind: ChangeKind::Changed,
                        diffs: attribute_diff(&o.value, &n.value, &sensitive),
                    });
                }
            }
            (o, n) => {
                if let Some(o) = o {
                    out.resources.push(Change {
                        address: a.clone(),
                        type_path: o.type_path.clone(),
                        kind: ChangeKind::Removed,
                        diffs: attribute_diff(&o.value, &Json::Null, &o.sensitive),
                    });
                }
                if let Some(n) = n {
                    out.resources.push(Change {
                        address: a.clone(),
                        type_path: n.type_path.clone(),
                        kind: ChangeKind::Added,
                        diffs: attribute_diff(&Json::Null, &n.value, &n.sensitive),
                    });
                }
            }
        }
    }
    let (od, nd) = (&old.document, &new.document);
    if od != nd {
        let as_object = |v: &Json| match v {
            Json::Object(_) => v.clone(),
            Json::Null => Json::Object(Default::default()),
            other => other.clone(),
        };
        out.document = attribute_diff(&as_object(od), &as_object(nd), &[]);
    }
    out
}

/// Evaluations by tree: the tree of the project folder at a commit determines what the
/// program evaluates to (imports cannot leave the project, the standard library is built in),
/// so a tree is evaluated at most once.
pub struct Cache<'r> {
    repo: &'r Repo,
    /// The project folder, relative to the working tree's root.
    project: PathBuf,
    /// The program, relative to the working tree's root.
    entry: PathBuf,
    configure: Box<dyn Fn(&mut Engine) + 'r>,
    by_tree: HashMap<String, Arc<Result<Snapshot, String>>>,
    pub hits: usize,
    pub evaluations: usize,
}

impl<'r> Cache<'r> {
    /// `entry` and `project` as given on the command line; `configure` sets parameters on
    /// each engine made.
    pub fn new(
        repo: &'r Repo,
        entry: &Path,
        project: &Path,
        configure: impl Fn(&mut Engine) + 'r,
    ) -> Result<Cache<'r>, Error> {
        Ok(Cache {
            repo,
            entry: repo.relative(entry)?,
            project: repo.relative(project)?,
            configure: Box::new(configure),
            by_tree: HashMap::new(),
            hits: 0,
            evaluations: 0,
        })
    }

    /// The program at `commit`: `None` when the project folder does not exist there, the
    /// first error when it does not evaluate.
    pub fn snapshot(&mut self, commit: &Commit) -> Option<Arc<Result<Snapshot, String>>> {
        let tree = self.repo.tree_at(commit, &self.project)?;
        if let Some(s) = self.by_tree.get(&tree) {
            self.hits += 1;
            return Some(s.clone());
        }
        self.evaluations += 1;
        let result = match self.repo.loader(commit) {
            Ok(loader) => {
                let mut engine = Engine::with_loader(loader);
                (self.configure)(&mut engine);
                let entry = self
                    .repo
                    .workdir()
                    .unwrap_or(Path::new(""))
                    .join(&self.entry);
                Snapshot::evaluate(&mut engine, &entry)
            }
            Err(e) => Err(e.to_string()),
        };
        let result = Arc::new(result);
        self.by_tree.insert(tree, result.clone());
        Some(result)
    }

    /// The diff `parent → commit` (along the first parent), or why there is none.
    pub fn change(&mut self, commit: &Commit) -> Result<SemanticDiff, String> {
        let new = self.snapshot(commit);
        let old = match commit.parents.first() {
            Some(p) => match self.repo.commit(p) {
                Ok(parent) => self.snapshot(&parent),
                Err(_) => {
                    return Err(
                        "its parent is not in this repository (a shallow clone stops here)".into(),
                    );
                }
            },
            None => None,
        };
        match (old.as_deref(), new.as_deref()) {
            (_, Some(Err(e))) => Err(format!("the program does not evaluate here: {e}")),
            (Some(Err(_)), _) => Err("the program did not evaluate at the parent commit".into()),
            (o, n) => Ok(diff(
                o.and_then(|r| r.as_ref().ok()),
                n.and_then(|r| r.as_ref().ok()),
            )),
        }
    }
}

/// One commit of `cairn log`.
#[derive(Clone, Debug, Serialize)]
pub struct LogEntry {
    pub commit: Commit,
    pub diff: SemanticDiff,
    /// Set when the program does not evaluate at this commit or its parent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The commits from `head` back (first parents only, unless `all`) that changed the evaluated
/// program, or the resource `resource`; at most `limit` commits are looked at.
pub fn log(
    repo: &Repo,
    cache: &mut Cache<'_>,
    head: &Commit,
    resource: Option<&str>,
    all: bool,
    limit: usize,
) -> Result<Vec<LogEntry>, Error> {
    let mut out = Vec::new();
    for commit in repo.history(head, !all, limit)? {
        match cache.change(&commit) {
            Ok(d) => {
                let d = match resource {
                    Some(r) => d.only(r),
                    None => d,
                };
                if !d.is_empty() {
                    out.push(LogEntry {
                        commit,
                        diff: d,
                        note: None,
                    });
                }
            }
            Err(note) => {
                if resource.is_none() {
                    out.push(LogEntry {
                        commit,
                        diff: SemanticDiff::default(),
                        note: Some(note),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// For each resource address, the commits between `from` (exclusive) and `to` that changed
/// it, oldest first. A merge commit is named only for changes none of the commits it merges
/// made (a conflict resolved in the merge).
pub fn provenance(
    repo: &Repo,
    cache: &mut Cache<'_>,
    from: &str,
    to: &str,
) -> Result<BTreeMap<String, Vec<Commit>>, Error> {
    let commits = repo.range(from, to)?;
    let mut by_address: BTreeMap<String, Vec<Commit>> = BTreeMap::new();
    let mut from_merges: BTreeMap<String, Vec<Commit>> = BTreeMap::new();
    for c in commits {
        let Ok(d) = cache.change(&c) else { continue };
        let target = if c.parents.len() > 1 {
            &mut from_merges
        } else {
            &mut by_address
        };
        for change in d.resources {
            target.entry(change.address).or_default().push(c.clone());
        }
    }
    for (a, cs) in from_merges {
        by_address.entry(a).or_insert(cs);
    }
    Ok(by_address)
}

fn attr_lines(out: &mut String, diffs: &[AttrDiff], indent: &str) {
    for d in diffs {
        match (&d.old, &d.new) {
            (None, Some(n)) => out.push_str(&format!("{indent}+ {} = {n}\n", d.path)),
            (Some(o), None) => out.push_str(&format!("{indent}- {} = {o}\n", d.path)),
            (Some(o), Some(n)) => out.push_str(&format!("{indent}~ {}: {o} -> {n}\n", d.path)),
            (None, None) => {}
        }
    }
}

/// Lines of a `diff` code block: a change is its old line and its new line.
fn diff_lines(out: &mut String, diffs: &[AttrDiff]) {
    for d in diffs {
        if let Some(o) = &d.old {
            out.push_str(&format!("- {} = {o}\n", d.path));
        }
        if let Some(n) = &d.new {
            out.push_str(&format!("+ {} = {n}\n", d.path));
        }
    }
}

fn word(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Added => "added",
        ChangeKind::Removed => "removed",
        ChangeKind::Changed => "changed",
    }
}

fn symbol(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Added => "+",
        ChangeKind::Removed => "-",
        ChangeKind::Changed => "~",
    }
}

/// A diff as text, for people.
pub fn to_text(d: &SemanticDiff, from: &str, to: &str) -> String {
    if d.is_empty() {
        return format!("No changes between {from} and {to}: the programs evaluate to the same.\n");
    }
    let mut out = format!("Changes from {from} to {to}:\n\n");
    body_text(&mut out, d, "  ");
    out.push('\n');
    out.push_str(&d.summary());
    out.push('\n');
    out
}

fn body_text(out: &mut String, d: &SemanticDiff, indent: &str) {
    for c in &d.resources {
        out.push_str(&format!(
            "{indent}{} {} ({}): {}\n",
            symbol(c.kind),
            c.address,
            c.type_path,
            word(c.kind)
        ));
        attr_lines(out, &c.diffs, &format!("{indent}    "));
    }
    if !d.document.is_empty() {
        out.push_str(&format!("{indent}~ module document:\n"));
        attr_lines(out, &d.document, &format!("{indent}    "));
    }
}

/// A diff as Markdown, for a pull-request comment.
pub fn to_markdown(d: &SemanticDiff, from: &str, to: &str) -> String {
    let mut out = format!("### Cairn diff `{from}` → `{to}`\n\n");
    if d.is_empty() {
        out.push_str("No changes: the programs evaluate to the same.\n");
        return out;
    }
    out.push_str(&format!("**{}**\n\n", d.summary()));
    if !d.resources.is_empty() {
        out.push_str("| | resource | type |\n|---|---|---|\n");
        for c in &d.resources {
            out.push_str(&format!(
                "| `{}` | `{}` | `{}` |\n",
                symbol(c.kind),
                c.address,
                c.type_path
            ));
        }
        out.push('\n');
    }
    out.push_str("```diff\n");
    for c in &d.resources {
        out.push_str(&format!("# {} ({})\n", c.address, word(c.kind)));
        diff_lines(&mut out, &c.diffs);
    }
    if !d.document.is_empty() {
        out.push_str("# module document\n");
        diff_lines(&mut out, &d.document);
    }
    out.push_str("```\n");
    out
}

/// A log as text: each commit with what it changed.
pub fn log_to_text(entries: &[LogEntry]) -> String {
    let mut out = String::new();
    if entries.is_empty() {
        out.push_str("No commit changed the evaluated program.\n");
    }
    for e in entries {
        out.push_str(&format!(
            "{} {} {} <{}> {}\n",
            e.commit.short(),
            e.commit.date(),
            e.commit.author,
            e.commit.email,
            e.commit.subject
        ));
        if let Some(n) = &e.note {
            out.push_str(&format!("    ({n})\n"));
        }
        body_text(&mut out, &e.diff, "    ");
        out.push('\n');
    }
    out
}
