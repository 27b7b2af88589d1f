variable "aws_region" {
  description = "AWS region for every resource of this stack, e.g. eu-west-1."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must look like an AWS region name, e.g. eu-west-1."
  }
}

variable "project" {
  description = "Short project name; the prefix of every resource name (lower case, digits, dashes)."
  type        = string
  default     = "csv-to-model"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,20}$", var.project))
    error_message = "project must be 3-21 characters: lower-case letters, digits and dashes, starting with a letter."
  }
}

variable "environment" {
  description = "Deployment environment name, part of resource names (e.g. prod, staging)."
  type        = string
  default     = "prod"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.environment))
    error_message = "environment must be 2-10 lower-case letters or digits, starting with a letter."
  }
}

variable "tags" {
  description = "Extra tags added to every resource (on top of Project, Environment, ManagedBy, Repository)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) <= 128 && length(v) <= 256 && !startswith(lower(k), "aws:")])
    error_message = "tags: keys at most 128 characters and not starting with aws:, values at most 256 characters."
  }
}

variable "github_repository" {
  description = "GitHub repository allowed to assume the CI roles through OIDC, as owner/name."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name, e.g. acme/csv-to-model."
  }
}

variable "github_deploy_environment" {
  description = "GitHub environment (with required reviewers) whose jobs may assume the apply and deploy roles."
  type        = string
  default     = "production"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.github_deploy_environment))
    error_message = "github_deploy_environment must be 1-64 letters, digits, dashes or underscores."
  }
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub OIDC identity provider; false when the account already has one (only one per URL is allowed)."
  type        = bool
  default     = true
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC; split into public and private subnets across availability zones."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) <= 20
    error_message = "vpc_cidr must be a valid IPv4 CIDR of /20 or larger."
  }
}

variable "az_count" {
  description = "Number of availability zones to spread subnets, tasks and MWAA over (MWAA needs exactly two private subnets, so at least 2)."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 3
    error_message = "az_count must be 2 or 3."
  }
}

variable "archive_transition_days" {
  description = "Days after which objects under archive/ move to a cheaper storage class."
  type        = number
  default     = 30

  validation {
    condition     = var.archive_transition_days >= 30
    error_message = "archive_transition_days must be at least 30 (S3's minimum for STANDARD_IA)."
  }
}

variable "archive_storage_class" {
  description = "Storage class for archive/ after archive_transition_days."
  type        = string
  default     = "GLACIER_IR"

  validation {
    condition     = contains(["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"], var.archive_storage_class)
    error_message = "archive_storage_class must be one of STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE."
  }
}

variable "model_noncurrent_retention_days" {
  description = "Days an overwritten or deleted object under models/ (an old champion.json, a removed version) is kept before S3 expires it."
  type        = number
  default     = 90

  validation {
    condition     = var.model_noncurrent_retention_days >= 1 && var.model_noncurrent_retention_days <= 3650
    error_message = "model_noncurrent_retention_days must be between 1 and 3650."
  }
}

variable "access_log_retention_days" {
  description = "Days S3 and ALB access logs are kept in the log bucket."
  type        = number
  default     = 365

  validation {
    condition     = var.access_log_retention_days >= 90
    error_message = "access_log_retention_days must be at least 90 so incidents can still be investigated."
  }
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention for the API, VPC flow logs and MWAA; a value CloudWatch accepts, at least one year."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch retention value of at least 365 (365, 400, 545, 731, 1096, 1827, ...)."
  }
}

variable "api_certificate_arn" {
  description = "ARN of the ACM certificate (same region) for the HTTPS listener of the model-api load balancer."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+$", var.api_certificate_arn))
    error_message = "api_certificate_arn must be an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)."
  }
}

variable "api_allowed_cidrs" {
  description = "IPv4 CIDRs allowed to reach the model-api load balancer; narrow it to your clients' ranges when they are known."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.api_allowed_cidrs) > 0 && alltrue([for c in var.api_allowed_cidrs : can(cidrhost(c, 0))])
    error_message = "api_allowed_cidrs must be a non-empty list of valid IPv4 CIDRs."
  }
}

variable "api_rate_limit_per_5min" {
  description = "WAF rate limit: requests one client IP may send in 5 minutes before it is blocked."
  type        = number
  default     = 6000

  validation {
    condition     = var.api_rate_limit_per_5min >= 100 && var.api_rate_limit_per_5min <= 2000000000
    error_message = "api_rate_limit_per_5min must be between 100 and 2,000,000,000."
  }
}

variable "api_image_tag" {
  description = "Tag of the model-api image in ECR for the first deployment; CI deploys later tags by registering new task definitions."
  type        = string
  default     = "bootstrap"

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.api_image_tag)) && var.api_image_tag != "latest"
    error_message = "api_image_tag must be a valid image tag and not 'latest' (tags are immutable; deploy by version)."
  }
}

variable "api_dataset" {
  description = "Dataset whose champion model the API serves (MODEL_API_DATASET)."
  type        = string
  default     = "wine_quality"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]*$", var.api_dataset))
    error_message = "api_dataset must be a snake_case dataset name."
  }
}

variable "api_cpu" {
  description = "Fargate CPU units for one model-api task (1024 = 1 vCPU)."
  type        = number
  default     = 512

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096], var.api_cpu)
    error_message = "api_cpu must be one of 256, 512, 1024, 2048, 4096."
  }
}

variable "api_memory" {
  description = "Memory (MiB) for one model-api task; must be a Fargate-valid pairing with api_cpu."
  type        = number
  default     = 1024

  validation {
    condition     = var.api_memory >= 512 && var.api_memory <= 30720
    error_message = "api_memory must be between 512 and 30720 MiB."
  }
}

variable "api_min_count" {
  description = "Minimum number of model-api tasks (2 or more keeps serving through an AZ or task loss)."
  type        = number
  default     = 2

  validation {
    condition     = var.api_min_count >= 1
    error_message = "api_min_count must be at least 1."
  }
}

variable "api_max_count" {
  description = "Maximum number of model-api tasks autoscaling may run."
  type        = number
  default     = 10

  validation {
    condition     = var.api_max_count >= 1 && var.api_max_count <= 100
    error_message = "api_max_count must be between 1 and 100."
  }
}

variable "api_cpu_target_percent" {
  description = "Average CPU utilisation the API service is scaled to hold."
  type        = number
  default     = 60

  validation {
    condition     = var.api_cpu_target_percent >= 20 && var.api_cpu_target_percent <= 90
    error_message = "api_cpu_target_percent must be between 20 and 90."
  }
}

variable "api_requests_per_target" {
  description = "ALB requests per minute per task the API service is scaled to hold."
  type        = number
  default     = 3000

  validation {
    condition     = var.api_requests_per_target >= 10
    error_message = "api_requests_per_target must be at least 10."
  }
}

variable "mwaa_airflow_version" {
  description = "Airflow version of the MWAA environment: at least the 3.3 the pipeline declares (apache-airflow>=3.3,<3.4). MWAA accepts only versions it offers; apply fails with an invalid-version error if this one is not offered yet."
  type        = string
  default     = "3.3.2"

  validation {
    condition     = can(regex("^3\\.3\\.[0-9]+$", var.mwaa_airflow_version))
    error_message = "mwaa_airflow_version must be a 3.3.x release: the pipeline requires apache-airflow>=3.3,<3.4."
  }
}

variable "mwaa_environment_class" {
  description = "MWAA environment class (scheduler and worker size)."
  type        = string
  default     = "mw1.small"

  validation {
    condition     = contains(["mw1.micro", "mw1.small", "mw1.medium", "mw1.large", "mw1.xlarge", "mw1.2xlarge"], var.mwaa_environment_class)
    error_message = "mwaa_environment_class must be one of mw1.micro, mw1.small, mw1.medium, mw1.large, mw1.xlarge, mw1.2xlarge."
  }
}

variable "mwaa_max_workers" {
  description = "Upper bound of MWAA Celery workers (MWAA scales workers between 1 and this on queue depth)."
  type        = number
  default     = 4

  validation {
    condition     = var.mwaa_max_workers >= 1 && var.mwaa_max_workers <= 25
    error_message = "mwaa_max_workers must be between 1 and 25."
  }
}

variable "mwaa_webserver_allowed_cidrs" {
  description = "CIDRs allowed to reach the MWAA web server through its private endpoint (VPN or bastion ranges)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.mwaa_webserver_allowed_cidrs : can(cidrhost(c, 0))])
    error_message = "mwaa_webserver_allowed_cidrs must contain valid IPv4 CIDRs."
  }
}

variable "data_noncurrent_retention_days" {
  description = "Days an overwritten or deleted object under raw/, archive/, quarantine/, curated/ or reports/ is kept as a noncurrent version."
  type        = number
  default     = 30

  validation {
    condition     = var.data_noncurrent_retention_days >= 1 && var.data_noncurrent_retention_days <= 3650
    error_message = "data_noncurrent_retention_days must be between 1 and 3650."
  }
}

variable "enable_mwaa" {
  description = "Create the MWAA environment. Leave false for the first apply; set true once the data-pipeline workflow has uploaded plugins.zip and requirements.txt to the DAG bucket."
  type        = bool
  default     = false
}

variable "availability_zone_suffixes" {
  description = "Letters of the availability zones to use, in order (az_count of them are used). Most regions have a, b and c; ap-northeast-1 has a, c and d."
  type        = list(string)
  default     = ["a", "b", "c"]

  validation {
    condition     = length(var.availability_zone_suffixes) >= 2 && alltrue([for s in var.availability_zone_suffixes : can(regex("^[a-z]$", s))])
    error_message = "availability_zone_suffixes must list at least two single letters, e.g. [\"a\", \"b\"]."
  }
}
