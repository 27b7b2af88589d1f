# Airflow hosting: Amazon MWAA (managed scheduler, workers, web server and metadata DB),
# reading DAGs, plugins.zip and requirements.txt from the DAG bucket. Why MWAA rather than
# the compose stack on ECS: docs/ARCHITECTURE-aws.md. Off until the data-pipeline workflow
# has published plugins.zip and requirements.txt once (MWAA refuses to start without the
# objects it is pointed at); docs/DEPLOY.md step 6.

resource "aws_security_group" "mwaa" {
  name        = "${local.name}-mwaa"
  description = "Amazon MWAA: its own components talk to each other; HTTPS out"
  vpc_id      = aws_vpc.main.id
  tags        = { Name = "${local.name}-mwaa" }
}

# MWAA's components (workers, scheduler, web server, metadata DB endpoint) reach each other
# on several ports; AWS documents a self-referencing all-traffic rule.
resource "aws_vpc_security_group_ingress_rule" "mwaa_self" {
  security_group_id            = aws_security_group.mwaa.id
  description                  = "MWAA components to each other"
  referenced_security_group_id = aws_security_group.mwaa.id
  ip_protocol                  = "-1"
}

resource "aws_vpc_security_group_egress_rule" "mwaa_self" {
  security_group_id            = aws_security_group.mwaa.id
  description                  = "MWAA components to each other (metadata DB, Celery)"
  referenced_security_group_id = aws_security_group.mwaa.id
  ip_protocol                  = "-1"
}

resource "aws_vpc_security_group_egress_rule" "mwaa_https" {
  security_group_id = aws_security_group.mwaa.id
  description       = "HTTPS to AWS APIs (S3, SQS, CloudWatch, KMS) and PyPI for requirements"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_ingress_rule" "mwaa_webserver" {
  for_each          = toset(var.mwaa_webserver_allowed_cidrs)
  security_group_id = aws_security_group.mwaa.id
  description       = "Airflow UI through the private web server endpoint (VPN/bastion)"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

# MWAA has no plain environment-variable setting; its startup script is the documented way
# to give every Airflow component the pipeline's settings (PipelineSettings reads these).
resource "aws_s3_object" "mwaa_startup" {
  bucket                 = aws_s3_bucket.dags.id
  key                    = "startup.sh"
  content_type           = "text/x-shellscript"
  kms_key_id             = aws_kms_key.data.arn
  server_side_encryption = "aws:kms"
  content                = <<-EOT
    #!/bin/sh
    export LAKE_URL="s3://${aws_s3_bucket.lake.id}"
    export PIPELINE_RAW_EVENTS_QUEUE_URL="${aws_sqs_queue.raw_events.id}"
    export AWS_DEFAULT_REGION="${local.region}"
  EOT
}

resource "aws_mwaa_environment" "airflow" {
  count = var.enable_mwaa ? 1 : 0

  name                             = local.mwaa_name
  airflow_version                  = var.mwaa_airflow_version
  environment_class                = var.mwaa_environment_class
  min_workers                      = 1
  max_workers                      = var.mwaa_max_workers
  execution_role_arn               = aws_iam_role.pipeline.arn
  source_bucket_arn                = aws_s3_bucket.dags.arn
  dag_s3_path                      = "dags/"
  plugins_s3_path                  = "plugins.zip"
  requirements_s3_path             = "requirements.txt"
  startup_script_s3_path           = aws_s3_object.mwaa_startup.key
  startup_script_s3_object_version = aws_s3_object.mwaa_startup.version_id
  webserver_access_mode            = "PRIVATE_ONLY"

  airflow_configuration_options = {
    "core.load_examples"               = "False"
    "core.dags_are_paused_at_creation" = "True"
    "secrets.backend"                  = "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend"
    "secrets.backend_kwargs"           = jsonencode({ connections_prefix = "airflow/connections", variables_prefix = "airflow/variables" })
  }

  network_configuration {
    security_group_ids = [aws_security_group.mwaa.id]
    # MWAA takes exactly two private subnets.
    subnet_ids = slice(aws_subnet.private[*].id, 0, 2)
  }

  logging_configuration {
    dag_processing_logs {
      enabled   = true
      log_level = "INFO"
    }
    scheduler_logs {
      enabled   = true
      log_level = "INFO"
    }
    task_logs {
      enabled   = true
      log_level = "INFO"
    }
    webserver_logs {
      enabled   = true
      log_level = "WARNING"
    }
    worker_logs {
      enabled   = true
      log_level = "INFO"
    }
  }

  # The data-pipeline workflow publishes new plugins/requirements versions and updates the
  # environment itself; Terraform must not roll those back.
  lifecycle {
    ignore_changes = [plugins_s3_object_version, requirements_s3_object_version]
  }
}
