//! Apply: carry a plan out through the providers, in parallel, recording every step.
//!
//! The changes of a plan become nodes of the executor's graph: creates, updates and
//! replacements after the resources they depend on; deletes of removed resources before the
//! resources they depended on. A node starts as soon as what it needs has succeeded (a failure
//! skips only its dependents). Around every single provider operation the state is saved
//! twice: the intent (`pending`) before the side effect, the result after it. A run that is
//! killed mid-operation leaves that resource pending, and the next plan reads it before acting,
//! so nothing is created twice.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::Instant;

use serde_json::Value as Json;

use super::executor::{self, Event, NodeResult};
use super::plan::{Action, Change, Plan};
use super::provider::{Ctx, Observed, Provider};
use super::state::{Operation, ResourceState, State, Status, Store, rfc3339};
use super::{has_unknown, resolve_unknown};

/// How to apply.
#[derive(Clone, Debug)]
pub struct Options {
    /// At most this many operations at once.
    pub parallelism: usize,
    /// Delete protected resources too.
    pub allow_protected_delete: bool,
    /// Allow a plan that deletes every resource.
    pub allow_delete_all: bool,
    /// Only these addresses and what they depend on.
    pub targets: Vec<String>,
    /// The revision (Git commit) being applied, recorded in state.
    pub revision: Option<String>,
    /// Who signed the commits applied (recorded in state with the revision).
    pub signed_by: Option<String>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            parallelism: 10,
            allow_protected_delete: false,
            allow_delete_all: false,
            targets: Vec::new(),
            revision: None,
            signed_by: None,
        }
    }
}

/// Progress, as it happens (from worker threads).
#[derive(Clone, Debug)]
pub enum Progress<'a> {
    Started(&'a Change),
    Finished {
        change: &'a Change,
        result: &'a NodeResult,
        seconds: f64,
        /// A create found the resource already there (a create interrupted in an earlier
        /// run had made it) and recorded it instead of creating it again.
        adopted: bool,
    },
}

/// How an apply ended.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    pub done: Vec<String>,
    pub failed: Vec<(String, String)>,
    pub skipped: Vec<String>,
    pub cancelled: Vec<String>,
}

impl Report {
    pub fn summary_line(&self) -> String {
        format!(
            "Apply: {} done, {} failed, {} skipped{}.",
            self.done.len(),
            self.failed.len(),
            self.skipped.len(),
            if self.cancelled.is_empty() {
                String::new()
            } else {
                format!(", {} not started (interrupted)", self.cancelled.len())
            }
        )
    }

    pub fn succeeded(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty() && self.cancelled.is_empty()
    }
}

/// Checks a plan can be applied to `state` now: made against this state, and within the
/// guards (protected resources, deleting everything). The messages say which flag overrides.
pub fn check(plan: &Plan, state: &State, opts: &Options) -> Result<(), String> {
    if plan.lineage != state.lineage || plan.serial != state.serial {
        return Err(format!(
            "the plan was made against state serial {} and the state is now at serial {}{}; make a new plan",
            plan.serial,
            state.serial,
            if plan.lineage != state.lineage {
                " of another lineage"
            } else {
                ""
            }
        ));
    }
    let protected: Vec<&str> = plan
        .changes
        .iter()
        .filter(|c| c.protect && matches!(c.action, Action::Delete | Action::Replace))
        .filter(|c| in_targets(c, plan, opts))
        .map(|c| c.address.as_str())
        .collect();
    if !protected.is_empty() && !opts.allow_protected_delete {
        return Err(format!(
            "the plan deletes protected resources: {}; pass --allow-protected-delete to delete them anyway, or keep them in the program",
            protected.join(", ")
        ));
    }
    let deletes = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .count();
    if deletes > 0 && deletes == state.resources.len() && !opts.allow_delete_all {
        return Err(format!(
            "the plan deletes every resource ({deletes}); pass --allow-delete-all if that is what you want"
        ));
    }
    Ok(())
}

/// Whether a change is part of the run (`--target`: the targets and what they depend on).
fn in_targets(c: &Change, plan: &Plan, opts: &Options) -> bool {
    opts.targets.is_empty() || targeted(plan, &opts.targets).contains(c.address.as_str())
}

fn targeted<'p>(plan: &'p Plan, targets: &[String]) -> BTreeSet<&'p str> {
    let by: BTreeMap<&str, &Change> = plan
        .changes
        .iter()
        .map(|c| (c.address.as_str(), c))
        .collect();
    let mut out = BTreeSet::new();
    let mut todo: Vec<&str> = targets
        .iter()
        .filter_map(|t| by.get_key_value(t.as_str()).map(|(k, _)| *k))
        .collect();
    while let Some(a) = todo.pop() {
        if out.insert(a)
            && let Some(c) = by.get(a)
        {
            todo.extend(
                c.dependencies
                    .iter()
                    .filter_map(|d| by.get_key_value(d.as_str()).map(|(k, _)| *k)),
            );
        }
    }
    out
}

/// The changes an apply of `plan` runs: those that change something, within the targets.
pub fn operations<'p>(plan: &'p Plan, opts: &Options) -> Vec<&'p Change> {
    let targets = (!opts.targets.is_empty()).then(|| targeted(plan, &opts.targets));
    plan.changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .filter(|c| {
            targets
                .as_ref()
                .is_none_or(|t| t.contains(c.address.as_str()))
        })
        .collect()
}

/// Applies `plan` (checked with [`check`]) to `state`, saving it through `store` around every
/// operation.
pub fn apply(
    plan: &Plan,
    store: &Store,
    state: State,
    providers: &(dyn Fn(&str) -> Option<&'static dyn Provider> + Sync),
    ctx: &Ctx,
    opts: &Options,
    progress: &(dyn Fn(Progress<'_>) + Sync),
) -> Result<(Report, State), String> {
    let nodes = operations(plan, opts);
    let index: BTreeMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.address.as_str(), i))
        .collect();
    let deps: Vec<Vec<usize>> = nodes
        .iter()
        .map(|c| {
            if c.action == Action::Delete {
                // Deletes go dependents first: wait for the deletes of what depended on it.
                nodes
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| {
                        d.action == Action::Delete && d.dependencies.contains(&c.address)
                    })
                    .map(|(j, _)| j)
                    .collect()
            } else {
                c.dependencies
                    .iter()
                    .filter_map(|d| index.get(d.as_str()).copied())
                    .filter(|&j| nodes[j].action != Action::Delete)
                    .collect()
            }
        })
        .collect();
    // Outputs known so far: those recorded, then those of finished operations.
    let outputs: Mutex<BTreeMap<String, Json>> = Mutex::new(
        state
            .resources
            .iter()
            .map(|(a, r)| (a.clone(), r.outputs.clone()))
            .collect(),
    );
    let shared = Mutex::new(state);
    let save = |f: &dyn Fn(&mut State)| -> Result<(), String> {
        let mut s = shared
            .lock()
            .map_err(|_| "the state lock is poisoned".to_string())?;
        f(&mut s);
        store.save(&mut s).map_err(|e| e.to_string())
    };
    let adopted: Mutex<std::collections::BTreeSet<usize>> = Mutex::default();
    let run = |i: usize| -> Result<(), String> {
        let c = nodes[i];
        let provider =
            providers(&c.provider).ok_or_else(|| format!("no provider `{}`", c.provider))?;
        let mut inputs = c.inputs.clone();
        if has_unknown(&inputs) {
            let known = outputs
                .lock()
                .map_err(|_| "the outputs lock is poisoned".to_string())?
                .clone();
            resolve_unknown(&mut inputs, &|a, o| {
                known.get(a).and_then(|v| v.get(o)).cloned()
            })?;
        }
        let recorded = shared
            .lock()
            .map_err(|_| "the state lock is poisoned".to_string())?
            .resources
            .get(&c.address)
            .cloned();
        let entry = |status: Status, inputs: &Json, outputs: &Json| ResourceState {
            type_path: c.type_path.clone(),
            provider: c.provider.clone(),
            inputs: inputs.clone(),
            outputs: outputs.clone(),
            status,
            protect: c.protect,
            dependencies: c.dependencies.clone(),
            sensitive: c.sensitive.clone(),
            applied_revision: opts.revision.clone(),
        };
        let pending = |op: Operation| Status::Pending {
            operation: op,
            started: rfc3339(std::time::SystemTime::now()),
        };
        let err = |e: super::provider::ProviderError| e.to_string();
        let result_outputs = match c.action {
            Action::Create => {
                // An interrupted create may have happened: look before creating again.
                let existing = match (&recorded, c.pending) {
                    (Some(r), true) => {
                        match provider
                            .read(ctx, &inputs, &object_or_empty(&r.outputs))
                            .map_err(err)?
                        {
                            Observed::Missing => None,
                            Observed::Same { outputs } | Observed::Drifted { outputs, .. } => {
                                Some(outputs)
                            }
                        }
                    }
                    _ => None,
                };
                match existing {
                    Some(out) => {
                        if let Ok(mut a) = adopted.lock() {
                            a.insert(i);
                        }
                        out
                    }
                    None => {
                        save(&|s| {
                            s.resources.insert(
                                c.address.clone(),
                                entry(pending(Operation::Create), &inputs, &Json::Null),
                            );
                        })?;
                        provider.create(ctx, &inputs).map_err(err)?
                    }
                }
            }
            Action::Update => {
                let (old, old_out) = recorded
                    .as_ref()
                    .map(|r| (r.inputs.clone(), r.outputs.clone()))
                    .unwrap_or((Json::Null, Json::Null));
                save(&|s| {
                    s.resources.insert(
                        c.address.clone(),
                        entry(pending(Operation::Update), &old, &old_out),
                    );
                })?;
                provider.update(ctx, &old, &old_out, &inputs).map_err(err)?
            }
            Action::Replace => {
                let (old, old_out) = recorded
                    .as_ref()
                    .map(|r| (r.inputs.clone(), r.outputs.clone()))
                    .unwrap_or((Json::Null, Json::Null));
                save(&|s| {
                    s.resources.insert(
                        c.address.clone(),
                        entry(pending(Operation::Replace), &old, &old_out),
                    );
                })?;
                if c.create_before_destroy {
                    let out = provider.create(ctx, &inputs).map_err(err)?;
                    provider.delete(ctx, &old, &old_out).map_err(err)?;
                    out
                } else {
                    provider.delete(ctx, &old, &old_out).map_err(err)?;
                    provider.create(ctx, &inputs).map_err(err)?
                }
            }
            Action::Delete => {
                let (old, old_out) = recorded
                    .as_ref()
                    .map(|r| (r.inputs.clone(), r.outputs.clone()))
                    .unwrap_or((Json::Null, Json::Null));
                save(&|s| {
                    if let Some(r) = s.resources.get_mut(&c.address) {
                        r.status = pending(Operation::Delete);
                    }
                })?;
                provider.delete(ctx, &old, &old_out).map_err(err)?;
                save(&|s| {
                    s.resources.remove(&c.address);
                })?;
                return Ok(());
            }
            Action::NoOp => return Ok(()),
        };
        save(&|s| {
            s.resources.insert(
                c.address.clone(),
                entry(Status::Applied, &inputs, &result_outputs),
            );
        })?;
        outputs
            .lock()
            .map_err(|_| "the outputs lock is poisoned".to_string())?
            .insert(c.address.clone(), result_outputs);
        Ok(())
    };
    let starts: Vec<Mutex<Option<Instant>>> = nodes.iter().map(|_| Mutex::new(None)).collect();
    let exec_opts = executor::Options {
        parallelism: opts.parallelism.max(1),
        cancel: ctx.cancel.clone(),
    };
    let report = executor::execute(&deps, &exec_opts, run, |e: &Event| match e {
        Event::Started(i) => {
            if let Ok(mut s) = starts[*i].lock() {
                *s = Some(Instant::now());
            }
            progress(Progress::Started(nodes[*i]));
        }
        Event::Finished(i, result) => {
            let seconds = starts[*i]
                .lock()
                .ok()
                .and_then(|s| *s)
                .map_or(0.0, |t| t.elapsed().as_secs_f64());
            progress(Progress::Finished {
                change: nodes[*i],
                result,
                seconds,
                adopted: adopted.lock().is_ok_and(|a| a.contains(i)),
            });
        }
    })
    .map_err(|e| e.to_string())?;
    let mut out = Report::default();
    for (i, r) in report.results.iter().enumerate() {
        let a = nodes[i].address.clone();
        match r {
            NodeResult::Done => out.done.push(a),
            NodeResult::Failed(m) => out.failed.push((a, m.clone())),
            NodeResult::Skipped => out.skipped.push(a),
            NodeResult::Cancelled => out.cancelled.push(a),
        }
    }
    let mut state = shared
        .into_inner()
        .map_err(|_| "the state lock is poisoned".to_string())?;
    if out.succeeded() && opts.targets.is_empty() && opts.revision.is_some() {
        state.revision = opts.revision.clone();
        state.signed_by = opts.signed_by.clone();
    }
    store.save(&mut state).map_err(|e| e.to_string())?;
    Ok((out, state))
}

/// Recorded outputs, or `{}` when none were recorded (an interrupted create).
fn object_or_empty(v: &Json) -> Json {
    if v.is_object() {
        v.clone()
    } else {
        Json::Object(serde_json::Map::new())
    }
}
