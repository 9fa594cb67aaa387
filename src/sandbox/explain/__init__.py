"""What a sandbox says about itself: the data card, recipe conformance (`sandbox check`), the HTML report
and the catalogue of building blocks (`sandbox recipes`)."""
