# CI identity: GitHub Actions signs in with OIDC to a user-assigned managed identity through
# a federated identity credential whose subject is this repository's GitHub environment.
# There is no client secret or certificate.

locals {
  github_subject = "repo:${var.github_repository}:environment:${var.environment}"
}

resource "azurerm_user_assigned_identity" "ci" {
  name                = "id-${local.prefix}-github-ci"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  tags                = local.tags
}

resource "azurerm_federated_identity_credential" "github" {
  name                = "github-${var.environment}"
  resource_group_name = azurerm_resource_group.main.name
  parent_id           = azurerm_user_assigned_identity.ci.id
  issuer              = "https://token.actions.githubusercontent.com"
  audience            = ["api://AzureADTokenExchange"]
  subject             = local.github_subject
}

resource "azurerm_role_assignment" "ci_push" {
  scope                = azurerm_container_registry.main.id
  role_definition_name = "AcrPush"
  principal_id         = azurerm_user_assigned_identity.ci.principal_id
}

resource "azurerm_role_assignment" "ci_artefacts" {
  scope                = azurerm_storage_container.artefacts.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_user_assigned_identity.ci.principal_id
}

# Deploy new revisions of the service and start the training job: only those two resources.
resource "azurerm_role_assignment" "ci_deploy" {
  count = var.create_service ? 1 : 0

  scope                = azurerm_container_app.service[0].id
  role_definition_name = "Contributor"
  principal_id         = azurerm_user_assigned_identity.ci.principal_id
}

resource "azurerm_role_assignment" "ci_train" {
  scope                = azurerm_container_app_job.training.id
  role_definition_name = "Contributor"
  principal_id         = azurerm_user_assigned_identity.ci.principal_id
}

# The identity the service and the training job run as: pull images, use the artefacts.
resource "azurerm_user_assigned_identity" "runtime" {
  name                = "id-${local.prefix}-runtime"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  tags                = local.tags
}

resource "azurerm_role_assignment" "runtime_pull" {
  scope                = azurerm_container_registry.main.id
  role_definition_name = "AcrPull"
  principal_id         = azurerm_user_assigned_identity.runtime.principal_id
}

resource "azurerm_role_assignment" "runtime_artefacts" {
  scope                = azurerm_storage_container.artefacts.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_user_assigned_identity.runtime.principal_id
}
