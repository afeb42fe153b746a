//! Invariants of the policy registry: ids, metadata, fixtures and generated docs.
//!
//! Set `UPDATE_DOCS=1` (or run `just docs`) to regenerate `docs/policies/`.

use std::path::Path;

use placecheck::policy::{EngineOptions, PolicySet};

#[test]
fn every_policy_is_complete_and_documented() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let set = PolicySet::load(Vec::new(), EngineOptions::default()).unwrap();
    assert!(
        set.policies.len() >= 17,
        "expected the whole catalog, got {}",
        set.policies.len()
    );
    let update = std::env::var_os("UPDATE_DOCS").is_some();
    let mut problems = Vec::new();
    let mut index = String::from(
        "# Built-in policies\n\nGenerated from each policy's `meta` and fixtures (`just docs`).\n\n| id | severity | title |\n|---|---|---|\n",
    );
    for p in &set.policies {
        let id = &p.info.id;
        let stem = id.replace('-', "_");
        if p.file != format!("builtin:{stem}.rego") {
            problems.push(format!(
                "{id}: defined in {}, expected policies/{stem}.rego",
                p.file
            ));
        }
        if !p.info.remediation.ends_with('.') {
            problems.push(format!("{id}: remediation must end with a period"));
        }
        for field in [&p.info.title, &p.info.description] {
            if field.trim().is_empty() {
                problems.push(format!("{id}: empty title or description"));
            }
        }
        for kind in ["pass", "fail"] {
            if !root.join("testdata/policies").join(id).join(kind).is_dir() {
                problems.push(format!("{id}: no testdata/policies/{id}/{kind}/"));
            }
        }
        index.push_str(&format!(
            "| [`{id}`]({id}.md) | {} | {} |\n",
            p.info.severity, p.info.title
        ));
        let doc = placecheck::docs::policy_markdown(&p.info, Path::new("testdata/policies"));
        let path = root.join("docs/policies").join(format!("{id}.md"));
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &doc).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(doc.as_str()) {
            problems.push(format!(
                "{id}: docs/policies/{id}.md is missing or stale (run `just docs`)"
            ));
        }
    }
    let path = root.join("docs/policies/README.md");
    if update {
        std::fs::write(&path, &index).unwrap();
    } else if std::fs::read_to_string(&path).ok().as_deref() != Some(index.as_str()) {
        problems.push("docs/policies/README.md is missing or stale (run `just docs`)".into());
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
