# Everything the CD and CT workflows need; docs/infrastructure.md of forgeml maps each
# output to the GitHub environment variable it is stored in.

output "project_id" {
  description = "Google Cloud project (workflow variable GCP_PROJECT_ID)."
  value       = var.project_id
}

output "region" {
  description = "Region of every resource (workflow variable GCP_REGION)."
  value       = var.region
}

output "workload_identity_provider" {
  description = "Full name of the Workload Identity provider (workflow variable GCP_WORKLOAD_IDENTITY_PROVIDER)."
  value       = google_iam_workload_identity_pool_provider.github.name
}

output "ci_service_account" {
  description = "Service account GitHub Actions impersonates (workflow variable GCP_SERVICE_ACCOUNT)."
  value       = google_service_account.ci.email
}

output "registry" {
  description = "Artifact Registry host to log in to (workflow variable REGISTRY)."
  value       = "${var.region}-docker.pkg.dev"
}

output "image_repository" {
  description = "Full image repository, without tag (workflow variable IMAGE_REPOSITORY)."
  value       = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.service.repository_id}/${var.name}"
}

output "artefact_bucket" {
  description = "GCS bucket for model artefacts and data (workflow variable ARTEFACT_BUCKET)."
  value       = google_storage_bucket.artefacts.name
}

output "service_name" {
  description = "Cloud Run service name (workflow variable SERVICE_NAME)."
  value       = local.prefix
}

output "service_url" {
  description = "HTTPS URL of the prediction service (workflow variable SERVICE_URL); null when the service runs on Kubernetes."
  value       = var.create_service ? google_cloud_run_v2_service.service[0].uri : null
}

output "training_job" {
  description = "Cloud Run job the CT workflow executes (workflow variable TRAINING_JOB)."
  value       = google_cloud_run_v2_job.training.name
}
