# Everything the CD and CT workflows need; docs/infrastructure.md of forgeml maps each
# output to the GitHub environment variable it is stored in.

output "aws_region" {
  description = "Region of every resource (workflow variable AWS_REGION)."
  value       = local.region
}

output "ci_role_arn" {
  description = "Role GitHub Actions assumes through OIDC (workflow variable AWS_ROLE_ARN)."
  value       = aws_iam_role.ci.arn
}

output "registry" {
  description = "ECR registry host to log in to (workflow variable REGISTRY)."
  value       = split("/", aws_ecr_repository.service.repository_url)[0]
}

output "image_repository" {
  description = "Full image repository URL, without tag (workflow variable IMAGE_REPOSITORY)."
  value       = aws_ecr_repository.service.repository_url
}

output "artefact_bucket" {
  description = "S3 bucket for model artefacts and data (workflow variable ARTEFACT_BUCKET)."
  value       = aws_s3_bucket.artefacts.bucket
}

output "service_name" {
  description = "Name of the prediction service (workflow variable SERVICE_NAME)."
  value       = local.prefix
}

output "service_arn" {
  description = "App Runner service ARN the CD workflow updates (workflow variable SERVICE_ARN); null when the service runs on Kubernetes."
  value       = var.create_service ? aws_apprunner_service.service[0].arn : null
}

output "service_url" {
  description = "HTTPS URL of the prediction service (smoke tests; workflow variable SERVICE_URL); null when the service runs on Kubernetes."
  value       = var.create_service ? "https://${aws_apprunner_service.service[0].service_url}" : null
}

output "ecs_cluster" {
  description = "ECS cluster the CT workflow runs training in (workflow variable ECS_CLUSTER)."
  value       = aws_ecs_cluster.main.name
}

output "training_task_definition" {
  description = "Task definition family of the training job (workflow variable TRAINING_TASK_DEFINITION)."
  value       = aws_ecs_task_definition.training.family
}

output "training_subnet_ids" {
  description = "Subnets for `aws ecs run-task` (workflow variable TRAINING_SUBNETS, comma-separated)."
  value       = join(",", var.training_subnet_ids)
}

output "training_security_group_id" {
  description = "Security group for `aws ecs run-task` (workflow variable TRAINING_SECURITY_GROUP)."
  value       = aws_security_group.training.id
}

output "training_log_group" {
  description = "CloudWatch log group of the training job."
  value       = aws_cloudwatch_log_group.training.name
}
