locals {
  name       = "${var.project}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  # Bucket names are global: the account id keeps them unique without a random suffix, so a
  # re-created stack finds the same names. The DAG bucket starts with "airflow-", the prefix
  # MWAA's documentation and console policies expect.
  lake_bucket_name = "${local.name}-lake-${local.account_id}"
  logs_bucket_name = "${local.name}-logs-${local.account_id}"
  dags_bucket_name = "airflow-${local.name}-${local.account_id}"

  # Lake prefixes (docs/CONTRACTS.md "Lake layout"); IAM and lifecycle rules are written
  # against these so a policy can be read next to the layout it protects.
  lake_prefixes_written_by_pipeline = ["archive", "quarantine", "curated", "reports", "models"]

  azs             = slice(data.aws_availability_zones.available.names, 0, var.az_count)
  public_subnets  = [for i in range(var.az_count) : cidrsubnet(var.vpc_cidr, 4, i)]
  private_subnets = [for i in range(var.az_count) : cidrsubnet(var.vpc_cidr, 4, i + 8)]

  api_container_name = "model-api"
  api_container_port = 8000
  mwaa_name          = "${local.name}-airflow"

  github_oidc_provider_arn = var.create_github_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : "arn:${local.partition}:iam::${local.account_id}:oidc-provider/token.actions.githubusercontent.com"
}
