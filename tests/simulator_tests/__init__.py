"""Tests for the provider simulator itself."""
