//! `privileged-container`: a container that runs privileged, or adds the `ALL` or `SYS_ADMIN`
//! capability.

use super::k8s_util;
use crate::lint::{Context, Finding, Group, Level, Rule, RuleInfo};
use crate::value::Value;

pub static INFO: RuleInfo = RuleInfo {
    code: "L0032",
    name: "privileged-container",
    group: Group::Kubernetes,
    level: Level::Error,
    summary: "A container runs privileged (`securityContext.privileged: true`) or adds the `ALL` or `SYS_ADMIN` capability.",
    why: "A privileged container has every capability and sees every device of its node: whoever gets code running in it (through a bug in the application or one of its dependencies) can load kernel modules, mount the host's disks and take over the node and every pod on it. `SYS_ADMIN` alone grants most of that, and `ALL` all of it. Only node agents need this; they say so with a `// cairn:allow(privileged-container): reason`.",
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
        securityContext.privileged: true
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
        securityContext: {
          allowPrivilegeEscalation: false
          capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] }
        }
      }]
    }
  }
}"#,
    fixable: false,
};

pub struct PrivilegedContainer;
pub static RULE: PrivilegedContainer = PrivilegedContainer;

impl Rule for PrivilegedContainer {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for obj in k8s_util::objects(cx) {
            let Some(pod) = obj.pod() else { continue };
            for c in pod.containers() {
                let Some(sc) = c.value.get("securityContext") else {
                    continue;
                };
                if matches!(sc.get("privileged"), Some(Value::Bool(true))) {
                    out.push(obj.finding(
                        format!(
                            "{} runs privileged (`securityContext.privileged: true`)",
                            c.describe()
                        ),
                        "remove `privileged: true`; if the container needs one kernel feature, \
                         add just that capability (`securityContext.capabilities.add`)",
                    ));
                    continue;
                }
                let added = sc
                    .get("capabilities")
                    .and_then(|caps| caps.get("add"))
                    .and_then(Value::as_list)
                    .unwrap_or_default();
                if let Some(cap) = added.iter().filter_map(Value::as_str).find(|c| {
                    matches!(
                        c.to_ascii_uppercase().as_str(),
                        "ALL" | "SYS_ADMIN" | "CAP_SYS_ADMIN"
                    )
                }) {
                    out.push(obj.finding(
                        format!(
                            "{} adds the capability `{cap}` (`securityContext.capabilities.add`), \
                             which is as good as privileged",
                            c.describe()
                        ),
                        "add only the capabilities the container needs (`NET_BIND_SERVICE` to \
                         listen on a port below 1024, say), and drop the rest: \
                         `capabilities: { drop: [\"ALL\"], add: [...] }`",
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::INFO;

    /// The messages of the rule's findings in a program, which must evaluate without errors.
    fn names(src: &str) -> Vec<String> {
        crate::lint::findings_of(src, "privileged-container")
    }

    /// A DaemonSet `agent` whose one container has this `securityContext`.
    fn daemon_set(security: &str) -> String {
        format!(
            "import std.k8s\n\nresource agent: k8s.DaemonSet {{\n  metadata.name: \"agent\"\n  \
             spec: {{\n    selector.matchLabels.app: \"agent\"\n    template: {{\n      \
             metadata.labels.app: \"agent\"\n      spec.containers: [{{ name: \"agent\", \
             image: \"agent:1\", securityContext: {security} }}]\n    }}\n  }}\n}}\n"
        )
    }

    #[test]
    fn fires() {
        assert_eq!(
            names(INFO.example),
            [
                "`web`: container `web` (`spec.template.spec.containers[0]`) runs privileged (`securityContext.privileged: true`)"
            ]
        );
        assert_eq!(
            names(&daemon_set(
                "{ capabilities.add: [\"NET_ADMIN\", \"SYS_ADMIN\"] }"
            )),
            [
                "`agent`: container `agent` (`spec.template.spec.containers[0]`) adds the capability `SYS_ADMIN` (`securityContext.capabilities.add`), which is as good as privileged"
            ]
        );
        assert_eq!(
            names(&daemon_set("{ capabilities.add: [\"ALL\"] }")).len(),
            1
        );
        // Privileged and SYS_ADMIN: one finding.
        assert_eq!(
            names(&daemon_set(
                "{ privileged: true, capabilities.add: [\"SYS_ADMIN\"] }"
            ))
            .len(),
            1
        );
        // Init containers, keyed resources in a loop, a CronJob.
        let src = "import std.k8s\n\nfor n in [\"a\", \"b\"] {\n  resource job[n]: k8s.CronJob {\n    \
                   metadata.name: n\n    spec: {\n      schedule: \"0 3 * * *\"\n      \
                   jobTemplate.spec.template.spec: {\n        restartPolicy: \"Never\"\n        \
                   initContainers: [{ name: \"setup\", image: \"setup:1\", securityContext.privileged: true }]\n        \
                   containers: [{ name: \"job\", image: \"job:1\" }]\n      }\n    }\n  }\n}\n";
        assert_eq!(
            names(src),
            [
                "`job[\"a\"]`: init container `setup` (`spec.jobTemplate.spec.template.spec.initContainers[0]`) runs privileged (`securityContext.privileged: true`)",
                "`job[\"b\"]`: init container `setup` (`spec.jobTemplate.spec.template.spec.initContainers[0]`) runs privileged (`securityContext.privileged: true`)",
            ]
        );
    }

    #[test]
    fn does_not_fire() {
        assert!(names(INFO.instead).is_empty());
        assert!(names(&daemon_set("{ privileged: false }")).is_empty());
        assert!(
            names(&daemon_set(
                "{ capabilities: { drop: [\"ALL\"], add: [\"NET_ADMIN\"] } }"
            ))
            .is_empty()
        );
        assert!(names(&daemon_set("{ runAsNonRoot: true }")).is_empty());
        let src = "import std.k8s\n\nfor a in [{ name: \"web\", image: \"web:1\" }] {\n  \
                   resource deploy[a.name]: k8s.Deployment = k8s.deployment(a)\n}\n";
        assert!(names(src).is_empty());
        assert!(
            names("resource web: file.File {\n  path: \"web.txt\"\n  content: \"privileged: true\"\n}\n")
                .is_empty()
        );
        // Not a Kubernetes object (no apiVersion).
        assert!(
            names("x: { kind: \"Pod\", spec.containers: [{ name: \"a\", securityContext.privileged: true }] }\n")
                .is_empty()
        );
    }
}
