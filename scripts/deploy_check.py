"""`make deploy-check`: render deploy/k8s (the base and every overlay) and validate it.

Rendering uses `kubectl kustomize` (or `kustomize build`) where present; otherwise a small
renderer here that follows `resources`, `configMapGenerator` files and `namespace` (it skips
patches, name suffixes and labels, so it checks the manifests, not an overlay's changes).
Every rendered object is validated against the Kubernetes schemas (kubernetes-validate,
strict: unknown fields fail), then the platform's own rules are checked: a three-node NATS
StatefulSet with anti-affinity and persistent volumes, readiness on /readyz, a
PodDisruptionBudget for every workload, R3 streams, and the NATS config that tests run.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30.0"


def kustomizations() -> list[Path]:
    """The base and each overlay."""
    return [K8S, *sorted(p.parent for p in (K8S / "overlays").glob("*/kustomization.yaml"))]


def render(folder: Path) -> list[dict[str, Any]]:
    """The objects `folder`'s kustomization produces."""
    if shutil.which("kubectl"):
        command = ["kubectl", "kustomize", str(folder)]
    elif shutil.which("kustomize"):
        command = ["kustomize", "build", str(folder)]
    else:
        return render_in_python(folder)
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return [doc for doc in yaml.safe_load_all(output) if doc]


def render_in_python(folder: Path, namespace: str | None = None) -> list[dict[str, Any]]:
    """Fallback renderer: resources, generated ConfigMaps and the namespace."""
    spec = yaml.safe_load((folder / "kustomization.yaml").read_text())
    namespace = spec.get("namespace", namespace)
    objects: list[dict[str, Any]] = []
    for resource in spec.get("resources", []):
        path = folder / resource
        if path.is_dir():
            objects += render_in_python(path, namespace)
        else:
            objects += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    for generator in spec.get("configMapGenerator", []):
        files = {Path(f).name: (folder / f).read_text() for f in generator.get("files", [])}
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": generator["name"]},
                "data": files,
            }
        )
    if namespace:
        for obj in objects:
            if obj.get("kind") != "Namespace":
                obj.setdefault("metadata", {})["namespace"] = namespace
    return objects


def validate(objects: list[dict[str, Any]]) -> list[str]:
    """Schema errors, one line each."""
    errors = []
    for obj in objects:
        name = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{name}: {exc.message}")
    return errors


def platform_rules(objects: list[dict[str, Any]]) -> list[str]:
    """What deploy/README.md promises about the base."""
    problems = []
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for obj in objects:
        by_kind.setdefault(obj["kind"], []).append(obj)
    nats = [s for s in by_kind.get("StatefulSet", []) if s["metadata"]["name"] == "nats"]
    if len(nats) != 1:
        return ["no NATS StatefulSet"]
    spec = nats[0]["spec"]
    pod = spec["template"]["spec"]
    if spec.get("replicas") != 3:
        problems.append("NATS must run three replicas")
    anti = pod.get("affinity", {}).get("podAntiAffinity", {})
    if not anti.get("requiredDuringSchedulingIgnoredDuringExecution"):
        problems.append("NATS pods need required anti-affinity (one per node)")
    if not spec.get("volumeClaimTemplates"):
        problems.append("NATS JetStream needs persistent volumes")
    workloads = by_kind.get("Deployment", []) + nats
    budgets = [b["spec"]["selector"]["matchLabels"] for b in by_kind.get("PodDisruptionBudget", [])]
    for workload in workloads:
        labels = workload["spec"]["template"]["metadata"]["labels"]
        if not any(all(labels.get(k) == v for k, v in sel.items()) for sel in budgets):
            problems.append(f"{workload['metadata']['name']}: no PodDisruptionBudget")
    for deployment in by_kind.get("Deployment", []):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            path = container.get("readinessProbe", {}).get("httpGet", {}).get("path")
            if path != "/readyz":
                problems.append(f"{deployment['metadata']['name']}: readiness is not /readyz")
    config = next(
        (c for c in by_kind.get("ConfigMap", []) if c["metadata"]["name"] == "grassroots-config"),
        None,
    )
    if config is None or config["data"].get("GR_NATS_STREAM_REPLICAS") != "3":
        problems.append("grassroots-config must set GR_NATS_STREAM_REPLICAS=3")
    return problems


def same_nats_config() -> list[str]:
    """deploy/k8s/nats/nats-server.conf is a copy of the file the tests run."""
    tested = (ROOT / "deploy" / "nats" / "nats-server.conf").read_bytes()
    copy = (K8S / "nats" / "nats-server.conf").read_bytes()
    return [] if tested == copy else ["deploy/k8s/nats/nats-server.conf differs from deploy/nats/"]


def main() -> int:
    """Render, validate, check; print one line per kustomization; non-zero on any problem."""
    failures = same_nats_config()
    for folder in kustomizations():
        objects = render(folder)
        problems = validate(objects)
        if folder == K8S:
            problems += platform_rules(objects)
        label = folder.relative_to(ROOT)
        print(f"[deploy-check] {label}: {len(objects)} objects, {len(problems)} problems")
        failures += [f"{label}: {p}" for p in problems]
    for failure in failures:
        print(f"[deploy-check] {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
