# The module's outputs, for people and scripts; the workflows' settings are in github_variables.

output "project_id" {
  description = "Google Cloud project."
  value       = module.ml_service.project_id
}

output "region" {
  description = "Region of every resource."
  value       = module.ml_service.region
}

output "workload_identity_provider" {
  description = "Full name of the Workload Identity provider."
  value       = module.ml_service.workload_identity_provider
}

output "ci_service_account" {
  description = "Service account GitHub Actions impersonates."
  value       = module.ml_service.ci_service_account
}

output "registry" {
  description = "Artifact Registry host to log in to."
  value       = module.ml_service.registry
}

output "image_repository" {
  description = "Full image repository, without tag."
  value       = module.ml_service.image_repository
}

output "artefact_bucket" {
  description = "GCS bucket for model artefacts and data."
  value       = module.ml_service.artefact_bucket
}

output "service_name" {
  description = "Cloud Run service name."
  value       = module.ml_service.service_name
}

output "service_url" {
  description = "HTTPS URL of the prediction service; null when the service runs on Kubernetes."
  value       = module.ml_service.service_url
}

output "training_job" {
  description = "Cloud Run job for training too large for a CI runner."
  value       = module.ml_service.training_job
}

output "github_variables" {
  description = "Variables for GitHub Actions, by name: set them on the repository (docs: Infrastructure)."
  value       = module.ml_service.github_variables
}
