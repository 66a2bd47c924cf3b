# Packaging and deployment of the portal to AWS, included by the Makefile.
#
#   make package [STAGE=prod]         writes $(DIST)/sam.yaml and $(DIST)/deployment.zip
#   make deploy  [STAGE=prod] ARTIFACT_BUCKET=... MAIL_FROM=... ADMIN_EMAILS=... \
#                [SITE_DOMAIN=... SITE_CERTIFICATE_ARN=...]
#
# `package` needs no AWS account: Chalice builds the zip from
# requirements.txt with Lambda-compatible (manylinux) wheels from PyPI and
# merges infra/resources.yaml into its SAM template. Because the merged file
# is YAML, Chalice writes the template as sam.yaml. `deploy` runs the AWS CLI
# with the credentials of the environment; docs/operations.md describes the
# first deployment step by step.

STAGE ?= prod
DIST ?= dist
CHALICE ?= .venv/bin/chalice
AWS ?= aws
# Region of the stack. Chalice needs one even to package, to fill in the
# template's defaults.
DEPLOY_REGION ?= eu-central-1
STACK_NAME ?= murojaat-$(STAGE)
NAME_PREFIX ?= murojaat-$(STAGE)
# Bucket that `aws cloudformation package` uploads deployment.zip to. It must
# exist in DEPLOY_REGION before the first deploy.
ARTIFACT_BUCKET ?=
MAIL_FROM ?=
ADMIN_EMAILS ?=
SITE_DOMAIN ?=
SITE_CERTIFICATE_ARN ?=

.PHONY: package deploy

package:
	rm -f $(DIST)/sam.yaml $(DIST)/sam.json $(DIST)/deployment.zip $(DIST)/packaged.yaml
	AWS_DEFAULT_REGION=$(DEPLOY_REGION) $(CHALICE) package --stage $(STAGE) \
		--merge-template infra/resources.yaml $(DIST)

# `aws cloudformation package` uploads deployment.zip and writes a template
# that points at the upload; `aws cloudformation deploy` then creates or
# updates the stack through a change set. CAPABILITY_AUTO_EXPAND is needed for
# the SAM and AWS::LanguageExtensions transforms.
deploy: package
	@command -v $(AWS) >/dev/null 2>&1 || { \
		echo "error: the AWS CLI ($(AWS)) was not found; install it and configure credentials for the target account." >&2; \
		exit 1; }
	@test -n "$(ARTIFACT_BUCKET)" || { echo "error: set ARTIFACT_BUCKET to an S3 bucket in $(DEPLOY_REGION) for the deployment package." >&2; exit 1; }
	@test -n "$(MAIL_FROM)" || { echo "error: set MAIL_FROM to the portal's sender address, such as noreply@murojaat.example.uz." >&2; exit 1; }
	@test -n "$(ADMIN_EMAILS)" || { echo "error: set ADMIN_EMAILS to the comma-separated addresses that receive alarms." >&2; exit 1; }
	$(AWS) cloudformation package --region $(DEPLOY_REGION) \
		--template-file $(DIST)/sam.yaml \
		--s3-bucket $(ARTIFACT_BUCKET) --s3-prefix $(STACK_NAME) \
		--output-template-file $(DIST)/packaged.yaml
	$(AWS) cloudformation deploy --region $(DEPLOY_REGION) \
		--template-file $(DIST)/packaged.yaml \
		--stack-name $(STACK_NAME) \
		--capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
		--no-fail-on-empty-changeset \
		--parameter-overrides \
			NamePrefix=$(NAME_PREFIX) \
			"MailFrom=$(MAIL_FROM)" \
			"AdminEmails=$(ADMIN_EMAILS)" \
			"SiteDomain=$(SITE_DOMAIN)" \
			"SiteCertificateArn=$(SITE_CERTIFICATE_ARN)"
	$(AWS) cloudformation describe-stacks --region $(DEPLOY_REGION) --stack-name $(STACK_NAME) \
		--query "Stacks[0].Outputs" --output table
