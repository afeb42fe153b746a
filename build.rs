//! Embeds the built-in policies (`policies/*.rego`) into the binary, so adding a policy is adding
//! a file: no Rust changes. `*_test.rego` modules go into a separate list that only
//! `placecheck test` loads (the input builders of `lib/testing_test.rego` for users' tests, and
//! the built-in unit tests with `--builtin`).

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=policies");
    let dir = Path::new("policies");
    let mut files: Vec<String> = Vec::new();
    collect(dir, &mut files);
    files.sort();
    let (tests, policies): (Vec<String>, Vec<String>) =
        files.into_iter().partition(|f| f.ends_with("_test.rego"));
    let mut out = String::new();
    list(
        &mut out,
        "Built-in policy modules: (path relative to policies/, source).",
        "BUILTIN",
        &policies,
    );
    list(
        &mut out,
        "Built-in test modules (`*_test.rego`), loaded only by `placecheck test`.",
        "BUILTIN_TESTS",
        &tests,
    );
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("builtin_policies.rs");
    std::fs::write(dest, out).expect("write builtin_policies.rs");
}

fn list(out: &mut String, doc: &str, name: &str, files: &[String]) {
    let _ = writeln!(out, "/// {doc}\npub const {name}: &[(&str, &str)] = &[");
    for f in files {
        let rel = f.strip_prefix("policies/").unwrap_or(f);
        let abs = std::fs::canonicalize(f).expect("policy file");
        let _ = writeln!(
            out,
            "    ({rel:?}, include_str!({:?})),",
            abs.display().to_string()
        );
    }
    out.push_str("];\n");
}

fn collect(dir: &Path, out: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            println!("cargo:rerun-if-changed={}", p.display());
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "rego") {
            out.push(p.display().to_string());
        }
    }
}
