# Remote state in S3 with S3-native locking (Terraform >= 1.10). The bucket and region
# are given at init time, so the same files serve every account:
#   terraform init -backend-config=backend.hcl   (see backend.hcl.example)
terraform {
  backend "s3" {
    key          = "staging/terraform.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}
