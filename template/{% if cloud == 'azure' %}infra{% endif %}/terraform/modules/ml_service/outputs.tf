# What this stack created, for people and scripts. The workflows read github_variables
# (at the end): the same values under the names of their GitHub variables.

output "client_id" {
  description = "Client id of the CI managed identity."
  value       = azurerm_user_assigned_identity.ci.client_id
}

output "tenant_id" {
  description = "Entra ID tenant."
  value       = data.azurerm_client_config.current.tenant_id
}

output "subscription_id" {
  description = "Subscription of every resource."
  value       = data.azurerm_client_config.current.subscription_id
}

output "resource_group" {
  description = "Resource group of every resource."
  value       = azurerm_resource_group.main.name
}

output "registry" {
  description = "ACR login server."
  value       = azurerm_container_registry.main.login_server
}

output "image_repository" {
  description = "Full image repository, without tag."
  value       = "${azurerm_container_registry.main.login_server}/${var.name}"
}

output "storage_account" {
  description = "Storage account for model artefacts and data."
  value       = azurerm_storage_account.artefacts.name
}

output "artefact_container" {
  description = "Blob container for model artefacts and data."
  value       = azurerm_storage_container.artefacts.name
}

output "service_name" {
  description = "Container app name; null when the service runs on Kubernetes."
  value       = var.create_service ? azurerm_container_app.service[0].name : null
}

output "service_url" {
  description = "HTTPS URL of the prediction service; null when the service runs on Kubernetes."
  value       = var.create_service ? "https://${azurerm_container_app.service[0].ingress[0].fqdn}" : null
}

output "training_job" {
  description = "Container Apps job for training too large for a CI runner."
  value       = azurerm_container_app_job.training.name
}

# The GitHub Actions variables the workflows read, by name, so that setting them is one
# loop over `terraform output -json github_variables` (docs: Infrastructure). Staging's go
# to the repository (the CT and monitor jobs run in no environment), prod's to the
# `production` environment, where they override the repository's.
output "github_variables" {
  description = "Variables for GitHub Actions, by name (staging: repository variables; prod: the production environment's)."
  value = {
    for name, value in {
      AZURE_CLIENT_ID       = azurerm_user_assigned_identity.ci.client_id
      AZURE_TENANT_ID       = data.azurerm_client_config.current.tenant_id
      AZURE_SUBSCRIPTION_ID = data.azurerm_client_config.current.subscription_id
      AZURE_RESOURCE_GROUP  = azurerm_resource_group.main.name
      REGISTRY              = azurerm_container_registry.main.login_server
      IMAGE_NAME            = var.name
      CONTAINER_APP         = var.create_service ? azurerm_container_app.service[0].name : null
      SERVICE_URL           = var.create_service ? "https://${azurerm_container_app.service[0].ingress[0].fqdn}" : null
      # CT's job runtime (scripts/ct-job.sh), or the cluster when the service runs on Kubernetes.
      CONTAINER_APP_JOB = var.create_service ? azurerm_container_app_job.training.name : null
    } : name => value if value != null
  }
}
