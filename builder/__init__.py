"""A hermetic submission builder for GGUF agents (Kaggle LLM 20 Questions first)."""

__version__ = "0.1.0"
