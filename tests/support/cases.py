"""The answer sets generated projects are tested with, shared by the template and docs tests.

REPRESENTATIVE sets are installed and run (`make ci`, training, serving) by default;
STATIC_ONLY sets are rendered and checked without installing; MATRIX is every task,
Python version and licence, installed only under `pytest -m slow`.
"""

from __future__ import annotations

import itertools

REPRESENTATIVE: dict[str, dict[str, str]] = {
    "defaults": {},
    "regression-unusual-name-py313-apache": {
        "ml_task": "regression",
        "project_name": "Fraud Detection 2 (EU)",
        "python_version": "3.13",
        "license": "Apache-2.0",
        "author_name": "Zoë O'Brien & Co.",
    },
    "classification-py311-proprietary-own-package": {
        "project_name": "Churn Model",
        "package_name": "churn_v2",
        "python_version": "3.11",
        "license": "Proprietary",
        "description": 'Scores churn risk: "high", "low" & more',
        "author_name": "Acme Corp.",
    },
    # Data in S3 (its tests run against moto's S3 server) and versioned with DVC.
    "aws-dvc": {"cloud": "aws", "data_versioning": "dvc"},
}
# Rendered and linted only: names at the length limits must still give ruff-clean code.
STATIC_ONLY: dict[str, dict[str, str]] = {
    "longest-names": {
        "project_name": "Customer Lifetime Value Forecast Service Europe",
        "project_slug": "customer-lifetime-value-forecast-service-europe1",
        "package_name": "customer_lifetime_value_forecast_service_europe1",
    },
    # Infrastructure answers are separate cases, not multiplied into the matrix:
    # tests/template/test_infra.py and tests/template/test_k8s.py validate what they generate.
    "cloud-aws": {"cloud": "aws"},
    "cloud-gcp-kubernetes": {"cloud": "gcp", "deploy_target": "kubernetes"},
    "cloud-azure": {"cloud": "azure"},
    # The ray engine alone, and with its KubeRay RayJob (tests/template/test_ray.py).
    "engine-ray": {"engine": "ray"},
    "engine-ray-regression-cloud-azure-kubernetes": {
        "engine": "ray",
        "ml_task": "regression",
        "cloud": "azure",
        "deploy_target": "kubernetes",
    },
    # DVC's remote differs per cloud: a local directory, a GCS bucket, an Azure container.
    "dvc-local": {"data_versioning": "dvc"},
    "dvc-gcp": {"cloud": "gcp", "data_versioning": "dvc"},
    "dvc-azure-kubernetes": {
        "cloud": "azure",
        "deploy_target": "kubernetes",
        "data_versioning": "dvc",
    },
    "cloud-aws-kubernetes-longest-names": {
        "cloud": "aws",
        "deploy_target": "kubernetes",
        "project_name": "Customer Lifetime Value Forecast Service Europe",
        "project_slug": "customer-lifetime-value-forecast-service-europe1",
        "package_name": "customer_lifetime_value_forecast_service_europe1",
    },
}
MATRIX: dict[str, dict[str, str]] = {
    f"{task}-py{py.replace('.', '')}-{lic}": {
        "ml_task": task,
        "python_version": py,
        "license": lic,
    }
    for task, py, lic in itertools.product(
        ("classification", "regression"),
        ("3.11", "3.12", "3.13"),
        ("MIT", "Apache-2.0", "BSD-3-Clause", "Proprietary"),
    )
}
ALL_CASES = {**REPRESENTATIVE, **STATIC_ONLY, **MATRIX}
