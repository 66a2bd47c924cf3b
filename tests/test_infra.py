"""infra/resources.yaml against the models, the code's AWS calls and the stage settings.

The module deploys the template's tables, buckets, topic and IAM policy into
moto's CloudFormation once. It then runs the app's routes and every
scheduled function against those tables with the prod stage's
configuration, and records each DynamoDB, S3 and SES call on the way. The
tests check four things:
(a) the app works on the deployed tables,
(b) each model's table in the template has the model's keys, indexes and
    projections,
(c) the IAM policy allows every recorded call and nothing broader,
(d) the prod stage rejects local-only settings.
"""
from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import parseaddr
from fnmatch import fnmatchcase
from pathlib import Path

import boto3
import pytest
import yaml
from moto import mock_aws
from pynamodb.attributes import TTLAttribute

from chalicelib import config
from chalicelib.models import ALL_MODELS

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "infra" / "resources.yaml"
CHALICE_CONFIG_PATH = ROOT / ".chalice" / "config.json"
CHALICE_POLICY_PATH = ROOT / ".chalice" / "policy-prod.json"

REGION = "eu-central-1"
ACCOUNT_ID = "123456789012"  # moto's default account
STACK_NAME = "murojaat-prod"
MAIL_FROM = "noreply@murojaat.example.uz"
SITE_ORIGIN = "https://murojaat.example.uz"
LOCAL_ONLY_SETTINGS = {
    "CAPTCHA_TEST_ANSWER": "TEST1",
    "DEBUG": "1",
    "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
    "MAIL_DIR": ".local/mail",
}
# Resource types of the template that moto's CloudFormation creates. The
# others (CloudFront, the SES identity, alarms, the Chalice functions) are
# checked here by reading the template, and by cfn-lint in test_package.py.
MOTO_TYPES = ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SNS::Topic", "AWS::IAM::Policy")
# DynamoDB actions the functions may be granted: item and query operations,
# never table management.
DYNAMODB_DATA_ACTIONS = {
    "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
    "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem",
    "dynamodb:Query", "dynamodb:Scan", "dynamodb:DescribeTable",
}
# TransactWriteItems and TransactGetItems have no IAM action of their own:
# IAM checks each item's operation (DynamoDB developer guide, "Using IAM with
# DynamoDB transactions").
TRANSACTION_ITEM_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",
}


# ---------------------------------------------------------------- template

class CloudFormationLoader(yaml.SafeLoader):
    """A YAML loader that turns CloudFormation's short tags (!Ref, !Sub...) into their long form."""


def _construct_intrinsic(loader: CloudFormationLoader, suffix: str, node: yaml.Node) -> dict:
    name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


CloudFormationLoader.add_multi_constructor("!", _construct_intrinsic)


def load_template() -> dict:
    return yaml.load(TEMPLATE_PATH.read_text(encoding="utf-8"), Loader=CloudFormationLoader)


def name_prefix(template: dict) -> str:
    return template["Parameters"]["NamePrefix"]["Default"]


def short_name(model) -> str:
    # db.bind() replaces Meta.table_name with the full name and keeps the short one.
    return getattr(model.Meta, "short_name", None) or model.Meta.table_name


def table_resources(template: dict) -> dict[str, dict]:
    """Return {table name with the default prefix: properties} of the template's tables."""
    prefix = name_prefix(template)
    tables = {}
    for resource in template["Resources"].values():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::DynamoDB::Table":
            continue
        properties = resource["Properties"]
        name_template = properties["TableName"]["Fn::Sub"]
        tables[name_template.replace("${NamePrefix}", prefix)] = properties
    return tables


def table_logical_ids(template: dict) -> dict[str, str]:
    prefix = name_prefix(template)
    return {
        resource["Properties"]["TableName"]["Fn::Sub"].replace("${NamePrefix}", prefix): logical_id
        for logical_id, resource in template["Resources"].items()
        if isinstance(resource, dict) and resource.get("Type") == "AWS::DynamoDB::Table"
    }


def model_table_name(template: dict, model) -> str:
    return f"{name_prefix(template)}-{short_name(model)}"


def ttl_attribute_names(model) -> list[str]:
    return [attribute.attr_name for attribute in model.get_attributes().values()
            if isinstance(attribute, TTLAttribute)]


def normalized_schema(description: dict) -> dict:
    """Reduce a CloudFormation table or a DescribeTable result to keys, attribute types and indexes."""
    def keys(schema):
        return sorted((item["AttributeName"], item["KeyType"]) for item in schema)

    def projection(value):
        return (value["ProjectionType"], tuple(sorted(value.get("NonKeyAttributes", []))))

    return {
        "keys": keys(description["KeySchema"]),
        "attributes": sorted((item["AttributeName"], item["AttributeType"])
                             for item in description["AttributeDefinitions"]),
        "global_indexes": sorted((index["IndexName"], keys(index["KeySchema"]), projection(index["Projection"]))
                                 for index in description.get("GlobalSecondaryIndexes") or []),
        "local_indexes": sorted((index["IndexName"], keys(index["KeySchema"]), projection(index["Projection"]))
                                for index in description.get("LocalSecondaryIndexes") or []),
    }


def moto_template(template: dict) -> dict:
    """Return the part of the template that moto can create, with stand-ins for Chalice's roles.

    The roles are created by Chalice's part of the packaged template, so each
    role that the data access policy names gets a plain Lambda role here.
    """
    resources = {logical_id: resource for logical_id, resource in template["Resources"].items()
                 if isinstance(resource, dict) and resource.get("Type") in MOTO_TYPES}
    for role in resources["DataAccessPolicy"]["Properties"]["Roles"]:
        resources[role["Ref"]] = {
            "Type": "AWS::IAM::Role",
            "Properties": {"AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                               "Action": "sts:AssumeRole"}],
            }},
        }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": template["Parameters"],
        "Conditions": template.get("Conditions", {}),
        "Resources": resources,
    }


# ---------------------------------------------------------------- recording AWS calls

@dataclass(frozen=True)
class Permission:
    """One IAM check that a call needs: an action on a resource, with condition keys."""

    action: str
    resource: str
    context: tuple = ()

    def __str__(self) -> str:
        extra = f" with {dict(self.context)}" if self.context else ""
        return f"{self.action} on {self.resource}{extra}"


def table_arn(table: str, index: str | None = None) -> str:
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{table}"
    return f"{arn}/index/{index}" if index else arn


def dynamodb_permissions(operation: str, arguments: dict) -> list[Permission]:
    """Return the IAM checks of one DynamoDB request as PynamoDB sends it."""
    if operation in ("TransactWriteItems", "TransactGetItems"):
        permissions = []
        for item in arguments["TransactItems"]:
            for kind, body in item.items():
                permissions.append(Permission(TRANSACTION_ITEM_ACTIONS[kind], table_arn(body["TableName"])))
        return permissions
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [Permission(f"dynamodb:{operation}", table_arn(table)) for table in arguments["RequestItems"]]
    return [Permission(f"dynamodb:{operation}", table_arn(arguments["TableName"], arguments.get("IndexName")))]


def boto3_permissions(service: str, operation: str, params: dict) -> list[Permission]:
    """Return the IAM checks of one call made through a boto3 client."""
    if service == "s3":
        bucket = params.get("Bucket")
        if operation in ("ListObjectsV2", "ListObjects"):
            return [Permission("s3:ListBucket", f"arn:aws:s3:::{bucket}")]
        if operation in ("GetObject", "HeadObject"):
            return [Permission("s3:GetObject", f"arn:aws:s3:::{bucket}/{params['Key']}")]
        if "Key" in params:
            return [Permission(f"s3:{operation}", f"arn:aws:s3:::{bucket}/{params['Key']}")]
        return [Permission(f"s3:{operation}", f"arn:aws:s3:::{bucket}")]
    if service == "ses" and operation in ("SendEmail", "SendRawEmail"):
        sender = parseaddr(params.get("Source", ""))[1]
        domain = sender.rpartition("@")[2]
        return [Permission(f"ses:{operation}", f"arn:aws:ses:{REGION}:{ACCOUNT_ID}:identity/{domain}",
                           (("ses:FromAddress", sender),))]
    return [Permission(f"{service}:{operation}", "*")]


class PynamoRequestLog(logging.Handler):
    """Collects the requests that PynamoDB logs at DEBUG level before sending them."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.requests: list[tuple[str, dict]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, str) and record.msg.startswith("Calling %s") and len(record.args) == 2:
            operation, arguments = record.args
            self.requests.append((operation, json.loads(json.dumps(arguments, default=str))))


@dataclass
class Boto3RequestLog:
    """Collects the calls of every client made from boto3's default session."""

    requests: list[tuple[str, str, dict]] = field(default_factory=list)

    def __call__(self, params, model, **_) -> None:
        service = model.service_model.service_id.lower().replace(" ", "")
        self.requests.append((service, model.name, dict(params)))


# ---------------------------------------------------------------- the scenario

@dataclass
class Deployment:
    template: dict
    outputs: dict = field(default_factory=dict)
    policy_statements: list = field(default_factory=list)
    stack_tables: dict = field(default_factory=dict)
    model_tables: dict = field(default_factory=dict)
    steps: list = field(default_factory=list)
    permissions: set = field(default_factory=set)
    sent_mail: int = 0
    ledger_keys: list = field(default_factory=list)
    stored_appeals: int = 0
    bootstrap_output: str = ""


def _check(deployment: Deployment, step: str, response, expected: int) -> dict:
    body = json.loads(response.body) if response.body else {}
    deployment.steps.append((step, response.status_code, expected, body))
    assert response.status_code == expected, f"{step}: status {response.status_code}, expected {expected}: {body}"
    return body


def _request(client, deployment, step, method, path, expected, body=None, headers=None):
    all_headers = {"Content-Type": "application/json"}
    all_headers.update(headers or {})
    payload = json.dumps(body).encode("utf-8") if body is not None else b""
    response = client.http.request(method, path, headers=all_headers, body=payload)
    return _check(deployment, step, response, expected)


def _bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def _run_routes(client, deployment: Deployment, now: datetime) -> None:
    """Exercise every kind of route once, as citizens, two agencies and an administrator would."""
    from chalicelib import admin_cli, captchas, db

    out, err = io.StringIO(), io.StringIO()
    status = admin_cli.main(["create-key", "--role", "admin"], out=out, err=err)
    assert status == 0, f"admin_cli create-key failed: {err.getvalue()}"
    deployment.bootstrap_output = out.getvalue()
    admin = _bearer(out.getvalue().strip())

    seeds = json.loads((ROOT / "chalicelib" / "data" / "agencies.json").read_text(encoding="utf-8"))
    first, second = seeds[0], seeds[1]
    for seed in (first, second):
        _request(client, deployment, f"create agency {seed['id']}", "POST", "/v1/admin/agencies", 201, seed, admin)
    keys = {}
    for name, role, agency in (("officer", "officer", first["id"]), ("head", "head", first["id"]),
                               ("other officer", "officer", second["id"])):
        created = _request(client, deployment, f"create {name} key", "POST", "/v1/admin/api-keys", 201,
                           {"role": role, "agency_id": agency}, admin)
        keys[name] = created
    officer, head, other = (_bearer(keys[name]["key"]) for name in ("officer", "head", "other officer"))

    _request(client, deployment, "list agencies", "GET", "/v1/agencies", 200)
    _request(client, deployment, "new captcha", "POST", "/v1/captcha", 200, {})

    db.bind(config.get_settings())
    appeals = []
    for number, kind in enumerate(("complaint", "application", "proposal"), start=1):
        captcha_id = captchas.store_challenge("ABCDE", now, config.get_settings())
        submission = {
            "agency_id": first["id"], "kind": kind, "language": "uz",
            "text": f"Infra test appeal {number}: the street lights on our street do not work.",
            "applicant": {"full_name": "Aziza Karimova", "address": "Toshkent, Chilonzor 5",
                          "email": "aziza@example.uz"},
            "captcha_id": captcha_id, "captcha_answer": "abcde",
        }
        appeals.append(_request(client, deployment, f"submit appeal {number}", "POST", "/v1/appeals", 201,
                                submission, {"Idempotency-Key": f"infra-test-{number}"}))
    answered, forwarded, left_open = appeals
    citizen = {"X-Access-Code": answered["access_code"]}

    _request(client, deployment, "citizen view", "GET", f"/v1/appeals/{answered['appeal_id']}", 200,
             headers=citizen)
    _request(client, deployment, "agency inbox", "GET", "/v1/agency/appeals?status=open", 200, headers=officer)
    _request(client, deployment, "agency view", "GET", f"/v1/agency/appeals/{answered['appeal_id']}", 200,
             headers=officer)
    _request(client, deployment, "answer", "POST", f"/v1/agency/appeals/{answered['appeal_id']}/answer", 200,
             {"text": "The lights were repaired on Monday."}, officer)
    _request(client, deployment, "citizen reads the answer", "GET", f"/v1/appeals/{answered['appeal_id']}", 200,
             headers=citizen)
    _request(client, deployment, "rating", "POST", f"/v1/appeals/{answered['appeal_id']}/rating", 201,
             {"score": 5, "comment": "Fast and polite."}, citizen)
    _request(client, deployment, "new access code", "POST", f"/v1/appeals/{left_open['appeal_id']}/access-code",
             202, {})

    _request(client, deployment, "forward", "POST", f"/v1/agency/appeals/{forwarded['appeal_id']}/forward", 200,
             {"to_agency_id": second["id"], "reason": "The street belongs to the other district."},
             {**officer, "Idempotency-Key": "infra-test-forward"})
    _request(client, deployment, "dismiss", "POST", f"/v1/agency/appeals/{forwarded['appeal_id']}/dismiss", 200,
             {"ground": "withdrawn", "reason": "The citizen withdrew the appeal by phone."}, other)
    _request(client, deployment, "extension", "POST", f"/v1/agency/appeals/{left_open['appeal_id']}/extension",
             200, {"reason": "An inspection on site is needed."}, head)

    _request(client, deployment, "public stats", "GET", "/v1/stats", 200)
    _request(client, deployment, "agency stats", "GET", "/v1/agency/stats", 200, headers=head)
    calendar = _request(client, deployment, "calendar", "GET", "/v1/admin/calendar", 200, headers=admin)
    _request(client, deployment, "new calendar version", "PUT", "/v1/admin/calendar", 200,
             {"holidays": calendar["current"]["holidays"], "working_days": calendar["current"]["working_days"],
              "note": "Unchanged copy stored by the infra test."}, admin)
    _request(client, deployment, "ledger check", "GET", "/v1/admin/ledger/verify", 200, headers=admin)
    _request(client, deployment, "add digest recipient", "POST", "/v1/admin/recipients", 201,
             {"name": "Digest Reader", "email": "digest@murojaat.example.uz", "language": "ru"}, admin)
    _request(client, deployment, "list digest recipients", "GET", "/v1/admin/recipients", 200, headers=admin)
    preview = client.http.get("/v1/admin/digest/preview", headers=admin)
    deployment.steps.append(("digest preview", preview.status_code, 200, None))
    assert preview.status_code == 200, f"digest preview: status {preview.status_code}: {preview.body[:500]}"
    _request(client, deployment, "revoke key", "DELETE", f"/v1/admin/api-keys/{keys['other officer']['key_id']}",
             200, headers=admin)


def _run_scheduled_functions(client, deployment: Deployment, app, when: datetime) -> None:
    """Invoke each scheduled Lambda handler with an EventBridge event of time `when`."""
    from chalice.app import ScheduledEventConfig

    names = [source.name for source in app.event_sources if isinstance(source, ScheduledEventConfig)]
    assert names, "app.py declares no scheduled function"
    for name in names:
        event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event",
                                                detail={}, resources=[], region=REGION)
        event["time"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        result = client.lambda_.invoke(name, event)
        deployment.steps.append((f"scheduled {name}", result.payload, None, None))


@pytest.fixture(scope="module")
def deployment():
    """Deploy the template's moto-supported part and run the scenario against it, recording AWS calls."""
    from chalice.test import Client

    import app as app_module
    from chalicelib import db, ledger

    template = load_template()
    deployment = Deployment(template=template)
    pynamo_log = PynamoRequestLog()
    pynamo_logger = logging.getLogger("pynamodb.connection.base")
    boto3_log = Boto3RequestLog()

    with pytest.MonkeyPatch.context() as patch, mock_aws():
        for name, value in {
            "AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SECURITY_TOKEN": "testing", "AWS_SESSION_TOKEN": "testing",
        }.items():
            patch.setenv(name, value)
        for name in (*LOCAL_ONLY_SETTINGS, "AWS_REGION"):
            patch.delenv(name, raising=False)

        cloudformation = boto3.client("cloudformation", region_name=REGION)
        cloudformation.create_stack(
            StackName=STACK_NAME,
            TemplateBody=json.dumps(moto_template(template)),
            Parameters=[{"ParameterKey": "MailFrom", "ParameterValue": MAIL_FROM},
                        {"ParameterKey": "AdminEmails", "ParameterValue": "admin@murojaat.example.uz"}],
            Capabilities=["CAPABILITY_IAM"],
        )
        resources = cloudformation.describe_stack_resources(StackName=STACK_NAME)["StackResources"]
        deployment.outputs = {item["LogicalResourceId"]: item["PhysicalResourceId"] for item in resources}

        iam = boto3.client("iam", region_name=REGION)
        role = deployment.outputs["ApiHandlerRole"]
        policy_name = iam.list_role_policies(RoleName=role)["PolicyNames"][0]
        data_policy = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
        chalice_policy = json.loads(CHALICE_POLICY_PATH.read_text(encoding="utf-8"))
        deployment.policy_statements = data_policy["Statement"] + chalice_policy["Statement"]

        dynamodb = boto3.client("dynamodb", region_name=REGION)
        for name in table_resources(template):
            deployment.stack_tables[name] = dynamodb.describe_table(TableName=name)["Table"]

        # The tables that the other tests create from the models, for comparison.
        patch.setenv("STAGE", "test")
        patch.setenv("TABLE_PREFIX", "murojaat-infra-models-")
        db.bind(config.get_settings())
        db.create_tables()
        for model in ALL_MODELS:
            deployment.model_tables[short_name(model)] = dynamodb.describe_table(
                TableName=model.Meta.table_name)["Table"]

        # The prod stage's settings, with the values the template gives the functions.
        patch.setenv("STAGE", "prod")
        patch.setenv("TABLE_PREFIX", f"{name_prefix(template)}-")
        patch.setenv("SITE_ORIGIN", SITE_ORIGIN)
        patch.setenv("SITE_URL", SITE_ORIGIN)
        patch.setenv("MAIL_FROM", MAIL_FROM)
        patch.setenv("LEDGER_BUCKET", deployment.outputs["LedgerBucket"])
        ses = boto3.client("ses", region_name=REGION)
        ses.verify_domain_identity(Domain=MAIL_FROM.rpartition("@")[2])

        boto3.setup_default_session()
        boto3.DEFAULT_SESSION.events.register("before-parameter-build", boto3_log)
        ledger.set_s3_client(None)
        previous_level = pynamo_logger.level
        pynamo_logger.setLevel(logging.DEBUG)
        pynamo_logger.addHandler(pynamo_log)
        try:
            now = datetime.now(timezone.utc)
            with Client(app_module.app, stage_name="prod", project_dir=str(ROOT)) as client:
                _run_routes(client, deployment, now)
                # 120 days on, the extended appeal is overdue too: the scan marks
                # it and queues a notice, and the outbox job sends it through SES.
                _run_scheduled_functions(client, deployment, app_module.app, now + timedelta(days=120))
        finally:
            pynamo_logger.removeHandler(pynamo_log)
            pynamo_logger.setLevel(previous_level)
            boto3.DEFAULT_SESSION = None
            ledger.set_s3_client(None)

        for operation, arguments in pynamo_log.requests:
            deployment.permissions.update(dynamodb_permissions(operation, arguments))
        for service, operation, params in boto3_log.requests:
            deployment.permissions.update(boto3_permissions(service, operation, params))
        deployment.sent_mail = int(ses.get_send_quota()["SentLast24Hours"])
        s3 = boto3.client("s3", region_name=REGION)
        listing = s3.list_objects_v2(Bucket=deployment.outputs["LedgerBucket"])
        deployment.ledger_keys = [item["Key"] for item in listing.get("Contents", [])]
        deployment.stored_appeals = dynamodb.scan(TableName=f"{name_prefix(template)}-appeals",
                                                  Select="COUNT")["Count"]
        yield deployment


@pytest.fixture(scope="module")
def template():
    return load_template()


# ---------------------------------------------------------------- (a) the app on the deployed tables

def test_stack_creates_every_model_table(deployment):
    for model in ALL_MODELS:
        name = model_table_name(deployment.template, model)
        assert name in deployment.stack_tables, f"the stack created no table {name} for {model.__name__}"


def test_app_runs_on_stack_tables(deployment):
    assert deployment.stored_appeals == 3, "the three submitted appeals are not in the stack's appeals table"
    assert deployment.bootstrap_output.startswith("mrj_"), "admin_cli printed no key"


def test_scheduled_functions_use_stack_resources(deployment):
    assert deployment.sent_mail >= 1, "no e-mail went through SES after the overdue appeal's scan"
    assert any(key.startswith("roots/") for key in deployment.ledger_keys), \
        f"the ledger job stored no root in the stack's bucket: {deployment.ledger_keys}"


# ---------------------------------------------------------------- (b) tables match the models

@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model.__name__)
def test_template_declares_model_table(template, model):
    assert model_table_name(template, model) in table_resources(template), (
        f"infra/resources.yaml has no table {model_table_name(template, model)} for {model.__name__}; "
        "add one with the model's keys and indexes")


def test_template_has_no_table_without_model(template):
    model_names = {model_table_name(template, model) for model in ALL_MODELS}
    extra = sorted(set(table_resources(template)) - model_names)
    assert not extra, f"tables in infra/resources.yaml without a model in ALL_MODELS: {extra}"


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model.__name__)
def test_template_schema_matches_model(deployment, model):
    name = model_table_name(deployment.template, model)
    expected = normalized_schema(deployment.model_tables[short_name(model)])
    declared = normalized_schema(table_resources(deployment.template)[name])
    deployed = normalized_schema(deployment.stack_tables[name])
    for part in ("keys", "attributes", "global_indexes", "local_indexes"):
        assert declared[part] == expected[part], f"{name} {part}: template {declared[part]}, model {expected[part]}"
        assert deployed[part] == expected[part], f"{name} {part}: deployed {deployed[part]}, model {expected[part]}"


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model.__name__)
def test_template_table_settings(template, model):
    name = model_table_name(template, model)
    properties = table_resources(template)[name]
    resource = template["Resources"][table_logical_ids(template)[name]]
    assert properties["BillingMode"] == "PAY_PER_REQUEST", name
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, name
    assert properties["SSESpecification"]["SSEEnabled"] is True, name
    assert properties["DeletionProtectionEnabled"] is True, name
    assert resource["DeletionPolicy"] == "Retain", name
    assert resource["UpdateReplacePolicy"] == "Retain", name

    ttl_names = ttl_attribute_names(model)
    ttl = properties.get("TimeToLiveSpecification")
    if ttl_names:
        assert ttl == {"AttributeName": ttl_names[0], "Enabled": True}, f"{name} needs TTL on {ttl_names[0]}"
    else:
        assert ttl is None, f"{name} has TTL but {model.__name__} has no TTLAttribute"


def test_ledger_bucket_has_object_lock(template):
    properties = template["Resources"]["LedgerBucket"]["Properties"]
    assert properties["ObjectLockEnabled"] is True
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    lock = properties["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"
    assert lock["Rule"]["DefaultRetention"]["Mode"] in ("COMPLIANCE", "GOVERNANCE")
    assert template["Resources"]["LedgerBucket"]["DeletionPolicy"] == "Retain"


@pytest.mark.parametrize("bucket", ["LedgerBucket", "SiteBucket"])
def test_bucket_blocks_public_access(template, bucket):
    block = template["Resources"][bucket]["Properties"]["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                     "IgnorePublicAcls": True, "RestrictPublicBuckets": True}


def test_site_bucket_readable_by_distribution_only(template):
    statements = template["Resources"]["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    allows = [statement for statement in statements if statement["Effect"] == "Allow"]
    assert len(allows) == 1
    assert allows[0]["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allows[0]["Action"] == "s3:GetObject"
    source = allows[0]["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    assert source.endswith(":distribution/${SiteDistribution}")
    origin = template["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"]["Origins"][0]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}


# ---------------------------------------------------------------- (c) the IAM policy

def _conditions_hold(conditions: dict, context: dict) -> bool:
    for operator, pairs in conditions.items():
        for key, expected in pairs.items():
            values = expected if isinstance(expected, list) else [expected]
            actual = context.get(key)
            if actual is None:
                return False
            if operator == "StringEquals" and actual not in values:
                return False
            if operator == "StringLike" and not any(fnmatchcase(actual, value) for value in values):
                return False
            if operator not in ("StringEquals", "StringLike"):
                return False
    return True


def is_allowed(statements: list[dict], permission: Permission) -> bool:
    """Evaluate Allow statements the way IAM matches actions, resources and simple string conditions."""
    for statement in statements:
        if statement["Effect"] != "Allow":
            continue
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if not any(fnmatchcase(permission.action.lower(), action.lower()) for action in actions):
            continue
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if not any(fnmatchcase(permission.resource, resource) for resource in resources):
            continue
        if _conditions_hold(statement.get("Condition", {}), dict(permission.context)):
            return True
    return False


def _dynamodb_statements(statements: list[dict]) -> list[tuple[str, str]]:
    pairs = []
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for action in actions:
            if action.lower().startswith("dynamodb:"):
                pairs.extend((action, resource) for resource in resources)
    return pairs


def test_policy_allows_every_recorded_call(deployment):
    assert deployment.permissions, "the scenario recorded no AWS call"
    denied = sorted(str(permission) for permission in deployment.permissions
                    if not is_allowed(deployment.policy_statements, permission))
    assert not denied, "DataAccessPolicy in infra/resources.yaml does not allow:\n" + "\n".join(denied)


def test_scenario_reached_every_table(deployment):
    touched = {permission.resource.split("/")[1] for permission in deployment.permissions
               if permission.action.startswith("dynamodb:")}
    untouched = sorted(model_table_name(deployment.template, model) for model in ALL_MODELS
                       if model_table_name(deployment.template, model) not in touched)
    assert not untouched, f"the scenario made no call to {untouched}; extend it so their permissions are checked"


def test_policy_covers_every_model_table_and_index(deployment):
    statements = deployment.policy_statements
    for model in ALL_MODELS:
        name = model_table_name(deployment.template, model)
        assert any(fnmatchcase(table_arn(name), resource) for _, resource in _dynamodb_statements(statements)), \
            f"the policy grants nothing on {name}"
        for index in deployment.model_tables[short_name(model)].get("GlobalSecondaryIndexes", []):
            permission = Permission("dynamodb:Query", table_arn(name, index["IndexName"]))
            assert is_allowed(statements, permission), f"the policy does not allow {permission}"


def test_policy_has_no_wildcard_action(deployment):
    for statement in deployment.policy_statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for action in actions:
            assert "*" not in action, f"statement {statement.get('Sid')} allows {action}"


def test_policy_grants_only_model_tables(deployment):
    known = set()
    for model in ALL_MODELS:
        name = model_table_name(deployment.template, model)
        known.add(table_arn(name))
        known.update(table_arn(name, index["IndexName"])
                     for index in deployment.model_tables[short_name(model)].get("GlobalSecondaryIndexes", []))
    for action, resource in _dynamodb_statements(deployment.policy_statements):
        assert action in DYNAMODB_DATA_ACTIONS, f"{action} is not an item or query action"
        assert "*" not in resource, f"{action} is granted on the pattern {resource}"
        assert resource in known, f"{action} is granted on {resource}, which belongs to no model"


def test_chalice_policy_grants_logs_only():
    policy = json.loads(CHALICE_POLICY_PATH.read_text(encoding="utf-8"))
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all(action.startswith("logs:") for action in actions), statement


# ---------------------------------------------------------------- (d) the prod stage's settings

def prod_stage() -> dict:
    return json.loads(CHALICE_CONFIG_PATH.read_text(encoding="utf-8"))["stages"]["prod"]


def test_prod_stage_has_no_local_settings():
    environment = prod_stage().get("environment_variables", {})
    present = sorted(set(environment) & set(LOCAL_ONLY_SETTINGS))
    assert not present, f".chalice/config.json's prod stage sets local-only variables {present}"


def test_prod_stage_table_prefix_matches_template(template):
    environment = prod_stage()["environment_variables"]
    assert environment["STAGE"] == "prod"
    assert environment["TABLE_PREFIX"] == f"{name_prefix(template)}-"


def test_prod_stage_settings_accepted():
    environment = dict(prod_stage()["environment_variables"])
    settings = config.settings_from_environment(environment)
    assert settings.stage == "prod"


@pytest.mark.parametrize("name", sorted(LOCAL_ONLY_SETTINGS))
def test_prod_settings_reject_local_variable(name):
    environment = dict(prod_stage()["environment_variables"])
    environment[name] = LOCAL_ONLY_SETTINGS[name]
    with pytest.raises(config.ConfigurationError, match=name):
        config.settings_from_environment(environment)


def test_admin_cli_rejects_local_settings_in_prod(monkeypatch):
    from chalicelib import admin_cli

    monkeypatch.setenv("STAGE", "prod")
    monkeypatch.setenv("CAPTCHA_TEST_ANSWER", "TEST1")
    out, err = io.StringIO(), io.StringIO()
    status = admin_cli.main(["create-key", "--role", "admin"], out=out, err=err)
    assert status == admin_cli.EXIT_CONFIGURATION
    assert "CAPTCHA_TEST_ANSWER" in err.getvalue()
    assert out.getvalue() == ""


def test_admin_cli_rejects_admin_key_with_agency(monkeypatch):
    from chalicelib import admin_cli

    monkeypatch.setenv("STAGE", "test")
    monkeypatch.delenv("CAPTCHA_TEST_ANSWER", raising=False)
    out, err = io.StringIO(), io.StringIO()
    status = admin_cli.main(["create-key", "--role", "admin", "--agency-id", "mvd"], out=out, err=err)
    assert status == admin_cli.EXIT_INVALID
    assert "agency_id" in err.getvalue()
    assert out.getvalue() == ""
