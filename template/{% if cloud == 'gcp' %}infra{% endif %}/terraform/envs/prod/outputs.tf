# The module's outputs, for `terraform output -json` in the CD workflow.

output "project_id" {
  description = "Google Cloud project (workflow variable GCP_PROJECT_ID)."
  value       = module.ml_service.project_id
}

output "region" {
  description = "Region of every resource (workflow variable GCP_REGION)."
  value       = module.ml_service.region
}

output "workload_identity_provider" {
  description = "Full name of the Workload Identity provider (workflow variable GCP_WORKLOAD_IDENTITY_PROVIDER)."
  value       = module.ml_service.workload_identity_provider
}

output "ci_service_account" {
  description = "Service account GitHub Actions impersonates (workflow variable GCP_SERVICE_ACCOUNT)."
  value       = module.ml_service.ci_service_account
}

output "registry" {
  description = "Artifact Registry host to log in to (workflow variable REGISTRY)."
  value       = module.ml_service.registry
}

output "image_repository" {
  description = "Full image repository, without tag (workflow variable IMAGE_REPOSITORY)."
  value       = module.ml_service.image_repository
}

output "artefact_bucket" {
  description = "GCS bucket for model artefacts and data (workflow variable ARTEFACT_BUCKET)."
  value       = module.ml_service.artefact_bucket
}

output "service_name" {
  description = "Cloud Run service name (workflow variable SERVICE_NAME)."
  value       = module.ml_service.service_name
}

output "service_url" {
  description = "HTTPS URL of the prediction service (workflow variable SERVICE_URL); null when the service runs on Kubernetes."
  value       = module.ml_service.service_url
}

output "training_job" {
  description = "Cloud Run job the CT workflow executes (workflow variable TRAINING_JOB)."
  value       = module.ml_service.training_job
}
