//! Keeps docs/ci.md true: every `placecheck` command line in its YAML and shell snippets parses
//! with the real command-line parser, report files agree between the step that writes them and
//! the step that uploads them, and the pre-commit snippets name hooks that
//! `.pre-commit-hooks.yaml` defines, with arguments the parser accepts.

use std::path::Path;

use clap::Parser;
use placecheck::cli::Cli;
use serde_json::Value;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

fn yaml(text: &str) -> Value {
    let (docs, problems) =
        placecheck::source::parse_str(0, text, &placecheck::source::LoadOptions::default());
    assert!(problems.is_empty(), "{problems:?}\n{text}");
    docs.into_iter()
        .next()
        .map(|d| d.value)
        .unwrap_or(Value::Null)
}

/// The fenced code blocks of a Markdown text: (info string, body).
fn code_blocks(md: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in md.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(info)) => current = Some((info.trim().to_string(), String::new())),
            (Some(_), Some(_)) => out.extend(current.take()),
            (Some((_, body)), None) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

/// Splits a command line like a POSIX shell would for these simple cases: whitespace, single
/// and double quotes.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    assert!(quote.is_none(), "unbalanced quotes in {line:?}");
    if in_word {
        words.push(word);
    }
    words
}

/// Every line starting with `placecheck ` in any string of a YAML value.
fn commands_in(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.extend(
            s.lines()
                .map(str::trim)
                .filter(|l| l.starts_with("placecheck "))
                .map(str::to_string),
        ),
        Value::Array(a) => a.iter().for_each(|x| commands_in(x, out)),
        Value::Object(m) => m.values().for_each(|x| commands_in(x, out)),
        _ => {}
    }
}

/// The parser accepts the command line, and every `--format KIND[=FILE]` names a real format
/// (the parser takes them as text; `lint` checks them at run time).
fn parses(argv: &[String]) {
    if let Err(e) = Cli::try_parse_from(argv) {
        panic!("docs/ci.md: {argv:?} is rejected by placecheck's parser:\n{e}");
    }
    for w in argv.windows(2).filter(|w| w[0] == "--format") {
        let kind = w[1].split('=').next().unwrap_or_default();
        assert!(
            <placecheck::report::Format as clap::ValueEnum>::from_str(kind, true).is_ok(),
            "docs/ci.md: {argv:?}: unknown format {kind:?}"
        );
    }
}

/// `FILE` of the first `--format KIND=FILE` in a command.
fn report_file(argv: &[String], kind: &str) -> Option<String> {
    argv.windows(2)
        .filter(|w| w[0] == "--format")
        .find_map(|w| w[1].strip_prefix(&format!("{kind}=")).map(str::to_string))
}

fn manifest() -> Vec<Value> {
    yaml(&read(".pre-commit-hooks.yaml"))
        .as_array()
        .cloned()
        .expect(".pre-commit-hooks.yaml is a list of hooks")
}

#[test]
fn ci_snippets_are_accepted_by_the_parser() {
    let md = read("docs/ci.md");
    let blocks = code_blocks(&md);
    let mut checked = 0;
    let mut saw = (false, false, 0); // (GitHub SARIF upload, GitLab JUnit report, pre-commit configs)
    let hooks = manifest();
    for (info, body) in &blocks {
        match info.as_str() {
            "sh" | "" => {
                for line in body.lines().filter(|l| l.starts_with("placecheck ")) {
                    parses(&shell_words(line));
                    checked += 1;
                }
            }
            "yaml" => {
                let v = yaml(body);
                let mut cmds = Vec::new();
                commands_in(&v, &mut cmds);
                let argvs: Vec<Vec<String>> = cmds.iter().map(|c| shell_words(c)).collect();
                for argv in &argvs {
                    parses(argv);
                    checked += 1;
                }
                // GitHub: the uploaded SARIF file is the one placecheck writes.
                if let Some(jobs) = v.get("jobs").and_then(Value::as_object) {
                    for step in jobs
                        .values()
                        .flat_map(|j| j["steps"].as_array().cloned().unwrap_or_default())
                    {
                        let uses = step["uses"].as_str().unwrap_or_default();
                        if uses.starts_with("github/codeql-action/upload-sarif@") {
                            let file = step["with"]["sarif_file"].as_str().expect("sarif_file");
                            assert!(
                                argvs
                                    .iter()
                                    .any(|a| report_file(a, "sarif").as_deref() == Some(file)),
                                "upload-sarif uploads {file}, which no placecheck command writes"
                            );
                            saw.0 = true;
                        }
                    }
                }
                // GitLab: the JUnit report artifact is the one placecheck writes.
                if let Some(m) = v.as_object() {
                    for job in m.values() {
                        if let Some(file) = job["artifacts"]["reports"]["junit"].as_str() {
                            assert!(
                                argvs
                                    .iter()
                                    .any(|a| report_file(a, "junit").as_deref() == Some(file)),
                                "GitLab collects {file}, which no placecheck command writes"
                            );
                            assert_eq!(
                                job["artifacts"]["when"], "always",
                                "keep the report when the job fails"
                            );
                            saw.1 = true;
                        }
                    }
                }
                // pre-commit: hook ids exist; the command line the hook runs parses.
                if let Some(repos) = v.get("repos").and_then(Value::as_array) {
                    saw.2 += 1;
                    for repo in repos {
                        for hook in repo["hooks"].as_array().expect("hooks") {
                            let id = hook["id"].as_str().expect("hook id");
                            let published = hooks.iter().find(|h| h["id"] == id);
                            let def = if repo["repo"] == "local" {
                                assert!(
                                    published.is_some(),
                                    "local hook {id} should reuse a published id"
                                );
                                hook
                            } else {
                                assert_eq!(
                                    repo["repo"],
                                    "https://github.com/placecheck/placecheck"
                                );
                                published.unwrap_or_else(|| panic!("docs/ci.md uses hook {id}, which .pre-commit-hooks.yaml does not define"))
                            };
                            let entry = hook
                                .get("entry")
                                .or(def.get("entry"))
                                .and_then(Value::as_str)
                                .expect("entry");
                            let args = hook
                                .get("args")
                                .or(def.get("args"))
                                .and_then(Value::as_array)
                                .cloned()
                                .unwrap_or_default();
                            let args: Vec<String> = args
                                .iter()
                                .map(|a| a.as_str().expect("string arg").to_string())
                                .collect();
                            assert!(
                                args.windows(2).any(|w| w[0] == "--context" && w[1] == "."),
                                "hook {id} in docs/ci.md drops `--context .`: {args:?}"
                            );
                            let mut argv = shell_words(entry);
                            argv.extend(args);
                            argv.push("deploy/models.yaml".into());
                            parses(&argv);
                            checked += 1;
                        }
                    }
                }
            }
            _ => {}
        }
    }
    assert!(saw.0, "docs/ci.md has no GitHub workflow uploading SARIF");
    assert!(saw.1, "docs/ci.md has no GitLab job with a JUnit report");
    assert!(
        saw.2 >= 2,
        "docs/ci.md has too few pre-commit configurations"
    );
    assert!(
        checked >= 8,
        "only {checked} command lines found in docs/ci.md"
    );
}

#[test]
fn hook_table_matches_the_manifest() {
    let md = read("docs/ci.md");
    for hook in manifest() {
        let id = hook["id"].as_str().unwrap();
        let lang = hook["language"].as_str().unwrap();
        let row = format!("| `{id}` | `{lang}` |");
        assert!(md.contains(&row), "docs/ci.md's hook table lacks {row}");
        assert_eq!(hook["entry"], "placecheck lint", "{id}");
        assert_eq!(hook["args"], serde_json::json!(["--context", "."]), "{id}");
        assert_eq!(
            hook["types_or"],
            serde_json::json!(["yaml", "json"]),
            "{id}"
        );
    }
    assert!(md.contains("args: [--context, .]"));
}

#[test]
fn shell_words_split_like_a_shell() {
    assert_eq!(
        shell_words(r#"npx x --rule-kind '"Gh;Sarif"' --o "a b""#),
        ["npx", "x", "--rule-kind", "\"Gh;Sarif\"", "--o", "a b"]
    );
}
