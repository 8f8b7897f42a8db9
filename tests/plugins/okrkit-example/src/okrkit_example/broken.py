"""A connector module that cannot be imported, to test how okrkit reports it."""

raise ImportError("okrkit_example.broken needs the missing module 'nonexistent_sdk'")
