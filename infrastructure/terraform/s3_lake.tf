# The data lake: raw/ drop zone, archive/, quarantine/, curated/, reports/, models/
# (docs/CONTRACTS.md). Versioned, KMS-encrypted, private, TLS-only, access-logged.

resource "aws_s3_bucket" "lake" {
  #checkov:skip=CKV_AWS_144:Single-region deployment; versioning plus noncurrent-version retention is the recovery path. Add replication per docs/DEPLOY.md if a second region is required.
  bucket = local.lake_bucket_name
}

resource "aws_s3_bucket_ownership_controls" "lake" {
  bucket = aws_s3_bucket.lake.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "lake" {
  bucket                  = aws_s3_bucket.lake.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "lake" {
  bucket = aws_s3_bucket.lake.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "lake" {
  bucket = aws_s3_bucket.lake.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.data.arn
    }
    # Bucket keys cut KMS request costs by orders of magnitude for many small objects.
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_logging" "lake" {
  bucket        = aws_s3_bucket.lake.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "s3/${local.lake_bucket_name}/"
}

resource "aws_s3_bucket_policy" "lake" {
  bucket = aws_s3_bucket.lake.id
  policy = data.aws_iam_policy_document.lake_bucket.json
  # The public access block must exist first, or S3 may evaluate the policy without it.
  depends_on = [aws_s3_bucket_public_access_block.lake]
}

data "aws_iam_policy_document" "lake_bucket" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.lake.arn,
      "${aws_s3_bucket.lake.arn}/*",
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

  statement {
    sid     = "DenyOutdatedTls"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.lake.arn,
      "${aws_s3_bucket.lake.arn}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "lake" {
  bucket = aws_s3_bucket.lake.id

  rule {
    id     = "archive-to-cheaper-storage"
    status = "Enabled"
    filter {
      prefix = "archive/"
    }
    transition {
      days          = var.archive_transition_days
      storage_class = var.archive_storage_class
    }
    noncurrent_version_expiration {
      noncurrent_days = var.data_noncurrent_retention_days
    }
  }

  rule {
    id     = "keep-old-model-versions-n-days"
    status = "Enabled"
    filter {
      prefix = "models/"
    }
    noncurrent_version_expiration {
      noncurrent_days = var.model_noncurrent_retention_days
    }
  }

  # A raw file is deleted only after its verified copy reached archive/ or quarantine/; the
  # delete leaves a noncurrent version, kept this long as a second safety net.
  dynamic "rule" {
    for_each = toset(["raw", "quarantine", "curated", "reports"])
    content {
      id     = "expire-noncurrent-${rule.value}"
      status = "Enabled"
      filter {
        prefix = "${rule.value}/"
      }
      noncurrent_version_expiration {
        noncurrent_days = var.data_noncurrent_retention_days
      }
    }
  }

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.lake]
}

# Event-driven ingestion: every object created under raw/ sends a message to SQS.
resource "aws_s3_bucket_notification" "lake_raw" {
  bucket = aws_s3_bucket.lake.id

  queue {
    id            = "raw-object-created"
    queue_arn     = aws_sqs_queue.raw_events.arn
    events        = ["s3:ObjectCreated:*"]
    filter_prefix = "raw/"
  }

  # S3 checks it may send to the queue when the notification is created.
  depends_on = [aws_sqs_queue_policy.raw_events]
}
