//! `deployment-selector`: a workload whose `spec.selector.matchLabels` is not among its pod
//! template's labels, or whose pod template has no labels.

use super::k8s_util;
use crate::lint::{Context, Finding, Group, Level, Rule, RuleInfo};

pub static INFO: RuleInfo = RuleInfo {
    code: "L0036",
    name: "deployment-selector",
    group: Group::Kubernetes,
    level: Level::Error,
    summary: "A Deployment, StatefulSet, DaemonSet or ReplicaSet's `spec.selector.matchLabels` is not a subset of its pod template's labels, or the template has no labels.",
    why: "A workload finds its pods by its selector, so the pods it creates must carry the selector's labels: Kubernetes rejects the object otherwise (`selector does not match template labels`), and the apply fails only at deploy time, after everything else was rendered and reviewed. The usual cause is a label renamed on one side only.",
    example: r#"import std.k8s

resource web: k8s.Deployment {
  metadata.name: "web"
  spec: {
    selector.matchLabels.app: "web"
    template: {
      metadata.labels.app: "frontend"
      spec.containers: [{ name: "web", image: "nginx:1.27.2" }]
    }
  }
}"#,
    instead: r#"import std.k8s

let labels = { app: "web" }

resource web: k8s.Deployment {
  metadata.name: "web"
  spec: {
    selector.matchLabels: labels
    template: {
      metadata.labels: labels
      spec.containers: [{ name: "web", image: "nginx:1.27.2" }]
    }
  }
}"#,
    fixable: false,
};

pub struct DeploymentSelector;
pub static RULE: DeploymentSelector = DeploymentSelector;

impl Rule for DeploymentSelector {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for obj in k8s_util::objects(cx) {
            if !k8s_util::LONG_RUNNING.contains(&obj.kind) {
                continue;
            }
            let Some(spec) = obj.body.get("spec") else {
                continue;
            };
            let Some(template) = spec.get("template") else {
                continue;
            };
            let labels = template
                .get("metadata")
                .and_then(|m| m.get("labels"))
                .filter(|l| l.as_object().is_some_and(|o| !o.is_empty()));
            let Some(labels) = labels else {
                out.push(obj.finding(
                    format!(
                        "the pod template of this {} has no labels \
                         (`spec.template.metadata.labels`), so its selector matches none of its pods",
                        obj.kind
                    ),
                    "give the pods labels, and select them with the same labels in \
                     `spec.selector.matchLabels`",
                ));
                continue;
            };
            let Some(selector) = spec
                .get("selector")
                .and_then(|s| s.get("matchLabels"))
                .and_then(|m| m.as_object())
            else {
                continue;
            };
            let mut wrong = Vec::new();
            for (k, v) in selector.iter() {
                let want = format!("{k}: {}", k8s_util::value_text(v));
                match labels.get(k) {
                    None => wrong.push(format!("`{want}` is missing")),
                    Some(x) if x != v => {
                        wrong.push(format!("`{want}` differs (`{}`)", k8s_util::value_text(x)))
                    }
                    Some(_) => {}
                }
            }
            if wrong.is_empty() {
                continue;
            }
            out.push(obj.finding(
                format!(
                    "`spec.selector.matchLabels` is not a subset of the pod template labels \
                     (`spec.template.metadata.labels`): {}",
                    wrong.join(", ")
                ),
                "Kubernetes rejects a selector that does not match the template's labels; write \
                 the labels once (a `let`) and use them in both places",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::INFO;

    /// The messages of the rule's findings in a program, which must evaluate without errors.
    fn names(src: &str) -> Vec<String> {
        crate::lint::findings_of(src, "deployment-selector")
    }

    /// An object `w` of this kind with this selector and these template metadata.
    fn workload(kind: &str, match_labels: &str, metadata: &str) -> String {
        format!(
            "import std.k8s\n\nresource w: k8s.{kind} {{\n  metadata.name: \"w\"\n  \
             spec: {{\n    selector.matchLabels: {match_labels}\n    template: {{\n      \
             metadata: {metadata}\n      spec.containers: [{{ name: \"w\", image: \"w:1\" }}]\n    \
             }}\n  }}\n}}\n"
        )
    }

    #[test]
    fn fires() {
        assert_eq!(
            names(INFO.example),
            [
                "`web`: `spec.selector.matchLabels` is not a subset of the pod template labels (`spec.template.metadata.labels`): `app: web` differs (`frontend`)"
            ]
        );
        assert_eq!(
            names(&workload(
                "StatefulSet",
                "{ app: \"w\", tier: \"db\" }",
                "{ labels.app: \"w\" }"
            )),
            [
                "`w`: `spec.selector.matchLabels` is not a subset of the pod template labels (`spec.template.metadata.labels`): `tier: db` is missing"
            ]
        );
        assert_eq!(
            names(&workload("DaemonSet", "{ app: \"w\" }", "{}")),
            [
                "`w`: the pod template of this DaemonSet has no labels (`spec.template.metadata.labels`), so its selector matches none of its pods"
            ]
        );
        // Any object of the kind, typed or not.
        let src = workload("Object", "{ app: \"w\" }", "{ labels: {} }").replace(
            "metadata.name: \"w\"",
            "apiVersion: \"apps/v1\"\n  kind: \"ReplicaSet\"\n  metadata.name: \"w\"",
        );
        assert_eq!(
            names(&src),
            [
                "`w`: the pod template of this ReplicaSet has no labels (`spec.template.metadata.labels`), so its selector matches none of its pods"
            ]
        );
        // Built by the std.k8s helpers and then changed, keyed in a loop.
        let src = "import std.k8s\n\nfor a in [{ name: \"web\", image: \"web:1\" }, { name: \"api\", image: \"api:1\" }] {\n  \
                   resource deploy[a.name]: k8s.Deployment = merge(k8s.deployment(a), { spec.selector.matchLabels.tier: \"backend\" })\n}\n";
        assert_eq!(
            names(src),
            [
                "`deploy[\"web\"]`: `spec.selector.matchLabels` is not a subset of the pod template labels (`spec.template.metadata.labels`): `tier: backend` is missing",
                "`deploy[\"api\"]`: `spec.selector.matchLabels` is not a subset of the pod template labels (`spec.template.metadata.labels`): `tier: backend` is missing",
            ]
        );
    }

    #[test]
    fn does_not_fire() {
        assert!(names(INFO.instead).is_empty());
        assert!(
            names(&workload(
                "Deployment",
                "{ app: \"w\" }",
                "{ labels: { app: \"w\", version: \"1\" } }"
            ))
            .is_empty()
        );
        let src = "import std.k8s\n\nfor a in [{ name: \"web\", image: \"web:1\", labels.team: \"shop\" }] {\n  \
                   resource deploy[a.name]: k8s.Deployment = k8s.deployment(a)\n  \
                   resource svc[a.name]: k8s.Service = k8s.service(a)\n}\n";
        assert!(names(src).is_empty());
        // Jobs and CronJobs get their selector from Kubernetes.
        let src = "import std.k8s\n\nresource nightly: k8s.CronJob {\n  metadata.name: \"nightly\"\n  \
                   spec: {\n    schedule: \"0 3 * * *\"\n    jobTemplate.spec.template.spec: {\n      \
                   restartPolicy: \"Never\"\n      containers: [{ name: \"job\", image: \"job:1\" }]\n    }\n  }\n}\n";
        assert!(names(src).is_empty());
        assert!(
            names("resource web: file.File {\n  path: \"web.txt\"\n  content: \"selector\"\n}\n")
                .is_empty()
        );
        assert!(
            names("x: { kind: \"Deployment\", spec: { selector.matchLabels.app: \"a\", template.metadata.labels.app: \"b\" } }\n")
                .is_empty()
        );
    }
}
