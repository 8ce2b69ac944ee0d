"""The built-in suite for a Ray pipeline deployed to AWS with CloudFormation."""
