provider "google" {
  project = var.project_id
  region  = var.region
}

module "ml_service" {
  source = "../../modules/ml_service"

  project_id        = var.project_id
  region            = var.region
  name              = var.name
  environment       = "prod"
  github_repository = var.github_repository
  create_service    = var.create_service
  image_tag         = var.image_tag
  min_instances     = var.min_instances
  max_instances     = var.max_instances
}
