"""The event types of a session, and their codes (the dictionary index of `event_type`)."""

EVENT_TYPES = ["page_view", "search", "product_view", "add_to_cart", "remove_from_cart", "begin_checkout", "purchase"]
PV, SEARCH, PRODUCT, ADD, REMOVE, CHECKOUT, PURCHASE = range(7)
