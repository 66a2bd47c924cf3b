"""Counting of DynamoDB requests and capacity units through botocore's event hooks.

PynamoDB 6.1 gives every model its own Connection and so its own botocore
client, and chalicelib.db keeps one more for transactions, so the hooks are
registered on each of them. The app uses no boto3 DynamoDB client.

Capacity is taken from two sources and both are kept:
- `moto_units`: the ConsumedCapacity that moto 5.2.5 returns. It is a fixed
  number per operation (0.5 for reads, 1.0 for writes, whatever the item
  size or read consistency) and is empty for TransactWriteItems.
- `read_units` / `write_units`: computed here from item sizes by DynamoDB's
  rules. A read is 1 unit per 4 KB, or 0.5 when eventually consistent, summed
  over the page for Query and Scan and per item otherwise. A write is 1 unit
  per 1 KB of the larger of the old and new item, and a transaction doubles
  both. Old and new items are looked up in moto's in-process backend, which
  adds no request to the counts.
"""
from __future__ import annotations

import json
import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterator

READ_UNIT_BYTES = 4096
WRITE_UNIT_BYTES = 1024
MOTO_ACCOUNT_ID = "123456789012"


# ---------------------------------------------------------------- item sizes

def attribute_value_size(value: dict) -> int:
    """Return the size in bytes of one attribute value in DynamoDB's JSON form.

    Follows DynamoDB's published sizing rules. A string or binary counts its
    length in bytes, and a number about one byte per two significant digits
    plus one. A boolean or null is one byte, and a list or map is 3 bytes plus
    one per element and the elements' sizes.
    """
    (kind, content), = value.items()
    if kind == "S":
        return len(content.encode("utf-8"))
    if kind == "B":
        return len(content) if isinstance(content, (bytes, bytearray)) else len(content.encode("ascii"))
    if kind == "N":
        digits = str(content).lstrip("-").replace(".", "").strip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(item.encode("utf-8")) for item in content)
    if kind == "NS":
        return sum(attribute_value_size({"N": item}) for item in content)
    if kind == "BS":
        return sum(attribute_value_size({"B": item}) for item in content)
    if kind == "L":
        return 3 + sum(1 + attribute_value_size(item) for item in content)
    if kind == "M":
        return 3 + sum(1 + len(name.encode("utf-8")) + attribute_value_size(item) for name, item in content.items())
    raise ValueError(f"unknown DynamoDB attribute type {kind!r}")


def item_size(item: dict | None) -> int:
    """Return the size in bytes of an item in DynamoDB's JSON form; 0 for no item."""
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + attribute_value_size(value) for name, value in item.items())


def read_units(total_bytes: int, consistent: bool) -> float:
    units = max(1, math.ceil(total_bytes / READ_UNIT_BYTES))
    return float(units) if consistent else units / 2


def write_units(old_bytes: int, new_bytes: int) -> float:
    return float(max(1, math.ceil(max(old_bytes, new_bytes) / WRITE_UNIT_BYTES)))


# ---------------------------------------------------------------- moto's stored items

def _plain(value):
    """Turn moto's stored attribute values back into DynamoDB's JSON form."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if hasattr(value, "type") and hasattr(value, "value"):
        return {value.type: _plain(value.value)}
    if isinstance(value, Decimal):
        return str(value)
    return value


def stored_item_size(region: str, table_name: str, key: dict) -> int:
    """Return the size of the item stored under `key` in moto's backend, 0 when there is none."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    backend = dynamodb_backends[MOTO_ACCOUNT_ID][region]
    table = backend.tables.get(table_name)
    if table is None:
        return 0
    hash_value = DynamoType(key[table.hash_key_attr])
    range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    try:
        stored = table.get_item(hash_value, range_value)
    except KeyError:
        return 0
    if stored is None:
        return 0
    return item_size({name: _plain(value) for name, value in stored.attrs.items()})


def _key_of(table_name: str, item: dict, region: str) -> dict:
    from moto.dynamodb.models import dynamodb_backends

    table = dynamodb_backends[MOTO_ACCOUNT_ID][region].tables[table_name]
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    return {name: item[name] for name in names}


# ---------------------------------------------------------------- the recorder

@dataclass
class Write:
    table: str
    key: dict
    old_bytes: int
    new_item: dict | None = None  # known from the request for a put, looked up after the call otherwise


@dataclass
class Request:
    """One DynamoDB request as counted: operation, tables, items read and capacity."""

    operation: str
    tables: list[str]
    items_read: int = 0
    read_units: float = 0.0
    write_units: float = 0.0
    moto_units: float | None = None
    method: str = "computed from item sizes"
    error: str | None = None
    consistent: bool = False
    consistent_by_table: dict[str, bool] = field(default_factory=dict, repr=False)
    writes: list[Write] = field(default_factory=list, repr=False)


def _moto_units(parsed: dict) -> float | None:
    capacity = parsed.get("ConsumedCapacity")
    if isinstance(capacity, dict):
        return float(capacity.get("CapacityUnits", 0))
    if isinstance(capacity, list) and capacity:
        return float(sum(entry.get("CapacityUnits", 0) for entry in capacity))
    return None


class RequestRecorder:
    """Records every DynamoDB request made through the PynamoDB clients it is attached to."""

    def __init__(self, region: str):
        self.region = region
        self.requests: list[Request] = []
        self._pending: Request | None = None
        self._clients: dict[int, object] = {}
        self.enabled = False

    # botocore hooks -------------------------------------------------------

    def _add_capacity_request(self, params, model, **_kwargs):
        if "ReturnConsumedCapacity" in model.input_shape.members:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")

    def _before_call(self, params, model, **_kwargs):
        if not self.enabled:
            return
        body = params.get("body") or b"{}"
        request_params = json.loads(body) if body else {}
        self._pending = self._start(model.name, request_params)

    def _after_call(self, http_response, parsed, model, **_kwargs):
        if not self.enabled or self._pending is None:
            return
        request, self._pending = self._pending, None
        error = parsed.get("Error", {}).get("Code")
        request.error = error
        request.moto_units = _moto_units(parsed)
        self._finish(request, parsed)
        self.requests.append(request)

    def attach_client(self, client) -> None:
        if id(client) in self._clients:
            return
        self._clients[id(client)] = client
        events = client.meta.events
        events.register("before-parameter-build.dynamodb.*", self._add_capacity_request)
        events.register("before-call.dynamodb.*", self._before_call)
        events.register("after-call.dynamodb.*", self._after_call)

    def attach_models(self) -> int:
        """Attach to every model's client and to the transaction connection; return how many clients."""
        from chalicelib import db
        from chalicelib.models import ALL_MODELS

        for model in ALL_MODELS:
            self.attach_client(model._get_connection().connection.client)
        self.attach_client(db.connection().client)
        return len(self._clients)

    @contextmanager
    def measure(self) -> Iterator[list[Request]]:
        """Collect the requests made inside the block into the yielded list."""
        start = len(self.requests)
        collected: list[Request] = []
        self.enabled = True
        try:
            yield collected
        finally:
            self.enabled = False
            collected.extend(self.requests[start:])

    # request accounting --------------------------------------------------

    def _write(self, table: str, key_source: dict, new_item: dict | None = None) -> Write:
        key = _key_of(table, key_source, self.region)
        return Write(table, key, stored_item_size(self.region, table, key), new_item)

    def _start(self, operation: str, params: dict) -> Request:
        request = Request(operation, [params["TableName"]] if "TableName" in params else [],
                          consistent=bool(params.get("ConsistentRead")))
        if operation == "PutItem":
            request.writes.append(self._write(params["TableName"], params["Item"], params["Item"]))
        elif operation in ("UpdateItem", "DeleteItem"):
            request.writes.append(self._write(params["TableName"], params["Key"]))
        elif operation == "TransactWriteItems":
            for action in params["TransactItems"]:
                (kind, body), = action.items()
                request.tables.append(body["TableName"])
                if kind == "Put":
                    request.writes.append(self._write(body["TableName"], body["Item"], body["Item"]))
                elif kind in ("Update", "Delete", "ConditionCheck"):
                    # A ConditionCheck writes nothing, but is counted like a
                    # write of the item it checks, which errs on the high side.
                    request.writes.append(self._write(body["TableName"], body["Key"]))
        elif operation == "BatchWriteItem":
            for table, actions in params["RequestItems"].items():
                request.tables.append(table)
                for action in actions:
                    if "PutRequest" in action:
                        item = action["PutRequest"]["Item"]
                        request.writes.append(self._write(table, item, item))
                    else:
                        request.writes.append(self._write(table, action["DeleteRequest"]["Key"]))
        elif operation == "BatchGetItem":
            request.tables.extend(params["RequestItems"])
            request.consistent_by_table = {table: bool(spec.get("ConsistentRead"))
                                           for table, spec in params["RequestItems"].items()}
        return request

    def _finish(self, request: Request, parsed: dict) -> None:
        operation = request.operation
        if request.error:
            # A write rejected by its condition still consumes capacity. One unit per
            # item is counted, a lower bound, because the item sizes are not looked up.
            request.write_units = float(len(request.writes)) * (2 if operation == "TransactWriteItems" else 1)
            return
        if operation == "GetItem":
            item = parsed.get("Item")
            request.items_read = 1 if item else 0
            request.read_units = read_units(item_size(item), request.consistent)
        elif operation in ("Query", "Scan"):
            self._finish_page(request, parsed)
        elif operation == "BatchGetItem":
            for table, items in parsed.get("Responses", {}).items():
                request.items_read += len(items)
                consistent = request.consistent_by_table.get(table, False)
                request.read_units += sum(read_units(item_size(item), consistent) for item in items)
        elif request.writes:
            factor = 2 if operation == "TransactWriteItems" else 1
            for write in request.writes:
                new_bytes = (item_size(write.new_item) if write.new_item is not None
                             else stored_item_size(self.region, write.table, write.key))
                request.write_units += factor * write_units(write.old_bytes, new_bytes)

    def _finish_page(self, request: Request, parsed: dict) -> None:
        items = parsed.get("Items")
        scanned = int(parsed.get("ScannedCount", parsed.get("Count", 0)))
        request.items_read = scanned
        if items is not None and len(items) == scanned:
            request.read_units = read_units(sum(item_size(item) for item in items), request.consistent)
        else:
            # A COUNT query or a filter hides the items read, so their sizes are unknown here.
            request.read_units = request.moto_units or 0.0
            request.method = "moto's ConsumedCapacity (items not returned)"


def summarize(requests: list[Request]) -> dict:
    """Return the counts per operation, the items read and the capacity totals of `requests`."""
    by_operation: dict[str, int] = {}
    items_by_table: dict[str, int] = {}
    for request in requests:
        by_operation[request.operation] = by_operation.get(request.operation, 0) + 1
        if request.items_read and len(request.tables) == 1:
            table = _short(request.tables[0])
            items_by_table[table] = items_by_table.get(table, 0) + request.items_read
    moto_values = [request.moto_units for request in requests if request.moto_units is not None]
    return {
        "requests": len(requests),
        "by_operation": by_operation,
        "items_read": sum(request.items_read for request in requests),
        "items_read_by_table": items_by_table,
        "read_units": sum(request.read_units for request in requests),
        "write_units": sum(request.write_units for request in requests),
        "moto_units": sum(moto_values),
        "moto_missing": sum(1 for request in requests if request.moto_units is None),
        "methods": sorted({request.method for request in requests}),
        "sequence": [_describe(request) for request in requests],
    }


def _describe(request: Request) -> str:
    table_names = sorted({_short(name) for name in request.tables})
    text = f"{request.operation}({', '.join(table_names)})"
    return f"{text} [{request.error}]" if request.error else text


def _short(table_name: str) -> str:
    from chalicelib.models import ALL_MODELS

    for model in ALL_MODELS:
        if model.Meta.table_name == table_name:
            return model.Meta.short_name
    return table_name
