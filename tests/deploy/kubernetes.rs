//! deploy/kubernetes/: what `kubectl apply -k` would create, checked without a cluster.
//!
//! The manifests once kept the quarantine (messages answered 250) on an `emptyDir`, lost
//! with the pod, and applied both a PodMonitor and a ServiceMonitor (every pod scraped
//! twice). These tests read the kustomization's resources and check every reference the API
//! server would not: ConfigMap names and keys, port names, probe paths against Moat's admin
//! routes, Service selectors, the monitor count, and the ConfigMap's configuration against
//! Moat's own parser.

use super::read;
use serde::Deserialize;
use yaml_serde::Value;

const DIR: &str = "deploy/kubernetes";
/// The admin listener's GET routes (src/admin/routes.rs).
const ADMIN_PATHS: [&str; 3] = ["/metrics", "/healthz", "/readyz"];

/// Every document of every resource file the kustomization lists.
fn resources() -> Vec<Value> {
    let kustomization: Value =
        yaml_serde::from_str(&read(&format!("{DIR}/kustomization.yaml"))).unwrap();
    let mut docs = Vec::new();
    for file in seq(&kustomization["resources"]) {
        let file = file.as_str().unwrap();
        docs.extend(documents(&read(&format!("{DIR}/{file}"))));
    }
    docs
}

fn documents(text: &str) -> Vec<Value> {
    yaml_serde::Deserializer::from_str(text)
        .map(|d| Value::deserialize(d).unwrap())
        .filter(|v| !v.is_null())
        .collect()
}

fn seq(v: &Value) -> Vec<Value> {
    v.as_sequence().cloned().unwrap_or_default()
}

fn str_of<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {v:?}"))
}

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

/// True when every `key: value` of `selector` is among `labels`.
fn selects(selector: &Value, labels: &Value) -> bool {
    let Some(map) = selector.as_mapping() else {
        return false;
    };
    !map.is_empty() && map.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// The one workload (StatefulSet or Deployment) running Moat.
fn workload(docs: &[Value]) -> &Value {
    let workloads: Vec<&Value> = docs
        .iter()
        .filter(|d| d["kind"] == "StatefulSet" || d["kind"] == "Deployment")
        .collect();
    assert_eq!(workloads.len(), 1, "one workload runs Moat");
    workloads[0]
}

fn container(workload: &Value) -> &Value {
    &workload["spec"]["template"]["spec"]["containers"][0]
}

/// The container port a probe or Service names (a name or a number), as a number.
fn port_number(container: &Value, port: &Value) -> u16 {
    if let Some(n) = port.as_u64() {
        return n as u16;
    }
    let name = str_of(port, "port");
    seq(&container["ports"])
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no container port named {name}"))["containerPort"]
        .as_u64()
        .unwrap() as u16
}

/// The configuration the pod runs: `--config` in the args, found as a key of a mounted
/// ConfigMap, parsed by Moat itself.
fn pod_config(docs: &[Value]) -> (String, moat::config::Config) {
    let w = workload(docs);
    let args: Vec<String> = seq(&container(w)["args"])
        .iter()
        .map(|a| str_of(a, "arg").to_string())
        .collect();
    let at = args.iter().position(|a| a == "--config").expect("--config");
    let path = &args[at + 1];
    let (dir, key) = path.rsplit_once('/').unwrap();
    let mount = seq(&container(w)["volumeMounts"])
        .into_iter()
        .find(|m| m["mountPath"] == dir)
        .unwrap_or_else(|| panic!("nothing is mounted at {dir}"));
    let volume = seq(&w["spec"]["template"]["spec"]["volumes"])
        .into_iter()
        .find(|v| v["name"] == mount["name"])
        .expect("the mount's volume");
    let map_name = str_of(&volume["configMap"]["name"], "configMap.name");
    let map = of_kind(docs, "ConfigMap")
        .into_iter()
        .find(|m| m["metadata"]["name"] == map_name)
        .unwrap_or_else(|| panic!("ConfigMap {map_name} is not among the resources"));
    let yaml = str_of(&map["data"][key], "ConfigMap key holding the configuration");
    let config = moat::config::Config::from_yaml(yaml, &format!("{map_name}/{key}"))
        .unwrap_or_else(|e| panic!("the ConfigMap's {key}: {e}"));
    (path.clone(), config)
}

#[test]
fn kubernetes_config_map_holds_a_valid_config_on_the_container_ports() {
    let docs = resources();
    let (_, config) = pod_config(&docs);
    let c = container(workload(&docs));
    let ports: Vec<u16> = seq(&c["ports"])
        .iter()
        .map(|p| p["containerPort"].as_u64().unwrap() as u16)
        .collect();
    let admin = config
        .admin
        .listen
        .expect("the probes need the admin listener");
    for addr in config.listen.iter().chain([&admin]) {
        assert!(
            addr.ip().is_unspecified(),
            "{addr}: the kubelet and Services reach the pod IP"
        );
        assert!(
            ports.contains(&addr.port()),
            "{addr} is not a container port {ports:?}"
        );
    }
}

#[test]
fn kubernetes_probes_ask_admin_paths_on_the_admin_port() {
    let docs = resources();
    let (_, config) = pod_config(&docs);
    let admin = config.admin.listen.unwrap().port();
    let c = container(workload(&docs));
    for probe in ["livenessProbe", "readinessProbe"] {
        let get = &c[probe]["httpGet"];
        let path = str_of(&get["path"], "probe path");
        assert!(ADMIN_PATHS.contains(&path), "{probe} asks {path}");
        assert_eq!(port_number(c, &get["port"]), admin, "{probe}'s port");
    }
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
}

/// Issue: the quarantine sat on an emptyDir. Every path Moat writes mail to (quarantine,
/// Maildir backend) lies under a mount backed by a claim, one claim per replica.
#[test]
fn kubernetes_quarantine_lives_on_a_persistent_volume_claim() {
    let docs = resources();
    let (_, config) = pod_config(&docs);
    let w = workload(&docs);
    let mut durable = vec![config.policy.quarantine.path.clone()];
    if let moat::config::BackendTarget::Maildir { path } = &config.backend.target {
        durable.push(path.clone());
    }
    let claims: Vec<String> = seq(&w["spec"]["volumeClaimTemplates"])
        .iter()
        .map(|t| str_of(&t["metadata"]["name"], "claim template name").to_string())
        .collect();
    let volumes = seq(&w["spec"]["template"]["spec"]["volumes"]);
    for path in durable {
        assert!(
            path.is_absolute(),
            "{}: relative to a read-only mount",
            path.display()
        );
        let mount = seq(&container(w)["volumeMounts"])
            .into_iter()
            .filter(|m| path.starts_with(str_of(&m["mountPath"], "mountPath")))
            .max_by_key(|m| m["mountPath"].as_str().unwrap().len())
            .unwrap_or_else(|| panic!("{} is on the container's own file system", path.display()));
        let name = str_of(&mount["name"], "mount name");
        assert!(mount["readOnly"] != true, "{name} is mounted read-only");
        let from_template = claims.iter().any(|c| c == name);
        let volume = volumes.iter().find(|v| v["name"] == name);
        let shared_claim = volume.is_some_and(|v| !v["persistentVolumeClaim"].is_null());
        assert!(
            from_template || shared_claim,
            "{} is on volume {name}, which is not a PersistentVolumeClaim: {volume:?}",
            path.display()
        );
        if shared_claim {
            // One claim for a whole Deployment: two pods would share one store.
            assert_eq!(
                w["spec"]["replicas"].as_u64(),
                Some(1),
                "one replica per claim"
            );
        } else {
            assert_eq!(
                w["kind"], "StatefulSet",
                "claim templates need a StatefulSet"
            );
        }
    }
    for v in volumes {
        assert!(v["emptyDir"].is_null(), "no state on an emptyDir: {v:?}");
    }
}

#[test]
fn kubernetes_services_select_the_pods_and_name_their_ports() {
    let docs = resources();
    let w = workload(&docs);
    let labels = &w["spec"]["template"]["metadata"]["labels"];
    assert!(selects(&w["spec"]["selector"]["matchLabels"], labels));
    let services = of_kind(&docs, "Service");
    for s in &services {
        let name = &s["metadata"]["name"];
        assert!(
            selects(&s["spec"]["selector"], labels),
            "Service {name:?} selects no pod"
        );
        for p in seq(&s["spec"]["ports"]) {
            port_number(container(w), &p["targetPort"]);
        }
    }
    if w["kind"] == "StatefulSet" {
        let governing = services
            .iter()
            .find(|s| s["metadata"]["name"] == w["spec"]["serviceName"])
            .expect("the StatefulSet's serviceName is a Service of the kustomization");
        assert_eq!(governing["spec"]["clusterIP"], "None", "a headless Service");
    }
}

/// Issue: kustomization.yaml applied the PodMonitor and the ServiceMonitor. Exactly one is
/// applied, and both files (the other is the documented alternative) point at a real port
/// and /metrics.
#[test]
fn kubernetes_applies_one_monitor_and_each_points_at_metrics() {
    let docs = resources();
    let monitors = of_kind(&docs, "PodMonitor").len() + of_kind(&docs, "ServiceMonitor").len();
    assert_eq!(
        monitors, 1,
        "apply the PodMonitor or the ServiceMonitor, not both"
    );

    let w = workload(&docs);
    let pod_labels = &w["spec"]["template"]["metadata"]["labels"];
    for m in documents(&read(&format!("{DIR}/podmonitor.yaml"))) {
        assert!(selects(&m["spec"]["selector"]["matchLabels"], pod_labels));
        for e in seq(&m["spec"]["podMetricsEndpoints"]) {
            port_number(container(w), &e["port"]);
            assert_eq!(e["path"], "/metrics");
        }
    }
    let services = of_kind(&docs, "Service");
    for m in documents(&read(&format!("{DIR}/servicemonitor.yaml"))) {
        let service = services
            .iter()
            .find(|s| {
                selects(
                    &m["spec"]["selector"]["matchLabels"],
                    &s["metadata"]["labels"],
                )
            })
            .expect("the ServiceMonitor selects a Service");
        for e in seq(&m["spec"]["endpoints"]) {
            let named = seq(&service["spec"]["ports"])
                .iter()
                .any(|p| p["name"] == e["port"]);
            assert!(named, "Service has no port {:?}", e["port"]);
            assert_eq!(e["path"], "/metrics");
        }
    }
}

/// Comments that promised features "once … lands" outlived the features' arrival.
#[test]
fn deploy_files_promise_nothing_that_already_landed() {
    for file in std::fs::read_dir(super::repo(DIR)).unwrap() {
        let path = file.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for stale in ["not implemented yet", "lands", "once the quarantine"] {
            assert!(!text.contains(stale), "{}: `{stale}`", path.display());
        }
    }
}
