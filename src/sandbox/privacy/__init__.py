"""Privacy: PII classes, born-safe values, column policies and the scan that fails builds closed."""
