"""Pages of planning: a module per page group (targets, forecast, review, accuracy)."""
