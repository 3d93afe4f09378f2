//! `service-selector`: a Service whose selector matches the pods of no workload in the program.

use super::k8s_util::{self, K8sObject, Pod};
use crate::lint::{Context, Finding, Group, Level, Rule, RuleInfo};
use crate::value::Value;

pub static INFO: RuleInfo = RuleInfo {
    code: "L0035",
    name: "service-selector",
    group: Group::Kubernetes,
    level: Level::Warn,
    summary: "A Service's `spec.selector` matches the pod labels of no workload in the program (in its namespace).",
    why: "A Service sends traffic to the pods whose labels include all of its selector. When no pod template has them — a typo, a label renamed on one side only, the Service in another namespace — the Service has no endpoints: it applies cleanly and every request to it fails. Workloads are Deployments, StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers, Jobs, CronJobs and Pods; a namespace left out counts as the same one. A Service without a selector (endpoints managed by hand, `ExternalName`) is not checked, nor is a program that declares no workloads (its pods come from elsewhere).",
    example: r#"import std.k8s

resource web: k8s.Deployment {
  metadata.name: "web"
  spec: {
    selector.matchLabels.app: "web"
    template: {
      metadata.labels.app: "web"
      spec.containers: [{ name: "web", image: "nginx:1.27.2" }]
    }
  }
}

resource svc: k8s.Service {
  metadata.name: "web"
  spec: {
    selector.app: "frontend"
    ports: [{ port: 80 }]
  }
}"#,
    instead: r#"import std.k8s

resource web: k8s.Deployment {
  metadata.name: "web"
  spec: {
    selector.matchLabels.app: "web"
    template: {
      metadata.labels.app: "web"
      spec.containers: [{ name: "web", image: "nginx:1.27.2" }]
    }
  }
}

resource svc: k8s.Service {
  metadata.name: "web"
  spec: {
    selector.app: "web"
    ports: [{ port: 80 }]
  }
}"#,
    fixable: false,
};

pub struct ServiceSelector;
pub static RULE: ServiceSelector = ServiceSelector;

impl Rule for ServiceSelector {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let objects: Vec<K8sObject<'_>> = k8s_util::objects(cx).collect();
        let workloads: Vec<(&K8sObject<'_>, Pod<'_>)> = objects
            .iter()
            .filter_map(|o| o.pod().map(|p| (o, p)))
            .collect();
        if workloads.is_empty() {
            return;
        }
        // Workloads by (namespace, label, value) of their pods, so that a Service looks only
        // at the workloads that carry one of its selector's labels (the fleet has thousands of
        // both: comparing each Service with each workload would be quadratic).
        let mut by_label: std::collections::HashMap<(&str, &str, &str), Vec<usize>> =
            std::collections::HashMap::new();
        for (i, (w, p)) in workloads.iter().enumerate() {
            if let Some(labels) = p.labels.and_then(Value::as_object) {
                for (k, v) in labels.iter() {
                    if let Value::Str(v) = v {
                        by_label
                            .entry((namespace(w), &**k, &**v))
                            .or_default()
                            .push(i);
                    }
                }
            }
        }
        for svc in objects.iter().filter(|o| o.kind == "Service") {
            let Some(spec) = svc.body.get("spec") else {
                continue;
            };
            if spec.get("type").and_then(Value::as_str) == Some("ExternalName") {
                continue;
            }
            let Some(selector) = spec
                .get("selector")
                .filter(|s| s.as_object().is_some_and(|o| !o.is_empty()))
            else {
                continue;
            };
            let ns = namespace(svc);
            let first = selector
                .as_object()
                .and_then(|o| o.iter().next())
                .and_then(|(k, v)| v.as_str().map(|v| (ns, &**k, v)));
            let candidates = first.and_then(|key| by_label.get(&key));
            if candidates.is_some_and(|c| {
                c.iter()
                    .any(|&i| k8s_util::selects(selector, workloads[i].1.labels))
            }) {
                continue;
            }
            let here: Vec<&(&K8sObject<'_>, Pod<'_>)> = workloads
                .iter()
                .filter(|(w, _)| namespace(w) == ns)
                .collect();
            let in_ns = match svc.namespace() {
                Some(n) => format!(" in namespace `{n}`"),
                None => String::new(),
            };
            let mut f = svc.finding(
                format!(
                    "Service selector `{}` (`spec.selector`) matches the pods of no workload{in_ns}",
                    k8s_util::labels_text(selector)
                ),
                "make the selector a subset of the pod template labels of the workload the \
                 Service is for (the same keys and values)",
            );
            if let Some((w, _)) = workloads
                .iter()
                .find(|(_, p)| k8s_util::selects(selector, p.labels))
            {
                f.also.push((
                    w.resource.file,
                    w.resource.span,
                    format!("these pods match, but in namespace `{}`", namespace(w)),
                ));
                f.help = "put the Service in the namespace of the workload it is for \
                          (`metadata.namespace`): a Service only selects pods of its own"
                    .into();
            } else if let Some((w, p)) = closest(selector, &here) {
                f.also.push((
                    w.resource.file,
                    w.resource.span,
                    format!(
                        "the pod labels here (`{}`) are `{}`",
                        p.labels_path(),
                        p.labels.map(k8s_util::labels_text).unwrap_or_default()
                    ),
                ));
            }
            out.push(f);
        }
    }
}

/// The namespace of an object; left out, the same default for all.
fn namespace<'a>(o: &K8sObject<'a>) -> &'a str {
    o.namespace().unwrap_or("default")
}

/// The workload whose pod labels share the most of the selector's keys (at least one).
fn closest<'w, 'a>(
    selector: &Value,
    workloads: &[&'w (&'w K8sObject<'a>, Pod<'a>)],
) -> Option<&'w (&'w K8sObject<'a>, Pod<'a>)> {
    let sel = selector.as_object()?;
    let score = |p: &Pod<'_>| {
        sel.keys()
            .filter(|k| p.labels.and_then(|l| l.get(k)).is_some())
            .count()
    };
    let best = workloads.iter().max_by_key(|(_, p)| score(p))?;
    (score(&best.1) > 0).then_some(*best)
}

#[cfg(test)]
mod tests {
    use super::INFO;

    /// The messages of the rule's findings in a program, which must evaluate without errors.
    fn names(src: &str) -> Vec<String> {
        crate::lint::findings_of(src, "service-selector")
    }

    /// A Deployment `web` whose pods have these labels, in this namespace (`null`: none given).
    fn deployment(labels: &str, namespace: &str) -> String {
        format!(
            "import std.k8s\n\nresource web: k8s.Deployment {{\n  metadata: {{ name: \"web\", \
             if {namespace} != null {{ namespace: {namespace} }} }}\n  spec: {{\n    \
             selector.matchLabels: {labels}\n    template: {{\n      metadata.labels: \
             {labels}\n      spec.containers: [{{ name: \"web\", image: \"web:1\" }}]\n    \
             }}\n  }}\n}}\n"
        )
    }

    /// A Service `svc` with this `spec`, in this namespace (`null`: none given).
    fn service(spec: &str, namespace: &str) -> String {
        format!(
            "resource svc: k8s.Service {{\n  metadata: {{ name: \"svc\", if {namespace} != null \
             {{ namespace: {namespace} }} }}\n  spec: {spec}\n}}\n"
        )
    }

    #[test]
    fn fires() {
        assert_eq!(
            names(INFO.example),
            [
                "`svc`: Service selector `app: frontend` (`spec.selector`) matches the pods of no workload"
            ]
        );
        // One label of the selector is missing from the pods.
        let src = deployment("{ app: \"web\" }", "null")
            + &service(
                "{ selector: { app: \"web\", tier: \"frontend\" }, ports: [{ port: 80 }] }",
                "null",
            );
        assert_eq!(names(&src).len(), 1);
        // The matching pods are in another namespace.
        let src = deployment("{ app: \"web\" }", "\"shop\"")
            + &service(
                "{ selector.app: \"web\", ports: [{ port: 80 }] }",
                "\"staging\"",
            );
        assert_eq!(
            names(&src),
            [
                "`svc`: Service selector `app: web` (`spec.selector`) matches the pods of no workload in namespace `staging`"
            ]
        );
        let src = deployment("{ app: \"web\" }", "\"shop\"")
            + &service("{ selector.app: \"web\", ports: [{ port: 80 }] }", "null");
        assert_eq!(names(&src).len(), 1);
        // Built by the std.k8s helpers, keyed in a loop, with a hand-written Service that
        // selects the wrong label.
        let src = "import std.k8s\n\nfor a in [{ name: \"web\", image: \"web:1\" }, { name: \"api\", image: \"api:1\" }] {\n  \
                   resource deploy[a.name]: k8s.Deployment = k8s.deployment(a)\n  \
                   resource svc[a.name]: k8s.Service {\n    metadata.name: a.name\n    \
                   spec: { selector.app: a.name, ports: [{ port: 80 }] }\n  }\n}\n";
        assert_eq!(
            names(src),
            [
                "`svc[\"web\"]`: Service selector `app: web` (`spec.selector`) matches the pods of no workload",
                "`svc[\"api\"]`: Service selector `app: api` (`spec.selector`) matches the pods of no workload",
            ]
        );
    }

    /// The findings of the rule itself, with their secondary labels.
    fn findings(src: &str) -> Vec<crate::lint::Finding> {
        let mut engine = crate::Engine::with_loader(crate::MemoryLoader::new());
        let file = engine.sources_mut().add("main.cairn", src);
        let (program, _) = engine.program(file);
        let out = engine.evaluate(file);
        let cx =
            crate::lint::Context::new(&program, engine.sources(), &out.resources, &out.document);
        let mut found = Vec::new();
        crate::lint::Rule::check(&super::RULE, &cx, &mut found);
        found
    }

    #[test]
    fn points_at_the_closest_workload() {
        // Another namespace.
        let src = deployment("{ app: \"web\" }", "\"shop\"")
            + &service(
                "{ selector.app: \"web\", ports: [{ port: 80 }] }",
                "\"staging\"",
            );
        let f = findings(&src);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].also.len(), 1);
        assert_eq!(f[0].also[0].2, "these pods match, but in namespace `shop`");
        assert!(f[0].help.contains("namespace"), "{}", f[0].help);
        // A label with another value.
        let src = deployment("{ app: \"web\", tier: \"front\" }", "null")
            + "resource other: k8s.Deployment {\n  metadata.name: \"other\"\n  spec: {\n    \
               selector.matchLabels.x: \"y\"\n    template: {\n      metadata.labels.x: \"y\"\n      \
               spec.containers: [{ name: \"o\", image: \"o:1\" }]\n    }\n  }\n}\n"
            + &service(
                "{ selector: { app: \"web\", tier: \"frontend\" }, ports: [{ port: 80 }] }",
                "null",
            );
        let f = findings(&src);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].also.iter().map(|a| a.2.as_str()).collect::<Vec<_>>(),
            ["the pod labels here (`spec.template.metadata.labels`) are `app: web, tier: front`"]
        );
        // Nothing close.
        let src = deployment("{ app: \"web\" }", "null")
            + &service("{ selector.name: \"web\", ports: [{ port: 80 }] }", "null");
        let f = findings(&src);
        assert_eq!(f.len(), 1);
        assert!(f[0].also.is_empty());
    }

    #[test]
    fn does_not_fire() {
        assert!(names(INFO.instead).is_empty());
        // The selector is a subset of the pod labels.
        let src = deployment("{ app: \"web\", tier: \"frontend\" }", "null")
            + &service("{ selector.app: \"web\", ports: [{ port: 80 }] }", "null");
        assert!(names(&src).is_empty());
        let src = deployment("{ app: \"web\" }", "\"shop\"")
            + &service(
                "{ selector.app: \"web\", ports: [{ port: 80 }] }",
                "\"shop\"",
            );
        assert!(names(&src).is_empty());
        // No namespace on either side, or `default` on one: the same namespace.
        let src = deployment("{ app: \"web\" }", "\"default\"")
            + &service("{ selector.app: \"web\", ports: [{ port: 80 }] }", "null");
        assert!(names(&src).is_empty());
        // No selector: endpoints by hand, or an ExternalName.
        let src = deployment("{ app: \"web\" }", "null")
            + &service("{ ports: [{ port: 80 }] }", "null")
            + "resource ext: k8s.Service {\n  metadata.name: \"ext\"\n  spec: { type: \"ExternalName\", externalName: \"db.example.com\", selector.app: \"db\" }\n}\n";
        assert!(names(&src).is_empty());
        // The std.k8s helpers select their own pods, also with a namespace.
        let src = "import std.k8s\n\nfor a in [{ name: \"web\", image: \"web:1\" }, { name: \"api\", image: \"api:1\", namespace: \"shop\" }] {\n  \
                   resource deploy[a.name]: k8s.Deployment = k8s.deployment(a)\n  \
                   resource svc[a.name]: k8s.Service = k8s.service(a)\n}\n";
        assert!(names(src).is_empty());
        // A CronJob's pods are selected too.
        let src = "import std.k8s\n\nresource nightly: k8s.CronJob {\n  metadata.name: \"nightly\"\n  \
                   spec: {\n    schedule: \"0 3 * * *\"\n    jobTemplate.spec.template: {\n      \
                   metadata.labels.app: \"nightly\"\n      spec: { restartPolicy: \"Never\", containers: [{ name: \"job\", image: \"job:1\" }] }\n    }\n  }\n}\n"
            .to_string()
            + &service("{ selector.app: \"nightly\", ports: [{ port: 80 }] }", "null");
        assert!(names(&src).is_empty());
        // No workloads in the program: the pods come from elsewhere.
        let src = "import std.k8s\n\n".to_string()
            + &service("{ selector.app: \"web\", ports: [{ port: 80 }] }", "null");
        assert!(names(&src).is_empty());
        // Not Kubernetes objects.
        assert!(
            names("resource web: file.File {\n  path: \"web.txt\"\n  content: \"selector\"\n}\n")
                .is_empty()
        );
        assert!(
            names("x: [{ kind: \"Service\", spec.selector.app: \"x\" }, { apiVersion: \"v1\", kind: \"Pod\", spec.containers: [] }]\n")
                .is_empty()
        );
    }
}
