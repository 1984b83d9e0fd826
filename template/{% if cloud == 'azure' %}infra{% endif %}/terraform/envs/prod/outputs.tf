# The module's outputs, for people and scripts; the workflows' settings are in github_variables.

output "client_id" {
  description = "Client id of the CI managed identity."
  value       = module.ml_service.client_id
}

output "tenant_id" {
  description = "Entra ID tenant."
  value       = module.ml_service.tenant_id
}

output "subscription_id" {
  description = "Subscription of every resource."
  value       = module.ml_service.subscription_id
}

output "resource_group" {
  description = "Resource group of every resource."
  value       = module.ml_service.resource_group
}

output "registry" {
  description = "ACR login server."
  value       = module.ml_service.registry
}

output "image_repository" {
  description = "Full image repository, without tag."
  value       = module.ml_service.image_repository
}

output "storage_account" {
  description = "Storage account for model artefacts and data."
  value       = module.ml_service.storage_account
}

output "artefact_container" {
  description = "Blob container for model artefacts and data."
  value       = module.ml_service.artefact_container
}

output "service_name" {
  description = "Container app name; null when the service runs on Kubernetes."
  value       = module.ml_service.service_name
}

output "service_url" {
  description = "HTTPS URL of the prediction service; null when the service runs on Kubernetes."
  value       = module.ml_service.service_url
}

output "training_job" {
  description = "Container Apps job for training too large for a CI runner."
  value       = module.ml_service.training_job
}

output "github_variables" {
  description = "Variables for GitHub Actions, by name: set them on the production environment (docs: Infrastructure)."
  value       = module.ml_service.github_variables
}
