//! What the Kubernetes rules share: the Kubernetes objects among the evaluated resources (a body
//! with a string `apiVersion` and `kind`), and the pod inside one — its spec, labels and
//! containers — each with its path in the object, for messages that say exactly where.
//!
//! Pods sit at `spec.template` of a Deployment, StatefulSet, DaemonSet, ReplicaSet,
//! ReplicationController or Job, at `spec.jobTemplate.spec.template` of a CronJob, and a Pod is
//! one itself.

use crate::eval::ResourceInstance;
use crate::lint::{Context, Finding};
use crate::value::Value;

/// The kinds whose pods run for good and are rolled out (not run to completion).
pub const LONG_RUNNING: [&str; 4] = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"];

/// A resource whose body is a Kubernetes object.
#[derive(Clone)]
pub struct K8sObject<'a> {
    pub resource: &'a ResourceInstance,
    pub kind: &'a str,
    pub body: &'a Value,
    /// Its pod, found once.
    pod: Option<Pod<'a>>,
}

/// The Kubernetes objects among the resources, in declaration order (found once per lint run
/// and shared by the rules).
pub fn objects<'c, 'a>(cx: &'c Context<'a>) -> impl Iterator<Item = K8sObject<'a>> + use<'c, 'a> {
    let resources: &'a [ResourceInstance] = cx.resources;
    cx.k8s
        .get_or_init(|| {
            resources
                .iter()
                .filter_map(|r| {
                    crate::export::kubernetes_kind(&r.body).map(|kind| {
                        let mut o = K8sObject {
                            resource: r,
                            kind,
                            body: &r.body,
                            pod: None,
                        };
                        o.pod = o.find_pod();
                        o
                    })
                })
                .collect()
        })
        .iter()
        .cloned()
}

impl<'a> K8sObject<'a> {
    /// A finding at the resource's declaration, its message starting with the address:
    /// "`deploy[\"web\"]`: ...".
    pub fn finding(&self, message: impl AsRef<str>, help: impl Into<String>) -> Finding {
        Finding::new(
            self.resource.file,
            self.resource.span,
            format!("`{}`: {}", self.resource.address(), message.as_ref()),
            help,
        )
    }

    /// `metadata.namespace`; `None` when absent (the namespace `kubectl` applies it to).
    pub fn namespace(&self) -> Option<&'a str> {
        self.body.get("metadata")?.get("namespace")?.as_str()
    }

    /// The pod the object runs: its template's, or its own for a Pod. `None` for kinds without
    /// pods and for an object whose pod spec is not an object.
    pub fn pod(&self) -> Option<Pod<'a>> {
        self.pod.clone()
    }

    fn find_pod(&self) -> Option<Pod<'a>> {
        let (template, at): (&'a Value, &'static str) = match self.kind {
            "Pod" => (self.body, ""),
            "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "ReplicaSet"
            | "ReplicationController"
            | "Job" => (self.body.get("spec")?.get("template")?, "spec.template."),
            "CronJob" => (
                self.body
                    .get("spec")?
                    .get("jobTemplate")?
                    .get("spec")?
                    .get("template")?,
                "spec.jobTemplate.spec.template.",
            ),
            _ => return None,
        };
        let spec = template.get("spec").filter(|s| s.as_object().is_some())?;
        Some(Pod {
            spec,
            at,
            labels: template.get("metadata").and_then(|m| m.get("labels")),
        })
    }
}

/// A pod spec, with its labels, inside an object.
#[derive(Clone)]
pub struct Pod<'a> {
    /// The pod spec: `containers`, `volumes`, ...
    pub spec: &'a Value,
    /// Where the pod (`metadata` and `spec`) sits, with a trailing dot: `spec.template.`; empty
    /// for a Pod.
    pub at: &'static str,
    /// `metadata.labels` of the pod, when set.
    pub labels: Option<&'a Value>,
}

impl<'a> Pod<'a> {
    /// The path of the pod's labels: `spec.template.metadata.labels`.
    pub fn labels_path(&self) -> String {
        format!("{}metadata.labels", self.at)
    }

    /// The containers (`containers`, then `initContainers`) that are objects.
    pub fn containers(&self) -> Vec<Container<'a>> {
        let mut out = Vec::new();
        for (field, init) in [("containers", false), ("initContainers", true)] {
            let Some(list) = self.spec.get(field).and_then(Value::as_list) else {
                continue;
            };
            for (i, c) in list.iter().enumerate() {
                if c.as_object().is_some() {
                    out.push(Container {
                        value: c,
                        name: c.get("name").and_then(Value::as_str),
                        at: self.at,
                        field,
                        index: i,
                        init,
                    });
                }
            }
        }
        out
    }

    /// The volumes that are objects, each with its path: `spec.template.spec.volumes[0]`.
    pub fn volumes(&self) -> Vec<(&'a Value, String)> {
        let Some(list) = self.spec.get("volumes").and_then(Value::as_list) else {
            return Vec::new();
        };
        list.iter()
            .enumerate()
            .filter(|(_, v)| v.as_object().is_some())
            .map(|(i, v)| (v, format!("{}spec.volumes[{i}]", self.at)))
            .collect()
    }
}

/// A container of a pod spec.
pub struct Container<'a> {
    pub value: &'a Value,
    pub name: Option<&'a str>,
    /// Where its pod spec is in the object (`spec.template.`), its list and its index: the
    /// path is only written out for a finding (there can be tens of thousands of containers).
    at: &'a str,
    field: &'static str,
    index: usize,
    /// One of `initContainers`.
    pub init: bool,
}

impl Container<'_> {
    /// Its path in the object: `spec.template.spec.containers[0]`.
    pub fn path(&self) -> String {
        format!("{}spec.{}[{}]", self.at, self.field, self.index)
    }

    /// For messages: "container `web` (`spec.template.spec.containers[0]`)".
    pub fn describe(&self) -> String {
        let what = if self.init {
            "init container"
        } else {
            "container"
        };
        match self.name {
            Some(n) => format!("{what} `{n}` (`{}`)", self.path()),
            None => format!("{what} `{}`", self.path()),
        }
    }
}

/// Labels for messages: `app: web, tier: frontend`.
pub fn labels_text(labels: &Value) -> String {
    let Some(o) = labels.as_object() else {
        return String::new();
    };
    o.iter()
        .map(|(k, v)| format!("{k}: {}", value_text(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A label value for messages: a string as it is, anything else as Cairn writes it.
pub fn value_text(v: &Value) -> String {
    match v.as_str() {
        Some(s) => s.to_string(),
        None => format!("{v:?}"),
    }
}

/// Whether every label of `selector` is in `labels` with the same value (an empty selector is
/// in anything).
pub fn selects(selector: &Value, labels: Option<&Value>) -> bool {
    let Some(sel) = selector.as_object() else {
        return false;
    };
    sel.iter()
        .all(|(k, v)| labels.and_then(|l| l.get(k)).is_some_and(|x| x == v))
}
