# CI authenticates to AWS with GitHub's OIDC tokens: no long-lived access keys anywhere.
# Three roles, each trusting only this repository and only the context that needs it:
#   plan      - pull requests and main: read-only, used for `terraform plan`.
#   release   - pushes to main: push images to ECR, register task definitions, roll the
#               API service, publish DAGs to the DAG bucket.
#   terraform - jobs in the protected GitHub environment (required reviewers): apply.

resource "aws_iam_openid_connect_provider" "github" {
  count          = var.create_github_oidc_provider ? 1 : 0
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}

locals {
  github_sub_prefix = "repo:${var.github_repository}"
}

data "aws_iam_policy_document" "github_plan_assume" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["${local.github_sub_prefix}:pull_request", "${local.github_sub_prefix}:ref:refs/heads/main"]
    }
  }
}

data "aws_iam_policy_document" "github_release_assume" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["${local.github_sub_prefix}:ref:refs/heads/main"]
    }
  }
}

data "aws_iam_policy_document" "github_terraform_assume" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["${local.github_sub_prefix}:environment:${var.github_deploy_environment}"]
    }
  }
}

# --- plan: read-only, but never the lake's data --------------------------------------

resource "aws_iam_role" "github_plan" {
  name                 = "${local.name}-gha-plan"
  description          = "GitHub Actions (${var.github_repository}) pull requests: terraform plan, read-only"
  assume_role_policy   = data.aws_iam_policy_document.github_plan_assume.json
  max_session_duration = 3600
}

resource "aws_iam_role_policy_attachment" "github_plan_readonly" {
  role       = aws_iam_role.github_plan.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/ReadOnlyAccess"
}

data "aws_iam_policy_document" "github_plan_no_data" {
  # ReadOnlyAccess includes reading objects; plan needs bucket settings, not the data in them.
  statement {
    sid       = "NoLakeData"
    effect    = "Deny"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "kms:Decrypt"]
    resources = ["${aws_s3_bucket.lake.arn}/*", aws_kms_key.data.arn]
  }
}

resource "aws_iam_role_policy" "github_plan_no_data" {
  name   = "no-lake-data"
  role   = aws_iam_role.github_plan.id
  policy = data.aws_iam_policy_document.github_plan_no_data.json
}

# --- release: publish images and DAGs, roll the API -------------------------------------

resource "aws_iam_role" "github_release" {
  name                 = "${local.name}-gha-release"
  description          = "GitHub Actions (${var.github_repository}) on main: push images, deploy model-api, publish DAGs"
  assume_role_policy   = data.aws_iam_policy_document.github_release_assume.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "github_release" {
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "PushComponentImages"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:DescribeImages",
      "ecr:GetDownloadUrlForLayer",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = [for r in aws_ecr_repository.this : r.arn]
  }

  # Task definition APIs have no resource-level permissions for register/describe.
  statement {
    sid       = "RegisterTaskDefinitions"
    actions   = ["ecs:RegisterTaskDefinition", "ecs:DescribeTaskDefinition"]
    resources = ["*"]
  }

  statement {
    sid       = "RollModelApiService"
    actions   = ["ecs:UpdateService", "ecs:DescribeServices"]
    resources = ["arn:${local.partition}:ecs:${local.region}:${local.account_id}:service/${aws_ecs_cluster.main.name}/${aws_ecs_service.api.name}"]
  }

  statement {
    sid       = "PassOnlyModelApiRolesToEcs"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.api_task.arn, aws_iam_role.api_execution.arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }

  statement {
    sid       = "ListDagBucket"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.dags.arn]
  }

  statement {
    sid       = "PublishAirflowCode"
    actions   = ["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.dags.arn}/dags/*", "${aws_s3_bucket.dags.arn}/plugins.zip", "${aws_s3_bucket.dags.arn}/requirements.txt"]
  }

  statement {
    sid       = "EncryptAirflowCode"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [aws_kms_key.data.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com", "ecr.${local.region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "PointMwaaAtNewCode"
    actions   = ["airflow:UpdateEnvironment", "airflow:GetEnvironment"]
    resources = ["arn:${local.partition}:airflow:${local.region}:${local.account_id}:environment/${local.mwaa_name}"]
  }

  # MWAA's UpdateEnvironment passes the execution role again.
  statement {
    sid       = "PassPipelineRoleToMwaa"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.pipeline.arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["airflow.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "github_release" {
  name   = "release"
  role   = aws_iam_role.github_release.id
  policy = data.aws_iam_policy_document.github_release.json
}

# --- terraform: apply, only from the protected environment --------------------------------
# Applying this stack means creating IAM roles, so the role is powerful by nature. Its
# limits: PowerUserAccess (everything but IAM/Organizations) plus IAM only on resources
# whose names start with this stack's prefix, and only reachable from a job that a
# required reviewer approved in the GitHub environment.

resource "aws_iam_role" "github_terraform" {
  name                 = "${local.name}-gha-terraform"
  description          = "GitHub Actions (${var.github_repository}) environment ${var.github_deploy_environment}: terraform apply"
  assume_role_policy   = data.aws_iam_policy_document.github_terraform_assume.json
  max_session_duration = 3600
}

resource "aws_iam_role_policy_attachment" "github_terraform_power_user" {
  role       = aws_iam_role.github_terraform.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/PowerUserAccess"
}

data "aws_iam_policy_document" "github_terraform_iam" {
  statement {
    sid = "ManageThisStacksRolesAndPolicies"
    actions = [
      "iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy",
      "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags", "iam:PassRole",
      "iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy", "iam:ListRolePolicies",
      "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
    ]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/${local.name}-*"]
  }

  statement {
    sid = "ManageGithubOidcProvider"
    actions = [
      "iam:CreateOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider", "iam:GetOpenIDConnectProvider",
      "iam:UpdateOpenIDConnectProviderThumbprint", "iam:AddClientIDToOpenIDConnectProvider",
      "iam:RemoveClientIDFromOpenIDConnectProvider", "iam:TagOpenIDConnectProvider", "iam:UntagOpenIDConnectProvider",
    ]
    resources = ["arn:${local.partition}:iam::${local.account_id}:oidc-provider/token.actions.githubusercontent.com"]
  }

  # MWAA, ECS and autoscaling create their service-linked roles on first use.
  statement {
    sid       = "CreateServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/aws-service-role/*"]
  }
}

resource "aws_iam_role_policy" "github_terraform_iam" {
  name   = "manage-stack-iam"
  role   = aws_iam_role.github_terraform.id
  policy = data.aws_iam_policy_document.github_terraform_iam.json
}
