"""Customer evaluation (DOMAIN.md §5): the pure computation core."""
