# The module's outputs, for people and scripts; the workflows' settings are in github_variables.

output "aws_region" {
  description = "Region of every resource."
  value       = module.ml_service.aws_region
}

output "ci_role_arn" {
  description = "Role GitHub Actions assumes through OIDC."
  value       = module.ml_service.ci_role_arn
}

output "registry" {
  description = "ECR registry host to log in to."
  value       = module.ml_service.registry
}

output "image_repository" {
  description = "Full image repository URL, without tag."
  value       = module.ml_service.image_repository
}

output "artefact_bucket" {
  description = "S3 bucket for model artefacts and data."
  value       = module.ml_service.artefact_bucket
}

output "service_name" {
  description = "Name of the prediction service."
  value       = module.ml_service.service_name
}

output "service_arn" {
  description = "App Runner service ARN; null when the service runs on Kubernetes."
  value       = module.ml_service.service_arn
}

output "service_url" {
  description = "HTTPS URL of the prediction service; null when the service runs on Kubernetes."
  value       = module.ml_service.service_url
}

output "training_image_repository" {
  description = "ECR repository of the training image (IMAGE_NAME-train), without tag."
  value       = module.ml_service.training_image_repository
}

output "ecs_cluster" {
  description = "ECS cluster of the training task (training too large for a CI runner)."
  value       = module.ml_service.ecs_cluster
}

output "training_task_definition" {
  description = "Task definition family of the training job."
  value       = module.ml_service.training_task_definition
}

output "training_subnet_ids" {
  description = "Subnets for `aws ecs run-task`."
  value       = module.ml_service.training_subnet_ids
}

output "training_security_group_id" {
  description = "Security group for `aws ecs run-task`."
  value       = module.ml_service.training_security_group_id
}

output "training_log_group" {
  description = "CloudWatch log group of the training job."
  value       = module.ml_service.training_log_group
}

output "github_variables" {
  description = "Variables for GitHub Actions, by name: set them on the repository (docs: Infrastructure)."
  value       = module.ml_service.github_variables
}
