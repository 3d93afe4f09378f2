//! `resource-limits`: a container without a memory limit.

use super::k8s_util;
use crate::lint::{Context, Finding, Group, Level, Rule, RuleInfo};
use crate::value::Value;

pub static INFO: RuleInfo = RuleInfo {
    code: "L0031",
    name: "resource-limits",
    group: Group::Kubernetes,
    level: Level::Warn,
    summary: "A container has no memory limit (`resources.limits.memory`).",
    why: "A container without limits may use all the memory and CPU of its node: one leaking or busy pod starves the others there, and when the node runs out of memory the kernel kills processes it picks, not necessarily the culprit. A memory limit bounds the damage to the pod that overran. (A CPU limit is optional — CPU is throttled, not exhausted, and many teams set only a request so pods can burst; the message says which limits are missing.)",
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
        resources: {
          requests: { cpu: "100m", memory: "128Mi" }
          limits.memory: "256Mi"
        }
      }]
    }
  }
}"#,
    fixable: false,
};

pub struct ResourceLimits;
pub static RULE: ResourceLimits = ResourceLimits;

impl Rule for ResourceLimits {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for obj in k8s_util::objects(cx) {
            let Some(pod) = obj.pod() else { continue };
            for c in pod.containers() {
                let limits = c.value.get("resources").and_then(|r| r.get("limits"));
                let has = |k: &str| limits.and_then(|l| l.get(k)).is_some_and(|v| !v.is_null());
                if has("memory") {
                    continue;
                }
                let message = if has("cpu") {
                    format!("{} has no memory limit (only cpu)", c.describe())
                } else if limits.is_some_and(|l| l.as_object().is_some_and(|o| !o.is_empty())) {
                    format!("{} has no cpu or memory limit", c.describe())
                } else {
                    format!(
                        "{} has no resource limits (cpu and memory are missing)",
                        c.describe()
                    )
                };
                let requested = c
                    .value
                    .get("resources")
                    .and_then(|r| r.get("requests"))
                    .and_then(|r| r.get("memory"))
                    .and_then(Value::as_str);
                let help = match requested {
                    Some(m) => format!(
                        "set `resources.limits.memory` (at least its request, `{m}`), so the \
                         container cannot take all of its node's memory"
                    ),
                    None => "set `resources.limits.memory` (and a request), so the container \
                             cannot take all of its node's memory: `resources: { requests.memory: \
                             \"128Mi\", limits.memory: \"256Mi\" }`"
                        .to_string(),
                };
                out.push(obj.finding(message, help));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::INFO;

    /// The messages of the rule's findings in a program, which must evaluate without errors.
    fn names(src: &str) -> Vec<String> {
        crate::lint::findings_of(src, "resource-limits")
    }

    /// A Deployment `web` with these containers.
    fn deployment(containers: &str) -> String {
        format!(
            "import std.k8s\n\nresource web: k8s.Deployment {{\n  metadata.name: \"web\"\n  \
             spec: {{\n    selector.matchLabels.app: \"web\"\n    template: {{\n      \
             metadata.labels.app: \"web\"\n      spec.containers: {containers}\n    }}\n  }}\n}}\n"
        )
    }

    #[test]
    fn fires() {
        assert_eq!(
            names(INFO.example),
            [
                "`web`: container `web` (`spec.template.spec.containers[0]`) has no resource limits (cpu and memory are missing)"
            ]
        );
        assert_eq!(
            names(&deployment(
                "[{ name: \"web\", image: \"web:1\", resources.limits.cpu: \"1\" }]"
            )),
            [
                "`web`: container `web` (`spec.template.spec.containers[0]`) has no memory limit (only cpu)"
            ]
        );
        assert_eq!(
            names(&deployment(
                "[{ name: \"web\", image: \"web:1\", resources.requests.memory: \"64Mi\" }]"
            ))
            .len(),
            1
        );
        // Built by the std.k8s helpers, keyed in a loop: one finding per instance.
        let src = "import std.k8s\n\nfor a in [{ name: \"web\", image: \"web:1\" }, { name: \"api\", image: \"api:1\" }] {\n  \
                   resource deploy[a.name]: k8s.Deployment = k8s.deployment(a)\n}\n";
        assert_eq!(
            names(src),
            [
                "`deploy[\"web\"]`: container `web` (`spec.template.spec.containers[0]`) has no resource limits (cpu and memory are missing)",
                "`deploy[\"api\"]`: container `api` (`spec.template.spec.containers[0]`) has no resource limits (cpu and memory are missing)",
            ]
        );
        // A CronJob.
        let src = "import std.k8s\n\nresource nightly: k8s.CronJob {\n  metadata.name: \"nightly\"\n  \
                   spec: {\n    schedule: \"0 3 * * *\"\n    jobTemplate.spec.template.spec: {\n      \
                   restartPolicy: \"Never\"\n      containers: [{ name: \"job\", image: \"tools:1\" }]\n    }\n  }\n}\n";
        assert_eq!(
            names(src),
            [
                "`nightly`: container `job` (`spec.jobTemplate.spec.template.spec.containers[0]`) has no resource limits (cpu and memory are missing)"
            ]
        );
    }

    #[test]
    fn does_not_fire() {
        assert!(names(INFO.instead).is_empty());
        assert!(
            names(&deployment(
                "[{ name: \"web\", image: \"web:1\", resources.limits: { cpu: \"1\", memory: \"1Gi\" } }]"
            ))
            .is_empty()
        );
        let src = "import std.k8s\n\nfor a in [{ name: \"web\", image: \"web:1\", resources.limits.memory: \"256Mi\" }] {\n  \
                   resource deploy[a.name]: k8s.Deployment = k8s.deployment(a)\n  \
                   resource svc[a.name]: k8s.Service = k8s.service(a)\n}\n";
        assert!(names(src).is_empty());
        assert!(
            names("resource web: file.File {\n  path: \"web.txt\"\n  content: \"no limits\"\n}\n")
                .is_empty()
        );
        assert!(
            names("import std.k8s\nresource x: k8s.Object {\n  kind: \"Pod\"\n  spec.containers: [{ name: \"a\", image: \"a:1\" }]\n}\n")
                .is_empty()
        );
    }
}
