# The module's outputs, for `terraform output -json` in the CD workflow.

output "aws_region" {
  description = "Region of every resource (workflow variable AWS_REGION)."
  value       = module.ml_service.aws_region
}

output "ci_role_arn" {
  description = "Role GitHub Actions assumes through OIDC (workflow variable AWS_ROLE_ARN)."
  value       = module.ml_service.ci_role_arn
}

output "registry" {
  description = "ECR registry host to log in to (workflow variable REGISTRY)."
  value       = module.ml_service.registry
}

output "image_repository" {
  description = "Full image repository URL, without tag (workflow variable IMAGE_REPOSITORY)."
  value       = module.ml_service.image_repository
}

output "artefact_bucket" {
  description = "S3 bucket for model artefacts and data (workflow variable ARTEFACT_BUCKET)."
  value       = module.ml_service.artefact_bucket
}

output "service_name" {
  description = "Name of the prediction service (workflow variable SERVICE_NAME)."
  value       = module.ml_service.service_name
}

output "service_arn" {
  description = "App Runner service ARN the CD workflow updates (workflow variable SERVICE_ARN); null when the service runs on Kubernetes."
  value       = module.ml_service.service_arn
}

output "service_url" {
  description = "HTTPS URL of the prediction service (smoke tests; workflow variable SERVICE_URL); null when the service runs on Kubernetes."
  value       = module.ml_service.service_url
}

output "ecs_cluster" {
  description = "ECS cluster the CT workflow runs training in (workflow variable ECS_CLUSTER)."
  value       = module.ml_service.ecs_cluster
}

output "training_task_definition" {
  description = "Task definition family of the training job (workflow variable TRAINING_TASK_DEFINITION)."
  value       = module.ml_service.training_task_definition
}

output "training_subnet_ids" {
  description = "Subnets for `aws ecs run-task` (workflow variable TRAINING_SUBNETS, comma-separated)."
  value       = module.ml_service.training_subnet_ids
}

output "training_security_group_id" {
  description = "Security group for `aws ecs run-task` (workflow variable TRAINING_SECURITY_GROUP)."
  value       = module.ml_service.training_security_group_id
}

output "training_log_group" {
  description = "CloudWatch log group of the training job."
  value       = module.ml_service.training_log_group
}
