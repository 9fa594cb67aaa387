"""Building blocks every stage shares: exact float arithmetic, named random streams, declared parameters,
Faker value pools, "did you mean" hints and process helpers. Nothing here imports another part of sandbox."""
