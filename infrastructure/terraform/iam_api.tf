# model-api permissions. Task role (what the running code may call): read models/ and the
# latest drift status; write only its own prediction logs under predictions/ (sampled
# requests for drift checks); no delete anywhere, no other prefix. Execution role (what ECS needs to
# start the task): pull the image, write its log stream.

data "aws_iam_policy_document" "ecs_tasks_assume" {
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

resource "aws_iam_role" "api_task" {
  name                 = "${local.name}-model-api-task"
  description          = "model-api containers: read models/, write predictions/ logs"
  assume_role_policy   = data.aws_iam_policy_document.ecs_tasks_assume.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "api_task" {
  statement {
    sid       = "ListModelsOnly"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.lake.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["models/*"]
    }
  }

  statement {
    sid       = "ReadModels"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${aws_s3_bucket.lake.arn}/models/*"]
  }

  statement {
    sid       = "ReadLatestDriftStatus"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.lake.arn}/reports/*/drift/latest.json"]
  }

  statement {
    sid       = "WritePredictionLogsOnly"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.lake.arn}/predictions/*"]
  }

  statement {
    sid       = "UseLakeKeyThroughS3"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.data.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "api_task" {
  name   = "read-models"
  role   = aws_iam_role.api_task.id
  policy = data.aws_iam_policy_document.api_task.json
}

resource "aws_iam_role" "api_execution" {
  name                 = "${local.name}-model-api-execution"
  description          = "ECS agent for model-api: pull the image, write logs"
  assume_role_policy   = data.aws_iam_policy_document.ecs_tasks_assume.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "api_execution" {
  # GetAuthorizationToken has no resource-level permission; AWS documents "*".
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "PullModelApiImage"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [aws_ecr_repository.this["model-api"].arn]
  }

  statement {
    sid       = "WriteContainerLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.api.arn}:*"]
  }

  statement {
    sid       = "InjectApiKey"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.api_key.arn]
  }

  statement {
    sid       = "DecryptApiKeyThroughSecretsManager"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.data.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "api_execution" {
  name   = "pull-and-log"
  role   = aws_iam_role.api_execution.id
  policy = data.aws_iam_policy_document.api_execution.json
}
