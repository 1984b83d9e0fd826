# Resource group, registry, artefact storage and logs.

data "azurerm_client_config" "current" {}

locals {
  prefix  = "${var.name}-${var.environment}"
  compact = replace(local.prefix, "-", "")
  tags = merge(var.tags, {
    service     = var.name
    environment = var.environment
    managed-by  = "terraform"
  })
}

resource "azurerm_resource_group" "main" {
  name     = "rg-${local.prefix}"
  location = var.location
  tags     = local.tags
}

resource "azurerm_log_analytics_workspace" "main" {
  name                = "log-${local.prefix}"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  sku                 = "PerGB2018"
  retention_in_days   = var.log_retention_days
  tags                = local.tags
}

# --- Container registry ---------------------------------------------------------------

resource "azurerm_container_registry" "main" {
  #checkov:skip=CKV_AZURE_139:GitHub-hosted runners push over the internet; access is Entra ID only (admin user off, anonymous pull off).
  #checkov:skip=CKV_AZURE_165:Geo-replication is a per-organisation disaster-recovery choice; zone redundancy covers a zone failure.
  #checkov:skip=CKV_AZURE_166:Quarantine needs a scanner that releases images; Defender for Containers scans them instead.
  #checkov:skip=CKV_AZURE_164:Content trust (Notary v1) is deprecated by Azure; images are pinned by digest at deploy time.
  name                          = "acr${local.compact}"
  location                      = azurerm_resource_group.main.location
  resource_group_name           = azurerm_resource_group.main.name
  sku                           = "Premium"
  admin_enabled                 = false
  anonymous_pull_enabled        = false
  public_network_access_enabled = true
  zone_redundancy_enabled       = true
  data_endpoint_enabled         = true
  retention_policy_in_days      = 30
  tags                          = local.tags
}

# --- Artefact and data storage: versioned, encrypted, never public ---------------------------

resource "azurerm_storage_account" "artefacts" {
  #checkov:skip=CKV2_AZURE_1:Encrypted at rest with Microsoft-managed keys plus infrastructure encryption; a customer-managed key needs the organisation's Key Vault.
  #checkov:skip=CKV_AZURE_59:GitHub-hosted runners and Container Apps outside a VNet reach it over the internet; shared keys are off, so only Entra ID identities with a role get in.
  #checkov:skip=CKV_AZURE_35:Same as CKV_AZURE_59: a deny-by-default firewall needs the VNet-integrated environment and private endpoints the organisation's network provides.
  #checkov:skip=CKV2_AZURE_33:Private endpoints need the organisation's VNet and private DNS, outside this module.
  #checkov:skip=CKV_AZURE_33:No queues are used; blob reads, writes and deletes are logged through the diagnostic setting.
  name                              = substr("st${local.compact}", 0, 24)
  location                          = azurerm_resource_group.main.location
  resource_group_name               = azurerm_resource_group.main.name
  account_tier                      = "Standard"
  account_replication_type          = "GRS"
  min_tls_version                   = "TLS1_2"
  https_traffic_only_enabled        = true
  allow_nested_items_to_be_public   = false
  shared_access_key_enabled         = false
  infrastructure_encryption_enabled = true
  local_user_enabled                = false
  default_to_oauth_authentication   = true
  tags                              = local.tags

  blob_properties {
    versioning_enabled = true

    delete_retention_policy {
      days = 30
    }

    container_delete_retention_policy {
      days = 30
    }
  }

  sas_policy {
    expiration_period = "01.00:00:00"
  }
}

resource "azurerm_storage_container" "artefacts" {
  #checkov:skip=CKV2_AZURE_21:Blob reads are logged by the StorageRead diagnostic setting; the storage insights resource this check wants needs an account key, and keys are disabled.
  name                  = "artefacts"
  storage_account_id    = azurerm_storage_account.artefacts.id
  container_access_type = "private"
}

resource "azurerm_monitor_diagnostic_setting" "artefacts" {
  name                       = "blob-to-log-analytics"
  target_resource_id         = "${azurerm_storage_account.artefacts.id}/blobServices/default"
  log_analytics_workspace_id = azurerm_log_analytics_workspace.main.id

  enabled_log {
    category = "StorageRead"
  }

  enabled_log {
    category = "StorageWrite"
  }

  enabled_log {
    category = "StorageDelete"
  }
}
