"""The knobs of the `sensors` domain, each with its default's source or the assumption it is."""

from __future__ import annotations

from sandbox.core.params import boolean, integer, number, string

KNOBS = (
    string("start", "First day of readings (UTC).", "2025-01-01", format="date"),
    integer("days", "Days of readings.", 7, ge=1, le=3650),
    number("dropout_rate", "Share of scheduled readings lost (bursty: a two-state Markov chain).", 0.02, ge=0, lt=0.9),
    number("mean_gap_samples", "Mean length of a dropout, in samples.", 6.0, ge=1, le=100_000),
    number("spike_rate", "Share of readings with a spike.", 0.0005, ge=0, le=0.1),
    number(
        "spike_sigma",
        "Median spike size in multiples of the vendor's noise; sizes are lognormal around it, so some spikes are "
        "subtle (2-6 sigma) and some gross. The default makes a rolling robust z-score (61 samples, threshold 6) "
        "find about half of them: a benchmark that a trivial detector cannot win (NAB's labelled machine "
        "failures defeat that detector too).",
        6.0,
        gt=0,
        le=1000,
    ),
    number("stuck_per_sensor_day", "Stuck-at windows per sensor and day.", 0.03, ge=0, le=24),
    number("drift_per_sensor_month", "Gradual drift windows per sensor and 30 days.", 0.3, ge=0, le=30),
    number("failure_rate", "Failures per device and year (vibration rises before each).", 6.0, ge=0, le=365),
    number("failure_lead_hours", "How long before a failure its precursors start.", 48.0, gt=0, le=24 * 60),
    number(
        "calibration_interval_days", "Days between calibrations (each shifts a sensor's level).", 10.0, gt=0.5, le=3650
    ),
    number("death_temperature", "A heat-sensitive sensor on a hot site dies above this (degC).", 55.0, ge=-50, le=200),
    number(
        "late_uploads_per_device_day", "Connectivity losses per device and day (readings held back).", 0.1, ge=0, le=100
    ),
    number("duplicate_rate", "Share of readings delivered twice.", 0.001, ge=0, le=0.5),
    number(
        "unit_mixup_median_hours",
        "Median length of a unit mix-up (a vendor's firmware reports degF or psi until someone reconfigures the "
        "device): one episode per device of such a vendor, starting anywhere in the period, lognormal in length "
        "(an assumption: set it from your own incident log).",
        24.0,
        gt=0,
        le=24 * 3650,
    ),
    number(
        "clock_skews_per_device_month",
        "Episodes per device and 30 days when its clock is set wrong (2 to 10 minutes either way, after a reboot "
        "without a time server) until it next syncs (an assumption: set it from your own plant's logs).",
        1.0,
        ge=0,
        le=300,
    ),
    number(
        "clock_skew_median_hours",
        "Median length of a clock skew episode, lognormal (an assumption).",
        12.0,
        gt=0,
        le=24 * 365,
    ),
    number(
        "shutdowns_per_site_month",
        "Planned shutdowns per site and 30 days: every machine of the site is switched off (its sensors keep "
        "reporting: temperatures cool, vibration and power fall to idle), logged in `operations` and in "
        "truth/failures as planned (not a failure), as numenta/NAB labels the planned shutdown in its machine "
        "temperature series (an assumption: set it from your own plant's calendar).",
        0.5,
        ge=0,
        le=30,
    ),
    number("shutdown_median_hours", "Median length of a planned shutdown, lognormal.", 16.0, gt=0, le=24 * 60),
    number(
        "regime_median_hours",
        "Median length of an operating regime (low, normal or high load: production orders, not the clock), "
        "lognormal (an assumption: about a shift).",
        8.0,
        gt=0,
        le=24 * 365,
    ),
    number(
        "firmware_updates_per_device_year",
        "Firmware updates per device and year; an update to a new major version changes the measurement noise "
        "(an assumption).",
        2.0,
        ge=0,
        le=365,
    ),
    number(
        "replacements_per_device_year",
        "Sensors replaced per device and year; the new sensor reads 2-6 noise sds off the old and is more or "
        "less noisy (an assumption).",
        0.6,
        ge=0,
        le=365,
    ),
    number(
        "outages_per_device_month",
        "Network losses per device and 30 days, during which its readings are lost (an assumption: set it from "
        "your own plant's logs).",
        1.0,
        ge=0,
        le=300,
    ),
    number(
        "outage_median_hours",
        "Median length of an outage; lengths are lognormal and heavy-tailed (numenta/NAB's ambient temperature "
        "series has gaps of 1 to 173 hours, median 39).",
        12.0,
        gt=0,
        le=24 * 365,
    ),
    boolean(
        "isolation_forest",
        "Also score scikit-learn's IsolationForest (one forest per sensor kind on robust z-scores and steps) in the "
        "data card's benchmark; needs the `detect` extra.",
        False,
    ),
)
