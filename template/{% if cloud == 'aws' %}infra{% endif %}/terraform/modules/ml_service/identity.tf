# CI identity: GitHub Actions authenticates through OIDC federation; there is no IAM user
# and no access key. The role trusts only workflows of var.github_repository, and only in
# the subjects of local.github_subjects.

locals {
  github_oidc_url  = "token.actions.githubusercontent.com"
  oidc_provider_id = var.create_github_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : data.aws_iam_openid_connect_provider.github[0].arn

  # The GitHub environment whose jobs deploy this stack: cd.yml's `staging` job, or its
  # `production` job (behind that environment's required reviewers) for prod.
  github_environment = var.environment == "prod" ? "production" : var.environment
  # Every OIDC subject this identity accepts, by purpose. Staging also trusts workflows on
  # the main branch: the CT and monitor jobs, which run in no environment. Production
  # trusts its environment only, so nothing reaches it without the environment's rules.
  github_subjects = {
    for purpose, subject in {
      "environment-${local.github_environment}" = "repo:${var.github_repository}:environment:${local.github_environment}"
      "branch-main"                             = var.environment == "staging" ? "repo:${var.github_repository}:ref:refs/heads/main" : ""
    } : purpose => subject if subject != ""
  }
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_github_oidc_provider ? 1 : 0

  url            = "https://${local.github_oidc_url}"
  client_id_list = ["sts.amazonaws.com"]
  tags           = local.tags
}

data "aws_iam_openid_connect_provider" "github" {
  count = var.create_github_oidc_provider ? 0 : 1

  url = "https://${local.github_oidc_url}"
}

data "aws_iam_policy_document" "ci_trust" {
  statement {
    sid     = "GitHubActionsOIDC"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_id]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_url}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_url}:sub"
      values   = values(local.github_subjects)
    }
  }
}

resource "aws_iam_role" "ci" {
  name                 = "${local.prefix}-github-ci"
  description          = "Assumed by GitHub Actions of ${var.github_repository} (${var.environment}) through OIDC"
  assume_role_policy   = data.aws_iam_policy_document.ci_trust.json
  max_session_duration = 3600
  tags                 = local.tags
}

data "aws_iam_policy_document" "ci" {
  #checkov:skip=CKV_AWS_111:ecs:RegisterTaskDefinition has no resource-level permissions; CT needs it to run training on the image it just built, and iam:PassRole limits the revisions to this service's roles.
  #checkov:skip=CKV_AWS_356:Same statement: ecs:RegisterTaskDefinition and ecs:DescribeTaskDefinition accept only "*" as resource.
  statement {
    sid       = "RegistryLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "PushImages"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:DescribeImages",
      "ecr:GetDownloadUrlForLayer",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = [aws_ecr_repository.service.arn, aws_ecr_repository.training.arn]
  }

  statement {
    sid       = "Artefacts"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:GetBucketLocation"]
    resources = [aws_s3_bucket.artefacts.arn, "${aws_s3_bucket.artefacts.arn}/*"]
  }

  statement {
    sid       = "UseKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.main.arn]
  }

  statement {
    sid       = "RunTraining"
    actions   = ["ecs:RunTask", "ecs:DescribeTasks", "ecs:StopTask"]
    resources = ["${aws_ecs_task_definition.training.arn_without_revision}:*", "arn:${local.partition}:ecs:${local.region}:${local.account_id}:task/${aws_ecs_cluster.main.name}/*"]
  }

  # CT registers a revision of the training task with the new image tag (ECR tags are
  # immutable), then runs it.
  statement {
    sid       = "RegisterTrainingRevisions"
    actions   = ["ecs:RegisterTaskDefinition", "ecs:DescribeTaskDefinition"]
    resources = ["*"]
  }

  statement {
    sid       = "PassTrainingRoles"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.task_execution.arn, aws_iam_role.training.arn]
  }

  statement {
    sid       = "ReadTrainingLogs"
    actions   = ["logs:GetLogEvents", "logs:FilterLogEvents"]
    resources = ["${aws_cloudwatch_log_group.training.arn}:*"]
  }

  dynamic "statement" {
    for_each = var.create_service ? [1] : []

    content {
      sid       = "DeployService"
      actions   = ["apprunner:UpdateService", "apprunner:StartDeployment", "apprunner:DescribeService", "apprunner:ListOperations"]
      resources = [aws_apprunner_service.service[0].arn]
    }
  }
}

resource "aws_iam_role_policy" "ci" {
  name   = "deploy"
  role   = aws_iam_role.ci.id
  policy = data.aws_iam_policy_document.ci.json
}
