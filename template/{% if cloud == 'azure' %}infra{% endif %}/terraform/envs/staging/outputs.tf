# The module's outputs, for `terraform output -json` in the CD workflow.

output "client_id" {
  description = "Client id of the CI managed identity (workflow variable AZURE_CLIENT_ID)."
  value       = module.ml_service.client_id
}

output "tenant_id" {
  description = "Entra ID tenant (workflow variable AZURE_TENANT_ID)."
  value       = module.ml_service.tenant_id
}

output "subscription_id" {
  description = "Subscription of every resource (workflow variable AZURE_SUBSCRIPTION_ID)."
  value       = module.ml_service.subscription_id
}

output "resource_group" {
  description = "Resource group of every resource (workflow variable AZURE_RESOURCE_GROUP)."
  value       = module.ml_service.resource_group
}

output "registry" {
  description = "ACR login server (workflow variable REGISTRY)."
  value       = module.ml_service.registry
}

output "image_repository" {
  description = "Full image repository, without tag (workflow variable IMAGE_REPOSITORY)."
  value       = module.ml_service.image_repository
}

output "storage_account" {
  description = "Storage account for model artefacts and data (workflow variable STORAGE_ACCOUNT)."
  value       = module.ml_service.storage_account
}

output "artefact_container" {
  description = "Blob container for model artefacts and data (workflow variable ARTEFACT_CONTAINER)."
  value       = module.ml_service.artefact_container
}

output "service_name" {
  description = "Container app name (workflow variable SERVICE_NAME); null when the service runs on Kubernetes."
  value       = module.ml_service.service_name
}

output "service_url" {
  description = "HTTPS URL of the prediction service (workflow variable SERVICE_URL); null when the service runs on Kubernetes."
  value       = module.ml_service.service_url
}

output "training_job" {
  description = "Container Apps job the CT workflow starts (workflow variable TRAINING_JOB)."
  value       = module.ml_service.training_job
}
