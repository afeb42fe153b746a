//! Embeds the built-in policies (`policies/*.rego`, without `*_test.rego`) into the binary, so
//! adding a policy is adding a file: no Rust changes.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=policies");
    let dir = Path::new("policies");
    let mut files: Vec<String> = Vec::new();
    collect(dir, &mut files);
    files.sort();
    let mut out = String::from("/// Built-in policy modules: (path relative to policies/, source).\npub const BUILTIN: &[(&str, &str)] = &[\n");
    for f in &files {
        let rel = f.strip_prefix("policies/").unwrap_or(f);
        let abs = std::fs::canonicalize(f).expect("policy file");
        let _ = writeln!(out, "    ({rel:?}, include_str!({:?})),", abs.display().to_string());
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("builtin_policies.rs");
    std::fs::write(dest, out).expect("write builtin_policies.rs");
}

fn collect(dir: &Path, out: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            println!("cargo:rerun-if-changed={}", p.display());
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "rego")
            && !p.file_name().is_some_and(|n| n.to_string_lossy().ends_with("_test.rego"))
        {
            out.push(p.display().to_string());
        }
    }
}
