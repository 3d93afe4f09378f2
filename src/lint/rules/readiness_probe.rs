//! `readiness-probe`: a container of a long-running workload without a readiness probe.

use super::k8s_util;
use crate::lint::{Context, Finding, Group, Level, Rule, RuleInfo};

pub static INFO: RuleInfo = RuleInfo {
    code: "L0034",
    name: "readiness-probe",
    group: Group::Kubernetes,
    level: Level::Warn,
    summary: "A container of a Deployment, StatefulSet, DaemonSet or ReplicaSet has no `readinessProbe`.",
    why: "Without a readiness probe a pod counts as ready as soon as its containers start: Services send it traffic before the application listens, and a rolling update stops the old pods while the new ones are still starting (or crash-looping), so every deploy drops requests and a bad one takes the whole service down. A probe makes Kubernetes wait until the container answers. (Jobs and CronJobs run to completion and are not checked.)",
    example: r#"import std.k8s

resource web: k8s.Deployment {
  metadata.name: "web"
  spec: {
    selector.matchLabels.app: "web"
    template: {
      metadata.labels.app: "web"
      spec.containers: [{
        name: "web"
        image: "nginx:1.27.2"
        ports: [{ name: "http", containerPort: 80 }]
      }]
    }
  }
}"#,
    instead: r#"import std.k8s

resource web: k8s.Deployment {
  metadata.name: "web"
  spec: {
    selector.matchLabels.app: "web"
    template: {
      metadata.labels.app: "web"
      spec.containers: [{
        name: "web"
        image: "nginx:1.27.2"
        ports: [{ name: "http", containerPort: 80 }]
        readinessProbe.httpGet: { path: "/", port: "http" }
      }]
    }
  }
}"#,
    fixable: false,
};

pub struct ReadinessProbe;
pub static RULE: ReadinessProbe = ReadinessProbe;

impl Rule for ReadinessProbe {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for obj in k8s_util::objects(cx) {
            if !k8s_util::LONG_RUNNING.contains(&obj.kind) {
                continue;
            }
            let Some(pod) = obj.pod() else { continue };
            // Init containers run to completion before the pod can be ready; they take no probe.
            for c in pod.containers().into_iter().filter(|c| !c.init) {
                if c.value.get("readinessProbe").is_some_and(|p| !p.is_null()) {
                    continue;
                }
                out.push(obj.finding(
                    format!("{} has no readiness probe", c.describe()),
                    "add `readinessProbe` (an `httpGet`, `tcpSocket`, `grpc` or `exec` check), so \
                     Services send the pod traffic, and a rollout goes on, only once the \
                     container answers",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::INFO;

    /// The messages of the rule's findings in a program, which must evaluate without errors.
    fn names(src: &str) -> Vec<String> {
        crate::lint::findings_of(src, "readiness-probe")
    }

    /// An object `w` of this kind whose pod spec is `spec`.
    fn workload(kind: &str, spec: &str) -> String {
        format!(
            "import std.k8s\n\nresource w: k8s.{kind} {{\n  metadata.name: \"w\"\n  \
             spec: {{\n    selector.matchLabels.app: \"w\"\n    template: {{\n      \
             metadata.labels.app: \"w\"\n      spec: {spec}\n    }}\n  }}\n}}\n"
        )
    }

    #[test]
    fn fires() {
        assert_eq!(
            names(INFO.example),
            ["`web`: container `web` (`spec.template.spec.containers[0]`) has no readiness probe"]
        );
        let containers = "{ initContainers: [{ name: \"init\", image: \"init:1\" }], containers: [{ name: \"a\", image: \"a:1\", readinessProbe.tcpSocket.port: 80 }, { name: \"b\", image: \"b:1\" }] }";
        assert_eq!(
            names(&workload("StatefulSet", containers)),
            ["`w`: container `b` (`spec.template.spec.containers[1]`) has no readiness probe"]
        );
        assert_eq!(names(&workload("DaemonSet", containers)).len(), 1);
        // Built by the std.k8s helpers without `readyPath`, keyed in a loop.
        let src = "import std.k8s\n\nfor a in [{ name: \"web\", image: \"web:1\" }, { name: \"api\", image: \"api:1\", readyPath: \"/ready\" }] {\n  \
                   resource deploy[a.name]: k8s.Deployment = k8s.deployment(a)\n}\n";
        assert_eq!(
            names(src),
            [
                "`deploy[\"web\"]`: container `web` (`spec.template.spec.containers[0]`) has no readiness probe"
            ]
        );
    }

    #[test]
    fn does_not_fire() {
        assert!(names(INFO.instead).is_empty());
        // Jobs and CronJobs run to completion.
        let src = "import std.k8s\n\nresource once: k8s.Job {\n  metadata.name: \"once\"\n  \
                   spec.template.spec: { restartPolicy: \"Never\", containers: [{ name: \"job\", image: \"job:1\" }] }\n}\n\
                   resource nightly: k8s.CronJob {\n  metadata.name: \"nightly\"\n  spec: {\n    \
                   schedule: \"0 3 * * *\"\n    jobTemplate.spec.template.spec: {\n      \
                   restartPolicy: \"Never\"\n      containers: [{ name: \"job\", image: \"job:1\" }]\n    }\n  }\n}\n";
        assert!(names(src).is_empty());
        let src = "import std.k8s\n\nfor a in [{ name: \"web\", image: \"web:1\", readyPath: \"/healthz\" }] {\n  \
                   resource deploy[a.name]: k8s.Deployment = k8s.deployment(a)\n  \
                   resource svc[a.name]: k8s.Service = k8s.service(a)\n}\n";
        assert!(names(src).is_empty());
        assert!(
            names("resource web: file.File {\n  path: \"web.txt\"\n  content: \"no probe\"\n}\n")
                .is_empty()
        );
        assert!(
            names(
                "x: { kind: \"Deployment\", spec.template.spec.containers: [{ name: \"a\" }] }\n"
            )
            .is_empty()
        );
    }
}
