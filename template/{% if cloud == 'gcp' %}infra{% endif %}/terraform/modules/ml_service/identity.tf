# CI identity: GitHub Actions authenticates through Workload Identity Federation and
# impersonates the CI service account. Only tokens of var.github_repository with one of the
# subjects of local.github_subjects are accepted; there is no key file.

locals {
  # The GitHub environment whose jobs deploy this stack: cd.yml's `staging` job, or its
  # `production` job (behind that environment's required reviewers) for prod.
  github_environment = var.environment == "prod" ? "production" : var.environment
  # Every OIDC subject this identity accepts, by purpose. Staging also trusts workflows on
  # the main branch: the CT and monitor jobs, which run in no environment. Production
  # trusts its environment only, so nothing reaches it without the environment's rules.
  github_subjects = {
    for purpose, subject in {
      "environment-${local.github_environment}" = "repo:${var.github_repository}:environment:${local.github_environment}"
      "branch-main"                             = var.environment == "staging" ? "repo:${var.github_repository}:ref:refs/heads/main" : ""
    } : purpose => subject if subject != ""
  }
}

resource "google_iam_workload_identity_pool" "github" {
  project                   = var.project_id
  workload_identity_pool_id = "${local.prefix}-github"
  display_name              = "GitHub Actions ${var.environment}"
}

resource "google_iam_workload_identity_pool_provider" "github" {
  #checkov:skip=CKV_GCP_125:The condition pins assertion.sub to the repo:<github_repository>:... subjects of local.github_subjects; checkov cannot resolve the variable (validated as org/repo) and fails on the placeholder.
  project                            = var.project_id
  workload_identity_pool_id          = google_iam_workload_identity_pool.github.workload_identity_pool_id
  workload_identity_pool_provider_id = "github"
  display_name                       = "GitHub Actions OIDC"

  attribute_mapping = {
    "google.subject"         = "assertion.sub"
    "attribute.repository"   = "assertion.repository"
    "attribute.environment"  = "assertion.environment"
    "attribute.workflow_ref" = "assertion.job_workflow_ref"
  }

  # Tokens of any other repository, environment or branch are rejected by the provider
  # itself. jsonencode writes the subjects as a CEL list literal.
  attribute_condition = "assertion.sub in ${jsonencode(values(local.github_subjects))}"

  oidc {
    issuer_uri = "https://token.actions.githubusercontent.com"
  }
}

resource "google_service_account" "ci" {
  project      = var.project_id
  account_id   = "${local.prefix}-ci"
  display_name = "GitHub Actions of ${var.github_repository} (${var.environment})"
}

resource "google_service_account_iam_member" "ci_workload_identity" {
  for_each = local.github_subjects

  service_account_id = google_service_account.ci.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principal://iam.googleapis.com/${google_iam_workload_identity_pool.github.name}/subject/${each.value}"
}

resource "google_artifact_registry_repository_iam_member" "ci_push" {
  project    = var.project_id
  location   = var.region
  repository = google_artifact_registry_repository.service.name
  role       = "roles/artifactregistry.writer"
  member     = "serviceAccount:${google_service_account.ci.email}"
}

resource "google_storage_bucket_iam_member" "ci_artefacts" {
  bucket = google_storage_bucket.artefacts.name
  role   = "roles/storage.objectUser"
  member = "serviceAccount:${google_service_account.ci.email}"
}

resource "google_cloud_run_v2_service_iam_member" "ci_deploy" {
  count = var.create_service ? 1 : 0

  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_service.service[0].name
  role     = "roles/run.developer"
  member   = "serviceAccount:${google_service_account.ci.email}"
}

resource "google_cloud_run_v2_job_iam_member" "ci_train" {
  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_job.training.name
  role     = "roles/run.developer"
  member   = "serviceAccount:${google_service_account.ci.email}"
}

# Deploying a revision or running the job "acts as" the runtime service account.
resource "google_service_account_iam_member" "ci_act_as_runtime" {
  service_account_id = google_service_account.runtime.name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.ci.email}"
}
