# The API key clients send as X-API-Key (MODEL_API_API_KEY). Terraform creates the secret
# but never its value, so the key is not in the state file: put it once with
#   aws secretsmanager put-secret-value --secret-id <api_key_secret_arn> --secret-string "$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
# before the first deploy (docs/DEPLOY.md step 5). ECS injects it at task start.

resource "aws_secretsmanager_secret" "api_key" {
  #checkov:skip=CKV2_AWS_57:A shared client key cannot rotate without telling every client; rotate by putting a new value and redeploying (docs/DEPLOY.md, "Rotating the API key").
  name                    = "${local.name}/model-api/api-key"
  description             = "X-API-Key required by model-api for /predict and /model"
  kms_key_id              = aws_kms_key.data.arn
  recovery_window_in_days = 7
}
