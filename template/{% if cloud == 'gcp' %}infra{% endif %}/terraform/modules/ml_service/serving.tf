# Serving runtime: Cloud Run runs the image on port 8000, probes /ready at startup and
# /health while it runs, and scales between min_instances and max_instances. Not created
# when the service runs on Kubernetes.

resource "google_service_account" "runtime" {
  project      = var.project_id
  account_id   = "${local.prefix}-run"
  display_name = "Runtime of ${local.prefix} (service and training job)"
}

resource "google_storage_bucket_iam_member" "runtime_artefacts" {
  bucket = google_storage_bucket.artefacts.name
  role   = "roles/storage.objectUser"
  member = "serviceAccount:${google_service_account.runtime.email}"
}

resource "google_cloud_run_v2_service" "service" {
  count = var.create_service ? 1 : 0

  project             = var.project_id
  name                = local.prefix
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = var.environment == "prod"
  labels              = local.labels

  template {
    service_account = google_service_account.runtime.email
    encryption_key  = google_kms_crypto_key.main.id

    scaling {
      min_instance_count = var.min_instances
      max_instance_count = var.max_instances
    }

    containers {
      image = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.service.repository_id}/${var.name}:${var.image_tag}"
      args  = ["serve", "--host", "0.0.0.0", "--port", "8000"]

      ports {
        container_port = 8000
      }

      env {
        name  = "ARTEFACT_BUCKET"
        value = google_storage_bucket.artefacts.name
      }

      resources {
        limits = {
          cpu    = "1"
          memory = "2Gi"
        }
      }

      startup_probe {
        period_seconds    = 5
        failure_threshold = 24

        http_get {
          path = "/ready"
          port = 8000
        }
      }

      liveness_probe {
        period_seconds    = 20
        failure_threshold = 3

        http_get {
          path = "/health"
          port = 8000
        }
      }
    }
  }

  lifecycle {
    # CD deploys each new image and pins its model version in the MODEL_VERSION variable
    # (scripts/deploy.sh); Terraform must not roll either back. Environment blocks cannot
    # be ignored one by one: change the variables above later with
    # `gcloud run services update --update-env-vars`.
    ignore_changes = [template[0].containers[0].image, template[0].containers[0].env, client, client_version]
  }
}
