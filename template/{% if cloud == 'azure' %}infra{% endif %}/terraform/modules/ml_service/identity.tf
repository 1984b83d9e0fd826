# CI identity: GitHub Actions signs in with OIDC to a user-assigned managed identity through
# federated identity credentials, one per subject of local.github_subjects (Entra ID
# matches subjects exactly). There is no client secret or certificate.

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

resource "azurerm_user_assigned_identity" "ci" {
  name                = "id-${local.prefix}-github-ci"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  tags                = local.tags
}

resource "azurerm_federated_identity_credential" "github" {
  for_each = local.github_subjects

  name                = "github-${each.key}"
  resource_group_name = azurerm_resource_group.main.name
  parent_id           = azurerm_user_assigned_identity.ci.id
  issuer              = "https://token.actions.githubusercontent.com"
  audience            = ["api://AzureADTokenExchange"]
  subject             = each.value
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
