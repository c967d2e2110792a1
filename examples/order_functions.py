"""Python functions serving the Lambda ARNs of examples/order.asl.json.

Each top-level function is a Lambda handler named by its function name: ``(event, context)``
in, JSON out; an exception becomes the task's error (its class name) and cause.
"""

PRICES = {"book": 30, "lamp": 45}
_attempts = {"charge": 0}


class GatewayBusy(Exception):
    pass


class CardDeclined(Exception):
    pass


def price(event, context):
    return {"sku": event["sku"], "amount": PRICES[event["sku"]] * event["quantity"]}


def charge(event, context):
    _attempts["charge"] += 1
    if _attempts["charge"] == 1:  # the first call meets a busy gateway; the retry goes through
        raise GatewayBusy("payment gateway busy, try again")
    if event["customer"].endswith("@declined.example"):
        raise CardDeclined("card declined")
    return {"receipt": f"R-{event['amount']}-{_attempts['charge']}"}
