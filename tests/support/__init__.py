"""Test support code: the server harness lives in tests/support/servers.py."""
