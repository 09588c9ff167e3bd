"""The catalogue's content model: solutions, sectors, organisations, sources, metrics."""
