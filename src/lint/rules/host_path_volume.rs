//! `host-path-volume`: a pod volume that mounts a path of the node (`hostPath`).

use super::k8s_util;
use crate::lint::{Context, Finding, Group, Level, Rule, RuleInfo};
use crate::value::Value;

pub static INFO: RuleInfo = RuleInfo {
    code: "L0033",
    name: "host-path-volume",
    group: Group::Kubernetes,
    level: Level::Warn,
    summary: "A pod mounts a directory or file of its node (a `hostPath` volume).",
    why: "A `hostPath` volume ties the pod to whatever its node happens to hold: the data stays behind when the pod moves to another node, two pods on one node share it unknowingly, and a writable mount of `/`, `/var/run/docker.sock` or `/etc` hands the node to anyone who gets into the container. Only node agents (log shippers, CSI drivers) need one; they say so with a `// cairn:allow(host-path-volume): reason`.",
    example: r#"import std.k8s

resource web: k8s.Deployment {
  metadata.name: "web"
  spec: {
    selector.matchLabels.app: "web"
    template: {
      metadata.labels.app: "web"
      spec: {
        containers: [{
          name: "web"
          image: "nginx:1.27.2"
          volumeMounts: [{ name: "cache", mountPath: "/var/cache/nginx" }]
        }]
        volumes: [{ name: "cache", hostPath.path: "/tmp/nginx" }]
      }
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
      spec: {
        containers: [{
          name: "web"
          image: "nginx:1.27.2"
          volumeMounts: [{ name: "cache", mountPath: "/var/cache/nginx" }]
        }]
        volumes: [{ name: "cache", emptyDir: {} }]
      }
    }
  }
}"#,
    fixable: false,
};

pub struct HostPathVolume;
pub static RULE: HostPathVolume = HostPathVolume;

impl Rule for HostPathVolume {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for obj in k8s_util::objects(cx) {
            let Some(pod) = obj.pod() else { continue };
            for (volume, path) in pod.volumes() {
                let Some(host) = volume.get("hostPath").filter(|h| !h.is_null()) else {
                    continue;
                };
                let what = match volume.get("name").and_then(Value::as_str) {
                    Some(n) => format!("volume `{n}` (`{path}`)"),
                    None => format!("volume `{path}`"),
                };
                let mounts = match host.get("path").and_then(Value::as_str) {
                    Some(p) => format!("the node's `{p}`"),
                    None => "a path of the node".to_string(),
                };
                out.push(obj.finding(
                    format!("{what} mounts {mounts} (`hostPath`)"),
                    "use a volume that belongs to the pod: `emptyDir` for scratch space, a \
                     PersistentVolumeClaim for data that must last, a ConfigMap or Secret for \
                     files",
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
        crate::lint::findings_of(src, "host-path-volume")
    }

    /// A DaemonSet `agent` with these volumes.
    fn daemon_set(volumes: &str) -> String {
        format!(
            "import std.k8s\n\nresource agent: k8s.DaemonSet {{\n  metadata.name: \"agent\"\n  \
             spec: {{\n    selector.matchLabels.app: \"agent\"\n    template: {{\n      \
             metadata.labels.app: \"agent\"\n      spec: {{\n        containers: [{{ name: \
             \"agent\", image: \"agent:1\" }}]\n        volumes: {volumes}\n      }}\n    }}\n  \
             }}\n}}\n"
        )
    }

    #[test]
    fn fires() {
        assert_eq!(
            names(INFO.example),
            [
                "`web`: volume `cache` (`spec.template.spec.volumes[0]`) mounts the node's `/tmp/nginx` (`hostPath`)"
            ]
        );
        assert_eq!(
            names(&daemon_set(
                "[{ name: \"tmp\", emptyDir: {} }, { name: \"sock\", hostPath: { path: \"/var/run/docker.sock\", type: \"Socket\" } }]"
            )),
            [
                "`agent`: volume `sock` (`spec.template.spec.volumes[1]`) mounts the node's `/var/run/docker.sock` (`hostPath`)"
            ]
        );
        // Keyed resources in a loop, and a CronJob.
        let src = "import std.k8s\n\nfor n in [\"a\", \"b\"] {\n  resource job[n]: k8s.CronJob {\n    \
                   metadata.name: n\n    spec: {\n      schedule: \"0 3 * * *\"\n      \
                   jobTemplate.spec.template.spec: {\n        restartPolicy: \"Never\"\n        \
                   containers: [{ name: \"job\", image: \"job:1\" }]\n        \
                   volumes: [{ name: \"logs\", hostPath.path: \"/var/log/${n}\" }]\n      }\n    }\n  }\n}\n";
        assert_eq!(
            names(src),
            [
                "`job[\"a\"]`: volume `logs` (`spec.jobTemplate.spec.template.spec.volumes[0]`) mounts the node's `/var/log/a` (`hostPath`)",
                "`job[\"b\"]`: volume `logs` (`spec.jobTemplate.spec.template.spec.volumes[0]`) mounts the node's `/var/log/b` (`hostPath`)",
            ]
        );
    }

    #[test]
    fn does_not_fire() {
        assert!(names(INFO.instead).is_empty());
        assert!(
            names(&daemon_set(
                "[{ name: \"data\", persistentVolumeClaim.claimName: \"data\" }, { name: \"cfg\", configMap.name: \"cfg\" }]"
            ))
            .is_empty()
        );
        let src = "import std.k8s\n\nfor a in [{ name: \"web\", image: \"web:1\" }] {\n  \
                   resource deploy[a.name]: k8s.Deployment = k8s.deployment(a)\n}\n";
        assert!(names(src).is_empty());
        assert!(
            names("resource web: file.File {\n  path: \"/var/run/docker.sock\"\n  content: \"hostPath\"\n}\n")
                .is_empty()
        );
        // A PersistentVolume may use `hostPath`: it is not a pod's volume.
        let src = "import std.k8s\n\nresource pv: k8s.Object {\n  apiVersion: \"v1\"\n  kind: \"PersistentVolume\"\n  \
                   metadata.name: \"pv\"\n  spec: { capacity.storage: \"1Gi\", accessModes: [\"ReadWriteOnce\"], hostPath.path: \"/data\" }\n}\n";
        assert!(names(src).is_empty());
    }
}
