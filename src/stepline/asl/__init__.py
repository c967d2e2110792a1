"""The Amazon States Language: parse and validate a definition into an immutable model."""
