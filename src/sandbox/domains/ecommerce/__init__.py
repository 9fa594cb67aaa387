"""The e-commerce domain: a shop's clickstream sessions, events, orders and customers."""

from sandbox.domains.ecommerce.domain import Clickstream

__all__ = ["Clickstream"]
