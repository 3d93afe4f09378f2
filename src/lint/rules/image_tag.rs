//! `image-tag`: a container image without a tag or digest, or tagged `latest`.

use super::k8s_util;

use crate::lint::{Context, Finding, Group, Level, Rule, RuleInfo};

pub static INFO: RuleInfo = RuleInfo {
    code: "L0030",
    name: "image-tag",
    group: Group::Kubernetes,
    level: Level::Warn,
    summary: "A container image has no tag or digest, or is tagged `latest`.",
    why: "An image without a tag means `latest`, and `latest` moves: the same manifest runs whatever was pushed last, so two nodes can run different code, a restart can upgrade a pod nobody rolled out, and rolling back to the previous manifest goes forward again — the rollback lies. A version tag (or, stricter, a digest) makes the manifest say what runs. (A port in the registry, `registry:5000/app`, is not a tag.)",
    example: r#"import std.k8s

resource web: k8s.Deployment {
  metadata.name: "web"
  spec: {
    selector.matchLabels.app: "web"
    template: {
      metadata.labels.app: "web"
      spec.containers: [{ name: "web", image: "nginx:latest" }]
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
      spec.containers: [{ name: "web", image: "nginx:1.27.2" }]
    }
  }
}"#,
    fixable: false,
};

pub struct ImageTag;
pub static RULE: ImageTag = ImageTag;

impl Rule for ImageTag {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for obj in k8s_util::objects(cx) {
            let Some(pod) = obj.pod() else { continue };
            for c in pod.containers() {
                let Some(image) = c.value.get("image").and_then(|i| i.as_str()) else {
                    continue;
                };
                let Some(problem) = problem(image) else {
                    continue;
                };
                let repo = image.strip_suffix(":latest").unwrap_or(image);
                let what = match problem {
                    Problem::Untagged => "has no tag or digest (so it means `latest`)",
                    Problem::Latest => "is tagged `latest`",
                };
                out.push(obj.finding(
                    format!("{} image `{image}` {what}", c.describe()),
                    format!(
                        "pin a version tag (`{repo}:1.2.3`) or a digest (`{repo}@sha256:...`), \
                         so every pod runs the same image and a rollback goes back"
                    ),
                ));
            }
        }
    }
}

#[derive(Debug, PartialEq)]
enum Problem {
    Untagged,
    Latest,
}

/// What is wrong with an image reference, if anything. The tag follows the last `:` of the last
/// path segment (`registry:5000/app` has none); a digest (`@sha256:...`) pins it whatever the tag.
fn problem(image: &str) -> Option<Problem> {
    if image.is_empty() || image.contains('@') {
        return None;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, "latest")) => Some(Problem::Latest),
        Some((_, tag)) if !tag.is_empty() => None,
        _ => Some(Problem::Untagged),
    }
}

#[cfg(test)]
mod tests {
    use super::{INFO, Problem, problem};

    /// The messages of the rule's findings in a program, which must evaluate without errors.
    fn names(src: &str) -> Vec<String> {
        crate::lint::findings_of(src, "image-tag")
    }

    /// A Deployment `web` whose pod spec is `spec`.
    fn deployment(spec: &str) -> String {
        format!(
            "import std.k8s\n\nresource web: k8s.Deployment {{\n  metadata.name: \"web\"\n  \
             spec: {{\n    selector.matchLabels.app: \"web\"\n    template: {{\n      \
             metadata.labels.app: \"web\"\n      spec: {spec}\n    }}\n  }}\n}}\n"
        )
    }

    #[test]
    fn parses_references() {
        assert_eq!(problem("nginx"), Some(Problem::Untagged));
        assert_eq!(problem("nginx:latest"), Some(Problem::Latest));
        assert_eq!(problem("registry:5000/app"), Some(Problem::Untagged));
        assert_eq!(problem("registry:5000/app:latest"), Some(Problem::Latest));
        assert_eq!(
            problem("registry.example.com/team/app:"),
            Some(Problem::Untagged)
        );
        assert_eq!(problem("registry:5000/app:1.2"), None);
        assert_eq!(problem("nginx:1.27.2"), None);
        assert_eq!(problem("nginx@sha256:0123abcd"), None);
        assert_eq!(problem("nginx:latest@sha256:0123abcd"), None);
        assert_eq!(problem("ghcr.io/org/latest:v1"), None);
    }

    #[test]
    fn fires() {
        assert_eq!(
            names(INFO.example),
            [
                "`web`: container `web` (`spec.template.spec.containers[0]`) image `nginx:latest` is tagged `latest`"
            ]
        );
        assert_eq!(
            names(&deployment(
                "{ containers: [{ name: \"web\", image: \"registry:5000/web\" }] }"
            )),
            [
                "`web`: container `web` (`spec.template.spec.containers[0]`) image `registry:5000/web` has no tag or digest (so it means `latest`)"
            ]
        );
        // Init containers too, each container on its own.
        let m = names(&deployment(
            "{ initContainers: [{ name: \"init\", image: \"busybox\" }], containers: [{ name: \"a\", image: \"a:1\" }, { name: \"b\", image: \"b\" }] }",
        ));
        assert_eq!(
            m,
            [
                "`web`: container `b` (`spec.template.spec.containers[1]`) image `b` has no tag or digest (so it means `latest`)",
                "`web`: init container `init` (`spec.template.spec.initContainers[0]`) image `busybox` has no tag or digest (so it means `latest`)",
            ]
        );
        // Built by the std.k8s helpers, keyed in a loop.
        let src = "import std.k8s\n\nfor a in [{ name: \"web\", image: \"web\" }, { name: \"api\", image: \"api:2.0\" }] {\n  \
                   resource deploy[a.name]: k8s.Deployment = k8s.deployment(a)\n}\n";
        assert_eq!(
            names(src),
            [
                "`deploy[\"web\"]`: container `web` (`spec.template.spec.containers[0]`) image `web` has no tag or digest (so it means `latest`)"
            ]
        );
        // A CronJob and a bare Pod.
        let src = "import std.k8s\n\nresource nightly: k8s.CronJob {\n  metadata.name: \"nightly\"\n  \
                   spec: {\n    schedule: \"0 3 * * *\"\n    jobTemplate.spec.template.spec: {\n      \
                   restartPolicy: \"Never\"\n      containers: [{ name: \"job\", image: \"tools:latest\" }]\n    }\n  }\n}\n\
                   resource debug: k8s.Object {\n  apiVersion: \"v1\"\n  kind: \"Pod\"\n  metadata.name: \"debug\"\n  spec.containers: [{ name: \"sh\", image: \"busybox\" }]\n}\n";
        assert_eq!(
            names(src),
            [
                "`nightly`: container `job` (`spec.jobTemplate.spec.template.spec.containers[0]`) image `tools:latest` is tagged `latest`",
                "`debug`: container `sh` (`spec.containers[0]`) image `busybox` has no tag or digest (so it means `latest`)",
            ]
        );
    }

    #[test]
    fn does_not_fire() {
        assert!(names(INFO.instead).is_empty());
        assert!(
            names(&deployment(
                "{ containers: [{ name: \"web\", image: \"registry:5000/web:1.0\" }, { name: \"b\", image: \"b@sha256:0123abcd\" }] }"
            ))
            .is_empty()
        );
        let src = "import std.k8s\n\nfor a in [{ name: \"web\", image: \"web:1.4\" }] {\n  \
                   resource deploy[a.name]: k8s.Deployment = k8s.deployment(a)\n  \
                   resource svc[a.name]: k8s.Service = k8s.service(a)\n}\n";
        assert!(names(src).is_empty());
        // Not Kubernetes objects: no `apiVersion`, or not a resource at all.
        assert!(
            names(
                "resource web: file.File {\n  path: \"web.txt\"\n  content: \"image: nginx\"\n}\n"
            )
            .is_empty()
        );
        assert!(
            names("import std.k8s\nresource x: k8s.Object {\n  kind: \"Pod\"\n  spec.containers: [{ name: \"a\", image: \"nginx\" }]\n}\n")
                .is_empty()
        );
        assert!(names("x: { kind: \"Pod\", apiVersion: \"v1\", spec.containers: [{ image: \"nginx\" }] }\n").is_empty());
    }
}
