# The pipeline role: Amazon MWAA's execution role, which every Airflow task runs as.
# Lake access: read everything (ingest reads raw/, training reads curated/, the registry
# reads models/), write every prefix except raw/, delete only under raw/ (a raw file is
# moved to archive/ or quarantine/ after its copy is verified; docs/CONTRACTS.md).
# It can never delete an object *version* or change the bucket's protections, so with
# versioning on, every delete it makes is recoverable for data_noncurrent_retention_days.

data "aws_iam_policy_document" "pipeline_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["airflow.amazonaws.com", "airflow-env.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "pipeline" {
  name                 = "${local.name}-pipeline"
  description          = "Amazon MWAA execution role: Airflow tasks of the data pipeline"
  assume_role_policy   = data.aws_iam_policy_document.pipeline_assume.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "pipeline_lake" {
  statement {
    sid       = "ListLake"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [aws_s3_bucket.lake.arn]
  }

  statement {
    sid       = "ReadLake"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes"]
    resources = ["${aws_s3_bucket.lake.arn}/*"]
  }

  statement {
    sid       = "WriteDerivedPrefixes"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = [for p in local.lake_prefixes_written_by_pipeline : "${aws_s3_bucket.lake.arn}/${p}/*"]
  }

  statement {
    sid       = "MoveRawFilesAfterVerifiedCopy"
    actions   = ["s3:DeleteObject"]
    resources = ["${aws_s3_bucket.lake.arn}/raw/*"]
  }

  statement {
    sid    = "NeverDestroyHistoryOrProtections"
    effect = "Deny"
    actions = [
      "s3:DeleteObjectVersion",
      "s3:DeleteBucket",
      "s3:DeleteBucketPolicy",
      "s3:PutBucketPolicy",
      "s3:PutBucketVersioning",
      "s3:PutLifecycleConfiguration",
      "s3:PutBucketPublicAccessBlock",
      "s3:PutEncryptionConfiguration",
    ]
    resources = [aws_s3_bucket.lake.arn, "${aws_s3_bucket.lake.arn}/*"]
  }

  statement {
    sid       = "UseDataKeyThroughS3AndSqs"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [aws_kms_key.data.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com", "sqs.${local.region}.amazonaws.com"]
    }
  }

  statement {
    sid = "ConsumeRawEvents"
    actions = [
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:ChangeMessageVisibility",
      "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl",
    ]
    resources = [aws_sqs_queue.raw_events.arn]
  }
}

resource "aws_iam_role_policy" "pipeline_lake" {
  name   = "lake-access"
  role   = aws_iam_role.pipeline.id
  policy = data.aws_iam_policy_document.pipeline_lake.json
}

# What MWAA itself needs to run the environment, from the MWAA execution role reference:
# https://docs.aws.amazon.com/mwaa/latest/userguide/mwaa-create-role.html
data "aws_iam_policy_document" "pipeline_mwaa_runtime" {
  statement {
    sid       = "PublishAirflowMetrics"
    actions   = ["airflow:PublishMetrics"]
    resources = ["arn:${local.partition}:airflow:${local.region}:${local.account_id}:environment/${local.mwaa_name}"]
  }

  statement {
    sid       = "ReadAirflowCode"
    actions   = ["s3:GetObject*", "s3:GetBucket*", "s3:List*"]
    resources = [aws_s3_bucket.dags.arn, "${aws_s3_bucket.dags.arn}/*"]
  }

  statement {
    sid       = "DenyListingOtherBuckets"
    effect    = "Deny"
    actions   = ["s3:ListAllMyBuckets"]
    resources = ["*"]
  }

  statement {
    sid = "WriteAirflowLogs"
    actions = [
      "logs:CreateLogStream",
      "logs:CreateLogGroup",
      "logs:PutLogEvents",
      "logs:GetLogEvents",
      "logs:GetLogRecord",
      "logs:GetLogGroupFields",
      "logs:GetQueryResults",
    ]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:airflow-${local.mwaa_name}-*"]
  }

  statement {
    sid       = "AirflowCeleryQueues"
    actions   = ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:SendMessage"]
    resources = ["arn:${local.partition}:sqs:${local.region}:*:airflow-celery-*"]
  }

  # Airflow connections and variables come from Secrets Manager (secrets.backend in mwaa.tf).
  statement {
    sid     = "ReadAirflowSecrets"
    actions = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [
      "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:airflow/connections/*",
      "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:airflow/variables/*",
    ]
  }

  # These three APIs have no resource-level permissions; AWS documents "*" for them.
  statement {
    sid       = "ApisWithoutResourceLevelPermissions"
    actions   = ["logs:DescribeLogGroups", "cloudwatch:PutMetricData", "s3:GetAccountPublicAccessBlock"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "pipeline_mwaa_runtime" {
  name   = "mwaa-runtime"
  role   = aws_iam_role.pipeline.id
  policy = data.aws_iam_policy_document.pipeline_mwaa_runtime.json
}
