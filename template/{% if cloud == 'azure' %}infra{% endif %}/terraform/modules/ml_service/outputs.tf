# Everything the CD and CT workflows need; docs/infrastructure.md of forgeml maps each
# output to the GitHub environment variable it is stored in.

output "client_id" {
  description = "Client id of the CI managed identity (workflow variable AZURE_CLIENT_ID)."
  value       = azurerm_user_assigned_identity.ci.client_id
}

output "tenant_id" {
  description = "Entra ID tenant (workflow variable AZURE_TENANT_ID)."
  value       = data.azurerm_client_config.current.tenant_id
}

output "subscription_id" {
  description = "Subscription of every resource (workflow variable AZURE_SUBSCRIPTION_ID)."
  value       = data.azurerm_client_config.current.subscription_id
}

output "resource_group" {
  description = "Resource group of every resource (workflow variable AZURE_RESOURCE_GROUP)."
  value       = azurerm_resource_group.main.name
}

output "registry" {
  description = "ACR login server (workflow variable REGISTRY)."
  value       = azurerm_container_registry.main.login_server
}

output "image_repository" {
  description = "Full image repository, without tag (workflow variable IMAGE_REPOSITORY)."
  value       = "${azurerm_container_registry.main.login_server}/${var.name}"
}

output "storage_account" {
  description = "Storage account for model artefacts and data (workflow variable STORAGE_ACCOUNT)."
  value       = azurerm_storage_account.artefacts.name
}

output "artefact_container" {
  description = "Blob container for model artefacts and data (workflow variable ARTEFACT_CONTAINER)."
  value       = azurerm_storage_container.artefacts.name
}

output "service_name" {
  description = "Container app name (workflow variable SERVICE_NAME); null when the service runs on Kubernetes."
  value       = var.create_service ? azurerm_container_app.service[0].name : null
}

output "service_url" {
  description = "HTTPS URL of the prediction service (workflow variable SERVICE_URL); null when the service runs on Kubernetes."
  value       = var.create_service ? "https://${azurerm_container_app.service[0].ingress[0].fqdn}" : null
}

output "training_job" {
  description = "Container Apps job the CT workflow starts (workflow variable TRAINING_JOB)."
  value       = azurerm_container_app_job.training.name
}
