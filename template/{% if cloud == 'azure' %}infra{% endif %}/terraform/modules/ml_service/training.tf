# Training job runtime for continuous training: the CT workflow starts this Container Apps
# job (`az containerapp job start`) with the image the CD workflow pushed. Its logs go to
# the Log Analytics workspace of the environment.

resource "azurerm_container_app_job" "training" {
  name                         = "caj-${local.prefix}-train"
  location                     = azurerm_resource_group.main.location
  resource_group_name          = azurerm_resource_group.main.name
  container_app_environment_id = azurerm_container_app_environment.main.id
  replica_timeout_in_seconds   = 7200
  replica_retry_limit          = 1
  tags                         = local.tags

  manual_trigger_config {
    parallelism              = 1
    replica_completion_count = 1
  }

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.runtime.id]
  }

  registry {
    server   = azurerm_container_registry.main.login_server
    identity = azurerm_user_assigned_identity.runtime.id
  }

  template {
    container {
      name   = "train"
      image  = "${azurerm_container_registry.main.login_server}/${var.name}:${var.image_tag}"
      args   = ["train", "--params", "params.yaml"]
      cpu    = 2
      memory = "4Gi"

      env {
        name  = "AZURE_CLIENT_ID"
        value = azurerm_user_assigned_identity.runtime.client_id
      }
    }
  }

  lifecycle {
    ignore_changes = [template[0].container[0].image]
  }
}
