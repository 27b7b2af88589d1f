provider "aws" {
  region = var.aws_region

  # Every resource carries these tags, so cost reports and incident searches can filter on
  # the project and environment without relying on names.
  default_tags {
    tags = merge(var.tags, {
      Project     = var.project
      Environment = var.environment
      ManagedBy   = "terraform"
      Repository  = var.github_repository
    })
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

# Zones are named, not discovered: a zone AWS adds later must not move subnets on the next plan.
data "aws_availability_zones" "available" {
  state = "available"
  filter {
    name   = "zone-name"
    values = [for s in var.availability_zone_suffixes : "${var.aws_region}${s}"]
  }
}
