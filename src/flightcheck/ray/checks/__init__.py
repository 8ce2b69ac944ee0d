"""One module per check: ``inputs(config)`` says what it depends on; ``run`` checks."""
