//! Every built-in policy's fixtures, through the real pipeline.
//!
//! `testdata/policies/<id>/fail/` must produce a finding of `<id>` on each line that follows a
//! `# expect: <id>` marker, and no other finding of `<id>`; `testdata/policies/<id>/pass/` must
//! produce none. Each directory is loaded as one inventory, as `placecheck lint DIR` would.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use placecheck::config;
use placecheck::facts::input::Mode;
use placecheck::facts::{FactsOptions, Params};
use placecheck::inventory::Inventory;
use placecheck::policy::{EngineOptions, PolicySet};
use placecheck::run::{self, RunOptions};
use placecheck::source::{self, Input, InputKind, LoadOptions};

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/policies")
}

/// (file name, line) pairs marked with `# expect: <id>` in a directory.
fn expectations(dir: &Path, id: &str) -> BTreeSet<(String, u32)> {
    let mut out = BTreeSet::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        for (i, line) in text.lines().enumerate() {
            if line.trim() == format!("# expect: {id}") {
                out.insert((p.file_name().unwrap().to_string_lossy().into_owned(), i as u32 + 2));
            }
        }
    }
    out
}

fn lint_dir(policies: &PolicySet, dir: &Path) -> Vec<placecheck::finding::Finding> {
    let loaded = source::load(
        &[Input { kind: InputKind::Path(dir.to_path_buf()), context: false }],
        &LoadOptions::default(),
    )
    .unwrap();
    let inv = Inventory::from_loaded(loaded);
    let opts = RunOptions {
        mode: Mode::Lint,
        facts: FactsOptions { params: Params::default(), ..FactsOptions::default() },
        annotation_exemptions: true,
        today: "2026-11-29".parse().unwrap(),
    };
    run::run(&inv, policies, &config::Loaded::default(), &opts).findings
}

#[test]
fn every_fixture_gives_the_expected_findings() {
    let policies = PolicySet::load(Vec::new(), EngineOptions::default()).unwrap();
    let mut failures = Vec::new();
    let mut checked = 0;
    for p in &policies.policies {
        let id = &p.info.id;
        for kind in ["fail", "pass"] {
            let dir = fixtures_root().join(id).join(kind);
            if !dir.is_dir() {
                failures.push(format!("{id}: missing fixture directory {}", dir.display()));
                continue;
            }
            checked += 1;
            let findings = lint_dir(&policies, &dir);
            let got: BTreeSet<(String, u32)> = findings
                .iter()
                .filter(|f| &f.policy == id)
                .map(|f| {
                    let file = f.location.file.as_deref().map(|f| {
                        Path::new(f).file_name().unwrap().to_string_lossy().into_owned()
                    });
                    (file.unwrap_or_default(), f.location.line.unwrap_or(0))
                })
                .collect();
            let want = if kind == "fail" { expectations(&dir, id) } else { BTreeSet::new() };
            if kind == "fail" && want.is_empty() {
                failures.push(format!("{id}/fail: no `# expect: {id}` marker"));
            }
            if got != want {
                let msgs: Vec<String> = findings
                    .iter()
                    .filter(|f| &f.policy == id)
                    .map(|f| format!("    {}:{}: {}", f.location.file.as_deref().unwrap_or("-"), f.location.line.unwrap_or(0), f.message))
                    .collect();
                failures.push(format!(
                    "{id}/{kind}: expected findings at {want:?}, got {got:?}\n{}",
                    msgs.join("\n")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {checked} fixture directories disagree:\n{}", failures.len(), failures.join("\n"));
    eprintln!("{checked} fixture directories agree");
}
