# Serving runtime: App Runner pulls the image from ECR, probes /ready and scales on
# concurrent requests. Not created when the service runs on Kubernetes.

data "aws_iam_policy_document" "apprunner_ecr_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["build.apprunner.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "apprunner_ecr" {
  count = var.create_service ? 1 : 0

  name               = "${local.prefix}-apprunner-ecr"
  assume_role_policy = data.aws_iam_policy_document.apprunner_ecr_trust.json
  tags               = local.tags
}

data "aws_iam_policy_document" "apprunner_ecr" {
  statement {
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:DescribeImages", "ecr:GetDownloadUrlForLayer"]
    resources = [aws_ecr_repository.service.arn]
  }

  statement {
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.main.arn]
  }
}

resource "aws_iam_role_policy" "apprunner_ecr" {
  count = var.create_service ? 1 : 0

  name   = "pull"
  role   = aws_iam_role.apprunner_ecr[0].id
  policy = data.aws_iam_policy_document.apprunner_ecr.json
}

data "aws_iam_policy_document" "apprunner_instance_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["tasks.apprunner.amazonaws.com"]
    }
  }
}

# What the running service may do: read model artefacts.
data "aws_iam_policy_document" "read_artefacts" {
  statement {
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = [aws_s3_bucket.artefacts.arn, "${aws_s3_bucket.artefacts.arn}/*"]
  }

  statement {
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.main.arn]
  }
}

resource "aws_iam_role" "service" {
  count = var.create_service ? 1 : 0

  name               = "${local.prefix}-service"
  assume_role_policy = data.aws_iam_policy_document.apprunner_instance_trust.json
  tags               = local.tags
}

resource "aws_iam_role_policy" "service" {
  count = var.create_service ? 1 : 0

  name   = "read-artefacts"
  role   = aws_iam_role.service[0].id
  policy = data.aws_iam_policy_document.read_artefacts.json
}

resource "aws_apprunner_auto_scaling_configuration_version" "service" {
  count = var.create_service ? 1 : 0

  auto_scaling_configuration_name = substr(local.prefix, 0, 32)
  min_size                        = var.min_instances
  max_size                        = var.max_instances
  max_concurrency                 = var.max_concurrency
  tags                            = local.tags
}

resource "aws_apprunner_service" "service" {
  count = var.create_service ? 1 : 0

  service_name                   = local.prefix
  auto_scaling_configuration_arn = aws_apprunner_auto_scaling_configuration_version.service[0].arn

  source_configuration {
    auto_deployments_enabled = false

    authentication_configuration {
      access_role_arn = aws_iam_role.apprunner_ecr[0].arn
    }

    image_repository {
      image_identifier      = "${aws_ecr_repository.service.repository_url}:${var.image_tag}"
      image_repository_type = "ECR"

      image_configuration {
        port = "8000"
        runtime_environment_variables = {
          ARTEFACT_BUCKET = aws_s3_bucket.artefacts.bucket
        }
      }
    }
  }

  health_check_configuration {
    protocol            = "HTTP"
    path                = "/ready"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 1
    unhealthy_threshold = 3
  }

  instance_configuration {
    cpu               = var.service_cpu
    memory            = var.service_memory
    instance_role_arn = aws_iam_role.service[0].arn
  }

  encryption_configuration {
    kms_key = aws_kms_key.main.arn
  }

  observability_configuration {
    observability_enabled = false
  }

  tags = local.tags

  lifecycle {
    # CD deploys each new image tag and pins its model version (scripts/deploy.sh);
    # Terraform must not roll either back.
    ignore_changes = [
      source_configuration[0].image_repository[0].image_identifier,
      source_configuration[0].image_repository[0].image_configuration[0].runtime_environment_variables["MODEL_VERSION"],
    ]
  }
}
