provider "aws" {
  region = var.aws_region

  default_tags {
    tags = {
      repository = var.github_repository
    }
  }
}

module "ml_service" {
  source = "../../modules/ml_service"

  name                        = var.name
  environment                 = "prod"
  github_repository           = var.github_repository
  create_github_oidc_provider = var.create_github_oidc_provider
  create_service              = var.create_service
  image_tag                   = var.image_tag
  min_instances               = var.min_instances
  max_instances               = var.max_instances
  vpc_id                      = var.vpc_id
  training_subnet_ids         = var.training_subnet_ids
}
