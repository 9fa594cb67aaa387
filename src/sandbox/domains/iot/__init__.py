"""The IoT domain: plants of devices whose sensors stream readings, with dropouts, drift, noise and failures."""

from sandbox.domains.iot.domain import Sensors

__all__ = ["Sensors"]
