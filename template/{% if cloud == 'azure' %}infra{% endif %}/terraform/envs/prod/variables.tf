variable "subscription_id" {
  description = "Azure subscription the prod environment lives in."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", var.subscription_id))
    error_message = "subscription_id must be a subscription GUID."
  }
}

variable "location" {
  description = "Azure region of every resource (e.g. westeurope)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+[a-z0-9]*$", var.location))
    error_message = "location must be an Azure region name such as westeurope."
  }
}

variable "name" {
  description = "Name of the service; prefixes every resource (lowercase letters, digits and dashes)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,14}[a-z0-9]$", var.name))
    error_message = "name must be 3-16 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "github_repository" {
  description = "GitHub repository (\"org/repo\") whose workflows may use the CI identity. No default: it must be set."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be \"org/repo\"."
  }
}

variable "create_service" {
  description = "Run the prediction service on Azure Container Apps. False when it runs on Kubernetes (deploy/k8s)."
  type        = bool
  default     = true
}

variable "image_tag" {
  description = "Image tag the first deployment starts from; the CD workflow deploys later tags."
  type        = string
  default     = "latest"
}

variable "min_replicas" {
  description = "Minimum number of service replicas."
  type        = number
  default     = 2

  validation {
    condition     = var.min_replicas >= 0 && var.min_replicas <= 30
    error_message = "min_replicas must be between 0 and 30."
  }
}

variable "max_replicas" {
  description = "Maximum number of service replicas the autoscaler may start."
  type        = number
  default     = 10

  validation {
    condition     = var.max_replicas >= 1 && var.max_replicas <= 30
    error_message = "max_replicas must be between 1 and 30."
  }
}
