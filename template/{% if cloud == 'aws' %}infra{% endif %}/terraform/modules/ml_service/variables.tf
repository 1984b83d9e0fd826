variable "name" {
  description = "Name of the service; prefixes every resource (lowercase letters, digits and dashes)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "environment" {
  description = "Deployment environment; also the GitHub environment the CI role trusts."
  type        = string

  validation {
    condition     = contains(["staging", "prod"], var.environment)
    error_message = "environment must be staging or prod."
  }
}

variable "github_repository" {
  description = "GitHub repository (\"org/repo\") whose workflows may assume the CI role. No default: it must be set."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be \"org/repo\"."
  }
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub OIDC provider. Set false when another stack (e.g. the other environment in the same account) already created it."
  type        = bool
  default     = true
}

variable "create_service" {
  description = "Run the prediction service on App Runner. False when it runs on Kubernetes (deploy/k8s)."
  type        = bool
  default     = true
}

variable "image_tag" {
  description = "Image tag App Runner starts from on the first apply; the CD workflow deploys later tags."
  type        = string
  default     = "latest"
}

variable "service_cpu" {
  description = "App Runner vCPU per instance (e.g. \"1024\" = 1 vCPU)."
  type        = string
  default     = "1024"

  validation {
    condition     = contains(["256", "512", "1024", "2048", "4096"], var.service_cpu)
    error_message = "service_cpu must be one of 256, 512, 1024, 2048, 4096."
  }
}

variable "service_memory" {
  description = "App Runner memory per instance in MB."
  type        = string
  default     = "2048"

  validation {
    condition     = contains(["512", "1024", "2048", "3072", "4096", "6144", "8192", "10240", "12288"], var.service_memory)
    error_message = "service_memory must be a memory size App Runner supports (512-12288 MB)."
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
  description = "Maximum number of service instances the autoscaler may start."
  type        = number
  default     = 4

  validation {
    condition     = var.max_instances >= 1 && var.max_instances <= 25
    error_message = "max_instances must be between 1 and 25."
  }
}

variable "max_concurrency" {
  description = "Concurrent requests per instance before App Runner scales out."
  type        = number
  default     = 50

  validation {
    condition     = var.max_concurrency >= 1 && var.max_concurrency <= 200
    error_message = "max_concurrency must be between 1 and 200."
  }
}

variable "training_cpu" {
  description = "Fargate CPU units of the training task."
  type        = number
  default     = 2048

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.training_cpu)
    error_message = "training_cpu must be a Fargate CPU size."
  }
}

variable "training_memory" {
  description = "Fargate memory (MB) of the training task."
  type        = number
  default     = 4096

  validation {
    condition     = var.training_memory >= 512 && var.training_memory <= 122880
    error_message = "training_memory must be between 512 and 122880 MB."
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
  description = "Private subnets (with a NAT or VPC endpoints for ECR, S3 and CloudWatch Logs) for the training task."
  type        = list(string)

  validation {
    condition     = length(var.training_subnet_ids) > 0 && alltrue([for id in var.training_subnet_ids : can(regex("^subnet-[0-9a-f]+$", id))])
    error_message = "training_subnet_ids must hold at least one subnet id (subnet-...)."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch retention of at least one year."
  }
}

variable "artefact_noncurrent_days" {
  description = "Days old versions of artefacts are kept before expiry."
  type        = number
  default     = 90

  validation {
    condition     = var.artefact_noncurrent_days >= 1
    error_message = "artefact_noncurrent_days must be at least 1."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
