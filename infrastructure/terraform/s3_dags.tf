# Airflow code bucket for MWAA: dags/, plugins.zip (the `pipeline` wheel) and
# requirements.txt. Kept apart from the lake so CI may publish code without any access to
# data, and the pipeline may read code without being able to change it.

resource "aws_s3_bucket" "dags" {
  #checkov:skip=CKV_AWS_144:Single-region deployment; the bucket's content is rebuilt from git by the data-pipeline workflow.
  #checkov:skip=CKV2_AWS_62:MWAA polls the bucket itself; no event consumer is needed.
  bucket = local.dags_bucket_name
}

resource "aws_s3_bucket_ownership_controls" "dags" {
  bucket = aws_s3_bucket.dags.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "dags" {
  bucket                  = aws_s3_bucket.dags.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# MWAA requires versioning on its source bucket (it pins plugins/requirements by version).
resource "aws_s3_bucket_versioning" "dags" {
  bucket = aws_s3_bucket.dags.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "dags" {
  bucket = aws_s3_bucket.dags.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.data.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_logging" "dags" {
  bucket        = aws_s3_bucket.dags.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "s3/${local.dags_bucket_name}/"
}

resource "aws_s3_bucket_lifecycle_configuration" "dags" {
  bucket = aws_s3_bucket.dags.id

  rule {
    id     = "expire-old-code-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.dags]
}

resource "aws_s3_bucket_policy" "dags" {
  bucket     = aws_s3_bucket.dags.id
  policy     = data.aws_iam_policy_document.dags_bucket.json
  depends_on = [aws_s3_bucket_public_access_block.dags]
}

data "aws_iam_policy_document" "dags_bucket" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.dags.arn,
      "${aws_s3_bucket.dags.arn}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}
