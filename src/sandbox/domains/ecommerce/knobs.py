"""The clickstream domain's knobs: the targets people think in, with defaults from published figures (each
description names its source)."""

from __future__ import annotations

from sandbox.core.params import integer, multipliers, number, numbers, string

#: Olist's orders by weekday, Monday first, over Monday's (rounded from its published EDAs: Monday highest,
#: falling through the week, Saturday about two thirds of Monday, Sunday a little above Saturday).
WEEKDAYS = (1.0, 0.986, 0.96, 0.911, 0.872, 0.672, 0.738)
MONTHS = (0.9, 0.85, 0.95, 0.95, 1.0, 0.95, 0.92, 0.95, 1.0, 1.05, 1.2, 1.25)
PEAKS = {"black_friday": 7.0, "cyber_monday": 3.0, "pre_christmas": 1.5, "public_holidays": 1.3}

KNOBS = (
    number("conversion_rate", "Share of human sessions that end in a purchase.", 0.025, gt=0, le=0.5),
    number("cart_abandonment", "Share of sessions with a cart that do not buy.", 0.70, ge=0, le=0.99),
    number("bot_share", "Share of all sessions that are bots (many fast page views, never buy).", 0.02, ge=0, le=0.5),
    number(
        "anonymous_share", "Share of human sessions without a logged-in customer (they never buy).", 0.35, ge=0, le=0.95
    ),
    number("sessions_per_customer", "Mean sessions per customer over the date range.", 4.0, ge=1, le=1000),
    integer("products", "Products in the catalogue.", 2000, ge=10, le=1_000_000),
    number("popularity_skew", "Zipf exponent of product popularity.", 1.1, gt=0, le=3),
    number(
        "bounce_rate",
        "Share of human sessions with a single page (bounces): 45.7% for shopping sites (Oberlo 2022; CXL puts "
        "e-commerce at 42-47%). Session lengths are heavy-tailed around it.",
        0.457,
        ge=0,
        le=0.9,
    ),
    string("start", "First day of the sessions (UTC).", "2025-01-01", format="date"),
    integer(
        "days", "Days of traffic: a year by default, so the seasons and every peak day are in it.", 365, ge=1, le=3650
    ),
    numbers(
        "weekday_profile",
        "Relative traffic per weekday, Monday first: Olist's orders by weekday (public Brazilian marketplace "
        "dataset, 2016-2018): Monday highest, Saturday lowest.",
        list(WEEKDAYS),
        length=7,
        ge=0,
    ),
    numbers(
        "month_profile",
        "Relative traffic per calendar month, January first: a retail year with a quieter first quarter and a "
        "busier last (an assumption, not a measured series: set it from your own traffic).",
        list(MONTHS),
        length=12,
        ge=0,
    ),
    multipliers(
        "peak_days",
        "Days whose traffic is multiplied: black_friday (Olist's busiest day, 2017-11-24, had ~7x the median "
        "day's orders), cyber_monday, pre_christmas (the 14 days before 24 December), public_holidays (from the "
        "`holidays` library for the customers' countries, weighted by their share), or a date: MM-DD every year, "
        "YYYY-MM-DD once. Setting it replaces the defaults: list every peak to keep.",
        dict(PEAKS),
    ),
    number("mobile_share", "Share of human sessions on mobile.", 0.58, ge=0, le=1),
    number("tablet_share", "Share of human sessions on tablets (desktop gets the rest).", 0.07, ge=0, le=1),
    number("mobile_conversion", "Conversion multiplier of mobile sessions.", 0.7, gt=0, le=10),
    number("desktop_conversion", "Conversion multiplier of desktop sessions.", 1.4, gt=0, le=10),
    number("tablet_conversion", "Conversion multiplier of tablet sessions.", 1.0, gt=0, le=10),
    number("direct_conversion", "Conversion multiplier of direct visits.", 1.0, gt=0, le=10),
    number("organic_search_conversion", "Conversion multiplier of organic search visits.", 1.0, gt=0, le=10),
    number("paid_search_conversion", "Conversion multiplier of paid search visits.", 1.3, gt=0, le=10),
    number("social_conversion", "Conversion multiplier of social visits (e.g. an instagram ad).", 0.6, gt=0, le=10),
    number("email_conversion", "Conversion multiplier of email campaign visits.", 1.8, gt=0, le=10),
    number("affiliate_conversion", "Conversion multiplier of affiliate visits.", 1.2, gt=0, le=10),
    number("duplicate_event_rate", "Share of events the tracker sends twice (same event_id).", 0.004, ge=0, le=0.5),
    number("late_event_rate", "Share of events stamped after their session ended.", 0.006, ge=0, le=0.5),
    number("missing_product_rate", "Share of product views that lose their product_id.", 0.01, ge=0, le=0.5),
    multipliers(
        "price_endings",
        "Share of catalogue prices ending in .99, .95 and .00 (the rest end in any other cents): Olist and the UCI "
        "Online Retail dataset have ~19% on .99/.95 and ~30% on .00.",
        {"99": 0.15, "95": 0.04, "00": 0.30},
        le=1,
    ),
    number(
        "single_item_share",
        "Share of orders holding one unit of one product: ~90% in Olist's marketplace orders.",
        0.90,
        ge=0,
        le=1,
    ),
    number(
        "return_visit_share",
        "Share of a logged-in customer's later sessions that come back within hours of the one before (2 h on "
        "average): with the default about a quarter of repeat purchases fall within a day of the previous "
        "one, as in Olist's repeat orders.",
        0.55,
        ge=0,
        le=0.95,
    ),
    number(
        "discount_share",
        "Share of orders with a promotion code: Olist pays 11% of its payment rows with vouchers.",
        0.11,
        ge=0,
        le=1,
    ),
    number(
        "instalment_share",
        "Share of payments spread over more than one instalment: 48% in Olist (Brazil, where card instalments are "
        "usual; lower it for a European shop).",
        0.48,
        ge=0,
        le=1,
    ),
    number(
        "return_rate",
        "Share of orders with at least one returned line: NRF/Appriss Retail put returns at 16.5% of online "
        "sales (2022).",
        0.165,
        ge=0,
        le=0.9,
    ),
    number(
        "stockout_share",
        "Share of the time a product is out of stock: 8.3% on average (Gruen, Corsten and Bharadwaj 2002, "
        "a study of 40 retail out-of-stock surveys). Nobody views or adds a product while it is out.",
        0.083,
        ge=0,
        le=0.5,
    ),
)
