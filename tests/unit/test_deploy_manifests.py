"""The deployment files: Kubernetes manifests (deploy/k8s/) and docker-compose.yml.

Offline checks only: schema validation with kubernetes_validate, then the rules
the platform depends on (one Deployment, Service, HPA and PDB per service,
probes on /readyz and /healthz, the token key only from a Secret, one image).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
COMPOSE = ROOT / "docker-compose.yml"

# Oldest Kubernetes version the manifests must work on, and the newest schemas shipped.
K8S_VERSIONS = ("1.30", kubernetes_validate.latest_version())

JWT_ENV = "SEMPAPEL_JWT_SECRET"
JWT_SECRET_NAME = "sempapel-jwt"
CONFIGMAP_NAME = "sempapel-config"
PROBE_PORT = 8000


def _services() -> tuple[str, ...]:
    """The services `sempapel servico` runs (entry point group `sempapel.servicos`), read
    without importing nameko/eventlet."""
    from importlib.metadata import entry_points

    return tuple(sorted(ep.name for ep in entry_points(group="sempapel.servicos")))


SERVICES = _services()


def _manifest_files() -> list[Path]:
    return sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def _load_docs() -> list[tuple[str, dict[str, Any]]]:
    docs = []
    for path in _manifest_files():
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is not None:
                docs.append((path.name, doc))
    return docs


DOCS = _load_docs()


def _of_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for _, doc in DOCS if doc.get("kind") == kind]


def _id(item: tuple[str, dict[str, Any]]) -> str:
    name, doc = item
    return f"{name}:{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _deployment_for(service: str) -> dict[str, Any]:
    found = [
        d
        for d in _of_kind("Deployment")
        if any(
            c.get("command") == ["sempapel", "servico", service]
            for c in d["spec"]["template"]["spec"]["containers"]
        )
    ]
    assert len(found) == 1, f"expected one Deployment running `sempapel servico {service}`"
    return found[0]


def _pod_labels(deployment: dict[str, Any]) -> dict[str, str]:
    return deployment["spec"]["template"]["metadata"]["labels"]


def _walk(node: Any) -> Any:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _port_number(container: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    named = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    assert port in named, f"probe uses port {port!r}, not declared by the container"
    return named[port]


# (a) schema validation ------------------------------------------------------


def test_manifests_exist():
    assert _manifest_files(), "no manifests in deploy/k8s"
    assert DOCS


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("item", DOCS, ids=_id)
def test_manifest_is_valid_kubernetes(item: tuple[str, dict[str, Any]], version: str):
    _, doc = item
    # Raises ValidationError (invalid) or SchemaNotFoundError (unknown kind/apiVersion).
    validated = kubernetes_validate.validate(doc, version, strict=True)
    assert validated == kubernetes_validate.utils.major_minor(version)


def test_validator_rejects_a_broken_deployment():
    """Guards the check above: a misspelled field must not pass strict validation."""
    broken = copy.deepcopy(_deployment_for("gateway"))
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSIONS[0], strict=True)


def test_namespace_and_shared_objects():
    namespaces = [d["metadata"]["name"] for d in _of_kind("Namespace")]
    assert namespaces == ["sempapel"]
    for name, doc in DOCS:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == "sempapel", _id((name, doc))
    assert [d["metadata"]["name"] for d in _of_kind("ConfigMap")] == [CONFIGMAP_NAME]
    jobs = _of_kind("Job")
    assert [j["metadata"]["name"] for j in jobs] == ["sempapel-migrar"]
    (container,) = jobs[0]["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["sempapel", "migrar"]


# (b) one Deployment, Service, HPA and PDB per service --------------------------


def test_no_deployment_for_an_unknown_service():
    commands = sorted(
        tuple(c.get("command", ()))
        for d in _of_kind("Deployment")
        for c in d["spec"]["template"]["spec"]["containers"]
    )
    assert commands == sorted(("sempapel", "servico", s) for s in SERVICES)


def test_all_pods_use_one_image():
    images = {
        c["image"]
        for kind in ("Deployment", "Job")
        for d in _of_kind(kind)
        for c in d["spec"]["template"]["spec"]["containers"]
    }
    assert images == {"ghcr.io/sempapel/prefeitura-sem-papel:0.1.0"}


@pytest.mark.parametrize("service", SERVICES)
def test_deployment_probes_resources_and_security(service: str):
    deployment = _deployment_for(service)
    meta_labels = deployment["metadata"]["labels"]
    pod_labels = _pod_labels(deployment)
    for labels in (meta_labels, pod_labels):
        assert labels.get("app.kubernetes.io/name")
        assert labels.get("app.kubernetes.io/part-of") == "prefeitura-sem-papel"
    assert _selects(deployment["spec"]["selector"]["matchLabels"], pod_labels)

    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert PROBE_PORT in [p["containerPort"] for p in container["ports"]]

    readiness = container["readinessProbe"]["httpGet"]
    liveness = container["livenessProbe"]["httpGet"]
    assert readiness["path"] == "/readyz"
    assert liveness["path"] == "/healthz"
    assert _port_number(container, readiness["port"]) == PROBE_PORT
    assert _port_number(container, liveness["port"]) == PROBE_PORT

    resources = container["resources"]
    assert resources["requests"].get("cpu") and resources["requests"].get("memory")
    assert resources["limits"].get("cpu") and resources["limits"].get("memory")

    pod_sc = pod.get("securityContext", {})
    container_sc = container.get("securityContext", {})
    assert pod_sc.get("runAsNonRoot") is True or container_sc.get("runAsNonRoot") is True
    assert container_sc.get("allowPrivilegeEscalation") is False

    assert {"configMapRef": {"name": CONFIGMAP_NAME}} in container.get("envFrom", [])


@pytest.mark.parametrize("service", SERVICES)
def test_service_hpa_and_pdb_match_the_deployment(service: str):
    deployment = _deployment_for(service)
    name = deployment["metadata"]["name"]
    pod_labels = _pod_labels(deployment)
    other_pods = [_pod_labels(_deployment_for(s)) for s in SERVICES if s != service]

    services = [s for s in _of_kind("Service") if _selects(s["spec"]["selector"], pod_labels)]
    assert len(services) == 1, f"expected one Service selecting {name}'s pods"
    (svc,) = services
    assert not any(_selects(svc["spec"]["selector"], other) for other in other_pods)
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert [_port_number(container, p["targetPort"]) for p in svc["spec"]["ports"]] == [PROBE_PORT]

    hpas = [
        h
        for h in _of_kind("HorizontalPodAutoscaler")
        if h["spec"]["scaleTargetRef"]
        == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    ]
    assert len(hpas) == 1, f"expected one HPA targeting Deployment {name}"
    (hpa,) = hpas
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["minReplicas"] >= 2, "minAvailable 1 needs at least 2 replicas"
    assert hpa["spec"]["maxReplicas"] >= hpa["spec"]["minReplicas"]
    assert any(
        m["type"] == "Resource" and m["resource"]["name"] == "cpu" for m in hpa["spec"]["metrics"]
    )
    assert "replicas" not in deployment["spec"], "the HPA owns the replica count"

    pdbs = [
        p
        for p in _of_kind("PodDisruptionBudget")
        if _selects(p["spec"]["selector"]["matchLabels"], pod_labels)
    ]
    assert len(pdbs) == 1, f"expected one PDB selecting {name}'s pods"
    (pdb,) = pdbs
    assert pdb["apiVersion"] == "policy/v1"
    assert pdb["spec"]["minAvailable"] == 1
    assert not any(_selects(pdb["spec"]["selector"]["matchLabels"], o) for o in other_pods)


# (c) the token key only from a Secret -----------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_jwt_secret_comes_from_secret_key_ref(service: str):
    (container,) = _deployment_for(service)["spec"]["template"]["spec"]["containers"]
    entries = [e for e in container.get("env", []) if e["name"] == JWT_ENV]
    assert len(entries) == 1
    assert "value" not in entries[0]
    ref = entries[0]["valueFrom"]["secretKeyRef"]
    assert ref["name"] == JWT_SECRET_NAME and ref["key"]
    assert ref.get("optional") is not True, "a missing key must stop the pod, not start it"


def test_jwt_secret_never_has_a_literal_value():
    for name, doc in DOCS:
        assert doc["kind"] != "Secret", f"{name}: create Secrets with kubectl, do not ship them"
        for node in _walk(doc):
            if isinstance(node, dict) and node.get("name") == JWT_ENV:
                assert "value" not in node, f"{name}: literal {JWT_ENV}"
                assert "secretKeyRef" in node.get("valueFrom", {}), name
            if isinstance(node, dict) and doc["kind"] == "ConfigMap":
                assert JWT_ENV not in node, f"{name}: {JWT_ENV} in a ConfigMap"


def test_configmap_holds_no_credentials():
    (configmap,) = _of_kind("ConfigMap")
    for key, value in configmap["data"].items():
        assert isinstance(value, str)
        assert not re.search(r"://[^/@\s]*:[^/@\s]*@", value), f"{key} carries a password"


def test_compose_reads_jwt_secret_from_the_environment():
    compose = yaml.safe_load(COMPOSE.read_text())
    for name in SERVICES:
        value = compose["services"][name]["environment"][JWT_ENV]
        assert re.fullmatch(r"\$\{SEMPAPEL_JWT_SECRET:\?[^}]*\}", value), value


# (d) docker-compose.yml ------------------------------------------------------


def test_compose_has_infrastructure_and_every_service():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    assert {"rabbitmq", "postgres", "migrate", *SERVICES} <= set(services)
    assert services["rabbitmq"]["image"].startswith("rabbitmq:3")
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["postgres"]["environment"]["POSTGRES_DB"] == "sempapel"
    # Search runs on Solr (the production backend) from the shipped configset; documents on
    # any S3 store (s3rver here), never on MinIO-only features.
    assert services["solr"]["image"].startswith("solr:9")
    assert any("deploy/solr" in v for v in services["solr"]["volumes"])
    assert "minio" not in services


def test_compose_builds_one_image_for_all_services():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    built = [services[name] for name in (*SERVICES, "migrate")]
    contexts = {
        (s["build"] if isinstance(s["build"], str) else s["build"].get("context", "."))
        for s in built
    }
    assert contexts == {"."}
    assert len({s.get("image") for s in built}) == 1
    for name in SERVICES:
        assert services[name]["command"] == ["sempapel", "servico", name]
    assert services["migrate"]["command"] == ["sempapel", "piloto"]


def test_compose_waits_for_healthy_dependencies():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    for name in ("rabbitmq", "postgres"):
        assert services[name]["healthcheck"]["test"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in SERVICES:
        service = services[name]
        assert service["healthcheck"]["test"], name
        assert any("/readyz" in str(part) for part in service["healthcheck"]["test"]), name
        depends = service["depends_on"]
        assert depends["rabbitmq"]["condition"] == "service_healthy", name
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["migrate"]["condition"] == "service_completed_successfully", name


def test_compose_publishes_only_the_gateway_on_8000():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    published = [str(p) for p in services["gateway"].get("ports", [])]
    assert any(re.fullmatch(r"(?:[\d.]+:)?8000:8000(?:/tcp)?", p) for p in published), published
    for name in SERVICES:
        if name != "gateway":
            assert not services[name].get("ports"), f"{name} must not be published"


# (e) kustomization ----------------------------------------------------------


def test_kustomization_lists_every_manifest():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert kustomization["kind"] == "Kustomization"
    resources = kustomization["resources"]
    assert len(resources) == len(set(resources)), "a file is listed twice"
    assert set(resources) == {p.name for p in _manifest_files()}
    assert not list(K8S.glob("*.yml")), "use the .yaml extension so the checks see the file"
