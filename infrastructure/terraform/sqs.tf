# raw/ ObjectCreated events -> SQS -> the Airflow ingest DAG (an asset watcher on the queue).
# Messages the consumer fails on 5 times go to the dead-letter queue instead of looping.

resource "aws_sqs_queue" "raw_events_dlq" {
  name                      = "${local.name}-raw-events-dlq"
  kms_master_key_id         = aws_kms_key.data.arn
  message_retention_seconds = 1209600 # 14 days, the maximum: time to investigate and redrive
}

resource "aws_sqs_queue" "raw_events" {
  name                       = "${local.name}-raw-events"
  kms_master_key_id          = aws_kms_key.data.arn
  visibility_timeout_seconds = 900    # longer than the ingest of one large file
  message_retention_seconds  = 345600 # 4 days: survives a long weekend outage of Airflow
  receive_wait_time_seconds  = 20     # long polling: fewer empty receives

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.raw_events_dlq.arn
    maxReceiveCount     = 5
  })
}

resource "aws_sqs_queue_redrive_allow_policy" "raw_events_dlq" {
  queue_url = aws_sqs_queue.raw_events_dlq.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.raw_events.arn]
  })
}

resource "aws_sqs_queue_policy" "raw_events" {
  queue_url = aws_sqs_queue.raw_events.id
  policy    = data.aws_iam_policy_document.raw_events_queue.json
}

data "aws_iam_policy_document" "raw_events_queue" {
  # Only the lake bucket, in this account, may send; nothing else can inject fake events.
  statement {
    sid       = "LakeBucketSendsRawEvents"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.raw_events.arn]
    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_s3_bucket.lake.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.raw_events.arn]
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
