"""Amboss Magma: `POST /graphql`, executed with graphql-core against the documented types."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
import uuid

from aiohttp import web
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
    build_schema,
    execute_sync,
    get_operation_ast,
    parse,
    validate,
)

from .faults import COMMON_FAULTS, FaultKind
from .providers import MAGMA_DEFAULT_KEY, InvalidOrderIdError, Provider
from .registry import BearerKey, OrderRequest, RequestInfo, SimProvider

if TYPE_CHECKING:
    import random

    from .documents import JsonObject
    from .gateway import ProviderCall
    from .orders import SimOrder
    from .registry import Endpoint

PATH = "/graphql"

# The subset of the Magma schema that order tracking touches, and that the public client's
# order reads use (tests/fixtures/references/magma_public_operations.graphql): PageInput as
# Amboss publishes it, `input` on the lists, source/destination, payment.lightning.invoice.
# Type names we do not know the published spelling of are ours (MarketOrderNode and the
# payment types); operations never name them. `status` is a String (not the
# MarketOrderStatus enum) so that fault tests can serve values the enum does not know yet.
SDL = """
type Query {
  user: User
}

type User {
  market: UserMarket
}

type UserMarket {
  orders: UserMarketOrders
}

type UserMarketOrders {
  get_order(order_id: String!): MarketOrder
  purchases(page: PageInput, input: OrderInput): MarketOrderList!
  sales(page: PageInput, input: OrderInput): MarketOrderList!
}

# A filter on the lists; the public client sends the counterparty's node as `peer_pubkey`.
input OrderInput {
  peer_pubkey: String
}

# As Amboss publishes it: both fields required, typed Float (not Int).
input PageInput {
  limit: Float!
  offset: Float!
}

type MarketOrderList {
  total: Int!
  list: [SimpleMarketOrder!]!
}

type SatoshiValue {
  sats: String!
  btc: String!
  usd: String!
  historical_usd: String
}

type SizeValue {
  satoshi: SatoshiValue
}

type MarketOrderNode {
  pubkey: String!
  alias: String
}

type MarketOrderLightningPayment {
  invoice: String
}

type MarketOrderPayment {
  lightning: MarketOrderLightningPayment
}

type TxConfirmations {
  confirmations: Int
}

type MarketOrderFees {
  fixed: SatoshiValue
  variable: SatoshiValue
  amboss: SatoshiValue
  buyer: SatoshiValue
  seller: SatoshiValue
}

type MarketOrder {
  id: String!
  status: String!
  payment_status: String
  amount: SizeValue!
  created_at: String!
  channel_id: String
  transaction_id: String
  timeout: String
  blocks_until_can_be_closed: Int
  confirmations: TxConfirmations
  fees: MarketOrderFees!
  is_seller: Boolean!
  source: MarketOrderNode
  destination: MarketOrderNode
  payment: MarketOrderPayment
}

type SimpleMarketOrder {
  id: String!
  status: String!
  payment_status: String
  amount: SizeValue!
  created_at: String!
  channel_id: String
  timeout: String
  fees: MarketOrderFees!
  source: MarketOrderNode
  destination: MarketOrderNode
}

enum MarketOrderStatus {
  WAITING_FOR_SELLER_APPROVAL
  WAITING_FOR_BUYER_PAYMENT
  WAITING_FOR_CHANNEL_OPEN
  SELLER_SENT_TRANSACTION
  WAITING_FOR_ON_CHAIN_CONFIRMATION
  ON_CHAIN_CONFIRMATION
  SELLER_OPENED_CHANNEL
  VALID_CHANNEL_OPENING
  CHANNEL_MONITORING_FINISHED
  SELLER_REJECTED
  SELLER_FAILED_TO_REACT
  BUYER_REJECTED
  BUYER_FAILED_TO_PAY
  SELLER_FAILED_TO_OPEN_CHANNEL
  SELLER_FAILED_TO_SEND_SWAP
  INVALID_CHANNEL_OPENING
  ADMIN_CLOSED
}

enum MarketOrderPaymentStatus {
  PENDING_PAYMENT
  SUCCESSFUL_PAYMENT
  PAYMENT_FAILED
  PAYMENT_REJECTED_BY_DESTINATION
  INVALID_PAYMENT_SECRET
  HODL_INVOICE_TIMEOUT
  SELLER_INVOICE_EXPIRED
}
"""

DEFAULT_PAGE_LIMIT = 10
MAX_PAGE_LIMIT = 100

UNAUTHORIZED_BODY: JsonObject = {
    "data": None,
    "errors": [{"message": "Unauthorized token", "extensions": {"code": "UNAUTHORIZED"}}],
}


def _error(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def _call(info: GraphQLResolveInfo) -> ProviderCall:
    call: ProviderCall = info.context
    return call


def _resolve_get_order(_root: Any, info: GraphQLResolveInfo, order_id: str) -> JsonObject:
    call = _call(info)
    try:
        uuid.UUID(order_id)
    except ValueError:
        raise _error("Invalid ID", "BAD_USER_INPUT") from None
    order = call.simulator.find(Provider.MAGMA, order_id)
    if order is None:
        raise _error("Order not found", "NOT_FOUND")
    if not call.owns(order):
        raise _error("Forbidden", "FORBIDDEN")
    return call.serve(order)


def _order_list(
    info: GraphQLResolveInfo, page: JsonObject | None, filters: JsonObject | None, *, sales: bool
) -> JsonObject:
    call = _call(info)
    peer = (filters or {}).get("peer_pubkey")
    # PageInput's fields are Floats: a page of 2.0 orders is a page of 2.
    limit = DEFAULT_PAGE_LIMIT if page is None else min(int(page["limit"]), MAX_PAGE_LIMIT)
    offset = 0 if page is None else int(page["offset"])
    if limit < 0 or offset < 0:
        raise _error("page limit and offset must be >= 0", "BAD_USER_INPUT")
    documents = call.listed(
        [
            document
            for order in call.simulator.visible_orders(Provider.MAGMA)
            if call.owns(order)
            and (document := call.serve(order)).get("is_seller") is sales
            and (peer is None or peer in _node_pubkeys(document))
        ]
    )
    return {"total": len(documents), "list": documents[offset : offset + limit]}


def _node_pubkeys(document: JsonObject) -> set[str]:
    return {
        node["pubkey"]
        for side in ("source", "destination")
        if isinstance(node := document.get(side), dict) and isinstance(node.get("pubkey"), str)
    }


def _resolve_purchases(
    _root: Any,
    info: GraphQLResolveInfo,
    page: JsonObject | None = None,
    input: JsonObject | None = None,  # noqa: A002 - the argument's published name
) -> JsonObject:
    return _order_list(info, page, input, sales=False)


def _resolve_sales(
    _root: Any,
    info: GraphQLResolveInfo,
    page: JsonObject | None = None,
    input: JsonObject | None = None,  # noqa: A002 - the argument's published name
) -> JsonObject:
    return _order_list(info, page, input, sales=True)


def build_magma_schema() -> GraphQLSchema:
    """The schema with the order resolvers attached (other fields resolve from dicts)."""
    schema = build_schema(SDL)
    orders = schema.get_type("UserMarketOrders")
    assert isinstance(orders, GraphQLObjectType)
    orders.fields["get_order"].resolve = _resolve_get_order
    orders.fields["purchases"].resolve = _resolve_purchases
    orders.fields["sales"].resolve = _resolve_sales
    return schema


SCHEMA = build_magma_schema()
# user, market and orders are plain containers; the work happens under `orders`.
_ROOT: JsonObject = {"user": {"market": {"orders": {}}}}


def _errors_body(errors: list[GraphQLError], code: str) -> JsonObject:
    formatted = []
    for error in errors:
        entry = error.formatted
        entry["extensions"] = {"code": code, **(entry.get("extensions") or {})}
        formatted.append(entry)
    return {"errors": formatted}


def _bad_request(message: str) -> web.Response:
    body = {"errors": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]}
    return web.json_response(body, status=400)


async def _read_payload(request: web.Request) -> JsonObject | None:
    try:
        payload = json.loads(await request.read())
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _top_level_fields(
    selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]
) -> set[str]:
    names: set[str] = set()
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            names.add(selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            names |= _top_level_fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                names |= _top_level_fields(fragment.selection_set, fragments)
    return names


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }


def _find_get_order_argument(
    selection_set: SelectionSetNode | None, variables: JsonObject
) -> str | None:
    if selection_set is None:
        return None
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode) and selection.name.value == "get_order":
            for argument in selection.arguments:
                if argument.name.value != "order_id":
                    continue
                if isinstance(argument.value, StringValueNode):
                    return argument.value.value
                if isinstance(argument.value, VariableNode):
                    value = variables.get(argument.value.name.value)
                    return value if isinstance(value, str) else None
        if isinstance(selection, (FieldNode, InlineFragmentNode)):
            found = _find_get_order_argument(selection.selection_set, variables)
            if found is not None:
                return found
    return None


async def describe_magma_request(request: web.Request) -> RequestInfo:
    """The order id asked for by `get_order` (if any) and the operation's name."""
    payload = await _read_payload(request)
    if payload is None or not isinstance(payload.get("query"), str):
        return RequestInfo(body=payload)
    operation_name = payload.get("operationName")
    variables = payload.get("variables")
    try:
        document = parse(payload["query"])
    except GraphQLError:
        return RequestInfo(
            operation=operation_name if isinstance(operation_name, str) else None, body=payload
        )
    operation = get_operation_ast(
        document, operation_name if isinstance(operation_name, str) else None
    )
    if operation is None:
        return RequestInfo(body=payload)
    name = operation.name.value if operation.name is not None else None
    order_id = _find_get_order_argument(
        operation.selection_set, variables if isinstance(variables, dict) else {}
    )
    return RequestInfo(order_id=order_id, operation=name, body=payload)


async def handle_graphql(request: web.Request, call: ProviderCall) -> web.StreamResponse:
    """Answer like Magma's GraphQL server (Apollo-style status codes and error codes)."""
    payload = await _read_payload(request)
    if payload is None:
        return _bad_request("POST body must be a JSON object")
    query = payload.get("query")
    if not isinstance(query, str) or not query.strip():
        return _bad_request("GraphQL operations must contain a non-empty `query`.")
    variables = payload.get("variables")
    if variables is not None and not isinstance(variables, dict):
        return _bad_request("`variables` must be an object")
    operation_name = payload.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        return _bad_request("`operationName` must be a string")
    try:
        document = parse(query)
    except GraphQLError as error:
        return web.json_response(_errors_body([error], "GRAPHQL_PARSE_FAILED"), status=400)
    if errors := validate(SCHEMA, document):
        return web.json_response(_errors_body(errors, "GRAPHQL_VALIDATION_FAILED"), status=400)
    operation = get_operation_ast(document, operation_name)
    if isinstance(operation, OperationDefinitionNode) and not call.authorized:
        fields = _top_level_fields(operation.selection_set, _fragments(document))
        if "user" in fields:
            return web.json_response(UNAUTHORIZED_BODY)
    result = execute_sync(
        SCHEMA,
        document,
        root_value=_ROOT,
        context_value=call,
        variable_values=variables,
        operation_name=operation_name,
    )
    if result.data is None and result.errors:
        # Request-level errors (bad variables, unknown operation) never reach a resolver.
        return web.json_response(_errors_body(result.errors, "BAD_USER_INPUT"), status=400)
    body: JsonObject = {"data": result.data}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    return web.json_response(body)


def add_routes(router: web.UrlDispatcher, endpoint: Endpoint) -> None:
    """The one GraphQL endpoint."""
    router.add_post(PATH, endpoint(handle_graphql, describe_magma_request))


def new_order_id(rng: random.Random) -> str:
    """A UUID4."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def check_order_id(value: str) -> str:
    """The id as given, if it is a UUID."""
    try:
        uuid.UUID(value)
    except ValueError:
        msg = f"{Provider.MAGMA} order ids are UUIDs, got {value!r}"
        raise InvalidOrderIdError(msg) from None
    return value


# The single-order read as the integration sends it (the fields order tracking uses).
GET_ORDER_QUERY = (
    "query GetOrder($orderId: String!) { user { market { orders { get_order(order_id: $orderId)"
    " { id status payment_status created_at channel_id transaction_id timeout"
    " blocks_until_can_be_closed confirmations { confirmations } amount { satoshi { sats } }"
    " fees { buyer { sats usd } seller { sats usd } } is_seller payment { lightning { invoice } } }"
    " } } } }"
)


def _order_request(order: SimOrder) -> OrderRequest:
    return OrderRequest(
        "POST", "", {"query": GET_ORDER_QUERY, "variables": {"orderId": order.order_id}}
    )


# The order list as the integration reads it for auto-tracking (its first page).
LIST_QUERY = (
    "query ListOrders($page: PageInput) { user { market { orders {"
    " purchases(page: $page) { total list { id status payment_status channel_id created_at } }"
    " sales(page: $page) { total list { id status payment_status channel_id created_at } }"
    " } } } }"
)


def _list_request(wallet: str | None) -> OrderRequest:
    page = {"limit": MAX_PAGE_LIMIT, "offset": 0}
    return OrderRequest("POST", "", {"query": LIST_QUERY, "variables": {"page": page}})


def _list_entries(body: Any) -> list[JsonObject]:
    orders = body["data"]["user"]["market"]["orders"]
    entries: list[JsonObject] = orders["purchases"]["list"] + orders["sales"]["list"]
    return entries


def _order_document(body: Any) -> JsonObject:
    document: JsonObject = body["data"]["user"]["market"]["orders"]["get_order"]
    return document


SIM = SimProvider(
    provider=Provider.MAGMA,
    add_routes=add_routes,
    base_path=PATH,
    auth=BearerKey(),
    default_key=MAGMA_DEFAULT_KEY,
    # Magma's edge answers in plain text; its own refusal of a key comes inside HTTP 200
    # (UNAUTHORIZED_BODY), the `unauthorized` fault stands for a proxy in front of it.
    rate_limit_body="Too Many Requests",
    unauthorized_body="Unauthorized",
    new_order_id=new_order_id,
    check_order_id=check_order_id,
    wallet_refusal="magma orders have no wallet; use is_seller to choose purchases or sales",
    fault_kinds=COMMON_FAULTS | {FaultKind.GRAPHQL_ERROR},
    status_field=("status", "SELLER_NEGOTIATING"),
    optional_fields=(
        "payment_status",
        "channel_id",
        "transaction_id",
        "timeout",
        "blocks_until_can_be_closed",
        "confirmations",
        "amount.satoshi",
        "fees.fixed",
        "fees.variable",
        "fees.amboss",
        "fees.buyer",
        "fees.seller",
    ),
    # GraphQL cannot omit a selected field, so "missing" fields come back as null.
    missing_mode="null",
    amount_fields=("amount.satoshi.sats", "fees.*.sats"),
    order_request=_order_request,
    order_document=_order_document,
    list_request=_list_request,
    list_entries=_list_entries,
)
