"""Sends Sentry events with the real Python sentry-sdk, as an application would.

usage: python python_sender.py <dsn> [exception|message]
Prints one JSON line {"eventIds": [...]} once the SDK has flushed.
"""

import json
import logging
import sys

import sentry_sdk
from sentry_sdk.integrations.logging import LoggingIntegration

dsn = sys.argv[1]
scenario = sys.argv[2] if len(sys.argv) > 2 else "exception"

sentry_sdk.init(
    dsn=dsn,
    release="shop-py@3.1.0",
    environment="production",
    server_name="python-capture-host",
    sample_rate=1.0,
    traces_sample_rate=0,
    include_local_variables=True,
    integrations=[LoggingIntegration(level=logging.INFO, event_level=logging.ERROR)],
    default_integrations=True,
)

sentry_sdk.set_user({"id": "u-99", "email": "grace@example.com", "ip_address": "10.1.2.3"})
sentry_sdk.set_tag("tenant", "globex")
sentry_sdk.set_context("order", {"id": 7, "items": 3})
sentry_sdk.add_breadcrumb(category="db", message="SELECT * FROM orders WHERE id = 7", level="info")


def load_sku(catalog, sku):
    return catalog[sku]


def place_order(order_id):
    try:
        load_sku({}, "X1")
    except KeyError as e:
        raise ValueError(f"order {order_id} references an unknown SKU") from e


event_ids = []
if scenario == "exception":
    try:
        place_order(7)
    except ValueError as e:
        event_ids.append(sentry_sdk.capture_exception(e))
elif scenario == "message":
    # The logging integration turns this into an event with logentry.message and params.
    logging.getLogger("shop.payments").error("payment %s declined with code %d", "P-7", 402)
    event_ids.append(sentry_sdk.last_event_id())
else:
    sys.exit(f"unknown scenario {scenario}")

sentry_sdk.flush(timeout=10)
print(json.dumps({"eventIds": event_ids}))
