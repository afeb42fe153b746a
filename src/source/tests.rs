//! Tests of the source stage: positions, problems, ambiguous scalars and the walker.

use std::fs;
use std::path::Path;

use serde_json::json;

use super::*;

fn opts() -> LoadOptions {
    LoadOptions::default()
}

/// Parses with [`parse_str`] (eager positions), and checks that the loader's path
/// ([`parse_shared`]: lazy positions, split at `---` lines and parsed in parallel) gives exactly
/// the same documents, positions and problems; returns the lazy result.
fn parse(text: &str) -> (Vec<Document>, Vec<LoadProblem>) {
    parse_with(text, &opts())
}

fn parse_with(text: &str, o: &LoadOptions) -> (Vec<Document>, Vec<LoadProblem>) {
    let eager = parse_str(0, text, o);
    let shared: std::sync::Arc<str> = std::sync::Arc::from(text);
    for piece in [usize::MAX, 1, 40] {
        let lazy = yaml::parse_shared_in(0, &shared, o, piece);
        assert_same(&eager, &lazy, piece);
    }
    yaml::parse_shared_in(0, &shared, o, 1)
}

type Snapshot = (
    usize,
    Position,
    serde_json::Value,
    Vec<AmbiguousScalar>,
    Position,
    Vec<(String, Position)>,
);

fn snapshot(docs: &[Document]) -> Vec<Snapshot> {
    docs.iter()
        .map(|d| {
            (
                d.index,
                d.start,
                d.value.clone(),
                d.ambiguous.clone(),
                d.positions.root(),
                d.positions
                    .iter()
                    .map(|(k, p)| (k.to_string(), p))
                    .collect(),
            )
        })
        .collect()
}

fn assert_same(
    eager: &(Vec<Document>, Vec<LoadProblem>),
    lazy: &(Vec<Document>, Vec<LoadProblem>),
    piece: usize,
) {
    assert_eq!(eager.1, lazy.1, "problems differ (piece {piece})");
    assert_eq!(
        snapshot(&eager.0),
        snapshot(&lazy.0),
        "documents differ (piece {piece})"
    );
}

fn one(text: &str) -> Document {
    let (docs, problems) = parse(text);
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(docs.len(), 1);
    docs.into_iter().next().unwrap()
}

fn pos_of(d: &Document, path: &str) -> Option<(u32, u32)> {
    let p = FieldPath::parse(path).unwrap();
    d.positions.get(&p).map(|p| (p.line, p.column))
}

#[test]
fn nested_block_mappings() {
    let d = one("apiVersion: v1\nkind: Node\nmetadata:\n  name: gpu-1\n  labels:\n    pool: gpu\n");
    assert_eq!(d.value["metadata"]["labels"]["pool"], json!("gpu"));
    assert_eq!(pos_of(&d, ""), Some((1, 1)));
    assert_eq!(pos_of(&d, "kind"), Some((2, 1)));
    assert_eq!(pos_of(&d, "metadata"), Some((3, 1)));
    assert_eq!(pos_of(&d, "metadata.name"), Some((4, 3)));
    assert_eq!(pos_of(&d, "metadata.labels.pool"), Some((6, 5)));
    assert_eq!(pos_of(&d, "/metadata/labels/pool"), Some((6, 5)));
    assert_eq!(pos_of(&d, "metadata.nope"), None);
}

#[test]
fn sequences_of_mappings() {
    let text = "spec:\n  tolerations:\n  - key: a\n    effect: NoSchedule\n  -   key: b\n      operator: Exists\n  - plain\n";
    let d = one(text);
    assert_eq!(pos_of(&d, "spec.tolerations"), Some((2, 3)));
    assert_eq!(pos_of(&d, "spec.tolerations[0]"), Some((3, 5)));
    assert_eq!(pos_of(&d, "spec.tolerations[1]"), Some((5, 7)));
    assert_eq!(pos_of(&d, "spec.tolerations[1].key"), Some((5, 7)));
    assert_eq!(pos_of(&d, "spec.tolerations[1].operator"), Some((6, 7)));
    assert_eq!(pos_of(&d, "spec.tolerations[2]"), Some((7, 5)));
    assert_eq!(d.value["spec"]["tolerations"][2], json!("plain"));
}

#[test]
fn flow_style_and_json() {
    let d = one("spec: {requirements: [sklearn, \"gpu\"], replicas: 2}\n");
    assert_eq!(pos_of(&d, "spec.requirements[1]"), Some((1, 32)));
    assert_eq!(pos_of(&d, "spec.replicas"), Some((1, 40)));
    assert_eq!(d.value["spec"]["replicas"], json!(2));

    let d = one(
        "{\n\t\"kind\": \"Model\",\n\t\"spec\": {\"memory\": \"1Gi\", \"n\": [1, 2.5, true, null]}\n}\n",
    );
    assert_eq!(pos_of(&d, "spec"), Some((3, 2)));
    assert_eq!(pos_of(&d, "spec.memory"), Some((3, 11)));
    assert_eq!(d.value["spec"]["n"], json!([1, 2.5, true, null]));
}

#[test]
fn json_stream_without_separators() {
    let (docs, problems) =
        parse("{\"kind\": \"A\"}\n{\"kind\": \"B\",\n \"x\": 1} {\"kind\": \"C\"}\n");
    assert!(problems.is_empty(), "{problems:#?}");
    let kinds: Vec<_> = docs.iter().map(|d| d.value["kind"].clone()).collect();
    assert_eq!(kinds, vec![json!("A"), json!("B"), json!("C")]);
    assert_eq!(pos_of(&docs[1], "x"), Some((3, 2)));
    assert_eq!(pos_of(&docs[2], "kind"), Some((3, 11)));
    assert_eq!(
        docs.iter().map(|d| d.index).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
}

#[test]
fn multi_document_positions_and_indexes() {
    let text = "# leading comment\n---\nkind: A\n---\n---\n# only a comment\n---\nkind: B\nspec:\n  server: s\n...\n";
    let (docs, problems) = parse(text);
    assert!(problems.is_empty());
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0].index, 0);
    assert_eq!(docs[0].start, Position::new(2, 1));
    assert_eq!(docs[1].index, 3);
    assert_eq!(docs[1].start, Position::new(7, 1));
    assert_eq!(pos_of(&docs[1], "spec.server"), Some((10, 3)));
    assert!(parse("").0.is_empty());
    assert!(parse("\n# nothing\n").0.is_empty());
    assert!(parse("---\n~\n").0.is_empty());
}

#[test]
fn block_scalars_are_strings_and_positions_follow() {
    let d = one("data:\n  script: |\n    yes\n    0777\n  folded: >-\n    a\n    b\n  after: on\n");
    assert_eq!(d.value["data"]["script"], json!("yes\n0777\n"));
    assert_eq!(d.value["data"]["folded"], json!("a b"));
    assert_eq!(pos_of(&d, "data.after"), Some((8, 3)));
    assert_eq!(d.ambiguous.len(), 1);
    assert_eq!(d.ambiguous[0].path.to_string(), "data.after");
}

#[test]
fn keys_needing_quotes() {
    let d =
        one("metadata:\n  labels:\n    nvidia.com/gpu: \"true\"\n    \"a~b\": x\n    \"1\": one\n");
    let p = FieldPath::parse(r#"metadata.labels["nvidia.com/gpu"]"#).unwrap();
    assert_eq!(d.positions.get(&p), Some(Position::new(3, 5)));
    let p = FieldPath::root().key("metadata").key("labels").key("a~b");
    assert_eq!(d.positions.get(&p), Some(Position::new(4, 5)));
    let p = FieldPath::root().key("metadata").key("labels").key("1");
    assert_eq!(d.positions.get(&p), Some(Position::new(5, 5)));
}

#[test]
fn resolve_falls_back_to_parent() {
    let d = one("spec:\n  podSpec:\n    tolerations: []\n");
    let want = FieldPath::parse("spec.podSpec.tolerations[3].key").unwrap();
    let (pos, found) = d.positions.resolve(&want);
    assert_eq!(found.to_string(), "spec.podSpec.tolerations");
    assert_eq!(pos, Position::new(3, 5));
    let (pos, found) = d.positions.resolve(&FieldPath::parse("status.x").unwrap());
    assert!(found.is_root());
    assert_eq!(pos, Position::new(1, 1));
}

#[test]
fn scalars_and_tags() {
    let d = one(
        "a: 12\nb: \"12\"\nc: !!str 12\nd: !!int \"7\"\ne: 1.5\nf: ~\ng: True\nh: 0x1F\ni: .inf\nj: 99999999999999999999999\nk: '0777'\n",
    );
    let v = &d.value;
    assert_eq!(v["a"], json!(12));
    assert_eq!(v["b"], json!("12"));
    assert_eq!(v["c"], json!("12"));
    assert_eq!(v["d"], json!(7));
    assert_eq!(v["e"], json!(1.5));
    assert_eq!(v["f"], json!(null));
    assert_eq!(v["g"], json!(true));
    assert_eq!(v["h"], json!(31));
    assert_eq!(v["i"], json!(".inf"));
    assert!(v["j"].is_f64());
    assert_eq!(v["k"], json!("0777"));
    assert!(d.ambiguous.is_empty(), "{:?}", d.ambiguous);
}

#[test]
fn ambiguous_scalars() {
    let d = one(
        "metadata:\n  labels:\n    gpu: yes\n    mode: \"on\"\n    nvidia.com/mig: Off\nspec:\n  mode: 0777\n  n: 1_000\n  list: [y, n, 012]\n  fine: [true, 10, no-schedule]\n",
    );
    let got: Vec<(String, &str, &str)> = d
        .ambiguous
        .iter()
        .map(|a| {
            (
                a.path.to_string(),
                a.text.as_str(),
                a.kubernetes_reads.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("metadata.labels.gpu".to_string(), "yes", "the boolean true"),
            (
                r#"metadata.labels["nvidia.com/mig"]"#.to_string(),
                "Off",
                "the boolean false"
            ),
            ("spec.mode".to_string(), "0777", "the integer 511 (octal)"),
            ("spec.n".to_string(), "1_000", "the integer 1000"),
            ("spec.list[0]".to_string(), "y", "the boolean true"),
            ("spec.list[1]".to_string(), "n", "the boolean false"),
            ("spec.list[2]".to_string(), "012", "the integer 10 (octal)"),
        ]
    );
    // The stored value is the YAML 1.2 one.
    assert_eq!(d.value["metadata"]["labels"]["gpu"], json!("yes"));
    assert_eq!(d.value["spec"]["mode"], json!(777));
}

#[test]
fn anchors_aliases_and_merge_keys() {
    let d = one(
        "base: &b\n  cpu: 1\n  memory: 1Gi\nx: *b\ny:\n  <<: *b\n  cpu: 2\nz:\n  cpu: 3\n  <<: [*b]\nlist: &l [a, b]\nagain: *l\n",
    );
    assert_eq!(d.value["x"], json!({"cpu": 1, "memory": "1Gi"}));
    assert_eq!(d.value["y"], json!({"cpu": 2, "memory": "1Gi"}));
    assert_eq!(d.value["z"], json!({"cpu": 3, "memory": "1Gi"}));
    assert_eq!(d.value["again"], json!(["a", "b"]));
    assert_eq!(pos_of(&d, "y.memory"), Some((6, 3)));
    assert_eq!(pos_of(&d, "y.cpu"), Some((7, 3)));
    // Inside an alias, paths resolve to the alias itself.
    let (pos, found) = d.positions.resolve(&FieldPath::parse("x.cpu").unwrap());
    assert_eq!(
        (pos, found.to_string()),
        (Position::new(4, 1), "x".to_string())
    );
}

fn single_problem(text: &str, o: &LoadOptions) -> (Vec<Document>, LoadProblem) {
    let (docs, mut problems) = parse_with(text, o);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    (docs, problems.remove(0))
}

#[test]
fn syntax_error_keeps_other_documents() {
    let text = "kind: A\n---\nkind: B\nspec: [1, 2\n  other: x\n---\nkind: C\nname: c\n";
    let (docs, p) = single_problem(text, &opts());
    assert!(p.message.starts_with("YAML syntax error"), "{}", p.message);
    assert_eq!(p.document, Some(1));
    assert_eq!(p.position, Position::new(5, 8));
    assert!(p.help.is_some());
    let kinds: Vec<_> = docs
        .iter()
        .map(|d| (d.index, d.value["kind"].clone()))
        .collect();
    assert_eq!(kinds, vec![(0, json!("A")), (2, json!("C"))]);
    assert_eq!(pos_of(&docs[1], "name"), Some((8, 1)));
}

#[test]
fn syntax_error_position() {
    let (_, p) = single_problem("a: 1\nb: c: d\n", &opts());
    assert_eq!(p.position, Position::new(2, 5));
    assert!(
        p.message.contains("mapping values are not allowed"),
        "{}",
        p.message
    );
}

#[test]
fn tab_indentation() {
    let (docs, p) = single_problem("kind: A\nspec:\n\tserver: x\n---\nkind: B\n", &opts());
    assert_eq!(p.position.line, 3);
    assert!(p.help.as_deref().unwrap_or("").contains("tabs"), "{p:?}");
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].value["kind"], json!("B"));
}

#[test]
fn template_hint() {
    let (_, p) = single_problem("kind: A\nspec: {{ .Values.x }}\n", &opts());
    assert!(
        p.help.as_deref().unwrap_or("").contains("helm template"),
        "{p:?}"
    );
}

#[test]
fn missing_separator_is_reported_but_read() {
    let (docs, p) = single_problem("\"x\"\n{kind: B}\n", &opts());
    assert!(p.message.contains("without a `---`"), "{}", p.message);
    assert_eq!(p.position, Position::new(2, 1));
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[1].value["kind"], json!("B"));
}

#[test]
fn duplicate_key_points_at_the_second() {
    let (docs, p) = single_problem("kind: A\nmetadata:\n  name: a\n  name: b\n", &opts());
    assert_eq!(p.position, Position::new(4, 3));
    assert!(
        p.message
            .contains("duplicate key `name` (first defined at line 3)"),
        "{}",
        p.message
    );
    assert_eq!(docs[0].value["metadata"]["name"], json!("b"));
}

#[test]
fn alias_bomb_is_a_problem() {
    let mut text =
        String::from("kind: Bomb\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let prev = i - 1;
        text.push_str(&format!("a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"));
    }
    text.push_str("---\nkind: After\n");
    let start = std::time::Instant::now();
    let _ = parse_str(0, &text, &opts());
    assert!(start.elapsed().as_secs() < 5);
    let (docs, p) = single_problem(&text, &opts());
    assert!(p.message.contains("alias bomb"), "{}", p.message);
    assert!(p.position.line >= 6 && p.position.line <= 11, "{p:?}");
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].value["kind"], json!("After"));
}

#[test]
fn recursive_alias_is_a_problem() {
    let (docs, p) = single_problem("a: &x [1, *x]\n", &opts());
    assert!(p.message.contains("recursive"), "{}", p.message);
    assert!(docs.is_empty());
}

#[test]
fn depth_bomb_is_a_problem() {
    let deep = format!(
        "kind: Deep\nx: {}{}\n---\nkind: After\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let (docs, problems) = parse(&deep);
    assert!(!problems.is_empty());
    assert!(
        problems.iter().any(|p| p.position.line == 2),
        "{problems:#?}"
    );
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].value["kind"], json!("After"));

    let mut block = String::from("kind: Deep\n");
    for i in 0..300 {
        block.push_str(&" ".repeat(i));
        block.push_str("k:\n");
    }
    let (docs, p) = single_problem(&block, &opts());
    assert!(p.message.contains("deeper than 200"), "{}", p.message);
    assert!(docs.is_empty());
}

#[test]
fn complex_keys_do_not_crash() {
    let (docs, p) = single_problem("? [a, b]\n: c\nkind: K\n", &opts());
    assert!(p.message.contains("mapping key"), "{}", p.message);
    assert_eq!(docs[0].value["kind"], json!("K"));
    assert_eq!(docs[0].value["[\"a\",\"b\"]"], json!("c"));
}

#[test]
fn garbage_never_panics() {
    let inputs = [
        "\u{0}\u{1}\u{2}",
        "---\n---\n...\n...",
        "&a",
        "*a",
        "!!int",
        "? ? ?",
        "[",
        "{",
        "]",
        "}",
        "- - - -",
        "a: !!binary AAAA",
        "%YAML 1.2\n---\na: 1",
        "%FOO\n",
        "a: |\n b\n  c\nd",
        "'unterminated",
        "\"\\x\"",
        "&a [*a]",
        "a: &a\n  b: *a",
        "<<: 1",
        "<<: [1, 2]",
        "a:\n- b\n-c: d",
        "\u{feff}a: 1",
        "\r\n\r\na: 1\r\n",
    ];
    for text in inputs {
        let _ = parse(text);
    }
}

// ---------------------------------------------------------------------------------------------
// load(): files, limits, walker

fn write(dir: &Path, rel: &str, text: &[u8]) {
    let p = dir.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

fn load_dir(dir: &Path, o: &LoadOptions) -> Loaded {
    load(&[Input::arg(dir.to_str().unwrap(), false)], o).unwrap()
}

fn rel_paths(l: &Loaded, root: &Path) -> Vec<String> {
    let prefix = format!("{}/", walk::display(root));
    l.files
        .iter()
        .map(|f| f.path.strip_prefix(&prefix).unwrap_or(&f.path).to_string())
        .collect()
}

#[test]
fn walker_filters_and_sorts() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    write(d, "b.yaml", b"kind: B\n");
    write(d, "a.yml", b"kind: A\n");
    write(d, "c.json", b"{\"kind\": \"C\"}");
    write(d, "notes.txt", b"kind: X\n");
    write(d, "README.md", b"# hi\n");
    write(d, ".hidden.yaml", b"kind: H\n");
    write(d, ".hiddendir/x.yaml", b"kind: H\n");
    write(d, "sub/z.yaml", b"kind: Z\n");
    write(d, "sub/generated/g.yaml", b"kind: G\n");
    write(d, "charts/x/templates/t.yaml", b"kind: T\n");
    write(d, "ignored/i.yaml", b"kind: I\n");
    write(d, ".gitignore", b"ignored/\n*.secret.yaml\n");
    write(d, "p.secret.yaml", b"kind: S\n");
    let o = LoadOptions {
        excludes: vec!["charts".into(), "**/generated/**".into()],
        ..opts()
    };
    let l = load_dir(d, &o);
    assert_eq!(
        rel_paths(&l, d),
        vec!["a.yml", "b.yaml", "c.json", "sub/z.yaml"]
    );
    assert_eq!(l.documents.len(), 4);
    assert!(l.problems.is_empty());
}

#[test]
fn named_file_any_extension_and_display_path() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "manifest.txt", b"kind: A\n");
    let p = t.path().join("manifest.txt");
    let l = load(&[Input::arg(p.to_str().unwrap(), false)], &opts()).unwrap();
    assert_eq!(l.files[0].path, walk::display(&p));
    assert_eq!(l.documents.len(), 1);
}

#[test]
fn missing_path_and_bad_glob_are_errors() {
    let e = load(&[Input::arg("/definitely/not/here.yaml", false)], &opts()).unwrap_err();
    assert!(e.to_string().contains("/definitely/not/here.yaml"), "{e}");
    let o = LoadOptions {
        excludes: vec!["a[".into()],
        ..opts()
    };
    let e = load(&[], &o).unwrap_err();
    assert!(e.to_string().contains("--exclude"), "{e}");
}

#[test]
fn skipped_and_kept_documents() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "m.yaml",
        b"a: 1\n---\n- x\n---\nplain\n---\nkind: OnlyKind\n---\napiVersion: v1\n---\napiVersion: v1\nkind: Node\n",
    );
    let l = load_dir(t.path(), &opts());
    assert_eq!(l.skipped, 3);
    assert_eq!(
        l.documents.iter().map(|d| d.index).collect::<Vec<_>>(),
        vec![3, 4, 5]
    );
}

#[test]
fn oversized_file() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "big.yaml", &vec![b'#'; 3 * 1024 * 1024]);
    write(t.path(), "ok.yaml", b"kind: A\n");
    let o = LoadOptions {
        max_file_bytes: 1024 * 1024,
        ..opts()
    };
    let l = load_dir(t.path(), &o);
    assert_eq!(l.problems.len(), 1);
    assert_eq!(
        l.problems[0].message,
        "file is 3 MiB, over the limit of 1 MiB; it is not read"
    );
    assert!(l.files[0].text.is_none());
    assert_eq!(l.documents.len(), 1);
}

#[test]
fn non_utf8_points_at_the_byte() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "bad.yaml", b"kind: A\nname: caf\xe9\n");
    write(t.path(), "ok.yaml", b"kind: A\n");
    let l = load_dir(t.path(), &opts());
    assert_eq!(l.problems.len(), 1);
    assert_eq!(l.problems[0].position, Position::new(2, 10));
    assert!(l.problems[0].message.contains("UTF-8"));
    assert_eq!(l.documents.len(), 1);
}

#[cfg(unix)]
#[test]
fn symlink_loop_and_dangling_link() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    write(d, "a/m.yaml", b"kind: A\n");
    std::os::unix::fs::symlink(d.join("a"), d.join("a/loop")).unwrap();
    std::os::unix::fs::symlink(d.join("missing.yaml"), d.join("dangling.yaml")).unwrap();
    let l = load_dir(d, &opts());
    assert_eq!(l.documents.len(), 1);
    let msgs: Vec<_> = l
        .problems
        .iter()
        .map(|p| (l.files[p.file].path.clone(), p.message.clone()))
        .collect();
    assert_eq!(msgs.len(), 2, "{msgs:#?}");
    assert!(
        msgs.iter()
            .any(|(f, m)| f.ends_with("a/loop") && m.contains("loop")),
        "{msgs:#?}"
    );
    assert!(
        msgs.iter()
            .any(|(f, m)| f.ends_with("dangling.yaml") && m.contains("cannot be read")),
        "{msgs:#?}"
    );
}

#[test]
fn same_file_twice_is_read_once_and_named_wins() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "m.yaml", b"kind: A\n");
    let file = t.path().join("m.yaml");
    let inputs = [
        Input::arg(t.path().to_str().unwrap(), true),
        Input::arg(file.to_str().unwrap(), false),
    ];
    let l = load(&inputs, &opts()).unwrap();
    assert_eq!(l.files.len(), 1);
    assert!(!l.files[0].context);
}

#[test]
fn columns_count_characters_and_crlf() {
    let d = one("{é: 1, b: 2}\n");
    // Characters, not bytes: `é` is two bytes.
    assert_eq!(pos_of(&d, "b"), Some((1, 8)));
    let d = one("a: 1\r\nb:\r\n  c: 2\r\n");
    assert_eq!(pos_of(&d, "b.c"), Some((3, 3)));
}

#[test]
fn mutated_inputs_never_panic_or_hang() {
    let base = "apiVersion: v1\nkind: Node\nmetadata:\n  name: &n a\n  labels: {x: *n, \"y\": [1, 2]}\n---\n\
                spec:\n  taints:\n  - key: k\n    value: |\n      text\n  <<: {z: 1}\n";
    let bytes = base.as_bytes();
    let specials = b"-:[]{}&*!|>'\"#%@`,? \n\t~<";
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..3000 {
        let mut m = bytes.to_vec();
        for _ in 0..(next() % 4 + 1) {
            let i = (next() as usize) % m.len();
            match next() % 3 {
                0 => m[i] = specials[(next() as usize) % specials.len()],
                1 => m.insert(i, specials[(next() as usize) % specials.len()]),
                _ => {
                    m.remove(i);
                }
            }
        }
        let Ok(text) = String::from_utf8(m) else {
            continue;
        };
        let (_, problems) = parse(&text);
        assert!(
            !problems
                .iter()
                .any(|p| p.message.contains("internal error")),
            "{text:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// The loader's path: lazy positions and parallel ranges (`parse_shared`)
// ---------------------------------------------------------------------------

#[test]
fn lazy_positions_are_built_on_first_lookup() {
    let text: std::sync::Arc<str> =
        "kind: A\nmetadata:\n  name: a\n---\nkind: B\nmetadata:\n  name: b\n".into();
    let (docs, problems) = parse_shared(0, &text, &opts());
    assert!(problems.is_empty());
    assert_eq!(docs.len(), 2);
    assert!(docs.iter().all(|d| !d.positions.is_built()));
    // The root does not need the table.
    assert_eq!(docs[1].positions.root(), Position::new(5, 1));
    assert!(!docs[1].positions.is_built());
    assert_eq!(pos_of(&docs[1], "metadata.name"), Some((7, 3)));
    assert!(docs[1].positions.is_built());
    assert!(!docs[0].positions.is_built());
}

#[test]
fn split_streams_read_like_one() {
    // Markers in every shape the splitter and the restart points must respect: comments and
    // `...` between documents, an explicit end followed by a bare document, indented `---`
    // inside block scalars, an empty document, a duplicate key (eager re-read) in the middle,
    // a `---` with content on its line, and CRLF line breaks.
    let text = "# head\nkind: A\nspec: |\n  ---\n  text\n...\nkind: Bare\n---\n\n---\n# c\nkind: C\nx: 1\nx: 2\n--- {kind: D, y: [1, 2]}\n---\nkind: E\nnote: >\n  a\n  --- b\n";
    let (docs, problems) = parse(text);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].document, Some(3));
    assert!(problems[0].message.contains("first defined at line 13"));
    let kinds: Vec<_> = docs.iter().map(|d| d.value["kind"].clone()).collect();
    assert_eq!(
        kinds,
        [
            json!("A"),
            json!("Bare"),
            json!("C"),
            json!("D"),
            json!("E")
        ]
    );
    assert_eq!(
        docs.iter().map(|d| d.index).collect::<Vec<_>>(),
        [0, 1, 3, 4, 5]
    );
    let crlf = text.replace('\n', "\r\n");
    let (docs, problems) = parse(&crlf);
    assert_eq!(problems.len(), 1);
    assert_eq!(pos_of(&docs[3], "y[1]"), Some((15, 22)));
    // Directives make every document eager (a `%TAG` belongs to the document after it).
    let (docs, _) = parse("%YAML 1.2\n---\nkind: A\n---\nkind: B\n");
    assert_eq!(docs.len(), 2);
}

#[test]
fn split_streams_fall_back_on_errors() {
    // An unclosed quote swallows the next marker line: the split would read it differently, so
    // the whole stream is read in sequence.
    let text = "kind: A\nx: \"open\n---\nkind: B\n---\nkind: C\n";
    let (docs, problems) = parse(text);
    assert!(!problems.is_empty());
    assert_eq!(
        docs.last().map(|d| d.value["kind"].clone()),
        Some(json!("C"))
    );
}

// ---------------------------------------------------------------------------
// Tabs go-yaml (kubectl) rejects: see `tabs.rs` for the scanner's own tests
// ---------------------------------------------------------------------------

#[test]
fn tab_kubectl_rejects_drops_only_that_document() {
    let t = tempfile::tempdir().unwrap();
    let text = "kind: A\nmetadata:\n  name: a\n---\nkind: B\nmetadata:\n  name: b\n\n\t\t\t\n---\nkind: C\nmetadata:\n  name: c\n";
    write(t.path(), "m.yaml", text.as_bytes());
    // A JSON file keeps its tabs: kubectl reads it with a JSON decoder.
    write(t.path(), "n.json", b"{\n\t\"kind\": \"D\"\n}\n");
    let l = load_dir(t.path(), &opts());
    let kinds: Vec<_> = l
        .documents
        .iter()
        .map(|d| d.value["kind"].clone())
        .collect();
    assert_eq!(kinds, [json!("A"), json!("C"), json!("D")]);
    assert_eq!(l.problems.len(), 1, "{:#?}", l.problems);
    let p = &l.problems[0];
    assert_eq!((p.file, p.document), (0, Some(1)));
    assert_eq!(p.position, Position::new(9, 1));
    assert!(
        p.message
            .contains("yaml: line 5: found a tab character that violates indentation"),
        "{}",
        p.message
    );
    assert!(p.help.as_deref().unwrap_or("").contains("make it empty"));
}

#[test]
fn tab_inside_block_scalar_and_flow_is_kept() {
    let t = tempfile::tempdir().unwrap();
    let text = "kind: A\ndata:\n  s: |\n    a\n    \tb\n  f: [\tx,\ty]\n";
    write(t.path(), "m.yaml", text.as_bytes());
    let l = load_dir(t.path(), &opts());
    assert!(l.problems.is_empty(), "{:#?}", l.problems);
    assert_eq!(l.documents[0].value["data"]["s"], json!("a\n\tb\n"));
    assert_eq!(l.documents[0].value["data"]["f"], json!(["x", "y"]));
}

#[test]
fn tab_saphyr_rejects_too_is_reported_once() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "m.yaml", b"kind: A\nspec:\n\treplicas: 1\n");
    let l = load_dir(t.path(), &opts());
    assert_eq!(l.problems.len(), 1, "{:#?}", l.problems);
    assert!(l.documents.is_empty());
}
