//! Every built-in policy's fixtures, through the real pipeline.
//!
//! `testdata/policies/<id>/fail/` must produce a finding of `<id>` on each line that follows a
//! `# expect: <id>` marker, and no other finding of `<id>`; `testdata/policies/<id>/pass/` must
//! produce none. Each directory is loaded as one inventory, as `placecheck lint DIR` would. The
//! marker rule is `placecheck::testing` (the same code `placecheck test` runs); this harness adds
//! that every built-in policy has both directories.

use std::path::{Path, PathBuf};

use placecheck::config;
use placecheck::facts::input::Mode;
use placecheck::facts::{FactsOptions, Params};
use placecheck::policy::{EngineOptions, PolicySet};
use placecheck::run::RunOptions;
use placecheck::testing::{self, CaseKind, FixtureCase};

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/policies")
}

#[test]
fn every_fixture_gives_the_expected_findings() {
    let policies = PolicySet::load(Vec::new(), EngineOptions::default()).unwrap();
    let opts = RunOptions {
        mode: Mode::Lint,
        facts: FactsOptions {
            params: Params::default(),
            ..FactsOptions::default()
        },
        annotation_exemptions: true,
        today: "2026-11-29".parse().unwrap(),
        list_checked: false,
    };
    let cfg = config::Loaded::default();
    let mut failures = Vec::new();
    let mut checked = 0;
    for p in &policies.policies {
        let id = &p.info.id;
        for (case, kind) in [("fail", CaseKind::Fail), ("pass", CaseKind::Pass)] {
            let dir = fixtures_root().join(id).join(case);
            if !dir.is_dir() {
                failures.push(format!("{id}: missing fixture directory {}", dir.display()));
                continue;
            }
            checked += 1;
            let c = FixtureCase {
                id: id.clone(),
                kind,
                case: case.into(),
                dir,
            };
            let r = testing::run_case(&policies, &c, &cfg, &opts);
            if !r.passed {
                failures.push(format!("{id}/{case}:\n    {}", r.details.join("\n    ")));
            }
        }
    }
    // `placecheck test` discovers the same directories.
    let discovered = testing::fixture_cases(&fixtures_root());
    assert_eq!(discovered.len(), checked, "{discovered:#?}");
    assert!(
        failures.is_empty(),
        "{} of {checked} fixture directories disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{checked} fixture directories agree");
}
