//! Plans: what applying a program would change, resource by resource.
//!
//! A plan compares the desired resources (the program's graph, for the providers `cairn apply`
//! manages) with the recorded state, after an optional refresh through the providers that
//! reports drift on its own. Each resource gets an action — create, update, replace, delete or
//! no-op — with an attribute diff. Outputs of resources that do not change are known (from the
//! state) and filled in before comparing, so a reference to an unchanged resource never makes a
//! noisy diff; outputs of resources that will change are `(known after apply)`. Values of
//! sensitive attributes are never shown, only `(sensitive)`.
//!
//! A plan is data (`Plan`, serializable): `--out FILE` saves it with the state's lineage and
//! serial, and `cairn apply FILE` refuses it once the state has moved on.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::provider::{Ctx, Observed, Provider};
use super::state::{State, Status};
use super::{has_unknown, show_unknown};

/// The plan file format version.
pub const PLAN_VERSION: u32 = 1;

/// What happens to one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Replace,
    Delete,
    NoOp,
}

impl Action {
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
            Action::NoOp => " ",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update in place",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::NoOp => "no change",
        }
    }
}

/// One changed attribute (a path into the inputs: `content`, `env.PORT`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttrDiff {
    pub path: String,
    /// Before and after, as shown: JSON text, `(known after apply)`, `(sensitive)`; `None` when
    /// the attribute is added or removed.
    pub old: Option<String>,
    pub new: Option<String>,
    /// This change cannot be applied in place.
    pub forces_replacement: bool,
}

/// The planned change of one resource.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub address: String,
    pub type_path: String,
    pub provider: String,
    pub action: Action,
    /// Why, when it is not plain: drift, an interrupted operation, what forces replacement.
    pub reason: Option<String>,
    pub diffs: Vec<AttrDiff>,
    /// The inputs to apply (with placeholders for outputs known after apply); null for a
    /// delete.
    pub inputs: Json,
    /// The resources it depends on (for a delete: those recorded in state).
    pub dependencies: Vec<String>,
    pub protect: bool,
    pub create_before_destroy: bool,
    pub sensitive: Vec<String>,
    /// An earlier operation on it was interrupted: apply reads it before acting.
    pub pending: bool,
    /// The commits since the last applied one that introduced this change (plan provenance;
    /// empty outside Git, or for drift).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub introduced_by: Vec<Origin>,
}

/// A commit that introduced a planned change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    pub commit: String,
    pub author: String,
    pub subject: String,
}

/// Drift found by a refresh: a resource changed or deleted outside Cairn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    pub address: String,
    /// `deleted`, or the attributes that differ.
    pub what: String,
}

/// A plan: every resource's change, in apply order (dependencies first; deletes of removed
/// resources after, dependents first).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub version: u32,
    /// The state it was made against: `cairn apply FILE` refuses when the state has moved on.
    pub lineage: String,
    pub serial: u64,
    pub changes: Vec<Change>,
    pub drift: Vec<Drift>,
    /// The Git commit the program was read from, when it was; `dirty` when the working tree
    /// had uncommitted changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dirty: bool,
    /// The project root (absolute) a saved plan was made for: `cairn apply FILE` applies it
    /// there, wherever the plan file is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Resources no provider of Cairn applies (Kubernetes objects, say): `cairn export`
    /// renders them for the tools that deploy them. Listed so a plan never drops them
    /// silently.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub export_only: Vec<ExportOnly>,
}

/// A resource that `cairn export` renders and `cairn apply` leaves alone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportOnly {
    pub address: String,
    pub type_path: String,
}

/// How many export-only resources a text or Markdown plan names before "and N more".
const EXPORT_ONLY_SHOWN: usize = 5;

/// One paragraph about the export-only resources, or nothing when there are none.
pub fn export_only_note(plan: &Plan, code: &str) -> String {
    let n = plan.export_only.len();
    if n == 0 {
        return String::new();
    }
    let mut names: Vec<String> = plan
        .export_only
        .iter()
        .take(EXPORT_ONLY_SHOWN)
        .map(|e| format!("{code}{}{code} ({code}{}{code})", e.address, e.type_path))
        .collect();
    if n > EXPORT_ONLY_SHOWN {
        names.push(format!("and {} more", n - EXPORT_ONLY_SHOWN));
    }
    format!(
        "Export only: {n} resource{} that Cairn does not apply: {}. {code}cairn export{code} renders {} as YAML for kubectl, Argo CD or Flux.\n",
        if n == 1 { "" } else { "s" },
        names.join(", "),
        if n == 1 { "it" } else { "them" }
    )
}

/// A desired resource, as the plan needs it.
#[derive(Clone, Debug)]
pub struct Desired {
    /// Where the program declares it (`id: type`), for diagnostics; `None` for resources that
    /// do not come from source.
    pub site: Option<(crate::source::FileId, crate::syntax::ast::Span)>,
    pub address: String,
    pub type_path: String,
    pub provider: String,
    pub inputs: Json,
    pub dependencies: Vec<String>,
    pub protect: bool,
    pub create_before_destroy: bool,
    pub sensitive: Vec<String>,
}

/// Counts by action.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    pub unchanged: usize,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            match c.action {
                Action::Create => s.create += 1,
                Action::Update => s.update += 1,
                Action::Replace => s.replace += 1,
                Action::Delete => s.delete += 1,
                Action::NoOp => s.unchanged += 1,
            }
        }
        s
    }

    /// Whether applying it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.changes.iter().all(|c| c.action == Action::NoOp)
    }

    /// The summary line: `Plan: 1 to create, 0 to update, 0 to replace, 2 to delete, 3
    /// unchanged.`
    pub fn summary_line(&self) -> String {
        let s = self.summary();
        format!(
            "Plan: {} to create, {} to update, {} to replace, {} to delete, {} unchanged.",
            s.create, s.update, s.replace, s.delete, s.unchanged
        )
    }
}

/// Looks a provider up by name.
pub type Providers<'a> = &'a dyn Fn(&str) -> Option<&'a dyn Provider>;

/// Why a plan could not be made.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanError {
    /// The desired resource concerned, if one is.
    pub address: Option<String>,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it, when the provider or the planner knows.
    pub help: Option<String>,
}

impl PlanError {
    fn new(address: Option<&str>, message: String) -> PlanError {
        PlanError {
            address: address.map(str::to_string),
            message,
            help: None,
        }
    }
}

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Makes a plan. With `refresh`, each recorded resource is read through its provider first;
/// what changed outside Cairn is reported as drift and planned back.
pub fn make(
    desired: &[Desired],
    state: &State,
    providers: Providers<'_>,
    ctx: &Ctx,
    refresh: bool,
) -> Result<Plan, PlanError> {
    let mut drift = Vec::new();
    // Recorded outputs, and which resources keep theirs (so references to them are known).
    let mut observed: BTreeMap<&str, Observed> = BTreeMap::new();
    if refresh {
        for (address, r) in &state.resources {
            if !matches!(r.status, Status::Applied) {
                continue;
            }
            let Some(p) = providers(&r.provider) else {
                continue;
            };
            let o = p.read(ctx, &r.inputs, &r.outputs).map_err(|e| PlanError {
                address: None,
                message: format!("cannot refresh `{address}`: {e}"),
                help: e.help.clone(),
            })?;
            match &o {
                Observed::Missing => drift.push(Drift {
                    address: address.clone(),
                    what: "deleted outside Cairn".into(),
                }),
                Observed::Drifted { attributes, .. } => drift.push(Drift {
                    address: address.clone(),
                    what: format!("changed outside Cairn: {}", attributes.join(", ")),
                }),
                Observed::Same { .. } => {}
            }
            observed.insert(address, o);
        }
    }
    // Two file resources writing one file would race each other in apply.
    let mut paths: BTreeMap<String, &str> = BTreeMap::new();
    for d in desired.iter().filter(|d| d.provider == "file") {
        if let Some(p) = d.inputs.get("path").and_then(Json::as_str) {
            let key = crate::source::normalize(std::path::Path::new(p))
                .display()
                .to_string();
            if let Some(first) = paths.insert(key, &d.address) {
                return Err(PlanError {
                    help: Some("give each `file.File` resource a path of its own".into()),
                    ..PlanError::new(
                        Some(&d.address),
                        format!("`{}` and `{first}` both write the file `{p}`", d.address),
                    )
                });
            }
        }
    }
    let mut outputs: BTreeMap<String, Json> = BTreeMap::new();
    let mut changes = Vec::new();
    let wanted: BTreeSet<&str> = desired.iter().map(|d| d.address.as_str()).collect();
    // Desired resources, dependencies first (the caller gives them in dependency order).
    for d in desired {
        let provider = providers(&d.provider).ok_or_else(|| {
            PlanError::new(
                Some(&d.address),
                format!("`{}`: no provider `{}`", d.address, d.provider),
            )
        })?;
        provider.validate(ctx, &d.inputs).map_err(|e| PlanError {
            help: e.help.clone(),
            ..PlanError::new(Some(&d.address), format!("`{}`: {e}", d.address))
        })?;
        // Outputs of unchanged resources are known: fill them in.
        let mut inputs = d.inputs.clone();
        if has_unknown(&inputs) {
            fill_known(&mut inputs, &outputs);
        }
        let recorded = state.resources.get(&d.address);
        let mut change = Change {
            address: d.address.clone(),
            type_path: d.type_path.clone(),
            provider: d.provider.clone(),
            action: Action::NoOp,
            reason: None,
            diffs: Vec::new(),
            inputs: inputs.clone(),
            dependencies: d.dependencies.clone(),
            protect: d.protect,
            create_before_destroy: d.create_before_destroy,
            sensitive: d.sensitive.clone(),
            pending: false,
            introduced_by: Vec::new(),
        };
        match recorded {
            None => {
                change.action = Action::Create;
                change.diffs = diff(&Json::Null, &inputs, &d.sensitive, &|_| false);
            }
            Some(r) => {
                if let Status::Pending { operation, .. } = &r.status {
                    change.pending = true;
                    change.reason = Some(format!(
                        "an earlier {} was interrupted; the resource is read before acting",
                        serde_json::to_value(operation)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default()
                    ));
                }
                let diffs = diff(&r.inputs, &inputs, &d.sensitive, &|attr| {
                    provider.forces_replacement(&inputs, attr)
                });
                let gone = matches!(observed.get(d.address.as_str()), Some(Observed::Missing));
                let drifted = match observed.get(d.address.as_str()) {
                    Some(Observed::Drifted { attributes, .. }) => attributes.clone(),
                    _ => Vec::new(),
                };
                change.diffs = diffs;
                let interrupted = match &r.status {
                    Status::Pending { operation, .. } => Some(*operation),
                    Status::Applied => None,
                };
                change.action = if matches!(
                    interrupted,
                    Some(super::state::Operation::Create | super::state::Operation::Delete)
                ) {
                    // It may or may not exist: apply reads it, and creates it only if missing.
                    Action::Create
                } else if gone {
                    change.reason = Some("deleted outside Cairn".into());
                    Action::Create
                } else if change.diffs.iter().any(|x| x.forces_replacement) {
                    let forced: Vec<String> = change
                        .diffs
                        .iter()
                        .filter(|x| x.forces_replacement)
                        .map(|x| format!("`{}`", x.path))
                        .collect();
                    change.reason = Some(format!("{} cannot change in place", forced.join(", ")));
                    Action::Replace
                } else if !change.diffs.is_empty() {
                    Action::Update
                } else if !drifted.is_empty() {
                    change.reason = Some(format!(
                        "changed outside Cairn ({}); applied again",
                        drifted.join(", ")
                    ));
                    Action::Update
                } else if change.pending {
                    Action::Update
                } else {
                    Action::NoOp
                };
                if change.action == Action::NoOp {
                    outputs.insert(d.address.clone(), r.outputs.clone());
                }
            }
        }
        changes.push(change);
    }
    // Recorded resources that left the program: deleted, dependents first.
    let mut removed: Vec<(&String, &super::state::ResourceState)> = state
        .resources
        .iter()
        .filter(|(a, _)| !wanted.contains(a.as_str()))
        .collect();
    removed.sort_by_key(|(a, r)| (std::cmp::Reverse(depth(a, r, state)), (*a).clone()));
    for (address, r) in removed {
        changes.push(Change {
            address: address.clone(),
            type_path: r.type_path.clone(),
            provider: r.provider.clone(),
            action: Action::Delete,
            reason: r
                .protect
                .then(|| "protected: deleting it needs --allow-protected-delete".to_string()),
            diffs: diff(&r.inputs, &Json::Null, &r.sensitive, &|_| false),
            inputs: Json::Null,
            dependencies: r.dependencies.clone(),
            protect: r.protect,
            create_before_destroy: false,
            sensitive: r.sensitive.clone(),
            pending: !matches!(r.status, Status::Applied),
            introduced_by: Vec::new(),
        });
    }
    Ok(Plan {
        version: PLAN_VERSION,
        lineage: state.lineage.clone(),
        serial: state.serial,
        changes,
        drift,
        revision: None,
        dirty: false,
        project: None,
        export_only: Vec::new(),
    })
}

/// How deep a recorded resource sits in the recorded dependencies (for delete order).
fn depth(address: &str, r: &super::state::ResourceState, state: &State) -> usize {
    let mut seen = BTreeSet::new();
    let mut frontier: Vec<&str> = r.dependencies.iter().map(String::as_str).collect();
    let mut d = 0;
    while !frontier.is_empty() && d < state.resources.len() {
        d += 1;
        let mut next = Vec::new();
        for a in frontier {
            if a == address || !seen.insert(a) {
                continue;
            }
            if let Some(x) = state.resources.get(a) {
                next.extend(x.dependencies.iter().map(String::as_str));
            }
        }
        frontier = next;
    }
    d
}

/// Fills in the placeholders whose outputs are known, leaving the others.
fn fill_known(v: &mut Json, outputs: &BTreeMap<String, Json>) {
    match v {
        Json::String(s) => {
            for (a, o) in super::tokens_in(s) {
                if let Some(value) = outputs.get(&a).and_then(|x| x.get(&o)) {
                    let shown = match value {
                        Json::String(x) => x.clone(),
                        other => other.to_string(),
                    };
                    *s = s.replace(&super::token(&a, &o), &shown);
                }
            }
        }
        Json::Array(a) => a.iter_mut().for_each(|x| fill_known(x, outputs)),
        Json::Object(o) => o.values_mut().for_each(|x| fill_known(x, outputs)),
        _ => {}
    }
}

/// How a value is shown in a plan.
fn show(v: &Json, sensitive: bool) -> String {
    if sensitive {
        return "(sensitive)".into();
    }
    match v {
        Json::String(s) if has_unknown(v) => {
            let shown = show_unknown(s);
            if shown == "(known after apply)" {
                shown
            } else {
                format!("{shown:?}")
            }
        }
        other => other.to_string(),
    }
}

/// The attribute differences between `old` and `new`, down to the leaves. A top-level
/// attribute is `forces(attr)` when changing it forces replacement; one listed in `sensitive`
/// is shown as `(sensitive)`.
fn diff(
    old: &Json,
    new: &Json,
    sensitive: &[String],
    forces: &dyn Fn(&str) -> bool,
) -> Vec<AttrDiff> {
    let mut out = Vec::new();
    walk(old, new, String::new(), sensitive, forces, &mut out);
    out
}

/// The attribute differences between two values (nothing forces replacement): for the semantic
/// diff between revisions.
pub fn attribute_diff(old: &Json, new: &Json, sensitive: &[String]) -> Vec<AttrDiff> {
    diff(old, new, sensitive, &|_| false)
}

fn walk(
    old: &Json,
    new: &Json,
    path: String,
    sensitive: &[String],
    forces: &dyn Fn(&str) -> bool,
    out: &mut Vec<AttrDiff>,
) {
    let top = path
        .split(['.', '['])
        .next()
        .unwrap_or_default()
        .to_string();
    let secret = sensitive.contains(&top);
    match (old, new) {
        (Json::Object(a), Json::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().collect();
            keys.extend(b.keys().filter(|k| !a.contains_key(*k)));
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(
                    a.get(k).unwrap_or(&Json::Null),
                    b.get(k).unwrap_or(&Json::Null),
                    p,
                    sensitive,
                    forces,
                    out,
                );
            }
        }
        (Json::Null, Json::Object(b)) if path.is_empty() => {
            for (k, v) in b {
                walk(&Json::Null, v, k.clone(), sensitive, forces, out);
            }
        }
        (Json::Object(a), Json::Null) if path.is_empty() => {
            for (k, v) in a {
                walk(v, &Json::Null, k.clone(), sensitive, forces, out);
            }
        }
        (a, b) if a == b && !has_unknown(b) => {}
        (a, b) => out.push(AttrDiff {
            path: path.clone(),
            old: (!a.is_null()).then(|| show(a, secret)),
            new: (!b.is_null()).then(|| show(b, secret)),
            forces_replacement: !a.is_null() && forces(&top),
        }),
    }
}

fn short(commit: &str) -> &str {
    commit.get(..7).unwrap_or(commit)
}

/// The plan as text, for people.
pub fn to_text(plan: &Plan) -> String {
    let mut out = String::new();
    if let Some(r) = &plan.revision {
        out.push_str(&format!(
            "Program at commit {}{}.\n\n",
            short(r),
            if plan.dirty {
                " with uncommitted changes"
            } else {
                ""
            }
        ));
    }
    if !plan.drift.is_empty() {
        out.push_str("Drift (changed outside Cairn since the last apply):\n");
        for d in &plan.drift {
            out.push_str(&format!("  ! {}: {}\n", d.address, d.what));
        }
        out.push('\n');
    }
    let changed: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .collect();
    if changed.is_empty() {
        out.push_str("No changes: the recorded state matches the program.\n");
    } else {
        out.push_str("Cairn will:\n\n");
        for c in changed {
            out.push_str(&format!(
                "{:>3} {} ({}): {}{}\n",
                c.action.symbol(),
                c.address,
                c.type_path,
                c.action.describe(),
                c.reason
                    .as_ref()
                    .map(|r| format!(" — {r}"))
                    .unwrap_or_default()
            ));
            for d in &c.diffs {
                let line = match (&d.old, &d.new) {
                    (None, Some(n)) => format!("      + {} = {n}", d.path),
                    (Some(o), None) => format!("      - {} = {o}", d.path),
                    (Some(o), Some(n)) => format!("      ~ {}: {o} -> {n}", d.path),
                    (None, None) => continue,
                };
                out.push_str(&line);
                if d.forces_replacement {
                    out.push_str("  (forces replacement)");
                }
                out.push('\n');
            }
            for o in &c.introduced_by {
                out.push_str(&format!(
                    "      # from {} {} ({})\n",
                    short(&o.commit),
                    o.subject,
                    o.author
                ));
            }
            out.push('\n');
        }
    }
    out.push_str(&plan.summary_line());
    out.push('\n');
    let note = export_only_note(plan, "");
    if !note.is_empty() {
        out.push('\n');
        out.push_str(&note);
    }
    out
}

/// The plan as Markdown, for a pull-request comment.
pub fn to_markdown(plan: &Plan) -> String {
    let s = plan.summary();
    let mut out = format!(
        "### Cairn plan\n\n**{} to create, {} to update, {} to replace, {} to delete**, {} unchanged.\n\n",
        s.create, s.update, s.replace, s.delete, s.unchanged
    );
    if let Some(r) = &plan.revision {
        out.push_str(&format!(
            "Program at commit `{}`{}.\n\n",
            short(r),
            if plan.dirty {
                " **with uncommitted changes**"
            } else {
                ""
            }
        ));
    }
    if !plan.drift.is_empty() {
        out.push_str("> [!WARNING]\n> Drift since the last apply:\n");
        for d in &plan.drift {
            out.push_str(&format!("> - `{}`: {}\n", d.address, d.what));
        }
        out.push('\n');
    }
    let changed: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .collect();
    let note = export_only_note(plan, "`");
    if !note.is_empty() {
        out.push_str(&note);
        out.push('\n');
    }
    if changed.is_empty() {
        out.push_str("No changes.\n");
        return out;
    }
    let provenance = changed.iter().any(|c| !c.introduced_by.is_empty());
    if provenance {
        out.push_str("| | resource | type | action | introduced by |\n|---|---|---|---|---|\n");
    } else {
        out.push_str("| | resource | type | action |\n|---|---|---|---|\n");
    }
    for c in &changed {
        out.push_str(&format!(
            "| `{}` | `{}` | `{}` | {}{} |",
            c.action.symbol().trim(),
            c.address,
            c.type_path,
            c.action.describe(),
            c.reason
                .as_ref()
                .map(|r| format!(" ({})", r.replace('|', "\\|")))
                .unwrap_or_default()
        ));
        if provenance {
            let commits: Vec<String> = c
                .introduced_by
                .iter()
                .map(|o| format!("`{}` {}", short(&o.commit), o.subject.replace('|', "\\|")))
                .collect();
            out.push_str(&format!(" {} |", commits.join("<br>")));
        }
        out.push('\n');
    }
    out.push_str("\n<details><summary>Attribute changes</summary>\n\n```diff\n");
    for c in changed {
        out.push_str(&format!("# {} ({})\n", c.address, c.action.describe()));
        for d in &c.diffs {
            match (&d.old, &d.new) {
                (None, Some(n)) => out.push_str(&format!("+ {} = {n}\n", d.path)),
                (Some(o), None) => out.push_str(&format!("- {} = {o}\n", d.path)),
                (Some(o), Some(n)) => {
                    out.push_str(&format!("- {} = {o}\n+ {} = {n}\n", d.path, d.path))
                }
                (None, None) => {}
            }
        }
    }
    out.push_str("```\n\n</details>\n");
    out
}
