# Remote state in a GCS bucket (locking is built in). The bucket is given at init time:
#   terraform init -backend-config=backend.hcl   (see backend.hcl.example)
terraform {
  backend "gcs" {
    prefix = "staging"
  }
}
