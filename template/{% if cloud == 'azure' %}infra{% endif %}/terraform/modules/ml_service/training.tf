# Training job runtime: this Container Apps job. CT (ct.yml, CT_RUNTIME=job, the default)
# starts it with `az containerapp job start` on the training image it just pushed
# (scripts/ct-job.sh). Its logs go to the environment's Log Analytics workspace.

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
      args   = ["train", "--promote", "--params", "params.yaml"]
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
