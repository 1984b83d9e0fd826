# What this stack created, for people and scripts. The workflows read github_variables
# (at the end): the same values under the names of their GitHub variables.

output "project_id" {
  description = "Google Cloud project."
  value       = var.project_id
}

output "region" {
  description = "Region of every resource."
  value       = var.region
}

output "workload_identity_provider" {
  description = "Full name of the Workload Identity provider."
  value       = google_iam_workload_identity_pool_provider.github.name
}

output "ci_service_account" {
  description = "Service account GitHub Actions impersonates."
  value       = google_service_account.ci.email
}

output "registry" {
  description = "Artifact Registry host to log in to."
  value       = "${var.region}-docker.pkg.dev"
}

output "image_repository" {
  description = "Full image repository, without tag."
  value       = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.service.repository_id}/${var.name}"
}

output "artefact_bucket" {
  description = "GCS bucket for model artefacts and data."
  value       = google_storage_bucket.artefacts.name
}

output "service_name" {
  description = "Cloud Run service name."
  value       = local.prefix
}

output "service_url" {
  description = "HTTPS URL of the prediction service; null when the service runs on Kubernetes."
  value       = var.create_service ? google_cloud_run_v2_service.service[0].uri : null
}

output "training_job" {
  description = "Cloud Run job for training too large for a CI runner."
  value       = google_cloud_run_v2_job.training.name
}

# The GitHub Actions variables the workflows read, by name, so that setting them is one
# loop over `terraform output -json github_variables` (docs: Infrastructure). Staging's go
# to the repository (the CT and monitor jobs run in no environment), prod's to the
# `production` environment, where they override the repository's.
output "github_variables" {
  description = "Variables for GitHub Actions, by name (staging: repository variables; prod: the production environment's)."
  value = {
    for name, value in {
      GCP_PROJECT                    = var.project_id
      GCP_REGION                     = var.region
      GCP_WORKLOAD_IDENTITY_PROVIDER = google_iam_workload_identity_pool_provider.github.name
      GCP_SERVICE_ACCOUNT            = google_service_account.ci.email
      REGISTRY                       = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.service.repository_id}"
      IMAGE_NAME                     = var.name
      CLOUD_RUN_SERVICE              = var.create_service ? google_cloud_run_v2_service.service[0].name : null
      SERVICE_URL                    = var.create_service ? google_cloud_run_v2_service.service[0].uri : null
      # CT's job runtime (scripts/ct-job.sh), or the cluster when the service runs on Kubernetes.
      CLOUD_RUN_JOB = var.create_service ? google_cloud_run_v2_job.training.name : null
    } : name => value if value != null
  }
}
