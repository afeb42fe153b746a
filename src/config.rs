//! `.placecheck.yaml`: discovery, strict parsing with line numbers, and the validated settings.
//!
//! Unknown keys are errors that name the key and its line, because a misspelt `exemptions`
//! silently disabling nothing is worse than a failed run. This module must not evaluate
//! policies; it only says what the user asked for.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::finding::Severity;
use crate::path::FieldPath;

pub const FILE_NAME: &str = ".placecheck.yaml";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Config {
    #[serde(default)]
    pub policies: PoliciesConfig,
    #[serde(default)]
    pub parameters: Map<String, Value>,
    #[serde(default)]
    pub kubernetes: KubernetesConfig,
    #[serde(default)]
    pub exemptions: Vec<ExemptionConfig>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PoliciesConfig {
    #[serde(default)]
    pub disable: Vec<String>,
    #[serde(default)]
    pub severity: BTreeMap<String, String>,
    #[serde(default)]
    pub paths: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KubernetesConfig {
    #[serde(default)]
    pub feature_gates: BTreeMap<String, bool>,
    #[serde(default)]
    pub admission_plugins: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExemptionConfig {
    pub policy: String,
    #[serde(default)]
    pub resources: Vec<ResourceMatch>,
    pub reason: String,
    #[serde(default)]
    pub expires: Option<Value>,
}

/// Which objects an exemption covers; every given field must match (`name` and `namespace`
/// accept `*` globs).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResourceMatch {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// A configuration problem: exit code 2 with file:line:col.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct ConfigError {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// The configuration file to use: `--config`, else the first `.placecheck.yaml` from `start`
/// upwards.
pub fn discover(explicit: Option<&Path>, start: &Path) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let mut dir = Some(start);
    while let Some(d) = dir {
        let candidate = d.join(FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        dir = d.parent();
    }
    None
}

/// A loaded configuration and the positions of its keys (for messages about them).
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub path: Option<String>,
    pub config: Config,
    pub positions: Option<std::sync::Arc<crate::source::PositionIndex>>,
}

impl Loaded {
    /// `policies.paths`, relative to the configuration file's directory.
    pub fn policy_paths(&self) -> Vec<PathBuf> {
        let base = self
            .path
            .as_deref()
            .and_then(|p| Path::new(p).parent().map(Path::to_path_buf))
            .unwrap_or_default();
        self.config
            .policies
            .paths
            .iter()
            .map(|p| base.join(p))
            .collect()
    }

    /// `file:line` of a key, for messages such as "exemption declared at …".
    pub fn where_is(&self, p: &FieldPath) -> String {
        match (&self.path, &self.positions) {
            (Some(f), Some(idx)) => {
                let (pos, _) = idx.resolve(p);
                format!("{f}:{}", pos.line)
            }
            (Some(f), None) => f.clone(),
            _ => "command line".into(),
        }
    }
}

pub fn load(path: &Path) -> Result<Loaded, ConfigError> {
    let display = path.display().to_string();
    let err = |line: u32, column: u32, message: String| ConfigError {
        file: display.clone(),
        line,
        column,
        message,
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| err(0, 0, format!("cannot read the configuration file: {e}")))?;
    parse(&display, &text)
}

pub fn parse(display: &str, text: &str) -> Result<Loaded, ConfigError> {
    let err = |line: u32, column: u32, message: String| ConfigError {
        file: display.to_string(),
        line,
        column,
        message,
    };
    let opts = crate::source::LoadOptions::default();
    let (docs, problems) = crate::source::parse_str(0, text, &opts);
    if let Some(p) = problems.first() {
        return Err(err(p.position.line, p.position.column, p.message.clone()));
    }
    let Some(doc) = docs.into_iter().next() else {
        return Ok(Loaded {
            path: Some(display.to_string()),
            ..Loaded::default()
        });
    };
    if doc.value.is_null() {
        return Ok(Loaded {
            path: Some(display.to_string()),
            ..Loaded::default()
        });
    }
    let config: Config = match serde_path_to_error::deserialize(&doc.value) {
        Ok(c) => c,
        Err(e) => {
            let mut p = FieldPath::root();
            for seg in e.path().iter() {
                match seg {
                    serde_path_to_error::Segment::Seq { index } => p = p.index(*index),
                    serde_path_to_error::Segment::Map { key } => p = p.key(key),
                    _ => {}
                }
            }
            let inner = e.inner().to_string();
            // serde reports an unknown field at its parent: find the key itself for the line.
            let mut at = p.clone();
            if let Some(k) = inner
                .strip_prefix("unknown field `")
                .and_then(|r| r.split('`').next())
            {
                at = p.key(k);
            }
            let (pos, _) = doc.positions.resolve(&at);
            let what = if at.is_root() {
                String::new()
            } else {
                format!("{at}: ")
            };
            return Err(err(pos.line, pos.column, format!("{what}{inner}")));
        }
    };
    // Semantic checks that serde cannot do.
    for (id, sev) in &config.policies.severity {
        if Severity::parse(sev).is_none() {
            let (pos, _) = doc
                .positions
                .resolve(&FieldPath::root().key("policies").key("severity").key(id));
            return Err(err(
                pos.line,
                pos.column,
                format!("severity {sev:?} for {id} must be error, warning or info"),
            ));
        }
    }
    for (i, e) in config.exemptions.iter().enumerate() {
        if e.reason.trim().is_empty() {
            let (pos, _) = doc
                .positions
                .resolve(&FieldPath::root().key("exemptions").index(i));
            return Err(err(
                pos.line,
                pos.column,
                "an exemption needs a non-empty reason".into(),
            ));
        }
        if let Some(v) = &e.expires
            && parse_date(v).is_none()
        {
            let (pos, _) = doc
                .positions
                .resolve(&FieldPath::root().key("exemptions").index(i).key("expires"));
            return Err(err(
                pos.line,
                pos.column,
                format!("expires must be a date like 2027-03-31, found {v}"),
            ));
        }
    }
    for k in config.kubernetes.feature_gates.keys() {
        if k != "TaintTolerationComparisonOperators" {
            let (pos, _) = doc.positions.resolve(
                &FieldPath::root()
                    .key("kubernetes")
                    .key("featureGates")
                    .key(k),
            );
            return Err(err(
                pos.line,
                pos.column,
                format!(
                    "unknown feature gate {k:?}; placecheck models TaintTolerationComparisonOperators"
                ),
            ));
        }
    }
    for (i, a) in config.kubernetes.admission_plugins.iter().enumerate() {
        if a != "ExtendedResourceToleration" {
            let (pos, _) = doc.positions.resolve(
                &FieldPath::root()
                    .key("kubernetes")
                    .key("admissionPlugins")
                    .index(i),
            );
            return Err(err(
                pos.line,
                pos.column,
                format!(
                    "unknown admission plugin {a:?}; placecheck models ExtendedResourceToleration (RuntimeClass and DefaultTolerationSeconds are always on, as upstream)"
                ),
            ));
        }
    }
    Ok(Loaded {
        path: Some(display.to_string()),
        config,
        positions: Some(doc.positions.clone()),
    })
}

/// `2027-03-31` (a YAML date is a plain string here).
pub fn parse_date(v: &Value) -> Option<jiff::civil::Date> {
    v.as_str()?.trim().parse::<jiff::civil::Date>().ok()
}

/// A commented starter configuration (`placecheck init`).
pub const STARTER: &str = r#"# placecheck configuration. Every key is optional; unknown keys are an error.
# Documentation: docs/configuration.md

policies:
  # Policies to turn off entirely.
  disable: []
  # Change a policy's severity (error, warning, info).
  severity: {}
  #   gpu-node-not-tainted: error
  # Extra policy directories (Rego, one policy per file), loaded with the built-ins.
  paths: []

parameters:
  # Extended resources that are GPUs.
  gpuResources: [nvidia.com/gpu, amd.com/gpu]
  # Node labels that mark GPU nodes.
  gpuNodeLabels: [nvidia.com/gpu.present, cloud.google.com/gke-accelerator]
  # Model requirements (Server capabilities) that mean "needs a GPU".
  gpuCapabilities: [gpu, model-on-gpu]
  # Taint keys that mark dedicated node pools.
  dedicatedTaints: [dedicated]
  # Which Models are business-critical.
  criticalModels: {matchLabels: {placecheck.io/tier: critical}}
  # Namespace of the Seldon operator, where ServerConfigs live.
  seldonNamespace: seldon-mesh

kubernetes:
  # How the target cluster admits and schedules pods.
  featureGates: {TaintTolerationComparisonOperators: false}
  # e.g. [ExtendedResourceToleration] on GKE.
  admissionPlugins: []

exemptions: []
#  - policy: gpu-node-not-tainted
#    resources: [{kind: Node, name: "gpu-legacy-*"}]
#    reason: legacy pool being drained
#    expires: 2027-03-31
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starter_parses() {
        let c = parse("starter", STARTER).unwrap();
        assert!(c.config.policies.disable.is_empty());
        assert_eq!(c.config.parameters["seldonNamespace"], "seldon-mesh");
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let e = parse("c.yaml", "policies:\n  disable: []\n  disabel: [x]\n").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.message.contains("disabel"), "{e}");
        let e = parse("c.yaml", "exemption:\n- policy: x\n").unwrap_err();
        assert_eq!(e.line, 1, "{e}");
    }

    #[test]
    fn bad_severity_and_date() {
        let e = parse("c.yaml", "policies:\n  severity:\n    a: fatal\n").unwrap_err();
        assert_eq!(e.line, 3);
        let e = parse(
            "c.yaml",
            "exemptions:\n- policy: a\n  reason: r\n  expires: soon\n",
        )
        .unwrap_err();
        assert_eq!(e.line, 4);
    }
}
