# What this stack created, for people and scripts. The workflows read github_variables
# (at the end): the same values under the names of their GitHub variables.

output "aws_region" {
  description = "Region of every resource."
  value       = local.region
}

output "ci_role_arn" {
  description = "Role GitHub Actions assumes through OIDC."
  value       = aws_iam_role.ci.arn
}

output "registry" {
  description = "ECR registry host to log in to."
  value       = split("/", aws_ecr_repository.service.repository_url)[0]
}

output "image_repository" {
  description = "Full image repository URL, without tag."
  value       = aws_ecr_repository.service.repository_url
}

output "artefact_bucket" {
  description = "S3 bucket for model artefacts and data."
  value       = aws_s3_bucket.artefacts.bucket
}

output "service_name" {
  description = "Name of the prediction service."
  value       = local.prefix
}

output "service_arn" {
  description = "App Runner service ARN; null when the service runs on Kubernetes."
  value       = var.create_service ? aws_apprunner_service.service[0].arn : null
}

output "service_url" {
  description = "HTTPS URL of the prediction service; null when the service runs on Kubernetes."
  value       = var.create_service ? "https://${aws_apprunner_service.service[0].service_url}" : null
}

output "training_image_repository" {
  description = "ECR repository of the training image (IMAGE_NAME-train), without tag."
  value       = aws_ecr_repository.training.repository_url
}

output "ecs_cluster" {
  description = "ECS cluster of the training task (training too large for a CI runner)."
  value       = aws_ecs_cluster.main.name
}

output "training_task_definition" {
  description = "Task definition family of the training job."
  value       = aws_ecs_task_definition.training.family
}

output "training_subnet_ids" {
  description = "Subnets for `aws ecs run-task`."
  value       = join(",", var.training_subnet_ids)
}

output "training_security_group_id" {
  description = "Security group for `aws ecs run-task`."
  value       = aws_security_group.training.id
}

output "training_log_group" {
  description = "CloudWatch log group of the training job."
  value       = aws_cloudwatch_log_group.training.name
}

# The GitHub Actions variables the workflows read, by name, so that setting them is one
# loop over `terraform output -json github_variables` (docs: Infrastructure). Staging's go
# to the repository (the CT and monitor jobs run in no environment), prod's to the
# `production` environment, where they override the repository's.
output "github_variables" {
  description = "Variables for GitHub Actions, by name (staging: repository variables; prod: the production environment's)."
  value = {
    for name, value in {
      AWS_REGION            = local.region
      AWS_ROLE_ARN          = aws_iam_role.ci.arn
      REGISTRY              = split("/", aws_ecr_repository.service.repository_url)[0]
      IMAGE_NAME            = aws_ecr_repository.service.name
      APPRUNNER_SERVICE_ARN = var.create_service ? aws_apprunner_service.service[0].arn : null
      SERVICE_URL           = var.create_service ? "https://${aws_apprunner_service.service[0].service_url}" : null
      # CT's job runtime (scripts/ct-job.sh): this ECS task, or the cluster when the service
      # runs on Kubernetes.
      ECS_CLUSTER         = var.create_service ? aws_ecs_cluster.main.name : null
      ECS_TASK_DEFINITION = var.create_service ? aws_ecs_task_definition.training.family : null
      ECS_SUBNETS         = var.create_service ? join(",", var.training_subnet_ids) : null
      ECS_SECURITY_GROUP  = var.create_service ? aws_security_group.training.id : null
      ECS_LOG_GROUP       = var.create_service ? aws_cloudwatch_log_group.training.name : null
    } : name => value if value != null
  }
}
