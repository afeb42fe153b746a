//! `placecheck test` through the real binary (product spec §6), the shipped example custom
//! policy, and the generated completions and man page.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_placecheck"))
        .current_dir(dir)
        .args(args)
        .env_remove("NO_COLOR")
        .env("PLACECHECK_LOG", "off")
        .output()
        .expect("run placecheck")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `(passed, failed)` from the summary line, which must stand alone on its line.
fn summary(out: &str) -> (usize, usize) {
    let line = out
        .lines()
        .find(|l| l.ends_with(" failed") && l.contains(" passed, "))
        .unwrap_or_else(|| panic!("no summary line in:\n{out}"));
    let nums: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(
        line,
        format!("{} passed, {} failed", nums[0], nums[1]),
        "summary line"
    );
    (nums[0], nums[1])
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// A writable copy of examples/custom-policy.
fn example_copy() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("custom-policy");
    copy_dir(&root().join("examples/custom-policy"), &dir);
    (d, dir)
}

#[test]
fn builtin_catalog_passes_its_rego_tests_and_fixtures() {
    let o = run(
        root(),
        &["test", "--builtin", "testdata/policies", "--color", "never"],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let (passed, failed) = summary(&stdout(&o));
    assert_eq!(failed, 0);
    // 16 policies × {pass, fail} fixture cases, plus the catalog's Rego unit tests.
    assert!(passed > 32 + 50, "{passed} tests");
    assert!(
        !stdout(&o).contains("PASS"),
        "passing tests are listed only with -v"
    );

    let o = run(
        root(),
        &[
            "test",
            "testdata/policies",
            "-v",
            "--run",
            "model-unplaceable",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(
        out.contains("PASS fixture model-unplaceable/fail\n"),
        "{out}"
    );
    assert!(
        out.contains("PASS fixture model-unplaceable/pass\n"),
        "{out}"
    );
    assert_eq!(summary(&out), (2, 0));
}

#[test]
fn example_custom_policy_tests_pass_and_it_lints() {
    let o = run(
        root(),
        &["test", "examples/custom-policy", "-v", "--color", "never"],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("PASS data.placecheck.policies.models_need_memory_test.test_model_without_memory_is_flagged"),
        "{out}"
    );
    assert!(
        out.contains("PASS fixture models-need-memory/fail"),
        "{out}"
    );
    assert_eq!(summary(&out), (6, 0));

    let o = run(
        root(),
        &[
            "lint",
            "--policy",
            "examples/custom-policy/policies",
            "examples/custom-policy/testdata/policies/models-need-memory/fail",
            "--format",
            "json",
            "--fail-on",
            "warning",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let lines: Vec<u64> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["policy"] == "models-need-memory")
        .map(|f| f["location"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [8, 21], "{v}");
}

#[test]
fn a_failing_rego_test_exits_1_with_its_prints() {
    let (_d, dir) = example_copy();
    let test = dir.join("policies/models_need_memory_test.rego");
    let mut src = std::fs::read_to_string(&test).unwrap();
    src.push_str(
        "\ntest_deliberately_wrong if {\n\tvs := p.violation with input as t.doc({\"models\": [t.model(\"iris\", {})]})\n\tprint(\"got\", count(vs), \"violations\")\n\tcount(vs) == 2\n}\n",
    );
    std::fs::write(&test, src).unwrap();
    let o = run(
        dir.parent().unwrap(),
        &["test", "custom-policy", "--color", "never"],
    );
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("FAIL data.placecheck.policies.models_need_memory_test.test_deliberately_wrong (custom-policy/policies/models_need_memory_test.rego:"),
        "{out}"
    );
    assert!(
        out.contains("got 1 violations"),
        "print() output of the failure: {out}"
    );
    assert_eq!(summary(&out), (6, 1));
}

#[test]
fn a_failing_fixture_exits_1_and_says_which_line() {
    let (_d, dir) = example_copy();
    let fail = dir.join("testdata/policies/models-need-memory/fail/models.yaml");
    // Move the first marker one line up: the finding is now on an unmarked line.
    let text = std::fs::read_to_string(&fail).unwrap().replacen(
        "  namespace: seldon-mesh\n# expect: models-need-memory\n",
        "# expect: models-need-memory\n  namespace: seldon-mesh\n",
        1,
    );
    std::fs::write(&fail, text).unwrap();
    // A Model without memory in pass/.
    let pass = dir.join("testdata/policies/models-need-memory/pass/models.yaml");
    let text = std::fs::read_to_string(&pass)
        .unwrap()
        .replace("  memory: 100Mi\n", "");
    std::fs::write(&pass, text).unwrap();

    let o = run(
        dir.parent().unwrap(),
        &["test", "custom-policy", "--color", "never"],
    );
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("FAIL fixture models-need-memory/fail (custom-policy/testdata/policies/models-need-memory/fail)"), "{out}");
    assert!(out.contains("expected a finding of models-need-memory at models.yaml:7 (marked on line 6), got none there"), "{out}");
    assert!(out.contains("unexpected finding of models-need-memory at models.yaml:8: Model \"iris\" declares no spec.memory"), "{out}");
    assert!(
        out.contains("FAIL fixture models-need-memory/pass"),
        "{out}"
    );
    assert_eq!(summary(&out), (4, 2));
}

#[test]
fn fixtures_of_an_unknown_policy_fail() {
    let (_d, dir) = example_copy();
    let typo = dir.join("testdata/policies/models-need-memroy/pass");
    std::fs::create_dir_all(&typo).unwrap();
    std::fs::write(
        typo.join("a.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n",
    )
    .unwrap();
    let o = run(&dir, &["test", "."]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("no loaded policy has the id \"models-need-memroy\""),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_broken_test_module_or_a_missing_directory_exits_2() {
    let (_d, dir) = example_copy();
    std::fs::write(
        dir.join("policies/broken_test.rego"),
        "package broken_test\n\nimport rego.v1\n\ntest_x if {\n\tunknown_var == 1\n}\n",
    )
    .unwrap();
    let o = run(&dir, &["test", "."]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains("policies/broken_test.rego:6:"),
        "{}",
        stderr(&o)
    );

    std::fs::write(
        dir.join("policies/broken_test.rego"),
        "package broken_test\ntest_x if {\n",
    )
    .unwrap();
    let o = run(&dir, &["test", "."]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("policies/broken_test.rego:"),
        "{}",
        stderr(&o)
    );

    let o = run(&dir, &["test", "no-such-dir"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no-such-dir does not exist"),
        "{}",
        stderr(&o)
    );

    let empty = tempfile::tempdir().unwrap();
    let o = run(empty.path(), &["test"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no tests found"), "{}", stderr(&o));
}

#[test]
fn policy_paths_of_the_config_are_tested() {
    let (d, _dir) = example_copy();
    std::fs::write(
        d.path().join(".placecheck.yaml"),
        "policies:\n  paths: [custom-policy]\n",
    )
    .unwrap();
    let o = run(d.path(), &["test"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(summary(&stdout(&o)), (6, 0));
}

#[test]
fn completions_and_man_page_mention_the_commands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let o = run(root(), &["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", stderr(&o));
        let out = stdout(&o);
        assert!(
            out.contains("lint"),
            "{shell} completions do not mention lint"
        );
        assert!(
            out.contains("test"),
            "{shell} completions do not mention test"
        );
    }
    let o = run(root(), &["man"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with(".ie") || out.contains(".TH"),
        "not roff: {}",
        &out[..out.len().min(200)]
    );
    assert!(out.contains("lint"), "the man page does not mention lint");
}

/// The policy, test and fixture snippets of docs/writing-policies.md, put where they belong,
/// pass `placecheck test`.
#[test]
fn writing_policies_snippets_pass_placecheck_test() {
    let md = std::fs::read_to_string(root().join("docs/writing-policies.md")).unwrap();
    let mut blocks: Vec<(String, String)> = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in md.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(info)) => current = Some((info.trim().to_string(), String::new())),
            (Some(_), Some(_)) => blocks.extend(current.take()),
            (Some((_, body)), None) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    let rego: Vec<&String> = blocks
        .iter()
        .filter(|(i, _)| i == "rego")
        .map(|(_, b)| b)
        .collect();
    let fixture = blocks
        .iter()
        .find(|(i, b)| i == "yaml" && b.contains("# expect: models-need-memory"))
        .map(|(_, b)| b)
        .expect("a fixture snippet");
    assert_eq!(rego.len(), 2, "the policy and its test");
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("policies");
    std::fs::create_dir_all(dir.join("testdata/policies/models-need-memory/fail")).unwrap();
    std::fs::write(dir.join("models_need_memory.rego"), rego[0]).unwrap();
    std::fs::write(dir.join("models_need_memory_test.rego"), rego[1]).unwrap();
    std::fs::write(
        dir.join("testdata/policies/models-need-memory/fail/model.yaml"),
        fixture,
    )
    .unwrap();
    let o = run(d.path(), &["test", "policies", "-v"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(summary(&stdout(&o)), (2, 0), "{}", stdout(&o));
}
