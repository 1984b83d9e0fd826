# Registry, artefact storage and the key that encrypts both.

data "google_project" "current" {
  project_id = var.project_id
}

locals {
  prefix = "${var.name}-${var.environment}"
  labels = merge(var.labels, {
    service     = var.name
    environment = var.environment
    managed-by  = "terraform"
  })
  # Google-managed service agents that encrypt with the key on our behalf.
  storage_agent  = "serviceAccount:service-${data.google_project.current.number}@gs-project-accounts.iam.gserviceaccount.com"
  registry_agent = "serviceAccount:service-${data.google_project.current.number}@gcp-sa-artifactregistry.iam.gserviceaccount.com"
}

resource "google_kms_key_ring" "main" {
  project  = var.project_id
  name     = local.prefix
  location = var.region
}

resource "google_kms_crypto_key" "main" {
  name            = local.prefix
  key_ring        = google_kms_key_ring.main.id
  rotation_period = "7776000s"
  labels          = local.labels

  lifecycle {
    prevent_destroy = true
  }
}

resource "google_kms_crypto_key_iam_member" "agents" {
  for_each = toset([local.storage_agent, local.registry_agent])

  crypto_key_id = google_kms_crypto_key.main.id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = each.value
}

# --- Container registry ---------------------------------------------------------------

resource "google_artifact_registry_repository" "service" {
  project       = var.project_id
  location      = var.region
  repository_id = local.prefix
  description   = "Images of ${local.prefix}"
  format        = "DOCKER"
  kms_key_name  = google_kms_crypto_key.main.id
  labels        = local.labels

  docker_config {
    immutable_tags = true
  }

  depends_on = [google_kms_crypto_key_iam_member.agents]
}

# --- Artefact and data storage: versioned, CMEK-encrypted, never public --------------------

resource "google_storage_bucket" "artefacts" {
  #checkov:skip=CKV_GCP_62:Access is audited with Cloud Audit Logs (data access logs), which need no second bucket to secure.
  project                     = var.project_id
  name                        = "${var.project_id}-${local.prefix}-artefacts"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = local.labels

  versioning {
    enabled = true
  }

  encryption {
    default_kms_key_name = google_kms_crypto_key.main.id
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.artefact_noncurrent_days
      with_state                 = "ARCHIVED"
    }

    action {
      type = "Delete"
    }
  }

  depends_on = [google_kms_crypto_key_iam_member.agents]
}
