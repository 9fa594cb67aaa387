"""sandbox-weather: weather stations and their daily observations, a domain for `sandbox`."""
