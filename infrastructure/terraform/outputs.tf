output "lake_bucket" {
  description = "Name of the lake bucket; LAKE_URL is s3://<this>."
  value       = aws_s3_bucket.lake.id
}

output "lake_url" {
  description = "LAKE_URL for the pipeline and model-api."
  value       = "s3://${aws_s3_bucket.lake.id}"
}

output "dags_bucket" {
  description = "Bucket MWAA reads dags/, plugins.zip and requirements.txt from (GitHub variable DAGS_BUCKET)."
  value       = aws_s3_bucket.dags.id
}

output "logs_bucket" {
  description = "Bucket holding S3 and ALB access logs."
  value       = aws_s3_bucket.logs.id
}

output "raw_events_queue_url" {
  description = "SQS queue receiving raw/ ObjectCreated events (the ingest DAG's asset watcher polls it)."
  value       = aws_sqs_queue.raw_events.id
}

output "raw_events_dlq_url" {
  description = "Dead-letter queue for raw/ events the consumer failed on 5 times."
  value       = aws_sqs_queue.raw_events_dlq.id
}

output "ecr_repository_urls" {
  description = "ECR repository URL per component image (GitHub variables ECR_REPOSITORY_*)."
  value       = { for k, r in aws_ecr_repository.this : k => r.repository_url }
}

output "api_url" {
  description = "HTTPS URL of model-api through the load balancer; point your DNS name (the certificate's) at api_alb_dns_name."
  value       = "https://${aws_lb.api.dns_name}"
}

output "api_alb_dns_name" {
  description = "DNS name of the model-api load balancer (target of your CNAME/alias record)."
  value       = aws_lb.api.dns_name
}

output "ecs_cluster" {
  description = "ECS cluster name (GitHub variable ECS_CLUSTER)."
  value       = aws_ecs_cluster.main.name
}

output "ecs_service" {
  description = "ECS service name of model-api (GitHub variable ECS_SERVICE)."
  value       = aws_ecs_service.api.name
}

output "api_task_definition_family" {
  description = "Task definition family CI registers new revisions in (GitHub variable ECS_TASK_FAMILY)."
  value       = aws_ecs_task_definition.api.family
}

output "mwaa_environment_name" {
  description = "Name of the MWAA environment (GitHub variable MWAA_ENVIRONMENT), whether or not it is enabled yet."
  value       = local.mwaa_name
}

output "mwaa_webserver_url" {
  description = "Airflow UI URL (private endpoint), empty until enable_mwaa = true."
  value       = var.enable_mwaa ? aws_mwaa_environment.airflow[0].webserver_url : ""
}

output "github_plan_role_arn" {
  description = "Role for pull-request jobs (GitHub variable AWS_PLAN_ROLE_ARN)."
  value       = aws_iam_role.github_plan.arn
}

output "github_release_role_arn" {
  description = "Role for main-branch build and deploy jobs (GitHub variable AWS_RELEASE_ROLE_ARN)."
  value       = aws_iam_role.github_release.arn
}

output "github_terraform_role_arn" {
  description = "Role for terraform apply in the protected environment (GitHub variable AWS_TERRAFORM_ROLE_ARN)."
  value       = aws_iam_role.github_terraform.arn
}

output "api_key_secret_arn" {
  description = "Secrets Manager secret holding the model-api X-API-Key; put its value before the first deploy."
  value       = aws_secretsmanager_secret.api_key.arn
}
