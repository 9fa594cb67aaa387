"""Domain generators: several related tables at once, with knobs declared once."""

from sandbox.domains.registry import (
    Domain,
    DomainContext,
    TableInfo,
    domain_names,
    get_domain,
    register_domain,
    unregister_domain,
)

__all__ = ["Domain", "DomainContext", "TableInfo", "domain_names", "get_domain", "register_domain", "unregister_domain"]
