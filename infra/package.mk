# Packaging and deployment of the portal to AWS, included by the Makefile.
#
#   make package [STAGE=prod]         writes $(DIST)/sam.yaml and $(DIST)/deployment.zip
#   make deploy  [STAGE=prod] ARTIFACT_BUCKET=... MAIL_FROM=... ADMIN_EMAILS=... \
#                [SITE_DOMAIN=... SITE_CERTIFICATE_ARN=...]
#   make upload-site [STAGE=prod]     copies web/ and its config.js to the site bucket
#
# `package` needs no AWS account: Chalice builds the zip from
# requirements.txt with Lambda-compatible (manylinux) wheels from PyPI and
# merges infra/resources.yaml into its SAM template. Because the merged file
# is YAML, Chalice writes the template as sam.yaml. scripts/add_bytecode.py
# then adds a .pyc for every .py file to the zip, because Lambda's /var/task
# is read-only and without them Python compiles every module it imports at
# each cold start. `deploy` and `upload-site` run
# the AWS CLI with the credentials of the environment; docs/operations.md describes the
# first deployment step by step.

STAGE ?= prod
DIST ?= dist
CHALICE ?= .venv/bin/chalice
# CPython 3.11, the version of Lambda's python3.11 runtime, which compiles the
# bytecode that `package` adds to deployment.zip.
PACKAGE_PYTHON ?= .venv/bin/python
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

.PHONY: package deploy upload-site check-aws-cli

package:
	rm -f $(DIST)/sam.yaml $(DIST)/sam.json $(DIST)/deployment.zip $(DIST)/packaged.yaml
	AWS_DEFAULT_REGION=$(DEPLOY_REGION) $(CHALICE) package --stage $(STAGE) \
		--merge-template infra/resources.yaml $(DIST)
	$(PACKAGE_PYTHON) scripts/add_bytecode.py $(DIST)/deployment.zip

# `aws cloudformation package` uploads deployment.zip and writes a template
# that points at the upload; `aws cloudformation deploy` then creates or
# updates the stack through a change set. CAPABILITY_AUTO_EXPAND is needed for
# the SAM and AWS::LanguageExtensions transforms.
check-aws-cli:
	@command -v $(AWS) >/dev/null 2>&1 || { \
		echo "error: the AWS CLI ($(AWS)) was not found; install it and configure credentials for the target account." >&2; \
		exit 1; }

deploy: check-aws-cli package
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

# Copies web/ without the local config.js, then a config.js that points the
# pages at the stack's API, and invalidates CloudFront's copies. config.js is
# sent with no-cache so that a new API address takes effect at once.
STACK_OUTPUT = $(AWS) cloudformation describe-stacks --region $(DEPLOY_REGION) --stack-name $(STACK_NAME) \
	--output text --query "Stacks[0].Outputs[?OutputKey=='$(1)'].OutputValue"

upload-site: check-aws-cli
	@set -e; \
	bucket=$$($(call STACK_OUTPUT,SiteBucketName)); \
	distribution=$$($(call STACK_OUTPUT,SiteDistributionId)); \
	api_url=$$($(call STACK_OUTPUT,EndpointURL)); \
	test -n "$$bucket" -a -n "$$distribution" -a -n "$$api_url" || { \
		echo "error: stack $(STACK_NAME) in $(DEPLOY_REGION) has no SiteBucketName, SiteDistributionId or EndpointURL output; run make deploy first." >&2; \
		exit 1; }; \
	$(AWS) s3 sync web/ "s3://$$bucket/" --delete --exclude config.js; \
	mkdir -p $(DIST); \
	printf 'window.MUROJAAT_CONFIG = {"apiBaseUrl": "%s"};\n' "$${api_url%/}" > $(DIST)/config.js; \
	$(AWS) s3 cp $(DIST)/config.js "s3://$$bucket/config.js" \
		--content-type "text/javascript; charset=utf-8" --cache-control no-cache; \
	$(AWS) cloudfront create-invalidation --distribution-id "$$distribution" --paths "/*" >/dev/null; \
	echo "Uploaded web/ to $$bucket; the site calls $${api_url%/}."
