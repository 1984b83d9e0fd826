variable "project_id" {
  description = "Google Cloud project every resource is created in."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project id."
  }
}

variable "region" {
  description = "Region of the registry, bucket, key and Cloud Run resources."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must be a Google Cloud region such as europe-west1."
  }
}

variable "name" {
  description = "Name of the service; prefixes every resource (lowercase letters, digits and dashes)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.name))
    error_message = "name must be 3-20 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "github_repository" {
  description = "GitHub repository (\"org/repo\") whose workflows may impersonate the CI service account. No default: it must be set."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be \"org/repo\"."
  }
}

variable "create_service" {
  description = "Run the prediction service on Cloud Run. False when it runs on Kubernetes (deploy/k8s)."
  type        = bool
  default     = true
}

variable "image_tag" {
  description = "Image tag Cloud Run starts from on the first apply; the CD workflow deploys later tags."
  type        = string
  default     = "latest"
}

variable "min_instances" {
  description = "Minimum number of Cloud Run instances."
  type        = number
  default     = 0

  validation {
    condition     = var.min_instances >= 0 && var.min_instances <= 100
    error_message = "min_instances must be between 0 and 100."
  }
}

variable "max_instances" {
  description = "Maximum number of Cloud Run instances the autoscaler may start."
  type        = number
  default     = 2

  validation {
    condition     = var.max_instances >= 1 && var.max_instances <= 100
    error_message = "max_instances must be between 1 and 100."
  }
}
