//! End to end with the real `pre-commit` tool (PyPI): the hooks of `.pre-commit-hooks.yaml` refuse
//! a commit that adds a violating Server, with the finding in the output, and accept the fix.
//!
//! The hook gets only the changed files plus `--context .`, so the Nodes it needs come from the
//! unchanged `cluster/nodes.yaml`, and an old violation elsewhere in the repository is not
//! reported. Everything happens in a temporary git repository: `PRE_COMMIT_HOME` there, a local
//! git identity, no global or system git configuration, no network (`language: system` hooks
//! install nothing). Two ways in: `repo: local` hooks built from the manifest's
//! `placecheck-system` entry, and the manifest itself consumed as a hook repository (cloned
//! from a local path, as users do from GitHub). `pre-commit` missing is a failure, not a skip.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

const NODES: &str = "\
apiVersion: v1
kind: Node
metadata:
  name: gpu-1
  labels: {pool: gpu}
spec:
  taints:
    - {key: nvidia.com/gpu, value: present, effect: NoSchedule}
status:
  allocatable: {cpu: \"8\", memory: 64Gi, pods: \"110\", nvidia.com/gpu: \"4\"}
---
apiVersion: v1
kind: Node
metadata:
  name: cpu-1
  labels: {pool: cpu}
status:
  allocatable: {cpu: \"8\", memory: 32Gi, pods: \"110\"}
";

/// Selects the GPU pool without tolerating its taint: server-unschedulable at 8:3.
fn server(name: &str, pool: &str) -> String {
    format!(
        "apiVersion: mlops.seldon.io/v1alpha1\nkind: Server\nmetadata:\n  name: {name}\n  namespace: seldon-mesh\nspec:\n  serverConfig: mlserver\n  podSpec:\n    nodeSelector:\n      pool: {pool}\n"
    )
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn yaml(text: &str) -> Value {
    let (docs, problems) =
        placecheck::source::parse_str(0, text, &placecheck::source::LoadOptions::default());
    assert!(problems.is_empty(), "{problems:?}");
    docs.into_iter()
        .next()
        .map(|d| d.value)
        .unwrap_or(Value::Null)
}

/// The hook `id` of `.pre-commit-hooks.yaml`.
fn manifest_hook(id: &str) -> Value {
    let text = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    let hooks = yaml(&text);
    hooks
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == id)
        .unwrap_or_else(|| panic!("no hook {id} in .pre-commit-hooks.yaml"))
        .clone()
}

struct Sandbox {
    _tmp: tempfile::TempDir,
    repo: PathBuf,
    envs: Vec<(String, String)>,
}

impl Sandbox {
    fn new() -> Sandbox {
        let version = Command::new("pre-commit").arg("--version").output();
        match version {
            Ok(o) if o.status.success() => {}
            _ => panic!(
                "the `pre-commit` tool is not installed, and this test needs the real one: \
                 install it with `python3 -m pip install pre-commit` (.ci/run does)"
            ),
        }
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("repo");
        std::fs::create_dir_all(&repo).unwrap();
        let gitconfig = tmp.path().join("gitconfig");
        std::fs::write(&gitconfig, "").unwrap();
        // The `placecheck-system` hook runs `placecheck` from PATH: the binary under test first.
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_placecheck"))
            .parent()
            .unwrap();
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let envs = vec![
            ("PATH".into(), path),
            (
                "PRE_COMMIT_HOME".into(),
                tmp.path().join("cache").display().to_string(),
            ),
            ("PRE_COMMIT_COLOR".into(), "never".into()),
            ("GIT_CONFIG_GLOBAL".into(), gitconfig.display().to_string()),
            ("GIT_CONFIG_NOSYSTEM".into(), "1".into()),
            ("PLACECHECK_LOG".into(), "off".into()),
        ];
        let s = Sandbox {
            _tmp: tmp,
            repo,
            envs,
        };
        s.ok(&["git", "init", "-q"]);
        s.ok(&["git", "config", "user.email", "ci@example.com"]);
        s.ok(&["git", "config", "user.name", "placecheck CI"]);
        s.ok(&["git", "config", "commit.gpgsign", "false"]);
        s
    }

    fn cmd(&self, dir: &Path, argv: &[&str]) -> Output {
        let mut c = Command::new(argv[0]);
        c.args(&argv[1..]).current_dir(dir).env_remove("NO_COLOR");
        for (k, v) in &self.envs {
            c.env(k, v);
        }
        c.output()
            .unwrap_or_else(|e| panic!("cannot run {argv:?}: {e}"))
    }

    fn run(&self, argv: &[&str]) -> Output {
        self.cmd(&self.repo, argv)
    }

    fn ok(&self, argv: &[&str]) -> String {
        let o = self.run(argv);
        assert!(o.status.success(), "{argv:?} failed:\n{}", text(&o));
        text(&o)
    }

    fn write(&self, name: &str, content: &str) {
        let p = self.repo.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    fn commits(&self) -> usize {
        self.ok(&["git", "rev-list", "--count", "HEAD"])
            .trim()
            .parse()
            .unwrap()
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The scenario, with `.pre-commit-config.yaml` (written as JSON, which is YAML) already set.
fn refuses_then_accepts(s: &Sandbox) {
    s.ok(&["pre-commit", "install"]);
    // An old violation, committed before the hook existed: context, never reported.
    s.write("cluster/nodes.yaml", NODES);
    s.write("legacy/old-gpu-server.yaml", &server("old-gpu", "gpu"));
    s.ok(&["git", "add", "-A"]);
    s.ok(&["git", "commit", "-q", "--no-verify", "-m", "cluster"]);

    // A violating Server: refused, the finding in the output, pointing at the named file.
    s.write("servers/gpu.yaml", &server("gpu-server", "gpu"));
    s.ok(&["git", "add", "servers/gpu.yaml"]);
    let o = s.run(&["git", "commit", "-m", "add the GPU server"]);
    let out = text(&o);
    assert!(!o.status.success(), "the commit was accepted:\n{out}");
    assert!(
        out.contains("error[server-unschedulable]: Server \"gpu-server\" fits no Node"),
        "{out}"
    );
    // Named (not context) although `--context .` reaches it too; the path as pre-commit gave it.
    assert!(out.contains("--> servers/gpu.yaml:8:3"), "{out}");
    assert!(
        out.contains("taint nvidia.com/gpu=present:NoSchedule is not tolerated"),
        "{out}"
    );
    assert!(
        !out.contains("old-gpu"),
        "context files must not be reported:\n{out}"
    );
    assert_eq!(s.commits(), 1);

    // The fix: select the CPU pool. Accepted, though the legacy violation is still there.
    s.write("servers/gpu.yaml", &server("gpu-server", "cpu"));
    s.ok(&["git", "add", "servers/gpu.yaml"]);
    let out = s.ok(&["git", "commit", "-m", "add the server, on CPU nodes"]);
    assert!(
        out.contains("placecheck") && out.contains("Passed"),
        "{out}"
    );
    assert_eq!(s.commits(), 2);
}

#[test]
fn local_hook_refuses_a_violation_and_accepts_the_fix() {
    let s = Sandbox::new();
    let mut hook = manifest_hook("placecheck-system");
    let bin = env!("CARGO_BIN_EXE_placecheck");
    assert_eq!(hook["entry"], "placecheck lint");
    hook["entry"] = json!(format!("{bin} lint"));
    let config = json!({"repos": [{"repo": "local", "hooks": [hook]}]});
    s.write(".pre-commit-config.yaml", &config.to_string());
    refuses_then_accepts(&s);
}

#[test]
fn published_hook_manifest_works_from_a_hook_repository() {
    let s = Sandbox::new();
    // The manifest as a hook repository, cloned by pre-commit from a local path.
    let hooks = s.repo.parent().unwrap().join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::copy(
        root().join(".pre-commit-hooks.yaml"),
        hooks.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    let git = |argv: &[&str]| {
        let o = s.cmd(&hooks, argv);
        assert!(o.status.success(), "{argv:?}: {}", text(&o));
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    git(&["git", "init", "-q"]);
    git(&["git", "add", "-A"]);
    git(&[
        "git",
        "-c",
        "user.email=h@example.com",
        "-c",
        "user.name=h",
        "commit",
        "-q",
        "-m",
        "hooks",
    ]);
    let rev = git(&["git", "rev-parse", "HEAD"]);
    let config = json!({"repos": [{
        "repo": hooks.display().to_string(),
        "rev": rev,
        "hooks": [{"id": "placecheck-system"}],
    }]});
    s.write(".pre-commit-config.yaml", &config.to_string());
    refuses_then_accepts(&s);
}

#[test]
fn both_hooks_share_their_settings() {
    let rust = manifest_hook("placecheck");
    let system = manifest_hook("placecheck-system");
    assert_eq!(rust["language"], "rust");
    assert_eq!(system["language"], "system");
    for key in [
        "entry",
        "args",
        "types_or",
        "pass_filenames",
        "require_serial",
    ] {
        assert_eq!(rust[key], system[key], "{key}");
    }
    // The hook's command line is one our parser accepts, with a changed file appended.
    let mut argv = vec!["placecheck".to_string()];
    argv.extend(
        system["entry"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .skip(1)
            .map(str::to_string),
    );
    argv.extend(
        system["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string()),
    );
    argv.push("deploy/models.yaml".into());
    if let Err(e) = <placecheck::cli::Cli as clap::Parser>::try_parse_from(&argv) {
        panic!("{argv:?} is rejected: {e}");
    }
}
