# Two customer-managed keys with yearly rotation: one for data at rest (lake, DAG bucket,
# SQS, ECR) and one for CloudWatch Logs. Separate keys let an auditor grant log readers
# decryption of logs without any access to the lake's contents.

resource "aws_kms_key" "data" {
  description             = "${local.name}: lake, DAG bucket, SQS and ECR encryption"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms_data.json
}

resource "aws_kms_alias" "data" {
  name          = "alias/${local.name}-data"
  target_key_id = aws_kms_key.data.key_id
}

# In a key policy "Resource": "*" means "this key". The account statement delegates access to
# IAM (AWS's default key policy) so the role policies below decide who may use the key.
data "aws_iam_policy_document" "kms_data" {
  #checkov:skip=CKV_AWS_109:Key policy, not an identity policy: "Resource": "*" means this key only, and the statements name their principals.
  #checkov:skip=CKV_AWS_111:Key policy, not an identity policy: "Resource": "*" means this key only, and the statements name their principals.
  #checkov:skip=CKV_AWS_356:Key policy, not an identity policy: "Resource": "*" means this key only, and the statements name their principals.
  statement {
    sid       = "AccountAdministersKeyThroughIam"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # S3 encrypts event notification messages into the KMS-encrypted queue.
  statement {
    sid       = "S3SendsEncryptedEventNotifications"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_kms_key" "logs" {
  description             = "${local.name}: CloudWatch Logs encryption"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms_logs.json
}

resource "aws_kms_alias" "logs" {
  name          = "alias/${local.name}-logs"
  target_key_id = aws_kms_key.logs.key_id
}

data "aws_iam_policy_document" "kms_logs" {
  #checkov:skip=CKV_AWS_109:Key policy, not an identity policy: "Resource": "*" means this key only, and the statements name their principals.
  #checkov:skip=CKV_AWS_111:Key policy, not an identity policy: "Resource": "*" means this key only, and the statements name their principals.
  #checkov:skip=CKV_AWS_356:Key policy, not an identity policy: "Resource": "*" means this key only, and the statements name their principals.
  statement {
    sid       = "AccountAdministersKeyThroughIam"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
  statement {
    sid       = "CloudWatchLogsEncryptsThisAccountsLogGroups"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
    }
  }
}
