"""Typed readers for provider JSON: wrong types become ProtocolError, never KeyError/TypeError.

JSON is decoded with ``parse_float=Decimal`` (see ``http.decode_json``), so numbers arrive as
``int`` or ``Decimal`` and never lose precision.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import ProtocolError

type JSONObject = Mapping[str, Any]

_MISSING: Any = object()

MAX_DIGITS = 60
"""Numbers beyond 10**60 are not amounts but garbage (or an attempt to exhaust memory)."""
_LIMIT = 10 ** (MAX_DIGITS + 1)


class OutOfRangeError(ProtocolError):
    """A number beyond `MAX_DIGITS` digits: an amount reader drops just that field."""


def as_object(value: Any, where: str) -> JSONObject:
    """The value as a JSON object."""
    if not isinstance(value, Mapping):
        raise ProtocolError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def as_list(value: Any, where: str) -> list[Any]:
    """The value as a JSON array."""
    if not isinstance(value, list):
        raise ProtocolError(f"{where}: expected an array, got {type(value).__name__}")
    return value


def _get(obj: JSONObject, key: str, where: str, *, required: bool) -> Any:
    value = obj.get(key, _MISSING)
    if value is _MISSING or value is None:
        if required:
            raise ProtocolError(f"{where}.{key}: required field is missing")
        return None
    return value


def get_object(
    obj: JSONObject, key: str, where: str, *, required: bool = False
) -> JSONObject | None:
    """An optional (or required) nested object."""
    value = _get(obj, key, where, required=required)
    return None if value is None else as_object(value, f"{where}.{key}")


def get_str(obj: JSONObject, key: str, where: str, *, required: bool = False) -> str | None:
    """A string field; an empty string counts as missing."""
    value = _get(obj, key, where, required=required)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProtocolError(f"{where}.{key}: expected a string, got {type(value).__name__}")
    if not value and required:
        raise ProtocolError(f"{where}.{key}: required field is empty")
    return value or None


def get_bool(obj: JSONObject, key: str, where: str, *, required: bool = False) -> bool | None:
    """A boolean field."""
    value = _get(obj, key, where, required=required)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise ProtocolError(f"{where}.{key}: expected a boolean, got {type(value).__name__}")
    return value


def to_int(value: Any, where: str) -> int:
    """An integer sent as int, integral decimal (``8640.0``) or decimal string (``"1650"``)."""
    if isinstance(value, bool):
        raise ProtocolError(f"{where}: expected an integer, got a boolean")
    if isinstance(value, int):
        if abs(value) >= _LIMIT:
            raise OutOfRangeError(f"{where}: a {len(str(abs(value)))}-digit number is out of range")
        return value
    if isinstance(value, Decimal | str):
        try:
            number = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            raise ProtocolError(f"{where}: {value!r} is not a number") from None
        if not number.is_finite():
            raise ProtocolError(f"{where}: {value!r} is out of range")
        if number.adjusted() > MAX_DIGITS:
            raise OutOfRangeError(f"{where}: {value!r} is out of range")
        if number == number.to_integral_value():
            return int(number)
        raise ProtocolError(f"{where}: {value!r} is not an integer")
    raise ProtocolError(f"{where}: expected an integer, got {type(value).__name__}")


def to_decimal(value: Any, where: str) -> Decimal:
    """A decimal sent as a string or number."""
    if isinstance(value, bool):
        raise ProtocolError(f"{where}: expected a number, got a boolean")
    if isinstance(value, int | Decimal):
        number = Decimal(value)
        if number.is_finite() and number.adjusted() > MAX_DIGITS:
            raise OutOfRangeError(f"{where}: {value!r} is out of range")
        return number
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ProtocolError(f"{where}: {value!r} is not a number") from None
        if number.is_finite() and number.adjusted() <= MAX_DIGITS:
            return number
        if number.is_finite():
            raise OutOfRangeError(f"{where}: {value!r} is out of range")
        raise ProtocolError(f"{where}: {value!r} is out of range")
    raise ProtocolError(f"{where}: expected a number, got {type(value).__name__}")


def get_int(obj: JSONObject, key: str, where: str, *, required: bool = False) -> int | None:
    """An integer field (tolerant of integral strings and decimals)."""
    value = _get(obj, key, where, required=required)
    if value is None or value == "":
        if required:
            raise ProtocolError(f"{where}.{key}: required field is empty")
        return None
    return to_int(value, f"{where}.{key}")


def get_amount(obj: JSONObject, key: str, where: str) -> int | None:
    """An optional integer amount; beyond `MAX_DIGITS` digits it is dropped (None), not the
    whole order: one absurd amount must not hide the order's status."""
    try:
        return get_int(obj, key, where)
    except OutOfRangeError:
        return None


def get_decimal_amount(obj: JSONObject, key: str, where: str) -> Decimal | None:
    """An optional decimal amount, dropped (None) beyond `MAX_DIGITS` digits (`get_amount`)."""
    try:
        return get_decimal(obj, key, where)
    except OutOfRangeError:
        return None


def get_decimal(obj: JSONObject, key: str, where: str, *, required: bool = False) -> Decimal | None:
    """A decimal field."""
    value = _get(obj, key, where, required=required)
    if value is None or value == "":
        if required:
            raise ProtocolError(f"{where}.{key}: required field is empty")
        return None
    return to_decimal(value, f"{where}.{key}")


def parse_iso_datetime(value: str, where: str) -> datetime:
    """An ISO-8601 timestamp as an aware datetime (naive values are taken as UTC)."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ProtocolError(f"{where}: {value!r} is not an ISO-8601 timestamp") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def get_datetime(
    obj: JSONObject, key: str, where: str, *, required: bool = False
) -> datetime | None:
    """An ISO-8601 timestamp field; an empty string counts as missing."""
    value = _get(obj, key, where, required=required)
    if value is None or value == "":
        if required:
            raise ProtocolError(f"{where}.{key}: required field is empty")
        return None
    if not isinstance(value, str):
        raise ProtocolError(
            f"{where}.{key}: expected a timestamp string, got {type(value).__name__}"
        )
    return parse_iso_datetime(value, f"{where}.{key}")


def get_unix_datetime(
    obj: JSONObject, key: str, where: str, *, required: bool = False
) -> datetime | None:
    """A unix-seconds timestamp field (int, integral decimal or numeric string)."""
    seconds = get_int(obj, key, where, required=required)
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise ProtocolError(f"{where}.{key}: {seconds} is not a valid unix time") from None


def require_str(obj: JSONObject, key: str, where: str) -> str:
    """A required, non-empty string field."""
    value = get_str(obj, key, where, required=True)
    if value is None:  # pragma: no cover - get_str(required=True) never returns None
        raise ProtocolError(f"{where}.{key}: required field is missing")
    return value


def require_datetime(obj: JSONObject, key: str, where: str) -> datetime:
    """A required ISO-8601 timestamp field."""
    value = get_datetime(obj, key, where, required=True)
    if value is None:  # pragma: no cover - get_datetime(required=True) never returns None
        raise ProtocolError(f"{where}.{key}: required field is missing")
    return value


def require_int(obj: JSONObject, key: str, where: str) -> int:
    """A required integer field."""
    value = get_int(obj, key, where, required=True)
    if value is None:  # pragma: no cover - get_int(required=True) never returns None
        raise ProtocolError(f"{where}.{key}: required field is missing")
    return value
