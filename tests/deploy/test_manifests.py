"""The Kubernetes manifests under deploy/k8s, checked offline.

Each overlay is built by `build()` below, a loader for the few kustomize features the
manifests use (resources, components, namespace, images, replicas, JSON 6902 patches); it
refuses any other field, so a kustomization that outgrows it fails here rather than
building differently from `kubectl apply -k`. Every built object is then validated against
the Kubernetes JSON schemas (kubernetes-validate ships them), and the CloudNativePG
objects, which have no schema there, are checked field by field. When kubectl is on the
PATH, the loader's output is also compared with `kubectl kustomize`.

Every gRPC service with a package under services/ must have manifests (a Deployment,
Service, PodDisruptionBudget and migration Job in deploy/k8s/base/<service>.yaml, catalog's
shape with its own name and port), its database and role, a <SERVICE>_ADDR in the shared
ConfigMap, and its place in deploy/README.md's upgrade order.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from invariant_core import services
from invariant_core.db import create_engine
from invariant_core.settings import SERVICE_PORTS

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
OVERLAYS = ("production", "development")
# The oldest Kubernetes the manifests support (gRPC probes are GA from 1.27) and the newest
# whose schemas kubernetes-validate ships.
KUBERNETES_VERSIONS = ("1.30", "1.37")
# Custom resources: no built-in schema, checked by the CloudNativePG tests below.
CUSTOM_KINDS = {("postgresql.cnpg.io/v1", "Cluster"), ("postgresql.cnpg.io/v1", "Database")}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "IngressClass"}
REPLICATED_KINDS = {"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"}
# The gRPC services that exist: those installed as services (a package under services/ that
# declares its ServiceSpec; one that holds its domain only so far runs nowhere yet).
SERVICE_PACKAGES = sorted(services.installed())
# The model the other services' manifests copy.
MODEL_SERVICE = "catalog"
KUSTOMIZATION_FIELDS = {"apiVersion", "kind", "resources", "components", "namespace", "images", "replicas", "patches"}

Object = dict[str, Any]


# --- the loader -------------------------------------------------------------------------


def build(directory: Path, accumulated: list[Object] | None = None) -> list[Object]:
    """What `kustomize build directory` gives, for the subset of kustomize used here."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - KUSTOMIZATION_FIELDS
    assert not unknown, f"{directory}: the test's loader does not know {sorted(unknown)}"
    is_component = kustomization.get("kind", "Kustomization") == "Component"
    assert is_component == (accumulated is not None), f"{directory}: a Component is only used under components:"
    objects = list(accumulated or [])
    for entry in kustomization.get("resources", []):
        path = directory / entry
        objects += build(path) if path.is_dir() else [o for o in yaml.safe_load_all(path.read_text()) if o]
    for entry in kustomization.get("components", []):
        objects = build(directory / entry, objects)
    for patch in kustomization.get("patches", []):
        assert set(patch) == {"target", "patch"} and set(patch["target"]) == {"kind", "name"}, f"{directory}: {patch}"
        targets = [o for o in objects if _is(o, patch["target"]["kind"], patch["target"]["name"])]
        assert targets, f"{directory}: a patch matches nothing: {patch['target']}"
        for target in targets:
            for operation in yaml.safe_load(patch["patch"]):
                _apply_json_patch(target, operation)
    for image in kustomization.get("images", []):
        assert set(image) <= {"name", "newName", "newTag"}, f"{directory}: {image}"
        for container in (c for o in objects for c in _containers(o)):
            name = _image_name(container["image"])
            if name == image["name"]:
                tag = f":{image['newTag']}" if "newTag" in image else container["image"][len(name) :]
                container["image"] = image.get("newName", name) + tag
    for replicas in kustomization.get("replicas", []):
        assert set(replicas) == {"name", "count"}, f"{directory}: {replicas}"
        targets = [o for o in objects if o["kind"] in REPLICATED_KINDS and o["metadata"]["name"] == replicas["name"]]
        assert targets, f"{directory}: replicas names no workload: {replicas['name']}"
        for target in targets:
            target["spec"]["replicas"] = replicas["count"]
    if "namespace" in kustomization:
        for o in objects:
            if o["kind"] not in CLUSTER_SCOPED:
                o["metadata"]["namespace"] = kustomization["namespace"]
    return objects


def _is(o: Object, kind: str, name: str) -> bool:
    return bool(o["kind"] == kind and o["metadata"]["name"] == name)


def _apply_json_patch(target: Object, operation: Object) -> None:
    *parents, last = [p.replace("~1", "/").replace("~0", "~") for p in operation["path"].split("/")[1:]]
    node: Any = target
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = (len(node) if last == "-" else int(last)) if isinstance(node, list) else last
    match operation["op"]:
        case "replace":
            assert key in node if isinstance(node, dict) else key < len(node), f"nothing to replace at {operation}"
            node[key] = operation["value"]
        case "add" if isinstance(node, list):
            node.insert(key, operation["value"])
        case "add":
            node[key] = operation["value"]
        case "remove":
            del node[key]
        case other:
            raise AssertionError(f"the test's loader does not know the JSON patch op {other!r}")


def _image_name(image: str) -> str:
    name = image.split("@")[0]
    return name.rsplit(":", 1)[0] if ":" in name.rsplit("/", 1)[-1] else name


def _pod_spec(o: Object) -> Object | None:
    spec = o.get("spec", {})
    if o["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    template = spec.get("template", {})
    return template.get("spec") if isinstance(template, dict) and "containers" in template.get("spec", {}) else None


def _containers(o: Object) -> list[Object]:
    pod = _pod_spec(o)
    return [*pod.get("initContainers", []), *pod["containers"]] if pod else []


# --- helpers over a built overlay -------------------------------------------------------


@pytest.fixture(scope="module", params=OVERLAYS)
def objects(request: pytest.FixtureRequest) -> list[Object]:
    """Each overlay, built."""
    return build(K8S / "overlays" / request.param)


@pytest.fixture(scope="module")
def production() -> list[Object]:
    return build(K8S / "overlays" / "production")


@pytest.fixture(scope="module")
def development() -> list[Object]:
    return build(K8S / "overlays" / "development")


def of_kind(objects: list[Object], *kinds: str) -> list[Object]:
    return [o for o in objects if o["kind"] in kinds]


def named(objects: list[Object], kind: str, name: str) -> Object:
    found = [o for o in objects if _is(o, kind, name)]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def invariant_image(objects: list[Object]) -> str:
    """The repository of the suite's own image: the one the gateway runs."""
    return _image_name(_containers(named(objects, "Deployment", "gateway"))[0]["image"])


def suite_workloads(objects: list[Object]) -> list[Object]:
    """Deployments and Jobs that run the suite's image (not NATS, not PostgreSQL)."""
    repository = invariant_image(objects)
    return [
        o
        for o in of_kind(objects, "Deployment", "Job")
        if any(_image_name(c["image"]) == repository for c in _containers(o))
    ]


def services(objects: list[Object]) -> list[Object]:
    """The gRPC services' Deployments (catalog, stock, counting; later orders and quality)."""
    return [
        o
        for o in of_kind(objects, "Deployment")
        if o["metadata"]["labels"].get("app.kubernetes.io/component") == "service"
    ]


def environment(container: Object, objects: list[Object]) -> dict[str, str | None]:
    """The container's environment as the kubelet sets it: `env` over `envFrom`; None for a Secret's value."""
    result: dict[str, str | None] = {}
    for source in container.get("envFrom", []):
        assert "configMapRef" in source, f"{container['name']}: only ConfigMaps are read with envFrom"
        result.update(named(objects, "ConfigMap", source["configMapRef"]["name"])["data"])
    for variable in container.get("env", []):
        if "value" in variable:
            result[variable["name"]] = variable["value"]
        elif "configMapKeyRef" in variable["valueFrom"]:
            ref = variable["valueFrom"]["configMapKeyRef"]
            result[variable["name"]] = named(objects, "ConfigMap", ref["name"])["data"][ref["key"]]
        else:
            result[variable["name"]] = None
    return result


def replicas(deployment: Object, objects: list[Object]) -> int:
    """The replica count at rest: the autoscaler's minimum where one scales the Deployment."""
    for hpa in of_kind(objects, "HorizontalPodAutoscaler"):
        if hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]:
            return int(hpa["spec"]["minReplicas"])
    return int(deployment["spec"].get("replicas", 1))


def selects(selector: dict[str, str], o: Object) -> bool:
    labels = o["spec"]["template"]["metadata"]["labels"]
    return all(labels.get(key) == value for key, value in selector.items())


def grpc_port(deployment: Object, objects: list[Object]) -> int:
    """The port the service serves on: its GRPC_PORT."""
    (container,) = _containers(deployment)
    return int(environment(container, objects)["GRPC_PORT"] or 0)


def database_secret(container: Object) -> tuple[str, str]:
    """The Secret and key DATABASE_URL comes from."""
    (variable,) = [v for v in container.get("env", []) if v["name"] == "DATABASE_URL"]
    ref = variable.get("valueFrom", {}).get("secretKeyRef")
    assert ref, f"{container['name']}: DATABASE_URL is not read from a Secret"
    return ref["name"], ref["key"]


def peers(name: str) -> set[str]:
    """The services `name` calls: the gateway calls them all, a service those its code names."""
    if name == "gateway":
        return set(SERVICE_PACKAGES)
    code = "".join(path.read_text() for path in (ROOT / "services" / name / "src").rglob("*.py"))
    return set(re.findall(r"""peers\[["'](\w+)["']\]""", code)) - {name}


def secret_refs(objects: list[Object]) -> Iterator[tuple[str, str]]:
    for container in (c for o in objects for c in _containers(o)):
        for variable in container.get("env", []):
            ref = variable.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                yield ref["name"], ref["key"]


# --- the loader itself ------------------------------------------------------------------


@pytest.mark.skipif(not shutil.which(os.environ.get("KUBECTL", "kubectl")), reason="kubectl is not installed")
@pytest.mark.parametrize("name", OVERLAYS)
def test_the_loader_builds_what_kubectl_kustomize_builds(name: str) -> None:
    kubectl = os.environ.get("KUBECTL", "kubectl")
    built = subprocess.run([kubectl, "kustomize", str(K8S / "overlays" / name)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr

    def key(o: Object) -> str:
        return f"{o['kind']}/{o['metadata']['name']}"

    expected = sorted(yaml.safe_load_all(built.stdout), key=key)
    assert sorted(build(K8S / "overlays" / name), key=key) == expected


def test_the_loader_refuses_a_kustomize_field_it_does_not_implement(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\ncommonLabels: {a: b}\n"
    )
    with pytest.raises(AssertionError, match="commonLabels"):
        build(tmp_path)


# --- every overlay ----------------------------------------------------------------------


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_object_matches_the_kubernetes_schema(objects: list[Object], version: str) -> None:
    for o in objects:
        if (o["apiVersion"], o["kind"]) in CUSTOM_KINDS:
            continue
        try:
            kubernetes_validate.validate(o, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = "/".join(str(p) for p in error.path)
            pytest.fail(f"{o['kind']}/{o['metadata']['name']} at {path}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            pytest.fail(error.message)


def test_every_object_has_a_unique_kind_and_name(objects: list[Object]) -> None:
    keys = [(o["kind"], o["metadata"]["name"]) for o in objects]
    assert len(keys) == len(set(keys))


def test_every_long_running_pod_has_readiness_and_liveness_probes(objects: list[Object]) -> None:
    for o in of_kind(objects, "Deployment", "StatefulSet"):
        for container in _containers(o):
            assert "readinessProbe" in container, f"{o['metadata']['name']}: no readinessProbe"
            assert "livenessProbe" in container, f"{o['metadata']['name']}: no livenessProbe"


def test_every_service_package_has_manifests(objects: list[Object]) -> None:
    assert MODEL_SERVICE in SERVICE_PACKAGES
    assert set(SERVICE_PACKAGES) <= set(SERVICE_PORTS), "a service under services/ has no port in SERVICE_PORTS"
    assert sorted(d["metadata"]["name"] for d in services(objects)) == SERVICE_PACKAGES


def test_every_grpc_service_is_probed_by_grpc_health_on_the_port_it_serves(objects: list[Object]) -> None:
    assert services(objects), "no service Deployment found"
    for deployment in services(objects):
        name = deployment["metadata"]["name"]
        (container,) = _containers(deployment)
        port = grpc_port(deployment, objects)
        assert port == SERVICE_PORTS[name], f"{name}: GRPC_PORT {port}, not its port in SERVICE_PORTS"
        assert container["name"] == name
        assert container["ports"] == [{"name": "grpc", "containerPort": port}], name
        assert container["readinessProbe"]["grpc"]["port"] == port, name
        assert container["livenessProbe"]["grpc"]["port"] == port, name


def test_every_grpc_service_has_a_service_and_a_disruption_budget_for_its_pods(objects: list[Object]) -> None:
    for deployment in services(objects):
        name = deployment["metadata"]["name"]
        service = named(objects, "Service", name)
        assert selects(service["spec"]["selector"], deployment), f"Service {name} does not select its pods"
        assert service["spec"]["ports"] == [
            {"name": "grpc", "port": grpc_port(deployment, objects), "targetPort": "grpc", "appProtocol": "grpc"}
        ], name
        pdb = named(objects, "PodDisruptionBudget", name)
        assert selects(pdb["spec"]["selector"]["matchLabels"], deployment), f"PodDisruptionBudget {name}"
        others = [d for d in of_kind(objects, "Deployment") if d is not deployment]
        for selector in (service["spec"]["selector"], pdb["spec"]["selector"]["matchLabels"]):
            assert not any(selects(selector, other) for other in others), f"{name}'s selector takes other pods"


def test_every_peer_address_in_the_config_map_is_a_grpc_service_and_its_port(objects: list[Object]) -> None:
    data = named(objects, "ConfigMap", "invariant-config")["data"]
    addresses = {key.removesuffix("_ADDR").lower(): value for key, value in data.items() if key.endswith("_ADDR")}
    deployments = {d["metadata"]["name"]: d for d in services(objects)}
    assert set(addresses) == set(deployments), "one <SERVICE>_ADDR for each service Deployment, and no other"
    for name, address in addresses.items():
        host, _, port = address.rpartition(":")
        service = named(objects, "Service", host)
        assert selects(service["spec"]["selector"], deployments[name]), f"{address} is not {name}'s Service"
        assert int(port) in {p["port"] for p in service["spec"]["ports"]}, f"{address}: {host} has no such port"
        assert int(port) == grpc_port(deployments[name], objects), f"{address}: not the port {name} serves"


def test_every_container_requests_and_limits_cpu_and_memory(objects: list[Object]) -> None:
    for o in objects:
        for container in _containers(o):
            resources = container.get("resources", {})
            assert {"cpu", "memory"} <= set(resources.get("requests", {})), f"{o['metadata']['name']}: requests"
            assert {"cpu", "memory"} <= set(resources.get("limits", {})), f"{o['metadata']['name']}: limits"


def test_every_pod_runs_as_a_non_root_user_without_privilege_escalation(objects: list[Object]) -> None:
    for o in objects:
        pod = _pod_spec(o)
        if pod is None:
            continue
        assert pod.get("securityContext", {}).get("runAsNonRoot") is True, f"{o['metadata']['name']}: runAsNonRoot"
        assert pod["securityContext"].get("runAsUser", 0) > 0, f"{o['metadata']['name']}: runAsUser"
        for container in _containers(o):
            context = container.get("securityContext", {})
            assert context.get("allowPrivilegeEscalation") is False, f"{o['metadata']['name']}: privilege escalation"
            assert context.get("readOnlyRootFilesystem") is True, f"{o['metadata']['name']}: writable root"


def test_every_long_running_pod_has_time_to_drain_after_its_endpoint_is_removed(
    objects: list[Object],
) -> None:
    grpc_services = {o["metadata"]["name"] for o in services(objects)}
    for o in of_kind(objects, "Deployment", "StatefulSet"):
        name = o["metadata"]["name"]
        pod = _pod_spec(o)
        assert pod is not None and pod.get("terminationGracePeriodSeconds", 0) >= 20, name
        for container in _containers(o):
            if name in grpc_services:
                # The service drains by itself (DRAIN_SECONDS), within the pod's grace with room for
                # its own grace period and NATS's drain.
                drain = float(environment(container, objects).get("DRAIN_SECONDS") or 0)
                assert 0 < drain <= pod["terminationGracePeriodSeconds"] - 15, f"{name}: DRAIN_SECONDS {drain}"
                assert "lifecycle" not in container, f"{name}: a preStop would only delay the drain"
            else:
                assert "preStop" in container.get("lifecycle", {}), f"{name}: no preStop"


def test_every_suite_container_runs_the_same_image_repository(objects: list[Object]) -> None:
    repository = invariant_image(objects)
    for o in of_kind(objects, "Deployment", "Job"):
        for container in _containers(o):
            assert _image_name(container["image"]) == repository, f"{o['metadata']['name']}: {container['image']}"
            assert ":" in container["image"].rsplit("/", 1)[-1], f"{o['metadata']['name']}: the image has no tag"
            assert not container["image"].endswith(":latest"), f"{o['metadata']['name']}: a moving tag"


def test_every_service_has_its_database_secret_and_a_migration_job_for_the_same_database(
    objects: list[Object],
) -> None:
    for deployment in services(objects):
        name = deployment["metadata"]["name"]
        job = named(objects, "Job", f"{name}-migrate")
        assert job["metadata"]["labels"]["app.kubernetes.io/component"] == "migration", job["metadata"]["name"]
        (migrate,) = _containers(job)
        (serve,) = _containers(deployment)
        assert migrate["command"] == ["python", "-m", name, "migrate"]
        assert serve["command"] == ["python", "-m", name]
        assert database_secret(serve) == (f"{name}-database", "url"), name
        assert database_secret(migrate) == (f"{name}-database", "url"), job["metadata"]["name"]
    jobs = [j["metadata"]["name"] for j in of_kind(objects, "Job")]
    assert sorted(jobs) == sorted(f"{d['metadata']['name']}-migrate" for d in services(objects))


def test_every_service_file_is_the_model_service_s_with_its_own_name_and_port() -> None:
    """Three copies rather than a template: this keeps them from drifting apart."""
    model = (K8S / "base" / f"{MODEL_SERVICE}.yaml").read_text()
    resources = yaml.safe_load((K8S / "base" / "kustomization.yaml").read_text())["resources"]
    for name in SERVICE_PACKAGES:
        assert f"{name}.yaml" in resources, f"deploy/k8s/base/kustomization.yaml does not list {name}.yaml"
        expected = model.replace(MODEL_SERVICE, name).replace(
            str(SERVICE_PORTS[MODEL_SERVICE]), str(SERVICE_PORTS[name])
        )
        actual = (K8S / "base" / f"{name}.yaml").read_text()
        assert list(yaml.safe_load_all(actual)) == list(yaml.safe_load_all(expected)), (
            f"deploy/k8s/base/{name}.yaml is not {MODEL_SERVICE}.yaml with {name}'s name and port"
        )


def test_every_config_map_and_selector_refers_to_something_that_exists(objects: list[Object]) -> None:
    workloads = of_kind(objects, "Deployment", "StatefulSet")
    for o in objects:
        for container in _containers(o):
            environment(container, objects)
    for service in of_kind(objects, "Service"):
        pods = [w for w in workloads if selects(service["spec"]["selector"], w)]
        assert pods, f"Service {service['metadata']['name']} selects no pods"
        named_ports = {p["name"] for w in pods for c in _containers(w) for p in c.get("ports", [])}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in named_ports, f"Service {service['metadata']['name']}: {port['targetPort']}"
    for pdb in of_kind(objects, "PodDisruptionBudget"):
        assert any(selects(pdb["spec"]["selector"]["matchLabels"], w) for w in workloads), pdb["metadata"]["name"]
    for workload in workloads:
        assert selects(workload["spec"]["selector"]["matchLabels"], workload), workload["metadata"]["name"]
    for hpa in of_kind(objects, "HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]
        named(objects, target["kind"], target["name"])
    for ingress in of_kind(objects, "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                service = named(objects, "Service", backend["name"])
                assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}


def test_every_secret_the_pods_read_is_documented_in_the_readme(objects: list[Object]) -> None:
    readme = (DEPLOY / "README.md").read_text()
    refs = set(secret_refs(objects)) | {
        (role["passwordSecret"]["name"], "password")
        for cluster in of_kind(objects, "Cluster")
        for role in cluster["spec"]["managed"]["roles"]
    }
    assert refs
    for name, key in sorted(refs):
        assert f"`{name}`" in readme and f"`{key}`" in readme, f"deploy/README.md does not document {name}/{key}"


def test_the_readme_migrates_every_service_then_rolls_them_out_after_the_services_they_call(
    objects: list[Object],
) -> None:
    readme = (DEPLOY / "README.md").read_text()
    (cluster,) = of_kind(objects, "Cluster")

    def position(text: str) -> int:
        assert readme.count(text) == 1, f"deploy/README.md should say once: {text}"
        return readme.index(text)

    migrated = position("wait --for=condition=complete job -l app.kubernetes.io/component=migration")
    applied, rolled_out = {}, {}
    for name in sorted(d["metadata"]["name"] for d in services(objects)):
        url = f"postgresql+asyncpg://{name}:PASSWORD@{cluster['metadata']['name']}-rw:5432/{name}"
        assert f"`{url}`" in readme, f"deploy/README.md does not show {name}-database's URL"
        applied[name] = position(f"kubectl apply -k $OVERLAY -l app.kubernetes.io/name={name}\n")
        rolled_out[name] = position(f"rollout status deployment/{name} ")
        assert migrated < applied[name] < rolled_out[name], f"{name}: migrations, apply, rollout status"
    everything = position("kubectl apply -k $OVERLAY\n")
    rolled_out["gateway"] = position("rollout status deployment/gateway ")
    applied["gateway"] = everything
    assert max(rolled_out.values()) == rolled_out["gateway"]
    for name in rolled_out:
        for peer in peers(name):
            assert peer in rolled_out, f"{name} calls {peer}, which deploy/README.md does not roll out"
            assert rolled_out[peer] < applied[name], f"deploy/README.md rolls {name} out before {peer}, which it calls"


def test_no_secret_with_literal_data_is_committed(objects: list[Object]) -> None:
    assert of_kind(objects, "Secret") == []
    for path in DEPLOY.rglob("*.y*ml"):
        for document in yaml.safe_load_all(path.read_text()):
            if isinstance(document, dict) and document.get("kind") == "Secret":
                assert not document.get("data") and not document.get("stringData"), f"{path} holds a Secret's data"


def test_the_postgres_cluster_gives_each_service_its_own_database_and_role(objects: list[Object]) -> None:
    (cluster,) = of_kind(objects, "Cluster")
    assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
    assert isinstance(cluster["spec"]["instances"], int) and cluster["spec"]["instances"] >= 1
    assert cluster["spec"]["storage"]["size"]
    roles = {role["name"]: role for role in cluster["spec"]["managed"]["roles"]}
    for role in roles.values():
        assert role["ensure"] == "present" and role["login"] is True and role["passwordSecret"]["name"]
    databases = {d["spec"]["name"]: d for d in of_kind(objects, "Database")}
    names = sorted(d["metadata"]["name"] for d in services(objects))
    assert sorted(roles) == names and sorted(databases) == names, "one role and one database per service"
    for name in names:
        assert roles[name]["passwordSecret"]["name"] == f"{name}-db-credentials", name
        database = databases[name]
        assert database["apiVersion"] == "postgresql.cnpg.io/v1"
        assert database["metadata"]["name"] == f"{cluster['metadata']['name']}-{name}"
        assert database["metadata"]["labels"]["app.kubernetes.io/component"] == "database", name
        assert database["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
        assert database["spec"]["owner"] == name


def test_postgres_admits_every_service_replica_s_pool_with_one_more_pod_rolling_out(objects: list[Object]) -> None:
    (cluster,) = of_kind(objects, "Cluster")
    parameters = cluster["spec"]["postgresql"]["parameters"]
    admitted = (
        int(parameters["max_connections"])
        - int(parameters.get("superuser_reserved_connections", 3))
        - int(parameters.get("reserved_connections", 0))
    )
    pool = create_engine("postgresql+asyncpg://service@invariant-db-rw/service").pool
    per_replica = pool.size() + pool._max_overflow  # type: ignore[attr-defined]
    assert per_replica > 0
    needed = 0
    for deployment in services(objects):
        surge = deployment["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
        assert isinstance(surge, int), f"{deployment['metadata']['name']}: maxSurge as a number of pods"
        needed += (replicas(deployment, objects) + surge) * per_replica
    assert needed <= admitted, f"max_connections admits {admitted} service connections, the services may open {needed}"


def test_nats_runs_jetstream_on_its_own_volume_in_every_node(objects: list[Object]) -> None:
    nats = named(objects, "StatefulSet", "nats")
    headless = named(objects, "Service", nats["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    config = named(objects, "ConfigMap", "nats-config")["data"]["nats.conf"]
    assert "jetstream" in config and "store_dir: /data" in config
    for node in range(nats["spec"]["replicas"]):
        assert f"nats://nats-{node}.{headless['metadata']['name']}:6222" in config
    (claim,) = nats["spec"]["volumeClaimTemplates"]
    (container,) = _containers(nats)
    assert {"name": claim["metadata"]["name"], "mountPath": "/data"} in container["volumeMounts"]


# --- one overlay ------------------------------------------------------------------------


def test_production_runs_every_suite_pod_in_production_mode_without_migrating_on_start(
    production: list[Object],
) -> None:
    workloads = suite_workloads(production)
    assert {o["kind"] for o in workloads} == {"Deployment", "Job"}
    for o in workloads:
        for container in _containers(o):
            env = environment(container, production)
            assert env.get("ENVIRONMENT") == "production", o["metadata"]["name"]
            assert env.get("MIGRATE_ON_START") == "0", o["metadata"]["name"]


def test_production_runs_at_least_two_replicas_of_everything_and_three_nats_and_postgres_nodes(
    production: list[Object],
) -> None:
    for deployment in of_kind(production, "Deployment"):
        assert replicas(deployment, production) >= 2, deployment["metadata"]["name"]
    assert named(production, "StatefulSet", "nats")["spec"]["replicas"] == 3
    assert named(production, "Cluster", "invariant-db")["spec"]["instances"] >= 3


def test_production_does_not_run_the_development_image(production: list[Object], development: list[Object]) -> None:
    released = {c["image"] for o in suite_workloads(production) for c in _containers(o)}
    assert released.isdisjoint(c["image"] for o in suite_workloads(development) for c in _containers(o))


def test_development_runs_one_replica_of_each_suite_deployment(development: list[Object]) -> None:
    for deployment in of_kind(development, "Deployment"):
        assert replicas(deployment, development) == 1, deployment["metadata"]["name"]
