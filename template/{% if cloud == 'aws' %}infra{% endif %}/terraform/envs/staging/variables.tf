variable "aws_region" {
  description = "AWS region of the staging environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.aws_region))
    error_message = "aws_region must be an AWS region name such as eu-west-1."
  }
}

variable "name" {
  description = "Service name; prefixes every resource (lowercase letters, digits and dashes)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "github_repository" {
  description = "GitHub repository (\"org/repo\") whose workflows in the staging environment may deploy. No default: it must be set."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be \"org/repo\"."
  }
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub OIDC provider; false when another environment in the same account already did."
  type        = bool
  default     = true
}

variable "create_service" {
  description = "Run the prediction service on App Runner; false when it runs on Kubernetes (deploy/k8s)."
  type        = bool
  default     = true
}

variable "image_tag" {
  description = "Image tag of the first deployment; the CD workflow deploys later tags."
  type        = string
  default     = "latest"

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))
    error_message = "image_tag must be a valid container image tag."
  }
}

variable "min_instances" {
  description = "Minimum number of service instances."
  type        = number
  default     = 1

  validation {
    condition     = var.min_instances >= 1 && var.min_instances <= 25
    error_message = "min_instances must be between 1 and 25."
  }
}

variable "max_instances" {
  description = "Maximum number of service instances."
  type        = number
  default     = 2

  validation {
    condition     = var.max_instances >= var.min_instances && var.max_instances <= 25
    error_message = "max_instances must be at least min_instances and at most 25."
  }
}

variable "vpc_id" {
  description = "VPC the training task runs in."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC id (vpc-...)."
  }
}

variable "training_subnet_ids" {
  description = "Private subnets for the training task."
  type        = list(string)

  validation {
    condition     = length(var.training_subnet_ids) > 0
    error_message = "training_subnet_ids must hold at least one subnet id."
  }
}
