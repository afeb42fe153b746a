//! Throughput of the YAML reader (`placecheck::source::parse_str`): MB/s and documents/s on a
//! generated multi-document stream of Node, Server and Model manifests, as YAML and as a JSON
//! stream, single-threaded and split into files parsed in parallel.
//!
//! Run: `cargo bench --bench yaml` (optional argument: target size in MB, default 32).
//! `cargo bench --bench yaml -- /tmp/fleet` instead times `source::load` of that directory (what
//! `lint` does before the inventory; generate it with `placecheck-gen --out /tmp/fleet`).

use std::fmt::Write as _;
use std::time::Instant;

use placecheck::source::{LoadOptions, parse_str};
use rayon::prelude::*;

fn node(i: usize, out: &mut String) {
    let pool = i % 20;
    let gpu = pool < 5;
    let _ = write!(
        out,
        "---\napiVersion: v1\nkind: Node\nmetadata:\n  name: node-{i:05}\n  labels:\n    kubernetes.io/hostname: node-{i:05}\n    \
         node.kubernetes.io/instance-type: m5.{size}xlarge\n    pool: pool-{pool}\n    topology.kubernetes.io/zone: eu-west-1{zone}\n",
        size = 1 + pool % 4,
        zone = ["a", "b", "c"][i % 3]
    );
    if gpu {
        out.push_str("    nvidia.com/gpu.present: \"true\"\nspec:\n  taints:\n  - key: nvidia.com/gpu\n    value: present\n    effect: NoSchedule\n");
    } else {
        out.push_str("spec:\n  podCIDR: 10.0.0.0/24\n");
    }
    let _ = write!(
        out,
        "status:\n  capacity:\n    cpu: \"{cpu}\"\n    memory: {mem}Gi\n    pods: \"110\"\n{g}  allocatable:\n    cpu: {cpu}900m\n    memory: {mem2}Gi\n    pods: \"110\"\n  \
         conditions:\n  - type: Ready\n    status: \"True\"\n    reason: KubeletReady\n",
        cpu = 4 << (pool % 4),
        mem = 16 << (pool % 4),
        mem2 = (16 << (pool % 4)) - 1,
        g = if gpu {
            "    nvidia.com/gpu: \"4\"\n"
        } else {
            ""
        },
    );
}

fn server(i: usize, out: &mut String) {
    let gpu = i.is_multiple_of(4);
    let _ = write!(
        out,
        "---\napiVersion: mlops.seldon.io/v1alpha1\nkind: Server\nmetadata:\n  name: server-{i:04}\n  namespace: seldon-mesh\n  \
         labels:\n    team: team-{t}\nspec:\n  serverConfig: {cfg}\n  replicas: {r}\n  capabilities: [sklearn, xgboost, \"team-{t}\"]\n  \
         podSpec:\n    nodeSelector:\n      pool: pool-{p}\n",
        t = i % 17,
        cfg = if gpu { "triton" } else { "mlserver" },
        r = 1 + i % 3,
        p = i % 20,
    );
    if gpu {
        out.push_str(
            "    tolerations:\n    - key: nvidia.com/gpu\n      operator: Exists\n      effect: NoSchedule\n    containers:\n    - name: triton\n      \
             resources:\n        requests: {cpu: \"2\", memory: 8Gi, nvidia.com/gpu: \"1\"}\n        limits:\n          nvidia.com/gpu: \"1\"\n",
        );
    } else {
        out.push_str("    containers:\n    - name: mlserver\n      resources:\n        requests:\n          cpu: 500m\n          memory: 2Gi\n");
    }
}

fn model(i: usize, out: &mut String) {
    let _ = write!(
        out,
        "---\napiVersion: mlops.seldon.io/v1alpha1\nkind: Model\nmetadata:\n  name: model-{i:05}\n  namespace: seldon-mesh\n  labels:\n    \
         placecheck.io/tier: {tier}\n  annotations:\n    description: >-\n      Model number {i} for team {t}, trained nightly.\nspec:\n  \
         storageUri: gs://models/team-{t}/model-{i:05}\n  requirements:\n  - sklearn\n  - team-{t}\n  memory: {m}Mi\n  replicas: {r}\n",
        tier = if i.is_multiple_of(50) {
            "critical"
        } else {
            "standard"
        },
        t = i % 17,
        m = 100 + (i % 9) * 100,
        r = 1 + i % 2,
    );
}

fn generate(target_bytes: usize) -> (String, usize) {
    let mut out = String::with_capacity(target_bytes + 4096);
    let mut docs = 0;
    let mut i = 0;
    while out.len() < target_bytes {
        // Roughly the fleet shape of the performance target: 1 Node : 0.4 Server : 10 Models.
        if i % 25 < 2 {
            node(i, &mut out);
        } else if i % 25 == 2 {
            server(i, &mut out);
        } else {
            model(i, &mut out);
        }
        docs += 1;
        i += 1;
    }
    (out, docs)
}

fn to_json_stream(yaml: &str) -> String {
    let (docs, _) = parse_str(0, yaml, &LoadOptions::default());
    let mut out = String::with_capacity(yaml.len());
    for d in docs {
        out.push_str(&serde_json::to_string_pretty(&d.value).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// CPU seconds (user + system, all threads) used by this process so far; 0 where unknown.
/// Reported next to wall times because the benchmark machine is shared.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime is the 12th, stime the 13th.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|x| x.parse().ok())
        .collect();
    f.iter().sum::<f64>() / 100.0
}

/// Like [`best_of`], also returning the CPU time of the fastest run.
fn best_of_cpu<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, f64, T) {
    let mut best = (f64::INFINITY, 0.0);
    let mut last = None;
    for _ in 0..runs {
        let c = cpu_seconds();
        let t = Instant::now();
        let r = f();
        let wall = t.elapsed().as_secs_f64();
        if wall < best.0 {
            best = (wall, cpu_seconds() - c);
        }
        last = Some(r);
    }
    (best.0, best.1, last.expect("at least one run"))
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        last = Some(r);
    }
    (best, last.expect("at least one run"))
}

fn report(label: &str, bytes: usize, docs: usize, secs: f64, extra: &str) {
    let mb = bytes as f64 / 1e6;
    println!(
        "{label:<44} {mb:>7.1} MB {docs:>8} docs {ms:>8.0} ms {mbs:>7.1} MB/s {dps:>10.0} docs/s {extra}",
        ms = secs * 1e3,
        mbs = mb / secs,
        dps = docs as f64 / secs,
    );
}

/// Times `source::load` of a directory, and the cost of resolving every document's positions.
fn load_dir(dir: &str) {
    use placecheck::source::{Input, load};
    let inputs = [Input::arg(dir, false)];
    let opts = LoadOptions::default();
    let (secs, cpu, loaded) = best_of_cpu(5, || load(&inputs, &opts).expect("load"));
    let bytes: usize = loaded
        .files
        .iter()
        .filter_map(|f| f.text.as_ref().map(|t| t.len()))
        .sum();
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    report(
        &format!("source::load {dir}"),
        bytes,
        loaded.documents.len(),
        secs,
        &format!("(CPU {:.0} ms)", cpu * 1e3),
    );
    // The largest file alone: eager on one thread (`parse_str`) against the loader's path
    // (`parse_shared`: lazy positions, split at `---` lines and parsed in parallel).
    if let Some(big) = loaded
        .files
        .iter()
        .filter_map(|f| f.text.clone())
        .max_by_key(|t| t.len())
    {
        let (secs, (docs, _)) = best_of(5, || parse_str(0, &big, &opts));
        report(
            "largest file: parse_str (eager, 1 thread)",
            big.len(),
            docs.len(),
            secs,
            "",
        );
        drop(docs);
        let (secs, cpu, (docs, _)) =
            best_of_cpu(5, || placecheck::source::parse_shared(0, &big, &opts));
        report(
            "largest file: parse_shared (lazy, split)",
            big.len(),
            docs.len(),
            secs,
            &format!("(CPU {:.0} ms)", cpu * 1e3),
        );
        drop(docs);
        let (secs, (docs, _)) = best_of(5, || {
            placecheck::source::parse_shared_in(0, &big, &opts, usize::MAX)
        });
        report(
            "largest file: lazy, 1 thread",
            big.len(),
            docs.len(),
            secs,
            "",
        );
    }
    // Positions are lazy: what the documents with a finding cost later. The fleet has findings
    // on about 1 document in 4; time a quarter of them on one thread, another quarter in
    // parallel, then all.
    let quarter = |k: usize| loaded.documents.iter().skip(k).step_by(4);
    let t = Instant::now();
    quarter(0).for_each(|d| d.positions.build());
    let n = quarter(0).count();
    report(
        "then: positions of 1/4 of the docs, 1 thread",
        bytes / 4,
        n,
        t.elapsed().as_secs_f64(),
        "",
    );
    let t = Instant::now();
    let some: Vec<_> = quarter(1).collect();
    some.par_iter().for_each(|d| d.positions.build());
    report(
        &format!(
            "then: positions of 1/4 of the docs, {} threads",
            rayon::current_num_threads()
        ),
        bytes / 4,
        some.len(),
        t.elapsed().as_secs_f64(),
        "",
    );
    let t = Instant::now();
    let fields: usize = loaded.documents.iter().map(|d| d.positions.len()).sum();
    report(
        "then: positions of all other documents, 1 thread",
        bytes / 2,
        loaded.documents.len() / 2,
        t.elapsed().as_secs_f64(),
        &format!("({fields} positions in all)"),
    );
}

fn main() {
    // A file: eager on one thread, lazy on one thread and the loader's path (lazy, split),
    // interleaved (the machine is shared: each gets the same conditions); best of 10 each.
    if let Some(file) = std::env::args()
        .skip(1)
        .find(|a| std::path::Path::new(a).is_file())
    {
        let text: std::sync::Arc<str> = std::fs::read_to_string(&file).expect("read").into();
        let opts = LoadOptions::default();
        let mut best = [f64::INFINITY; 3];
        let mut ndocs = 0;
        for _ in 0..10 {
            for (i, slot) in best.iter_mut().enumerate() {
                let t = Instant::now();
                let (docs, _) = match i {
                    0 => parse_str(0, &text, &opts),
                    1 => placecheck::source::parse_shared_in(0, &text, &opts, usize::MAX),
                    _ => placecheck::source::parse_shared(0, &text, &opts),
                };
                *slot = slot.min(t.elapsed().as_secs_f64());
                ndocs = docs.len();
            }
        }
        for (label, secs) in [
            "parse_str (eager, 1 thread)",
            "lazy, 1 thread",
            "parse_shared (lazy, split)",
        ]
        .iter()
        .zip(best)
        {
            report(label, text.len(), ndocs, secs, "");
        }
        return;
    }
    if let Some(dir) = std::env::args()
        .skip(1)
        .find(|a| std::path::Path::new(a).is_dir())
    {
        load_dir(&dir);
        return;
    }
    let mb: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(32);
    let opts = LoadOptions {
        max_alias_nodes: usize::MAX,
        ..LoadOptions::default()
    };
    let (yaml, ndocs) = generate(mb * 1_000_000);
    let threads = rayon::current_num_threads();
    println!(
        "generated {ndocs} documents, {:.1} MB of YAML; rayon threads: {threads}",
        yaml.len() as f64 / 1e6
    );

    // Lower bound: the saphyr-parser event stream alone, nothing built.
    let (secs, events) = best_of(3, || {
        let mut p = saphyr_parser::Parser::new_from_str(&yaml);
        let mut n = 0usize;
        while let Some(Ok(_)) = p.next_event() {
            n += 1;
        }
        n
    });
    report(
        "baseline: saphyr-parser events only",
        yaml.len(),
        ndocs,
        secs,
        &format!("({events} events)"),
    );

    let (secs, (docs, problems)) = best_of(3, || parse_str(0, &yaml, &opts));
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(docs.len(), ndocs);
    let fields: usize = docs.iter().map(|d| d.positions.len()).sum();
    report(
        "YAML parse_str, 1 thread",
        yaml.len(),
        ndocs,
        secs,
        &format!("({fields} positions)"),
    );
    drop(docs);

    // What `load` does with one large file: lazy positions, split at `---` lines, all cores.
    let shared: std::sync::Arc<str> = yaml.as_str().into();
    let (secs, (docs, problems)) =
        best_of(3, || placecheck::source::parse_shared(0, &shared, &opts));
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(docs.len(), ndocs);
    report(
        &format!("YAML parse_shared (lazy, split), {threads} threads"),
        yaml.len(),
        ndocs,
        secs,
        "",
    );
    drop(docs);

    // The same stream as 1,000 files, parsed in parallel the way `load` does it.
    let mut starts: Vec<usize> = yaml.match_indices("---\n").map(|(i, _)| i).collect();
    starts.push(yaml.len());
    let per = ndocs.div_ceil(1000);
    let files: Vec<&str> = (0..ndocs.div_ceil(per))
        .filter_map(|k| {
            let a = *starts.get(k * per)?;
            let b = *starts.get(((k + 1) * per).min(ndocs))?;
            yaml.get(a..b)
        })
        .collect();
    let (secs, n) = best_of(3, || {
        files
            .par_iter()
            .enumerate()
            .map(|(id, t)| parse_str(id, t, &opts).0.len())
            .sum::<usize>()
    });
    report(
        &format!("YAML parse_str, {} files, {threads} threads", files.len()),
        yaml.len(),
        n,
        secs,
        "",
    );

    let json = to_json_stream(&yaml);
    let (secs, (docs, problems)) = best_of(3, || parse_str(0, &json, &opts));
    assert!(problems.is_empty(), "{problems:?}");
    report(
        "JSON stream parse_str, 1 thread",
        json.len(),
        docs.len(),
        secs,
        "",
    );
    drop(docs);

    let (secs, n) = best_of(3, || {
        serde_json::Deserializer::from_str(&json)
            .into_iter::<serde_json::Value>()
            .filter_map(Result::ok)
            .count()
    });
    report(
        "baseline: serde_json, no positions, 1 thread",
        json.len(),
        n,
        secs,
        "",
    );
}
