# Pins for the Terraform CLI and the AWS provider. The provider pin is pessimistic on the
# major version: minor releases add resources and fixes, a major release renames arguments
# and needs a reviewed upgrade. .terraform.lock.hcl (committed after the first `init`)
# records the exact build and its checksums.
terraform {
  required_version = ">= 1.10.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}
