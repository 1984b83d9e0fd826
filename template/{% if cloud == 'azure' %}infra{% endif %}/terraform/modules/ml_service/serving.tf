# Serving runtime: Azure Container Apps runs the image on port 8000 with readiness (/ready)
# and liveness (/health) probes and scales on concurrent requests. Not created when the
# service runs on Kubernetes.

resource "azurerm_container_app_environment" "main" {
  name                       = "cae-${local.prefix}"
  location                   = azurerm_resource_group.main.location
  resource_group_name        = azurerm_resource_group.main.name
  log_analytics_workspace_id = azurerm_log_analytics_workspace.main.id
  tags                       = local.tags
}

resource "azurerm_container_app" "service" {
  count = var.create_service ? 1 : 0

  name                         = "ca-${local.prefix}"
  container_app_environment_id = azurerm_container_app_environment.main.id
  resource_group_name          = azurerm_resource_group.main.name
  revision_mode                = "Single"
  tags                         = local.tags

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.runtime.id]
  }

  registry {
    server   = azurerm_container_registry.main.login_server
    identity = azurerm_user_assigned_identity.runtime.id
  }

  ingress {
    external_enabled = true
    target_port      = 8000
    transport        = "http"

    traffic_weight {
      latest_revision = true
      percentage      = 100
    }
  }

  template {
    min_replicas = var.min_replicas
    max_replicas = var.max_replicas

    container {
      name   = "serve"
      image  = "${azurerm_container_registry.main.login_server}/${var.name}:${var.image_tag}"
      args   = ["serve", "--host", "0.0.0.0", "--port", "8000"]
      cpu    = 1
      memory = "2Gi"

      env {
        name  = "AZURE_CLIENT_ID"
        value = azurerm_user_assigned_identity.runtime.client_id
      }

      readiness_probe {
        transport = "HTTP"
        path      = "/ready"
        port      = 8000
      }

      liveness_probe {
        transport = "HTTP"
        path      = "/health"
        port      = 8000
      }
    }

    http_scale_rule {
      name                = "concurrent-requests"
      concurrent_requests = "50"
    }
  }

  lifecycle {
    # CD deploys each new image and pins its model version in the MODEL_VERSION variable
    # (scripts/deploy.sh); Terraform must not roll either back. Environment blocks cannot
    # be ignored one by one: change the variables above later with
    # `az containerapp update --set-env-vars`.
    ignore_changes = [template[0].container[0].image, template[0].container[0].env]
  }
}
