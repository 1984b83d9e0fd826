# Training job runtime: this Cloud Run job. CT (ct.yml, CT_RUNTIME=job, the default) sets
# its image to the training image it just pushed and runs it with `gcloud run jobs execute`
# (scripts/ct-job.sh). Its logs, like the service's, go to Cloud Logging.

resource "google_cloud_run_v2_job" "training" {
  project             = var.project_id
  name                = "${local.prefix}-train"
  location            = var.region
  deletion_protection = var.environment == "prod"
  labels              = local.labels

  template {
    task_count = 1

    template {
      service_account = google_service_account.runtime.email
      encryption_key  = google_kms_crypto_key.main.id
      max_retries     = 1
      timeout         = "7200s"

      containers {
        image = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.service.repository_id}/${var.name}:${var.image_tag}"
        args  = ["train", "--promote", "--params", "params.yaml"]

        env {
          name  = "ARTEFACT_BUCKET"
          value = google_storage_bucket.artefacts.name
        }

        resources {
          limits = {
            cpu    = "2"
            memory = "4Gi"
          }
        }
      }
    }
  }

  lifecycle {
    ignore_changes = [template[0].template[0].containers[0].image, client, client_version]
  }
}

# Cloud Run writes the logs; keep them a year in a dedicated log bucket.
resource "google_logging_project_bucket_config" "logs" {
  project        = var.project_id
  location       = var.region
  bucket_id      = "${local.prefix}-logs"
  retention_days = 365
}

resource "google_logging_project_sink" "logs" {
  project                = var.project_id
  name                   = "${local.prefix}-logs"
  destination            = "logging.googleapis.com/${google_logging_project_bucket_config.logs.id}"
  filter                 = "resource.type=(\"cloud_run_revision\" OR \"cloud_run_job\") AND (resource.labels.service_name:\"${local.prefix}\" OR resource.labels.job_name:\"${local.prefix}\")"
  unique_writer_identity = true
}
