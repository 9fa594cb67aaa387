"""Domains: generators of several related tables at once, with knobs declared once.

Each built-in domain is a package here (ecommerce, iot, ledger, learned) holding its generator, knobs,
conformance, report views and built-in recipe; `interface` is what a domain implements, `checks` what its
conformance works with, `common` the helpers the built-in ones share, and `registry` where domains are found
(the `sandbox.domains` entry-point group). Domains never import the engine, the API or the CLI.
"""

from sandbox.domains.interface import Domain, DomainContext, TableInfo
from sandbox.domains.registry import domain_names, find_domain, register_domain, unregister_domain

__all__ = [
    "Domain",
    "DomainContext",
    "TableInfo",
    "domain_names",
    "find_domain",
    "register_domain",
    "unregister_domain",
]
