# Training job runtime: the training task on ECS Fargate. CT (ct.yml, CT_RUNTIME=job, the
# default) pushes the training image to its own repository, registers a revision of this
# task with it and starts it with `aws ecs run-task` (scripts/ct-job.sh).

resource "aws_ecr_repository" "training" {
  name                 = "${local.prefix}-train"
  image_tag_mutability = "IMMUTABLE"
  force_delete         = false

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.main.arn
  }

  tags = local.tags
}

resource "aws_ecr_lifecycle_policy" "training" {
  repository = aws_ecr_repository.training.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last 50 training images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = 50
      }
      action = { type = "expire" }
    }]
  })
}

resource "aws_cloudwatch_log_group" "training" {
  name              = "/ml/${local.prefix}/training"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
  tags              = local.tags
}

resource "aws_ecs_cluster" "main" {
  name = local.prefix

  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  configuration {
    execute_command_configuration {
      kms_key_id = aws_kms_key.main.arn
      logging    = "OVERRIDE"

      log_configuration {
        cloud_watch_encryption_enabled = true
        cloud_watch_log_group_name     = aws_cloudwatch_log_group.training.name
      }
    }
  }

  tags = local.tags
}

data "aws_iam_policy_document" "ecs_tasks_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# Pulls the image and writes the logs.
resource "aws_iam_role" "task_execution" {
  name               = "${local.prefix}-task-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
  tags               = local.tags
}

data "aws_iam_policy_document" "task_execution" {
  statement {
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [aws_ecr_repository.training.arn]
  }

  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.training.arn}:*"]
  }

  statement {
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.main.arn]
  }
}

resource "aws_iam_role_policy" "task_execution" {
  name   = "pull-and-log"
  role   = aws_iam_role.task_execution.id
  policy = data.aws_iam_policy_document.task_execution.json
}

# What the training code may do: read data, write model artefacts.
resource "aws_iam_role" "training" {
  name               = "${local.prefix}-training"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
  tags               = local.tags
}

data "aws_iam_policy_document" "training" {
  statement {
    actions   = ["s3:GetObject", "s3:PutObject", "s3:ListBucket"]
    resources = [aws_s3_bucket.artefacts.arn, "${aws_s3_bucket.artefacts.arn}/*"]
  }

  statement {
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.main.arn]
  }
}

resource "aws_iam_role_policy" "training" {
  name   = "artefacts"
  role   = aws_iam_role.training.id
  policy = data.aws_iam_policy_document.training.json
}

resource "aws_ecs_task_definition" "training" {
  family                   = "${local.prefix}-training"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.training_cpu
  memory                   = var.training_memory
  execution_role_arn       = aws_iam_role.task_execution.arn
  task_role_arn            = aws_iam_role.training.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  # The only writable path: the root file system is read-only.
  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([{
    name                   = "train"
    image                  = "${aws_ecr_repository.training.repository_url}:${var.image_tag}"
    essential              = true
    command                = ["train", "--promote", "--params", "params.yaml"]
    readonlyRootFilesystem = true
    user                   = "10001:10001"
    privileged             = false
    environment = [
      { name = "ARTEFACT_BUCKET", value = aws_s3_bucket.artefacts.bucket },
      { name = "TMPDIR", value = "/tmp" },
    ]
    mountPoints = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.training.name
        awslogs-region        = local.region
        awslogs-stream-prefix = "train"
      }
    }
  }])

  tags = local.tags

  lifecycle {
    # CT registers revisions with each new image; Terraform keeps the rest of the task.
    ignore_changes = [container_definitions]
  }
}

resource "aws_security_group" "training" {
  #checkov:skip=CKV2_AWS_5:Attached at run time: `aws ecs run-task --network-configuration` passes it to the training task.
  name        = "${local.prefix}-training"
  description = "Training task: no inbound traffic, HTTPS out to ECR, S3, CloudWatch and MLflow"
  vpc_id      = var.vpc_id
  tags        = local.tags

  egress {
    description = "HTTPS to AWS APIs and the MLflow tracking server"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
