provider "azurerm" {
  features {}

  subscription_id = var.subscription_id
  # Shared keys are disabled on the storage account: data-plane calls use Entra ID.
  storage_use_azuread = true
}

module "ml_service" {
  source = "../../modules/ml_service"

  location          = var.location
  name              = var.name
  environment       = "prod"
  github_repository = var.github_repository
  create_service    = var.create_service
  image_tag         = var.image_tag
  min_replicas      = var.min_replicas
  max_replicas      = var.max_replicas
}
