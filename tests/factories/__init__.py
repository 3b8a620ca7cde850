"""Builders of small real inputs for the tests: GGUF files, archives, projects, agents."""
