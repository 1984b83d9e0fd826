"""The Terraform a generated project carries for its cloud (infra/terraform).

For one representative project per cloud:
- `terraform fmt -check -recursive` is clean;
- structural assertions with python-hcl2: the artefact bucket is versioned, encrypted and
  behind a public access block, the CI role trusts only the repository's OIDC tokens, no
  access key or IAM user exists anywhere, variables and outputs are described,
  `github_repository` has no default;
- checkov (terraform framework, `--skip-download`, from its own venv in `.tools/checkov`,
  which .ci/run creates) finds no failed check, and every skip gives a reason;
- AWS only: `terraform init -backend=false -plugin-dir=<local mirror>` + `terraform validate`
  for the module and both environments, never touching the network.

A validator that is missing skips its test with the reason; it never passes silently.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.generated import REPO_ROOT
from tests.support.validators import checkov
from tests.support.infra_project import infra_project

hcl2 = pytest.importorskip("hcl2", reason="python-hcl2 is not installed (pip install -e .[dev])")

# One representative project per cloud the template offers.
CLOUDS = ("aws", "gcp", "azure")
PROVIDERS = {
    "aws": ("hashicorp/aws", "~> 5.0"),
    "gcp": ("hashicorp/google", "~> 6.0"),
    "azure": ("hashicorp/azurerm", "~> 4.0"),
}
BACKENDS = {"aws": "s3", "gcp": "gcs", "azure": "azurerm"}
TERRAFORM_DIRS = ("modules/ml_service", "envs/staging", "envs/prod")
# The image's local mirror of the hashicorp/aws provider (see docs/infrastructure.md).
PLUGIN_DIR = Path(os.environ.get("FORGEML_TF_PLUGIN_DIR", "/opt/tf-plugins"))
AWS_MIRROR = PLUGIN_DIR / "registry.terraform.io" / "hashicorp" / "aws"
DOCUMENTED_SKIPS = {
    "aws": {
        "CKV_AWS_109",
        "CKV_AWS_111",
        "CKV_AWS_356",
        "CKV_AWS_144",
        "CKV_AWS_18",
        "CKV2_AWS_62",
        "CKV2_AWS_5",
    },
    "gcp": {"CKV_GCP_62", "CKV_GCP_125"},
    "azure": {
        "CKV2_AZURE_1",
        "CKV2_AZURE_21",
        "CKV2_AZURE_33",
        "CKV_AZURE_139",
        "CKV_AZURE_164",
        "CKV_AZURE_165",
        "CKV_AZURE_166",
        "CKV_AZURE_33",
        "CKV_AZURE_35",
        "CKV_AZURE_59",
    },
}
# checkov has far fewer GCP checks for these resources than AWS ones.
MIN_PASSED = {"aws": 100, "gcp": 10, "azure": 10}
SKIP_COMMENT = re.compile(r"#\s*checkov:skip=(CKV\w+)(?::(.*))?")


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {cloud: infra_project(tmp_path_factory, cloud) for cloud in CLOUDS}


def _terraform_root(project: Path) -> Path:
    return project / "infra" / "terraform"


def _plain(value: Any) -> Any:
    """python-hcl2 8 keeps the quotes of string literals and keys and adds markers
    (`__is_block__`, `__comments__`): strip them, so values compare as Terraform means them."""
    if isinstance(value, dict):
        return {
            _plain(key): _plain(item)
            for key, item in value.items()
            if key not in {"__is_block__", "__comments__"}
        }
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _load_file(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return _plain(hcl2.load(handle))


def _load(directory: Path) -> dict[str, list[dict[str, Any]]]:
    """Every top-level block of the .tf files of one directory, by block type."""
    blocks: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(directory.glob("*.tf")):
        for kind, entries in _load_file(path).items():
            blocks.setdefault(kind, []).extend(entries)
    return blocks


def _named(blocks: dict[str, list[dict[str, Any]]], kind: str, type_: str) -> dict[str, Any]:
    """{name: body} of the resources (or data sources) of one type."""
    found: dict[str, Any] = {}
    for entry in blocks.get(kind, []):
        for key, named in entry.items():
            if key == type_:
                found.update(named)
    return found


def _text(value: Any) -> str:
    return json.dumps(value)


def _terraform_env(tmp_path: Path) -> dict[str, str]:
    # An empty CLI configuration: no credentials helper, no network mirror, no cache.
    config = tmp_path / "terraform.rc"
    config.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    env |= {"TF_CLI_CONFIG_FILE": str(config), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    return env


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert completed.returncode == 0, (
        f"{' '.join(argv)} exited {completed.returncode} in {cwd}\n"
        f"--- stdout ---\n{completed.stdout[-6000:]}\n--- stderr ---\n{completed.stderr[-6000:]}"
    )
    return completed


@pytest.mark.parametrize("case", CLOUDS)
def test_terraform_fmt_is_clean(projects: dict[str, Path], case: str, tmp_path: Path) -> None:
    if shutil.which("terraform") is None:
        pytest.skip("terraform is not installed: cannot check `terraform fmt`")
    root = _terraform_root(projects[case])
    _run(["terraform", "fmt", "-check", "-recursive", "-diff"], root, _terraform_env(tmp_path))


@pytest.mark.parametrize("case", CLOUDS)
def test_versions_pin_terraform_and_the_provider(projects: dict[str, Path], case: str) -> None:
    for directory in TERRAFORM_DIRS:
        blocks = _load(_terraform_root(projects[case]) / directory)["terraform"]
        (terraform,) = [block for block in blocks if "required_version" in block]
        assert terraform["required_version"].startswith(">= 1.10"), directory
        (providers,) = terraform["required_providers"]
        ((source, version),) = [(p["source"], p["version"]) for p in providers.values()]
        assert (source, version) == PROVIDERS[case], directory


@pytest.mark.parametrize("case", CLOUDS)
def test_variables_and_outputs_are_described(projects: dict[str, Path], case: str) -> None:
    for directory in TERRAFORM_DIRS:
        blocks = _load(_terraform_root(projects[case]) / directory)
        variables = {k: v for entry in blocks["variable"] for k, v in entry.items()}
        outputs = {k: v for entry in blocks["output"] for k, v in entry.items()}
        assert variables
        assert outputs
        for name, body in {**variables, **outputs}.items():
            assert len(body.get("description", "")) > 10, f"{directory}: {name}"
        # The CI role must trust exactly one repository: no default to forget to change.
        assert "default" not in variables["github_repository"], directory
        assert variables["github_repository"]["validation"], directory


@pytest.mark.parametrize("case", CLOUDS)
def test_envs_use_a_remote_state_backend(projects: dict[str, Path], case: str) -> None:
    for env in ("staging", "prod"):
        blocks = _load(_terraform_root(projects[case]) / "envs" / env)
        backends = [b for t in blocks["terraform"] for b in t.get("backend", [])]
        assert len(backends) == 1
        assert set(backends[0]) == {BACKENDS[case]}, backends
        backend = backends[0][BACKENDS[case]]
        if case == "aws":
            assert backend["key"] == f"{env}/terraform.tfstate"
            assert backend["encrypt"] is True
            assert backend["use_lockfile"] is True
        elif case == "gcp":
            assert backend["prefix"] == env
        else:
            assert backend["key"] == f"{env}.terraform.tfstate"
            assert backend["use_azuread_auth"] is True


def test_aws_artefact_bucket_is_versioned_encrypted_and_private(
    projects: dict[str, Path],
) -> None:
    blocks = _load(_terraform_root(projects["aws"]) / "modules" / "ml_service")
    buckets = _named(blocks, "resource", "aws_s3_bucket")
    assert set(buckets) == {"artefacts"}
    ref = "aws_s3_bucket.artefacts.id"

    (versioning,) = _named(blocks, "resource", "aws_s3_bucket_versioning").values()
    assert ref in versioning["bucket"]
    assert versioning["versioning_configuration"][0]["status"] == "Enabled"

    (sse,) = _named(
        blocks, "resource", "aws_s3_bucket_server_side_encryption_configuration"
    ).values()
    assert ref in sse["bucket"]
    default = sse["rule"][0]["apply_server_side_encryption_by_default"][0]
    assert default["sse_algorithm"] == "aws:kms"
    assert "aws_kms_key" in default["kms_master_key_id"]

    (block,) = _named(blocks, "resource", "aws_s3_bucket_public_access_block").values()
    assert ref in block["bucket"]
    for setting in (
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    ):
        assert block[setting] is True, setting

    keys = list(_named(blocks, "resource", "aws_kms_key").values())
    assert keys
    assert all(key["enable_key_rotation"] is True for key in keys)
    for log_group in _named(blocks, "resource", "aws_cloudwatch_log_group").values():
        assert "aws_kms_key" in log_group["kms_key_id"]
    # The service's images and the training image CT pushes (scripts/ct-job.sh).
    registries = _named(blocks, "resource", "aws_ecr_repository")
    assert set(registries) == {"service", "training"}
    for registry in registries.values():
        assert registry["image_tag_mutability"] == "IMMUTABLE"
        assert registry["encryption_configuration"][0]["encryption_type"] == "KMS"
        assert registry["image_scanning_configuration"][0]["scan_on_push"] is True
    assert set(_named(blocks, "resource", "aws_ecr_lifecycle_policy")) == set(registries)


def test_gcp_artefact_bucket_is_versioned_encrypted_and_private(
    projects: dict[str, Path],
) -> None:
    blocks = _load(_terraform_root(projects["gcp"]) / "modules" / "ml_service")
    buckets = _named(blocks, "resource", "google_storage_bucket")
    assert set(buckets) == {"artefacts"}
    bucket = buckets["artefacts"]
    assert bucket["versioning"][0]["enabled"] is True
    assert "google_kms_crypto_key" in bucket["encryption"][0]["default_kms_key_name"]
    assert bucket["public_access_prevention"] == "enforced"
    assert bucket["uniform_bucket_level_access"] is True
    members = _named(blocks, "resource", "google_storage_bucket_iam_member").values()
    assert members
    assert all(m["member"].startswith("serviceAccount:") for m in members), "never allUsers"

    (key,) = _named(blocks, "resource", "google_kms_crypto_key").values()
    assert key["rotation_period"]
    (registry,) = _named(blocks, "resource", "google_artifact_registry_repository").values()
    assert registry["docker_config"][0]["immutable_tags"] is True
    assert "google_kms_crypto_key" in registry["kms_key_name"]


def test_azure_artefact_storage_is_versioned_encrypted_and_private(
    projects: dict[str, Path],
) -> None:
    blocks = _load(_terraform_root(projects["azure"]) / "modules" / "ml_service")
    (account,) = _named(blocks, "resource", "azurerm_storage_account").values()
    assert account["blob_properties"][0]["versioning_enabled"] is True
    # Always encrypted at rest (Microsoft-managed keys); plus infrastructure encryption.
    assert account["infrastructure_encryption_enabled"] is True
    assert account["allow_nested_items_to_be_public"] is False
    assert account["shared_access_key_enabled"] is False, "Entra ID only, no account keys"
    assert account["min_tls_version"] == "TLS1_2"
    (container,) = _named(blocks, "resource", "azurerm_storage_container").values()
    assert container["container_access_type"] == "private"
    (registry,) = _named(blocks, "resource", "azurerm_container_registry").values()
    assert registry["admin_enabled"] is False
    assert registry["anonymous_pull_enabled"] is False


def test_azure_ci_identity_trusts_only_this_repository_through_oidc(
    projects: dict[str, Path],
) -> None:
    blocks = _load(_terraform_root(projects["azure"]) / "modules" / "ml_service")
    (credential,) = _named(blocks, "resource", "azurerm_federated_identity_credential").values()
    assert credential["issuer"] == "https://token.actions.githubusercontent.com"
    assert credential["audience"] == ["api://AzureADTokenExchange"]
    # One credential per subject: Entra ID matches subjects exactly, no wildcards.
    assert credential["for_each"] == "${local.github_subjects}"
    assert credential["subject"] == "${each.value}"
    assert "azurerm_user_assigned_identity.ci.id" in credential["parent_id"]


def test_aws_ci_role_trusts_only_this_repository_through_oidc(
    projects: dict[str, Path],
) -> None:
    blocks = _load(_terraform_root(projects["aws"]) / "modules" / "ml_service")
    locals_ = {k: v for entry in blocks["locals"] for k, v in entry.items()}
    assert locals_["github_oidc_url"] == "token.actions.githubusercontent.com"

    trust = _named(blocks, "data", "aws_iam_policy_document")["ci_trust"]
    (statement,) = trust["statement"]
    assert statement["actions"] == ["sts:AssumeRoleWithWebIdentity"]
    assert statement["principals"][0]["type"] == "Federated"
    conditions = {c["variable"]: c for c in statement["condition"]}
    sub = conditions["${local.github_oidc_url}:sub"]
    # StringEquals, not StringLike: no wildcard can widen the trust to other repositories.
    assert sub["test"] == "StringEquals"
    assert sub["values"] == "${values(local.github_subjects)}"
    assert conditions["${local.github_oidc_url}:aud"]["values"] == ["sts.amazonaws.com"]

    role = _named(blocks, "resource", "aws_iam_role")["ci"]
    assert "ci_trust" in role["assume_role_policy"]


def test_gcp_ci_identity_trusts_only_this_repository_through_oidc(
    projects: dict[str, Path],
) -> None:
    blocks = _load(_terraform_root(projects["gcp"]) / "modules" / "ml_service")
    (provider,) = _named(blocks, "resource", "google_iam_workload_identity_pool_provider").values()
    assert provider["oidc"][0]["issuer_uri"] == "https://token.actions.githubusercontent.com"
    assert provider["attribute_mapping"]["google.subject"] == "assertion.sub"
    # The provider itself rejects tokens of any other repository or environment.
    condition = provider["attribute_condition"]
    assert condition == "assertion.sub in ${jsonencode(values(local.github_subjects))}"

    bindings = _named(blocks, "resource", "google_service_account_iam_member")
    binding = bindings["ci_workload_identity"]
    assert binding["role"] == "roles/iam.workloadIdentityUser"
    # One subject each (principal://), not a whole pool or attribute set (principalSet://).
    assert binding["for_each"] == "${local.github_subjects}"
    assert binding["member"].startswith("principal://iam.googleapis.com/")
    assert binding["member"].endswith("/subject/${each.value}")
    assert "google_service_account.ci.name" in binding["service_account_id"]


@pytest.mark.parametrize("case", CLOUDS)
def test_no_long_lived_keys_anywhere(projects: dict[str, Path], case: str) -> None:
    root = _terraform_root(projects[case])
    forbidden_resources = {
        "aws_iam_access_key",
        "aws_iam_user",
        "aws_iam_user_policy",
        "google_service_account_key",
        "google_storage_hmac_key",
        "azuread_application_password",
        "azuread_service_principal_password",
        "azuread_application_certificate",
    }
    forbidden_attributes = re.compile(r'"(access_key|secret_key|token|password)"\s*:')
    for directory in TERRAFORM_DIRS:
        blocks = _load(root / directory)
        types = {key for entry in blocks.get("resource", []) for key in entry}
        assert not types & forbidden_resources, directory
        for provider in blocks.get("provider", []):
            assert not forbidden_attributes.search(_text(provider)), directory
    for path in root.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"AKIA[0-9A-Z]{16}|PRIVATE KEY", text), path


@pytest.mark.parametrize("case", CLOUDS)
def test_tfvars_examples_set_only_declared_variables(projects: dict[str, Path], case: str) -> None:
    for env in ("staging", "prod"):
        directory = _terraform_root(projects[case]) / "envs" / env
        example = _load_file(directory / "terraform.tfvars.example")
        variables = {k for entry in _load(directory)["variable"] for k in entry}
        assert set(example) <= variables, f"{env}: unknown variables in the example"
        assert example["github_repository"].endswith("/ml-project")
        # AWS is generated with the service on Kubernetes: no managed service there.
        assert example.get("create_service") is (False if case == "aws" else None)


@pytest.mark.parametrize("case", CLOUDS)
def test_checkov_finds_no_failed_check(projects: dict[str, Path], case: str) -> None:
    root = _terraform_root(projects[case])
    report = checkov(root, "terraform")
    reports = report if isinstance(report, list) else [report]
    summary = reports[0]["summary"]
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']})"
        for r in reports
        for c in r["results"]["failed_checks"]
    ]
    assert not failed, failed
    assert summary["passed"] > MIN_PASSED[case], summary
    # The skips are exactly the ones docs/infrastructure.md explains.
    skipped = {c["check_id"] for r in reports for c in r["results"]["skipped_checks"]}
    assert skipped == DOCUMENTED_SKIPS[case], skipped
    # Every skip is an inline comment with a real reason.
    for path in root.rglob("*.tf"):
        for match in SKIP_COMMENT.finditer(path.read_text(encoding="utf-8")):
            reason = (match.group(2) or "").strip()
            assert len(reason) > 30, (path, match.group())


def _initialised_aws_copy(
    projects: dict[str, Path], directory: str, tmp_path: Path
) -> tuple[Path, dict[str, str]]:
    """`terraform init` of one directory of a copy of the AWS project's Terraform (so the
    project keeps no .terraform), from the local provider mirror, never the network."""
    if shutil.which("terraform") is None:
        pytest.skip("terraform is not installed: cannot init, validate or evaluate")
    if not any(AWS_MIRROR.glob("5.*/linux_amd64/terraform-provider-aws_*")):
        pytest.skip(f"no local mirror of hashicorp/aws 5.x under {AWS_MIRROR}: init needs it")
    work = tmp_path / "terraform"
    shutil.copytree(_terraform_root(projects["aws"]), work)
    env = _terraform_env(tmp_path)
    cwd = work / directory
    _run(
        [
            "terraform",
            *("init", "-backend=false", f"-plugin-dir={PLUGIN_DIR}", "-input=false", "-no-color"),
        ],
        cwd,
        env,
    )
    return cwd, env


@pytest.mark.parametrize("directory", TERRAFORM_DIRS)
def test_terraform_validate_with_the_local_aws_mirror(
    projects: dict[str, Path], directory: str, tmp_path: Path
) -> None:
    cwd, env = _initialised_aws_copy(projects, directory, tmp_path)
    completed = _run(["terraform", "validate", "-json", "-no-color"], cwd, env)
    result = json.loads(completed.stdout)
    assert result["valid"] is True, result
    assert result["warning_count"] == 0, result["diagnostics"]


# --- who may assume the CI identity, and what the workflows read --------------------------


def _subjects_block(project: Path) -> str:
    """The locals that decide the trusted OIDC subjects, as written in identity.tf."""
    text = (_terraform_root(project) / "modules/ml_service/identity.tf").read_text("utf-8")
    start = text.index("  # The GitHub environment whose jobs deploy this stack")
    return text[start : text.index("\n  }\n", start)]


def test_every_cloud_trusts_the_same_subjects(projects: dict[str, Path]) -> None:
    """One rule for three clouds, so evaluating it for AWS below covers all of them."""
    blocks = {cloud: _subjects_block(projects[cloud]) for cloud in CLOUDS}
    assert blocks["gcp"] == blocks["aws"]
    assert blocks["azure"] == blocks["aws"]


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        # cd.yml's production job runs in the `production` environment; nothing else may
        # assume production's identity, not even a workflow on main.
        ("prod", {"environment-production": "repo:acme/churn:environment:production"}),
        # Staging's: cd.yml's staging job, and the CT and monitor jobs on main, which
        # run in no environment.
        (
            "staging",
            {
                "environment-staging": "repo:acme/churn:environment:staging",
                "branch-main": "repo:acme/churn:ref:refs/heads/main",
            },
        ),
    ],
)
def test_trusted_subjects_as_terraform_evaluates_them(
    projects: dict[str, Path], environment: str, expected: dict[str, str], tmp_path: Path
) -> None:
    module, env = _initialised_aws_copy(projects, "modules/ml_service", tmp_path)
    variables = {
        "environment": environment,
        "github_repository": "acme/churn",
        "name": "churn",
        "vpc_id": "vpc-0123",
        "training_subnet_ids": '["subnet-0123"]',
    }
    console = subprocess.run(
        ["terraform", "console", *(f"-var={k}={v}" for k, v in variables.items())],
        cwd=module,
        env=env,
        input="jsonencode(local.github_subjects)\n",
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert console.returncode == 0, console.stderr[-2000:]
    # console prints the JSON as an HCL string literal: one more round of decoding.
    assert json.loads(json.loads(console.stdout.strip())) == expected


def _answers(project: Path) -> dict[str, Any]:
    return yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))


WORKFLOW_VARIABLE = re.compile(r"\bvars\.([A-Z][A-Z0-9_]*)")
# What Terraform cannot know: the model registry and the per-project choices.
SETTINGS_WITHOUT_TERRAFORM = {
    "MLFLOW_TRACKING_URI",
    "MONITOR_CURRENT",
    "MONITOR_FEEDBACK",
    "MONITOR_CAPTURED",
    "DEPLOY_TARGET",
    "CT_RUNTIME",
    "CT_JOB_TARGET",
    "KUBE_CLUSTER",
    "KUBE_NAMESPACE",
    "FORGEML_SPEC",
    "FORGEML_TRUSTED_SOURCES",
}


@pytest.mark.parametrize("case", CLOUDS)
def test_terraform_outputs_every_variable_the_workflows_read(
    projects: dict[str, Path], case: str
) -> None:
    """`github_variables` names exactly what the workflows read: the CD/CT/monitor jobs
    authenticate and deploy with the stack's outputs, under the same names."""
    project = projects[case]
    outputs = _load(_terraform_root(project) / "modules" / "ml_service")["output"]
    (value,) = (
        entry["github_variables"]["value"] for entry in outputs if "github_variables" in entry
    )
    provided = set(re.findall(r"\b([A-Z][A-Z0-9_]+) = ", value))
    # The managed service's settings are null (left out) when it runs on Kubernetes.
    managed = set(re.findall(r"\b([A-Z][A-Z0-9_]+) = var\.create_service \?", value))
    assert managed >= {"SERVICE_URL"}, value
    without_terraform = set(SETTINGS_WITHOUT_TERRAFORM)
    if _answers(project)["deploy_target"] == "kubernetes":
        provided -= managed
        without_terraform.add("SERVICE_URL")  # the cluster's ingress: yours
    workflows = project / ".github" / "workflows"
    read = {
        name
        for path in workflows.glob("*.yml")
        for name in WORKFLOW_VARIABLE.findall(path.read_text(encoding="utf-8"))
    }
    assert provided <= read, f"outputs no workflow reads: {provided - read}"
    missing = read - without_terraform - provided
    assert not missing, f"workflow variables Terraform does not output: {missing}"
    for env in ("staging", "prod"):
        env_outputs = _load(_terraform_root(project) / "envs" / env)["output"]
        (passed,) = (e["github_variables"] for e in env_outputs if "github_variables" in e)
        assert passed["value"] == "${module.ml_service.github_variables}", env
