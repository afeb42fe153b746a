//! The ServerConfigs a Helm install of Seldon Core 2 (v2.10.2) ships: `mlserver` and `triton`
//! (`k8s/helm-charts/seldon-core-v2-setup/templates/_components-statefulsets.tpl`, values
//! `serverConfig.*`; seldon.md §4).
//!
//! Why it exists: most clusters never export their ServerConfigs; a Server naming `mlserver` or
//! `triton` with no such object in the inventory gets these, so the capabilities, memory and
//! overcommit of the defaults apply.
//!
//! Must not: carry anything but the placement-relevant parts (containers with the agent env
//! and resources). Written here from the documented values; no upstream text is copied.
//! There are no tolerations, nodeSelector or affinity in the shipped configs.

use serde_json::{Value, json};

/// Names of the shipped ServerConfigs.
pub const SHIPPED_SERVER_CONFIGS: [&str; 2] = ["mlserver", "triton"];

/// Capability list of the shipped `mlserver` config (Helm `serverConfig.mlserver.serverCapabilities`).
pub const MLSERVER_CAPABILITIES: &str = "mlserver,alibi-detect,alibi-explain,huggingface,lightgbm,mlflow,python,sklearn,spark-mlib,xgboost";
/// Capability list of the shipped `triton` config (Helm `serverConfig.triton.serverCapabilities`).
pub const TRITON_CAPABILITIES: &str =
    "triton,dali,fil,onnx,openvino,python,pytorch,tensorflow,tensorrt";

/// Annotation marking the synthetic object.
pub const SYNTHETIC_ANNOTATION: &str = "placecheck.dev/synthetic";

/// A minimal equivalent of the Helm-installed ServerConfig `name` (`mlserver` or `triton`), or
/// `None` for any other name.
pub fn shipped_server_config(name: &str) -> Option<Value> {
    let caps = match name {
        "mlserver" => MLSERVER_CAPABILITIES,
        "triton" => TRITON_CAPABILITIES,
        _ => return None,
    };
    let mut inference = json!({
        "name": name,
        "resources": {
            "requests": {"cpu": "100m", "memory": "1Gi"},
            "limits": {"memory": "1Gi"}
        }
    });
    if name == "mlserver" {
        inference["env"] = json!([{"name": "MLSERVER_PARALLEL_WORKERS", "value": "1"}]);
    }
    Some(json!({
        "apiVersion": "mlops.seldon.io/v1alpha1",
        "kind": "ServerConfig",
        "metadata": {
            "name": name,
            "annotations": {
                SYNTHETIC_ANNOTATION: "Helm default of Seldon Core 2 v2.10.2 (seldon-core-v2-setup)"
            }
        },
        "spec": {
            "podSpec": {
                "terminationGracePeriodSeconds": 120,
                "serviceAccountName": "seldon-server",
                "containers": [
                    {
                        "name": "rclone",
                        "resources": {
                            "requests": {"cpu": "50m", "memory": "128Mi"},
                            "limits": {"memory": "256Mi"}
                        }
                    },
                    {
                        "name": "agent",
                        "env": [
                            {"name": "SELDON_SERVER_CAPABILITIES", "value": caps},
                            {"name": "SELDON_OVERCOMMIT_PERCENTAGE", "value": "10"},
                            {"name": "MEMORY_REQUEST", "valueFrom": {"resourceFieldRef": {
                                "containerName": name, "resource": "requests.memory"
                            }}}
                        ],
                        "resources": {
                            "requests": {"cpu": "200m", "memory": "1Gi"},
                            "limits": {"memory": "1Gi"}
                        }
                    },
                    inference
                ]
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seldon::server::effective_server;

    // k8s/helm-charts/seldon-core-v2-setup/templates/_components-statefulsets.tpl (mlserver/triton ServerConfigs)
    #[test]
    fn shipped_configs_give_documented_server() {
        assert!(shipped_server_config("custom").is_none());
        let server =
            json!({"metadata": {"name": "mlserver"}, "spec": {"serverConfig": "mlserver"}});
        let e = effective_server(&server, shipped_server_config("mlserver").as_ref(), &[]);
        assert_eq!(e.capability_names().len(), 10);
        assert!(e.capability_names().contains(&"alibi-explain".to_string()));
        assert_eq!(e.memory_bytes, Some(1 << 30));
        assert_eq!(e.overcommit_percent, 10);
        assert_eq!(e.capacity_bytes, Some(1_181_116_008));
        assert_eq!(e.inference_container.as_deref(), Some("mlserver"));

        let server = json!({"metadata": {"name": "triton"}, "spec": {"serverConfig": "triton"}});
        let e = effective_server(&server, shipped_server_config("triton").as_ref(), &[]);
        assert_eq!(e.capability_names()[0], "triton");
        assert!(!e.capability_names().contains(&"alibi-explain".to_string()));
        assert_eq!(e.inference_container.as_deref(), Some("triton"));
        let pod = &e.pod_spec.value;
        assert!(pod.get("tolerations").is_none() && pod.get("nodeSelector").is_none());
    }
}
