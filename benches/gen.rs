//! `placecheck-gen`: writes a large, realistic, deterministic fleet of manifests for benchmarks.
//!
//! `placecheck-gen --nodes 5000 --servers 2000 --models 50000 --out /tmp/fleet` writes
//! `nodes.yaml`, `serverconfigs.yaml`, `servers.yaml` and `models.yaml`. Nodes come in 20 pools
//! (CPU, spot, tainted GPU, dedicated, control plane) across 3 zones; Servers in 10 namespaces
//! use a dozen pod-spec templates (some with classic mistakes); Models draw requirements from a
//! small vocabulary, 30 % pinned to a Server. Same sizes, same bytes: the generator is seeded.

use std::fmt::Write as _;
use std::path::PathBuf;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: deterministic, good enough for picking templates.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

struct PoolSpec {
    name: &'static str,
    taint: Option<(&'static str, &'static str)>,
    gpus: u32,
    cpu: &'static str,
    memory: &'static str,
    weight: usize,
}

const POOLS: &[PoolSpec] = &[
    PoolSpec { name: "cpu-small", taint: None, gpus: 0, cpu: "7900m", memory: "30Gi", weight: 30 },
    PoolSpec { name: "cpu-large", taint: None, gpus: 0, cpu: "31900m", memory: "126Gi", weight: 25 },
    PoolSpec { name: "spot", taint: Some(("spot", "true")), gpus: 0, cpu: "15900m", memory: "62Gi", weight: 15 },
    PoolSpec { name: "gpu-t4", taint: Some(("nvidia.com/gpu", "present")), gpus: 1, cpu: "7900m", memory: "30Gi", weight: 10 },
    PoolSpec { name: "gpu-a100", taint: Some(("nvidia.com/gpu", "present")), gpus: 8, cpu: "95900m", memory: "1000Gi", weight: 8 },
    PoolSpec { name: "dedicated-critical", taint: Some(("dedicated", "critical")), gpus: 0, cpu: "15900m", memory: "62Gi", weight: 8 },
    PoolSpec { name: "system", taint: Some(("node-role.kubernetes.io/control-plane", "")), gpus: 0, cpu: "3900m", memory: "15Gi", weight: 4 },
];

const CAPS: &[&str] = &["sklearn", "xgboost", "lightgbm", "mlflow", "huggingface", "python", "gpu", "onnx", "pytorch", "tensorflow", "llm", "fraud", "ranking", "vision", "speech"];

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("usage: placecheck-gen [--nodes N] [--servers N] [--models N] [--namespaces N] --out DIR");
        return Ok(());
    }
    let nodes = arg(&args, "--nodes", 5000);
    let servers = arg(&args, "--servers", 2000);
    let models = arg(&args, "--models", 50000);
    let namespaces = arg(&args, "--namespaces", 10).max(1);
    let out = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("fleet"));
    std::fs::create_dir_all(&out)?;
    let mut rng = Rng(42);

    // Nodes: pools by weight, each pool in one of 3 zones.
    let total_w: usize = POOLS.iter().map(|p| p.weight).sum();
    let mut s = String::new();
    for i in 0..nodes {
        let mut pick = i * total_w / nodes.max(1);
        let pool = POOLS.iter().find(|p| {
            if pick < p.weight {
                true
            } else {
                pick -= p.weight;
                false
            }
        }).unwrap_or(&POOLS[0]);
        let zone = ["a", "b", "c"][i % 3];
        let _ = writeln!(s, "---\napiVersion: v1\nkind: Node\nmetadata:\n  name: node-{i:05}\n  labels:\n    kubernetes.io/hostname: node-{i:05}\n    kubernetes.io/os: linux\n    topology.kubernetes.io/zone: eu-west-1{zone}\n    pool: {}", pool.name);
        if pool.gpus > 0 {
            let _ = writeln!(s, "    nvidia.com/gpu.present: \"true\"");
        }
        if pool.name == "system" {
            let _ = writeln!(s, "    node-role.kubernetes.io/control-plane: \"\"");
        }
        if let Some((k, v)) = pool.taint {
            let _ = writeln!(s, "spec:\n  taints:\n    - key: {k}\n      value: \"{v}\"\n      effect: NoSchedule");
        }
        let _ = writeln!(s, "status:\n  allocatable:\n    cpu: {}\n    memory: {}\n    pods: \"110\"", pool.cpu, pool.memory);
        if pool.gpus > 0 {
            let _ = writeln!(s, "    nvidia.com/gpu: \"{}\"", pool.gpus);
        }
    }
    std::fs::write(out.join("nodes.yaml"), s)?;

    // ServerConfigs: the two shipped ones plus a GPU variant.
    let mut s = String::new();
    for (name, container, caps) in [
        ("mlserver", "mlserver", "mlserver,alibi-detect,alibi-explain,huggingface,lightgbm,mlflow,python,sklearn,spark-mlib,xgboost"),
        ("triton", "triton", "triton,dali,fil,onnx,openvino,python,pytorch,tensorflow,tensorrt"),
        ("mlserver-gpu", "mlserver", "mlserver,huggingface,python,gpu,llm"),
    ] {
        let _ = writeln!(s, "---\napiVersion: mlops.seldon.io/v1alpha1\nkind: ServerConfig\nmetadata:\n  name: {name}\n  namespace: seldon-mesh\nspec:\n  podSpec:\n    containers:\n      - name: agent\n        env:\n          - name: SELDON_SERVER_CAPABILITIES\n            value: \"{caps}\"\n          - name: SELDON_OVERCOMMIT_PERCENTAGE\n            value: \"10\"\n          - name: MEMORY_REQUEST\n            valueFrom:\n              resourceFieldRef:\n                containerName: {container}\n                resource: requests.memory\n        resources:\n          requests: {{cpu: 200m, memory: 1Gi}}\n      - name: {container}\n        resources:\n          requests: {{cpu: 100m, memory: 1Gi}}\n          limits: {{memory: 1Gi}}");
    }
    std::fs::write(out.join("serverconfigs.yaml"), s)?;

    // Servers: templates, some with classic mistakes.
    let mut s = String::new();
    let mut server_names: Vec<Vec<String>> = vec![Vec::new(); namespaces];
    for i in 0..servers {
        let ns = i % namespaces;
        let t = rng.below(12);
        let name = format!("srv-{i:04}");
        server_names[ns].push(name.clone());
        let (config, pod) = match t {
            // GPU server done right.
            0 | 1 => ("mlserver-gpu", "  podSpec:\n    nodeSelector:\n      pool: gpu-a100\n    tolerations:\n      - key: nvidia.com/gpu\n        operator: Exists\n        effect: NoSchedule\n    containers:\n      - name: mlserver\n        resources:\n          requests: {memory: 16Gi}\n          limits: {memory: 16Gi, nvidia.com/gpu: 1}\n"),
            // GPU server without toleration: Pending.
            2 => ("mlserver-gpu", "  podSpec:\n    nodeSelector:\n      pool: gpu-t4\n    containers:\n      - name: mlserver\n        resources:\n          limits: {nvidia.com/gpu: 1}\n"),
            // Toleration without selector.
            3 => ("triton", "  podSpec:\n    tolerations:\n      - key: nvidia.com/gpu\n        operator: Exists\n        effect: NoSchedule\n"),
            // Dedicated critical server.
            4 => ("mlserver", "  podSpec:\n    nodeSelector:\n      pool: dedicated-critical\n    tolerations:\n      - key: dedicated\n        operator: Equal\n        value: critical\n        effect: NoSchedule\n"),
            // Spot-tolerating batch server with affinity.
            5 => ("mlserver", "  podSpec:\n    affinity:\n      nodeAffinity:\n        requiredDuringSchedulingIgnoredDuringExecution:\n          nodeSelectorTerms:\n            - matchExpressions:\n                - {key: pool, operator: In, values: [spot, cpu-large]}\n    tolerations:\n      - {key: spot, operator: Exists, effect: NoSchedule}\n"),
            // Bigger memory.
            6 => ("mlserver", "  podSpec:\n    containers:\n      - name: mlserver\n        resources:\n          requests: {memory: 4Gi}\n"),
            // Zone pinned.
            7 => ("triton", "  podSpec:\n    nodeSelector:\n      topology.kubernetes.io/zone: eu-west-1b\n"),
            _ => ("mlserver", ""),
        };
        let extra = if rng.below(3) == 0 {
            format!("  extraCapabilities: [{}]\n", CAPS[10 + rng.below(5)])
        } else {
            String::new()
        };
        let replicas = 1 + rng.below(3);
        let _ = write!(s, "---\napiVersion: mlops.seldon.io/v1alpha1\nkind: Server\nmetadata:\n  name: {name}\n  namespace: team-{ns}\nspec:\n  serverConfig: {config}\n  replicas: {replicas}\n{extra}{pod}");
    }
    std::fs::write(out.join("servers.yaml"), s)?;

    // Models.
    let mut s = String::new();
    for i in 0..models {
        let ns = i % namespaces;
        let mut reqs: Vec<&str> = Vec::new();
        for _ in 0..rng.below(3) {
            let c = CAPS[rng.below(CAPS.len())];
            if !reqs.contains(&c) {
                reqs.push(c);
            }
        }
        let _ = write!(s, "---\napiVersion: mlops.seldon.io/v1alpha1\nkind: Model\nmetadata:\n  name: model-{i:05}\n  namespace: team-{ns}\n");
        if i % 50 == 0 {
            let _ = write!(s, "  labels:\n    placecheck.io/tier: critical\n");
        }
        let _ = write!(s, "spec:\n  storageUri: gs://models/m{i}\n");
        if !reqs.is_empty() {
            let _ = writeln!(s, "  requirements: [{}]", reqs.join(", "));
        }
        if rng.below(10) < 3 && !server_names[ns].is_empty() {
            let names = &server_names[ns];
            let _ = writeln!(s, "  server: {}", names[rng.below(names.len())]);
        }
        if rng.below(4) == 0 {
            let _ = writeln!(s, "  memory: {}Mi", 100 * (1 + rng.below(20)));
        }
        if rng.below(5) == 0 {
            let _ = writeln!(s, "  replicas: {}", 1 + rng.below(3));
        }
    }
    std::fs::write(out.join("models.yaml"), s)?;
    eprintln!("wrote {nodes} nodes, {servers} servers, {models} models to {}", out.display());
    Ok(())
}
